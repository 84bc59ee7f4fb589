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
} as const;

export type IdKind = keyof typeof idPrefixes;

const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now_ms: number = Date.now()): string {
  return `${idPrefixes[kind]}_${nextUlid(now_ms).toLowerCase()}`;
}

const idPatterns = Object.fromEntries(
  Object.entries(idPrefixes).map(([kind, prefix]) => [
    kind,
    new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`),
  ]),
) as Record<IdKind, RegExp>;

export function isIdOf(kind: IdKind, value: string): boolean {
  return idPatterns[kind].test(value);
}
