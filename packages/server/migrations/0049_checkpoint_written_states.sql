-- A checkpoint's digest covers the account states it wrote, not every state (issue 21). Every run
-- recomputed a digest over every account that ever had a posting, twice (checking the previous
-- checkpoint, recording its own): 3 ms at 1,000 accounts, 285 ms at 100,000, seconds at a million.
--
-- The states a checkpoint did not write were written by an earlier one, which the run that recorded
-- this checkpoint verified. Whether one was written again since is told by its row version, as for
-- the accounts (0047): any write makes a version whose xmin is at least the checkpoint's snapshot
-- xmin. A run refuses a checkpoint if a state has such an xmin and was not written by a checkpoint
-- (ledger/checkpoints.ts). A state removed since only makes the next run check that account from
-- its first posting.
--
-- `digest_states` says which form a checkpoint's digest has: 'every' (those before this migration)
-- or 'written'. It is inside the digest from 'written' on, so a checkpoint cannot be moved from one
-- form to the other without its id changing.
ALTER TABLE ledger_checkpoints ADD COLUMN digest_states text NOT NULL DEFAULT 'every'
  CHECK (digest_states IN ('every', 'written'));
ALTER TABLE ledger_checkpoints ADD CONSTRAINT ledger_checkpoints_written_snapshot
  CHECK (digest_states = 'every' OR xact_id IS NOT NULL);

DROP FUNCTION ledger_checkpoint_digest(bigint, text, boolean, timestamptz, bigint, bigint, bigint, bytea, bigint, xid8, xid8);
-- The states written by the checkpoint's own transaction are those whose xmin is its id: compared
-- as 32-bit ids, which is exact while the two are less than 2^31 transactions apart (the run checks
-- that distance first). concat_ws skips a NULL, so 'every' adds nothing and older ids still match.
CREATE FUNCTION ledger_checkpoint_digest(
  seq bigint, previous_id text, full_check boolean, created_at timestamptz, postings_checked bigint,
  postings_through bigint, audit_seq bigint, audit_hash bytea, events_position bigint,
  snapshot_xmin xid8, xact_id xid8, digest_states text
) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to(concat_ws('|', seq, coalesce(previous_id, '-'), full_check,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), postings_checked, postings_through,
      audit_seq, encode(audit_hash, 'hex'),
      (SELECT coalesce(string_agg(concat_ws(',', c.account_id, c.account_seq, c.posted_after, c.held_after,
          c.incoming_after, to_char(c.created_at_max AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          c.posted_debits, c.posted_credits, c.pending_debits, c.pending_credits), ';' ORDER BY c.account_id COLLATE "C"), '')
       FROM ledger_checkpoint_accounts c
       WHERE digest_states = 'every' OR c.xmin = (xact_id::text::bigint % 4294967296)::text::xid),
      events_position, snapshot_xmin, xact_id, NULLIF(digest_states, 'every')), 'UTF8'))
$$;
