import type { Static } from '@sinclair/typebox';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { Refund } from './schemas.js';

export type RefundView = Static<typeof Refund>;

/** One account's share of a refund; `covered_by` is the cover wallet that paid it instead. */
export interface RefundPart {
  account_id: string;
  amount_minor: string;
  covered_by: string | null;
  /** Which part of the original it came back from ([fee, ...legs]), and whether it was still pending. */
  holding_index: number;
  pending: boolean;
}

export interface RefundRow {
  id: string;
  livemode: boolean;
  status: RefundView['status'];
  payment_id: string | null;
  transfer_id: string | null;
  asset: string;
  amount: string;
  parts: RefundPart[];
  reason: RefundView['reason'];
  failure_code: string | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export function refundView(row: RefundRow, scale: number): RefundView {
  return {
    id: row.id,
    object: 'refund',
    livemode: row.livemode,
    status: row.status,
    payment_id: row.payment_id,
    transfer_id: row.transfer_id,
    amount: formatAmount(minorFromDb(row.amount), scale),
    currency: row.asset,
    parts: row.parts.map((part) => ({
      account_id: part.account_id,
      amount: formatAmount(minorFromDb(part.amount_minor), scale),
      covered_by: part.covered_by,
    })),
    reason: row.reason,
    failure_code: row.failure_code,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
