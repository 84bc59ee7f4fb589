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
  const inserted = await insertDeposits(db, deposits, now);
  if (inserted.size === 0) return 0;
  const owners = await ownersOf(db, [...new Set([...inserted.values()].map((deposit) => deposit.address))]);
  const round: Round = { rules: new Map(), scales: new Map() };
  for (const [id, deposit] of inserted) {
    const owner = owners.get(deposit.address);
    assert(owner !== undefined, 'a deposit is recorded only for a known address');
    await assignPayment(db, deps, round, { id, owner, deposit }, now);
  }
  return inserted.size;
}

/** What one round reads once for all its deposits: the rules and the scales of each mode. */
interface Round {
  readonly rules: Map<boolean, Awaited<ReturnType<typeof enabledRules>>>;
  readonly scales: Map<string, Result<number>>;
}

/** Inserts the deposits in one statement; returns the new ones by id (a known one is not new). */
async function insertDeposits(
  db: Client,
  deposits: readonly SeenDeposit[],
  now: Date,
): Promise<Map<string, SeenDeposit>> {
  if (deposits.length === 0) return new Map();
  const ids = deposits.map(() => newId('chain_deposit', now.getTime()));
  const result = await db.query<{ id: string; inserted: boolean }>(
    `INSERT INTO chain_deposits (id, network, tx_hash, log_index, livemode, address, asset, amount, block_number,
       block_hash, status, created_at, updated_at)
     SELECT u.id, $1, u.tx_hash, u.log_index, a.livemode, a.address, u.asset, u.amount, u.block_number, u.block_hash,
       'seen', $2, $2
       FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::numeric[], $9::bigint[], $10::text[])
         AS u(id, tx_hash, log_index, address, asset, amount, block_number, block_hash)
       JOIN deposit_addresses a ON a.address = u.address
     ON CONFLICT (network, tx_hash, log_index) WHERE status <> 'reorged'
     DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = EXCLUDED.updated_at
       WHERE chain_deposits.status = 'seen'
     RETURNING id, (xmax = 0) AS inserted`,
    [
      evm_network,
      now,
      ids,
      deposits.map((deposit) => deposit.tx_hash),
      deposits.map((deposit) => deposit.log_index),
      deposits.map((deposit) => deposit.address),
      deposits.map((deposit) => deposit.asset),
      deposits.map((deposit) => deposit.amount_minor.toString()),
      deposits.map((deposit) => deposit.block_number.toString()),
      deposits.map((deposit) => deposit.block_hash),
    ],
  );
  const fresh = new Set(result.rows.filter((row) => row.inserted).map((row) => row.id));
  return new Map(
    ids.flatMap((id, index) => (fresh.has(id) ? [[id, deposits[index] as SeenDeposit] as const] : [])),
  );
}

/**
 * The deposit's payment, screened as every pay-in is (risk rules, a tier's balance cap) with the
 * deposit standing in for a key, as the worker's other unattended movements do. Money that cannot
 * be credited (a wallet frozen or closed, an asset it does not hold, a rule that would block or
 * review it) is `unassigned` with the reason: it is at our address, recorded, and left to an
 * operator rather than refused, since refusing cannot send it back.
 */
async function assignPayment(
  db: Client,
  deps: ChainDeps,
  round: Round,
  found: { id: string; owner: AddressOwner; deposit: SeenDeposit },
  now: Date,
) {
  const { id, owner, deposit } = found;
  const scale_key = `${owner.livemode}:${deposit.asset}`;
  const scale =
    round.scales.get(scale_key) ?? (await assetScale(db, owner.livemode, deposit.asset, 'currency'));
  round.scales.set(scale_key, scale);
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
          round,
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
  round: Round,
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
      const rules = round.rules.get(owner.livemode) ?? (await enabledRules(db, owner.livemode));
      round.rules.set(owner.livemode, rules);
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

async function ownersOf(db: Client, addresses: readonly string[]): Promise<Map<string, AddressOwner>> {
  const found = await db.query<AddressOwner & { address: string }>(
    `SELECT d.address, d.wallet_id, d.livemode, a.asset AS wallet_asset
       FROM deposit_addresses d JOIN accounts a ON a.id = d.wallet_id WHERE d.address = ANY($1::text[])`,
    [addresses],
  );
  return new Map(found.rows.map(({ address, ...owner }) => [address, owner]));
}
