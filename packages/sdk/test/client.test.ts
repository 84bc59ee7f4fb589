import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
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
});
