import type { Static } from '@sinclair/typebox';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { Escrow } from './schemas.js';

export type EscrowView = Static<typeof Escrow>;
export type EscrowStatus = EscrowView['status'];
export type DisputeOutcome = 'release' | 'refund' | 'resume';

/** A milestone as stored: its amount in minor units, as text. */
export interface StoredMilestone {
  id: string;
  amount_minor: string;
  description: string | null;
  status: 'pending' | 'released' | 'canceled';
}

export interface EscrowRow {
  id: string;
  livemode: boolean;
  status: EscrowStatus;
  payer_wallet_id: string;
  payee_wallet_id: string;
  escrow_account_id: string;
  asset: string;
  amount: string;
  released_amount: string;
  refunded_amount: string;
  milestones: StoredMilestone[];
  auto_release_at: Date | null;
  auto_refund_at: Date | null;
  auto_retry_at: Date | null;
  dispute_reason: string | null;
  disputed_at: Date | null;
  dispute_outcome: DisputeOutcome | null;
  dispute_resolved_at: Date | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/** What is still in escrow, in minor units. */
export function remainingOf(row: EscrowRow): bigint {
  return minorFromDb(row.amount) - minorFromDb(row.released_amount) - minorFromDb(row.refunded_amount);
}

export function escrowView(row: EscrowRow, scale: number): EscrowView {
  const money = (minor: bigint) => formatAmount(minor, scale);
  return {
    id: row.id,
    object: 'escrow',
    livemode: row.livemode,
    status: row.status,
    payer_wallet_id: row.payer_wallet_id,
    payee_wallet_id: row.payee_wallet_id,
    amount: money(minorFromDb(row.amount)),
    currency: row.asset,
    released_amount: money(minorFromDb(row.released_amount)),
    refunded_amount: money(minorFromDb(row.refunded_amount)),
    remaining_amount: money(remainingOf(row)),
    milestones: row.milestones.map((milestone) => ({
      id: milestone.id,
      amount: money(minorFromDb(milestone.amount_minor)),
      description: milestone.description,
      status: milestone.status,
    })),
    auto_release_at: row.auto_release_at?.toISOString() ?? null,
    auto_refund_at: row.auto_refund_at?.toISOString() ?? null,
    dispute:
      row.disputed_at === null || row.dispute_reason === null
        ? null
        : {
            reason: row.dispute_reason,
            opened_at: row.disputed_at.toISOString(),
            outcome: row.dispute_outcome,
            resolved_at: row.dispute_resolved_at?.toISOString() ?? null,
          },
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
