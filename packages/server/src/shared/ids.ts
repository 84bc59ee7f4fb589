import { monotonicFactory } from 'ulidx';

/**
 * Object ids are a type prefix and a ULID: 48 bits of milliseconds then 80 random bits in Crockford
 * base32. They sort by creation time as text, which is what keyset pagination orders by; the
 * monotonic factory keeps ids made within one millisecond in order too.
 */
export const idPrefixes = {
  holder: 'hol',
  api_key: 'key',
  request: 'req',
  wallet: 'wal',
  system_account: 'acc',
  ledger_transaction: 'txn',
  posting: 'pst',
  transfer: 'tr',
  payment: 'pay',
  refund: 're',
  payout: 'po',
  payout_batch: 'pob',
  payout_schedule: 'posch',
  payout_file: 'pof',
  bank_statement: 'bst',
  escrow: 'esc',
  event: 'evt',
  webhook_endpoint: 'we',
  webhook_delivery: 'whd',
  webhook_attempt: 'wha',
  approval: 'apr',
  risk_rule: 'rr',
  risk_decision: 'rd',
  audit_log: 'aud',
} as const;

export type IdKind = keyof typeof idPrefixes;

const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now_ms: number = Date.now()): string {
  return `${idPrefixes[kind]}_${nextUlid(now_ms).toLowerCase()}`;
}
