/**
 * Why a payment, payout or refund failed, as the rail reported it, in stable snake_case. These are
 * values of `failure_code` on objects, not API error codes. docs/rails.md lists them.
 */
export const failure_codes = {
  card_declined: 'The card issuer declined the charge.',
  card_insufficient_funds: 'The card has insufficient funds.',
  insufficient_funds: 'The bank account has insufficient funds for the debit.',
  no_account: 'No account exists with these details.',
  account_closed: 'The account is closed.',
  account_frozen: 'The account is blocked or frozen.',
  invalid_account_number: 'The account number is not valid.',
  debit_not_authorized: 'The account holder did not authorise the debit.',
  invalid_address: 'The crypto address cannot receive this asset.',
  reorged: 'The block that carried the transaction was replaced (a chain reorganisation): it never counted.',
  transaction_reverted:
    'The transaction was mined but reverted (a token transfer refused); its gas was spent.',
  transaction_dropped: 'The transaction was never mined: another one took its nonce.',
  could_not_process: 'The rail could not process it; the funds are returned.',
} as const;

export type FailureCode = keyof typeof failure_codes;

export function isFailureCode(value: string): value is FailureCode {
  return Object.hasOwn(failure_codes, value);
}
