-- The EVM rail (docs/crypto.md): deposit addresses derived from one HD seed, deposits read from the
-- chain, transactions Purse signs with their nonces, and the gas they cost.

-- The HD seed is sealed under its own record class: nothing else shares its data key.
ALTER TABLE data_keys DROP CONSTRAINT data_keys_record_class_check;
ALTER TABLE data_keys ADD CONSTRAINT data_keys_record_class_check
  CHECK (record_class IN ('personal', 'instrument', 'file', 'lookup', 'signing'));

-- Secrets of the chain rail, one row per name (today 'evm_hd_seed'), sealed.
CREATE TABLE chain_secrets (
  name        text PRIMARY KEY,
  sealed      text NOT NULL,
  created_at  timestamptz NOT NULL
);

-- The HD index (m/44'/60'/0'/0/index) a derived deposit address was made from. Index 0 is the hot
-- wallet's, so deposit addresses start at 1.
ALTER TABLE deposit_addresses ADD COLUMN derivation_index integer UNIQUE CHECK (derivation_index > 0);
CREATE SEQUENCE evm_derivation_index_seq START 1;

-- How far the block watcher has read each network: the next block to read, and the hash of the
-- last one read (a different parent hash there is a reorg).
CREATE TABLE chain_cursors (
  network          text PRIMARY KEY,
  next_block       bigint NOT NULL CHECK (next_block >= 0),
  last_block_hash  text
);

-- A deposit seen on chain: a native transfer (log_index -1) or an ERC-20 Transfer log, with the block
-- it was seen in. `seen` until its payment is credited (`credited`) or its block is replaced
-- (`reorged`); `unassigned` when its wallet could not take a payment (frozen, closed): the money is
-- on chain at our address and waits for an operator. A deposit is recorded once while it is live; one whose block was replaced no longer
-- counts, so the same transaction mined again in another block is a new deposit.
CREATE TABLE chain_deposits (
  id            text PRIMARY KEY,
  network       text NOT NULL,
  tx_hash       text NOT NULL,
  log_index     integer NOT NULL CHECK (log_index >= -1),
  livemode      boolean NOT NULL,
  address       text NOT NULL REFERENCES deposit_addresses (address),
  asset         text NOT NULL,
  amount        numeric(39,0) NOT NULL CHECK (amount > 0),
  block_number  bigint NOT NULL,
  block_hash    text NOT NULL,
  payment_id    text REFERENCES payments (id),
  status        text NOT NULL CHECK (status IN ('seen', 'credited', 'reorged', 'unassigned')),
  -- Why an unassigned deposit was not credited (a frozen wallet, a risk rule), for the operator.
  held_reason   text,
  swept_at      timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX chain_deposits_live ON chain_deposits (network, tx_hash, log_index)
  WHERE status <> 'reorged';
CREATE INDEX chain_deposits_waiting ON chain_deposits (network, block_number) WHERE status = 'seen';
CREATE INDEX chain_deposits_unswept ON chain_deposits (address) WHERE status = 'credited' AND swept_at IS NULL;

-- One row per address Purse sends from: its next nonce, locked FOR UPDATE while one is assigned.
CREATE TABLE evm_senders (
  address     text PRIMARY KEY,
  next_nonce  bigint NOT NULL CHECK (next_nonce >= 0)
);

-- Every transaction Purse signs, stored signed before it is broadcast, so a retry sends the same
-- bytes. `purpose` is what it does: a payout, a sweep of a deposit address, gas sent to one.
CREATE TABLE evm_transactions (
  id            text PRIMARY KEY,
  network       text NOT NULL,
  livemode      boolean NOT NULL,
  sender        text NOT NULL REFERENCES evm_senders (address),
  nonce         bigint NOT NULL,
  purpose       text NOT NULL CHECK (purpose IN ('payout', 'sweep', 'gas')),
  reference_id  text NOT NULL,
  asset         text NOT NULL,
  amount        numeric(39,0) NOT NULL CHECK (amount >= 0),
  tx_hash       text NOT NULL UNIQUE,
  raw           text NOT NULL,
  status        text NOT NULL CHECK (status IN ('signed', 'broadcast', 'succeeded', 'reverted', 'dropped')),
  block_number  bigint,
  gas_fee_wei   numeric(39,0),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  UNIQUE (sender, nonce)
);
CREATE UNIQUE INDEX evm_transactions_one_payout ON evm_transactions (reference_id) WHERE purpose = 'payout';
CREATE INDEX evm_transactions_open ON evm_transactions (status) WHERE status IN ('signed', 'broadcast');

-- Whether the hot wallet was last seen below its threshold in an asset, so the event is sent once
-- per crossing rather than every round.
CREATE TABLE evm_hot_wallet_alerts (
  asset     text PRIMARY KEY,
  low       boolean NOT NULL,
  checked_at timestamptz NOT NULL
);

-- Gas paid in the native coin is the platform's cost: a system account of its own per asset.
CREATE OR REPLACE FUNCTION create_system_accounts(p_livemode boolean, p_asset text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO accounts (id, livemode, asset, kind, purpose)
  SELECT system_account_id(p_livemode, p_asset, purpose), p_livemode, p_asset, 'system', purpose
  FROM unnest(ARRAY['fees', 'escrow', 'settlement', 'suspense', 'rail_clearing:card',
    'rail_clearing:bank_account', 'rail_clearing:crypto', 'rail_clearing:bank_file',
    'fx_position', 'fx_spread', 'network_fees']) AS purpose
  ON CONFLICT DO NOTHING
$$;

SELECT create_system_accounts(livemode, code) FROM assets;
