-- Data protection (docs/security.md): data keys wrapped by the key-encryption key, tokens for card
-- and bank numbers, and personal data sealed in place (AES-256-GCM envelopes, `pse1.<key>.<iv>.<ct>`).

-- One row per data key: a record class (personal, instrument, file, lookup) has versions 1, 2...;
-- the newest version already active seals, every version opens. The key itself is stored only
-- wrapped (AES-256-GCM under the KEK, bound to the row's id); `kek_id` names the KEK that wrapped it.
-- `active_from` lies a little ahead of a rotation, so every process has loaded the new key before
-- any process seals with it.
CREATE TABLE data_keys (
  id            text PRIMARY KEY,
  record_class  text NOT NULL CHECK (record_class IN ('personal', 'instrument', 'file', 'lookup')),
  version       integer NOT NULL CHECK (version > 0),
  wrapped_key   text NOT NULL,
  kek_id        text NOT NULL,
  active_from   timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (record_class, version)
);

-- A card or bank account number, sealed, behind a `tok_` id. The keyed hash makes one number one
-- token (per mode and class) without a readable index; `fingerprint` is a second keyed hash the API
-- may show, so a caller can tell that two payments used the same card without seeing it.
CREATE TABLE tokens (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('card', 'bank_account')),
  sealed_value  text NOT NULL,
  value_hash    text NOT NULL,
  last4         text NOT NULL CHECK (last4 ~ '^[0-9A-Z]{4}$'),
  fingerprint   text NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (livemode, kind, value_hash)
);

-- Holders: name and email are sealed (longer than the text they hide); email equality through
-- a keyed hash.
ALTER TABLE holders DROP CONSTRAINT IF EXISTS holders_name_check;
ALTER TABLE holders DROP CONSTRAINT IF EXISTS holders_email_check;
ALTER TABLE holders ADD COLUMN email_hash text;
CREATE INDEX holders_email_hash ON holders (livemode, email_hash) WHERE email_hash IS NOT NULL;

-- Events stay immutable, except that a sealed payload may be sealed again under a newer data key
-- (rotation re-encrypts what the old key sealed); what the payload says cannot be checked here,
-- but a superuser could rewrite any row anyway: the audit chain is the tamper evidence.
CREATE OR REPLACE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.seq, NEW.id, NEW.livemode, NEW.type, NEW.object_id, NEW.created_at)
       IS NOT DISTINCT FROM (OLD.seq, OLD.id, OLD.livemode, OLD.type, OLD.object_id, OLD.created_at)
     AND ((OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.data::text = OLD.data::text)
          OR (NEW.position IS NOT DISTINCT FROM OLD.position
              AND json_typeof(OLD.data) = 'string' AND json_typeof(NEW.data) = 'string'
              AND OLD.data::text LIKE '"pse1.%' AND NEW.data::text LIKE '"pse1.%'))
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events are immutable; only an unset position may be set, or a sealed payload re-sealed'
    USING ERRCODE = 'restrict_violation';
END $$;
