import { type Address, getAddress, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../db/pool.js';
import { systemAccountId } from '../ledger/accounts.js';
import { type ChainTestApp, createChainTestApp } from '../test-support/evm/chain-app.js';
import { balanceOf, expectProblem, fund, getJson, newWallet, post } from '../test-support/money.js';
import { confirmTransactions } from './confirm-transactions.js';
import { accountAt, addressAt, hdRoot, hot_wallet_index } from './keys.js';
import { sendPayouts } from './send-payouts.js';
import { sweepDeposits } from './sweep.js';

let c: ChainTestApp;
let hot: Address;
beforeAll(async () => {
  c = await createChainTestApp();
  hot = addressAt(await hdRoot(c.t.db.pool, c.evm, c.t.clock.now()), hot_wallet_index);
  await c.actors.sendEth(hot, parseEther('100'));
});
afterAll(() => c.close());

const stranger = (): Address => privateKeyToAccount(generatePrivateKey()).address;

function payout(wallet_id: string, amount: string, currency: string, address: string) {
  return post(c.t, '/v1/payouts', {
    wallet_id,
    amount,
    currency,
    destination: { type: 'crypto', network: 'ethereum', address },
  });
}

/** Signs and broadcasts, mines the confirmations, and follows the transactions to their end. */
async function settle(blocks = 2): Promise<void> {
  await sendPayouts(c.deps, c.t.clock.now());
  await c.devnet.mine(blocks);
  await confirmTransactions(c.deps, c.t.clock.now());
}

async function networkFeesWei(): Promise<bigint> {
  const found = await c.t.db.pool.query<{ posted_debits: string; posted_credits: string }>(
    'SELECT posted_debits, posted_credits FROM accounts WHERE id = $1',
    [systemAccountId(false, 'ETH', 'network_fees')],
  );
  const row = found.rows[0];
  return BigInt(row?.posted_debits ?? 0) - BigInt(row?.posted_credits ?? 0);
}

describe('EVM payouts', () => {
  it('refuse a malformed address or a wrong EIP-55 checksum, moving nothing', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const good = getAddress(stranger());
    const flipped = good.replace(/[a-f]/, (letter) => letter.toUpperCase());
    for (const address of ['0x1234', `${good}00`, 'not an address', flipped])
      expectProblem(
        await payout(wallet, '0.1', 'ETH', address),
        400,
        'invalid_request',
        'destination.address',
      );
    expect((await balanceOf(c.t, wallet)).available).toBe('1.000000000000000000');
  });

  it('cancel while unsigned: the signer skips it; once signed and broadcast, cancel is 409', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const to = stranger();
    const dropped = (await payout(wallet, '0.25', 'ETH', to)).json();
    const cancel = (id: string) => post(c.t, `/v1/payouts/${id}/cancel`);
    expect((await cancel(dropped.id)).json()).toMatchObject({ status: 'canceled' });
    const sent = (await payout(wallet, '0.5', 'ETH', to)).json();
    await settle();
    expect((await getJson(c.t, `/v1/payouts/${dropped.id}`)).status).toBe('canceled');
    expect(await c.actors.publicClient.getBalance({ address: to })).toBe(parseEther('0.5'));
    expectProblem(await cancel(sent.id), 409, 'invalid_state');
    expect((await balanceOf(c.t, wallet)).available).toBe('0.500000000000000000');
  });

  it('pay ETH from the hot wallet after the confirmations, and book the gas to network_fees', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '2', 'ETH');
    const to = stranger();
    const fees_before = await networkFeesWei();
    const created = (await payout(wallet, '0.5', 'ETH', to.toLowerCase())).json();
    expect(created).toMatchObject({ status: 'pending', rail: 'crypto' });
    await sendPayouts(c.deps, c.t.clock.now());
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('in_transit');
    await confirmTransactions(c.deps, c.t.clock.now());
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('in_transit');
    await c.devnet.mine(1);
    await confirmTransactions(c.deps, c.t.clock.now());
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('paid');
    expect(await c.actors.publicClient.getBalance({ address: to })).toBe(parseEther('0.5'));
    expect((await balanceOf(c.t, wallet)).available).toBe('1.500000000000000000');
    const sent = await c.t.db.pool.query<{ gas_fee_wei: string }>(
      "SELECT gas_fee_wei FROM evm_transactions WHERE reference_id = $1 AND purpose = 'payout'",
      [created.id],
    );
    const gas = BigInt(sent.rows[0]?.gas_fee_wei ?? 0);
    expect(gas).toBeGreaterThan(0n);
    expect(fees_before - (await networkFeesWei())).toBe(-gas);
  });

  it('fail a payout whose token transfer reverts on chain, and give the wallet its money back', async () => {
    const wallet = await newWallet(c.t, 'USDC');
    await fund(c.t, wallet, '5', 'USDC');
    const created = (await payout(wallet, '5', 'USDC', stranger())).json();
    expect((await balanceOf(c.t, wallet)).available).toBe('0.000000');
    // The hot wallet holds no USDC: the token's transfer reverts.
    await settle(3);
    expect(await getJson(c.t, `/v1/payouts/${created.id}`)).toMatchObject({
      status: 'failed',
      failure_code: 'transaction_reverted',
    });
    expect((await balanceOf(c.t, wallet)).available).toBe('5.000000');
  });

  it('send 20 payouts made at once with 20 distinct nonces, from two workers', async () => {
    const wallet = await newWallet(c.t, 'USDC');
    await fund(c.t, wallet, '20', 'USDC');
    await c.actors.mint(c.token, hot, 20_000_000n);
    const to = stranger();
    const created = await Promise.all(
      Array.from({ length: 20 }, () => payout(wallet, '1', 'USDC', to).then((response) => response.json())),
    );
    expect(created.every((item) => item.status === 'pending')).toBe(true);
    const second = createPool(c.t.db.url, 4);
    try {
      const now = c.t.clock.now();
      await Promise.all([sendPayouts(c.deps, now), sendPayouts({ ...c.deps, pool: second }, now)]);
      await sendPayouts(c.deps, now);
    } finally {
      await second.end();
    }
    const nonces = await c.t.db.pool.query<{ nonce: string }>(
      "SELECT nonce FROM evm_transactions WHERE purpose = 'payout' AND reference_id = ANY($1) ORDER BY nonce",
      [created.map((item) => item.id)],
    );
    const numbers = nonces.rows.map((row) => Number(row.nonce));
    expect(new Set(numbers).size).toBe(20);
    expect((numbers[19] ?? 0) - (numbers[0] ?? 0)).toBe(19);
    await c.devnet.mine(3);
    await confirmTransactions(c.deps, c.t.clock.now());
    for (const item of created) expect((await getJson(c.t, `/v1/payouts/${item.id}`)).status).toBe('paid');
    expect(await c.actors.balanceOf(c.token, to)).toBe(20_000_000n);
  });

  it('wait in pending while the node is down, then send the stored bytes once', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const to = stranger();
    const created = (await payout(wallet, '0.25', 'ETH', to)).json();
    c.proxy.down();
    await expect(sendPayouts(c.deps, c.t.clock.now())).rejects.toThrow();
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('pending');
    c.proxy.up();
    // Signed and stored, then the process dies before broadcasting: a node that already has the bytes
    // (sent by the dead process) is fine, and nothing else is ever signed for this payout.
    const fees = await import('./signed-transactions.js');
    await expect(sendPayoutsSignOnly()).resolves.toBe(1);
    const stored = await c.t.db.pool.query<{ raw: `0x${string}`; tx_hash: string }>(
      'SELECT raw, tx_hash FROM evm_transactions WHERE reference_id = $1',
      [created.id],
    );
    expect(await fees.sendRaw(c.evm, stored.rows[0]?.raw ?? '0x')).toBe(true);
    await settle(2);
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('paid');
    const all = await c.t.db.pool.query('SELECT 1 FROM evm_transactions WHERE reference_id = $1', [
      created.id,
    ]);
    expect(all.rowCount).toBe(1);
    expect(await c.actors.publicClient.getBalance({ address: to })).toBe(parseEther('0.25'));
  });

  it('stop broadcasting at once when the worker stops, leaving the signed bytes for the next round', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const created = (await payout(wallet, '0.125', 'ETH', stranger())).json();
    const hold = c.proxy.hold('eth_sendRawTransaction');
    const stopping = new AbortController();
    const round = sendPayouts({ ...c.deps, stopping: stopping.signal }, c.t.clock.now());
    await hold.reached;
    const stopped_at_ms = Date.now();
    stopping.abort();
    await round;
    // The node never answers while held: only the abort ends the call (the timeout is 2 s here).
    expect(Date.now() - stopped_at_ms).toBeLessThan(1_000);
    hold.release();
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('pending');
    await settle(2);
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('paid');
  });

  it('go in_transit and paid when another task broadcasts their signed bytes (a sweep round)', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const created = (await payout(wallet, '0.125', 'ETH', stranger())).json();
    await expect(sendPayoutsSignOnly()).resolves.toBe(1);
    await sweepDeposits(c.deps, c.t.clock.now());
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('in_transit');
    await c.devnet.mine(2);
    await confirmTransactions(c.deps, c.t.clock.now());
    expect((await getJson(c.t, `/v1/payouts/${created.id}`)).status).toBe('paid');
  });

  it('fail as dropped when another transaction took their nonce, and give the wallet its money back', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    await fund(c.t, wallet, '1', 'ETH');
    const created = (await payout(wallet, '0.5', 'ETH', stranger())).json();
    await expect(sendPayoutsSignOnly()).resolves.toBe(1);
    const stored = await c.t.db.pool.query<{ nonce: string }>(
      'SELECT nonce FROM evm_transactions WHERE reference_id = $1',
      [created.id],
    );
    // Someone else with the hot wallet's key (another system, an operator) spends that nonce first.
    const key = accountAt(await hdRoot(c.t.db.pool, c.evm, c.t.clock.now()), hot_wallet_index);
    const fees = await c.actors.publicClient.estimateFeesPerGas();
    const rival = await key.signTransaction({
      chainId: c.evm.chain_id,
      type: 'eip1559',
      nonce: Number(stored.rows[0]?.nonce),
      to: key.address,
      value: 0n,
      gas: 21_000n,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    await c.actors.publicClient.sendRawTransaction({ serializedTransaction: rival });
    await settle(2);
    expect(await getJson(c.t, `/v1/payouts/${created.id}`)).toMatchObject({
      status: 'failed',
      failure_code: 'transaction_dropped',
    });
    expect((await balanceOf(c.t, wallet)).available).toBe('1.000000000000000000');
  });
});

/** The signing half of a round alone: what a process that died before broadcasting left behind. */
async function sendPayoutsSignOnly(): Promise<number> {
  const hold = c.proxy.hold('eth_sendRawTransaction');
  const round = sendPayouts(c.deps, c.t.clock.now());
  await hold.reached;
  c.proxy.down();
  hold.release();
  await round.catch(() => undefined);
  c.proxy.up();
  const signed = await c.t.db.pool.query("SELECT 1 FROM evm_transactions WHERE status = 'signed'");
  return signed.rowCount ?? 0;
}
