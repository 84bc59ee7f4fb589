import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { funded, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('transfers keyed by (livemode, id) (migration 0044)', () => {
  it('have one index on their id, within the mode, and a refund names a transfer of its own mode', async () => {
    const indexes = await t.db.pool.query<{ definition: string; primary: boolean }>(
      `SELECT regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') AS definition, indisprimary AS primary
       FROM pg_index WHERE indrelid = 'transfers'::regclass`,
    );
    expect(indexes.rows.sort((a, b) => a.definition.localeCompare(b.definition))).toEqual([
      { definition: "btree (expires_at) WHERE (status = 'pending'::text)", primary: false },
      { definition: 'btree (livemode, asset, amount, id)', primary: false },
      { definition: 'btree (livemode, id)', primary: true },
    ]);

    const source = await funded(t, '10.00');
    const made = await transfer(t, {
      source_wallet_id: source,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
    });
    expect(made.statusCode, made.body).toBe(201);
    // A test-mode transfer named by a live-mode refund: refused by the key, whatever the checks above it.
    const refund = (livemode: boolean) =>
      t.db.pool.query(
        `INSERT INTO refunds (id, livemode, status, transfer_id, asset, amount, parts, created_at, updated_at)
         VALUES ($1, $2, 'succeeded', $3, 'USD', 1, '[]', now(), now())`,
        [`re_mode_${livemode}`, livemode, made.json().id],
      );
    await expect(refund(true)).rejects.toThrow(/refunds_transfer_id_fkey/);
    await refund(false);
  });
});
