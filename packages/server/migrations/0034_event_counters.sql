-- Business metrics (docs/operations.md, "Metrics"): how many events of each type were committed,
-- by mode, currency, rail and failure code. The one event sequencer adds to these rows in the
-- transaction that numbers the events, so each committed event is counted exactly once whichever
-- process sequenced it, and every API process's GET /metrics reads the same totals. The counts
-- start at this migration (no backfill): Prometheus reads counters as rates, and only ever up.

-- An event's payload is sealed, so the database cannot read its currency. Money events carry
-- their labels in the clear beside it: {"currency", "rail", "failure_code"}, none of them personal.
-- NULL for other events and for those written before this migration. Adding a column with no
-- default rewrites nothing.
ALTER TABLE events ADD COLUMN facets json;

-- The facets are as immutable as the rest of the event (migration 0026's rules, plus them).
CREATE OR REPLACE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.created_at, NEW.facets::text)
       IS NOT DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.created_at, OLD.facets::text)
     AND ((OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.data::text = OLD.data::text)
          OR (NEW.position IS NOT DISTINCT FROM OLD.position
              AND json_typeof(NEW.data) = 'string' AND NEW.data::text LIKE '"pse1.%'
              AND NEW.data::text <> OLD.data::text))
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events are immutable; only an unset position may be set, or a payload sealed'
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TABLE event_counters (
  livemode      boolean NOT NULL,
  type          text NOT NULL,
  -- '' where the event has none: PRIMARY KEY columns cannot be NULL.
  currency      text NOT NULL,
  rail          text NOT NULL,
  failure_code  text NOT NULL,
  count         bigint NOT NULL CHECK (count > 0),
  PRIMARY KEY (livemode, type, currency, rail, failure_code)
);
