-- A posting is named by its account and its number there, (account_id, account_seq), which the
-- ledger already kept unique: the API's posting id is made from them (src/ledger/posting-ids.ts)
-- instead of being a third 30-byte text id with an index of its own, about 80 bytes a posting.
-- docs/decisions.md, "Postings named by account and number", says what changed for clients.
--
-- DROP COLUMN rewrites nothing: rows written before keep the bytes of their id, and rows written
-- after have none. The index on (account_id, account_seq) becomes the primary key as it is.
ALTER TABLE postings DROP CONSTRAINT postings_pkey;
ALTER TABLE postings ADD CONSTRAINT postings_account_seq PRIMARY KEY USING INDEX postings_account_seq;
ALTER TABLE postings DROP COLUMN id;

-- As migration 0002's, naming a posting by account and number.
CREATE OR REPLACE FUNCTION postings_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
  orphan record;
BEGIN
  SELECT i.account_seq, i.transaction_id, i.account_id INTO orphan FROM inserted i
  LEFT JOIN ledger_transactions t ON t.id = i.transaction_id
  LEFT JOIN accounts a ON a.id = i.account_id
  WHERE t.id IS NULL OR a.id IS NULL OR a.asset <> i.asset OR a.livemode <> t.livemode
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'posting % of account % names a missing or mismatched entry % or account', orphan.account_seq,
      orphan.account_id, orphan.transaction_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT transaction_id, asset, layer, count(*) AS postings INTO unbalanced FROM inserted
  GROUP BY transaction_id, asset, layer
  HAVING sum(CASE WHEN (side = 'debit') <> release THEN amount ELSE -amount END) <> 0
      OR count(*) < 2
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance in % (%)', unbalanced.transaction_id,
      unbalanced.asset, unbalanced.layer USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
