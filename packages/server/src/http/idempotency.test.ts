import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../crypto/keyring.js';
import { lockKeys, purgeExpiredKeys } from '../requests/idempotency-store.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ idempotency_wait_ms_max: 300 });
});
afterAll(() => t.close());

async function holderCount(): Promise<number> {
  const result = await t.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM holders');
  return Number(result.rows[0]?.n);
}

function createHolder(key: string, payload: object = { name: 'Ada' }) {
  return t.request({ method: 'POST', url: '/v1/holders', payload, headers: { 'idempotency-key': key } });
}

describe('Idempotency-Key', () => {
  it('replays the first response, status and body, with Idempotent-Replayed', async () => {
    const first = await createHolder('replay-1', { name: 'Ada', metadata: { a: '1' } });
    const again = await createHolder('replay-1', { metadata: { a: '1' }, name: 'Ada' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });

  it('replays a response recorded before compression (sealed as it was) unchanged', async () => {
    const first = await createHolder('replay-uncompressed', { name: 'Ada' });
    const stored = await t.db.pool.query<{ response_body: string }>(
      'SELECT response_body FROM idempotency_keys WHERE key = $1',
      ['replay-uncompressed'],
    );
    expect(stored.rows[0]?.response_body.endsWith('.z1')).toBe(true);
    // As a build before compression wrote it: the same body, sealed without compressing.
    await t.db.pool.query('UPDATE idempotency_keys SET response_body = $1 WHERE key = $2', [
      seal('personal', first.body),
      'replay-uncompressed',
    ]);
    const again = await createHolder('replay-uncompressed', { name: 'Ada' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });

  it('refuses the same key with another body: 422 idempotency_key_reused, nothing written', async () => {
    await createHolder('reuse-1', { name: 'Ada' });
    const before = await holderCount();
    const other = await createHolder('reuse-1', { name: 'Bob' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(await holderCount()).toBe(before);
  });

  it('treats the same key on another path as reuse', async () => {
    await createHolder('path-1', { name: 'Ada' });
    const other = await t.request({
      method: 'POST',
      url: '/v1/assets',
      payload: { name: 'Ada' },
      headers: { 'idempotency-key': 'path-1' },
    });
    expect(other.statusCode).toBe(400); // schema validation runs before the key is looked at
    const valid = await t.request({
      method: 'POST',
      url: '/v1/assets',
      payload: { code: 'PTS', scale: 0, name: 'Points' },
      headers: { 'idempotency-key': 'path-1' },
    });
    expect(valid.statusCode).toBe(422);
  });

  it('executes ten concurrent requests with one key once, and all see the same answer', async () => {
    const before = await holderCount();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createHolder('race-1', { name: 'Once' })),
    );
    const created = responses.filter((response) => response.statusCode === 201);
    const in_use = responses.filter((response) => response.statusCode === 409);
    expect(created.length + in_use.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((response) => response.json().id)).size).toBe(1);
    for (const response of in_use) expect(response.json().code).toBe('idempotency_key_in_use');
    expect(await holderCount()).toBe(before + 1);
  });

  it('locks keys holding quotes and backslashes as keys, not SQL, on the holder and the transfer paths', async () => {
    const key = `it's\\';SELECT/**/pg_sleep(5);--"x"\\\\`;
    const holders = await Promise.all(Array.from({ length: 4 }, () => createHolder(key, { name: 'Odd' })));
    expect(holders.map((response) => response.statusCode).sort()).toEqual([201, 201, 201, 201]);
    expect(new Set(holders.map((response) => response.json().id)).size).toBe(1);
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const payload = { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' };
    const transfers = await Promise.all(Array.from({ length: 4 }, () => transfer(t, payload, `${key}t`)));
    expect(
      transfers.map((response) => response.statusCode),
      transfers[0]?.body,
    ).toEqual([201, 201, 201, 201]);
    expect(new Set(transfers.map((response) => response.json().id)).size).toBe(1);
    expect(await balanceOf(t, payee)).toMatchObject({ available: '1.00' });
  });

  it('answers 409 idempotency_key_in_use while the first request still holds the key', async () => {
    const key_id = (
      await t.db.pool.query<{ id: string }>('SELECT id FROM api_keys WHERE livemode = false LIMIT 1')
    ).rows[0]?.id;
    const holder_of_key = await t.db.pool.connect();
    await holder_of_key.query('BEGIN');
    await lockKeys(holder_of_key, [{ api_key_id: key_id ?? '', key: 'held-1' }]);
    const response = await createHolder('held-1', { name: 'Slow' });
    await holder_of_key.query('ROLLBACK');
    holder_of_key.release();
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'idempotency_key_in_use' });
    // The holder of the key gave up, so the key is free again and a retry executes.
    expect((await createHolder('held-1', { name: 'Slow' })).statusCode).toBe(201);
  });

  it('records a domain error and replays it, without its effect', async () => {
    await createHolder('dup-ext-a', { external_id: 'ext-dup' });
    const before = await holderCount();
    const first = await createHolder('dup-ext-b', { external_id: 'ext-dup' });
    const again = await createHolder('dup-ext-b', { external_id: 'ext-dup' });
    expect(first.statusCode).toBe(409);
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await holderCount()).toBe(before);
  });

  it('does not record requests that fail validation, so a corrected retry may use the key', async () => {
    const bad = await createHolder('fix-1', { name: 7 });
    expect(bad.statusCode).toBe(400);
    expect((await createHolder('fix-1', { name: 'Fixed' })).statusCode).toBe(201);
  });

  it('scopes keys per API key: another key with the same Idempotency-Key executes anew', async () => {
    const first = await createHolder('scoped-1', { name: 'Ada' });
    const created = await t.request({ method: 'POST', url: '/v1/api_keys', payload: { name: 'second' } });
    const second_key = created.json().secret as string;
    const other = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'Ada' },
      headers: { 'idempotency-key': 'scoped-1' },
      key: second_key,
    });
    expect(other.statusCode).toBe(201);
    expect(other.json().id).not.toBe(first.json().id);
  });

  it('refuses an overlong or non-printable key with 400', async () => {
    const long = await createHolder('k'.repeat(256));
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'invalid_request', param: 'Idempotency-Key' });
  });

  it('keeps keys for the retention period, then the purge job removes them', async () => {
    await createHolder('purge-1');
    const retention_s = t.config.limits.idempotency_retention_s;
    const count = async () =>
      Number(
        (
          await t.db.pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'purge-1'",
          )
        ).rows[0]?.n,
      );
    expect(await purgeExpiredKeys(t.db.pool, retention_s, new Date())).toBe(0);
    expect(await count()).toBe(1);
    const later = new Date(Date.now() + (retention_s + 60) * 1000);
    expect(await purgeExpiredKeys(t.db.pool, retention_s, later)).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(0);
  });

  it('cannot store a key without its response (database guard)', async () => {
    const key_id =
      (await t.db.pool.query<{ id: string }>('SELECT id FROM api_keys LIMIT 1')).rows[0]?.id ?? '';
    await expect(
      t.db.pool.query('INSERT INTO idempotency_keys (api_key_id, key, fingerprint) VALUES ($1, $2, $3)', [
        key_id,
        'bare',
        Buffer.alloc(32),
      ]),
    ).rejects.toThrow(/null value/);
  });
});
