-- OAuth 2.0 for partner apps (docs/oauth.md): apps registered by an API key, the holders' consents,
-- and what the authorization server (oidc-provider) stores: grants, codes, tokens, interactions.

-- A partner app. It authenticates with a client_secret, stored as a SHA-256 hash (it carries 256
-- random bits) and shown once, or with a client certificate whose subject is
-- tls_client_auth_subject_dn (RFC 8705 mutual TLS; its tokens are then bound to the certificate).
-- Deleting an app revokes it (revoked_at) and its consents; the row stays for their history.
CREATE TABLE oauth_clients (
  id             text PRIMARY KEY,
  livemode       boolean NOT NULL,
  name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  redirect_uris  text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
  scopes         text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 10),
  -- The spend policy a consent that grants payments:write gets (see src/policies/); NULL: the app
  -- may not ask for payments:write.
  spend_policy   jsonb CHECK (spend_policy IS NULL OR jsonb_typeof(spend_policy) = 'object'),
  secret_hash    bytea UNIQUE CHECK (octet_length(secret_hash) = 32),
  secret_last4   text CHECK (char_length(secret_last4) = 4),
  tls_client_auth_subject_dn  text CHECK (char_length(tls_client_auth_subject_dn) BETWEEN 1 AND 1000),
  created_by     text NOT NULL,
  metadata       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  revoked_at     timestamptz,
  created_at     timestamptz NOT NULL,
  CHECK ('payments:write' <> ALL (scopes) OR spend_policy IS NOT NULL),
  CHECK ((secret_hash IS NULL) = (secret_last4 IS NULL)),
  CHECK ((secret_hash IS NULL) = (tls_client_auth_subject_dn IS NOT NULL))
);
CREATE INDEX oauth_clients_list ON oauth_clients (livemode, id);

-- A holder's consent to one app: which scopes on which wallets, and the spend policy its payments
-- run under. `grant_id` is the authorization server's grant every code and token of it names.
-- Requests made with its tokens act as the consent: its id stands where an API key's would
-- (idempotency keys, spend counters, approvals, audit entries).
CREATE TABLE oauth_consents (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  client_id     text NOT NULL REFERENCES oauth_clients (id),
  holder_id     text NOT NULL REFERENCES holders (id),
  grant_id      text NOT NULL UNIQUE,
  scopes        text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 10),
  wallet_ids    text[] NOT NULL CHECK (cardinality(wallet_ids) BETWEEN 1 AND 100),
  spend_policy  jsonb CHECK (spend_policy IS NULL OR jsonb_typeof(spend_policy) = 'object'),
  status        text NOT NULL CHECK (status IN ('active', 'revoked')),
  -- Who revoked it: an API key id, 'client' (RFC 7009 or a reused code), or 'holder'.
  revoked_by    text,
  revoked_at    timestamptz,
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL,
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX oauth_consents_list ON oauth_consents (livemode, id);
CREATE INDEX oauth_consents_holder ON oauth_consents (holder_id, id);
CREATE INDEX oauth_consents_client ON oauth_consents (client_id, id);

-- The authorization server's own records (its adapter, src/oauth/adapter.ts): one row per model
-- instance. Opaque tokens are looked up by id, which is the token itself.
CREATE TABLE oauth_payloads (
  kind         text NOT NULL,
  id           text NOT NULL,
  payload      jsonb NOT NULL,
  grant_id     text,
  uid          text,
  expires_at   timestamptz,
  consumed_at  timestamptz,
  PRIMARY KEY (kind, id)
);
CREATE INDEX oauth_payloads_grant ON oauth_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oauth_payloads_uid ON oauth_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX oauth_payloads_expires ON oauth_payloads (expires_at);

-- What a request's credential id names is now an API key or a consent: the foreign keys to api_keys
-- of what a partner's request can write become one trigger that accepts either (files stay API
-- keys' only: a partner token uploads none).
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_api_key_id_fkey;
ALTER TABLE spend_counters DROP CONSTRAINT spend_counters_api_key_id_fkey;
ALTER TABLE approvals DROP CONSTRAINT approvals_api_key_id_fkey;
ALTER TABLE challenges DROP CONSTRAINT challenges_api_key_id_fkey;

CREATE FUNCTION credential_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.api_key_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM api_keys WHERE id = NEW.api_key_id)
     AND NOT EXISTS (SELECT 1 FROM oauth_consents WHERE id = NEW.api_key_id) THEN
    RAISE EXCEPTION 'no API key or consent %', NEW.api_key_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER idempotency_keys_credential BEFORE INSERT OR UPDATE OF api_key_id ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION credential_exists();
CREATE TRIGGER spend_counters_credential BEFORE INSERT OR UPDATE OF api_key_id ON spend_counters
  FOR EACH ROW EXECUTE FUNCTION credential_exists();
CREATE TRIGGER approvals_credential BEFORE INSERT OR UPDATE OF api_key_id ON approvals
  FOR EACH ROW EXECUTE FUNCTION credential_exists();
CREATE TRIGGER challenges_credential BEFORE INSERT OR UPDATE OF api_key_id ON challenges
  FOR EACH ROW EXECUTE FUNCTION credential_exists();
