import { randomFillSync } from 'node:crypto';
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
  test_clock: 'clock',
  product: 'prod',
  price: 'prc',
  coupon: 'cpn',
  tax_rate: 'txr',
  subscription: 'sub',
  subscription_item: 'si',
  invoice: 'inv',
  invoice_item: 'ii',
  invoice_line: 'il',
  usage_record: 'ur',
  oauth_client: 'oac',
  consent: 'cns',
  data_key: 'dk',
  token: 'tok',
  challenge: 'chl',
  file: 'file',
  verification_session: 'vs',
  fx_rate: 'fxr',
  fx_quote: 'fxq',
  conversion: 'cnv',
  chain_deposit: 'cdep',
  evm_transaction: 'etx',
  operator: 'op',
  operator_session: 'opsess',
} as const;

export type IdKind = keyof typeof idPrefixes;

/**
 * ulidx draws one random byte per character; its default asks the OS for each byte, which showed as
 * a measurable share of the write path. This draws bytes from the OS 4 KiB at a time instead.
 * A byte / 256 picks one of the 32 characters with exactly equal odds (256 = 32 x 8).
 */
const random_pool = Buffer.alloc(4096);
let random_pool_offset = random_pool.length;

function pooledRandom(): number {
  if (random_pool_offset === random_pool.length) {
    randomFillSync(random_pool);
    random_pool_offset = 0;
  }
  const byte = random_pool[random_pool_offset] ?? 0;
  random_pool_offset += 1;
  return byte / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

export function newId(kind: IdKind, now_ms: number = Date.now()): string {
  // A test clock's time may be ahead of the real one; an id made in it must not carry that time, or
  // the monotonic factory would stamp every later id of the process with it, live ones included.
  return `${idPrefixes[kind]}_${nextUlid(Math.min(now_ms, Date.now())).toLowerCase()}`;
}
