import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet, transfer } from '../test-support/money.js';
import { skipForBench } from './bench-skips.js';

describe('PURSE_BENCH_SKIP', () => {
  it('is empty by default and refuses parts it does not know', () => {
    expect(loadConfig({}).bench_skip).toEqual([]);
    expect(loadConfig({ PURSE_BENCH_SKIP: 'events,risk' }).bench_skip).toEqual(['events', 'risk']);
    expect(() => loadConfig({ PURSE_BENCH_SKIP: 'events,ledger' })).toThrow(
      'PURSE_BENCH_SKIP takes events, audit, risk, got "ledger"',
    );
  });

  describe('switched on', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      skipForBench([]);
      await t.close();
    });

    it('writes the transfer without its event or audit entry, and nothing else changes', async () => {
      const [payer, payee] = [await newWallet(t), await newWallet(t)];
      await fund(t, payer, '10.00');
      skipForBench(['events', 'audit']);
      const response = await transfer(t, {
        source_wallet_id: payer,
        destination_wallet_id: payee,
        amount: '1.00',
      });
      skipForBench([]);
      expect(response.statusCode, response.body).toBe(201);
      const id = response.json().id;
      const count = async (sql: string) => Number((await t.db.pool.query(sql, [id])).rows[0]?.n);
      expect(await count('SELECT count(*) AS n FROM events WHERE object_id = $1')).toBe(0);
      expect(await count('SELECT count(*) AS n FROM audit_logs WHERE object_id = $1')).toBe(0);
      expect(await count('SELECT count(*) AS n FROM transfers WHERE id = $1')).toBe(1);
    });
  });
});
