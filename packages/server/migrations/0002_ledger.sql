-- The double-entry ledger: accounts (wallets and system accounts), journal entries, postings.
-- Only the ledger module (src/ledger/) writes these tables. Amounts are minor units, NUMERIC(39,0).

CREATE TABLE accounts (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  asset            text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('wallet', 'system')),
  -- For system accounts: what it holds (fees, rail_clearing:card, escrow, settlement, suspense).
  purpose          text,
  holder_id        text REFERENCES holders (id),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  -- The lowest the available balance may reach: 0 for holders' wallets, minus the overdraft limit
  -- for platform wallets, none (NULL) for system accounts, which mirror the outside world.
  floor_minor      numeric(39, 0) CHECK (floor_minor <= 0),
  posted_debits    numeric(39, 0) NOT NULL DEFAULT 0 CHECK (posted_debits >= 0),
  posted_credits   numeric(39, 0) NOT NULL DEFAULT 0 CHECK (posted_credits >= 0),
  pending_debits   numeric(39, 0) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits  numeric(39, 0) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  version          bigint NOT NULL DEFAULT 0,
  -- How many postings the account has; the next one gets sequence number postings_count + 1.
  postings_count   bigint NOT NULL DEFAULT 0 CHECK (postings_count >= 0),
  metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (livemode, asset) REFERENCES assets (livemode, code),
  CHECK ((kind = 'system') = (purpose IS NOT NULL)),
  CHECK (kind = 'wallet' OR (floor_minor IS NULL AND holder_id IS NULL)),
  CHECK (kind = 'system' OR floor_minor IS NOT NULL),
  CHECK (floor_minor IS NULL OR posted_credits - posted_debits - pending_debits >= floor_minor)
);
CREATE UNIQUE INDEX accounts_system ON accounts (livemode, asset, purpose) WHERE kind = 'system';
CREATE INDEX accounts_wallets ON accounts (livemode, id) WHERE kind = 'wallet';
CREATE INDEX accounts_holder ON accounts (holder_id) WHERE holder_id IS NOT NULL;

-- A journal entry: one atomic, balanced set of postings.
CREATE TABLE ledger_transactions (
  id           text PRIMARY KEY,
  livemode     boolean NOT NULL,
  -- What made it: 'transfer.posted', 'transfer.captured', 'payment.succeeded', ...
  reason       text NOT NULL,
  reference_id text NOT NULL,
  metadata     jsonb NOT NULL DEFAULT '{}',
  effective_at timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_transactions_reference ON ledger_transactions (reference_id);

-- Postings are immutable. `layer` is posted or pending (holds); a pending posting with `release`
-- undoes part of an earlier pending one (capture or void). `account_seq` numbers an account's
-- postings 1, 2, 3... in the order they were applied (under the account's row lock, so this holds
-- across processes, unlike ids or clocks). The *_after columns are the account's balances right
-- after this posting: posted (credits - debits), held (pending debits) and incoming (pending credits).
CREATE TABLE postings (
  id              text PRIMARY KEY,
  -- References are checked per statement by postings_check below rather than by row-level
  -- foreign keys, whose one lookup per posting per reference dominated a batch's cost.
  transaction_id  text NOT NULL,
  account_id      text NOT NULL,
  account_seq     bigint NOT NULL CHECK (account_seq > 0),
  asset           text NOT NULL,
  side            text NOT NULL CHECK (side IN ('debit', 'credit')),
  layer           text NOT NULL CHECK (layer IN ('posted', 'pending')),
  release         boolean NOT NULL DEFAULT false CHECK (NOT release OR layer = 'pending'),
  amount          numeric(39, 0) NOT NULL CHECK (amount > 0 AND amount < 1e38),
  posted_after    numeric(39, 0) NOT NULL,
  held_after      numeric(39, 0) NOT NULL CHECK (held_after >= 0),
  incoming_after  numeric(39, 0) NOT NULL CHECK (incoming_after >= 0),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX postings_account_seq ON postings (account_id, account_seq);

CREATE FUNCTION postings_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'postings are immutable: post a correcting transaction instead'
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION postings_immutable();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
  FOR EACH STATEMENT EXECUTE FUNCTION postings_immutable();

-- Postings arrive one statement per batch of journal entries, and each statement's postings must
-- balance per entry, asset and layer (a release counts against its side), with at least two per
-- entry. A statement-level trigger checks the whole statement with one query, instead of one
-- deferred check per row; as postings can never change afterwards, every entry stays balanced.
CREATE FUNCTION postings_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
  orphan record;
BEGIN
  SELECT i.id, i.transaction_id, i.account_id INTO orphan FROM inserted i
  LEFT JOIN ledger_transactions t ON t.id = i.transaction_id
  LEFT JOIN accounts a ON a.id = i.account_id
  WHERE t.id IS NULL OR a.id IS NULL OR a.asset <> i.asset OR a.livemode <> t.livemode
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'posting % names a missing or mismatched entry % or account %', orphan.id,
      orphan.transaction_id, orphan.account_id USING ERRCODE = 'foreign_key_violation';
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
CREATE TRIGGER postings_check AFTER INSERT ON postings
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION postings_check();

-- Accounts and journal entries are never deleted: postings refer to them.
CREATE FUNCTION ledger_rows_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are permanent', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER accounts_permanent BEFORE DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();
CREATE TRIGGER ledger_transactions_permanent BEFORE DELETE OR TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();
