-- Operators (docs/dashboard.md): the people who run the money sign in to the dashboard with an
-- email, a password and an authenticator code. They are not API keys: no mode of their own (the
-- session picks test or live per request), a role instead of scopes, and a second operator for
-- four-eyes decisions. Emails are found by keyed hash and stored sealed, like holders'.

CREATE TABLE operators (
  id               text PRIMARY KEY CHECK (id ~ '^op_'),
  email_hash       text NOT NULL UNIQUE,
  -- Sealed (record class personal).
  email            text NOT NULL,
  name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  role             text NOT NULL CHECK (role IN ('admin', 'finance', 'support', 'viewer')),
  -- scrypt with its parameters and salt: "scrypt$N$r$p$salt$hash" (operators/passwords.ts).
  password_hash    text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  -- Sealed (record class personal): the authenticator app's TOTP secret.
  totp_secret      text NOT NULL,
  -- The last TOTP step accepted: a code signs in once, even inside its 30-second window.
  totp_last_step   bigint,
  failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until     timestamptz,
  disabled_at      timestamptz,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX operators_list ON operators (id);

-- A signed-in browser. Only the token's SHA-256 is kept; the CSRF token is derived from the token
-- with a keyed hash, so nothing here lets a database reader act as the operator.
CREATE TABLE operator_sessions (
  id            text PRIMARY KEY CHECK (id ~ '^opsess_'),
  operator_id   text NOT NULL REFERENCES operators (id),
  token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  ip            text NOT NULL,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id) WHERE ended_at IS NULL;

-- Four-eyes: the operators who said yes to an approval. It executes once two distinct operators
-- have (the operator whose request was parked counts as one).
CREATE TABLE approval_signoffs (
  approval_id  text NOT NULL REFERENCES approvals (id),
  operator_id  text NOT NULL REFERENCES operators (id),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (approval_id, operator_id)
);

-- A request's credential id may now name an operator too (idempotency keys, spend counters,
-- approvals and challenges an operator's request writes); files may be uploaded by one as well.
CREATE OR REPLACE FUNCTION credential_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.api_key_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM api_keys WHERE id = NEW.api_key_id)
     AND NOT EXISTS (SELECT 1 FROM oauth_consents WHERE id = NEW.api_key_id)
     AND NOT EXISTS (SELECT 1 FROM operators WHERE id = NEW.api_key_id) THEN
    RAISE EXCEPTION 'no API key, consent or operator %', NEW.api_key_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;

ALTER TABLE files DROP CONSTRAINT files_api_key_id_fkey;
CREATE TRIGGER files_credential BEFORE INSERT OR UPDATE OF api_key_id ON files
  FOR EACH ROW EXECUTE FUNCTION credential_exists();

-- A large refund an operator asks for waits for a second operator (operators/config.ts).
ALTER TABLE approvals DROP CONSTRAINT approvals_reason_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_reason_check
  CHECK (reason IN ('spend_policy', 'risk_review', 'four_eyes'));
