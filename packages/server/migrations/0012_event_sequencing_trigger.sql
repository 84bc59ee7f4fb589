-- The sequencer sets each event's position with one UPDATE per round, and the immutability trigger
-- ran PL/pgSQL for every row of it (about 9 µs a row on the 2-core machine, measured with
-- track_functions). As for the audit chain (0011), the one allowed update, an unset position being
-- set with nothing else moving, is now recognised in the trigger's WHEN clause, which the executor
-- checks without calling the function; any other update still reaches the function and is refused.
DROP TRIGGER events_immutable ON events;
CREATE TRIGGER events_immutable BEFORE UPDATE ON events FOR EACH ROW
  WHEN (OLD.position IS NOT NULL OR NEW.position IS NULL
        OR (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.data::text, NEW.created_at)
           IS DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.data::text, OLD.created_at))
  EXECUTE FUNCTION events_immutable();
