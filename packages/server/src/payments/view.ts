import type { Static } from '@sinclair/typebox';
import type { StoredLeg } from '../ledger/legs.js';
import type { PayInRail } from '../rails/rail.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { Payment } from './schemas.js';

export type PaymentView = Static<typeof Payment>;

export interface PaymentRow {
  id: string;
  livemode: boolean;
  status: PaymentView['status'];
  rail: PayInRail;
  wallet_id: string;
  asset: string;
  amount: string;
  source: Record<string, string>;
  fee_amount: string;
  fee_account_id: string | null;
  legs: StoredLeg[];
  refunded_amount: string;
  refunded_parts: string[];
  failure_code: string | null;
  confirmations: number | null;
  confirmations_required: number | null;
  settles_at: Date | null;
  settled_at: Date | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export function paymentView(row: PaymentRow, scale: number): PaymentView {
  const money = (minor: string) => formatAmount(minorFromDb(minor), scale);
  return {
    id: row.id,
    object: 'payment',
    livemode: row.livemode,
    status: row.status,
    wallet_id: row.wallet_id,
    amount: money(row.amount),
    currency: row.asset,
    source: row.source,
    fee:
      row.fee_account_id === null ? null : { amount: money(row.fee_amount), account_id: row.fee_account_id },
    splits: row.legs.map((leg) => ({ wallet_id: leg.wallet_id, amount: money(leg.amount_minor) })),
    amount_refunded: money(row.refunded_amount),
    failure_code: row.failure_code,
    confirmations: row.confirmations,
    confirmations_required: row.confirmations_required,
    settles_at: row.settles_at?.toISOString() ?? null,
    settled_at: row.settled_at?.toISOString() ?? null,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The parts a payment's money went to, [fee, ...legs], with what each received (minor units). */
export function paymentParts(row: PaymentRow): { account_id: string; amount_minor: bigint }[] {
  const parts = row.legs.map((leg) => ({
    account_id: leg.wallet_id,
    amount_minor: minorFromDb(leg.amount_minor),
  }));
  if (row.fee_account_id !== null)
    parts.unshift({ account_id: row.fee_account_id, amount_minor: minorFromDb(row.fee_amount) });
  return parts;
}
