import type { ApiClient } from './api-client.js';
import { clientFromFlags } from './api-client.js';
import type { Flags } from './args.js';
import { type Outcome, ProblemError, success, UsageError } from './output.js';

interface Made {
  readonly id: string;
  readonly object: string;
}

/** Creates the sandbox objects behind one event type and returns them, the one the event is about last. */
type Recipe = (api: ApiClient) => Promise<Made[]>;

const card_ok = { type: 'card', number: '4242424242424242' };
const card_declined = { type: 'card', number: '4000000000000002' };
const bank_account = {
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number: '000123456789',
  routing_number: '110000000',
};
const usd = (amount: string) => ({ amount, currency: 'USD' });

const wallet = (api: ApiClient) =>
  api.post<Made>('/v1/wallets', { currency: 'USD', metadata: { purse_trigger: 'true' } });

async function fundedWallet(api: ApiClient): Promise<Made[]> {
  const made = await wallet(api);
  const payment = await api.post<Made>('/v1/payments', {
    wallet_id: made.id,
    ...usd('100.00'),
    source: card_ok,
  });
  return [made, payment];
}

async function payment(api: ApiClient, source: object): Promise<Made[]> {
  const made = await wallet(api);
  return [made, await api.post<Made>('/v1/payments', { wallet_id: made.id, ...usd('10.00'), source })];
}

async function transfer(api: ApiClient, hold: boolean): Promise<Made[]> {
  const [source, funding] = await fundedWallet(api);
  const destination = await wallet(api);
  const body = { source_wallet_id: source?.id, destination_wallet_id: destination.id, ...usd('10.00'), hold };
  return [source as Made, funding as Made, destination, await api.post<Made>('/v1/transfers', body)];
}

/** A hold, then `step` on it (capture or void): the event is about the transfer. */
async function afterHold(api: ApiClient, step: 'capture' | 'void'): Promise<Made[]> {
  const made = await transfer(api, true);
  const hold = made[made.length - 1] as Made;
  return [...made.slice(0, -1), await api.post<Made>(`/v1/transfers/${hold.id}/${step}`, {})];
}

async function payout(api: ApiClient, helpers: readonly string[]): Promise<Made[]> {
  const [source, funding] = await fundedWallet(api);
  let made = await api.post<Made>('/v1/payouts', {
    wallet_id: source?.id,
    ...usd('10.00'),
    destination: bank_account,
  });
  for (const helper of helpers)
    made = await api.post<Made>(`/v1/test_helpers/payouts/${made.id}/${helper}`, {});
  return [source as Made, funding as Made, made];
}

async function escrow(api: ApiClient, then?: (id: string) => Promise<Made>): Promise<Made[]> {
  const [payer, funding] = await fundedWallet(api);
  const payee = await wallet(api);
  const made = await api.post<Made>('/v1/escrows', {
    payer_wallet_id: payer?.id,
    payee_wallet_id: payee.id,
    ...usd('10.00'),
  });
  const last = then === undefined ? made : await then(made.id);
  return [payer as Made, funding as Made, payee, last];
}

async function walletThen(api: ApiClient, steps: readonly string[]): Promise<Made[]> {
  let made = await wallet(api);
  for (const step of steps) made = await api.post<Made>(`/v1/wallets/${made.id}/${step}`, {});
  return [made];
}

async function refund(api: ApiClient): Promise<Made[]> {
  const made = await payment(api, card_ok);
  const paid = made[1] as Made;
  return [...made, await api.post<Made>('/v1/refunds', { payment_id: paid.id, amount: '5.00' })];
}

const holder = (api: ApiClient) =>
  api.post<Made>('/v1/holders', { name: 'Trigger Test', metadata: { purse_trigger: 'true' } });

/**
 * A monthly plan at 10.00 and a holder subscribed to it, paying from a USD wallet of theirs that
 * the test card funds with 100.00, or left empty: the subscription last. Its first invoice is
 * collected from the wallet in the same request.
 */
async function subscription(api: ApiClient, funded: boolean): Promise<Made[]> {
  const metadata = { purse_trigger: 'true' };
  const product = await api.post<Made>('/v1/products', { name: 'Trigger plan', metadata });
  const price = await api.post<Made>('/v1/prices', {
    product_id: product.id,
    currency: 'USD',
    unit_amount: '10.00',
    recurring: { interval: 'month' },
    metadata,
  });
  const customer = await holder(api);
  const account = await api.post<Made>('/v1/wallets', { currency: 'USD', holder_id: customer.id, metadata });
  const made = [product, price, customer, account];
  if (funded)
    made.push(
      await api.post<Made>('/v1/payments', { wallet_id: account.id, ...usd('100.00'), source: card_ok }),
    );
  const subscribed = await api.post<Made>('/v1/subscriptions', {
    holder_id: customer.id,
    wallet_id: account.id,
    items: [{ price_id: price.id }],
    metadata,
  });
  return [...made, subscribed];
}

/** A subscription's first invoice: paid from the funded wallet, or failing on the empty one. */
async function firstInvoice(api: ApiClient, funded: boolean): Promise<Made[]> {
  const made = await subscription(api, funded);
  // Creating a subscription always writes its first invoice.
  const subscribed = made[made.length - 1] as Made & { latest_invoice_id: string };
  return [...made, await api.get<Made>(`/v1/invoices/${subscribed.latest_invoice_id}`)];
}

/** The event types `purse trigger` knows, from the catalogue (events/catalogue.ts). */
export const recipes: Readonly<Record<string, Recipe>> = {
  'holder.created': async (api) => [await holder(api)],
  'holder.updated': async (api) => {
    const made = await holder(api);
    return [await api.post<Made>(`/v1/holders/${made.id}`, { metadata: { triggered: 'true' } })];
  },
  'wallet.created': async (api) => [await wallet(api)],
  'wallet.frozen': (api) => walletThen(api, ['freeze']),
  'wallet.unfrozen': (api) => walletThen(api, ['freeze', 'unfreeze']),
  'wallet.closed': (api) => walletThen(api, ['close']),
  'payment.succeeded': (api) => payment(api, card_ok),
  'payment.failed': (api) => payment(api, card_declined),
  'transfer.posted': (api) => transfer(api, false),
  'transfer.pending': (api) => transfer(api, true),
  'transfer.captured': (api) => afterHold(api, 'capture'),
  'transfer.voided': (api) => afterHold(api, 'void'),
  'refund.created': refund,
  'refund.succeeded': refund,
  'payout.created': (api) => payout(api, []),
  'payout.in_transit': (api) => payout(api, ['in_transit']),
  'payout.paid': (api) => payout(api, ['pay']),
  'payout.failed': (api) => payout(api, ['fail']),
  'payout.returned': (api) => payout(api, ['pay', 'return']),
  'payout.canceled': async (api) => {
    const made = await payout(api, []);
    const pending = made.at(-1);
    return [...made.slice(0, -1), await api.post<Made>(`/v1/payouts/${pending?.id}/cancel`, {})];
  },
  'escrow.created': (api) => escrow(api),
  'escrow.released': (api) => escrow(api, (id) => api.post(`/v1/escrows/${id}/release`, { amount: '10.00' })),
  'escrow.canceled': (api) => escrow(api, (id) => api.post(`/v1/escrows/${id}/cancel`, {})),
  'escrow.disputed': (api) =>
    escrow(api, (id) => api.post(`/v1/escrows/${id}/dispute`, { reason: 'purse trigger' })),
  'escrow.resolved': (api) =>
    escrow(api, async (id) => {
      await api.post(`/v1/escrows/${id}/dispute`, { reason: 'purse trigger' });
      return api.post(`/v1/escrows/${id}/resolve`, { outcome: 'resume' });
    }),
  'customer.subscription.created': (api) => subscription(api, true),
  'invoice.paid': (api) => firstInvoice(api, true),
  'invoice.payment_failed': (api) => firstInvoice(api, false),
};

export const trigger_types = Object.keys(recipes).sort();

/** `purse trigger EVENT_TYPE`: makes the sandbox objects (test mode only) that produce the event. */
export async function triggerCommand(positionals: string[], flags: Flags): Promise<Outcome> {
  const [type, ...extra] = positionals;
  const recipe = type === undefined ? undefined : recipes[type];
  if (recipe === undefined || extra.length > 0)
    throw new UsageError(
      `${type === undefined ? 'trigger needs an event type' : `cannot trigger "${positionals.join(' ')}"`}; known types:\n  ${trigger_types.join('\n  ')}`,
    );
  const api = clientFromFlags(flags);
  // Live keys would move real money: refused here as well as by the test helpers themselves.
  if (!api.api_key.startsWith('sk_test_'))
    throw new ProblemError({
      code: 'test_mode_only',
      detail: 'purse trigger needs a test-mode key (sk_test_...)',
    });
  const made = await recipe(api);
  const subject = made[made.length - 1] as Made;
  const events = await api.get<{ data: { id: string; type: string }[] }>(
    `/v1/events?type=${encodeURIComponent(type as string)}&object_id=${subject.id}&limit=1`,
  );
  const event = events.data[0];
  const text = [
    ...made.map((object) => `created ${object.object} ${object.id}`),
    event === undefined ? `no ${type} event seen yet` : `${type}: ${event.id}`,
  ].join('\n');
  return success(
    { type, event_id: event?.id ?? null, objects: made.map(({ id, object }) => ({ id, object })) },
    text,
  );
}
