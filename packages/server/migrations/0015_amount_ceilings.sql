-- The ceilings of shared/money.ts, checked a second time by the database: a movement moves at most
-- 10^27 minor units (amount_minor_max) and no account's balance, held or incoming amount passes
-- 10^30 (balance_minor_max), so that no counter reaches the end of NUMERIC(39,0). NOT VALID: rows
-- written before the ceilings existed are left as they are; every new or changed row is checked.
ALTER TABLE postings ADD CONSTRAINT postings_amount_max CHECK (amount <= 1e27) NOT VALID;
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_max CHECK (
  abs(posted_credits - posted_debits) <= 1e30 AND pending_debits <= 1e30 AND pending_credits <= 1e30
) NOT VALID;
ALTER TABLE transfers ADD CONSTRAINT transfers_amount_max CHECK (amount <= 1e27) NOT VALID;
ALTER TABLE payments ADD CONSTRAINT payments_amount_max CHECK (amount <= 1e27) NOT VALID;
ALTER TABLE refunds ADD CONSTRAINT refunds_amount_max CHECK (amount <= 1e27) NOT VALID;
ALTER TABLE payouts ADD CONSTRAINT payouts_amount_max CHECK (amount <= 1e27) NOT VALID;
ALTER TABLE escrows ADD CONSTRAINT escrows_amount_max CHECK (amount <= 1e27) NOT VALID;
