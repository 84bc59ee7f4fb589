import type { Static } from '@sinclair/typebox';
import type { StoredLeg } from '../ledger/legs.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { Transfer } from './schemas.js';

export type TransferView = Static<typeof Transfer>;

export interface TransferRow {
  id: string;
  livemode: boolean;
  status: TransferView['status'];
  source_wallet_id: string;
  asset: string;
  amount: string;
  captured_amount: string | null;
  fee_amount: string;
  fee_account_id: string | null;
  destinations: StoredLeg[];
  description: string | null;
  metadata: Record<string, string>;
  hold: boolean;
  expires_at: Date | null;
  /** Set when the transfer converted on its way (fx/converted-transfer.ts); absent on new rows of the batch writer. */
  conversion_id?: string | null;
  created_at: Date;
  updated_at: Date;
}

export function transferView(row: TransferRow, scale: number): TransferView {
  const money = (minor: string) => formatAmount(minorFromDb(minor), scale);
  return {
    id: row.id,
    object: 'transfer',
    livemode: row.livemode,
    status: row.status,
    source_wallet_id: row.source_wallet_id,
    amount: money(row.amount),
    currency: row.asset,
    captured_amount: row.captured_amount === null ? null : money(row.captured_amount),
    fee:
      row.fee_account_id === null ? null : { amount: money(row.fee_amount), account_id: row.fee_account_id },
    destinations: row.destinations.map((leg) =>
      // A converted leg was paid in another currency: it keeps its own amount and says which.
      leg.currency === undefined || leg.request.amount === undefined
        ? { wallet_id: leg.wallet_id, amount: money(leg.amount_minor) }
        : { wallet_id: leg.wallet_id, amount: leg.request.amount, currency: leg.currency },
    ),
    hold: row.hold,
    expires_at: row.expires_at?.toISOString() ?? null,
    conversion_id: row.conversion_id ?? null,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
