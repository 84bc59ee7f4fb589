import { assetScale } from '../assets/service.js';
import { grants, type Scope } from '../auth/scopes.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import {
  holderHit,
  type MoneyFound,
  moneyHit,
  newestFirst,
  type SearchHit,
  type SearchKind,
} from './hits.js';
import { holdersMatching, modeAssets, movementById, movementsByAmount, walletById } from './lookups.js';

/** The scope each kind of result needs: search answers only what the caller could read anyway. */
export const search_scopes: Readonly<Record<SearchKind, Scope>> = {
  holder: 'holders:read',
  wallet: 'wallets:read',
  transfer: 'transfers:read',
  payment: 'payments:read',
  payout: 'payouts:read',
};

const id_prefixes: Readonly<Record<string, Exclude<SearchKind, 'holder'>>> = {
  wal_: 'wallet',
  tr_: 'transfer',
  pay_: 'payment',
  po_: 'payout',
};

const decimal_pattern = /^(0|[1-9][0-9]{0,38})(?:\.([0-9]{1,18}))?$/;

/**
 * `amount` ("12.34") in minor units of every asset whose scale can hold its decimals: 12.34 is
 * 1234 cents of USD and 1,234,000,000 satoshis of BTC, but no JPY. Zero matches nothing.
 */
export function amountsOf(
  amount: string,
  assets: readonly { code: string; scale: number }[],
): { asset: string; amount_minor: bigint }[] {
  const match = decimal_pattern.exec(amount);
  if (match === null) return [];
  const whole = match[1] ?? '0';
  // Trailing zeros say nothing: "12.340" is 12.34, which fits a 2-decimal asset.
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  return assets
    .filter((asset) => fraction.length <= asset.scale)
    .map((asset) => ({ asset: asset.code, amount_minor: BigInt(whole + fraction.padEnd(asset.scale, '0')) }))
    .filter((one) => one.amount_minor > 0n);
}

export interface SearchRequest {
  readonly q: string;
  readonly limit: number;
  readonly livemode: boolean;
  readonly scopes: readonly string[];
}

/**
 * Holders by id, external id or email; wallets by id; transfers, payments and payouts by id or
 * exact amount: newest first, at most `limit`, only kinds the caller's scopes can read. Every
 * lookup is an index probe (lookups.ts); sequential and bitmap scans are off for its transaction,
 * so that an estimate cannot turn one into a scan, or a bitmap of a million rows to sort.
 */
export async function search(
  pool: Pool,
  request: SearchRequest,
): Promise<{ hits: SearchHit[]; more: boolean }> {
  const q = request.q.trim();
  const readable = (kind: SearchKind) => grants(request.scopes, search_scopes[kind]);
  const found = await inTransaction(pool, async (db) => {
    await db.query(
      'SET TRANSACTION READ ONLY; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off',
    );
    const hits: SearchHit[] = [];
    if (q === '') return hits;
    if (readable('holder'))
      hits.push(...(await holdersMatching(db, request.livemode, q, request.limit + 1)).map(holderHit));
    const money: MoneyFound[] = [];
    const prefixed = Object.entries(id_prefixes).find(([prefix]) => q.startsWith(prefix))?.[1];
    if (prefixed !== undefined && readable(prefixed))
      money.push(
        ...(prefixed === 'wallet'
          ? await walletById(db, request.livemode, q)
          : await movementById(db, prefixed, request.livemode, q)),
      );
    const amounts = amountsOf(q, await modeAssets(db, request.livemode));
    for (const kind of ['transfer', 'payment', 'payout'] as const)
      if (readable(kind))
        money.push(...(await movementsByAmount(db, kind, request.livemode, amounts, request.limit + 1)));
    for (const row of money) {
      const scale = await assetScale(db, request.livemode, row.asset, 'q');
      assert(scale.ok, `asset ${row.asset} of ${row.id} does not exist`);
      hits.push(moneyHit(row, scale.value));
    }
    return hits;
  });
  const unique = [...new Map(found.map((hit) => [hit.id, hit])).values()].sort(newestFirst);
  return { hits: unique.slice(0, request.limit), more: unique.length > request.limit };
}
