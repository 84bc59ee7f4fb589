import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem, fund, funded, newWallet, transfer } from '../test-support/money.js';
import { expireHolds } from '../transfers/service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface ApiEvent {
  id: string;
  object: 'event';
  type: string;
  livemode: boolean;
  created_at: string;
  data: { object: Record<string, unknown> & { id: string } };
}

/** The events about one object, oldest first, through the API. */
async function eventsAbout(object_id: string, key?: string): Promise<ApiEvent[]> {
  const response = await t.request({
    method: 'GET',
    url: `/v1/events?object_id=${object_id}&limit=100`,
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: ApiEvent[] }>().data.reverse();
}

async function post(url: string, payload: object = {}) {
  const response = await t.request({ method: 'POST', url, payload });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json<Record<string, unknown> & { id: string }>();
}

async function eventCount(): Promise<number> {
  return Number((await t.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]?.n);
}

describe('every state change writes its event, with the object as the API returned it', () => {
  it('holders: created and updated', async () => {
    const created = await post('/v1/holders', { name: 'Ada' });
    const updated = await post(`/v1/holders/${created.id}`, { kyc_status: 'verified' });
    const events = await eventsAbout(created.id);
    expect(events.map((event) => event.type)).toEqual(['holder.created', 'holder.updated']);
    expect(events[0]?.data.object).toEqual(created);
    expect(events[1]?.data.object).toEqual(updated);
    expect(events[0]).toMatchObject({
      object: 'event',
      livemode: false,
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
    });
    expect(events[0]?.created_at).toBe(t.clock.now().toISOString());
  });

  it('wallets: created, frozen, unfrozen, closed; a status that does not change records nothing', async () => {
    const wallet = await post('/v1/wallets', { currency: 'USD' });
    const frozen = await post(`/v1/wallets/${wallet.id}/freeze`);
    await post(`/v1/wallets/${wallet.id}/freeze`);
    const unfrozen = await post(`/v1/wallets/${wallet.id}/unfreeze`);
    await post(`/v1/wallets/${wallet.id}/unfreeze`);
    const closed = await post(`/v1/wallets/${wallet.id}/close`);
    const events = await eventsAbout(wallet.id);
    expect(events.map((event) => event.type)).toEqual([
      'wallet.created',
      'wallet.frozen',
      'wallet.unfrozen',
      'wallet.closed',
    ]);
    expect(events.map((event) => event.data.object)).toEqual([wallet, frozen, unfrozen, closed]);
  });

  it('transfers: posted, pending, captured, voided and expired', async () => {
    const [source, destination] = [await funded(t, '100.00'), await newWallet(t)];
    const posted = (
      await transfer(t, { source_wallet_id: source, destination_wallet_id: destination, amount: '1.00' })
    ).json();
    const hold = (
      await transfer(t, {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount: '2.00',
        hold: true,
      })
    ).json();
    const captured = await post(`/v1/transfers/${hold.id}/capture`, { amount: '1.50' });
    const voided_hold = (
      await transfer(t, {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount: '3.00',
        hold: true,
      })
    ).json();
    const voided = await post(`/v1/transfers/${voided_hold.id}/void`);
    const expiring = (
      await transfer(t, {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount: '4.00',
        hold: true,
        expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString(),
      })
    ).json();
    const later = new Date(t.clock.now().getTime() + 120_000);
    expect(await inTransaction(t.db.pool, (db) => expireHolds(db, later, 10))).toBe(1);

    expect((await eventsAbout(posted.id)).map((event) => [event.type, event.data.object])).toEqual([
      ['transfer.posted', posted],
    ]);
    expect((await eventsAbout(hold.id)).map((event) => [event.type, event.data.object])).toEqual([
      ['transfer.pending', hold],
      ['transfer.captured', captured],
    ]);
    expect((await eventsAbout(voided_hold.id)).map((event) => [event.type, event.data.object])).toEqual([
      ['transfer.pending', voided_hold],
      ['transfer.voided', voided],
    ]);
    const expired = (await t.request({ method: 'GET', url: `/v1/transfers/${expiring.id}` })).json();
    expect(expired.status).toBe('expired');
    expect((await eventsAbout(expiring.id)).map((event) => [event.type, event.data.object])).toEqual([
      ['transfer.pending', expiring],
      ['transfer.expired', expired],
    ]);
  });

  it('batches: one event per transfer created, none for refused items or a refused atomic batch', async () => {
    const [source, destination] = [await funded(t, '5.00'), await newWallet(t)];
    const item = (amount: string) => ({
      source_wallet_id: source,
      destination_wallet_id: destination,
      amount,
      currency: 'USD',
    });
    const before = await eventCount();
    const batch = await t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      payload: { transfers: [item('1.00'), item('100.00'), item('2.00')] },
    });
    expect(batch.statusCode, batch.body).toBe(200);
    const results = batch.json().results as { status: number; transfer?: { id: string } }[];
    expect(results.map((result) => result.status)).toEqual([201, 402, 201]);
    expect(await eventCount()).toBe(before + 2);
    for (const result of results.filter((r) => r.transfer !== undefined)) {
      expect((await eventsAbout(result.transfer?.id ?? '')).map((event) => event.data.object)).toEqual([
        result.transfer,
      ]);
    }
    const atomic = await t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      payload: { atomic: true, transfers: [item('1.00'), item('100.00')] },
    });
    expectProblem(atomic, 402, 'insufficient_funds', 'transfers.1.source_wallet_id');
    expect(await eventCount()).toBe(before + 2);
  });

  it('API keys (never with the secret) and assets', async () => {
    const key = await post('/v1/api_keys', { name: 'reader', scopes: ['events:read'] });
    expect(key.secret).toMatch(/^sk_test_/);
    const revoked = await post(`/v1/api_keys/${key.id}/revoke`);
    const events = await eventsAbout(key.id);
    expect(events.map((event) => event.type)).toEqual(['api_key.created', 'api_key.revoked']);
    const { secret: _secret, ...without_secret } = key;
    expect(events[0]?.data.object).toEqual(without_secret);
    expect(JSON.stringify(events)).not.toContain(String(key.secret));
    expect(events[1]?.data.object).toEqual(revoked);
    const asset = await post('/v1/assets', { code: 'GEMS', scale: 0, name: 'Gems' });
    expect((await eventsAbout('GEMS')).map((event) => [event.type, event.data.object])).toEqual([
      ['asset.created', asset],
    ]);
  });
});

describe('the outbox is transactional', () => {
  it('a refused change writes no event', async () => {
    const [source, destination] = [await newWallet(t), await newWallet(t)];
    const before = await eventCount();
    expectProblem(
      await transfer(t, { source_wallet_id: source, destination_wallet_id: destination, amount: '1.00' }),
      402,
      'insufficient_funds',
      'source_wallet_id',
    );
    expectProblem(
      await t.request({ method: 'POST', url: '/v1/holders', payload: { kyc_tier: 99 } }),
      400,
      'invalid_request',
      'kyc_tier',
    );
    expect(await eventCount()).toBe(before);
  });

  it('a change whose event cannot be written does not happen', async () => {
    await t.db.pool.query(`CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = 'holder.created' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await t.db.pool.query(
      'CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event()',
    );
    // Payloads are sealed, so the trigger refuses by type; names are sealed too, so holders are counted.
    const holders = async () => (await t.db.pool.query('SELECT 1 FROM holders')).rowCount;
    const before = await holders();
    try {
      const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Refused' } });
      expect(response.statusCode).toBe(500);
      expect(await holders()).toBe(before);
    } finally {
      await t.db.pool.query('DROP TRIGGER refuse_event ON events');
    }
  });

  it('every transfer has exactly the events of its history, and events cannot be edited', async () => {
    const counts = await t.db.pool.query<{ transfers: string; created: string }>(
      `SELECT (SELECT count(*) FROM transfers) AS transfers,
              (SELECT count(*) FROM events WHERE type IN ('transfer.posted', 'transfer.pending')) AS created`,
    );
    expect(counts.rows[0]?.transfers).toBe(counts.rows[0]?.created);
    await expect(
      t.db.pool.query("UPDATE events SET type = 'holder.updated' WHERE type = 'holder.created'"),
    ).rejects.toThrow(/immutable/);
    const some = (await t.db.pool.query<{ id: string }>('SELECT id FROM events LIMIT 1')).rows[0]?.id;
    await t.db.pool.query('UPDATE events SET position = 1000000 WHERE id = $1', [some]);
    await expect(
      t.db.pool.query('UPDATE events SET position = 1000001 WHERE id = $1', [some]),
    ).rejects.toThrow(/immutable/);
    await expect(t.db.pool.query('DELETE FROM events WHERE id = $1', [some])).rejects.toThrow(/permanent/);
  });
});

describe('GET /v1/events', () => {
  it('filters by type, prefix pattern, object and creation time, newest first', async () => {
    const wallet = await newWallet(t);
    t.clock.advance(1_000);
    const first_time = t.clock.now().toISOString();
    await fund(t, wallet, '10.00');
    await post(`/v1/wallets/${wallet}/freeze`);
    t.clock.advance(1_000);
    await post(`/v1/wallets/${wallet}/unfreeze`);
    const list = async (query: string) => {
      const response = await t.request({ method: 'GET', url: `/v1/events?${query}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ data: ApiEvent[]; has_more: boolean }>();
    };
    expect((await list(`object_id=${wallet}`)).data.map((e) => e.type)).toEqual([
      'wallet.unfrozen',
      'wallet.frozen',
      'wallet.created',
    ]);
    expect((await list(`object_id=${wallet}&type=wallet.frozen`)).data.map((e) => e.type)).toEqual([
      'wallet.frozen',
    ]);
    expect((await list(`object_id=${wallet}&type=wallet.*`)).data).toHaveLength(3);
    expect((await list(`object_id=${wallet}&type=transfer.*`)).data).toHaveLength(0);
    expect((await list(`object_id=${wallet}&created_gte=${first_time}`)).data.map((e) => e.type)).toEqual([
      'wallet.unfrozen',
      'wallet.frozen',
    ]);
    expect((await list(`object_id=${wallet}&created_lt=${first_time}`)).data.map((e) => e.type)).toEqual([
      'wallet.created',
    ]);
    const page = await list(`object_id=${wallet}&limit=2`);
    expect(page.has_more).toBe(true);
    const rest = await list(`object_id=${wallet}&limit=2&starting_after=${page.data[1]?.id}`);
    expect(rest.data.map((e) => e.type)).toEqual(['wallet.created']);
    const one = page.data[0];
    expect((await t.request({ method: 'GET', url: `/v1/events/${one?.id}` })).json()).toEqual(one);
  });

  it('refuses unknown types, and patterns that match nothing', async () => {
    for (const type of ['wallet.melted', 'nothing.*', 'walle.*']) {
      expectProblem(
        await t.request({ method: 'GET', url: `/v1/events?type=${type}` }),
        400,
        'unknown_event_type',
        'type',
      );
    }
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/events?type=Wallet' }),
      400,
      'invalid_request',
      'type',
    );
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/events?starting_after=hol_1' }),
      400,
      'invalid_cursor',
      'starting_after',
    );
  });

  it("shows a key only its own mode's events and needs events:read", async () => {
    const holder = await post('/v1/holders', { name: 'Test mode only' });
    const [event] = await eventsAbout(holder.id);
    expect(await eventsAbout(holder.id, t.live_key)).toEqual([]);
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/events/${event?.id}`, key: t.live_key }),
      404,
      'resource_not_found',
    );
    const reader = await post('/v1/api_keys', { name: 'holders only', scopes: ['holders:read'] });
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/events', key: String(reader.secret) }),
      403,
      'insufficient_scope',
      'events:read',
    );
  });
});
