import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCommand } from '../cli/keys.js';
import { inTransaction } from '../db/pool.js';
import { postingId } from '../ledger/posting-ids.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { funded, newWallet, transfer } from '../test-support/money.js';
import { ofAccount, tamper } from '../test-support/tamper.js';
import { appendAudit } from './append.js';
import { canonical_columns, canonicalEntry, entryHash } from './chain.js';
import { sealAudit } from './seal.js';
import { verifyAuditChain } from './verify.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The entries, sealed into the chain first as the worker would. */
async function entries(where = 'true', params: unknown[] = []) {
  await sealAudit(t.db.pool);
  const result = await t.db.pool.query(`SELECT * FROM audit_logs WHERE ${where} ORDER BY seq`, params);
  return result.rows;
}

describe('the audit trail', () => {
  it('records every mutating request with actor, action, object, request id, IP, time and outcome', async () => {
    const key = await createKey(t, { scopes: ['wallets:write', 'transfers:write'] });
    const created = await t.request({
      method: 'POST',
      url: '/v1/wallets',
      key: key.secret,
      payload: { currency: 'USD' },
    });
    const refused = await t.request({
      method: 'POST',
      url: '/v1/wallets',
      key: key.secret,
      payload: { currency: 'USD', odd: 1 },
    });
    const denied = await t.request({
      method: 'POST',
      url: '/v1/holders',
      key: key.secret,
      payload: { name: 'x' },
    });
    const moved = await transfer(
      t,
      { source_wallet_id: created.json().id, destination_wallet_id: created.json().id, amount: '1.00' },
      'same-1',
    );
    const mine = await entries('actor = $1', [key.id]);
    expect(mine.map((e) => [e.action, e.object_id, e.outcome_status, e.outcome_code])).toEqual([
      ['POST /v1/wallets', created.json().id, 201, null],
      ['POST /v1/wallets', null, 400, 'invalid_request'],
      ['POST /v1/holders', null, 403, 'insufficient_scope'],
    ]);
    expect(mine[0]).toMatchObject({
      request_id: created.headers['request-id'],
      ip: '127.0.0.1',
      livemode: false,
    });
    expect(mine[0].created_at.toISOString()).toBe(t.clock.now().toISOString());
    expect(refused.statusCode).toBe(400);
    expect(denied.statusCode).toBe(403);
    const admin = await entries("action = 'POST /v1/transfers' AND request_id = $1", [
      moved.headers['request-id'],
    ]);
    expect(admin).toHaveLength(1);
    expect(admin[0]).toMatchObject({ outcome_status: 400, outcome_code: 'same_wallet' });
    const replay = await transfer(
      t,
      { source_wallet_id: created.json().id, destination_wallet_id: created.json().id, amount: '1.00' },
      'same-1',
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await entries('request_id = $1', [replay.headers['request-id']])).toHaveLength(1);
  });

  it('names the transfer a group-committed request made, and the batch request without an id', async () => {
    const [payer, payee] = [await funded(t, '10.00'), await newWallet(t)];
    const moved = await transfer(t, {
      source_wallet_id: payer,
      destination_wallet_id: payee,
      amount: '1.00',
    });
    const batch = await t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      payload: {
        transfers: [
          { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00', currency: 'USD' },
        ],
      },
    });
    const [single] = await entries('request_id = $1', [moved.headers['request-id']]);
    expect(single).toMatchObject({ object_id: moved.json().id, outcome_status: 201, outcome_code: null });
    const [batched] = await entries('request_id = $1', [batch.headers['request-id']]);
    expect(batched).toMatchObject({ object_id: null, outcome_status: 200, outcome_code: null });
  });

  it('answers a problem document, quoting nothing, when the entry of a refused request cannot be written', async () => {
    await t.db.pool.query(`CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'internal detail: relation audit_logs on db host'; END $$`);
    await t.db.pool.query(
      'CREATE TRIGGER audit_fails BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_fails()',
    );
    try {
      // Refused by its schema, so no transaction of an endpoint audits it: the onSend hook does.
      const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 7 } });
      expect(response.statusCode).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        code: 'internal_error',
        request_id: response.headers['request-id'],
      });
      expect(response.body).not.toContain('internal detail');
    } finally {
      await t.db.pool.query('DROP TRIGGER audit_fails ON audit_logs; DROP FUNCTION audit_fails()');
    }
  });

  it('does not record unauthenticated requests or reads', async () => {
    const before = (await entries()).length;
    await t.request({ method: 'POST', url: '/v1/wallets', key: null, payload: { currency: 'USD' } });
    await t.request({ method: 'GET', url: '/v1/wallets' });
    expect(await entries()).toHaveLength(before);
  });

  it('links every entry to the one before, numbered without gaps', async () => {
    await sealAudit(t.db.pool);
    const rows = await t.db.pool.query(
      `SELECT a.seq::text, ${canonical_columns}, prev_hash, hash FROM audit_logs a ORDER BY a.seq`,
    );
    expect(rows.rows.length).toBeGreaterThan(3);
    let previous = Buffer.alloc(32);
    for (const [index, row] of rows.rows.entries()) {
      expect(row.seq).toBe(String(index + 1));
      expect(row.prev_hash.equals(previous)).toBe(true);
      expect(entryHash(previous, canonicalEntry(row)).equals(row.hash)).toBe(true);
      previous = row.hash;
    }
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });

  it('hashes the canonical form that chains sealed since the first release use', () => {
    const entry = {
      seq: '7',
      id: 'aud_01',
      livemode: false,
      actor: 'key_1',
      action: 'POST /v1/transfers',
      object_id: 'tr_ü',
      request_id: null,
      ip: '127.0.0.1',
      outcome_status: 201,
      outcome_code: null,
      created_at_text: '2026-11-21T10:00:00.000001Z',
    };
    const canonical =
      '1:76:aud_014:test5:key_118:POST /v1/transfers5:tr_ü-9:127.0.0.13:201-27:2026-11-21T10:00:00.000001Z';
    expect(canonicalEntry(entry)).toBe(canonical);
    expect(entryHash(Buffer.alloc(32), canonical).toString('hex')).toBe(
      'bc4337801bf0d893f9297b95e79123916fc9a63e0054b5f52b5e7eae1aef14e7',
    );
  });

  it('keeps odd characters in fields unambiguous', async () => {
    await appendAudit(t.db.pool, [
      {
        livemode: false,
        actor: 'system:worker',
        action: 'odd: ünï 😀 1:2-',
        object_id: '-',
        request_id: null,
        ip: null,
        outcome_status: 200,
        outcome_code: null,
        created_at: t.clock.now(),
      },
    ]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });

  it('records operator actions from the CLI, in the same transaction as the key', async () => {
    const output = await inTransaction(t.db.pool, (client) => keysCommand(client, ['create'], {}));
    const key = output.json as { id: string };
    await inTransaction(t.db.pool, (client) => keysCommand(client, ['revoke', key.id], {}));
    const cli = await entries("actor = 'cli' AND object_id = $1", [key.id]);
    expect(cli.map((e) => e.action)).toEqual(['keys.create', 'keys.revoke']);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });

  it('refuses changes through SQL', async () => {
    const [first] = await entries();
    await expect(
      t.db.pool.query("UPDATE audit_logs SET action = 'x' WHERE seq = $1", [first.seq]),
    ).rejects.toThrow(/immutable/);
    await expect(t.db.pool.query('DELETE FROM audit_logs')).rejects.toThrow(/immutable/);
  });

  it('is sealed after commit, once: a fresh entry can neither be edited nor sealed twice', async () => {
    await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'fresh' } });
    const [fresh] = (await t.db.pool.query('SELECT * FROM audit_logs WHERE seq IS NULL')).rows;
    expect(fresh).toBeDefined();
    await expect(
      t.db.pool.query("UPDATE audit_logs SET action = 'x' WHERE id = $1", [fresh.id]),
    ).rejects.toThrow(/immutable/);
    expect(await sealAudit(t.db.pool)).toBeGreaterThanOrEqual(1);
    const [sealed] = (await t.db.pool.query('SELECT seq FROM audit_logs WHERE id = $1', [fresh.id])).rows;
    expect(sealed.seq).not.toBeNull();
    await expect(
      t.db.pool.query('UPDATE audit_logs SET seq = seq + 1000 WHERE id = $1', [fresh.id]),
    ).rejects.toThrow(/immutable/);
    expect(await sealAudit(t.db.pool)).toBe(0);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });

  it('refuses to seal two entries at the same position', async () => {
    await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'one' } });
    await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'two' } });
    const fresh = (await t.db.pool.query('SELECT id FROM audit_logs WHERE seq IS NULL')).rows;
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    // A sealing update, as the trigger allows it, that gives both the same number.
    await expect(
      t.db.pool.query(
        "UPDATE audit_logs SET seq = 900000, prev_hash = sha256(''), hash = sha256('') WHERE id = ANY($1)",
        [fresh.map((row) => row.id)],
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('verify names an entry the worker has not sealed for minutes', async () => {
    const fresh = await createTestApp();
    try {
      fresh.clock.advance(-600_000);
      await fresh.request({ method: 'POST', url: '/v1/holders', payload: { name: 'late' } });
      const [late] = (
        await fresh.db.pool.query('SELECT id FROM audit_logs WHERE seq IS NULL ORDER BY created_at LIMIT 1')
      ).rows;
      expect(await verifyAuditChain(fresh.db.pool)).toEqual([
        { check: 'audit_chain', subject: late.id, detail: expect.stringContaining('is not sealed') },
      ]);
      await sealAudit(fresh.db.pool);
      expect(await verifyAuditChain(fresh.db.pool)).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});

describe('purse verify', () => {
  it('names an edited entry, then a deleted one, then a deleted tail', async () => {
    const all = await entries();
    const victim = all[2];
    await tamper(t, 'UPDATE audit_logs SET outcome_status = 201, outcome_code = NULL WHERE seq = $1', [
      victim.seq,
    ]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([
      {
        check: 'audit_chain',
        subject: victim.id,
        detail: expect.stringContaining('does not match its hash'),
      },
    ]);
    await tamper(t, 'UPDATE audit_logs SET outcome_status = $2, outcome_code = $3 WHERE seq = $1', [
      victim.seq,
      victim.outcome_status,
      victim.outcome_code,
    ]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);

    await tamper(t, 'DELETE FROM audit_logs WHERE seq = $1', [victim.seq]);
    const after_gap = all[3];
    expect(await verifyAuditChain(t.db.pool)).toEqual([
      { check: 'audit_chain', subject: after_gap.id, detail: expect.stringContaining('missing before it') },
    ]);
    // Renumbering to hide the gap breaks the link instead.
    await tamper(t, 'UPDATE audit_logs SET seq = seq - 1 WHERE seq > $1', [victim.seq]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([
      {
        check: 'audit_chain',
        subject: after_gap.id,
        detail: expect.stringContaining('does not point at the hash'),
      },
    ]);
  });

  it('names a removed tail through the chain head', async () => {
    const fresh = await createTestApp();
    try {
      await fresh.request({ method: 'POST', url: '/v1/holders', payload: { name: 'a' } });
      await fresh.request({ method: 'POST', url: '/v1/holders', payload: { name: 'b' } });
      await sealAudit(fresh.db.pool);
      const rows = await fresh.db.pool.query('SELECT id, seq FROM audit_logs ORDER BY seq');
      const client = await fresh.db.pool.connect();
      await client.query("SET session_replication_role = 'replica'");
      await client.query('DELETE FROM audit_logs WHERE seq = $1', [rows.rows[1].seq]);
      client.release();
      expect(await verifyAuditChain(fresh.db.pool)).toEqual([
        {
          check: 'audit_chain',
          subject: rows.rows[0].id,
          detail: expect.stringContaining('entries after it were removed'),
        },
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('names a posting edited in SQL', async () => {
    const source = await funded(t, '50.00');
    const vendor = await newWallet(t);
    const moved = await transfer(t, {
      source_wallet_id: source,
      destination_wallet_id: vendor,
      amount: '10.00',
    });
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    const posting = await t.db.pool.query(
      `SELECT p.account_seq::text FROM postings p JOIN journal_entries x ON x.id = p.transaction_id
       WHERE x.reference_id = $1 AND ${ofAccount('$2', 'p.')}`,
      [moved.json().id, vendor],
    );
    const key = [vendor, posting.rows[0].account_seq];
    const id = postingId(vendor, posting.rows[0].account_seq);
    const the_posting = `${ofAccount('$1')} AND account_seq = $2`;
    await tamper(t, `UPDATE postings SET amount = amount + 100000 WHERE ${the_posting}`, key);
    const violations = await verifyLedger(t.db.pool);
    expect(violations).toContainEqual({
      check: 'posting_follows_previous',
      subject: id,
      detail: expect.any(String),
    });
    // Fixing the posting's own balance too leaves its journal entry unbalanced.
    await tamper(t, `UPDATE postings SET posted_after = posted_after + 100000 WHERE ${the_posting}`, key);
    expect((await verifyLedger(t.db.pool)).map((v) => v.check)).toContain('transaction_balances');
    await tamper(
      t,
      `UPDATE postings SET amount = amount - 100000, posted_after = posted_after - 100000 WHERE ${the_posting}`,
      key,
    );
    expect(await verifyLedger(t.db.pool)).toEqual([]);
  });
});
