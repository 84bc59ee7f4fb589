-- Every API key secret that stopped being its key's current secret, by a roll or a revocation. Such
-- a secret may have leaked (that is why keys are rolled), so it is never registered again: before,
-- a rolled PURSE_BOOTSTRAP_KEY was registered anew as a `*` key on the next start (issue 13,
-- defect 7). Written by triggers, so every path that rolls or revokes (API, CLI, SQL) records it.
CREATE TABLE retired_api_key_secrets (
  secret_hash  bytea PRIMARY KEY CHECK (octet_length(secret_hash) = 32),
  api_key_id   text NOT NULL REFERENCES api_keys (id),
  reason       text NOT NULL CHECK (reason IN ('rolled', 'revoked')),
  retired_at   timestamptz NOT NULL
);

-- What earlier rolls and revocations left behind: the secret before the last roll, when it is still
-- known, and the secret of every revoked key.
INSERT INTO retired_api_key_secrets (secret_hash, api_key_id, reason, retired_at)
SELECT previous_secret_hash, id, 'rolled', rolled_at FROM api_keys WHERE previous_secret_hash IS NOT NULL
UNION ALL
SELECT secret_hash, id, 'revoked', revoked_at FROM api_keys WHERE revoked_at IS NOT NULL
ON CONFLICT (secret_hash) DO NOTHING;

CREATE FUNCTION api_keys_retire_secret() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.secret_hash IS DISTINCT FROM OLD.secret_hash THEN
    INSERT INTO retired_api_key_secrets (secret_hash, api_key_id, reason, retired_at)
    VALUES (OLD.secret_hash, OLD.id, 'rolled', coalesce(NEW.rolled_at, now()))
    ON CONFLICT (secret_hash) DO NOTHING;
  END IF;
  IF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
    INSERT INTO retired_api_key_secrets (secret_hash, api_key_id, reason, retired_at)
    VALUES (NEW.secret_hash, NEW.id, 'revoked', NEW.revoked_at)
    ON CONFLICT (secret_hash) DO NOTHING;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER api_keys_retire_secret AFTER UPDATE OF secret_hash, revoked_at ON api_keys
  FOR EACH ROW EXECUTE FUNCTION api_keys_retire_secret();

-- The second check (the first is ensureBootstrapKey's): no key, new or rolled, takes a retired secret.
CREATE FUNCTION api_keys_refuse_retired_secret() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM retired_api_key_secrets WHERE secret_hash = NEW.secret_hash) THEN
    RAISE EXCEPTION 'API key secret was retired by a roll or revocation and cannot be used again'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'api_keys_secret_not_retired';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER api_keys_refuse_retired_secret BEFORE INSERT OR UPDATE OF secret_hash ON api_keys
  FOR EACH ROW EXECUTE FUNCTION api_keys_refuse_retired_secret();

-- A retired secret stays retired: the API's role may add rows but never take one back.
CREATE TRIGGER retired_api_key_secrets_permanent BEFORE UPDATE OR DELETE OR TRUNCATE
  ON retired_api_key_secrets FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_permanent();
