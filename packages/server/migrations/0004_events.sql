-- Events (a transactional outbox), webhook endpoints, their deliveries and every delivery attempt.

-- Every state change writes its event in the change's own transaction: no change without its event,
-- no event without its change. Rows are permanent and immutable except `position`, set once.
CREATE TABLE events (
  -- Insertion order, allocated when the row is written. It is NOT commit order: a transaction that
  -- took seq 10 may commit after one that took seq 11, so nothing that must not skip reads by seq.
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  id          text PRIMARY KEY,
  livemode    boolean NOT NULL,
  type        text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
  object_id   text NOT NULL CHECK (char_length(object_id) BETWEEN 1 AND 64),
  -- The object as the API returned it. json, not jsonb, keeps its fields in the API's order.
  data        json NOT NULL,
  created_at  timestamptz NOT NULL,
  -- Commit order: 1, 2, 3... without gaps, assigned by the one sequencer at a time (an advisory
  -- lock held until its commit) to events already visible, so a reader of `position > cursor` never
  -- skips an event that commits late. See src/events/sequencer.ts. NULL until sequenced.
  position    bigint CHECK (position > 0)
);
-- Indexes cost the write path (each is updated by every insert), so there are only as many as the
-- readers need: the sequencer finds unsequenced rows by seq; positions are indexed once assigned
-- (the stream and the horizon, max(position)); lists go by mode and id, or by object.
CREATE INDEX events_unsequenced ON events (seq) WHERE position IS NULL;
CREATE UNIQUE INDEX events_position ON events (position) WHERE position IS NOT NULL;
CREATE INDEX events_list ON events (livemode, id);
CREATE INDEX events_object ON events (object_id, id);

CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.position IS NULL AND NEW.position IS NOT NULL
     AND (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.data::text, NEW.created_at)
       IS NOT DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.data::text, OLD.created_at)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events are immutable; only an unset position may be set'
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER events_immutable BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_immutable();
-- The history is kept: no retention job deletes events yet (one would come with its own migration).
CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();

CREATE TABLE webhook_endpoints (
  id              text PRIMARY KEY,
  livemode        boolean NOT NULL,
  url             text NOT NULL CHECK (char_length(url) <= 2048 AND url ~ '^https?://'),
  description     text CHECK (char_length(description) <= 1000),
  -- Event types, `prefix.*` patterns or `*`; checked against the catalogue by the API.
  enabled_events  text[] NOT NULL CHECK (cardinality(enabled_events) BETWEEN 1 AND 100),
  status          text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  -- requested: by the API; failing: every attempt failed for a whole retry schedule; gone: HTTP 410.
  disabled_reason text CHECK (disabled_reason IN ('requested', 'failing', 'gone')),
  -- Kept in plaintext: signing needs it. Shown by the API only on creation and rotation.
  secret          text NOT NULL CHECK (secret ~ '^whsec_'),
  -- After a rotation the old secret also signs until it expires, so receivers can switch over.
  previous_secret text CHECK (previous_secret ~ '^whsec_'),
  previous_secret_expires_at timestamptz,
  -- When the latest successful attempt started, and when the failures since then began (NULL
  -- while the latest attempt succeeded). An endpoint is disabled as failing when a delivery gives
  -- up and no attempt has succeeded since that delivery's first attempt.
  last_success_at timestamptz,
  failing_since   timestamptz,
  metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL)),
  CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (livemode, id);

-- One event for one endpoint. Pending rows are the delivery queue: `next_attempt_at` is when the next
-- attempt is due, or, while a worker is sending, when its lease ends (a worker killed mid-send thus
-- loses nothing: the delivery is due again after the lease).
CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id        text NOT NULL REFERENCES events (id),
  -- Copied from the event: deliveries of one object to one endpoint go out in event order.
  object_id       text NOT NULL,
  position        bigint NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  -- Attempts started (a claim counts one); the next retry delay is schedule[attempts - 1].
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz,
  replay          boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, object_id, position)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
  id               text PRIMARY KEY,
  delivery_id      text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt          integer NOT NULL CHECK (attempt >= 1),
  -- NULL when no HTTP response came back (timeout, refused connection, DNS, a refused address).
  status_code      integer CHECK (status_code BETWEEN 100 AND 599),
  error            text CHECK (char_length(error) <= 500),
  latency_ms       integer NOT NULL CHECK (latency_ms >= 0),
  response_excerpt text,
  created_at       timestamptz NOT NULL,
  UNIQUE (delivery_id, attempt),
  CHECK (status_code IS NOT NULL OR error IS NOT NULL)
);
