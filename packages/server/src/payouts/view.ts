import type { Static } from '@sinclair/typebox';
import { openJson } from '../crypto/keyring.js';
import { isTokenized, type TokenizedInstrument } from '../crypto/tokens.js';
import type { PayoutDestination, PayoutRail } from '../rails/rail.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { Payout } from './schemas.js';

export type PayoutView = Static<typeof Payout>;

export interface PayoutRow {
  id: string;
  livemode: boolean;
  status: PayoutView['status'];
  wallet_id: string;
  asset: string;
  amount: string;
  rail: PayoutRail;
  /** A card or bank account behind its token; a crypto address as it is. */
  destination: PayoutDestination | TokenizedInstrument;
  /** What the API shows, sealed in the table (it names the account holder). */
  destination_view: Record<string, string> | string;
  failure_code: string | null;
  failure_message: string | null;
  batch_id: string | null;
  schedule_id: string | null;
  file_id: string | null;
  conversion_id: string | null;
  paid_at: Date | null;
  canceled_at: Date | null;
  retry_of: string | null;
  retried_by: string | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export function payoutView(row: PayoutRow, scale: number): PayoutView {
  return {
    id: row.id,
    object: 'payout',
    livemode: row.livemode,
    status: row.status,
    wallet_id: row.wallet_id,
    amount: formatAmount(minorFromDb(row.amount), scale),
    currency: row.asset,
    rail: row.rail,
    destination: openJson('personal', row.destination_view),
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    batch_id: row.batch_id,
    schedule_id: row.schedule_id,
    file_id: row.file_id,
    conversion_id: row.conversion_id,
    paid_at: row.paid_at?.toISOString() ?? null,
    canceled_at: row.canceled_at?.toISOString() ?? null,
    retry_of: row.retry_of,
    retried_by: row.retried_by,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The masked view a rail gave, with the token standing for the card or account. */
export function viewWithToken(
  view: Record<string, string>,
  stored: PayoutDestination | TokenizedInstrument,
): Record<string, string> {
  return isTokenized(stored) ? { ...view, token: stored.token } : view;
}
