import type { Client } from '../db/pool.js';
import { type Movement, receivedOf } from '../guard/movement.js';
import type { RiskSubject, WalletFacts } from './evaluate.js';
import type { RiskRuleRow } from './rules.js';

/** Seeds the lock ids apart from the idempotency keys' (requests/idempotency-store.ts). */
const risk_lock_seed = 5_118_902_341;

/**
 * What the rules read for these movements, by the id it belongs to: the movement log of a paying
 * wallet, holder or key (velocity, a new wallet's and a tier's outflow, a tier's inflow into a
 * receiving holder), the balance of a capped destination (a tier's balance_max). A request holds the lock of each until it commits, so two
 * transactions that read the same count or balance cannot both pass on it, as the spend counters'
 * row locks do for policies. Ids no rule reads are not locked: the platform's fee wallet, which
 * every transfer credits, is not serialised by a velocity rule on payers.
 */
export function riskReads(
  subject: RiskSubject,
  rules: readonly RiskRuleRow[],
  movements: readonly Movement[],
  wallets: ReadonlyMap<string, WalletFacts>,
): string[] {
  const ids = new Set<string>();
  for (const movement of movements) {
    if (movement.decides_only === true) continue;
    const source = wallets.get(movement.source_wallet_id);
    for (const rule of rules) {
      const p = rule.params;
      // The receiving side in what arrives, the paying side in what leaves (they differ for a conversion).
      if (rule.type === 'kyc_tier' && rule.asset === receivedOf(movement).currency)
        for (const id of movement.destination_wallet_ids) {
          const wallet = wallets.get(id);
          if (wallet === undefined || wallet.kyc_tier !== p.kyc_tier) continue;
          if (p.balance_max !== undefined) ids.add(id);
          const inflow_capped = p.daily_inflow_max !== undefined || p.monthly_inflow_max !== undefined;
          if (inflow_capped && wallet.holder_id !== null) ids.add(wallet.holder_id);
        }
      // A pay-in is not counted by the rules below (risk/evaluate.ts).
      if (movement.inflow || rule.asset !== movement.currency) continue;
      if (rule.type === 'velocity') {
        const by = p.subject ?? 'wallet';
        const id =
          by === 'api_key'
            ? subject.api_key_id
            : by === 'holder'
              ? source?.holder_id
              : movement.source_wallet_id;
        if (id !== undefined && id !== null) ids.add(id);
      } else if (rule.type === 'new_wallet') {
        const age_ms = source === undefined ? undefined : subject.now.getTime() - source.created_at.getTime();
        if (age_ms !== undefined && age_ms < (p.wallet_age_s ?? 0) * 1000) ids.add(movement.source_wallet_id);
      } else if (
        rule.type === 'kyc_tier' &&
        (p.daily_outflow_max !== undefined || p.monthly_outflow_max !== undefined)
      ) {
        const holder = source?.holder_id;
        if (source?.kyc_tier === p.kyc_tier && holder !== undefined && holder !== null) ids.add(holder);
      }
    }
  }
  return [...ids];
}

/**
 * Takes the locks of `ids` until the transaction ends, in one fixed order (by lock id) in one
 * statement, so two transactions locking overlapping sets never deadlock on them. A group-commit
 * batch passes every job's ids at once for the same reason. Taken after the idempotency keys'
 * locks and before the spend counters' and the accounts' row locks, on every path.
 */
export async function lockRiskReads(db: Client, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `SELECT pg_advisory_xact_lock(h) FROM (
       SELECT DISTINCT hashtextextended(k, ${risk_lock_seed}) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS locks`,
    [[...new Set(ids)]],
  );
}
