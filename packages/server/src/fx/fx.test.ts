import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAmount } from '../shared/money.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, fund, getJson, newWallet, post, postOk } from '../test-support/money.js';
import { spreadsFromEnv } from './config.js';
import { importEcbFeed } from './ecb-feed.js';

const sample_path = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'data',
  'ecb-eurofxref-sample.xml',
);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(
    {},
    {},
    {
      fx: {
        quote_ttl_ms: 30_000,
        rate_max_age_ms: 86_400_000,
        spreads: spreadsFromEnv('EUR/USD=50,*=0'),
        ecb_url: undefined,
        ecb_poll_ms: 3_600_000,
      },
    },
  );
});
afterAll(() => t.close());

/** A holder with a wallet in each currency, the first funded. */
async function holderWith(
  source: { currency: string; amount: string },
  target_currency: string,
): Promise<{ holder: string; source: string; target: string }> {
  const holder = (await postOk(t, '/v1/holders', { name: 'Ada Lovelace' })).id;
  const source_wallet = await newWallet(t, source.currency, { holder_id: holder });
  await fund(t, source_wallet, source.amount, source.currency);
  const target_wallet = await newWallet(t, target_currency, { holder_id: holder });
  return { holder, source: source_wallet, target: target_wallet };
}

async function setRate(base: string, quote: string, rate: string, as_of?: string) {
  return postOk(t, '/v1/fx_rates', { base, quote, rate, ...(as_of === undefined ? {} : { as_of }) });
}

describe('rates', () => {
  it('records an operator rate with its source and time, and refuses bad ones with 400', async () => {
    const rate = await setRate('GBP', 'CHF', '1.1250');
    expect(rate).toMatchObject({
      object: 'fx_rate',
      base: 'GBP',
      quote: 'CHF',
      rate: '1.125',
      source: 'api',
    });
    expect(rate.id).toMatch(/^fxr_/);
    expect((await postOk(t, '/v1/fx_rates', { base: 'GBP', quote: 'CHF', rate: 1.125 })).rate).toBe('1.125');
    const inexact = { base: 'GBP', quote: 'CHF', rate: 1.234567890123456 };
    expectProblem(await post(t, '/v1/fx_rates', inexact), 400, 'invalid_request', 'rate');
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'GBP', quote: 'CHF', rate: 1e-7 }),
      400,
      'invalid_request',
      'rate',
    );
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'GBP', quote: 'CHF', rate: '-1' }),
      400,
      'invalid_request',
      'rate',
    );
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'GBP', quote: 'CHF', rate: '0' }),
      400,
      'invalid_request',
      'rate',
    );
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'GBP', quote: 'GBP', rate: '1' }),
      400,
      'invalid_request',
      'quote',
    );
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'XXQ', quote: 'GBP', rate: '1' }),
      400,
      'asset_not_found',
      'base',
    );
    const future = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'GBP', quote: 'CHF', rate: '1', as_of: future }),
      400,
      'invalid_request',
      'as_of',
    );
  });

  it('imports the ECB reference-rate file once, skipping currencies that are not assets', async () => {
    const xml = readFileSync(sample_path, 'utf8');
    const first = await postOk(t, '/v1/fx_rates/import', { format: 'ecb', xml });
    expect(first.recorded).toBeGreaterThan(20);
    expect(first.skipped_currencies).toEqual([]);
    const again = await postOk(t, '/v1/fx_rates/import', { format: 'ecb', xml });
    expect(again).toMatchObject({ recorded: 0, unchanged: first.recorded });
    const listed = await getJson(t, '/v1/fx_rates?base=EUR&quote=JPY&source=ecb');
    expect((listed.data as { rate: string }[])[0]?.rate).toBe('162.47');
    const bad = await post(t, '/v1/fx_rates/import', { format: 'ecb', xml: '<!DOCTYPE x><x/>' });
    expectProblem(bad, 400, 'invalid_request', 'xml');
  });

  it('refuses a file dated in the future, an impossible date or EUR against itself; takes a correction', async () => {
    const file = (date: string, currency: string, rate: string) => ({
      format: 'ecb',
      xml: `<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='${date}'><Cube currency='${currency}' rate='${rate}'/></Cube></Cube></gesmes:Envelope>`,
    });
    const before = (await getJson(t, '/v1/fx_rates?base=EUR&quote=SEK&limit=100')).data;
    expectProblem(
      await post(t, '/v1/fx_rates/import', file('2099-01-01', 'SEK', '0.01')),
      400,
      'invalid_request',
      'xml',
    );
    expectProblem(
      await post(t, '/v1/fx_rates/import', file('2026-02-31', 'SEK', '11')),
      400,
      'invalid_request',
      'xml',
    );
    expectProblem(
      await post(t, '/v1/fx_rates/import', file('2026-11-30', 'EUR', '1')),
      400,
      'invalid_request',
      'xml',
    );
    expect((await getJson(t, '/v1/fx_rates?base=EUR&quote=SEK&limit=100')).data).toEqual(before);
    expect(await postOk(t, '/v1/fx_rates/import', file('2026-11-27', 'SEK', '11.40'))).toMatchObject({
      recorded: 1,
    });
    const corrected = await postOk(t, '/v1/fx_rates/import', file('2026-11-27', 'SEK', '11.41'));
    expect(corrected).toMatchObject({ recorded: 0, corrected: 1, unchanged: 0 });
  });
});

describe('quotes', () => {
  it('quotes a source amount: target rounded down, spread kept, expiry 30 s', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      source_amount: '100.00',
    });
    // Mid 1.0842 less 50 bps = 1.078779; 100.00 EUR × 1.078779 = 107.8779 → 107.87 USD.
    expect(quote).toMatchObject({
      object: 'fx_quote',
      status: 'open',
      rate: '1.078779',
      mid_rate: '1.0842',
      spread_bps: 50,
      source_amount: '100.00',
      target_amount: '107.87',
      spread_amount: '0.55',
    });
    expect(quote.id).toMatch(/^fxq_/);
    expect(Date.parse(String(quote.expires_at)) - t.clock.now().getTime()).toBe(30_000);
  });

  it('quotes a target amount: source rounded up', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '100.00',
    });
    // 100.00 / 1.078779 = 92.6973... → 92.70 EUR, which buys 100.0028 → exactly 100.00 delivered.
    expect(quote).toMatchObject({ source_amount: '92.70', target_amount: '100.00' });
  });

  it('derives inverse and cross rates, across scales (JPY has none, KWD three)', async () => {
    await setRate('EUR', 'JPY', '160');
    await setRate('EUR', 'KWD', '0.3333');
    const inverse = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'JPY',
      target_currency: 'EUR',
      source_amount: '1000',
    });
    expect(inverse).toMatchObject({ rate: '0.00625', target_amount: '6.25' });
    const cross = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'JPY',
      target_currency: 'KWD',
      source_amount: '1000',
    });
    // 0.3333 / 160 = 0.002083125 KWD per JPY: 1000 JPY → 2.083 KWD.
    expect(cross).toMatchObject({
      rate: '0.002083125',
      target_amount: '2.083',
      rate_source: 'api+api via EUR',
    });
  });

  it('refuses an unknown pair, a stale rate, an amount below the smallest unit, both or neither amount', async () => {
    // Neither is in the ECB file imported above, so no cross through EUR either.
    const body = { source_currency: 'KES', target_currency: 'UGX', source_amount: '1.00' };
    expectProblem(await post(t, '/v1/fx_quotes', body), 400, 'fx_rate_unavailable', 'target_currency');
    await setRate('KES', 'UGX', '80', new Date(t.clock.now().getTime() - 2 * 86_400_000).toISOString());
    expectProblem(await post(t, '/v1/fx_quotes', body), 422, 'fx_rate_stale', 'target_currency');
    await setRate('KES', 'UGX', '80');
    expect((await postOk(t, '/v1/fx_quotes', body)).target_amount).toBe('80');
    const tiny = { source_currency: 'KES', target_currency: 'UGX', source_amount: '0.01' };
    expectProblem(await post(t, '/v1/fx_quotes', tiny), 400, 'amount_too_small', 'source_amount');
    const both = { ...body, target_amount: '5' };
    expectProblem(await post(t, '/v1/fx_quotes', both), 400, 'invalid_request', 'source_amount');
    const neither = { source_currency: 'KES', target_currency: 'UGX' };
    expectProblem(await post(t, '/v1/fx_quotes', neither), 400, 'invalid_request', 'source_amount');
    const precise = { ...body, source_amount: '1.001' };
    expectProblem(await post(t, '/v1/fx_quotes', precise), 400, 'invalid_amount', 'source_amount');
    const float = { ...body, source_amount: 1 };
    expect((await post(t, '/v1/fx_quotes', float)).statusCode).toBe(400);
  });
});

describe('conversions', () => {
  it('converts with a quote in one entry through the FX accounts, once', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '500.00' }, 'USD');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      source_amount: '100.00',
      holder_id: w.holder,
    });
    const body = { quote_id: quote.id, source_wallet_id: w.source, target_wallet_id: w.target };
    const conversion = await postOk(t, '/v1/conversions', body);
    expect(conversion).toMatchObject({
      object: 'conversion',
      status: 'succeeded',
      source_amount: '100.00',
      target_amount: '107.87',
      spread_amount: '0.55',
      quote_id: quote.id,
      holder_id: w.holder,
    });
    expect(conversion.id).toMatch(/^cnv_/);
    expect((await balanceOf(t, w.source)).available).toBe('400.00');
    expect((await balanceOf(t, w.target)).available).toBe('107.87');
    expect(await getJson(t, `/v1/conversions/${conversion.id}`)).toEqual(conversion);
    expect((await getJson(t, `/v1/fx_quotes/${quote.id}`)).status).toBe('used');
    expectProblem(await post(t, '/v1/conversions', body), 409, 'quote_already_used', 'quote_id');
    const report = await getJson(t, '/v1/reports/fx');
    const positions = report.positions as { currency: string; position: string; spread_earned: string }[];
    expect(positions.find((p) => p.currency === 'EUR')?.position).toMatch(/^\d/);
    expect(Number(positions.find((p) => p.currency === 'USD')?.spread_earned)).toBeGreaterThan(0);
  });

  it('lets one of many parallel conversions use a quote', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '500.00' }, 'USD');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      source_amount: '100.00',
    });
    const body = { quote_id: quote.id, source_wallet_id: w.source, target_wallet_id: w.target };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(t, '/v1/conversions', body)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect((await balanceOf(t, w.source)).available).toBe('400.00');
  });

  it('refuses an expired quote, another holder, another pair, mixed holders, missing funds: nothing moves', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '50.00' }, 'USD');
    const other = await holderWith({ currency: 'EUR', amount: '50.00' }, 'USD');
    const quoteOf = (extra: Record<string, unknown> = {}) =>
      postOk(t, '/v1/fx_quotes', {
        source_currency: 'EUR',
        target_currency: 'USD',
        source_amount: '10.00',
        ...extra,
      });
    const convert = (quote_id: string, source = w.source, target = w.target) =>
      post(t, '/v1/conversions', { quote_id, source_wallet_id: source, target_wallet_id: target });

    const for_other = await quoteOf({ holder_id: other.holder });
    expectProblem(await convert(for_other.id), 400, 'quote_holder_mismatch', 'quote_id');
    expectProblem(
      await convert((await quoteOf()).id, w.source, other.target),
      400,
      'holder_mismatch',
      'target_wallet_id',
    );
    const gbp = await newWallet(t, 'GBP', { holder_id: w.holder });
    expectProblem(await convert((await quoteOf()).id, w.source, gbp), 400, 'currency_mismatch', 'quote_id');
    const big = await quoteOf({ source_amount: '60.00' });
    expectProblem(await convert(big.id), 402, 'insufficient_funds', 'source_wallet_id');
    const expiring = await quoteOf();
    t.clock.advance(30_000);
    expectProblem(await convert(expiring.id), 409, 'quote_expired', 'quote_id');
    expect((await getJson(t, `/v1/fx_quotes/${expiring.id}`)).status).toBe('expired');
    expectProblem(await convert('fxq_01jd0w3n3w8m5t5vq6fz1y2k3h'), 404, 'resource_not_found', 'quote_id');
    expect((await balanceOf(t, w.source)).available).toBe('50.00');
    expect((await balanceOf(t, w.target)).available).toBe('0.00');
  });

  it('converts at the current rate without a quote', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '20.00' }, 'USD');
    const conversion = await postOk(t, '/v1/conversions', {
      source_wallet_id: w.source,
      target_wallet_id: w.target,
      source_amount: '10.00',
    });
    expect(conversion).toMatchObject({ quote_id: null, target_amount: '10.78' });
    const listed = await getJson(t, `/v1/conversions?wallet_id=${w.target}`);
    expect((listed.data as { id: string }[]).map((c) => c.id)).toEqual([conversion.id]);
  });

  it('keeps amounts exact at scale 18 and 6 (ETH to USDC)', async () => {
    await setRate('ETH', 'USDC', '3456.789012');
    const w = await holderWith({ currency: 'ETH', amount: '2.000000000000000001' }, 'USDC');
    const conversion = await postOk(t, '/v1/conversions', {
      source_wallet_id: w.source,
      target_wallet_id: w.target,
      source_amount: '1.000000000000000001',
    });
    expect(conversion).toMatchObject({ source_amount: '1.000000000000000001', target_amount: '3456.789012' });
    expect((await balanceOf(t, w.source)).available).toBe('1.000000000000000000');
  });
});

describe('converting on the way', () => {
  const bank = {
    type: 'bank_account',
    account_holder_name: 'Ada Lovelace',
    account_number: '000123456789',
    routing_number: '110000000',
  };

  it("transfers EUR from one holder into another holder's USD wallet with a quote; never refunded", async () => {
    await setRate('EUR', 'USD', '1.0842');
    const payer = await holderWith({ currency: 'EUR', amount: '500.00' }, 'USD');
    const payee = await newWallet(t, 'USD', { holder_id: (await postOk(t, '/v1/holders', {})).id });
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      source_amount: '100.00',
      holder_id: payer.holder,
    });
    const body = {
      source_wallet_id: payer.source,
      destination_wallet_id: payee,
      amount: '100.00',
      currency: 'EUR',
      quote_id: quote.id,
    };
    expectProblem(
      await post(t, '/v1/transfers', { ...body, amount: '99.00' }),
      400,
      'invalid_request',
      'amount',
    );
    expectProblem(
      await post(t, '/v1/transfers', { ...body, fee: { amount: '1.00' } }),
      400,
      'invalid_request',
      'fee',
    );
    const batch = { transfers: [body], atomic: true };
    expect((await post(t, '/v1/transfers/batch', batch)).statusCode).toBe(400);
    const sent = await postOk(t, '/v1/transfers', body);
    expect(sent).toMatchObject({
      status: 'posted',
      amount: '100.00',
      currency: 'EUR',
      destinations: [{ wallet_id: payee, amount: '107.87', currency: 'USD' }],
    });
    expect((await balanceOf(t, payer.source)).available).toBe('400.00');
    expect((await balanceOf(t, payee)).available).toBe('107.87');
    const conversion = await getJson(t, `/v1/conversions/${sent.conversion_id}`);
    expect(conversion).toMatchObject({
      kind: 'transfer',
      source_wallet_id: payer.source,
      target_wallet_id: payee,
    });
    expect(await getJson(t, `/v1/transfers/${sent.id}`)).toEqual(sent);
    const refund = await post(t, '/v1/refunds', { transfer_id: sent.id });
    expectProblem(refund, 409, 'not_refundable', 'transfer_id');
    expectProblem(await post(t, '/v1/transfers', body), 409, 'quote_already_used', 'quote_id');
  });

  it('pays out USD from a EUR wallet with a quote; a failed payout undoes the conversion', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '500.00' }, 'USD');
    const before = await getJson(t, '/v1/reports/fx');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '50.00',
    });
    const body = {
      wallet_id: w.source,
      amount: '50.00',
      currency: 'USD',
      destination: bank,
      quote_id: quote.id,
    };
    expectProblem(
      await post(t, '/v1/payouts', { ...body, currency: 'EUR' }),
      400,
      'currency_mismatch',
      'quote_id',
    );
    expectProblem(
      await post(t, '/v1/payouts', { ...body, quote_id: undefined }),
      400,
      'currency_mismatch',
      'currency',
    );
    const payout = await postOk(t, '/v1/payouts', body);
    expect(payout).toMatchObject({ amount: '50.00', currency: 'USD', wallet_id: w.source });
    expect(payout.conversion_id).toMatch(/^cnv_/);
    const paid_minor = BigInt(String(quote.source_amount).replace('.', ''));
    expect((await balanceOf(t, w.source)).available).toBe(formatAmount(50_000n - paid_minor, 2));
    await postOk(t, `/v1/test_helpers/payouts/${payout.id}/fail`, {}, 200);
    expect((await balanceOf(t, w.source)).available).toBe('500.00');
    expect((await getJson(t, '/v1/reports/fx')).positions).toEqual(before.positions);
  });

  it('counts a converted payout in what leaves the wallet, against a policy in that currency', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '500.00' }, 'USD');
    const agent = await createKey(t, {
      scopes: ['payouts:write', 'fx_quotes:write'],
      spend_policy: { limits: [{ currency: 'EUR', per_movement_max: '10.00' }] },
    });
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '5.00',
    });
    const big = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '50.00',
    });
    const payout = (quote_id: string, amount: string) =>
      post(
        t,
        '/v1/payouts',
        { wallet_id: w.source, amount, currency: 'USD', destination: bank, quote_id },
        agent.secret,
      );
    expectProblem(await payout(big.id, '50.00'), 403, 'spend_limit_exceeded', 'per_movement_max');
    expect((await payout(quote.id, '5.00')).statusCode).toBe(201);
  });
});

describe('risk rules', () => {
  /** A kyc_tier rule in `currency` for a fresh tier, a holder of that tier and its two wallets. */
  async function tiered(currency: string, caps: Record<string, string>, wallets: [string, string]) {
    const tier = 5 + Math.floor(Math.random() * 4);
    await postOk(t, '/v1/risk_rules', {
      name: 'cap',
      type: 'kyc_tier',
      action: 'block',
      currency,
      kyc_tier: tier,
      ...caps,
    });
    const holder = (await postOk(t, '/v1/holders', { name: 'Capped', kyc_tier: tier })).id;
    return {
      holder,
      source: await newWallet(t, wallets[0], { holder_id: holder }),
      target: await newWallet(t, wallets[1], { holder_id: holder }),
    };
  }

  it("judge a conversion's receiving side in the target currency, its paying side in the source", async () => {
    await setRate('EUR', 'USD', '1.0842');
    await setRate('EUR', 'JPY', '162.47');
    // A USD balance cap is not escaped by converting into USD, with or without a quote.
    const capped = await tiered('USD', { balance_max: '50.00', daily_inflow_max: '50.00' }, ['EUR', 'USD']);
    await fund(t, capped.source, '500.00', 'EUR');
    const at_rate = {
      source_wallet_id: capped.source,
      target_wallet_id: capped.target,
      source_amount: '300.00',
    };
    expectProblem(await post(t, '/v1/conversions', at_rate), 403, 'risk_blocked');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      source_amount: '300.00',
    });
    const quoted = { quote_id: quote.id, source_wallet_id: capped.source, target_wallet_id: capped.target };
    expectProblem(await post(t, '/v1/conversions', quoted), 403, 'risk_blocked');
    const payee = {
      source_wallet_id: capped.source,
      destination_wallet_id: capped.target,
      amount: '300.00',
      currency: 'EUR',
      quote_id: quote.id,
    };
    expectProblem(await post(t, '/v1/transfers', payee), 403, 'risk_blocked');
    expect((await balanceOf(t, capped.target)).available).toBe('0.00');
    // A EUR balance cap does not read a yen balance as euro cents.
    const euro_cap = await tiered('EUR', { balance_max: '1000.00' }, ['EUR', 'JPY']);
    await fund(t, euro_cap.source, '50.00', 'EUR');
    await fund(t, euro_cap.target, '200000', 'JPY');
    const small = {
      source_wallet_id: euro_cap.source,
      target_wallet_id: euro_cap.target,
      source_amount: '1.00',
    };
    expect((await post(t, '/v1/conversions', small)).statusCode).toBe(201);
  });
});

describe('keys', () => {
  it('closes setting rates to keys with a spend policy: they could price their own conversions', async () => {
    const agent = await createKey(t, {
      scopes: ['fx_rates:write', 'conversions:write'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '100.00' }] },
    });
    const response = await post(t, '/v1/fx_rates', { base: 'EUR', quote: 'USD', rate: '1000' }, agent.secret);
    expectProblem(response, 403, 'key_restricted', undefined);
    const xml = readFileSync(sample_path, 'utf8');
    expectProblem(
      await post(t, '/v1/fx_rates/import', { format: 'ecb', xml }, agent.secret),
      403,
      'key_restricted',
      undefined,
    );
  });

  it('lets a restricted key quote and convert its own wallets, never set a rate or read another quote', async () => {
    await setRate('EUR', 'USD', '1.0842');
    const w = await holderWith({ currency: 'EUR', amount: '50.00' }, 'USD');
    const scopes = ['fx_rates:*', 'fx_quotes:*', 'conversions:*'];
    const own = await createKey(t, { scopes, restrictions: { wallet_ids: [w.source, w.target] } });
    expectProblem(
      await post(t, '/v1/fx_rates', { base: 'EUR', quote: 'USD', rate: '9' }, own.secret),
      403,
      'key_restricted',
      undefined,
    );
    const body = { source_currency: 'EUR', target_currency: 'USD', source_amount: '10.00' };
    const quote = (await post(t, '/v1/fx_quotes', body, own.secret)).json();
    expect(quote.status).toBe('open');
    const read = (id: string) => t.request({ method: 'GET', url: `/v1/fx_quotes/${id}`, key: own.secret });
    expect((await read(quote.id)).statusCode).toBe(200);
    const other = await postOk(t, '/v1/fx_quotes', body);
    expectProblem(await read(other.id), 404, 'resource_not_found', undefined);
    // Another holder does not exist for it, whether or not that holder exists.
    const elsewhere = (await postOk(t, '/v1/holders', {})).id;
    for (const holder_id of [elsewhere, 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h'])
      expectProblem(
        await post(t, '/v1/fx_quotes', { ...body, holder_id }, own.secret),
        404,
        'resource_not_found',
        'holder_id',
      );
    const victim = await holderWith({ currency: 'EUR', amount: '50.00' }, 'USD');
    const steal = { quote_id: quote.id, source_wallet_id: victim.source, target_wallet_id: victim.target };
    expectProblem(
      await post(t, '/v1/conversions', steal, own.secret),
      404,
      'resource_not_found',
      'source_wallet_id',
    );
    expect((await balanceOf(t, victim.source)).available).toBe('50.00');
    const mine = { quote_id: quote.id, source_wallet_id: w.source, target_wallet_id: w.target };
    expect((await post(t, '/v1/conversions', mine, own.secret)).statusCode).toBe(201);
  });
});

describe('the ECB feed', () => {
  it('imports the published file into both modes once, and records nothing from a bad answer', async () => {
    const xml = readFileSync(sample_path, 'utf8');
    let answer = { status: 200, body: xml };
    const server = createServer((_request, response) => response.writeHead(answer.status).end(answer.body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fx = { ...t.config.rails.fx, ecb_url: `http://127.0.0.1:${port}/eurofxref-daily.xml` };
    const count = async () =>
      Number((await t.db.pool.query("SELECT count(*) FROM fx_rates WHERE source = 'ecb'")).rows[0].count);
    try {
      await t.db.pool.query("DELETE FROM fx_rates WHERE source = 'ecb'");
      expect(await importEcbFeed(t.db.pool, fx, t.clock.now())).toBe(58);
      expect(await importEcbFeed(t.db.pool, fx, t.clock.now())).toBe(0);
      await t.db.pool.query("DELETE FROM fx_rates WHERE source = 'ecb'");
      answer = { status: 503, body: 'busy' };
      await expect(importEcbFeed(t.db.pool, fx, t.clock.now())).rejects.toThrow(/503/);
      answer = { status: 200, body: xml.replace("rate='162.47'", "rate='-1'") };
      await expect(importEcbFeed(t.db.pool, fx, t.clock.now())).rejects.toThrow(/positive rate/);
      expect(await count()).toBe(0);
    } finally {
      server.close();
    }
  });
});
