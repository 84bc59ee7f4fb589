-- `purse verify` checks events incrementally too (issue 21): the checkpoint records the position
-- through which every event position was found held once (in the table or an archive), and the next
-- run reads only the events after it (and those not yet numbered) instead of the whole table, which
-- took over a second at 120,000 events and grew with them.
ALTER TABLE ledger_checkpoints ADD COLUMN events_position bigint CHECK (events_position >= 0);

-- The digest takes it last. concat_ws skips a NULL, so a checkpoint from before this migration
-- (events_position NULL) keeps the digest it was recorded with, and its id still matches.
DROP FUNCTION ledger_checkpoint_digest(bigint, text, boolean, timestamptz, bigint, bigint, bigint, bytea);
CREATE FUNCTION ledger_checkpoint_digest(
  seq bigint, previous_id text, full_check boolean, created_at timestamptz, postings_checked bigint,
  postings_through bigint, audit_seq bigint, audit_hash bytea, events_position bigint
) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(convert_to(concat_ws('|', seq, coalesce(previous_id, '-'), full_check,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), postings_checked, postings_through,
      audit_seq, encode(audit_hash, 'hex'),
      (SELECT coalesce(string_agg(concat_ws(',', c.account_id, c.account_seq, c.posted_after, c.held_after,
          c.incoming_after, to_char(c.created_at_max AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          c.posted_debits, c.posted_credits, c.pending_debits, c.pending_credits), ';' ORDER BY c.account_id COLLATE "C"), '')
       FROM ledger_checkpoint_accounts c),
      events_position), 'UTF8'))
$$;
