import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('transfers', () => {
  it('moves money from one wallet to another', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    await fund(t, a, '100.00');
    const response = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '30.25',
      description: 'rent',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      object: 'transfer',
      status: 'posted',
      amount: '30.25',
      destinations: [{ wallet_id: b, amount: '30.25' }],
    });
    expect(await balanceOf(t, a)).toEqual({
      available: '69.75',
      held: '0.00',
      pending: '0.00',
      total: '69.75',
    });
    expect(await balanceOf(t, b)).toEqual({
      available: '30.25',
      held: '0.00',
      pending: '0.00',
      total: '30.25',
    });
  });

  it('splits by percent and remainder with a platform fee, to the cent', async () => {
    const [payer, seller, partner] = [await newWallet(t), await newWallet(t), await newWallet(t)];
    await fund(t, payer, '100.00');
    const response = await transfer(t, {
      source_wallet_id: payer,
      amount: '10.01',
      fee: { amount: '0.30' },
      destinations: [
        { wallet_id: seller, percent: '33.3333' },
        { wallet_id: partner, remainder: true },
      ],
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.fee.amount).toBe('0.30');
    expect(body.destinations).toEqual([
      { wallet_id: seller, amount: '3.23' },
      { wallet_id: partner, amount: '6.48' },
    ]);
    expect((await balanceOf(t, payer)).available).toBe('89.99');
  });

  it('holds, captures part, and releases the rest', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '100.00');
    const held = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '40.00',
      hold: true,
    });
    expect(held.statusCode, held.body).toBe(201);
    expect(held.json().status).toBe('pending');
    expect(await balanceOf(t, a)).toEqual({
      available: '60.00',
      held: '40.00',
      pending: '0.00',
      total: '100.00',
    });
    expect(await balanceOf(t, b)).toEqual({
      available: '0.00',
      held: '0.00',
      pending: '40.00',
      total: '40.00',
    });
    const captured = await t.request({
      method: 'POST',
      url: `/v1/transfers/${held.json().id}/capture`,
      payload: { amount: '25.00' },
    });
    expect(captured.statusCode, captured.body).toBe(200);
    expect(captured.json()).toMatchObject({
      status: 'posted',
      captured_amount: '25.00',
      destinations: [{ wallet_id: b, amount: '25.00' }],
    });
    expect(await balanceOf(t, a)).toEqual({
      available: '75.00',
      held: '0.00',
      pending: '0.00',
      total: '75.00',
    });
    expect(await balanceOf(t, b)).toEqual({
      available: '25.00',
      held: '0.00',
      pending: '0.00',
      total: '25.00',
    });
  });

  it('voids a hold', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '10.00');
    const held = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '10.00',
      hold: true,
    });
    const voided = await t.request({ method: 'POST', url: `/v1/transfers/${held.json().id}/void` });
    expect(voided.statusCode, voided.body).toBe(200);
    expect(voided.json().status).toBe('voided');
    expect(await balanceOf(t, a)).toEqual({
      available: '10.00',
      held: '0.00',
      pending: '0.00',
      total: '10.00',
    });
    const again = await t.request({ method: 'POST', url: `/v1/transfers/${held.json().id}/capture` });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('hold_not_pending');
  });

  it('refuses an overdraft with insufficient_funds and writes nothing', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '5.00');
    const response = await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '5.01' });
    expect(response.statusCode).toBe(402);
    expect(response.json()).toMatchObject({ code: 'insufficient_funds', param: 'source_wallet_id' });
    expect(await balanceOf(t, a)).toEqual({
      available: '5.00',
      held: '0.00',
      pending: '0.00',
      total: '5.00',
    });
  });
});
