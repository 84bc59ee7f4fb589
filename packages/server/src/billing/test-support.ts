import { expect } from 'vitest';
import type { TestApp } from '../test-support/app.js';
import { fund, getJson, newWallet, postOk } from '../test-support/money.js';

/** What billing tests set up again and again: a plan, a holder with a wallet, a clock. */

export async function monthlyPrice(
  t: TestApp,
  unit_amount = '10.00',
  extra: Record<string, unknown> = {},
  currency = 'USD',
): Promise<string> {
  const product = await postOk(t, '/v1/products', { name: 'Pro plan' });
  const price = await postOk(t, '/v1/prices', {
    product_id: product.id,
    currency,
    unit_amount,
    recurring: { interval: 'month' },
    ...extra,
  });
  return price.id;
}

/** A holder (in a test clock when given) with a USD wallet funded with `amount` (none for "0"). */
export async function customer(
  t: TestApp,
  amount: string,
  test_clock?: string,
): Promise<{ holder_id: string; wallet_id: string }> {
  const holder = await postOk(t, '/v1/holders', {
    name: 'Ada',
    ...(test_clock === undefined ? {} : { test_clock }),
  });
  const wallet_id = await newWallet(t, 'USD', { holder_id: holder.id });
  if (amount !== '0') await fund(t, wallet_id, amount);
  return { holder_id: holder.id, wallet_id };
}

/** Advances a test clock and waits until it is ready again. */
export async function advance(t: TestApp, clock_id: string, frozen_time: string): Promise<void> {
  await postOk(t, `/v1/test_clocks/${clock_id}/advance`, { frozen_time }, 200);
  for (let i = 0; i < 400; i += 1) {
    const clock = await getJson(t, `/v1/test_clocks/${clock_id}`);
    if (clock.status === 'ready') {
      expect(clock.frozen_time).toBe(new Date(frozen_time).toISOString());
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`test clock ${clock_id} did not get ready`);
}

export async function invoicesOf(t: TestApp, subscription_id: string): Promise<Record<string, unknown>[]> {
  const list = await getJson(t, `/v1/invoices?subscription_id=${subscription_id}&limit=100`);
  return (list.data as Record<string, unknown>[]).reverse();
}
