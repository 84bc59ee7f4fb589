/**
 * A plain one-transaction-per-transfer SQL loop over Purse's own tables, from 16 node-postgres
 * clients: what a straightforward application writing the same journal would reach, with every
 * constraint and statement-level ledger trigger of the schema, but no HTTP, idempotency, events,
 * audit or risk screening. Each transfer of 0.01 between two of the bench's funded wallets:
 * lock both accounts in id order, update their counters (returning the balances after), insert
 * the journal entry, its two postings and the transfer, commit. `purse verify` checks these rows
 * with the rest after the run.
 */
import type pg from 'pg';
import { newId } from '../packages/server/src/shared/ids.js';
import type { LoadResult } from './load.js';
import { lanes } from './reference-sql.js';

export const purse_schema_reference = "plain SQL, 1 per commit, on Purse's tables";

const balances_after = `posted_credits - posted_debits AS posted, pending_debits AS held, pending_credits AS incoming, postings_count AS seq, number`;

/** now(), or the account's (by number) previous posting's created_at_max when later (greatest skips a NULL). */
function previous_max(account: string, seq: string): string {
  return `greatest(now(), (SELECT created_at_max FROM postings WHERE account_number = ${account} AND account_seq = ${seq}::bigint - 1))`;
}

interface After {
  posted: string;
  held: string;
  incoming: string;
  seq: string;
  /** The account's number, which its postings name it by (migration 0041). */
  number: string;
}

export function runPurseSchemaReference(
  database_url: string,
  wallets: readonly string[],
  duration_s: number,
): Promise<LoadResult> {
  return lanes(database_url, duration_s, (client) => writeTransfer(client, wallets));
}

async function writeTransfer(client: pg.Client, wallets: readonly string[]): Promise<void> {
  const a = Math.floor(Math.random() * wallets.length);
  const b = (a + 1 + Math.floor(Math.random() * (wallets.length - 1))) % wallets.length;
  const [source, destination] = [wallets[a] ?? '', wallets[b] ?? ''];
  const entry_id = newId('ledger_transaction');
  const transfer_id = newId('transfer');
  await client.query('BEGIN');
  await client.query('SELECT id FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [
    [source, destination],
  ]);
  const debited = await client.query<After>(
    `UPDATE accounts SET posted_debits = posted_debits + 1, postings_count = postings_count + 1
     WHERE id = $1 RETURNING ${balances_after}`,
    [source],
  );
  const credited = await client.query<After>(
    `UPDATE accounts SET posted_credits = posted_credits + 1, postings_count = postings_count + 1
     WHERE id = $1 RETURNING ${balances_after}`,
    [destination],
  );
  await client.query(
    `INSERT INTO ledger_transactions (id, livemode, reason, reference_id, effective_at)
     VALUES ($1, false, 'transfer.posted', $2, now())`,
    [entry_id, transfer_id],
  );
  const [debit, credit] = [debited.rows[0], credited.rows[0]];
  await client.query(
    // created_at_max runs on from the account's previous posting (balance?at= searches by it).
    `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, amount,
       posted_after, held_after, incoming_after, created_at_max)
     VALUES ($1, $2, $3, 'USD', 'debit', 'posted', 1, $4, $5, $6, ${previous_max('$2', '$3')}),
            ($1, $7, $8, 'USD', 'credit', 'posted', 1, $9, $10, $11, ${previous_max('$7', '$8')})`,
    [
      entry_id,
      debit?.number,
      debit?.seq,
      debit?.posted,
      debit?.held,
      debit?.incoming,
      credit?.number,
      credit?.seq,
      credit?.posted,
      credit?.held,
      credit?.incoming,
    ],
  );
  await client.query(
    `INSERT INTO transfers (id, livemode, status, source_wallet_id, asset, amount, destinations, hold, created_at, updated_at)
     VALUES ($1, false, 'posted', $2, 'USD', 1, $3, false, now(), now())`,
    [
      transfer_id,
      source,
      JSON.stringify([{ wallet_id: destination, amount: '1', request: { amount: '0.01' } }]),
    ],
  );
  await client.query('COMMIT');
}
