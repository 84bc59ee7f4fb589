import { Purse } from '../src/index.js';

const purse = new Purse('sk_test_x');
export async function probe() {
  const t = await purse.transfers.create({
    source_wallet_id: 'a',
    destination_wallet_id: 'b',
    amount: '1.00',
    currency: 'USD',
  });
  const o: 'transfer' | 'approval' = t.object;
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
  return [o, b, b2, v, page.data[0]?.balance, csv, xml, d, tb];
}
