-- A transfer is its own journal entry (issue 21, bytes per transfer; docs/decisions.md, "A transfer
-- is its own journal entry"). The entry that creates a transfer is named by the transfer's id, and
-- the transfer row is its header: no row in ledger_transactions, which held the same livemode,
-- reason and reference again, with its key and reference index (about 235 bytes a transfer).
-- Captures, voids, refunds and every other entry keep their rows there.
--
-- Nothing is rewritten: transfers made before this migration, and converted ones, keep their
-- txn_ entries (own_entry false). journal_entries answers for either kind of id a posting names.
ALTER TABLE transfers ADD COLUMN own_entry boolean NOT NULL DEFAULT false;

-- Every journal entry: the rows of ledger_transactions and the transfers that are their own
-- entries. A reader joins it by id and mode (the transfers' key is (livemode, id)), one posting
-- at a time (LATERAL), so the plan is two index probes whatever the statistics say.
CREATE VIEW journal_entries AS
  SELECT id, livemode, reason, reference_id, created_at FROM ledger_transactions
  UNION ALL
  SELECT id, livemode, CASE WHEN hold THEN 'transfer.held' ELSE 'transfer.posted' END, id, created_at
  FROM transfers WHERE own_entry;

-- As migration 0041's, with the entry found in journal_entries, in the account's mode.
CREATE OR REPLACE FUNCTION postings_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
  orphan record;
BEGIN
  SELECT i.account_seq, i.transaction_id, i.account_number INTO orphan FROM inserted i
  LEFT JOIN accounts a ON a.number = i.account_number
  LEFT JOIN LATERAL (SELECT 1 AS found FROM journal_entries t
    WHERE t.livemode = a.livemode AND t.id = i.transaction_id LIMIT 1) t ON true
  WHERE t.found IS NULL OR a.id IS NULL OR a.asset <> i.asset
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'posting % of account number % names a missing or mismatched entry % or account',
      orphan.account_seq, orphan.account_number, orphan.transaction_id USING ERRCODE = 'foreign_key_violation';
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

-- What names an entry never changes, and a transfer, now a journal entry, is never deleted.
CREATE FUNCTION transfers_entry_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfer %: id, livemode, hold and own_entry never change', old.id
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER transfers_entry_fixed BEFORE UPDATE ON transfers FOR EACH ROW
  WHEN (new.id <> old.id OR new.livemode <> old.livemode OR new.hold <> old.hold OR new.own_entry <> old.own_entry)
  EXECUTE FUNCTION transfers_entry_fixed();
CREATE TRIGGER transfers_permanent BEFORE DELETE OR TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();
