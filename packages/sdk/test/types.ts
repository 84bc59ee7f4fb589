import { Purse } from '../src/index.js';

const purse = new Purse('sk_test_x');
export async function probe() {
  const t = await purse.transfers.create({
    source_wallet_id: 'a',
    destination_wallet_id: 'b',
    amount: '1.00',
    currency: 'USD',
  });
  const o: 'transfer' | 'approval' | 'challenge' = t.object;
  const w = await purse.wallets.create({ currency: 'USD' });
  const b = await purse.wallets.balance(w.id);
  const b2 = await purse.wallets.balance(w.id, { at: '2026-01-01T00:00:00Z' });
  const v = await purse.transfers.void('tr_1', { idempotency_key: 'x' });
  for await (const tr of purse.transfers.list({ limit: 2, wallet_id: w.id })) {
    const s: string = tr.status;
    void s;
  }
  const page = await purse.wallets.list();
  const csv: string = await purse.wallets.statement(w.id, { from: 'a', to: 'b' });
  const xml = await purse.payout_files.xml('x');
  // @ts-expect-error body required
  await purse.transfers.create();
  // @ts-expect-error unknown field
  await purse.wallets.create({ currency: 'USD', nope: 1 });
  // @ts-expect-error retrieve takes an id
  await purse.wallets.retrieve();
  const d = await purse.webhook_endpoints.del('we_1');
  const tb = await purse.reports.trialBalance();
  const overview = await purse.reports.overview({ days: 7 });
  const rate: string = overview.failure_rates.payments;
  const found = await purse.search.query({ q: 'ada@example.com' });
  const kind: 'holder' | 'wallet' | 'transfer' | 'payment' | 'payout' | undefined = found.data[0]?.object;
  // @ts-expect-error q is required
  await purse.search.query({});
  return [o, b, b2, v, page.data[0]?.balance, csv, xml, d, tb, rate, kind];
}

export async function billingProbe() {
  const pdf: Uint8Array = await purse.invoices.pdf('inv_1');
  const canceled = await purse.subscriptions.cancel('sub_1');
  const s: 'canceled' | 'active' | 'trialing' | 'past_due' | 'unpaid' | 'paused' | 'incomplete' =
    canceled.status;
  const paid = await purse.invoices.pay('inv_1');
  const void_ = await purse.invoices.void('inv_1');
  const uncollectible = await purse.invoices.markUncollectible('inv_1');
  for await (const invoice of purse.invoices.list({ subscription_id: 'sub_1', status: 'paid' })) {
    const total: string = invoice.total;
    void total;
  }
  const ready = await purse.test_clocks.advanceAndWait('clock_1', '2027-02-01T00:00:00Z', {
    timeout_ms: 5_000,
  });
  const r: 'ready' | 'advancing' = ready.status;
  // @ts-expect-error pdf takes no query
  await purse.invoices.pdf('inv_1', { page: 1 });
  // @ts-expect-error a price needs its product
  await purse.prices.create({ currency: 'USD', unit_amount: '1.00' });
  return [pdf, s, paid.status, void_.status, uncollectible.status, r];
}
