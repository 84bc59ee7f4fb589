import type { FailureCode } from './failure-codes.js';

/** The rails money can travel by. `bank_file` is the live bank rail of ISO 20022 files. */
export type PayInRail = 'card' | 'bank_account' | 'crypto';
export type PayoutRail = 'card' | 'bank_account' | 'crypto' | 'bank_file';

export type PaymentSource =
  | { readonly type: 'card'; readonly number: string }
  | {
      readonly type: 'bank_account';
      readonly account_number: string;
      readonly routing_number: string;
      readonly account_holder_name?: string;
    }
  | { readonly type: 'crypto'; readonly network: string; readonly tx_hash?: string };

export type PayoutDestination =
  | { readonly type: 'card'; readonly number: string }
  | {
      readonly type: 'bank_account';
      readonly account_holder_name: string;
      readonly account_number?: string;
      readonly routing_number?: string;
      readonly iban?: string;
      readonly bic?: string;
    }
  | { readonly type: 'crypto'; readonly network: string; readonly address: string };

/** A later status change the rail will report, `after_ms` from now. */
export interface RailStep {
  readonly after_ms: number;
  readonly status: string;
  readonly failure_code?: FailureCode;
}

/** What a rail says when asked to collect money: the outcome so far and the steps to come. */
export interface PayInAccepted {
  readonly status: 'processing' | 'succeeded' | 'failed';
  readonly failure_code?: FailureCode;
  /** What the API may show of the source: never a full card or account number. */
  readonly source_view: Record<string, string>;
  readonly steps: readonly RailStep[];
  readonly confirmations_required?: number;
}

export interface PayoutAccepted {
  readonly rail: PayoutRail;
  readonly status: 'pending' | 'in_transit';
  readonly destination_view: Record<string, string>;
  readonly steps: readonly RailStep[];
}

export function last4(digits: string): string {
  return digits.slice(-4);
}

/** The rail takes a new payout: it leaves `pending` for `in_transit` on the worker's next round. */
export const accepted: RailStep = { after_ms: 0, status: 'in_transit' };
