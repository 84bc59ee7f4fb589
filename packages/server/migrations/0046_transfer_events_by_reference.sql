-- The transfer.posted event of a transfer posted at once refers to its transfer instead of copying
-- it (issue 21, bytes per transfer; docs/decisions.md, "Events that refer to their transfer"): its
-- `data` is NULL, and readers render the transfer's view as it was created from the transfers row
-- (src/events/view.ts, `withData`). The sealed copy was 263 of the event's 412 bytes.
--
-- That view can be rendered at any later time because such a transfer never changes but for its
-- refunded amounts, which its view does not show: the trigger below keeps it so, and transfers are
-- never deleted (migration 0045). A hold changes on capture, void and expiry,
-- so its events keep their copies, as do every other object's.
--
-- Adding the CHECK reads every event once, holding writes to events back meanwhile
-- (docs/operations.md, "Migrations").
ALTER TABLE events ALTER COLUMN data DROP NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_data_by_reference CHECK (data IS NOT NULL OR type = 'transfer.posted');

CREATE FUNCTION transfers_posted_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfer % was posted at once: only its refunded amounts change', old.id
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER transfers_posted_fixed BEFORE UPDATE ON transfers FOR EACH ROW
  WHEN (NOT old.hold AND to_jsonb(new) - '{refunded_amount,refunded_parts}'::text[]
                      <> to_jsonb(old) - '{refunded_amount,refunded_parts}'::text[])
  EXECUTE FUNCTION transfers_posted_fixed();
