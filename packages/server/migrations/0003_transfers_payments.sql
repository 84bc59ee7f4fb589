-- Transfers (wallet to wallets, posted at once or held) and sandbox card payments that fund wallets.

CREATE TABLE transfers (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
  source_wallet_id text NOT NULL,
  asset            text NOT NULL,
  amount           numeric(39, 0) NOT NULL CHECK (amount > 0),
  captured_amount  numeric(39, 0) CHECK (captured_amount > 0 AND captured_amount <= amount),
  fee_amount       numeric(39, 0) NOT NULL DEFAULT 0 CHECK (fee_amount >= 0 AND fee_amount < amount),
  fee_account_id   text,
  -- [{wallet_id, amount (minor units, text), request: {amount|percent|remainder}}]
  destinations     jsonb NOT NULL CHECK (jsonb_typeof(destinations) = 'array'),
  description      text CHECK (char_length(description) <= 1000),
  metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  hold             boolean NOT NULL,
  expires_at       timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK (hold = (expires_at IS NOT NULL)),
  CHECK ((fee_amount = 0) = (fee_account_id IS NULL)),
  CHECK (status <> 'pending' OR hold),
  CHECK ((status = 'posted' AND hold) = (captured_amount IS NOT NULL))
);
CREATE INDEX transfers_list ON transfers (livemode, id);
CREATE INDEX transfers_expiring ON transfers (expires_at) WHERE status = 'pending';

-- The accounts a transfer names must exist, in its asset and mode: checked once per statement
-- (transfers are inserted a batch at a time) instead of by a row-level foreign key per column.
CREATE FUNCTION transfers_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan record;
BEGIN
  SELECT i.id INTO orphan FROM inserted i
  LEFT JOIN accounts s ON s.id = i.source_wallet_id
  LEFT JOIN accounts f ON f.id = i.fee_account_id
  WHERE s.id IS NULL OR s.kind <> 'wallet' OR s.asset <> i.asset OR s.livemode <> i.livemode
     OR (i.fee_account_id IS NOT NULL AND (f.id IS NULL OR f.asset <> i.asset OR f.livemode <> i.livemode))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transfer % names a missing or mismatched account', orphan.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER transfers_check AFTER INSERT ON transfers
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION transfers_check();

CREATE TABLE payments (
  id              text PRIMARY KEY,
  livemode        boolean NOT NULL,
  status          text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
  wallet_id       text NOT NULL REFERENCES accounts (id),
  asset           text NOT NULL,
  amount          numeric(39, 0) NOT NULL CHECK (amount > 0),
  -- What the rail may show: type, brand, last4. Never the full card number.
  source          jsonb NOT NULL,
  failure_code    text,
  description     text CHECK (char_length(description) <= 1000),
  metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
CREATE INDEX payments_list ON payments (livemode, id);
CREATE INDEX payments_wallet ON payments (wallet_id, id);
