-- Costs that grow with the data (issue 21): `purse verify` checks only what was written since its
-- last checkpoint, the trial balance reports that checkpoint instead of verifying everything per
-- request, and `balance?at=` seeks instead of walking back through an account's postings.

-- `balance?at=` is "the balances after the last posting p of the account such that p and every
-- posting before it (by account_seq) are dated at or before `at`". A posting's created_at is its
-- transaction's start, which is not monotone along account_seq (a transaction that started earlier
-- may lock the account later), so each posting carries the running maximum of created_at over the
-- account's postings up to it: monotone in account_seq, hence binary-searchable through the
-- existing (account_id, account_seq) index, with no index of its own (nothing more to maintain per
-- posting but these 8 bytes). The writer sets it (ledger/write.ts); `purse verify` checks it
-- (posting_follows_previous), so an edited value is found.
ALTER TABLE postings ADD COLUMN created_at_max timestamptz;
ALTER TABLE postings DISABLE TRIGGER postings_immutable;
UPDATE postings p SET created_at_max = m.created_at_max
FROM (SELECT id, max(created_at) OVER (PARTITION BY account_id ORDER BY account_seq) AS created_at_max FROM postings) m
WHERE p.id = m.id;
ALTER TABLE postings ENABLE TRIGGER postings_immutable;
-- The default serves only hand-written inserts (tests); the writer always sets the running maximum.
ALTER TABLE postings ALTER COLUMN created_at_max SET DEFAULT now();
ALTER TABLE postings ALTER COLUMN created_at_max SET NOT NULL;
ALTER TABLE postings ADD CONSTRAINT postings_created_at_max CHECK (created_at_max >= created_at);

-- One row per successful `purse verify`: everything up to it holds. Its id is 'lcp_' and the hex
-- SHA-256 of its fields and of every account's verified state (ledger_checkpoint_digest), and an
-- audit entry (action 'ledger.checkpoint', object_id the id) links it into the audit hash chain: an
-- edited checkpoint no longer matches its id, and a new id has no entry in the chain.
CREATE TABLE ledger_checkpoints (
  seq               bigint PRIMARY KEY CHECK (seq > 0),
  id                text NOT NULL UNIQUE,
  previous_id       text,
  -- true: `purse verify --full` checked every posting; false: only those after the previous one.
  full_check        boolean NOT NULL,
  created_at        timestamptz NOT NULL,
  -- Postings this run checked, and postings verified in all (every account up to its account_seq).
  postings_checked  bigint NOT NULL CHECK (postings_checked >= 0),
  postings_through  bigint NOT NULL CHECK (postings_through >= 0),
  -- The audit chain was verified up to this entry (0 and the genesis hash: empty).
  audit_seq         bigint NOT NULL CHECK (audit_seq >= 0),
  audit_hash        bytea NOT NULL CHECK (octet_length(audit_hash) = 32)
);

CREATE FUNCTION ledger_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger checkpoints are append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_checkpoints_append_only();

-- Each account's state at the latest checkpoint: its postings up to account_seq verified, the
-- balances after that posting and its counters then. The next run checks the postings after it
-- from these values. Accounts without postings have no row (all zero).
CREATE TABLE ledger_checkpoint_accounts (
  account_id       text PRIMARY KEY,
  account_seq      bigint NOT NULL CHECK (account_seq > 0),
  posted_after     numeric(39, 0) NOT NULL,
  held_after       numeric(39, 0) NOT NULL,
  incoming_after   numeric(39, 0) NOT NULL,
  created_at_max   timestamptz NOT NULL,
  posted_debits    numeric(39, 0) NOT NULL,
  posted_credits   numeric(39, 0) NOT NULL,
  pending_debits   numeric(39, 0) NOT NULL,
  pending_credits  numeric(39, 0) NOT NULL
);

-- The digest a checkpoint's id is made of: its fields and the whole ledger_checkpoint_accounts
-- table, as text with fixed formats, in account id order (bytewise).
CREATE FUNCTION ledger_checkpoint_digest(
  seq bigint, previous_id text, full_check boolean, created_at timestamptz, postings_checked bigint,
  postings_through bigint, audit_seq bigint, audit_hash bytea
) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to(concat_ws('|', seq, coalesce(previous_id, '-'), full_check,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), postings_checked, postings_through,
      audit_seq, encode(audit_hash, 'hex'),
      (SELECT coalesce(string_agg(concat_ws(',', c.account_id, c.account_seq, c.posted_after, c.held_after,
          c.incoming_after, to_char(c.created_at_max AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          c.posted_debits, c.posted_credits, c.pending_debits, c.pending_credits), ';' ORDER BY c.account_id COLLATE "C"), '')
       FROM ledger_checkpoint_accounts c)), 'UTF8'))
$$;
