-- Bytes per transfer (issue 21; docs/decisions.md, "Bytes per transfer (issue 21)"): events' index
-- by object keeps only the object id. It was (object_id, id), 150 bytes an event at 20,000
-- transfers: both columns are 30-byte text ids, and the sequencer's UPDATE (setting `position`, which
-- is indexed, so never a HOT update) writes every event's entry twice. With the object id alone,
-- the entries of one object (its events, and each event's two row versions) share one key, which
-- B-tree deduplication stores once with a list of row pointers.
--
-- Its one reader is the event list filtered by object (`GET /v1/events?object_id=`, src/events/
-- service.ts), newest first by id: the index finds the object's events and they are sorted by id,
-- which costs nothing for the handful of events an object has over its life (its state changes).
--
-- Rebuilt on every partition in this migration's transaction, which holds writes to events back
-- for as long as the build takes (docs/operations.md).
DROP INDEX events_object;
CREATE INDEX events_object ON events (object_id);
