-- Step-up confirmation of payments (src/challenges/) and tier caps on money coming in (src/risk/).

-- A risk rule may ask the holder to confirm the movement with a one-time code.
ALTER TABLE risk_rules DROP CONSTRAINT risk_rules_action_check,
  ADD CONSTRAINT risk_rules_action_check CHECK (action IN ('block', 'review', 'challenge', 'flag'));
ALTER TABLE risk_decisions DROP CONSTRAINT risk_decisions_action_check,
  ADD CONSTRAINT risk_decisions_action_check CHECK (action IN ('block', 'review', 'challenge', 'flag'));

-- The movement log counted money leaving wallets; it now counts money arriving too, per holder,
-- for a tier's daily and monthly inflow caps. Existing rows are all outflows.
ALTER TABLE movement_log ADD COLUMN direction text NOT NULL DEFAULT 'out' CHECK (direction IN ('out', 'in'));
CREATE INDEX movement_log_holder_inflow ON movement_log (holder_id, created_at)
  WHERE holder_id IS NOT NULL AND direction = 'in';
-- The outflow indexes keep serving the outflow sums; the queries name direction = 'out'.
DROP INDEX movement_log_holder;
CREATE INDEX movement_log_holder ON movement_log (holder_id, created_at)
  WHERE holder_id IS NOT NULL AND direction = 'out';

-- A movement waiting for its holder's one-time code. Like an approval it keeps the request as it
-- came; confirming with the right code runs it once, in the confirming request's transaction.
-- No code is stored: the n-th code sent is HOTP(HMAC(code key, id), n) (src/challenges/codes.ts),
-- so a dump reveals none, and a resend (sends + 1) makes the previous code worthless. The row is
-- also the outbox of its email: codes up to `sends` are due, up to `sends_delivered` were sent.
CREATE TABLE challenges (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  status           text NOT NULL CHECK (status IN ('requires_action', 'succeeded', 'failed', 'expired', 'canceled')),
  purpose          text NOT NULL CHECK (purpose IN ('payment', 'sign_in')),
  holder_id        text NOT NULL REFERENCES holders (id),
  channel          text NOT NULL CHECK (channel IN ('email', 'totp', 'sandbox')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  attempts_max     integer NOT NULL CHECK (attempts_max > 0),
  sends            integer NOT NULL DEFAULT 1 CHECK (sends >= 1),
  sends_delivered  integer NOT NULL DEFAULT 0 CHECK (sends_delivered >= 0),
  -- Email: the address the codes go to, sealed, as it was when the challenge was made (a later
  -- change of the holder's address does not redirect them). Sends that failed back off.
  destination      text,
  send_failures    integer NOT NULL DEFAULT 0 CHECK (send_failures >= 0),
  next_send_at     timestamptz,
  -- The request, for purpose 'payment'; `approved`: an operator approved it before it asked for the
  -- code, so the code runs it past the approval threshold and review rules.
  approved         boolean NOT NULL DEFAULT false,
  api_key_id       text REFERENCES api_keys (id),
  route            text,
  params           jsonb CHECK (params IS NULL OR jsonb_typeof(params) = 'object'),
  body             jsonb,
  request_id       text,
  risk_rule_id     text REFERENCES risk_rules (id),
  asset            text,
  amount_minor     numeric(39, 0) CHECK (amount_minor >= 0),
  -- What the confirmed request answered.
  result_status    integer,
  result_body      jsonb,
  expires_at       timestamptz NOT NULL,
  confirmed_at     timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CONSTRAINT challenges_attempts_within CHECK (attempts <= attempts_max),
  CONSTRAINT challenges_payment_request CHECK (
    purpose <> 'payment' OR (api_key_id IS NOT NULL AND route IS NOT NULL AND params IS NOT NULL AND body IS NOT NULL)),
  CONSTRAINT challenges_delivered CHECK (sends_delivered <= sends),
  CONSTRAINT challenges_destination CHECK ((channel = 'email') = (destination IS NOT NULL)),
  CONSTRAINT challenges_result CHECK ((status = 'succeeded' AND purpose = 'payment') = (result_status IS NOT NULL))
);
CREATE INDEX challenges_list ON challenges (livemode, id);
CREATE INDEX challenges_holder ON challenges (holder_id, id);
CREATE INDEX challenges_expiring ON challenges (expires_at) WHERE status = 'requires_action';
CREATE INDEX challenges_undelivered ON challenges (id)
  WHERE status = 'requires_action' AND channel = 'email' AND sends_delivered < sends;

-- A holder's authenticator app (RFC 6238). The shared secret is sealed; `last_step` is the last
-- time step accepted, so a code is used once even within its window.
CREATE TABLE holder_authenticators (
  holder_id      text PRIMARY KEY REFERENCES holders (id),
  livemode       boolean NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'active')),
  secret_sealed  text NOT NULL,
  last_step      bigint,
  created_at     timestamptz NOT NULL,
  activated_at   timestamptz,
  CONSTRAINT holder_authenticators_active CHECK ((status = 'active') = (activated_at IS NOT NULL))
);
