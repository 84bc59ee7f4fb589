-- Two of the events' four indexes get smaller (issue 21, bytes per transfer; docs/decisions.md,
-- "Smaller indexes on events"):
--
-- 1. Each partition had a unique index on id and, inherited from `events_list`, one on
--    (livemode, id): the same text key twice. One unique index on (livemode, id) serves both the
--    list by mode, newest first, and the event by id, since every read by id names its mode
--    (src/events, src/webhooks). An id is unique within its mode, as every object's is.
-- 2. `events_object` becomes a hash index. Its one reader, the event list filtered by object, asks
--    for one object's few events by equality and sorts them itself; a B-tree over object ids that
--    arrive out of order (the ids of concurrent requests) splits its pages half full.
--
-- Both indexes are built again in this transaction, holding writes to events back meanwhile
-- (docs/operations.md, "Migrations").

-- Partitions created from now on get the unique index on (livemode, id) in place of the one on id.
CREATE OR REPLACE FUNCTION events_partition_guards(partition regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = partition);
BEGIN
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (livemode, id)', name || '_mode_id', partition);
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (position) WHERE position IS NOT NULL',
    name || '_position', partition);
  EXECUTE format('CREATE TRIGGER events_permanent BEFORE DELETE OR TRUNCATE ON %s
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent()', partition);
END $$;

-- Every partition now: the new unique index first, then the old one on id alone goes (the first
-- partition's is its primary key).
DO $$
DECLARE
  leaf regclass;
  old record;
BEGIN
  FOR leaf IN SELECT relid FROM pg_partition_tree('events') WHERE isleaf LOOP
    EXECUTE format('CREATE UNIQUE INDEX %I ON %s (livemode, id)',
      (SELECT relname FROM pg_class WHERE oid = leaf) || '_mode_id', leaf);
    FOR old IN
      SELECT x.indexrelid::regclass AS index, c.conname
      FROM pg_index x LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = leaf
      WHERE x.indrelid = leaf AND x.indisunique AND x.indnatts = 1
        AND x.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = leaf AND attname = 'id')
    LOOP
      IF old.conname IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', leaf, old.conname);
      ELSE
        EXECUTE format('DROP INDEX %s', old.index);
      END IF;
    END LOOP;
  END LOOP;
END $$;

-- Each drops the index of every partition below it too.
DROP INDEX events_list;
DROP INDEX events_object;
CREATE INDEX events_object ON events USING hash (object_id);

-- As migration 0042's, reading a pending delivery's event by its mode and id.
CREATE OR REPLACE FUNCTION events_partition_blocked(partition regclass) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  found boolean;
  upper_bound timestamptz := (SELECT (regexp_match(pg_get_expr(relpartbound, oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
                              FROM pg_class WHERE oid = partition);
BEGIN
  IF EXISTS (SELECT 1 FROM events_unsequenced WHERE created_at < upper_bound) THEN
    RETURN 'unsequenced events';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
    JOIN %s e ON e.livemode = w.livemode AND e.id = d.event_id WHERE d.status = ''pending'')', partition) INTO found;
  IF found THEN RETURN 'pending webhook deliveries'; END IF;
  -- Every fold's cursor must be past them: the least one decides.
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE position > (SELECT coalesce(min(position), 0)
    FROM rollup_cursors))', partition) INTO found;
  IF found THEN RETURN 'events not folded into the rollups'; END IF;
  RETURN NULL;
END $$;
