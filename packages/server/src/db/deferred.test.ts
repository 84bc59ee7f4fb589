import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { DeferredInserts } from './deferred.js';
import type { Queryable } from './pool.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  await db.pool.query('CREATE TABLE a (n int, s text)');
  await db.pool.query('CREATE TABLE b (n int)');
});
afterAll(() => db.drop());

describe('DeferredInserts', () => {
  it('sends every queued INSERT in one statement, with their parameters renumbered, in order', async () => {
    const sent: string[] = [];
    const counting: Queryable = {
      query: ((sql: string, params: unknown[]) => {
        sent.push(sql);
        return db.pool.query(sql, params);
      }) as Queryable['query'],
    };
    const deferred = new DeferredInserts();
    await deferred.queryable.query('INSERT INTO a (n, s) VALUES ($1, $2)', [1, 'one']);
    await deferred.queryable.query('INSERT INTO b (n) SELECT * FROM unnest($1::int[])', [[10, 11]]);
    await deferred.queryable.query('INSERT INTO a (n, s) VALUES ($2, $1)', ['two', 2]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM a')).rows[0].n).toBe(0);
    await deferred.flush(counting);
    expect(sent).toHaveLength(1);
    expect((await db.pool.query('SELECT n, s FROM a ORDER BY n')).rows).toEqual([
      { n: 1, s: 'one' },
      { n: 2, s: 'two' },
    ]);
    expect((await db.pool.query('SELECT n FROM b ORDER BY n')).rows).toEqual([{ n: 10 }, { n: 11 }]);
    await deferred.flush(counting);
    expect(sent).toHaveLength(1);
  });

  it('joins INSERTs of the rows of their arrays that share a text into one, and no other kind', async () => {
    const sent: string[] = [];
    const recording: Queryable = {
      query: ((sql: string, params: unknown[]) => {
        sent.push(sql);
        return db.pool.query(sql, params);
      }) as Queryable['query'],
    };
    await db.pool.query('DELETE FROM b');
    const rows = 'INSERT INTO b (n) SELECT * FROM unnest($1::int[])';
    const values = 'INSERT INTO b (n) VALUES ($1)';
    const deferred = new DeferredInserts();
    await deferred.queryable.query(rows, [[1, 2]]);
    await deferred.queryable.query(values, [3]);
    await deferred.queryable.query(rows, [[4]]);
    await deferred.queryable.query(values, [5]);
    await deferred.flush(recording);
    // One CTE for the two array inserts (joined), one per VALUES insert.
    const text = String((sent[0] as unknown as { text: string }).text);
    expect(text.match(/ AS \(/g)).toHaveLength(3);
    expect((await db.pool.query('SELECT n FROM b ORDER BY n')).rows.map((row) => row.n)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('sends UPDATEs in the same statement and fails the flush unless each changed the rows expected', async () => {
    await db.pool.query("INSERT INTO a (n, s) VALUES (100, 'x'), (101, 'x'), (102, 'x')");
    const deferred = new DeferredInserts();
    await deferred.queryable.query('INSERT INTO b (n) VALUES ($1)', [100]);
    deferred.update("UPDATE a SET s = $2 WHERE n = ANY($1::int[]) AND s = 'x'", [[100, 101], 'y'], 2);
    deferred.update('UPDATE a SET s = $1 WHERE n = 102', ['z'], 1);
    await deferred.flush(db.pool);
    expect((await db.pool.query('SELECT n, s FROM a WHERE n >= 100 ORDER BY n')).rows).toEqual([
      { n: 100, s: 'y' },
      { n: 101, s: 'y' },
      { n: 102, s: 'z' },
    ]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM b WHERE n = 100')).rows[0].n).toBe(1);
    deferred.update("UPDATE a SET s = 'w' WHERE n = ANY($1::int[]) AND s = 'x'", [[100, 101]], 2);
    await expect(deferred.flush(db.pool)).rejects.toThrow(/changed every row/);
    expect(() => deferred.update('UPDATE a SET s = s RETURNING n', [], 0)).toThrow(/without RETURNING/);
  });

  it('refuses what someone might read the result of', () => {
    const deferred = new DeferredInserts();
    expect(() => deferred.queryable.query('SELECT 1')).toThrow(/only INSERTs/);
    expect(() => deferred.queryable.query('INSERT INTO a (n) VALUES (1) RETURNING n')).toThrow(
      /only INSERTs/,
    );
  });
});
