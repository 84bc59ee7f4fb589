import type { AccountRow } from '../ledger/accounts.js';
import { formatAmount, minorFromDb } from '../shared/money.js';

export interface BalanceView {
  available: string;
  held: string;
  pending: string;
  total: string;
}

export interface WalletView {
  id: string;
  object: 'wallet';
  livemode: boolean;
  currency: string;
  holder_id: string | null;
  status: AccountRow['status'];
  overdraft_limit: string;
  balance: BalanceView;
  settlement_delay_days: number;
  metadata: Record<string, string>;
  created_at: string;
}

/**
 * The four balances from the ledger's counters: posted is credits minus debits; held is what
 * pending outgoing transfers reserve; pending is incoming money not yet settled.
 * available = posted - held, total = available + held + pending.
 */
export function balanceView(
  posted_minor: bigint,
  held_minor: bigint,
  incoming_minor: bigint,
  scale: number,
): BalanceView {
  return {
    available: formatAmount(posted_minor - held_minor, scale),
    held: formatAmount(held_minor, scale),
    pending: formatAmount(incoming_minor, scale),
    total: formatAmount(posted_minor + incoming_minor, scale),
  };
}

export function walletView(row: AccountRow, scale: number): WalletView {
  const posted = minorFromDb(row.posted_credits) - minorFromDb(row.posted_debits);
  return {
    id: row.id,
    object: 'wallet',
    livemode: row.livemode,
    currency: row.asset,
    holder_id: row.holder_id,
    status: row.status,
    overdraft_limit: formatAmount(-minorFromDb(row.floor_minor ?? '0'), scale),
    balance: balanceView(posted, minorFromDb(row.pending_debits), minorFromDb(row.pending_credits), scale),
    settlement_delay_days: row.settlement_delay_days,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}
