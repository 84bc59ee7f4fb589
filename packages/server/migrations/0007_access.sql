-- Access control and safety: restricted and rolled keys, spend policies with their counters,
-- approvals, risk rules and their decisions, and the hash-chained audit trail.

ALTER TABLE api_keys
  -- {"wallet_ids": [...]} or {"holder_id": "hol_..."}: the only wallets the key may act on.
  ADD COLUMN restrictions jsonb CHECK (restrictions IS NULL OR jsonb_typeof(restrictions) = 'object'),
  -- Limits on the money the key may move (see src/policies/); NULL: none.
  ADD COLUMN spend_policy jsonb CHECK (spend_policy IS NULL OR jsonb_typeof(spend_policy) = 'object'),
  -- Requests per rate-limit window for this key; NULL: the configured default.
  ADD COLUMN rate_limit_requests_max integer CHECK (rate_limit_requests_max > 0),
  -- After a roll, the previous secret keeps working until previous_secret_expires_at.
  ADD COLUMN previous_secret_hash bytea UNIQUE CHECK (octet_length(previous_secret_hash) = 32),
  ADD COLUMN previous_secret_expires_at timestamptz,
  ADD COLUMN rolled_at timestamptz,
  ADD CONSTRAINT api_keys_previous_secret
    CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));

-- What a key with a spend policy has moved per asset and calendar period (UTC). The row is locked
-- (FOR UPDATE) in the transaction that moves the money, so parallel requests queue on it and the
-- sum can never pass the limit.
CREATE TABLE spend_counters (
  api_key_id    text NOT NULL REFERENCES api_keys (id),
  asset         text NOT NULL,
  period        text NOT NULL CHECK (period IN ('day', 'month', 'week')),
  period_start  date NOT NULL,
  spent_minor   numeric(39, 0) NOT NULL DEFAULT 0 CHECK (spent_minor >= 0),
  PRIMARY KEY (api_key_id, asset, period, period_start)
);

-- A money movement parked until a key with approvals:write decides. It keeps the request as it
-- came (route, path parameters and body) and, once approved, the response its execution gave.
CREATE TABLE approvals (
  id                 text PRIMARY KEY,
  livemode           boolean NOT NULL,
  status             text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  reason             text NOT NULL CHECK (reason IN ('spend_policy', 'risk_review')),
  detail             text NOT NULL,
  risk_rule_id       text,
  api_key_id         text NOT NULL REFERENCES api_keys (id),
  route              text NOT NULL,
  params             jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  body               jsonb NOT NULL,
  request_id         text NOT NULL,
  asset              text NOT NULL,
  amount_minor       numeric(39, 0) NOT NULL CHECK (amount_minor > 0),
  expires_at         timestamptz NOT NULL,
  decided_at         timestamptz,
  decided_by         text,
  result_status      integer,
  result_body        jsonb,
  created_at         timestamptz NOT NULL,
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK ((status = 'approved') = (result_status IS NOT NULL))
);
CREATE INDEX approvals_list ON approvals (livemode, id);
CREATE INDEX approvals_expiring ON approvals (expires_at) WHERE status = 'pending';

CREATE TABLE risk_rules (
  id          text PRIMARY KEY,
  livemode    boolean NOT NULL,
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  type        text NOT NULL CHECK (type IN ('amount_above', 'velocity', 'new_wallet', 'kyc_tier')),
  action      text NOT NULL CHECK (action IN ('block', 'review', 'flag')),
  asset       text NOT NULL,
  -- The type's parameters, amounts in minor units as text (see src/risk/rules.ts).
  params      jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  enabled     boolean NOT NULL DEFAULT true,
  metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX risk_rules_list ON risk_rules (livemode, id);
CREATE INDEX risk_rules_enabled ON risk_rules (livemode) WHERE enabled;

-- Every time a rule matched a movement: what it did, to which object (the transfer, payout...
-- made, or the approval a review parked) and for which request.
CREATE TABLE risk_decisions (
  id           text PRIMARY KEY,
  livemode     boolean NOT NULL,
  rule_id      text NOT NULL REFERENCES risk_rules (id),
  action       text NOT NULL CHECK (action IN ('block', 'review', 'flag')),
  object_id    text,
  api_key_id   text NOT NULL,
  request_id   text NOT NULL,
  wallet_id    text NOT NULL,
  detail       text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX risk_decisions_list ON risk_decisions (livemode, id);
CREATE INDEX risk_decisions_object ON risk_decisions (object_id) WHERE object_id IS NOT NULL;

-- Movements that passed the checks, for velocity rules (per wallet, holder or key over a window).
-- Written only while a policy or a risk rule applies, so the unpoliced fast path stays as it was.
CREATE TABLE movement_log (
  livemode          boolean NOT NULL,
  api_key_id        text NOT NULL,
  source_wallet_id  text NOT NULL,
  holder_id         text,
  asset             text NOT NULL,
  amount_minor      numeric(39, 0) NOT NULL CHECK (amount_minor > 0),
  created_at        timestamptz NOT NULL
);
CREATE INDEX movement_log_wallet ON movement_log (source_wallet_id, created_at);
CREATE INDEX movement_log_holder ON movement_log (holder_id, created_at) WHERE holder_id IS NOT NULL;
CREATE INDEX movement_log_key ON movement_log (api_key_id, created_at);

-- The audit trail: one entry per mutating request and operator action, appended in the same
-- transaction as the change. Entries form one hash chain: `hash` = sha256(prev_hash || canonical
-- entry), numbered by `seq` without gaps; the head row holds the last seq and hash and is locked
-- to append, so the chain is linear across processes. `purse verify` recomputes it.
CREATE TABLE audit_logs (
  seq             bigint PRIMARY KEY CHECK (seq > 0),
  id              text NOT NULL UNIQUE,
  livemode        boolean NOT NULL,
  actor           text NOT NULL,
  action          text NOT NULL,
  object_id       text,
  request_id      text,
  ip              text,
  outcome_status  integer NOT NULL,
  outcome_code    text,
  created_at      timestamptz NOT NULL,
  prev_hash       bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash            bytea NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_logs_list ON audit_logs (livemode, seq);
CREATE INDEX audit_logs_object ON audit_logs (object_id) WHERE object_id IS NOT NULL;

CREATE TABLE audit_chain_head (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq        bigint NOT NULL CHECK (seq >= 0),
  hash       bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- One field of the canonical form: its byte length, a colon and the text; '-' for NULL. The
-- lengths make the encoding unambiguous whatever characters a field holds.
CREATE FUNCTION audit_field(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN value IS NULL THEN '-' ELSE octet_length(value)::text || ':' || value END
$$;

-- The canonical form of an entry, which its hash covers. src/audit/verify.ts rebuilds it in
-- TypeScript independently; a test checks that both agree.
CREATE FUNCTION audit_canonical(e audit_logs) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT audit_field(e.seq::text) || audit_field(e.id) || audit_field(CASE WHEN e.livemode THEN 'live' ELSE 'test' END)
    || audit_field(e.actor) || audit_field(e.action) || audit_field(e.object_id) || audit_field(e.request_id)
    || audit_field(e.ip) || audit_field(e.outcome_status::text) || audit_field(e.outcome_code)
    || audit_field(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- Appends entries (a JSON array, in order) to the chain in one round trip: locks the head, links
-- each entry to the one before, moves the head.
CREATE FUNCTION audit_append(entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash bytea;
  item jsonb;
  entry audit_logs;
BEGIN
  SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_head FOR UPDATE;
  FOR item IN SELECT value FROM jsonb_array_elements(entries) LOOP
    entry := jsonb_populate_record(NULL::audit_logs, item);
    entry.seq := head_seq + 1;
    entry.prev_hash := head_hash;
    entry.hash := sha256(head_hash || convert_to(audit_canonical(entry), 'UTF8'));
    INSERT INTO audit_logs SELECT entry.*;
    head_seq := entry.seq;
    head_hash := entry.hash;
  END LOOP;
  UPDATE audit_chain_head SET seq = head_seq, hash = head_hash;
END $$;

-- Entries are never changed or removed through the application; `purse verify` catches anyone who
-- goes around this (disabling triggers, editing the files).
CREATE FUNCTION audit_logs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are immutable' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_logs_immutable BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_immutable();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_immutable();
