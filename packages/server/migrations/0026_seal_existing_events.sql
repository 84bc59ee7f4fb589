-- Events written before 0025 hold their payload in plain JSON; `purse keys seal-existing` seals
-- them in place. The trigger of 0025 let a sealed payload be sealed again (rotation); this lets a
-- plain one be sealed too. Nothing else about an event may change, and a sealed payload never
-- becomes plain again.
CREATE OR REPLACE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.created_at)
       IS NOT DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.created_at)
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
