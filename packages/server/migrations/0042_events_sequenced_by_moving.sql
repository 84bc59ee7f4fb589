-- Events waiting for their position live in a partition of their own, and the sequencer's UPDATE
-- moves each one into its month's partition as it numbers it. docs/decisions.md, "Events moved,
-- not updated, when numbered", gives the bytes this saves and why a move and not a table of
-- positions.
--
-- Before, numbering updated the row in its month's partition: `position` is indexed, so the update
-- was never HOT, and every event left a dead copy of its 440-byte row plus a second entry in each of
-- its three text indexes, in the partitions that hold events for months. Now `events` is
-- partitioned first by whether the position is set:
--   events                  PARTITION BY LIST ((position IS NULL))
--   ├── events_unsequenced  (true): written by the outbox, emptied by the sequencer
--   └── events_sequenced    (false): PARTITION BY RANGE (created_at), the months as before
-- An UPDATE that sets the position changes the partition key, so PostgreSQL deletes the row from
-- events_unsequenced and inserts it into its month: the months are written once and never again,
-- and the dead rows are all in one small table that vacuum empties. Readers still read `events`.

-- The month-partitioned table becomes the sequenced events. Its row trigger goes: the new parent's
-- is cloned onto every partition below it. Its statement trigger stays, for deletes aimed at it.
DROP TRIGGER events_immutable ON events;
ALTER TABLE events RENAME TO events_sequenced;
ALTER INDEX events_list RENAME TO events_sequenced_list;
ALTER INDEX events_object RENAME TO events_sequenced_object;
ALTER INDEX events_unsequenced RENAME TO events_sequenced_unnumbered;

-- Constraint names as the sequenced events', which attaching matches by name.
CREATE TABLE events (
  seq         bigint NOT NULL DEFAULT nextval('events_seq'),
  id          text NOT NULL,
  livemode    boolean NOT NULL,
  type        text NOT NULL CONSTRAINT events_type_check CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
  object_id   text NOT NULL CONSTRAINT events_object_id_check CHECK (char_length(object_id) BETWEEN 1 AND 64),
  data        json NOT NULL,
  created_at  timestamptz NOT NULL,
  position    bigint CONSTRAINT events_position_check CHECK (position > 0),
  facets      json
) PARTITION BY LIST ((position IS NULL));
ALTER SEQUENCE events_seq OWNED BY events.seq;

-- Every event passes through here: a dead row per event until vacuum reclaims it. Vacuumed after
-- every 1,000 dead rows rather than a fifth of the table, without the cost-based pauses, so the
-- table stays the size of the backlog (docs/operations.md, "Vacuum").
CREATE TABLE events_unsequenced PARTITION OF events FOR VALUES IN (true)
  WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);
SELECT events_partition_guards('events_unsequenced');

-- The events not yet numbered move here, through the old partial index, before it goes.
DO $$
DECLARE
  leaf regclass;
BEGIN
  FOR leaf IN SELECT relid FROM pg_partition_tree('events_sequenced') WHERE isleaf LOOP
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER events_permanent', leaf);
    EXECUTE format('WITH moved AS (DELETE FROM %s WHERE position IS NULL
                      RETURNING seq, id, livemode, type, object_id, data, created_at, position, facets)
                    INSERT INTO events_unsequenced SELECT * FROM moved', leaf);
    EXECUTE format('ALTER TABLE %s ENABLE TRIGGER events_permanent', leaf);
  END LOOP;
END $$;
DROP INDEX events_sequenced_unnumbered;

-- Checks that no sequenced event lacks a position: one read of every month, holding writes to
-- events back while it runs (docs/operations.md, "Migrations").
ALTER TABLE events ATTACH PARTITION events_sequenced FOR VALUES IN (false);

-- The indexes every partition has; the sequenced events' own are adopted, not built again.
CREATE INDEX events_list ON events (livemode, id);
CREATE INDEX events_object ON events (object_id);
-- The sequencer takes the oldest waiting events first, and numbers them by seq: unique, so that a
-- row written with another's seq cannot make it number two events where it picked one.
CREATE UNIQUE INDEX events_unsequenced_seq ON events_unsequenced (seq);

-- As migration 0036's. The UPDATE that numbers an event passes it: only the position changes,
-- from unset to set, which is what moves the row.
CREATE TRIGGER events_immutable BEFORE UPDATE ON events FOR EACH ROW
  WHEN (OLD.position IS NOT NULL OR NEW.position IS NULL
        OR (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.data::text, NEW.created_at, NEW.facets::text)
           IS DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.data::text, OLD.created_at, OLD.facets::text))
  EXECUTE FUNCTION events_immutable();
CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();

-- As migration 0036's, with the months under events_sequenced.
CREATE OR REPLACE FUNCTION events_add_partition(month_start timestamptz) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  lower_bound timestamptz := date_trunc('month', month_start, 'UTC');
  upper_bound timestamptz := date_trunc('month', date_trunc('month', month_start, 'UTC') + interval '32 days', 'UTC');
  name text := 'events_p' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF events_sequenced FOR VALUES FROM (%L) TO (%L)',
      name, lower_bound, upper_bound);
  EXCEPTION WHEN invalid_object_definition OR check_violation THEN
    RETURN false;
  END;
  PERFORM events_partition_guards(name::regclass);
  RETURN true;
END $$;

-- As migration 0036's, but events waiting for a position are no longer in the month's partition:
-- one of the month or before it (an event numbered goes to the month of its created_at) holds the
-- month back, as it would land in the default partition once the month is gone.
CREATE OR REPLACE FUNCTION events_partition_blocked(partition regclass) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  found boolean;
  upper_bound timestamptz := (SELECT (regexp_match(pg_get_expr(relpartbound, oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
                              FROM pg_class WHERE oid = partition);
BEGIN
  IF EXISTS (SELECT 1 FROM events_unsequenced WHERE created_at < upper_bound) THEN
    RETURN 'unsequenced events';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM webhook_deliveries d JOIN %s e ON e.id = d.event_id
    WHERE d.status = ''pending'')', partition) INTO found;
  IF found THEN RETURN 'pending webhook deliveries'; END IF;
  -- Every fold's cursor must be past them: the least one decides.
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE position > (SELECT coalesce(min(position), 0)
    FROM rollup_cursors))', partition) INTO found;
  IF found THEN RETURN 'events not folded into the rollups'; END IF;
  RETURN NULL;
END $$;

-- As migration 0036's, with the months under events_sequenced.
CREATE OR REPLACE FUNCTION events_drop_archived_partition(partition_name text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  archive event_archives;
  partition regclass := to_regclass(partition_name);
  actual record;
  blocked text;
BEGIN
  SELECT * INTO archive FROM event_archives WHERE event_archives.partition_name = $1;
  IF archive IS NULL OR partition IS NULL OR partition_name = 'events_default'
     OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = partition AND inhparent = 'events_sequenced'::regclass)
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
  EXECUTE format('ALTER TABLE events_sequenced DETACH PARTITION %s', partition);
  EXECUTE format('DROP TABLE %s', partition);
END $$;
