import type { RecordClass } from './envelope.js';

/**
 * Every column that holds sealed values, with the record class that seals it: what a data-key
 * rotation re-encrypts (crypto/rotation.ts) and what docs/security.md lists. A new sealed column
 * is added here, or rotation would leave it under an old key.
 */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  readonly record_class: RecordClass;
  /** text holds the sealed text; json and jsonb hold it as a JSON string. */
  readonly type: 'text' | 'json' | 'jsonb';
}

export const sealed_columns: readonly SealedColumn[] = [
  { table: 'holders', column: 'name', record_class: 'personal', type: 'text' },
  { table: 'holders', column: 'email', record_class: 'personal', type: 'text' },
  { table: 'events', column: 'data', record_class: 'personal', type: 'json' },
  { table: 'idempotency_keys', column: 'response_body', record_class: 'personal', type: 'text' },
  { table: 'approvals', column: 'body', record_class: 'personal', type: 'jsonb' },
  { table: 'approvals', column: 'result_body', record_class: 'personal', type: 'jsonb' },
  { table: 'payouts', column: 'destination_view', record_class: 'personal', type: 'jsonb' },
  { table: 'challenges', column: 'body', record_class: 'personal', type: 'jsonb' },
  { table: 'challenges', column: 'result_body', record_class: 'personal', type: 'jsonb' },
  // An email challenge's address, copied sealed from the holder's when it was made.
  { table: 'challenges', column: 'destination', record_class: 'personal', type: 'text' },
  { table: 'holder_authenticators', column: 'secret_sealed', record_class: 'personal', type: 'text' },
  { table: 'verification_sessions', column: 'input', record_class: 'personal', type: 'text' },
  { table: 'tokens', column: 'sealed_value', record_class: 'instrument', type: 'text' },
  { table: 'payout_files', column: 'xml', record_class: 'instrument', type: 'text' },
  { table: 'files', column: 'content', record_class: 'file', type: 'text' },
  // The EVM rail's HD seed: every deposit address's key and the hot wallet's derive from it.
  { table: 'chain_secrets', column: 'sealed', record_class: 'signing', type: 'text' },
];

/** The column's sealed text as SQL reads it. */
export function sealedText(column: SealedColumn): string {
  return column.type === 'text' ? column.column : `(${column.column} #>> '{}')`;
}

/** SQL that stores the sealed text in parameter `$n` as the column's type. */
export function sealedValue(column: SealedColumn, n: number): string {
  return column.type === 'text' ? `$${n}::text` : `to_${column.type}($${n}::text)`;
}
