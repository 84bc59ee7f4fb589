import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  IdempotencyError,
  InsufficientFundsError,
  InvalidRequestError,
  NotFoundError,
  type PurseError,
} from '../src/index.js';
import { type LiveServer, startServer } from './server.js';

let server: LiveServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('the client against a real server', () => {
  it('creates and reads objects, typed from openapi.json', async () => {
    const purse = server.client();
    const holder = await purse.holders.create({ name: 'Ada' });
    const wallet = await purse.wallets.create({ currency: 'USD', holder_id: holder.id });
    expect(wallet.object).toBe('wallet');
    const read = await purse.wallets.retrieve(wallet.id);
    expect(read.balance.available).toBe('0.00');
    const balance = await purse.wallets.balance(wallet.id);
    expect(balance.available).toBe('0.00');
  });

  it('verifies a holder through its verification sessions', async () => {
    const purse = server.client();
    const holder = await purse.holders.create({ name: 'Ada Lovelace' });
    const session = await purse.verification_sessions.create(holder.id, {
      type: 'person',
      person: { first_name: 'Ada' },
    });
    expect(session).toMatchObject({ status: 'requires_input', holder_id: holder.id });
    const done = await purse.verification_sessions.update(session.id, {
      person: {
        last_name: 'Lovelace',
        dob: '1990-04-12',
        address: { line1: '1 Row', city: 'London', country: 'GB' },
      },
    });
    expect(done).toMatchObject({ status: 'verified', verified_tier: 1 });
    const listed = await purse.verification_sessions.list({ holder_id: holder.id });
    expect(listed.data.map((item) => item.id)).toEqual([session.id]);
  });

  it('registers a partner app, lists consents, and refuses an unsafe redirect URI', async () => {
    const purse = server.client();
    const app = await purse.oauth_clients.create({
      name: 'Budget Buddy',
      redirect_uris: ['https://budget.example.com/callback'],
      scopes: ['wallets:read'],
    });
    expect(app.client_secret).toMatch(/^pcs_test_/);
    expect((await purse.oauth_clients.retrieve(app.id)).client_secret).toBeUndefined();
    expect((await purse.consents.list({ client_id: app.id })).data).toEqual([]);
    const refused = await purse.oauth_clients
      .create({ name: 'x', redirect_uris: ['http://example.com/cb'], scopes: ['wallets:read'] })
      .catch((error: PurseError) => error);
    expect(refused).toMatchObject({ code: 'invalid_redirect_uri', param: 'redirect_uris.0' });
    expect((await purse.oauth_clients.del(app.id)).revoked_at).not.toBeNull();
  });

  it('turns problems into typed errors with code, param and request_id', async () => {
    const purse = server.client();
    const missing = await purse.wallets.retrieve('wal_00000000000000000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'resource_not_found' });
    expect((missing as PurseError).request_id).toMatch(/^req_/);

    const invalid = await purse.wallets
      .create({ currency: 'USD', metadata: { '': 'x' } })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((invalid as PurseError).param).toMatch(/^metadata/);

    const bad_key = await server
      .client({ key: 'sk_test_nope' })
      .wallets.list()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(bad_key).toBeInstanceOf(AuthenticationError);
    expect(bad_key).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('answers 402 insufficient_funds as an InsufficientFundsError, without retrying', async () => {
    const purse = server.client();
    const [a, b] = await Promise.all([
      purse.wallets.create({ currency: 'USD' }),
      purse.wallets.create({ currency: 'USD' }),
    ]);
    const error = await purse.transfers
      .create({ source_wallet_id: a.id, destination_wallet_id: b.id, amount: '1.00', currency: 'USD' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect(error).toMatchObject({ status: 402, code: 'insufficient_funds', param: 'source_wallet_id' });
  });

  it('cancels a pending payout and retries a failed one', async () => {
    const purse = server.client();
    const wallet = await purse.wallets.create({ currency: 'USD' });
    const card = { type: 'card' as const, number: '4242424242424242' };
    await purse.payments.create({ wallet_id: wallet.id, amount: '50.00', currency: 'USD', source: card });
    const destination = {
      type: 'bank_account' as const,
      account_holder_name: 'Ada Lovelace',
      account_number: '000123456789',
      routing_number: '110000000',
    };
    const payout = { wallet_id: wallet.id, amount: '20.00', currency: 'USD', destination };
    const first = await purse.payouts.create(payout);
    expect((await purse.payouts.cancel(first.id)).status).toBe('canceled');
    const second = await purse.payouts.create(payout);
    await purse.test_helpers.failPayout(second.id, {});
    const again = await purse.payouts.retry(second.id);
    expect(again).toMatchObject({ status: 'pending', retry_of: second.id, amount: '20.00' });
    expect((await purse.payouts.retrieve(second.id)).retried_by).toBe(again.id);
    expect((await purse.wallets.retrieve(wallet.id)).balance.available).toBe('30.00');
  });

  it('replays a POST under its Idempotency-Key, and refuses the key with another body as an IdempotencyError', async () => {
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(String(input));
      return fetch(input, init);
    };
    const purse = server.client({ fetch: counting });
    const first = await purse.wallets.create({ currency: 'USD' }, { idempotency_key: 'sdk-replay' });
    const again = await purse.wallets.create({ currency: 'USD' }, { idempotency_key: 'sdk-replay' });
    expect(again.id).toBe(first.id);
    const reused = await purse.wallets
      .create({ currency: 'EUR' }, { idempotency_key: 'sdk-replay' })
      .catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(IdempotencyError);
    expect(reused).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    // Three calls, three requests: a 422 is never retried.
    expect(requests).toHaveLength(3);
  });

  it('lists: await gives the first page, for await walks every page', async () => {
    const purse = server.client();
    const holder = await purse.holders.create({ name: 'Many wallets' });
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push(await purse.wallets.create({ currency: 'USD', holder_id: holder.id }));
    const newest_first = created.map((wallet) => wallet.id).reverse();

    const page = await purse.wallets.list({ holder_id: holder.id, limit: 2 });
    expect(page.data.map((wallet) => wallet.id)).toEqual(newest_first.slice(0, 2));
    expect(page.has_more).toBe(true);

    const walked: string[] = [];
    for await (const wallet of purse.wallets.list({ holder_id: holder.id, limit: 2 })) walked.push(wallet.id);
    expect(walked).toEqual(newest_first);

    // Awaiting, then iterating the same list fetches its first page once.
    const list = purse.wallets.list({ holder_id: holder.id, limit: 2 });
    expect((await list).data).toHaveLength(2);
    expect((await list.toArray({ max_items: 3 })).map((wallet) => wallet.id)).toEqual(
      newest_first.slice(0, 3),
    );

    // From an ending_before cursor, iteration goes forward in time, page by page.
    const oldest = newest_first.at(-1) ?? '';
    const newer: string[] = [];
    for await (const wallet of purse.wallets.list({ holder_id: holder.id, limit: 2, ending_before: oldest }))
      newer.push(wallet.id);
    expect(newer.sort()).toEqual(newest_first.slice(0, 4).sort());
  });
});
