-- Onboarding and verification (docs/identity.md): uploaded files (identity documents, proofs of
-- address, business documents) and verification sessions of holders (KYC for a person, KYB for a
-- business with its owners). File contents and the personal data a session carries are sealed by
-- the envelope encryption of crypto/ before they reach these tables: a dump holds none in clear.

CREATE TABLE files (
  id           text PRIMARY KEY,
  livemode     boolean NOT NULL,
  purpose      text NOT NULL CHECK (purpose IN ('identity_document', 'proof_of_address', 'business_document')),
  -- Read from the content's first bytes, never from the declared Content-Type.
  type         text NOT NULL CHECK (type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes   integer NOT NULL CHECK (size_bytes > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- The key that uploaded it: a restricted key sees and attaches only its own uploads.
  api_key_id   text NOT NULL REFERENCES api_keys (id),
  -- Sealed (record class file): the bytes as uploaded, never served back.
  content      text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX files_list ON files (livemode, id);

CREATE TABLE verification_sessions (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  holder_id     text NOT NULL REFERENCES holders (id),
  type          text NOT NULL CHECK (type IN ('person', 'business')),
  status        text NOT NULL CHECK (status IN ('requires_input', 'processing', 'verified', 'rejected')),
  -- The input as given (names, dates of birth, addresses, document numbers), sealed JSON
  -- (record class personal).
  input         text NOT NULL,
  -- What input is still missing, by field path; empty unless requires_input.
  missing_fields text[] NOT NULL DEFAULT '{}',
  -- Why a processing session waits for an operator: a possible sanctions match, or no verifier
  -- decides in this mode (live mode without a provider).
  review        text CHECK (review IN ('sanctions', 'manual')),
  -- The list entries a screening matched at or above the review score (public list data, and a
  -- keyed hash of the screened name, never shown).
  sanctions_matches jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sanctions_matches) = 'array'),
  -- The possible matches an operator cleared (by party, list entry and a keyed hash of the name
  -- reviewed): they do not send the session to review again; another name or entry does.
  sanctions_cleared jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sanctions_cleared) = 'array'),
  last_error_code   text,
  last_error_reason text CHECK (char_length(last_error_reason) <= 500),
  verified_tier smallint CHECK (verified_tier BETWEEN 0 AND 9),
  file_ids      text[] NOT NULL DEFAULT '{}',
  metadata      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CHECK ((status = 'processing') = (review IS NOT NULL)),
  CHECK ((status = 'verified') = (verified_tier IS NOT NULL)),
  CHECK (status <> 'rejected' OR last_error_code IS NOT NULL)
);
CREATE INDEX verification_sessions_list ON verification_sessions (livemode, id);
CREATE INDEX verification_sessions_of_holder ON verification_sessions (holder_id, id);
-- One open session per holder: two at once could each set the holder's tier from different input.
CREATE UNIQUE INDEX verification_sessions_one_open ON verification_sessions (holder_id)
  WHERE status IN ('requires_input', 'processing');

-- Holders blocked by a sanctions match (identity/sanctions-blocks.ts): by a verification, an
-- operator's confirmation or a listed name given to the holder. A block stays while the holder is
-- `rejected`: no later verification lifts it; an operator lifts it by setting the holder's
-- kyc_status (POST /v1/holders/:id), after which the row is forgotten.
CREATE TABLE sanctions_blocks (
  holder_id  text PRIMARY KEY REFERENCES holders (id),
  blocked_at timestamptz NOT NULL
);
