-- Money in and out through rails: payments with fees, splits and settlement; refunds; payouts,
-- payout batches, schedules and bank files; crypto deposit addresses; and the durable job queue
-- that carries every asynchronous step.

-- T+N settlement: a payment into this wallet is credited as pending and settles N days later.
ALTER TABLE accounts ADD COLUMN settlement_delay_days integer NOT NULL DEFAULT 0
  CHECK (settlement_delay_days BETWEEN 0 AND 30);

ALTER TABLE payments
  ADD COLUMN rail text NOT NULL DEFAULT 'card' CHECK (rail IN ('card', 'bank_account', 'crypto')),
  ADD COLUMN fee_amount numeric(39, 0) NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
  ADD COLUMN fee_account_id text,
  -- Where the net amount goes, resolved when the payment is created: [{wallet_id, amount_minor,
  -- request}], the payment's own wallet last (it takes what the splits leave).
  ADD COLUMN legs jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(legs) = 'array'),
  ADD COLUMN refunded_amount numeric(39, 0) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  -- Minor units refunded so far from each part, in order [fee, ...legs] (text, as numbers of any size).
  ADD COLUMN refunded_parts jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(refunded_parts) = 'array'),
  ADD COLUMN settles_at timestamptz,
  ADD COLUMN settled_at timestamptz,
  ADD COLUMN confirmations integer CHECK (confirmations >= 0),
  ADD COLUMN confirmations_required integer CHECK (confirmations_required > 0),
  ADD CONSTRAINT payments_refund_within CHECK (refunded_amount <= amount),
  ADD CONSTRAINT payments_fee_within CHECK (fee_amount < amount),
  ADD CONSTRAINT payments_fee_account CHECK ((fee_amount = 0) = (fee_account_id IS NULL)),
  ADD CONSTRAINT payments_refund_succeeded CHECK (refunded_amount = 0 OR status = 'succeeded'),
  ADD CONSTRAINT payments_settled CHECK (settled_at IS NULL OR status = 'succeeded');
CREATE INDEX payments_settling ON payments (settles_at) WHERE settled_at IS NULL AND status = 'succeeded';

ALTER TABLE transfers
  ADD COLUMN refunded_amount numeric(39, 0) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  -- Minor units refunded so far from each part, in order [fee, ...destinations].
  ADD COLUMN refunded_parts jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(refunded_parts) = 'array'),
  ADD CONSTRAINT transfers_refund_within CHECK (refunded_amount <= COALESCE(captured_amount, amount)),
  ADD CONSTRAINT transfers_refund_posted CHECK (refunded_amount = 0 OR status = 'posted');

CREATE TABLE refunds (
  id             text PRIMARY KEY,
  livemode       boolean NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  payment_id     text REFERENCES payments (id),
  transfer_id    text REFERENCES transfers (id),
  asset          text NOT NULL,
  amount         numeric(39, 0) NOT NULL CHECK (amount > 0),
  -- What each account gave back: [{account_id, amount_minor, layer}], covers included.
  parts          jsonb NOT NULL CHECK (jsonb_typeof(parts) = 'array'),
  reason         text CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
  failure_code   text,
  description    text CHECK (char_length(description) <= 1000),
  metadata       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CHECK ((payment_id IS NULL) <> (transfer_id IS NULL)),
  CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
  CHECK (transfer_id IS NULL OR status = 'succeeded')
);
CREATE INDEX refunds_list ON refunds (livemode, id);
CREATE INDEX refunds_payment ON refunds (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX refunds_transfer ON refunds (transfer_id) WHERE transfer_id IS NOT NULL;

CREATE TABLE payout_batches (
  id          text PRIMARY KEY,
  livemode    boolean NOT NULL,
  -- One result per requested item, in order: {index, payout_id} or {index, error}.
  results     jsonb NOT NULL CHECK (jsonb_typeof(results) = 'array'),
  metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at  timestamptz NOT NULL
);
CREATE INDEX payout_batches_list ON payout_batches (livemode, id);

CREATE TABLE payout_files (
  id           text PRIMARY KEY,
  livemode     boolean NOT NULL,
  asset        text NOT NULL,
  message_id   text NOT NULL UNIQUE,
  payout_count integer NOT NULL CHECK (payout_count > 0),
  total_amount numeric(39, 0) NOT NULL CHECK (total_amount > 0),
  xml          text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX payout_files_list ON payout_files (livemode, id);

CREATE TABLE bank_statements (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  -- A bank file is applied once: importing it again answers with the first import.
  message_id    text NOT NULL,
  message_type  text NOT NULL,
  -- [{end_to_end_id, amount, currency, kind, return_reason_code, outcome}]
  entries       jsonb NOT NULL CHECK (jsonb_typeof(entries) = 'array'),
  created_at    timestamptz NOT NULL,
  UNIQUE (livemode, message_id)
);

CREATE TABLE payout_schedules (
  id              text PRIMARY KEY,
  livemode        boolean NOT NULL,
  wallet_id       text NOT NULL UNIQUE REFERENCES accounts (id),
  interval        text NOT NULL CHECK (interval IN ('daily', 'weekly', 'monthly')),
  -- weekly: 1 (Monday) to 7; monthly: 1 to 28; daily: NULL.
  anchor          integer,
  -- What stays in the wallet after each scheduled payout.
  minimum_balance numeric(39, 0) NOT NULL DEFAULT 0 CHECK (minimum_balance >= 0),
  destination     jsonb NOT NULL,
  next_run_at     timestamptz NOT NULL,
  last_payout_id  text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((interval = 'daily') = (anchor IS NULL)),
  CHECK (interval <> 'weekly' OR anchor BETWEEN 1 AND 7),
  CHECK (interval <> 'monthly' OR anchor BETWEEN 1 AND 28)
);
CREATE INDEX payout_schedules_due ON payout_schedules (next_run_at);

CREATE TABLE payouts (
  id              text PRIMARY KEY,
  livemode        boolean NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'in_transit', 'paid', 'failed', 'returned')),
  wallet_id       text NOT NULL REFERENCES accounts (id),
  asset           text NOT NULL,
  amount          numeric(39, 0) NOT NULL CHECK (amount > 0),
  rail            text NOT NULL CHECK (rail IN ('card', 'bank_account', 'crypto', 'bank_file')),
  -- The full destination, needed to instruct the rail; the API shows a masked copy.
  destination     jsonb NOT NULL,
  destination_view jsonb NOT NULL,
  failure_code    text,
  failure_message text,
  batch_id        text REFERENCES payout_batches (id),
  schedule_id     text REFERENCES payout_schedules (id),
  file_id         text REFERENCES payout_files (id),
  description     text CHECK (char_length(description) <= 1000),
  metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  paid_at         timestamptz,
  CHECK ((status IN ('failed', 'returned')) = (failure_code IS NOT NULL)),
  CHECK ((status IN ('paid', 'returned')) = (paid_at IS NOT NULL))
);
CREATE INDEX payouts_list ON payouts (livemode, id);
CREATE INDEX payouts_wallet ON payouts (wallet_id, id);
CREATE INDEX payouts_batch ON payouts (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX payouts_unfiled ON payouts (livemode, asset, id) WHERE rail = 'bank_file' AND status = 'pending';

-- One deposit address per wallet and network (sandbox crypto).
CREATE TABLE deposit_addresses (
  address     text PRIMARY KEY,
  livemode    boolean NOT NULL,
  wallet_id   text NOT NULL REFERENCES accounts (id),
  network     text NOT NULL,
  created_at  timestamptz NOT NULL,
  UNIQUE (wallet_id, network)
);

-- Durable background work. A job runs in the same transaction as the change it makes and is
-- marked done there, so a crash either loses neither or both; claiming with SKIP LOCKED keeps two
-- workers off one job; `dedupe_key` makes scheduling the same step twice a no-op.
CREATE TABLE jobs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL,
  dedupe_key  text NOT NULL UNIQUE,
  payload     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  run_at      timestamptz NOT NULL,
  attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error  text,
  done_at     timestamptz,
  created_at  timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;
