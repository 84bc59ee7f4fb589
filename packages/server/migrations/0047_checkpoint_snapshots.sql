-- A checkpoint names the snapshot it verified (issue 21), so that the next `purse verify` reads
-- only the accounts written since: an account row changed after that snapshot is a new row
-- version whose xmin is at least the snapshot's xmin (every transaction below it had ended when the
-- snapshot was taken). `snapshot_xmin` is that xmin; `xact_id` the checkpoint's own transaction,
-- which is also its row's xmin as long as the database keeps its transaction ids: a dump restored
-- elsewhere renumbers them, and then the next run reads every account (ledger/verify-changed.ts).
-- Both go into the digest, and so under the signature (0038): a forged xmin that hid a change
-- cannot be signed. Checkpoints from before have neither; the run after them reads every account.
ALTER TABLE ledger_checkpoints ADD COLUMN snapshot_xmin xid8;
ALTER TABLE ledger_checkpoints ADD COLUMN xact_id xid8;
ALTER TABLE ledger_checkpoints ADD CONSTRAINT ledger_checkpoints_snapshot
  CHECK ((snapshot_xmin IS NULL) = (xact_id IS NULL) AND snapshot_xmin <= xact_id);

-- The digest takes them last. concat_ws skips a NULL, so a checkpoint from before this migration
-- keeps the digest it was recorded with, and its id still matches.
DROP FUNCTION ledger_checkpoint_digest(bigint, text, boolean, timestamptz, bigint, bigint, bigint, bytea, bigint);
CREATE FUNCTION ledger_checkpoint_digest(
  seq bigint, previous_id text, full_check boolean, created_at timestamptz, postings_checked bigint,
  postings_through bigint, audit_seq bigint, audit_hash bytea, events_position bigint,
  snapshot_xmin xid8, xact_id xid8
) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to(concat_ws('|', seq, coalesce(previous_id, '-'), full_check,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), postings_checked, postings_through,
      audit_seq, encode(audit_hash, 'hex'),
      (SELECT coalesce(string_agg(concat_ws(',', c.account_id, c.account_seq, c.posted_after, c.held_after,
          c.incoming_after, to_char(c.created_at_max AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          c.posted_debits, c.posted_credits, c.pending_debits, c.pending_credits), ';' ORDER BY c.account_id COLLATE "C"), '')
       FROM ledger_checkpoint_accounts c),
      events_position, snapshot_xmin, xact_id), 'UTF8'))
$$;
