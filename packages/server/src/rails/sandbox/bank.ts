import type { FailureCode } from '../failure-codes.js';
import { accepted, last4, type PayInAccepted, type PayoutAccepted, type RailStep } from '../rail.js';

/**
 * The sandbox bank rail behaves like ACH: a debit is `processing` for one sandbox step, then
 * succeeds or fails; a payout is accepted (in transit) at once, then a step later paid, failed, or paid and returned a
 * step later. The account number decides (docs/rails.md); any other number succeeds.
 */
export const sandbox_bank_accounts: Readonly<
  Record<string, { debit?: FailureCode; payout?: FailureCode; returned?: FailureCode }>
> = {
  '000123456789': {},
  '000111111116': { debit: 'no_account', payout: 'no_account' },
  '000111111113': { debit: 'account_closed', payout: 'account_closed' },
  '000222222227': { debit: 'insufficient_funds' },
  '000333333335': { debit: 'debit_not_authorized', returned: 'account_closed' },
};

export function sandboxBankDebit(
  account_number: string,
  routing_number: string,
  step_ms: number,
): PayInAccepted {
  const failure = sandbox_bank_accounts[account_number]?.debit;
  const outcome: RailStep =
    failure === undefined
      ? { after_ms: step_ms, status: 'succeeded' }
      : { after_ms: step_ms, status: 'failed', failure_code: failure };
  return {
    status: 'processing',
    source_view: { type: 'bank_account', last4: last4(account_number), routing_number },
    steps: [outcome],
  };
}

export function sandboxBankPayout(
  account: string,
  view: Record<string, string>,
  step_ms: number,
): PayoutAccepted {
  const behaviour = sandbox_bank_accounts[account] ?? {};
  const steps: RailStep[] =
    behaviour.payout !== undefined
      ? [{ after_ms: step_ms, status: 'failed', failure_code: behaviour.payout }]
      : [{ after_ms: step_ms, status: 'paid' }];
  if (behaviour.returned !== undefined)
    steps.push({ after_ms: 2 * step_ms, status: 'returned', failure_code: behaviour.returned });
  return { rail: 'bank_account', status: 'pending', destination_view: view, steps: [accepted, ...steps] };
}
