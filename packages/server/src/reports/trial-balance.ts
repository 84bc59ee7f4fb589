import type { Queryable } from '../db/pool.js';
import { type Violation, verifyLedger } from '../ledger/verify.js';
import { formatAmount, minorFromDb } from '../shared/money.js';

interface Line {
  account_id: string;
  kind: 'wallet' | 'system';
  purpose: string | null;
  debits: string;
  credits: string;
  balance: string;
}

export interface TrialBalance {
  object: 'trial_balance';
  livemode: boolean;
  generated_at: string;
  assets: {
    currency: string;
    total_debits: string;
    total_credits: string;
    balanced: boolean;
    accounts: Line[];
  }[];
  verification: { ok: boolean; violations: Violation[] };
}

/**
 * Every account of the mode with its posted debits and credits per asset, the totals (equal when
 * the ledger balances), and the result of the full ledger verification.
 */
export async function trialBalance(db: Queryable, livemode: boolean, now: Date): Promise<TrialBalance> {
  const rows = await db.query<{
    id: string;
    asset: string;
    kind: Line['kind'];
    purpose: string | null;
    posted_debits: string;
    posted_credits: string;
    scale: number;
  }>(
    `SELECT a.id, a.asset, a.kind, a.purpose, a.posted_debits, a.posted_credits, s.scale
     FROM accounts a JOIN assets s ON s.livemode = a.livemode AND s.code = a.asset
     WHERE a.livemode = $1 AND (a.posted_debits > 0 OR a.posted_credits > 0) ORDER BY a.asset, a.kind DESC, a.id`,
    [livemode],
  );
  const by_asset = new Map<string, { scale: number; debits: bigint; credits: bigint; accounts: Line[] }>();
  for (const row of rows.rows) {
    const group = by_asset.get(row.asset) ?? { scale: row.scale, debits: 0n, credits: 0n, accounts: [] };
    const debits = minorFromDb(row.posted_debits);
    const credits = minorFromDb(row.posted_credits);
    group.debits += debits;
    group.credits += credits;
    group.accounts.push({
      account_id: row.id,
      kind: row.kind,
      purpose: row.purpose,
      debits: formatAmount(debits, row.scale),
      credits: formatAmount(credits, row.scale),
      balance: formatAmount(credits - debits, row.scale),
    });
    by_asset.set(row.asset, group);
  }
  const violations = await verifyLedger(db, livemode);
  return {
    object: 'trial_balance',
    livemode,
    generated_at: now.toISOString(),
    assets: [...by_asset].map(([currency, group]) => ({
      currency,
      total_debits: formatAmount(group.debits, group.scale),
      total_credits: formatAmount(group.credits, group.scale),
      balanced: group.debits === group.credits,
      accounts: group.accounts,
    })),
    verification: { ok: violations.length === 0, violations },
  };
}
