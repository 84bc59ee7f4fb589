-- Currency conversion (docs/fx.md): exchange rates with their source and time, quotes that lock a
-- rate and the platform's spread until they expire, and conversions, each one ledger entry through
-- the FX position accounts of its two assets (the ledger still balances per asset).

-- Two more system accounts per asset: the platform's FX position (what its conversions bought and
-- sold of the asset; it goes negative in the assets it sold) and the spread it earned, in the
-- asset the customer received.
CREATE OR REPLACE FUNCTION create_system_accounts(p_livemode boolean, p_asset text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO accounts (id, livemode, asset, kind, purpose)
  SELECT system_account_id(p_livemode, p_asset, purpose), p_livemode, p_asset, 'system', purpose
  FROM unnest(ARRAY['fees', 'escrow', 'settlement', 'suspense', 'rail_clearing:card',
    'rail_clearing:bank_account', 'rail_clearing:crypto', 'rail_clearing:bank_file',
    'fx_position', 'fx_spread']) AS purpose
  ON CONFLICT DO NOTHING
$$;

SELECT create_system_accounts(livemode, code) FROM assets;

CREATE TABLE fx_rates (
  id          text PRIMARY KEY,
  livemode    boolean NOT NULL,
  base        text NOT NULL,
  quote       text NOT NULL,
  -- Units of `quote` one unit of `base` buys, exactly as the source gave it.
  rate        numeric NOT NULL CHECK (rate > 0 AND rate < 1e13),
  -- 'api' (an operator's POST /v1/fx_rates) or 'ecb' (the ECB reference-rate file).
  source      text NOT NULL CHECK (source IN ('api', 'ecb')),
  -- When the source says the rate held: a rate older than the configured age is never quoted.
  as_of       timestamptz NOT NULL,
  created_at  timestamptz NOT NULL,
  CHECK (base <> quote),
  FOREIGN KEY (livemode, base) REFERENCES assets (livemode, code),
  FOREIGN KEY (livemode, quote) REFERENCES assets (livemode, code)
);
-- The newest rate of a pair is one index probe.
CREATE INDEX fx_rates_pair ON fx_rates (livemode, base, quote, as_of DESC, id DESC);
CREATE INDEX fx_rates_list ON fx_rates (livemode, id);
-- An imported file read twice records its rates once.
CREATE UNIQUE INDEX fx_rates_imported ON fx_rates (livemode, source, base, quote, as_of) WHERE source <> 'api';

CREATE TABLE fx_quotes (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  status           text NOT NULL CHECK (status IN ('open', 'used')),
  -- The key that asked: a restricted key reads its own quotes only.
  api_key_id       text NOT NULL,
  -- Set: only this holder's wallets may use the quote.
  holder_id        text REFERENCES holders (id),
  source_asset     text NOT NULL,
  target_asset     text NOT NULL,
  source_amount    numeric(39, 0) NOT NULL CHECK (source_amount > 0 AND source_amount <= 1e27),
  target_amount    numeric(39, 0) NOT NULL CHECK (target_amount > 0 AND target_amount <= 1e27),
  -- What the mid rate would have given, minus target_amount: the platform's revenue, in target units.
  spread_amount    numeric(39, 0) NOT NULL CHECK (spread_amount >= 0),
  rate             numeric NOT NULL CHECK (rate > 0),
  mid_rate         numeric NOT NULL CHECK (mid_rate >= rate),
  spread_bps       integer NOT NULL CHECK (spread_bps BETWEEN 0 AND 5000),
  rate_source      text NOT NULL,
  rate_as_of       timestamptz NOT NULL,
  -- Which amount the asker fixed: the other was computed from it.
  fixed_side       text NOT NULL CHECK (fixed_side IN ('source', 'target')),
  conversion_id    text,
  expires_at       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  CHECK (source_asset <> target_asset),
  CHECK ((status = 'used') = (conversion_id IS NOT NULL))
);
CREATE INDEX fx_quotes_list ON fx_quotes (livemode, id);

-- A conversion between two wallets of a holder, or the conversion a transfer or payout made on its
-- way (kind transfer: the target is the payee's wallet; kind payout: the money left through a
-- rail, so there is no target wallet).
CREATE TABLE conversions (
  id               text PRIMARY KEY,
  livemode         boolean NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('conversion', 'transfer', 'payout')),
  -- reversed: a payout that converted failed or came back, and its conversion was undone.
  status           text NOT NULL CHECK (status IN ('succeeded', 'reversed')),
  holder_id        text REFERENCES holders (id),
  quote_id         text UNIQUE REFERENCES fx_quotes (id),
  source_wallet_id text NOT NULL REFERENCES accounts (id),
  target_wallet_id text REFERENCES accounts (id),
  source_asset     text NOT NULL,
  target_asset     text NOT NULL,
  source_amount    numeric(39, 0) NOT NULL CHECK (source_amount > 0),
  target_amount    numeric(39, 0) NOT NULL CHECK (target_amount > 0),
  spread_amount    numeric(39, 0) NOT NULL CHECK (spread_amount >= 0),
  rate             numeric NOT NULL CHECK (rate > 0),
  mid_rate         numeric NOT NULL CHECK (mid_rate >= rate),
  spread_bps       integer NOT NULL,
  rate_source      text NOT NULL,
  ledger_transaction_id text NOT NULL,
  description      text CHECK (char_length(description) <= 1000),
  metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at       timestamptz NOT NULL,
  reversed_at      timestamptz,
  CHECK ((status = 'reversed') = (reversed_at IS NOT NULL)),
  CHECK (status = 'succeeded' OR kind = 'payout'),
  CHECK (source_asset <> target_asset),
  CHECK (source_wallet_id <> target_wallet_id),
  CHECK ((kind = 'payout') = (target_wallet_id IS NULL)),
  CHECK (kind = 'conversion' OR quote_id IS NOT NULL)
);
CREATE INDEX conversions_list ON conversions (livemode, id);
CREATE INDEX conversions_source ON conversions (source_wallet_id, id);
CREATE INDEX conversions_target ON conversions (target_wallet_id, id);

-- A transfer or payout that converted on its way names its conversion; a failed or returned
-- payout undoes it (payouts/lifecycle.ts).
ALTER TABLE transfers ADD COLUMN conversion_id text REFERENCES conversions (id);
ALTER TABLE payouts ADD COLUMN conversion_id text REFERENCES conversions (id);
