-- Foundation: API keys, idempotency records, assets and holders.
-- Every object row carries `livemode`; a request only ever reads and writes its key's mode.

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  livemode      boolean NOT NULL,
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  -- SHA-256 of the whole secret. Secrets carry 256 random bits, so a fast hash is enough.
  secret_hash   bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
  secret_last4  text NOT NULL CHECK (char_length(secret_last4) = 4),
  scopes        text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 100),
  api_version   text NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  metadata      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_list ON api_keys (livemode, id);

-- One row per (API key, Idempotency-Key), written in the same transaction as the request's effect,
-- together with the response. Concurrent requests with one key are serialised by a transaction-level
-- advisory lock on the key (see src/http/idempotency-store.ts), so a row always has its response.
CREATE TABLE idempotency_keys (
  api_key_id      text NOT NULL REFERENCES api_keys (id),
  key             text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  fingerprint     bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  response_status integer NOT NULL CHECK (response_status BETWEEN 200 AND 499),
  response_body   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

CREATE TABLE assets (
  livemode    boolean NOT NULL,
  code        text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
  scale       smallint NOT NULL CHECK (scale BETWEEN 0 AND 18),
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  custom      boolean NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (livemode, code)
);

INSERT INTO assets (livemode, code, scale, name, custom)
SELECT modes.livemode, builtin.code, builtin.scale, builtin.name, false
FROM (VALUES (true), (false)) AS modes (livemode),
(VALUES
  ('USD', 2, 'US Dollar'), ('EUR', 2, 'Euro'), ('GBP', 2, 'Pound Sterling'), ('JPY', 0, 'Yen'),
  ('CHF', 2, 'Swiss Franc'), ('CAD', 2, 'Canadian Dollar'), ('AUD', 2, 'Australian Dollar'),
  ('NZD', 2, 'New Zealand Dollar'), ('CNY', 2, 'Yuan Renminbi'), ('HKD', 2, 'Hong Kong Dollar'),
  ('SGD', 2, 'Singapore Dollar'), ('SEK', 2, 'Swedish Krona'), ('NOK', 2, 'Norwegian Krone'),
  ('DKK', 2, 'Danish Krone'), ('PLN', 2, 'Zloty'), ('CZK', 2, 'Czech Koruna'), ('HUF', 2, 'Forint'),
  ('RON', 2, 'Romanian Leu'), ('ISK', 0, 'Iceland Krona'), ('TRY', 2, 'Turkish Lira'),
  ('ILS', 2, 'New Israeli Sheqel'), ('AED', 2, 'UAE Dirham'), ('SAR', 2, 'Saudi Riyal'),
  ('QAR', 2, 'Qatari Rial'), ('KWD', 3, 'Kuwaiti Dinar'), ('BHD', 3, 'Bahraini Dinar'),
  ('OMR', 3, 'Rial Omani'), ('JOD', 3, 'Jordanian Dinar'), ('TND', 3, 'Tunisian Dinar'),
  ('INR', 2, 'Indian Rupee'), ('IDR', 2, 'Rupiah'), ('KRW', 0, 'Won'), ('MYR', 2, 'Malaysian Ringgit'),
  ('PHP', 2, 'Philippine Peso'), ('THB', 2, 'Baht'), ('VND', 0, 'Dong'), ('TWD', 2, 'New Taiwan Dollar'),
  ('PKR', 2, 'Pakistan Rupee'), ('BRL', 2, 'Brazilian Real'), ('MXN', 2, 'Mexican Peso'),
  ('ARS', 2, 'Argentine Peso'), ('CLP', 0, 'Chilean Peso'), ('COP', 2, 'Colombian Peso'),
  ('PEN', 2, 'Sol'), ('ZAR', 2, 'Rand'), ('NGN', 2, 'Naira'), ('KES', 2, 'Kenyan Shilling'),
  ('EGP', 2, 'Egyptian Pound'), ('MAD', 2, 'Moroccan Dirham'), ('UGX', 0, 'Uganda Shilling'),
  ('XOF', 0, 'CFA Franc BCEAO'), ('XAF', 0, 'CFA Franc BEAC'),
  ('USDC', 6, 'USD Coin'), ('USDT', 6, 'Tether USD'), ('BTC', 8, 'Bitcoin'), ('ETH', 18, 'Ether')
) AS builtin (code, scale, name);

CREATE TABLE holders (
  id           text PRIMARY KEY,
  livemode     boolean NOT NULL,
  name         text CHECK (char_length(name) <= 200),
  email        text CHECK (char_length(email) <= 254),
  external_id  text CHECK (char_length(external_id) BETWEEN 1 AND 200),
  kyc_status   text NOT NULL DEFAULT 'unverified'
               CHECK (kyc_status IN ('unverified', 'pending', 'verified', 'rejected')),
  kyc_tier     smallint NOT NULL DEFAULT 0 CHECK (kyc_tier BETWEEN 0 AND 9),
  metadata     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (livemode, external_id)
);
CREATE INDEX holders_list ON holders (livemode, id);

