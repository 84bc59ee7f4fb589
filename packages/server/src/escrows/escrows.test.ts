import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import {
  escrowAction,
  escrowEntries,
  escrowOf,
  expectEscrowBooksBalance,
  parties,
  postEscrow,
} from '../test-support/escrows.js';
import { balanceOf, expectProblem, newWallet, usd } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterEach(() => expectEscrowBooksBalance(t));
afterAll(() => t.close());

const milestones = [
  { amount: '30.00', description: 'Design' },
  { amount: '50.00', description: 'Build' },
  { amount: '20.00' },
];

function getEscrow(id: string, key?: string) {
  return t.request({ method: 'GET', url: `/v1/escrows/${id}`, ...(key === undefined ? {} : { key }) });
}

function post(url: string) {
  return t.request({ method: 'POST', url });
}

describe('creating an escrow', () => {
  it('takes the amount from the payer at once and shows it held', async () => {
    const wallets = await parties(t, '150.00');
    const escrow = await escrowOf(t, wallets, '100.00', {
      milestones,
      description: 'Project 42',
      metadata: { project: '42' },
    });
    expect(escrow).toEqual({
      id: expect.stringMatching(/^esc_[0-9a-z]{26}$/),
      object: 'escrow',
      livemode: false,
      status: 'held',
      payer_wallet_id: wallets.payer,
      payee_wallet_id: wallets.payee,
      amount: '100.00',
      currency: 'USD',
      released_amount: '0.00',
      refunded_amount: '0.00',
      remaining_amount: '100.00',
      milestones: [
        { id: 'ms_1', amount: '30.00', description: 'Design', status: 'pending' },
        { id: 'ms_2', amount: '50.00', description: 'Build', status: 'pending' },
        { id: 'ms_3', amount: '20.00', description: null, status: 'pending' },
      ],
      auto_release_at: null,
      auto_refund_at: null,
      dispute: null,
      description: 'Project 42',
      metadata: { project: '42' },
      created_at: t.clock.now().toISOString(),
      updated_at: t.clock.now().toISOString(),
    });
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('50.00'));
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('0.00'));
    expect((await getEscrow(escrow.id)).json()).toEqual(escrow);
    expect(await escrowEntries(t, escrow.id)).toEqual(['escrow.funded']);
  });

  it('keeps an automatic date and refuses two, a past one or one too far away', async () => {
    const wallets = await parties(t);
    const at = new Date(t.clock.now().getTime() + 86_400_000).toISOString();
    const escrow = await escrowOf(t, wallets, '10.00', { auto_refund_at: at });
    expect(escrow).toMatchObject({ auto_refund_at: at, auto_release_at: null });
    const base = { payer_wallet_id: wallets.payer, payee_wallet_id: wallets.payee, amount: '1.00' };
    const now = t.clock.now().toISOString();
    const far = new Date(t.clock.now().getTime() + 733 * 86_400_000).toISOString();
    expectProblem(
      await postEscrow(t, { ...base, auto_release_at: at, auto_refund_at: at }),
      400,
      'invalid_request',
      'auto_refund_at',
    );
    expectProblem(
      await postEscrow(t, { ...base, auto_release_at: now }),
      400,
      'invalid_request',
      'auto_release_at',
    );
    expectProblem(
      await postEscrow(t, { ...base, auto_refund_at: far }),
      400,
      'invalid_request',
      'auto_refund_at',
    );
    expectProblem(
      await postEscrow(t, { ...base, auto_refund_at: 'tomorrow' }),
      400,
      'invalid_request',
      'auto_refund_at',
    );
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('90.00'));
  });

  it.each([
    [
      'milestones that do not add up',
      { milestones: [{ amount: '60.00' }, { amount: '30.00' }] },
      400,
      'invalid_request',
      'milestones',
    ],
    [
      'a milestone with a bad amount',
      { milestones: [{ amount: '100.00' }, { amount: '0.001' }] },
      400,
      'invalid_amount',
      'milestones.1.amount',
    ],
    ['an empty milestone list', { milestones: [] }, 400, 'invalid_request', 'milestones'],
    ['a numeric amount', { amount: 100 }, 400, 'invalid_amount', 'amount'],
    ['a zero amount', { amount: '0.00' }, 400, 'invalid_amount', 'amount'],
    ['an unknown field', { fee: '1.00' }, 400, 'invalid_request', 'fee'],
    ['an unknown currency', { currency: 'XYZ' }, 400, 'asset_not_found', 'currency'],
    ['a payee in another currency', { payee: 'EUR' }, 400, 'currency_mismatch', 'payee_wallet_id'],
    ['an unknown payer', { payer_wallet_id: 'wal_nope' }, 404, 'resource_not_found', 'payer_wallet_id'],
    ['the payer as payee', { payee: 'payer' }, 400, 'same_wallet', 'payee_wallet_id'],
    ['more than the payer has', { amount: '100.01' }, 402, 'insufficient_funds', 'payer_wallet_id'],
  ] as const)(
    'refuses %s, naming the field, and takes nothing',
    async (_name, change, status, code, param) => {
      const wallets = await parties(t);
      const { payee, ...rest } = change as Record<string, unknown>;
      const payee_wallet_id =
        payee === 'payer' ? wallets.payer : payee === 'EUR' ? await newWallet(t, 'EUR') : wallets.payee;
      const response = await postEscrow(t, {
        payer_wallet_id: wallets.payer,
        payee_wallet_id,
        amount: '100.00',
        ...rest,
      });
      expectProblem(response, status, code, param);
      expect(await balanceOf(t, wallets.payer)).toEqual(usd('100.00'));
      const listed = await t.request({ method: 'GET', url: `/v1/escrows?payer_wallet_id=${wallets.payer}` });
      expect(listed.json().data).toEqual([]);
    },
  );

  it('refuses a frozen payer and a closed payee; a frozen payee may still thaw', async () => {
    const wallets = await parties(t);
    const closed = await newWallet(t);
    expect((await post(`/v1/wallets/${closed}/close`)).statusCode).toBe(200);
    const base = { payer_wallet_id: wallets.payer, amount: '10.00' };
    expectProblem(
      await postEscrow(t, { ...base, payee_wallet_id: closed }),
      409,
      'wallet_closed',
      'payee_wallet_id',
    );
    expect((await post(`/v1/wallets/${wallets.payee}/freeze`)).statusCode).toBe(200);
    await escrowOf(t, wallets, '10.00');
    expect((await post(`/v1/wallets/${wallets.payer}/freeze`)).statusCode).toBe(200);
    expectProblem(
      await postEscrow(t, { ...base, payee_wallet_id: wallets.payee }),
      409,
      'wallet_frozen',
      'payer_wallet_id',
    );
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('90.00'));
  });

  it('replays a retried create instead of taking the money twice', async () => {
    const wallets = await parties(t);
    const payload = {
      payer_wallet_id: wallets.payer,
      payee_wallet_id: wallets.payee,
      amount: '40.00',
      currency: 'USD',
    };
    const send = () =>
      t.request({
        method: 'POST',
        url: '/v1/escrows',
        payload,
        headers: { 'idempotency-key': `esc-${wallets.payer}` },
      });
    const first = await send();
    const second = await send();
    expect(first.statusCode, first.body).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('60.00'));
  });
});

describe('releasing', () => {
  it('pays milestones one at a time, each once, and ends as released with the last', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00', { milestones });
    const first = await escrowAction(t, escrow.id, 'release', { milestone_id: 'ms_2' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      status: 'held',
      released_amount: '50.00',
      remaining_amount: '50.00',
      milestones: [{ status: 'pending' }, { status: 'released' }, { status: 'pending' }],
    });
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('50.00'));
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { milestone_id: 'ms_2' }),
      409,
      'milestone_not_pending',
      'milestone_id',
    );
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { milestone_id: 'ms_9' }),
      404,
      'resource_not_found',
      'milestone_id',
    );
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { amount: '10.00' }),
      400,
      'invalid_request',
      'amount',
    );
    for (const milestone_id of ['ms_1', 'ms_3'])
      expect((await escrowAction(t, escrow.id, 'release', { milestone_id })).statusCode).toBe(200);
    const done = (await getEscrow(escrow.id)).json();
    expect(done).toMatchObject({ status: 'released', released_amount: '100.00', remaining_amount: '0.00' });
    expect(done.milestones.map((m: { status: string }) => m.status)).toEqual([
      'released',
      'released',
      'released',
    ]);
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('100.00'));
    expect(await escrowEntries(t, escrow.id)).toEqual([
      'escrow.funded',
      'escrow.released',
      'escrow.released',
      'escrow.released',
    ]);
  });

  it('pays amounts up to what remains when there are no milestones', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00');
    const part = await escrowAction(t, escrow.id, 'release', { amount: '25.50' });
    expect(part.statusCode, part.body).toBe(200);
    expect(part.json()).toMatchObject({
      status: 'held',
      released_amount: '25.50',
      remaining_amount: '74.50',
    });
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { amount: '74.51' }),
      409,
      'release_exceeds_remaining',
      'amount',
    );
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { milestone_id: 'ms_1' }),
      404,
      'resource_not_found',
      'milestone_id',
    );
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { amount: '1.001' }),
      400,
      'invalid_amount',
      'amount',
    );
    const rest = await escrowAction(t, escrow.id, 'release', { amount: '74.50' });
    expect(rest.json()).toMatchObject({
      status: 'released',
      released_amount: '100.00',
      remaining_amount: '0.00',
    });
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('100.00'));
  });

  it.each([
    ['neither field', {}],
    ['both fields', { milestone_id: 'ms_1', amount: '1.00' }],
  ])('refuses a release with %s', async (_name, body) => {
    const escrow = await escrowOf(t, await parties(t), '10.00');
    expectProblem(await escrowAction(t, escrow.id, 'release', body), 400, 'invalid_request', 'milestone_id');
    expect((await getEscrow(escrow.id)).json().released_amount).toBe('0.00');
  });

  it('refuses while the payee wallet is frozen, then pays once it thaws', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '10.00');
    await post(`/v1/wallets/${wallets.payee}/freeze`);
    expectProblem(await escrowAction(t, escrow.id, 'release', { amount: '10.00' }), 409, 'wallet_frozen');
    expect((await getEscrow(escrow.id)).json()).toMatchObject({ status: 'held', released_amount: '0.00' });
    await post(`/v1/wallets/${wallets.payee}/unfreeze`);
    expect((await escrowAction(t, escrow.id, 'release', { amount: '10.00' })).json().status).toBe('released');
  });

  it('replays a retried release instead of paying twice', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '10.00');
    const headers = { 'idempotency-key': `release-${escrow.id}` };
    const first = await escrowAction(t, escrow.id, 'release', { amount: '4.00' }, headers);
    const again = await escrowAction(t, escrow.id, 'release', { amount: '4.00' }, headers);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expectProblem(
      await escrowAction(t, escrow.id, 'release', { amount: '5.00' }, headers),
      422,
      'idempotency_key_reused',
      'Idempotency-Key',
    );
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('4.00'));
  });
});

describe('canceling', () => {
  it('returns what remains to the payer, cancels pending milestones and ends the escrow', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00', { milestones });
    await escrowAction(t, escrow.id, 'release', { milestone_id: 'ms_1' });
    const canceled = await escrowAction(t, escrow.id, 'cancel');
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json()).toMatchObject({
      status: 'canceled',
      released_amount: '30.00',
      refunded_amount: '70.00',
      remaining_amount: '0.00',
      milestones: [{ status: 'released' }, { status: 'canceled' }, { status: 'canceled' }],
    });
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('70.00'));
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('30.00'));
    expect(await escrowEntries(t, escrow.id)).toEqual([
      'escrow.funded',
      'escrow.released',
      'escrow.canceled',
    ]);
  });

  it('refuses every change once the escrow has ended, either way', async () => {
    const wallets = await parties(t);
    const released = await escrowOf(t, wallets, '10.00');
    await escrowAction(t, released.id, 'release', { amount: '10.00' });
    const canceled = await escrowOf(t, wallets, '10.00');
    await escrowAction(t, canceled.id, 'cancel');
    for (const id of [released.id, canceled.id]) {
      expectProblem(await escrowAction(t, id, 'release', { amount: '1.00' }), 409, 'escrow_not_active');
      expectProblem(await escrowAction(t, id, 'cancel'), 409, 'escrow_not_active');
      expectProblem(await escrowAction(t, id, 'dispute', { reason: 'late' }), 409, 'escrow_not_active');
      expectProblem(await escrowAction(t, id, 'resolve', { outcome: 'resume' }), 409, 'escrow_not_active');
    }
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('90.00'));
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('10.00'));
  });

  it('refuses while the payer wallet is frozen', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '10.00');
    await post(`/v1/wallets/${wallets.payer}/freeze`);
    expectProblem(await escrowAction(t, escrow.id, 'cancel'), 409, 'wallet_frozen');
    expect((await getEscrow(escrow.id)).json().status).toBe('held');
    await post(`/v1/wallets/${wallets.payer}/unfreeze`);
    expect((await escrowAction(t, escrow.id, 'cancel')).json().status).toBe('canceled');
  });
});

describe('disputes', () => {
  async function disputed(extra: Record<string, unknown> = { milestones }) {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00', extra);
    await escrowAction(
      t,
      escrow.id,
      'release',
      extra.milestones ? { milestone_id: 'ms_1' } : { amount: '30.00' },
    );
    t.clock.advance(1_000);
    const response = await escrowAction(t, escrow.id, 'dispute', { reason: 'Build is late' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'disputed',
      remaining_amount: '70.00',
      dispute: {
        reason: 'Build is late',
        opened_at: t.clock.now().toISOString(),
        outcome: null,
        resolved_at: null,
      },
    });
    return { wallets, id: escrow.id };
  }

  it('freezes the escrow: release, cancel and a second dispute are refused', async () => {
    const { wallets, id } = await disputed();
    expectProblem(await escrowAction(t, id, 'release', { milestone_id: 'ms_2' }), 409, 'escrow_disputed');
    expectProblem(await escrowAction(t, id, 'cancel'), 409, 'escrow_disputed');
    expectProblem(await escrowAction(t, id, 'dispute', { reason: 'again' }), 409, 'escrow_disputed');
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('30.00'));
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('0.00'));
  });

  it('resolves by resuming: held again, and releases work', async () => {
    const { wallets, id } = await disputed();
    const resumed = await escrowAction(t, id, 'resolve', { outcome: 'resume' });
    expect(resumed.json()).toMatchObject({
      status: 'held',
      dispute: { reason: 'Build is late', outcome: 'resume', resolved_at: t.clock.now().toISOString() },
    });
    expectProblem(await escrowAction(t, id, 'resolve', { outcome: 'resume' }), 409, 'escrow_not_disputed');
    expect((await escrowAction(t, id, 'release', { milestone_id: 'ms_2' })).json().released_amount).toBe(
      '80.00',
    );
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('80.00'));
  });

  it('resolves by releasing everything remaining to the payee', async () => {
    const { wallets, id } = await disputed();
    const resolved = await escrowAction(t, id, 'resolve', { outcome: 'release' });
    expect(resolved.json()).toMatchObject({
      status: 'released',
      released_amount: '100.00',
      milestones: [{ status: 'released' }, { status: 'released' }, { status: 'released' }],
      dispute: { outcome: 'release' },
    });
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('100.00'));
    expect(await escrowEntries(t, id)).toEqual(['escrow.funded', 'escrow.released', 'escrow.resolved']);
  });

  it('resolves by refunding everything remaining to the payer', async () => {
    const { wallets, id } = await disputed({});
    const resolved = await escrowAction(t, id, 'resolve', { outcome: 'refund' });
    expect(resolved.json()).toMatchObject({
      status: 'canceled',
      released_amount: '30.00',
      refunded_amount: '70.00',
      dispute: { outcome: 'refund' },
    });
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('70.00'));
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('30.00'));
  });

  it('refuses to resolve a held escrow and an unknown outcome', async () => {
    const escrow = await escrowOf(t, await parties(t), '10.00');
    expectProblem(
      await escrowAction(t, escrow.id, 'resolve', { outcome: 'refund' }),
      409,
      'escrow_not_disputed',
    );
    expectProblem(
      await escrowAction(t, escrow.id, 'resolve', { outcome: 'split' }),
      400,
      'invalid_request',
      'outcome',
    );
    expectProblem(await escrowAction(t, escrow.id, 'dispute', {}), 400, 'invalid_request', 'reason');
  });
});

describe('reading', () => {
  it('lists newest first with filters and cursors', async () => {
    const wallets = await parties(t);
    const other_payee = await newWallet(t);
    const a = await escrowOf(t, wallets, '10.00');
    const b = await escrowOf(t, { ...wallets, payee: other_payee }, '10.00');
    const c = await escrowOf(t, wallets, '10.00');
    await escrowAction(t, c.id, 'cancel');
    const list = (query: string) => t.request({ method: 'GET', url: `/v1/escrows?${query}` });
    const ids = async (query: string) => (await list(query)).json().data.map((e: { id: string }) => e.id);
    expect(await ids(`payer_wallet_id=${wallets.payer}`)).toEqual([c.id, b.id, a.id]);
    expect(await ids(`payee_wallet_id=${wallets.payee}`)).toEqual([c.id, a.id]);
    expect(await ids(`payer_wallet_id=${wallets.payer}&status=held`)).toEqual([b.id, a.id]);
    expect(await ids(`payer_wallet_id=${wallets.payer}&status=canceled`)).toEqual([c.id]);
    const page = (await list(`payer_wallet_id=${wallets.payer}&limit=2`)).json();
    expect(page.has_more).toBe(true);
    expect(await ids(`payer_wallet_id=${wallets.payer}&starting_after=${b.id}`)).toEqual([a.id]);
    expect(await ids(`payer_wallet_id=${wallets.payer}&ending_before=${a.id}`)).toEqual([c.id, b.id]);
    expectProblem(await list(`starting_after=${wallets.payer}`), 400, 'invalid_cursor', 'starting_after');
    expectProblem(await list('status=open'), 400, 'invalid_request', 'status');
  });

  it('keeps modes apart and checks scopes', async () => {
    const escrow = await escrowOf(t, await parties(t), '10.00');
    expectProblem(await getEscrow(escrow.id, t.live_key), 404, 'resource_not_found');
    expectProblem(await getEscrow('esc_missing'), 404, 'resource_not_found');
    const key = async (scopes: string[]) => {
      const response = await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name: 'scoped', scopes },
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().secret as string;
    };
    const reader = await key(['escrows:read']);
    const stranger = await key(['wallets:write']);
    expect((await getEscrow(escrow.id, reader)).statusCode).toBe(200);
    expectProblem(await getEscrow(escrow.id, stranger), 403, 'insufficient_scope', 'escrows:read');
    const release = await t.request({
      method: 'POST',
      url: `/v1/escrows/${escrow.id}/release`,
      payload: { amount: '1.00' },
      key: reader,
    });
    expectProblem(release, 403, 'insufficient_scope', 'escrows:write');
    const writer = await key(['escrows:write']);
    const wallets = await parties(t);
    const created = await postEscrow(
      t,
      { payer_wallet_id: wallets.payer, payee_wallet_id: wallets.payee, amount: '1.00' },
      writer,
    );
    expect(created.statusCode, created.body).toBe(201);
  });
});

describe('the database refuses what the code must never do', () => {
  it('rejects an update that breaks an invariant, a change to an ended escrow, and a delete', async () => {
    const wallets = await parties(t);
    const open = await escrowOf(t, wallets, '100.00', { milestones });
    const plain = await escrowOf(t, await parties(t), '100.00');
    const ended = await escrowOf(t, await parties(t), '10.00');
    await escrowAction(t, ended.id, 'cancel');
    const sql = (statement: string, id: string) => t.db.pool.query(statement, [id]);
    const refusals: [string, string, RegExp][] = [
      ['UPDATE escrows SET released_amount = 10001 WHERE id = $1', plain.id, /escrows_settled_within_amount/],
      ["UPDATE escrows SET status = 'released' WHERE id = $1", open.id, /escrows_status_matches_amounts/],
      ["UPDATE escrows SET status = 'disputed' WHERE id = $1", open.id, /escrows_disputed_while_open/],
      ['UPDATE escrows SET released_amount = 5000 WHERE id = $1', open.id, /escrows_milestones_match/],
      ['UPDATE escrows SET refunded_amount = 3000 WHERE id = $1', plain.id, /escrows_status_matches_amounts/],
      ['UPDATE escrows SET auto_release_at = now() WHERE id = $1', open.id, /terms of escrow/],
      ['UPDATE escrows SET amount = 90 WHERE id = $1', open.id, /terms of escrow/],
      [
        'UPDATE escrows SET payee_wallet_id = payer_wallet_id WHERE id = $1',
        open.id,
        /check constraint|terms/,
      ],
      ["UPDATE escrows SET metadata = '{}' WHERE id = $1", ended.id, /has ended/],
      ['DELETE FROM escrows WHERE id = $1', open.id, /permanent/],
    ];
    for (const [statement, id, error] of refusals)
      await expect(sql(statement, id), statement).rejects.toThrow(error);
    // A milestone marked released must be matched by released_amount: alone it is refused, with
    // it the row is consistent (tried in a transaction that is rolled back, as the ledger did not move).
    const mark_first = `milestones = jsonb_set(milestones, '{0,status}', '"released"')`;
    await expect(sql(`UPDATE escrows SET ${mark_first} WHERE id = $1`, open.id)).rejects.toThrow(
      /escrows_milestones_match/,
    );
    const client = await t.db.pool.connect();
    try {
      await client.query('BEGIN');
      const both = await client.query(
        `UPDATE escrows SET released_amount = 3000, ${mark_first} WHERE id = $1`,
        [open.id],
      );
      expect(both.rowCount).toBe(1);
      await expect(
        client.query('UPDATE escrows SET released_amount = 0 WHERE id = $1', [open.id]),
      ).rejects.toThrow(/settled money/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
