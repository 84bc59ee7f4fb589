import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, newWallet, postOk } from '../test-support/money.js';
import { asOperator, type SignedIn, signedIn } from '../test-support/operators.js';

let t: TestApp;
let first: SignedIn;
let second: SignedIn;

beforeAll(async () => {
  t = await createTestApp();
  first = await signedIn(t, 'finance');
  second = await signedIn(t, 'finance');
});

afterAll(async () => {
  await t.close();
});

async function paidIn(amount: string): Promise<{ wallet: string; payment: string }> {
  const wallet = await newWallet(t);
  const payment = await postOk(t, '/v1/payments', {
    wallet_id: wallet,
    amount,
    currency: 'USD',
    source: { type: 'card', number: '4242424242424242' },
  });
  return { wallet, payment: payment.id };
}

function approve(session: SignedIn, approval_id: string) {
  return asOperator(t, session, { method: 'POST', url: `/v1/approvals/${approval_id}/approve` });
}

describe('four eyes on refunds', () => {
  it("parks an operator's large refund until a second operator approves it", async () => {
    const { wallet, payment } = await paidIn('2500.00');
    const asked = await asOperator(t, first, {
      method: 'POST',
      url: '/v1/refunds',
      payload: { payment_id: payment },
    });
    expect(asked.statusCode, asked.body).toBe(202);
    const approval = asked.json();
    expect(approval).toMatchObject({
      object: 'approval',
      reason: 'four_eyes',
      api_key_id: first.id,
      status: 'pending',
    });
    expect((await balanceOf(t, wallet)).available).toBe('2500.00');

    expectProblem(await approve(first, approval.id), 403, 'key_restricted');
    const by_key = await t.request({ method: 'POST', url: `/v1/approvals/${approval.id}/approve` });
    expectProblem(by_key, 403, 'key_restricted');
    const viewer = await signedIn(t, 'viewer');
    expectProblem(await approve(viewer, approval.id), 403, 'insufficient_scope', 'approvals:write');
    expect((await balanceOf(t, wallet)).available).toBe('2500.00');

    const done = await approve(second, approval.id);
    expect(done.json()).toMatchObject({ status: 'approved', decided_by: second.id, result: { status: 201 } });
    expect(done.json().signoffs).toMatchObject([{ operator_id: second.id }]);
    expect((await balanceOf(t, wallet)).available).toBe('0.00');
  });

  it('lets a refund below the threshold through at once', async () => {
    const { wallet, payment } = await paidIn('999.99');
    const refunded = await asOperator(t, first, {
      method: 'POST',
      url: '/v1/refunds',
      payload: { payment_id: payment },
    });
    expect(refunded.statusCode, refunded.body).toBe(201);
    expect((await balanceOf(t, wallet)).available).toBe('0.00');
  });
});

describe('four eyes on approvals', () => {
  async function parkedTransfer(): Promise<{ source: string; approval_id: string }> {
    const agent = await createKey(t, {
      scopes: ['transfers:write', 'wallets:read'],
      spend_policy: { limits: [{ currency: 'USD', approval_above: '1.00' }] },
    });
    const { wallet: source } = await paidIn('50.00');
    const parked = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: agent.secret,
      payload: {
        source_wallet_id: source,
        destination_wallet_id: await newWallet(t),
        amount: '20.00',
        currency: 'USD',
      },
    });
    expect(parked.statusCode, parked.body).toBe(202);
    return { source, approval_id: parked.json().id };
  }

  it("executes an agent's parked transfer only when a second operator approves", async () => {
    const { source, approval_id } = await parkedTransfer();
    const once = await approve(first, approval_id);
    expect(once.json()).toMatchObject({ status: 'pending', signoffs: [{ operator_id: first.id }] });
    const twice = await approve(first, approval_id);
    expect(twice.json()).toMatchObject({ status: 'pending', signoffs: [{ operator_id: first.id }] });
    expect((await balanceOf(t, source)).available).toBe('50.00');
    const done = await approve(second, approval_id);
    expect(done.json()).toMatchObject({ status: 'approved', result: { status: 201 } });
    expect(done.json().signoffs).toHaveLength(2);
    expect((await balanceOf(t, source)).available).toBe('30.00');
  });

  it('runs it once when two operators approve at the same moment', async () => {
    const { source, approval_id } = await parkedTransfer();
    const answers = await Promise.all([approve(first, approval_id), approve(second, approval_id)]);
    const statuses = answers.map((answer) => answer.json().status ?? answer.json().code).sort();
    // The second to take the row lock either completes the pair or finds it decided.
    expect(statuses).toEqual(expect.arrayContaining(['approved']));
    expect((await balanceOf(t, source)).available).toBe('30.00');
  });

  it('lets one operator reject alone', async () => {
    const { source, approval_id } = await parkedTransfer();
    const rejected = await asOperator(t, first, {
      method: 'POST',
      url: `/v1/approvals/${approval_id}/reject`,
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected', decided_by: first.id });
    expect((await balanceOf(t, source)).available).toBe('50.00');
  });
});
