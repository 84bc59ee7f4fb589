-- Events partitioned by month of created_at, so that old months can be archived to files and
-- dropped whole (src/events/retention.ts) instead of deleted row by row. docs/decisions.md,
-- "Events partitioned by month", says why and what each guarantee now rests on.
--
-- The existing table is not copied: it becomes the first partition, covering everything up to the
-- end of the current month. Attaching it reads it once to check that bound (a scan, no rewrite);
-- its indexes are adopted by the partitioned table's, not built again.

-- A foreign key to a partitioned table needs a unique key containing the partition key, and a
-- partition referenced by one cannot be dropped. Deliveries keep the event's id; the retention
-- task never drops an event that still has a pending delivery.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;

DROP TRIGGER events_immutable ON events;
DROP TRIGGER events_permanent ON events;
ALTER TABLE events RENAME TO events_initial;
ALTER TABLE events_initial RENAME CONSTRAINT events_pkey TO events_initial_id;
ALTER INDEX events_position RENAME TO events_initial_position;
ALTER INDEX events_unsequenced RENAME TO events_initial_unsequenced;
ALTER INDEX events_list RENAME TO events_initial_list;
ALTER INDEX events_object RENAME TO events_initial_object;

-- A partitioned table cannot have an identity column before PostgreSQL 17: the sequence moves to
-- the parent as a default, continuing where the identity stopped.
CREATE SEQUENCE events_seq AS bigint;
SELECT setval('events_seq', coalesce((SELECT max(seq) FROM events_initial), 0) + 1, false);
ALTER TABLE events_initial ALTER COLUMN seq DROP IDENTITY;

CREATE TABLE events (
  seq         bigint NOT NULL DEFAULT nextval('events_seq'),
  id          text NOT NULL,
  livemode    boolean NOT NULL,
  -- Named as the first partition's, which attaching matches by name.
  type        text NOT NULL CONSTRAINT events_type_check CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
  object_id   text NOT NULL CONSTRAINT events_object_id_check CHECK (char_length(object_id) BETWEEN 1 AND 64),
  data        json NOT NULL,
  created_at  timestamptz NOT NULL,
  position    bigint CONSTRAINT events_position_check CHECK (position > 0),
  facets      json
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE events_seq OWNED BY events.seq;

-- Indexes every partition has; a partition's matching index is adopted, not rebuilt. The unique
-- ones (id, position) cannot be declared here without the partition key: each partition has its
-- own (events_add_partition), and docs/decisions.md says why that suffices.
CREATE INDEX events_unsequenced ON events (seq) WHERE position IS NULL;
CREATE INDEX events_list ON events (livemode, id);
CREATE INDEX events_object ON events (object_id, id);

-- As migration 0034's function, with the facets also in the WHEN clause: before, a position being
-- set together with a changed facets column passed the clause without reaching the function.
CREATE TRIGGER events_immutable BEFORE UPDATE ON events FOR EACH ROW
  WHEN (OLD.position IS NOT NULL OR NEW.position IS NULL
        OR (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.data::text, NEW.created_at, NEW.facets::text)
           IS DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.data::text, OLD.created_at, OLD.facets::text))
  EXECUTE FUNCTION events_immutable();
-- Statement triggers are not cloned onto partitions: each partition gets its own as well.
CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();

-- What every partition carries besides the parent's indexes and row trigger.
CREATE FUNCTION events_partition_guards(partition regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = partition);
BEGIN
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (id)', name || '_id', partition);
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (position) WHERE position IS NOT NULL',
    name || '_position', partition);
  EXECUTE format('CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON %s
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent()', partition);
END $$;

-- An insert never fails for want of a partition: events of a month with none (a test clock far
-- ahead, or a worker that has not run) land here. A month is not given its own partition while
-- this one holds rows of it; such rows stay here and are never archived.
CREATE TABLE events_default PARTITION OF events DEFAULT;
SELECT events_partition_guards('events_default');

-- The first partition ends with the current month (UTC). Events stamped later than that (by a test
-- clock run ahead) are the only rows moved: left in place, one event dated 2035 would stretch the
-- first partition to 2035, and no month before it could have a partition or be archived.
DO $$
DECLARE
  upper_bound timestamptz := date_trunc('month', date_trunc('month', now(), 'UTC') + interval '32 days', 'UTC');
BEGIN
  WITH moved AS (DELETE FROM events_initial WHERE created_at >= upper_bound
                 RETURNING seq, id, livemode, type, object_id, data, created_at, position, facets)
  INSERT INTO events_default (seq, id, livemode, type, object_id, data, created_at, position, facets)
  SELECT * FROM moved;
  EXECUTE format('ALTER TABLE events ATTACH PARTITION events_initial FOR VALUES FROM (MINVALUE) TO (%L)',
    upper_bound);
END $$;
CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON events_initial
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();

-- Creates the partition of the month starting at `month_start` (events_pYYYYMM) unless it exists
-- or the default partition holds events of that month; returns whether it created it. Creating a
-- partition locks the parent briefly; the worker does it months ahead (src/events/partitions.ts).
CREATE FUNCTION events_add_partition(month_start timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  -- Months of UTC whatever the session's time zone.
  lower_bound timestamptz := date_trunc('month', month_start, 'UTC');
  upper_bound timestamptz := date_trunc('month', date_trunc('month', month_start, 'UTC') + interval '32 days', 'UTC');
  name text := 'events_p' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- Refused when the month overlaps a partition (the first one's range is wider than a month) or
  -- the default partition holds events of it.
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', name, lower_bound, upper_bound);
  EXCEPTION WHEN invalid_object_definition OR check_violation THEN
    RETURN false;
  END;
  PERFORM events_partition_guards(name::regclass);
  RETURN true;
END $$;

-- One row per archived partition: where its events went and how to check the file.
CREATE TABLE event_archives (
  partition_name  text PRIMARY KEY,
  range_start     timestamptz,
  range_end       timestamptz NOT NULL,
  first_position  bigint,
  last_position   bigint,
  event_count     bigint NOT NULL CHECK (event_count >= 0),
  file_name       text NOT NULL UNIQUE,
  sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  archived_at     timestamptz NOT NULL,
  -- The smallest and largest position archived. Not a run without gaps: an event made at the end
  -- of a month may commit, and be numbered, after the next month's first ones.
  CHECK ((event_count = 0) = (first_position IS NULL) AND (first_position IS NULL) = (last_position IS NULL))
);
CREATE TRIGGER event_archives_permanent BEFORE DELETE OR TRUNCATE ON event_archives
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();

-- Why a partition may not be dropped yet, or NULL: an event not yet numbered, one with a pending
-- webhook delivery, or one the overview's rollups have not folded.
CREATE FUNCTION events_partition_blocked(partition regclass) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  found boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE position IS NULL)', partition) INTO found;
  IF found THEN RETURN 'unsequenced events'; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM webhook_deliveries d JOIN %s e ON e.id = d.event_id
    WHERE d.status = ''pending'')', partition) INTO found;
  IF found THEN RETURN 'pending webhook deliveries'; END IF;
  -- Every fold's cursor must be past them: the least one decides.
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE position > (SELECT coalesce(min(position), 0)
    FROM rollup_cursors))', partition) INTO found;
  IF found THEN RETURN 'events not folded into the rollups'; END IF;
  RETURN NULL;
END $$;

-- The application role may not drop tables (src/db/roles.ts), and must not be able to drop events
-- at will: these two run as the owner and do only this. A partition is dropped only once its
-- archive is recorded with exactly its rows, and only when nothing still needs them.
CREATE FUNCTION events_drop_archived_partition(partition_name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  archive event_archives;
  partition regclass := to_regclass(partition_name);
  actual record;
  blocked text;
BEGIN
  SELECT * INTO archive FROM event_archives WHERE event_archives.partition_name = $1;
  IF archive IS NULL OR partition IS NULL OR partition_name = 'events_default'
     OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = partition AND inhparent = 'events'::regclass)
  THEN
    RAISE EXCEPTION 'no archived events partition %', partition_name USING ERRCODE = 'restrict_violation';
  END IF;
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', partition);
  blocked := events_partition_blocked(partition);
  IF blocked IS NOT NULL THEN
    RAISE EXCEPTION 'partition % still has %', partition_name, blocked USING ERRCODE = 'restrict_violation';
  END IF;
  EXECUTE format('SELECT count(*) AS n, min(position) AS lo, max(position) AS hi FROM %s', partition) INTO actual;
  IF (actual.n, actual.lo, actual.hi) IS DISTINCT FROM (archive.event_count, archive.first_position, archive.last_position) THEN
    RAISE EXCEPTION 'partition % does not hold what its archive recorded', partition_name
      USING ERRCODE = 'restrict_violation';
  END IF;
  EXECUTE format('ALTER TABLE events DETACH PARTITION %s', partition);
  EXECUTE format('DROP TABLE %s', partition);
END $$;
ALTER FUNCTION events_add_partition(timestamptz) SECURITY DEFINER SET search_path = public, pg_temp;
