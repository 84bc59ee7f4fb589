import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { sample_files, upload } from '../test-support/files.js';
import { test_kek_text } from '../test-support/kek.js';
import { funded, getJson, postOk } from '../test-support/money.js';
import { runPurse } from '../test-support/process.js';
import { kekId, sealedKeyId } from './envelope.js';
import { newKekText } from './kek.js';
import { loadDataKeys, openBytes } from './keyring.js';
import { rotateDataKey } from './rotation.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function purse(args: string[], env: Record<string, string> = {}) {
  const run = runPurse(args, { DATABASE_URL: t.db.url, ...env });
  let stdout = '';
  run.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  await new Promise((resolve) => run.child.once('close', resolve));
  return { code: await run.exited, stdout, output: run.output() };
}

async function keyIdsOf(sql: string): Promise<Set<string | undefined>> {
  const rows = await t.db.pool.query<{ sealed: string }>(sql);
  return new Set(rows.rows.map((row) => sealedKeyId(row.sealed)));
}

async function newestKey(record_class: string): Promise<{ id: string; version: number }> {
  const found = await t.db.pool.query<{ id: string; version: number }>(
    'SELECT id, version FROM data_keys WHERE record_class = $1 ORDER BY version DESC LIMIT 1',
    [record_class],
  );
  const key = found.rows[0];
  if (key === undefined) throw new Error(`no ${record_class} key`);
  return key;
}

describe('rotating data keys', () => {
  it('keeps every value readable while a new version takes over, then re-seals every row under it', async () => {
    const holders = [];
    for (let n = 0; n < 5; n += 1)
      holders.push(
        await postOk(t, '/v1/holders', { name: `Rotated Person ${n}`, email: `r${n}@example.com` }),
      );
    const before = await newestKey('personal');
    const events_before = (await getJson(t, '/v1/events?limit=100')).data as unknown[];
    // Reads go on throughout: before, during the activation delay, while rows are re-sealed.
    let reading = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (reading) {
        const response = await t.request({ method: 'GET', url: '/v1/holders?limit=100' });
        reads.push(response.statusCode);
        expect(response.json().data.map((holder: { name: string }) => holder.name)).toContain(
          'Rotated Person 0',
        );
      }
    })();
    const rotation = await rotateDataKey(t.db.pool, 'personal', 300);
    // A holder made after the rotation is sealed by the new key.
    const later = await postOk(t, '/v1/holders', { name: 'After Rotation', email: 'after@example.com' });
    reading = false;
    await reader;
    expect(reads.length).toBeGreaterThan(1);
    expect(new Set(reads)).toEqual(new Set([200]));
    expect(rotation).toMatchObject({ record_class: 'personal', version: before.version + 1, stale_rows: 0 });
    expect(rotation.resealed_rows).toBeGreaterThanOrEqual(10);
    expect(await keyIdsOf('SELECT name AS sealed FROM holders WHERE name IS NOT NULL')).toEqual(
      new Set([rotation.key_id]),
    );
    expect(await keyIdsOf("SELECT data #>> '{}' AS sealed FROM events")).toEqual(new Set([rotation.key_id]));
    // Re-sealed in the form they had: events stay compressed, and open to the same payloads.
    const forms = await t.db.pool.query(
      "SELECT DISTINCT data #>> '{}' LIKE '%.z1' AS compressed FROM events",
    );
    expect(forms.rows).toEqual([{ compressed: true }]);
    const events_after = (await getJson(t, '/v1/events?limit=100')).data as unknown[];
    expect(events_after.slice(-events_before.length)).toEqual(events_before);
    for (const holder of [...holders, later])
      expect((await getJson(t, `/v1/holders/${holder.id}`)).name).toBe(holder.name);
    // The old version stays, to open anything it sealed that is still about (a backup).
    expect((await t.db.pool.query('SELECT 1 FROM data_keys WHERE id = $1', [before.id])).rowCount).toBe(1);
  });

  it('re-seals a file from its bytes: binary content comes through a rotation unchanged', async () => {
    const content = sample_files.png();
    const response = await upload(t, 'identity_document', content);
    expect(response.statusCode, response.body).toBe(201);
    const rotation = await rotateDataKey(t.db.pool, 'file', 0);
    const stored = await t.db.pool.query<{ content: string }>('SELECT content FROM files WHERE id = $1', [
      response.json().id,
    ]);
    const sealed = stored.rows[0]?.content ?? '';
    expect(sealedKeyId(sealed)).toBe(rotation.key_id);
    expect(openBytes('file', sealed).equals(content)).toBe(true);
  });

  it('refuses to rotate the lookup key, whose keyed hashes would all change', async () => {
    await expect(rotateDataKey(t.db.pool, 'lookup', 0)).rejects.toThrow(/does not rotate/);
  });

  it('purse keys rotate-data-key re-seals tokens; rotate-kek re-wraps, after which only the new KEK opens them', async () => {
    const wallet = await funded(t, '10.00');
    await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '1.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Rotated Payee',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    });
    const rotated = await purse([
      'keys',
      'rotate-data-key',
      '--class',
      'instrument',
      '--activate-after-s',
      '0',
      '--json',
    ]);
    expect(rotated.code, rotated.output).toBe(0);
    const [rotation] = JSON.parse(rotated.stdout).rotations;
    expect(rotation).toMatchObject({ record_class: 'instrument', stale_rows: 0 });
    await loadDataKeys(t.db.pool);
    expect(await keyIdsOf('SELECT sealed_value AS sealed FROM tokens')).toEqual(new Set([rotation.key_id]));
    // The token still pays out: the schedule-less payout path detokenizes under the new key.
    await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '1.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Rotated Payee',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    });

    const new_kek = newKekText();
    const rewrapped = await purse(['keys', 'rotate-kek', '--json'], { PURSE_NEW_KEK: new_kek });
    expect(rewrapped.code, rewrapped.output).toBe(0);
    const new_id = kekId(Buffer.from(new_kek, 'base64'));
    expect(JSON.parse(rewrapped.stdout)).toMatchObject({ kek_id: new_id });
    const wrapped_by = await t.db.pool.query<{ kek_id: string }>('SELECT DISTINCT kek_id FROM data_keys');
    expect(wrapped_by.rows).toEqual([{ kek_id: new_id }]);
    // The new KEK alone opens the database; the old one is refused with kek_mismatch.
    const with_new = await purse(['keys', 'list', '--json'], { PURSE_KEK: new_kek });
    expect(with_new.code, with_new.output).toBe(0);
    const with_old = await purse(['keys', 'list'], { PURSE_KEK: test_kek_text });
    expect(with_old.code).toBe(1);
    expect(with_old.output).toContain('kek_mismatch');
    const with_other = await purse(['keys', 'list'], { PURSE_KEK: randomBytes(32).toString('base64') });
    expect(with_other.output).toContain('kek_mismatch');
  });
});
