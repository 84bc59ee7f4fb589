-- The trial balance reads only the accounts that have ever moved (issue 21). A platform has many
-- wallets that never receive a posting: with 200,000 of them beside the bench's 1,000 busy ones,
-- every trial balance read all 201,000 rows five times over, 188 to 205 ms at p99 against 20.
--
-- `has_activity` is computed by PostgreSQL from the counters, so no write path has to remember it
-- and an UPDATE that edits a counter without a posting (a tamperer's) sets it as surely as a
-- transfer does. An account without it has no postings and every counter at zero: nothing to list,
-- nothing to sum, and above any floor (floors are at most 0). It changes once, at the account's
-- first posting; after that an update leaves the indexed values as they were and stays a HOT update.
ALTER TABLE accounts ADD COLUMN has_activity boolean NOT NULL GENERATED ALWAYS AS (
  postings_count > 0 OR posted_debits > 0 OR posted_credits > 0 OR pending_debits > 0 OR pending_credits > 0
) STORED;

-- In the order the trial balance lists them.
CREATE INDEX accounts_with_activity ON accounts (livemode, asset, kind DESC, id) WHERE has_activity;
