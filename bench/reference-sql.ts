/**
 * What PostgreSQL alone does on this machine, in the same run, from 16 node-postgres clients: the
 * issue's plain SQL transfer (lock the accounts in id order, update them, insert the transfer and
 * its postings, commit), one statement per step and one transfer per commit; and 100 transfers per
 * commit written set-based (one statement per step for all of them, as a batching engine writes),
 * each uniform or also crediting one fee account. No HTTP, no idempotency, events or audit: the
 * ceilings the write path is read against.
 */
import pg from 'pg';
import type { LoadResult } from './load.js';

const accounts_count = 10_000;
const fee_account = 0;
const clients_count = 16;

export interface SqlReference {
  readonly name: string;
  readonly per_commit: number;
  readonly hot: boolean;
}

export const sql_references: readonly SqlReference[] = [
  { name: 'plain SQL, 1 per commit', per_commit: 1, hot: false },
  { name: 'plain SQL, 1 per commit, hot fee account', per_commit: 1, hot: true },
  { name: 'set-based SQL, 100 per commit', per_commit: 100, hot: false },
  { name: 'set-based SQL, 100 per commit, hot fee account', per_commit: 100, hot: true },
];

/** Creates the reference's own tables in schema `bench_ref` of the database. */
export async function createSqlReference(database_url: string): Promise<void> {
  const client = new pg.Client({ connectionString: database_url });
  await client.connect();
  try {
    await client.query(`
      CREATE SCHEMA bench_ref;
      CREATE TABLE bench_ref.accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
      CREATE TABLE bench_ref.transfers (id bigserial PRIMARY KEY, debit_id bigint NOT NULL, credit_id bigint NOT NULL,
        amount bigint NOT NULL, fee bigint NOT NULL);
      CREATE TABLE bench_ref.postings (id bigserial PRIMARY KEY, transfer_id bigint NOT NULL, account_id bigint NOT NULL,
        amount bigint NOT NULL);
      INSERT INTO bench_ref.accounts SELECT g, 1000000000 FROM generate_series(0, ${accounts_count}) g;`);
  } finally {
    await client.end();
  }
}

/** Runs one reference for `duration_s` seconds; latency is per commit. */
export function runSqlReference(
  database_url: string,
  reference: SqlReference,
  duration_s: number,
): Promise<LoadResult> {
  return lanes(database_url, duration_s, (client) => commitTransfers(client, reference));
}

/**
 * Runs `commit` in a loop on each of 16 clients for `duration_s` seconds, each call one commit;
 * requests_ok counts commits and latency is per commit. A failing lane stops the others.
 */
export async function lanes(
  database_url: string,
  duration_s: number,
  commit: (client: pg.Client) => Promise<void>,
): Promise<LoadResult> {
  let deadline_ms = Date.now() + duration_s * 1000;
  const latencies_ms: number[] = [];
  let committed = 0;
  const lane = async () => {
    const client = new pg.Client({ connectionString: database_url });
    await client.connect();
    try {
      while (Date.now() < deadline_ms) {
        const started_ms = performance.now();
        await commit(client);
        latencies_ms.push(performance.now() - started_ms);
        committed += 1;
      }
    } finally {
      await client.end();
    }
  };
  const started_ms = Date.now();
  // A failing lane stops the others before the error surfaces, so none is cut off mid-query.
  const outcomes = await Promise.allSettled(
    Array.from({ length: clients_count }, () =>
      lane().catch((error: unknown) => {
        deadline_ms = 0;
        throw error;
      }),
    ),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  latencies_ms.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies_ms[Math.min(latencies_ms.length - 1, Math.floor(q * latencies_ms.length))] ?? 0);
  return {
    requests_ok: committed,
    errors: 0,
    duration_s: (Date.now() - started_ms) / 1000,
    latency_ms: { p50: at(0.5), p99: at(0.99), max: at(1) },
  };
}

/** One transaction of `per_commit` random transfers; every account it touches is locked first, in id order. */
async function commitTransfers(client: pg.Client, reference: SqlReference): Promise<void> {
  const transfers = Array.from({ length: reference.per_commit }, randomPair);
  const ids = [...new Set(transfers.flat().concat(reference.hot ? [fee_account] : []))];
  const fee = reference.hot ? 1 : 0;
  await client.query('BEGIN');
  await client.query(
    'SELECT id FROM bench_ref.accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
    [ids],
  );
  if (reference.per_commit === 1) await writeOneByOne(client, transfers, fee);
  else await writeSetBased(client, transfers, fee);
  await client.query('COMMIT');
}

async function writeOneByOne(client: pg.Client, transfers: readonly [number, number][], fee: number) {
  const legs = fee > 0 ? 3 : 2;
  for (const [debit, credit] of transfers) {
    await client.query('UPDATE bench_ref.accounts SET balance = balance - $2 WHERE id = $1', [
      debit,
      1 + fee,
    ]);
    await client.query('UPDATE bench_ref.accounts SET balance = balance + 1 WHERE id = $1', [credit]);
    if (fee > 0)
      await client.query('UPDATE bench_ref.accounts SET balance = balance + $2 WHERE id = $1', [
        fee_account,
        fee,
      ]);
    const inserted = await client.query<{ id: string }>(
      'INSERT INTO bench_ref.transfers (debit_id, credit_id, amount, fee) VALUES ($1, $2, 1, $3) RETURNING id',
      [debit, credit, fee],
    );
    await client.query(
      'INSERT INTO bench_ref.postings (transfer_id, account_id, amount) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[])',
      [inserted.rows[0]?.id, [debit, credit, fee_account].slice(0, legs), [-1 - fee, 1, fee].slice(0, legs)],
    );
  }
}

async function writeSetBased(client: pg.Client, transfers: readonly [number, number][], fee: number) {
  const deltas = new Map<number, number>();
  const add = (id: number, amount: number) => deltas.set(id, (deltas.get(id) ?? 0) + amount);
  for (const [debit, credit] of transfers) {
    add(debit, -1 - fee);
    add(credit, 1);
    if (fee > 0) add(fee_account, fee);
  }
  await client.query(
    `UPDATE bench_ref.accounts a SET balance = a.balance + d.delta
     FROM unnest($1::bigint[], $2::bigint[]) AS d (id, delta) WHERE a.id = d.id`,
    [[...deltas.keys()], [...deltas.values()]],
  );
  await client.query(
    `WITH t AS (
       INSERT INTO bench_ref.transfers (debit_id, credit_id, amount, fee)
       SELECT d, c, 1, $3 FROM unnest($1::bigint[], $2::bigint[]) AS u (d, c) RETURNING id, debit_id, credit_id, fee)
     INSERT INTO bench_ref.postings (transfer_id, account_id, amount)
     SELECT id, debit_id, -1 - fee FROM t UNION ALL SELECT id, credit_id, 1 FROM t
     UNION ALL SELECT id, ${fee_account}, fee FROM t WHERE fee > 0`,
    [transfers.map(([debit]) => debit), transfers.map(([, credit]) => credit), fee],
  );
}

function randomPair(): [number, number] {
  const debit = 1 + Math.floor(Math.random() * accounts_count);
  const credit = 1 + ((debit + Math.floor(Math.random() * (accounts_count - 1))) % accounts_count);
  return [debit, credit];
}
