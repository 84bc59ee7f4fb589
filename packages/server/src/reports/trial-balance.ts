import type { Queryable } from '../db/pool.js';
import { latestCheckpoint } from '../ledger/checkpoints.js';
import { type Violation, verifyAccounts } from '../ledger/verify.js';
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
  verification: Verification;
}

/**
 * What the trial balance can vouch for without reading postings: the account-level checks, run now,
 * and the latest `purse verify` checkpoint (every posting up to it verified), with how many of the
 * mode's postings came after it. Before issue 21 this was the full verification on every request.
 */
interface Verification {
  ok: boolean;
  violations: Violation[];
  checkpoint: { id: string; created_at: string; full_check: boolean } | null;
  postings_unverified: number;
}

/**
 * Every account of the mode with its posted debits and credits per asset, the totals (equal when
 * the ledger balances), and what is verified (`Verification`). Reads the accounts with activity
 * (migration 0048), never postings (beyond one index probe per account): its cost grows neither
 * with the number of transfers nor with the wallets that never moved.
 */
export async function trialBalance(db: Queryable, livemode: boolean, now: Date): Promise<TrialBalance> {
  // Independent reads, each on a connection of its own: the report waits for the slowest, not the sum.
  const [rows, verification] = await Promise.all([accountLines(db, livemode), verificationOf(db, livemode)]);
  const by_asset = new Map<string, { scale: number; debits: bigint; credits: bigint; accounts: Line[] }>();
  for (const row of rows) {
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
    verification,
  };
}

/**
 * The accounts of the mode with posted amounts, in the report's order. `has_activity` follows from
 * those amounts; it is written out so that the planner reads the accounts through its partial index
 * (migration 0048) instead of every row of the mode.
 */
async function accountLines(db: Queryable, livemode: boolean) {
  const result = await db.query<{
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
     WHERE a.livemode = $1 AND a.has_activity AND (a.posted_debits > 0 OR a.posted_credits > 0)
     ORDER BY a.asset, a.kind DESC, a.id`,
    [livemode],
  );
  return result.rows;
}

async function verificationOf(db: Queryable, livemode: boolean): Promise<Verification> {
  const [violations, checkpoint, unverified] = await Promise.all([
    verifyAccounts(db, livemode),
    latestCheckpoint(db),
    db.query<{ count: string }>(
      `SELECT coalesce(sum(a.postings_count - coalesce(c.account_seq, 0)), 0) AS count
       FROM accounts a LEFT JOIN ledger_checkpoint_accounts c ON c.account_id = a.id
       WHERE a.livemode = $1 AND a.has_activity`,
      [livemode],
    ),
  ]);
  return {
    ok: violations.length === 0,
    violations,
    checkpoint:
      checkpoint === undefined
        ? null
        : {
            id: checkpoint.id,
            created_at: checkpoint.created_at.toISOString(),
            full_check: checkpoint.full_check,
          },
    postings_unverified: Number(unverified.rows[0]?.count ?? 0),
  };
}
