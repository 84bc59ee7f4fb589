import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAudit } from '../audit/seal.js';
import { authenticatorCode } from '../challenges/codes.js';
import { inTransaction } from '../db/pool.js';
import { money_endpoints } from '../guard/endpoints.js';
import { recordConsent } from '../oauth/consents.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { uploadedFile } from '../test-support/files.js';
import { type CreatedKey, createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, funded, newWallet, postOk } from '../test-support/money.js';

/**
 * One authorization table: every operation of the OpenAPI document has an entry, so a new endpoint
 * fails this test until someone decides how each kind of key may use it. Endpoints that move money
 * or reveal an object are checked against every kind of key: unrestricted, scoped (without the
 * scope), restricted (to another wallet, and to the paying one), policy-bound (over its limit,
 * outside its destinations, and within them: counted or not), expired, and of the other mode.
 */

let t: TestApp;
let keys: { unscoped: CreatedKey; assets_only: CreatedKey; expired: CreatedKey };
beforeAll(async () => {
  t = await createTestApp();
  const expires_at = new Date(t.clock.now().getTime() + 1_000).toISOString();
  keys = {
    unscoped: await createKey(t, { scopes: ['assets:read'] }),
    assets_only: await createKey(t, { scopes: ['reports:read'] }),
    expired: await createKey(t, { scopes: ['*'], expires_at }),
  };
  t.clock.advance(2_000);
});
afterAll(() => t.close());

interface Parties {
  /** Funded with 100.00 USD. */
  readonly payer: string;
  readonly payee: string;
}

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly payload?: Record<string, unknown>;
}

/** An endpoint that moves money: a fresh request moving 10.00 USD from payer toward payee. */
interface Moves {
  readonly kind: 'moves';
  readonly scope: string;
  readonly status: 200 | 201;
  readonly call: (parties: Parties) => Promise<Call>;
  /**
   * Where the money goes: the payee, back to the payer (no destination), out of Purse, or to
   * another wallet of the payer's holder that the call made (`target_wallet_id`: a conversion).
   */
  readonly to: 'payee' | 'payer' | 'outside' | 'own';
  /** Whether it counts against a spend policy (escrowed money was counted when funded). */
  readonly counts: boolean;
  /** A batch whose items fail one by one: another mode's wallets fail the item, not the request. */
  readonly per_item?: true;
  /** Closed to restricted keys (403 key_restricted) rather than open for their own wallets. */
  readonly restricted_closed?: true;
}

/** An endpoint answering one object: seen by keys of its mode that hold the scope. */
interface Reveals {
  readonly kind: 'reveals';
  readonly scope: string;
  /** For restricted keys: `wallet` shows it when it involves their wallets, `closed` never, `open` always. */
  readonly restricted: 'wallet' | 'closed' | 'open';
  /** The URL of a fresh object of test mode, whose payer (if any) is `parties.payer`. */
  readonly make: (parties: Parties) => Promise<string>;
}

/** A list: shows objects of the key's mode only, and a restricted key only its wallets' objects. */
interface Lists {
  readonly kind: 'lists';
  readonly scope: string;
  /**
   * For restricted keys: `wallet_query` must filter by one of its wallets, `own` narrows to them,
   * `closed` refuses, `open` shows everything (nothing of a wallet's).
   */
  /** own_requests: a restricted key lists only what its own requests made (its approvals). */
  /** own_holder: a restricted key lists only its holder's; one restricted to wallets has none. */
  readonly restricted: 'wallet_query' | 'own' | 'own_requests' | 'own_holder' | 'closed' | 'open';
  /** A fresh object of test mode (paid by `parties.payer` where it has a payer) and its id. */
  readonly make: (parties: Parties) => Promise<string>;
}

/**
 * A billing endpoint that charges a holder's wallet now and again later, in the worker, where the
 * spend checks cannot follow: closed to restricted and policy-bound keys alike (key_restricted).
 */
interface Charges {
  readonly kind: 'charges';
  readonly scope: string;
  readonly status: 200 | 201;
  /** A fresh request and the wallet it would charge. */
  readonly call: () => Promise<{ call: Call; payer: string }>;
}

/**
 * A write that moves no money but changes what a holder may do (its verification): checked against
 * every kind of key. `restricted`: closed (403 key_restricted) or, for keys restricted to a holder,
 * open for that holder only, so a key restricted to wallets gets 404. `policy`: whether keys with a
 * spend policy may call it (an operator's decision is closed to them).
 */
interface Writes {
  readonly kind: 'writes';
  /** Several: the route needs them all; the key without them lacks the first. */
  readonly scope: string | readonly [string, ...string[]];
  readonly status: 200 | 201;
  /** A fresh request of test mode. */
  readonly call: () => Promise<Call>;
  readonly restricted: 'closed' | 'holder';
  readonly policy: 'open' | 'closed';
}

/**
 * A read across the whole mode (the overview, search): of the key's mode only, closed to
 * restricted keys (403 key_restricted), and to keys with a spend policy where `policy` says.
 */
interface Surveys {
  readonly kind: 'surveys';
  /** The scope a key without any is told it lacks. */
  readonly scope: string;
  readonly policy: 'open' | 'closed';
  /** A URL, and text its answer holds for a test key only: something fresh of test mode. */
  readonly make: (parties: Parties) => Promise<{ url: string; marker: string }>;
}

/** Everything else, with why it needs no row of its own (and where it is tested). */
interface Other {
  readonly kind: 'other';
  readonly why: string;
}

type Entry = Moves | Charges | Writes | Reveals | Lists | Surveys | Other;

const usd = (amount = '10.00') => ({ amount, currency: 'USD' });
const bank = {
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number: '000123456789',
  routing_number: '110000000',
};

async function escrow(parties: Parties): Promise<string> {
  return (
    await postOk(t, '/v1/escrows', {
      payer_wallet_id: parties.payer,
      payee_wallet_id: parties.payee,
      ...usd(),
    })
  ).id;
}

async function hold(parties: Parties): Promise<string> {
  return (
    await postOk(t, '/v1/transfers', {
      source_wallet_id: parties.payer,
      destination_wallet_id: parties.payee,
      hold: true,
      ...usd(),
    })
  ).id;
}

async function transferTo(parties: Parties, amount = '10.00'): Promise<string> {
  return (
    await postOk(t, '/v1/transfers', {
      source_wallet_id: parties.payer,
      destination_wallet_id: parties.payee,
      ...usd(amount),
    })
  ).id;
}

async function payout(parties: Parties): Promise<string> {
  return (await postOk(t, '/v1/payouts', { wallet_id: parties.payer, destination: bank, ...usd() })).id;
}

/** A payout of 10.00 from the payer that failed: its money is back, ready to be retried. */
async function failedPayout(parties: Parties): Promise<string> {
  const id = await payout(parties);
  await postOk(t, `/v1/test_helpers/payouts/${id}/fail`, { failure_code: 'no_account' }, 200);
  return id;
}

async function payment(parties: Parties): Promise<string> {
  return (
    await postOk(t, '/v1/payments', {
      wallet_id: parties.payer,
      source: { type: 'card', number: '4242424242424242' },
      ...usd(),
    })
  ).id;
}

async function approval({ payer, payee }: Parties): Promise<string> {
  const asker = await createKey(t, {
    scopes: ['transfers:write'],
    spend_policy: { limits: [{ currency: 'USD', approval_above: '1.00' }] },
  });
  const parked = await t.request({
    method: 'POST',
    url: '/v1/transfers',
    key: asker.secret,
    payload: { source_wallet_id: payer, destination_wallet_id: payee, ...usd() },
  });
  expect(parked.statusCode, parked.body).toBe(202);
  return parked.json().id;
}

/**
 * A transfer parked for its holder's code: in an asset of its own, whose challenge rule (above
 * 1.00) no other row's movement meets.
 */
async function challenge(): Promise<string> {
  const code = await customAsset();
  await postOk(t, '/v1/risk_rules', {
    name: 'table step-up',
    type: 'amount_above',
    action: 'challenge',
    currency: code,
    amount: '1.00',
  });
  const wallet = await newWallet(t, code, { holder_id: await holder() });
  for (const _ of [1, 2])
    await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '1.00',
      currency: code,
      source: { type: 'card', number: '4242424242424242' },
    });
  const parked = await t.request({
    method: 'POST',
    url: '/v1/transfers',
    payload: {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t, code),
      amount: '2.00',
      currency: code,
    },
  });
  expect(parked.statusCode, parked.body).toBe(202);
  return parked.json().id;
}

async function eventOf(parties: Parties): Promise<string> {
  const id = await transferTo(parties);
  const found = await t.db.pool.query<{ id: string }>(
    'SELECT id FROM events WHERE NOT livemode AND object_id = $1 LIMIT 1',
    [id],
  );
  return found.rows[0]?.id ?? '';
}

async function auditOf(parties: Parties): Promise<string> {
  const id = await transferTo(parties);
  await sealAudit(t.db.pool);
  const found = await t.db.pool.query<{ id: string }>(
    'SELECT id FROM audit_logs WHERE NOT livemode AND object_id = $1 LIMIT 1',
    [id],
  );
  return found.rows[0]?.id ?? '';
}

async function refundOf(parties: Parties): Promise<string> {
  const id = await transferTo({ payer: await funded(t, '10.00'), payee: parties.payer });
  return (await postOk(t, '/v1/refunds', { transfer_id: id })).id;
}

async function customAsset(): Promise<string> {
  const code = `T${Math.random().toString(36).slice(2, 8).toUpperCase()}`.replace(/[0-9]/g, 'X');
  await postOk(t, '/v1/assets', { code, scale: 2, name: 'Table points' });
  return code;
}

const webhook = async () =>
  (await postOk(t, '/v1/webhook_endpoints', { url: 'https://example.com/hook', enabled_events: ['*'] })).id;
const riskRule = async () =>
  (
    await postOk(t, '/v1/risk_rules', {
      name: 'table',
      type: 'amount_above',
      action: 'flag',
      currency: 'USD',
      amount: '9999.00',
      enabled: false,
    })
  ).id;
const holder = async () => (await postOk(t, '/v1/holders', { name: 'Table' })).id;
const oauthClient = async () =>
  (
    await postOk(t, '/v1/oauth_clients', {
      name: 'Table app',
      redirect_uris: ['https://app.example.com/cb'],
      scopes: ['wallets:read'],
    })
  ).id;

/** A consent as the consent page records it (the flow itself is tested in oauth/flow.test.ts). */
/** A fresh USD → EUR rate, so conversions out of the payer's USD price now; its id. */
async function fxRate(): Promise<string> {
  return (await postOk(t, '/v1/fx_rates', { base: 'USD', quote: 'EUR', rate: '0.92' })).id;
}

/** A EUR wallet of the payer's holder (the platform's, as the payer's is), priced in. */
async function eurTarget(): Promise<string> {
  await fxRate();
  return newWallet(t, 'EUR');
}

async function conversionOf({ payer }: Parties): Promise<string> {
  const body = { source_wallet_id: payer, target_wallet_id: await eurTarget(), source_amount: '10.00' };
  return (await postOk(t, '/v1/conversions', body)).id;
}

async function consent({ payer }: Parties): Promise<string> {
  const client_id = await oauthClient();
  const holder_id = await holder();
  const granted = await inTransaction(t.db.pool, (db) =>
    recordConsent(
      db,
      {
        livemode: false,
        client_id,
        holder_id,
        grant_id: `grant-${client_id}`,
        scopes: ['wallets:read'],
        wallet_ids: [payer],
        spend_policy: null,
        expires_at: new Date(t.clock.now().getTime() + 86_400_000),
      },
      t.clock.now(),
    ),
  );
  return granted.id;
}

/** A monthly 10.00 USD price, a holder with a wallet funded with 100.00 and its subscription. */
async function billingParty(): Promise<{ price: string; holder: string; wallet: string }> {
  const product = await postOk(t, '/v1/products', { name: 'Table plan' });
  const price = (
    await postOk(t, '/v1/prices', {
      product_id: product.id,
      currency: 'USD',
      unit_amount: '10.00',
      recurring: { interval: 'month' },
    })
  ).id;
  const holder = await holder_();
  const wallet = await newWallet(t, 'USD', { holder_id: holder });
  await postOk(t, '/v1/payments', {
    wallet_id: wallet,
    source: { type: 'card', number: '4242424242424242' },
    ...usd('100.00'),
  });
  return { price, holder, wallet };
}

async function subscribed(): Promise<{ id: string; price: string; wallet: string }> {
  const { price, holder, wallet } = await billingParty();
  const sub = await postOk(t, '/v1/subscriptions', {
    holder_id: holder,
    wallet_id: wallet,
    items: [{ price_id: price }],
  });
  return { id: sub.id, price, wallet };
}

async function openInvoice(): Promise<{ id: string; wallet: string }> {
  const { holder, wallet } = await billingParty();
  const draft = await postOk(t, '/v1/invoices', {
    holder_id: holder,
    currency: 'USD',
    wallet_id: wallet,
    lines: [{ description: 'Setup', amount: '10.00' }],
  });
  return { id: draft.id, wallet };
}

const holder_ = async () => (await postOk(t, '/v1/holders', { name: 'Table' })).id;
const catalogue = (path: string, payload: () => Promise<Record<string, unknown>>) => async () =>
  `${path}/${(await postOk(t, path, await payload())).id}`;
const product = async () => ({ name: 'Table product' });
const price = async () => ({
  product_id: (await postOk(t, '/v1/products', await product())).id,
  currency: 'USD',
  unit_amount: '1.00',
  recurring: { interval: 'month' },
});
const coupon = async () => ({ percent_off: '10', duration: 'once' });
const tax_rate = async () => ({ display_name: 'VAT', percentage: '20', inclusive: true });
const clock = async () => ({ frozen_time: '2027-01-01T00:00:00Z' });

/** A holder and a verification session of it: waiting for input, or for an operator (a possible match). */
async function verificationSession(state: 'requires_input' | 'processing'): Promise<string> {
  const person =
    state === 'processing'
      ? {
          first_name: 'Maria',
          last_name: 'Quill',
          dob: '1990-01-01',
          address: { line1: '1 Row', city: 'Leeds', country: 'GB' },
        }
      : { first_name: 'Ada' };
  const session = await postOk(t, `/v1/holders/${await holder()}/verification_sessions`, {
    type: 'person',
    person,
  });
  expect(session.status).toBe(state);
  return session.id;
}

const closed_to_agents =
  'operator route: closed to restricted keys (not in auth/restricted-routes.ts) and scope-checked in access.test.ts';

const table: Readonly<Record<string, Entry>> = {
  // Money out of a wallet.
  'POST /v1/transfers': {
    kind: 'moves',
    scope: 'transfers:write',
    status: 201,
    to: 'payee',
    counts: true,
    call: async ({ payer, payee }) => ({
      method: 'POST',
      url: '/v1/transfers',
      payload: { source_wallet_id: payer, destination_wallet_id: payee, ...usd() },
    }),
  },
  'POST /v1/transfers/batch': {
    kind: 'moves',
    scope: 'transfers:write',
    status: 200,
    to: 'payee',
    counts: true,
    call: async ({ payer, payee }) => ({
      method: 'POST',
      url: '/v1/transfers/batch',
      payload: {
        transfers: [{ source_wallet_id: payer, destination_wallet_id: payee, ...usd() }],
        atomic: true,
      },
    }),
  },
  'POST /v1/transfers/{id}/capture': {
    kind: 'moves',
    scope: 'transfers:write',
    status: 200,
    to: 'payee',
    counts: true,
    call: async (parties) => ({
      method: 'POST',
      url: `/v1/transfers/${await hold(parties)}/capture`,
      payload: {},
    }),
  },
  'POST /v1/payouts': {
    kind: 'moves',
    scope: 'payouts:write',
    status: 201,
    to: 'outside',
    counts: true,
    call: async ({ payer }) => ({
      method: 'POST',
      url: '/v1/payouts',
      payload: { wallet_id: payer, destination: bank, ...usd() },
    }),
  },
  'POST /v1/payout_batches': {
    kind: 'moves',
    scope: 'payouts:write',
    status: 201,
    to: 'outside',
    counts: true,
    per_item: true,
    call: async ({ payer }) => ({
      method: 'POST',
      url: '/v1/payout_batches',
      payload: { payouts: [{ wallet_id: payer, destination: bank, ...usd() }] },
    }),
  },
  // A retry pays the failed payout's amount out again, to its stored destination: screened and
  // counted as POST /v1/payouts is.
  'POST /v1/payouts/{id}/retry': {
    kind: 'moves',
    scope: 'payouts:write',
    status: 201,
    to: 'outside',
    counts: true,
    call: async (parties) => ({
      method: 'POST',
      url: `/v1/payouts/${await failedPayout(parties)}/retry`,
    }),
  },
  // A cancel returns a payout's money to the payer's own wallet: like an escrow's cancel, an
  // inflow there, not counted (it was when the payout was made). A restricted key cancels only its
  // own wallets' payouts; a policy-bound key within its limits and allowed destinations.
  'POST /v1/payouts/{id}/cancel': {
    kind: 'moves',
    scope: 'payouts:write',
    status: 200,
    to: 'payer',
    counts: false,
    call: async (parties) => ({ method: 'POST', url: `/v1/payouts/${await payout(parties)}/cancel` }),
  },
  'POST /v1/escrows': {
    kind: 'moves',
    scope: 'escrows:write',
    status: 201,
    to: 'payee',
    counts: true,
    call: async ({ payer, payee }) => ({
      method: 'POST',
      url: '/v1/escrows',
      payload: { payer_wallet_id: payer, payee_wallet_id: payee, ...usd() },
    }),
  },
  'POST /v1/escrows/{id}/release': {
    kind: 'moves',
    scope: 'escrows:write',
    status: 200,
    to: 'payee',
    counts: false,
    call: async (parties) => ({
      method: 'POST',
      url: `/v1/escrows/${await escrow(parties)}/release`,
      payload: { amount: '10.00' },
    }),
  },
  'POST /v1/escrows/{id}/resolve': {
    kind: 'moves',
    scope: 'escrows:write',
    status: 200,
    to: 'payee',
    counts: false,
    call: async (parties) => {
      const id = await escrow(parties);
      await postOk(t, `/v1/escrows/${id}/dispute`, { reason: 'not delivered' }, 200);
      return { method: 'POST', url: `/v1/escrows/${id}/resolve`, payload: { outcome: 'release' } };
    },
  },
  'POST /v1/escrows/{id}/cancel': {
    kind: 'moves',
    scope: 'escrows:write',
    status: 200,
    to: 'payer',
    counts: false,
    call: async (parties) => ({
      method: 'POST',
      url: `/v1/escrows/${await escrow(parties)}/cancel`,
      payload: {},
    }),
  },
  'POST /v1/refunds': {
    kind: 'moves',
    scope: 'refunds:write',
    status: 201,
    // Refunding a transfer from the payee to the payer: the payer gives it back to the payee.
    to: 'payee',
    counts: true,
    call: async ({ payer, payee }) => {
      await payment({ payer: payee, payee: payer });
      const id = await transferTo({ payer: payee, payee: payer });
      return { method: 'POST', url: '/v1/refunds', payload: { transfer_id: id } };
    },
  },
  // Reads of one object.
  'GET /v1/transfers/{id}': {
    kind: 'reveals',
    scope: 'transfers:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/transfers/${await transferTo(parties)}`,
  },
  'GET /v1/payments/{id}': {
    kind: 'reveals',
    scope: 'payments:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/payments/${await payment(parties)}`,
  },
  'GET /v1/payouts/{id}': {
    kind: 'reveals',
    scope: 'payouts:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/payouts/${await payout(parties)}`,
  },
  'GET /v1/refunds/{id}': {
    kind: 'reveals',
    scope: 'refunds:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/refunds/${await refundOf(parties)}`,
  },
  'GET /v1/escrows/{id}': {
    kind: 'reveals',
    scope: 'escrows:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/escrows/${await escrow(parties)}`,
  },
  'GET /v1/wallets/{id}': {
    kind: 'reveals',
    scope: 'wallets:read',
    restricted: 'wallet',
    make: async ({ payer }) => `/v1/wallets/${payer}`,
  },
  'GET /v1/wallets/{id}/balance': {
    kind: 'reveals',
    scope: 'wallets:read',
    restricted: 'wallet',
    make: async ({ payer }) => `/v1/wallets/${payer}/balance`,
  },
  'GET /v1/wallets/{id}/transactions': {
    kind: 'reveals',
    scope: 'wallets:read',
    restricted: 'wallet',
    make: async ({ payer }) => `/v1/wallets/${payer}/transactions`,
  },
  'GET /v1/wallets/{id}/statement': {
    kind: 'reveals',
    scope: 'wallets:read',
    restricted: 'wallet',
    make: async ({ payer }) =>
      `/v1/wallets/${payer}/statement?from=2000-01-01T00:00:00Z&to=${t.clock.now().toISOString()}`,
  },
  'GET /v1/wallets/{id}/payout_schedule': {
    kind: 'reveals',
    scope: 'payouts:read',
    restricted: 'wallet',
    make: async ({ payer }) => {
      await postOk(t, `/v1/wallets/${payer}/payout_schedule`, { interval: 'daily', destination: bank }, 200);
      return `/v1/wallets/${payer}/payout_schedule`;
    },
  },
  'GET /v1/payout_batches/{id}': {
    kind: 'reveals',
    scope: 'payouts:read',
    restricted: 'closed',
    make: async ({ payer }) =>
      `/v1/payout_batches/${(await postOk(t, '/v1/payout_batches', { payouts: [{ wallet_id: payer, destination: bank, ...usd() }] })).id}`,
  },
  'GET /v1/holders/{id}': {
    kind: 'reveals',
    scope: 'holders:read',
    // A key restricted to wallets has no holder of its own: every holder is 404 to it.
    restricted: 'closed',
    make: async () => `/v1/holders/${await holder()}`,
  },
  'GET /v1/api_keys/{id}': {
    kind: 'reveals',
    scope: 'api_keys:read',
    restricted: 'closed',
    make: async () => `/v1/api_keys/${(await createKey(t, { scopes: ['holders:read'] })).id}`,
  },
  'GET /v1/risk_rules/{id}': {
    kind: 'reveals',
    scope: 'risk_rules:read',
    restricted: 'closed',
    make: async () => `/v1/risk_rules/${await riskRule()}`,
  },
  'GET /v1/webhook_endpoints/{id}': {
    kind: 'reveals',
    scope: 'webhook_endpoints:read',
    restricted: 'closed',
    make: async () => `/v1/webhook_endpoints/${await webhook()}`,
  },
  'GET /v1/webhook_endpoints/{id}/deliveries': {
    kind: 'reveals',
    scope: 'webhook_endpoints:read',
    restricted: 'closed',
    make: async () => `/v1/webhook_endpoints/${await webhook()}/deliveries`,
  },
  'GET /v1/events/{id}': {
    kind: 'reveals',
    scope: 'events:read',
    restricted: 'closed',
    make: async (parties) => `/v1/events/${await eventOf(parties)}`,
  },
  'GET /v1/audit_logs/{id}': {
    kind: 'reveals',
    scope: 'audit_logs:read',
    restricted: 'closed',
    make: async (parties) => `/v1/audit_logs/${await auditOf(parties)}`,
  },
  'GET /v1/approvals/{id}': {
    kind: 'reveals',
    scope: 'approvals:read',
    // Visible to the restricted key that asked for it, tested in access.test.ts; 404 to others.
    restricted: 'closed',
    make: async (parties) => `/v1/approvals/${await approval(parties)}`,
  },
  'GET /v1/challenges/{id}': {
    kind: 'reveals',
    scope: 'challenges:read',
    // Visible to the restricted key that asked for it, tested in challenges.test.ts; 404 to others.
    restricted: 'closed',
    make: async () => `/v1/challenges/${await challenge()}`,
  },
  'GET /v1/assets/{code}': {
    kind: 'reveals',
    scope: 'assets:read',
    restricted: 'open',
    make: async () => `/v1/assets/${await customAsset()}`,
  },
  // Lists.
  'GET /v1/transfers': {
    kind: 'lists',
    scope: 'transfers:read',
    restricted: 'wallet_query',
    make: transferTo,
  },
  'GET /v1/payouts': { kind: 'lists', scope: 'payouts:read', restricted: 'wallet_query', make: payout },
  'GET /v1/payments': { kind: 'lists', scope: 'payments:read', restricted: 'closed', make: payment },
  'GET /v1/refunds': { kind: 'lists', scope: 'refunds:read', restricted: 'closed', make: refundOf },
  'GET /v1/escrows': { kind: 'lists', scope: 'escrows:read', restricted: 'closed', make: escrow },
  'GET /v1/approvals': { kind: 'lists', scope: 'approvals:read', restricted: 'own_requests', make: approval },
  'GET /v1/challenges': {
    kind: 'lists',
    scope: 'challenges:read',
    restricted: 'own_requests',
    make: challenge,
  },
  'GET /v1/events': { kind: 'lists', scope: 'events:read', restricted: 'closed', make: eventOf },
  'GET /v1/audit_logs': { kind: 'lists', scope: 'audit_logs:read', restricted: 'closed', make: auditOf },
  'GET /v1/wallets': {
    kind: 'lists',
    scope: 'wallets:read',
    restricted: 'own',
    make: async ({ payer }) => payer,
  },
  'GET /v1/holders': { kind: 'lists', scope: 'holders:read', restricted: 'closed', make: holder },
  'GET /v1/assets': { kind: 'lists', scope: 'assets:read', restricted: 'open', make: customAsset },
  'GET /v1/risk_rules': { kind: 'lists', scope: 'risk_rules:read', restricted: 'closed', make: riskRule },
  'GET /v1/webhook_endpoints': {
    kind: 'lists',
    scope: 'webhook_endpoints:read',
    restricted: 'closed',
    make: webhook,
  },
  'GET /v1/api_keys': {
    kind: 'lists',
    scope: 'api_keys:read',
    restricted: 'closed',
    make: async () => (await createKey(t, { scopes: ['holders:read'] })).id,
  },
  'GET /v1/oauth_clients': {
    kind: 'lists',
    scope: 'oauth_clients:read',
    restricted: 'closed',
    make: async () => oauthClient(),
  },
  'GET /v1/oauth_clients/{id}': {
    kind: 'reveals',
    scope: 'oauth_clients:read',
    restricted: 'closed',
    make: async () => `/v1/oauth_clients/${await oauthClient()}`,
  },
  'GET /v1/consents': { kind: 'lists', scope: 'consents:read', restricted: 'closed', make: consent },
  'GET /v1/consents/{id}': {
    kind: 'reveals',
    scope: 'consents:read',
    restricted: 'closed',
    make: async (parties) => `/v1/consents/${await consent(parties)}`,
  },
  'GET /v1/risk_decisions': {
    kind: 'other',
    why: 'decisions of risk rules, by mode: risk tests; closed to restricted keys',
  },
  // Money that the checks do not see: closed to agents.
  'POST /v1/wallets/{id}/payout_schedule': {
    kind: 'other',
    why: 'money leaves later, in the worker: 403 to restricted and policy-bound keys (access.test.ts, spend.test.ts)',
  },
  'POST /v1/payout_files': {
    kind: 'other',
    why: `bank files gather payouts already screened; ${closed_to_agents}`,
  },
  'POST /v1/bank_statements': {
    kind: 'other',
    why: `reconciliation of what the bank reports; ${closed_to_agents}`,
  },
  'GET /v1/bank_statements/{id}': { kind: 'other', why: closed_to_agents },
  'GET /v1/payout_files/{id}': { kind: 'other', why: closed_to_agents },
  'GET /v1/payout_files/{id}/xml': { kind: 'other', why: closed_to_agents },
  'POST /v1/approvals/{id}/approve': {
    kind: 'other',
    why: 'executes a parked request screened again as its asker; restricted and policy-bound keys cannot decide (approvals tests)',
  },
  'POST /v1/approvals/{id}/reject': { kind: 'other', why: 'moves nothing; same deciders as approve' },
  'POST /v1/challenges/{id}/confirm': {
    kind: 'other',
    why: "runs a kept request screened again as its asker; only the asker, or a key without restrictions or a spend policy, finds it; another mode's key does not (challenges.test.ts, who may confirm)",
  },
  'POST /v1/challenges/{id}/resend': { kind: 'other', why: 'moves nothing; the same keys as confirm' },
  'POST /v1/challenges/{id}/cancel': { kind: 'other', why: 'moves nothing; the same keys as confirm' },
  'POST /v1/test_helpers/challenges/{id}/reveal_code': {
    kind: 'other',
    why: 'test mode only (test_mode_only); closed to restricted keys; test_helpers:write',
  },
  // A holder's second factor and a frozen wallet are the operator's (challenges.test.ts for the agent's view).
  'POST /v1/holders/{id}/authenticator': {
    kind: 'writes',
    scope: 'holders:write',
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => ({ method: 'POST', url: `/v1/holders/${await holder()}/authenticator`, payload: {} }),
  },
  'POST /v1/holders/{id}/authenticator/activate': {
    kind: 'writes',
    scope: 'holders:write',
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => {
      const id = await holder();
      const { secret } = await postOk(t, `/v1/holders/${id}/authenticator`, {}, 200);
      const code = authenticatorCode(String(secret), t.clock.now());
      return { method: 'POST', url: `/v1/holders/${id}/authenticator/activate`, payload: { code } };
    },
  },
  'DELETE /v1/holders/{id}/authenticator': {
    kind: 'writes',
    scope: 'holders:write',
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => {
      const id = await holder();
      await postOk(t, `/v1/holders/${id}/authenticator`, {}, 200);
      return { method: 'DELETE', url: `/v1/holders/${id}/authenticator` };
    },
  },
  'POST /v1/wallets/{id}/unfreeze': {
    kind: 'writes',
    scope: 'wallets:write',
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => {
      const wallet = await newWallet(t);
      await postOk(t, `/v1/wallets/${wallet}/freeze`, {}, 200);
      return { method: 'POST', url: `/v1/wallets/${wallet}/unfreeze` };
    },
  },
  'GET /v1/holders/{id}/authenticator': {
    kind: 'other',
    why: "a status, never the secret: holders:read; a restricted key sees its own holder's (holder_param)",
  },
  'POST /v1/payments': {
    kind: 'moves',
    scope: 'payments:write',
    status: 201,
    // A pay-in: money from a card into the payer's own wallet, which is its destination.
    to: 'payee',
    counts: true,
    restricted_closed: true,
    call: async ({ payer }) => ({
      method: 'POST',
      url: '/v1/payments',
      payload: { wallet_id: payer, source: { type: 'card', number: '4242424242424242' }, ...usd() },
    }),
  },
  'POST /v1/wallets/{id}/deposit_addresses': {
    kind: 'other',
    why: 'an address to receive crypto; money arrives through the rail',
  },
  'POST /v1/transfers/{id}/void': {
    kind: 'other',
    why: 'releases a hold back to its payer, moving nothing out; closed to restricted keys',
  },
  'POST /v1/escrows/{id}/dispute': {
    kind: 'other',
    why: 'freezes an escrow, moving nothing; resolving it is screened',
  },
  'GET /v1/reports/trial_balance': {
    kind: 'other',
    why: 'of the key mode only: reports/trial-balance.test.ts; closed to restricted keys',
  },
  'GET /v1/events/stream': { kind: 'other', why: 'a stream of the mode events: events/stream.test.ts' },
  // Operators are of no mode (they act in both): operators/routes.test.ts checks every kind of key.
  'GET /v1/operators': { kind: 'other', why: 'modeless accounts, operators:read: operators/routes.test.ts' },
  'GET /v1/operators/{id}': {
    kind: 'other',
    why: 'modeless accounts, operators:read: operators/routes.test.ts',
  },
  'POST /v1/operators': {
    kind: 'other',
    why: 'live callers only, a role within their scopes; closed to restricted and policy keys: operators/routes.test.ts',
  },
  'POST /v1/operators/{id}': {
    kind: 'other',
    why: 'live callers only, both roles within their scopes; closed to restricted and policy keys: operators/routes.test.ts',
  },
  // Billing: charges now and at every renewal, in the worker.
  'POST /v1/subscriptions': {
    kind: 'charges',
    scope: 'subscriptions:write',
    status: 201,
    call: async () => {
      const { price, holder, wallet } = await billingParty();
      return {
        call: {
          method: 'POST',
          url: '/v1/subscriptions',
          payload: { holder_id: holder, wallet_id: wallet, items: [{ price_id: price }] },
        },
        payer: wallet,
      };
    },
  },
  'POST /v1/subscriptions/{id}': {
    kind: 'charges',
    scope: 'subscriptions:write',
    status: 200,
    call: async () => {
      const sub = await subscribed();
      const items = (await t.request({ method: 'GET', url: `/v1/subscriptions/${sub.id}` })).json().items;
      const payload = { items: [{ id: items[0].id, quantity: 3 }], proration_behavior: 'always_invoice' };
      return { call: { method: 'POST', url: `/v1/subscriptions/${sub.id}`, payload }, payer: sub.wallet };
    },
  },
  'POST /v1/subscriptions/{id}/cancel': {
    kind: 'charges',
    scope: 'subscriptions:write',
    status: 200,
    call: async () => {
      const sub = await subscribed();
      return {
        call: { method: 'POST', url: `/v1/subscriptions/${sub.id}/cancel`, payload: { prorate: true } },
        payer: sub.wallet,
      };
    },
  },
  'POST /v1/subscriptions/{id}/resume': {
    kind: 'charges',
    scope: 'subscriptions:write',
    status: 200,
    call: async () => {
      const sub = await subscribed();
      await postOk(t, `/v1/subscriptions/${sub.id}/pause`, undefined, 200);
      return { call: { method: 'POST', url: `/v1/subscriptions/${sub.id}/resume` }, payer: sub.wallet };
    },
  },
  'POST /v1/invoices': {
    kind: 'charges',
    scope: 'invoices:write',
    status: 201,
    call: async () => {
      const { holder, wallet } = await billingParty();
      const payload = { holder_id: holder, currency: 'USD', wallet_id: wallet, lines: [{ amount: '10.00' }] };
      return { call: { method: 'POST', url: '/v1/invoices', payload }, payer: wallet };
    },
  },
  'POST /v1/invoices/{id}/finalize': {
    kind: 'charges',
    scope: 'invoices:write',
    status: 200,
    call: async () => {
      const invoice = await openInvoice();
      return { call: { method: 'POST', url: `/v1/invoices/${invoice.id}/finalize` }, payer: invoice.wallet };
    },
  },
  'POST /v1/invoices/{id}/pay': {
    kind: 'charges',
    scope: 'invoices:write',
    status: 200,
    call: async () => {
      const invoice = await openInvoice();
      return { call: { method: 'POST', url: `/v1/invoices/${invoice.id}/pay` }, payer: invoice.wallet };
    },
  },
  'GET /v1/products/{id}': {
    kind: 'reveals',
    scope: 'products:read',
    restricted: 'closed',
    make: catalogue('/v1/products', product),
  },
  'GET /v1/prices/{id}': {
    kind: 'reveals',
    scope: 'products:read',
    restricted: 'closed',
    make: catalogue('/v1/prices', price),
  },
  'GET /v1/coupons/{id}': {
    kind: 'reveals',
    scope: 'products:read',
    restricted: 'closed',
    make: catalogue('/v1/coupons', coupon),
  },
  'GET /v1/tax_rates/{id}': {
    kind: 'reveals',
    scope: 'products:read',
    restricted: 'closed',
    make: catalogue('/v1/tax_rates', tax_rate),
  },
  'GET /v1/test_clocks/{id}': {
    kind: 'reveals',
    scope: 'test_clocks:read',
    restricted: 'closed',
    make: catalogue('/v1/test_clocks', clock),
  },
  'GET /v1/subscriptions/{id}': {
    kind: 'reveals',
    scope: 'subscriptions:read',
    restricted: 'closed',
    make: async () => `/v1/subscriptions/${(await subscribed()).id}`,
  },
  'GET /v1/invoices/{id}': {
    kind: 'reveals',
    scope: 'invoices:read',
    restricted: 'closed',
    make: async () => `/v1/invoices/${(await openInvoice()).id}`,
  },
  'GET /v1/invoices/{id}/pdf': {
    kind: 'reveals',
    scope: 'invoices:read',
    restricted: 'closed',
    make: async () => `/v1/invoices/${(await openInvoice()).id}/pdf`,
  },
  'GET /v1/products': {
    kind: 'lists',
    scope: 'products:read',
    restricted: 'closed',
    make: async () => (await postOk(t, '/v1/products', await product())).id,
  },
  'GET /v1/prices': {
    kind: 'lists',
    scope: 'products:read',
    restricted: 'closed',
    make: async () => (await postOk(t, '/v1/prices', await price())).id,
  },
  'GET /v1/coupons': {
    kind: 'lists',
    scope: 'products:read',
    restricted: 'closed',
    make: async () => (await postOk(t, '/v1/coupons', await coupon())).id,
  },
  'GET /v1/tax_rates': {
    kind: 'lists',
    scope: 'products:read',
    restricted: 'closed',
    make: async () => (await postOk(t, '/v1/tax_rates', await tax_rate())).id,
  },
  'GET /v1/test_clocks': {
    kind: 'lists',
    scope: 'test_clocks:read',
    restricted: 'closed',
    make: async () => (await postOk(t, '/v1/test_clocks', await clock())).id,
  },
  'GET /v1/subscriptions': {
    kind: 'lists',
    scope: 'subscriptions:read',
    restricted: 'closed',
    make: async () => (await subscribed()).id,
  },
  'GET /v1/invoices': {
    kind: 'lists',
    scope: 'invoices:read',
    restricted: 'closed',
    make: async () => (await openInvoice()).id,
  },
  'POST /v1/test_clocks/{id}/advance': {
    kind: 'other',
    why: 'test mode only (a live key is 403 test_mode_only); runs the charges due for the clock holders, so closed to restricted and policy-bound keys (clocks/advance.test.ts)',
  },
  'POST /v1/usage_records': {
    kind: 'other',
    why: 'records usage charged later by the invoice of its subscription: closed to restricted and policy-bound keys (billing/abuse.test.ts)',
  },
  'POST /v1/subscriptions/{id}/pause': {
    kind: 'other',
    why: 'stops renewals, moving nothing; closed to restricted and policy-bound keys, as resume is',
  },
  'POST /v1/invoices/{id}/void': {
    kind: 'other',
    why: 'closes an invoice, moving nothing; closed to restricted keys',
  },
  // Onboarding and verification (docs/identity.md).
  'POST /v1/files': {
    kind: 'other',
    why: "an upload in the key's own mode, open to restricted keys, which see only their own uploads: files/files.test.ts",
  },
  'GET /v1/files/{id}': {
    kind: 'reveals',
    scope: 'files:read',
    // Visible to the restricted key that uploaded it (files.test.ts); these did not.
    restricted: 'closed',
    make: async () => `/v1/files/${await uploadedFile(t, 'identity_document')}`,
  },
  'GET /v1/verification_sessions/{id}': {
    kind: 'reveals',
    scope: 'verification_sessions:read',
    // A key restricted to a holder sees its holder's (verification.test.ts); to wallets, none.
    restricted: 'closed',
    make: async () => `/v1/verification_sessions/${await verificationSession('requires_input')}`,
  },
  'GET /v1/verification_sessions': {
    kind: 'lists',
    scope: 'verification_sessions:read',
    restricted: 'own_holder',
    make: async () => verificationSession('requires_input'),
  },
  'POST /v1/holders/{id}/verification_sessions': {
    kind: 'writes',
    scope: 'verification_sessions:write',
    status: 201,
    restricted: 'holder',
    policy: 'open',
    call: async () => ({
      method: 'POST',
      url: `/v1/holders/${await holder()}/verification_sessions`,
      payload: { type: 'person', person: { first_name: 'Ada' } },
    }),
  },
  'POST /v1/verification_sessions/{id}': {
    kind: 'writes',
    scope: 'verification_sessions:write',
    status: 200,
    restricted: 'holder',
    policy: 'open',
    call: async () => ({
      method: 'POST',
      url: `/v1/verification_sessions/${await verificationSession('requires_input')}`,
      payload: { person: { last_name: 'Lovelace' } },
    }),
  },
  'POST /v1/verification_sessions/{id}/approve': {
    kind: 'writes',
    scope: ['verification_sessions:write', 'holders:write'],
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => ({
      method: 'POST',
      url: `/v1/verification_sessions/${await verificationSession('processing')}/approve`,
    }),
  },
  'POST /v1/verification_sessions/{id}/reject': {
    kind: 'writes',
    scope: ['verification_sessions:write', 'holders:write'],
    status: 200,
    restricted: 'closed',
    policy: 'closed',
    call: async () => ({
      method: 'POST',
      url: `/v1/verification_sessions/${await verificationSession('processing')}/reject`,
      payload: { reason: 'Not the person listed? Not sure: rejected.' },
    }),
  },
  // Currency conversion (docs/fx.md).
  'POST /v1/conversions': {
    kind: 'moves',
    scope: 'conversions:write',
    status: 201,
    to: 'own',
    counts: true,
    call: async ({ payer }) => ({
      method: 'POST',
      url: '/v1/conversions',
      payload: { source_wallet_id: payer, target_wallet_id: await eurTarget(), source_amount: '10.00' },
    }),
  },
  'GET /v1/conversions/{id}': {
    kind: 'reveals',
    scope: 'conversions:read',
    restricted: 'wallet',
    make: async (parties) => `/v1/conversions/${await conversionOf(parties)}`,
  },
  'GET /v1/conversions': {
    kind: 'lists',
    scope: 'conversions:read',
    restricted: 'wallet_query',
    make: conversionOf,
  },
  'GET /v1/fx_rates': { kind: 'lists', scope: 'fx_rates:read', restricted: 'open', make: fxRate },
  'GET /v1/fx_rates/{id}': {
    kind: 'reveals',
    scope: 'fx_rates:read',
    restricted: 'open',
    make: async () => `/v1/fx_rates/${await fxRate()}`,
  },
  'POST /v1/fx_rates': {
    kind: 'other',
    why: "an operator's decision in either mode (a live rate is the live price): closed to restricted and policy-bound keys, which could price their own conversions (fx/fx.test.ts, keys)",
  },
  'POST /v1/fx_rates/import': { kind: 'other', why: 'sets rates from a file: closed like POST /v1/fx_rates' },
  'POST /v1/fx_quotes': {
    kind: 'other',
    why: 'a price for one conversion, naming no wallet: open to restricted keys; the conversion that uses it is screened (fx/fx.test.ts, keys)',
  },
  'GET /v1/fx_quotes/{id}': {
    kind: 'reveals',
    scope: 'fx_quotes:read',
    restricted: 'closed',
    make: async () => {
      await fxRate();
      const body = { source_currency: 'USD', target_currency: 'EUR', source_amount: '10.00' };
      return `/v1/fx_quotes/${(await postOk(t, '/v1/fx_quotes', body)).id}`;
    },
  },
  'GET /v1/reports/overview': {
    kind: 'surveys',
    scope: 'reports:read',
    policy: 'open',
    make: async () => {
      // Volume in an asset of its own, counted at once from the events not yet folded.
      const code = await customAsset();
      const source = await newWallet(t, code, { overdraft_limit: '100.00' });
      await postOk(t, '/v1/transfers', {
        source_wallet_id: source,
        destination_wallet_id: await newWallet(t, code),
        amount: '1.00',
        currency: code,
      });
      return { url: '/v1/reports/overview?days=1', marker: `"currency":"${code}"` };
    },
  },
  'GET /v1/search': {
    kind: 'surveys',
    scope: 'holders:read',
    policy: 'closed',
    make: async (parties) => {
      const id = await transferTo(parties);
      return { url: `/v1/search?q=${id}`, marker: id };
    },
  },
  'GET /v1/reports/fx': {
    kind: 'other',
    why: 'of the key mode only, from its system accounts: fx/fx.test.ts; closed to restricted keys',
  },
  'POST /v1/invoices/{id}/mark_uncollectible': {
    kind: 'other',
    why: 'gives up on an invoice, moving nothing; closed to restricted keys',
  },
};

/** Test-mode helpers simulate a rail. */
function otherByShape(route: string): Other | undefined {
  if (route.includes(' /v1/test_helpers/'))
    return { kind: 'other', why: 'test mode only: simulates what a rail reports' };
  return undefined;
}

/** Writes that create or change objects without moving money. */
const no_money_writes = new Set([
  'POST /v1/api_keys',
  'POST /v1/api_keys/{id}',
  'POST /v1/api_keys/{id}/revoke',
  'POST /v1/api_keys/{id}/roll',
  'POST /v1/assets',
  'POST /v1/holders',
  'POST /v1/holders/{id}',
  'POST /v1/risk_rules',
  'POST /v1/risk_rules/{id}',
  'POST /v1/wallets',
  'POST /v1/wallets/{id}/close',
  'POST /v1/wallets/{id}/freeze',
  'DELETE /v1/wallets/{id}/payout_schedule',
  'POST /v1/webhook_endpoints',
  'POST /v1/webhook_endpoints/{id}',
  'DELETE /v1/webhook_endpoints/{id}',
  'POST /v1/webhook_endpoints/{id}/replay',
  'POST /v1/webhook_endpoints/{id}/rotate_secret',
  'POST /v1/products',
  'POST /v1/products/{id}',
  'POST /v1/prices',
  'POST /v1/prices/{id}',
  'POST /v1/coupons',
  'POST /v1/coupons/{id}',
  'POST /v1/tax_rates',
  'POST /v1/tax_rates/{id}',
  'POST /v1/test_clocks',
  // Partner apps and consents: the platform's (restricted keys are refused; a policy-bound key
  // registers or deletes no app, tested with partner tokens in oauth/abuse.test.ts).
  'POST /v1/oauth_clients',
  'DELETE /v1/oauth_clients/{id}',
  'POST /v1/consents/{id}/revoke',
]);

function entryOf(route: string): Entry | undefined {
  if (no_money_writes.has(route))
    return { kind: 'other', why: 'moves no money and answers only its own object' };
  return table[route] ?? otherByShape(route);
}

async function operations(): Promise<string[]> {
  const document = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
}

async function parties(): Promise<Parties> {
  return { payer: await funded(t, '100.00'), payee: await newWallet(t) };
}

function send(call: Call, key: string | null): Promise<LightMyRequestResponse> {
  return t.request({
    method: call.method,
    url: call.url,
    key,
    ...(call.payload === undefined ? {} : { payload: call.payload }),
  });
}

async function spentToday(key_id: string): Promise<bigint> {
  const found = await t.db.pool.query<{ spent: string | null }>(
    "SELECT sum(spent_minor)::text AS spent FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
    [key_id],
  );
  return BigInt(found.rows[0]?.spent ?? '0');
}

/** Sends `call` with `key`, expects a refusal, and checks that no money left the payer. */
async function refused(
  call: Call,
  key: string,
  payer: string,
  status: number,
  code: string,
  param?: string,
): Promise<void> {
  const before = await balanceOf(t, payer);
  const response = await send(call, key);
  expectProblem(response, status, code, param ?? response.json().param);
  expect(await balanceOf(t, payer)).toEqual(before);
}

/** The wallet of the payer's own holder that a conversion's call made. */
function ownTarget(call: Call): string[] {
  const target = call.payload?.target_wallet_id;
  return typeof target === 'string' ? [target] : [];
}

function restrictedKey(scope: string | readonly string[], wallet: string): Promise<CreatedKey> {
  return createKey(t, { scopes: [scope].flat(), restrictions: { wallet_ids: [wallet] } });
}

function policyKey(scope: string | readonly string[], policy: Record<string, unknown>): Promise<CreatedKey> {
  return createKey(t, { scopes: [scope].flat(), spend_policy: policy });
}

describe('the authorization table', () => {
  it('has an entry for every operation of the OpenAPI document', async () => {
    const missing = (await operations()).filter((route) => entryOf(route) === undefined);
    expect(missing, 'decide how every kind of key may use these, then add them to the table').toEqual([]);
    const documented = new Set(await operations());
    expect(Object.keys(table).filter((route) => !documented.has(route))).toEqual([]);
    // Every endpoint the guard screens is a money row here (test helpers simulate a rail).
    const screened = [...money_endpoints.keys()]
      .map((route) => route.replace(/:([a-z_]+)/g, '{$1}'))
      .filter((route) => !route.includes('/test_helpers/'));
    expect(screened.filter((route) => table[route]?.kind !== 'moves')).toEqual([]);
  });

  const moves = Object.entries(table).filter((entry): entry is [string, Moves] => entry[1].kind === 'moves');
  it.each(moves)('%s: every kind of key', async (_route, entry) => {
    const ok = async (call: Call, key: string) => {
      const response = await send(call, key);
      expect(response.statusCode, response.body).toBe(entry.status);
    };
    // Unrestricted, then without the scope, expired and of the other mode.
    await ok(await entry.call(await parties()), t.test_key);
    let p = await parties();
    let call = await entry.call(p);
    const outsider = entry.scope.startsWith('assets') ? keys.assets_only : keys.unscoped;
    await refused(call, outsider.secret, p.payer, 403, 'insufficient_scope', entry.scope);
    await refused(call, keys.expired.secret, p.payer, 401, 'invalid_api_key');
    if (entry.per_item === true) {
      const response = await send(call, t.live_key);
      expect(response.json().items[0].error.code, response.body).toBe('resource_not_found');
    } else await refused(call, t.live_key, p.payer, 404, 'resource_not_found');
    // Restricted: another wallet's money is not there; its own goes.
    const elsewhere = await newWallet(t);
    const stranger = (await restrictedKey(entry.scope, elsewhere)).secret;
    const own = (await restrictedKey(entry.scope, p.payer)).secret;
    if (entry.restricted_closed === true) {
      await refused(call, stranger, p.payer, 403, 'key_restricted');
      await refused(call, own, p.payer, 403, 'key_restricted');
    } else {
      await refused(call, stranger, p.payer, 404, 'resource_not_found');
      await ok(call, own);
    }
    // Policy-bound: over its per-movement limit, outside its destinations, then within them.
    p = await parties();
    call = await entry.call(p);
    const small = await policyKey(entry.scope, { limits: [{ currency: 'USD', per_movement_max: '5.00' }] });
    await refused(call, small.secret, p.payer, 403, 'spend_limit_exceeded', 'per_movement_max');
    if (entry.to !== 'payer') {
      const fenced = await policyKey(entry.scope, {
        limits: [{ currency: 'USD', per_movement_max: '50.00' }],
        allowed_destinations: { wallet_ids: [await newWallet(t)] },
      });
      await refused(call, fenced.secret, p.payer, 403, 'spend_limit_exceeded', 'allowed_destinations');
    }
    const allowed = await policyKey(entry.scope, {
      limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '100.00' }],
      ...(entry.to === 'outside'
        ? {}
        : { allowed_destinations: { wallet_ids: [p.payee, p.payer, ...ownTarget(call)] } }),
    });
    await ok(call, allowed.secret);
    expect(await spentToday(allowed.id)).toBe(entry.counts ? 1000n : 0n);
  });

  const charges = Object.entries(table).filter(
    (entry): entry is [string, Charges] => entry[1].kind === 'charges',
  );
  it.each(charges)('%s: every kind of key', async (_route, entry) => {
    const { call, payer } = await entry.call();
    const outsider = keys.unscoped;
    await refused(call, outsider.secret, payer, 403, 'insufficient_scope', entry.scope);
    await refused(call, keys.expired.secret, payer, 401, 'invalid_api_key');
    await refused(call, t.live_key, payer, 404, 'resource_not_found');
    await refused(call, (await restrictedKey(entry.scope, payer)).secret, payer, 403, 'key_restricted');
    const policy = await policyKey(entry.scope, { limits: [{ currency: 'USD', per_movement_max: '50.00' }] });
    await refused(call, policy.secret, payer, 403, 'key_restricted');
    const response = await send(call, t.test_key);
    expect(response.statusCode, response.body).toBe(entry.status);
  });

  const writes = Object.entries(table).filter(
    (entry): entry is [string, Writes] => entry[1].kind === 'writes',
  );
  it.each(writes)('%s: every kind of key', async (_route, entry) => {
    const expectStatus = async (key: string, status: number, code?: string) => {
      const response = await send(await entry.call(), key);
      if (code === undefined) expect(response.statusCode, response.body).toBe(status);
      else expectProblem(response, status, code, response.json().param);
    };
    await expectStatus(t.test_key, entry.status);
    expectProblem(
      await send(await entry.call(), keys.unscoped.secret),
      403,
      'insufficient_scope',
      [entry.scope].flat()[0],
    );
    await expectStatus(keys.expired.secret, 401, 'invalid_api_key');
    await expectStatus(t.live_key, 404, 'resource_not_found');
    const restricted = await restrictedKey(entry.scope, await newWallet(t));
    if (entry.restricted === 'closed') await expectStatus(restricted.secret, 403, 'key_restricted');
    else await expectStatus(restricted.secret, 404, 'resource_not_found');
    const policy = await policyKey(entry.scope, { limits: [{ currency: 'USD', per_movement_max: '1.00' }] });
    if (entry.policy === 'closed') await expectStatus(policy.secret, 403, 'key_restricted');
    else await expectStatus(policy.secret, entry.status);
  });

  const lists = Object.entries(table).filter((entry): entry is [string, Lists] => entry[1].kind === 'lists');
  it.each(lists)('%s: every kind of key', async (route, entry) => {
    const p = await parties();
    const id = await entry.make(p);
    const base = `${route.slice('GET '.length)}?limit=100`;
    const list = (key: string, query = '') => t.request({ method: 'GET', url: `${base}${query}`, key });
    const ids = (response: LightMyRequestResponse) =>
      response.json<{ data: { id?: string; code?: string }[] }>().data.map((item) => item.id ?? item.code);
    const all = await list(t.test_key);
    expect(all.statusCode, all.body).toBe(200);
    expect(ids(all)).toContain(id);
    const live = await list(t.live_key);
    expect(live.statusCode, live.body).toBe(200);
    expect(ids(live)).not.toContain(id);
    const outsider = entry.scope.startsWith('assets') ? keys.assets_only : keys.unscoped;
    expectProblem(await list(outsider.secret), 403, 'insufficient_scope', entry.scope);
    expectProblem(await list(keys.expired.secret), 401, 'invalid_api_key');
    const policy = await policyKey(entry.scope, { limits: [{ currency: 'USD', per_movement_max: '1.00' }] });
    expect(ids(await list(policy.secret))).toContain(id);
    const elsewhere = await newWallet(t);
    const stranger = await restrictedKey(entry.scope, elsewhere);
    const own = await restrictedKey(entry.scope, p.payer);
    if (entry.restricted === 'wallet_query') {
      expectProblem(await list(own.secret), 403, 'key_restricted', 'wallet_id');
      expectProblem(
        await list(stranger.secret, `&wallet_id=${p.payer}`),
        404,
        'resource_not_found',
        'wallet_id',
      );
      expect(ids(await list(own.secret, `&wallet_id=${p.payer}`))).toContain(id);
    } else if (entry.restricted === 'own') {
      expect(ids(await list(stranger.secret))).toEqual([elsewhere]);
      expect(ids(await list(own.secret))).toEqual([p.payer]);
    } else if (entry.restricted === 'own_requests' || entry.restricted === 'own_holder') {
      // The approval was parked by another key: neither restricted key sees it.
      expect(ids(await list(own.secret))).not.toContain(id);
      expect(ids(await list(stranger.secret))).not.toContain(id);
    } else if (entry.restricted === 'open') {
      expect(ids(await list(stranger.secret))).toContain(id);
    } else expectProblem(await list(own.secret), 403, 'key_restricted');
  });

  const surveys = Object.entries(table).filter(
    (entry): entry is [string, Surveys] => entry[1].kind === 'surveys',
  );
  it.each(surveys)('%s: every kind of key', async (_route, entry) => {
    const p = await parties();
    const { url, marker } = await entry.make(p);
    const get = (key: string) => t.request({ method: 'GET', url, key });
    const seen = await get(t.test_key);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.body).toContain(marker);
    const live = await get(t.live_key);
    expect(live.statusCode, live.body).toBe(200);
    expect(live.body).not.toContain(marker);
    expectProblem(await get(keys.unscoped.secret), 403, 'insufficient_scope', entry.scope);
    expectProblem(await get(keys.expired.secret), 401, 'invalid_api_key');
    expectProblem(await get((await restrictedKey('*', p.payer)).secret), 403, 'key_restricted');
    const policy = await policyKey('*', { limits: [{ currency: 'USD', per_movement_max: '1.00' }] });
    if (entry.policy === 'closed') expectProblem(await get(policy.secret), 403, 'key_restricted');
    else expect((await get(policy.secret)).body).toContain(marker);
  });

  const reveals = Object.entries(table).filter(
    (entry): entry is [string, Reveals] => entry[1].kind === 'reveals',
  );
  it.each(reveals)('%s: every kind of key', async (_route, entry) => {
    const p = await parties();
    const url = await entry.make(p);
    const get = (key: string) => t.request({ method: 'GET', url, key });
    const seen = await get(t.test_key);
    expect(seen.statusCode, seen.body).toBe(200);
    const outsider = entry.scope.startsWith('assets') ? keys.assets_only : keys.unscoped;
    expectProblem(await get(outsider.secret), 403, 'insufficient_scope', entry.scope);
    expectProblem(await get(keys.expired.secret), 401, 'invalid_api_key');
    expect((await get(t.live_key)).statusCode, url).toBe(404);
    const policy = await policyKey(entry.scope, { limits: [{ currency: 'USD', per_movement_max: '1.00' }] });
    expect((await get(policy.secret)).statusCode).toBe(200);
    const elsewhere = await restrictedKey(entry.scope, await newWallet(t));
    const own = await restrictedKey(entry.scope, p.payer);
    if (entry.restricted === 'wallet') {
      const hidden = await get(elsewhere.secret);
      expectProblem(hidden, 404, 'resource_not_found', hidden.json().param);
      expect((await get(own.secret)).statusCode, url).toBe(200);
    } else if (entry.restricted === 'open') {
      expect((await get(elsewhere.secret)).statusCode).toBe(200);
    } else {
      expect([403, 404]).toContain((await get(own.secret)).statusCode);
    }
  });
});
