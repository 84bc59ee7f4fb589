-- Payout actions (docs/rails.md, "Cancel and retry"): a payout that has not left Purse can be
-- canceled (its money back in the wallet, through the ledger), and a failed or returned payout can
-- be retried once, as a new payout linked both ways.

ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
  CHECK (status IN ('pending', 'in_transit', 'paid', 'failed', 'returned', 'canceled'));

-- retry_of: the payout this one retries; retried_by: the payout that retried this one. At most one
-- retry per payout (unique), only of a failed or returned one, and a retry is never its own.
ALTER TABLE payouts
  ADD COLUMN retry_of text REFERENCES payouts (id),
  ADD COLUMN retried_by text REFERENCES payouts (id),
  ADD COLUMN canceled_at timestamptz,
  ADD CONSTRAINT payouts_retry_of_once UNIQUE (retry_of),
  ADD CONSTRAINT payouts_retried_by_once UNIQUE (retried_by),
  ADD CONSTRAINT payouts_retried_when_ended CHECK (retried_by IS NULL OR status IN ('failed', 'returned')),
  ADD CONSTRAINT payouts_retry_not_self CHECK (retry_of IS DISTINCT FROM id AND retried_by IS DISTINCT FROM id),
  ADD CONSTRAINT payouts_canceled_at CHECK ((status = 'canceled') = (canceled_at IS NOT NULL));
