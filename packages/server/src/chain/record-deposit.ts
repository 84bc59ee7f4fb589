import type { Address, Hex } from 'viem';
import { assetScale } from '../assets/service.js';
import type { Client } from '../db/pool.js';
import { depositMovements } from '../guard/movements-of.js';
import { screenMovements, unattendedRequest } from '../guard/screen.js';
import { createPayment } from '../payments/service.js';
import type { PaymentView } from '../payments/view.js';
import type { PayInAccepted } from '../rails/rail.js';
import { screenAndApply } from '../requests/screening.js';
import { enabledRules } from '../risk/rules.js';
import { assert } from '../shared/assert.js';
import { domainError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { formatAmount } from '../shared/money.js';
import { fail, type Result } from '../shared/result.js';
import { carriedAsset, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';

/** A transfer to a deposit address, as the watcher read it from a block. */
export interface SeenDeposit {
  readonly tx_hash: Hex;
  /** The Transfer log's index in its block; -1 for a native transfer (the transaction's value). */
  readonly log_index: number;
  readonly address: Address;
  readonly asset: string;
  readonly amount_minor: bigint;
  readonly block_number: bigint;
  readonly block_hash: Hex;
}

interface AddressOwner {
  wallet_id: string;
  livemode: boolean;
  wallet_asset: string;
}

/**
 * Records deposits the watcher saw, each once: (network, tx hash, log index) is unique among live
 * deposits, so a block read twice (a retried round, a second worker) adds nothing. A deposit seen
 * again in another block (its first block replaced, the transaction mined again) keeps its payment
 * and takes the new block. A new one becomes a `processing` payment into the address's wallet,
 * through the same pay-in path and events as every payment; the confirmation task credits it.
 */
export async function recordDeposits(
  db: Client,
  deps: ChainDeps,
  deposits: readonly SeenDeposit[],
  now: Date,
): Promise<number> {
  let recorded = 0;
  for (const deposit of deposits) {
    const id = await insertDeposit(db, deposit, now);
    if (id === undefined) continue;
    await assignPayment(db, deps, id, deposit, now);
    recorded += 1;
  }
  return recorded;
}

async function insertDeposit(db: Client, deposit: SeenDeposit, now: Date): Promise<string | undefined> {
  const result = await db.query<{ id: string; inserted: boolean }>(
    `INSERT INTO chain_deposits (id, network, tx_hash, log_index, livemode, address, asset, amount, block_number,
       block_hash, status, created_at, updated_at)
     SELECT $1, $2, $3, $4, livemode, address, $6, $7, $8, $9, 'seen', $10, $10
       FROM deposit_addresses WHERE address = $5
     ON CONFLICT (network, tx_hash, log_index) WHERE status <> 'reorged'
     DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = EXCLUDED.updated_at
       WHERE chain_deposits.status = 'seen'
     RETURNING id, (xmax = 0) AS inserted`,
    [
      newId('chain_deposit', now.getTime()),
      evm_network,
      deposit.tx_hash,
      deposit.log_index,
      deposit.address,
      deposit.asset,
      deposit.amount_minor.toString(),
      deposit.block_number.toString(),
      deposit.block_hash,
      now,
    ],
  );
  const row = result.rows[0];
  return row?.inserted === true ? row.id : undefined;
}

/**
 * The deposit's payment, screened as every pay-in is (risk rules, a tier's balance cap) with the
 * deposit standing in for a key, as the worker's other unattended movements do. Money that cannot
 * be credited (a wallet frozen or closed, an asset it does not hold, a rule that would block or
 * review it) is `unassigned` with the reason: it is at our address, recorded, and left to an
 * operator rather than refused, since refusing cannot send it back.
 */
async function assignPayment(db: Client, deps: ChainDeps, id: string, deposit: SeenDeposit, now: Date) {
  const owner = await ownerOf(db, deposit.address);
  const scale = await assetScale(db, owner.livemode, deposit.asset, 'currency');
  const payment =
    owner.wallet_asset !== deposit.asset || !scale.ok
      ? fail(
          domainError(
            'currency_mismatch',
            `The address's wallet holds ${owner.wallet_asset}, not ${deposit.asset}.`,
          ),
        )
      : await screenedPayment(
          db,
          deps,
          { id, owner, deposit, amount: formatAmount(deposit.amount_minor, scale.value) },
          now,
        );
  await db.query('UPDATE chain_deposits SET payment_id = $2, status = $3, held_reason = $4 WHERE id = $1', [
    id,
    payment.ok ? payment.value.id : null,
    payment.ok ? 'seen' : 'unassigned',
    payment.ok ? null : `${payment.error.code}: ${payment.error.detail}`,
  ]);
}

async function screenedPayment(
  db: Client,
  deps: ChainDeps,
  found: { id: string; owner: AddressOwner; deposit: SeenDeposit; amount: string },
  now: Date,
): Promise<Result<PaymentView>> {
  const { owner, deposit, amount } = found;
  const asset = carriedAsset(deps.evm, deposit.asset);
  assert(asset !== undefined, 'the watcher reads configured assets only');
  const body = { address: deposit.address, amount };
  const guard = unattendedRequest(
    { livemode: owner.livemode, object_id: found.id, now },
    'evm.deposit',
    {},
    body,
  );
  const ctx = { db, pool: deps.pool, livemode: owner.livemode, limits: deps.limits, now, rails: deps.rails };
  const applied = await screenAndApply(
    db,
    'chain_deposit',
    async () => {
      const rules = await enabledRules(db, owner.livemode);
      if (rules.length === 0) return { verdict: 'proceed', after: async () => undefined };
      const movements = await depositMovements(db, owner.livemode, body);
      return screenMovements(db, guard, rules, movements, (payment: PaymentView) => [payment.id]);
    },
    () =>
      createPayment(
        ctx,
        {
          wallet_id: owner.wallet_id,
          amount,
          currency: deposit.asset,
          source: { type: 'crypto', network: evm_network, tx_hash: deposit.tx_hash },
        },
        observedDeposit(deposit, asset.confirmations),
      ),
  );
  if (applied.verdict === 'ran') return applied.result;
  return fail(
    applied.verdict === 'refuse' ? applied.error : domainError('risk_blocked', 'Held by a risk rule.'),
  );
}

function observedDeposit(deposit: SeenDeposit, confirmations_required: number): PayInAccepted {
  return {
    status: 'processing',
    source_view: {
      type: 'crypto',
      network: evm_network,
      address: deposit.address,
      tx_hash: deposit.tx_hash,
      block_number: deposit.block_number.toString(),
    },
    steps: [],
    confirmations_required,
  };
}

async function ownerOf(db: Client, address: Address): Promise<AddressOwner> {
  const found = await db.query<AddressOwner>(
    `SELECT d.wallet_id, d.livemode, a.asset AS wallet_asset
       FROM deposit_addresses d JOIN accounts a ON a.id = d.wallet_id WHERE d.address = $1`,
    [address],
  );
  const owner = found.rows[0];
  assert(owner !== undefined, 'a deposit is recorded only for a known address');
  return owner;
}
