-- Every asset has its system accounts from the start, with ids derived from (mode, asset, purpose):
-- 'acc_' and the first 26 hex digits of sha256('<livemode>:<asset>:<purpose>'). The code computes the
-- same id (ledger/accounts.ts systemAccountId) instead of looking it up, so a money movement never
-- needs a second connection, or a query, to find the account it posts to. Custom assets get theirs
-- in the transaction that creates them.
CREATE FUNCTION system_account_id(livemode boolean, asset text, purpose text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT 'acc_' || substr(encode(sha256(convert_to(livemode::text || ':' || asset || ':' || purpose, 'UTF8')), 'hex'), 1, 26)
$$;

CREATE FUNCTION create_system_accounts(p_livemode boolean, p_asset text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO accounts (id, livemode, asset, kind, purpose)
  SELECT system_account_id(p_livemode, p_asset, purpose), p_livemode, p_asset, 'system', purpose
  FROM unnest(ARRAY['fees', 'escrow', 'settlement', 'suspense', 'rail_clearing:card',
    'rail_clearing:bank_account', 'rail_clearing:crypto', 'rail_clearing:bank_file']) AS purpose
  ON CONFLICT DO NOTHING
$$;

SELECT create_system_accounts(livemode, code) FROM assets;

-- A system account's id is the derived one: nothing else may post as it.
ALTER TABLE accounts ADD CONSTRAINT accounts_system_id
  CHECK (kind <> 'system' OR id = system_account_id(livemode, asset, purpose));
