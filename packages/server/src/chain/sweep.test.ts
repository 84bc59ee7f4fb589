import { type Address, getAddress, parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChainTestApp, createChainTestApp } from '../test-support/evm/chain-app.js';
import { balanceOf, getJson, newWallet, postOk } from '../test-support/money.js';
import { confirmDeposits } from './confirm-deposits.js';
import { confirmTransactions } from './confirm-transactions.js';
import { checkHotWallet } from './hot-wallet.js';
import { addressAt, hdRoot, hot_wallet_index } from './keys.js';
import { sweepDeposits } from './sweep.js';
import { watchChain } from './watch.js';

let c: ChainTestApp;
let hot: Address;
beforeAll(async () => {
  c = await createChainTestApp({ low_balance_minor: { ETH: parseEther('1000') } });
  hot = addressAt(await hdRoot(c.t.db.pool, c.evm, c.t.clock.now()), hot_wallet_index);
  await c.actors.sendEth(hot, parseEther('100'));
});
afterAll(() => c.close());

async function credited(currency: string, send: (address: Address) => Promise<unknown>) {
  const wallet = await newWallet(c.t, currency);
  const answer = await postOk(c.t, `/v1/wallets/${wallet}/deposit_addresses`, { network: 'ethereum' }, 200);
  const address = getAddress(answer.address as string);
  await send(address);
  await c.devnet.mine(3);
  await watchChain(c.deps, c.t.clock.now());
  await confirmDeposits(c.deps, c.t.clock.now());
  return { wallet, address };
}

async function sweepRound(): Promise<number> {
  const signed = await sweepDeposits(c.deps, c.t.clock.now());
  await c.devnet.mine(2);
  await confirmTransactions(c.deps, c.t.clock.now());
  return signed;
}

async function gasBookedWei(): Promise<bigint> {
  const found = await c.t.db.pool.query<{ total: string | null }>(
    "SELECT sum(gas_fee_wei)::text AS total FROM evm_transactions WHERE purpose IN ('sweep', 'gas')",
  );
  return BigInt(found.rows[0]?.total ?? '0');
}

describe('sweeping', () => {
  it('moves a credited ETH deposit to the hot wallet, minus gas, without touching the wallet', async () => {
    const { wallet, address } = await credited('ETH', (to) => c.actors.sendEth(to, parseEther('2')));
    expect((await balanceOf(c.t, wallet)).available).toBe('2.000000000000000000');
    const hot_before = await c.actors.publicClient.getBalance({ address: hot });
    expect(await sweepRound()).toBeGreaterThan(0);
    const hot_after = await c.actors.publicClient.getBalance({ address: hot });
    const gas = await gasBookedWei();
    expect(gas).toBeGreaterThan(0n);
    const left = await c.actors.publicClient.getBalance({ address });
    expect(hot_after - hot_before + gas + left).toBe(parseEther('2'));
    expect((await balanceOf(c.t, wallet)).available).toBe('2.000000000000000000');
    expect(await sweepRound()).toBe(0);
  });

  it('sends gas to a token deposit address first, then sweeps the tokens', async () => {
    const { wallet, address } = await credited('USDC', (to) => c.actors.mint(c.token, to, 7_000_000n));
    await sweepRound();
    expect(await c.actors.balanceOf(c.token, address)).toBe(7_000_000n);
    expect(await c.actors.publicClient.getBalance({ address })).toBeGreaterThan(0n);
    await sweepRound();
    expect(await c.actors.balanceOf(c.token, address)).toBe(0n);
    expect(await c.actors.balanceOf(c.token, hot)).toBe(7_000_000n);
    expect((await balanceOf(c.t, wallet)).available).toBe('7.000000');
    const purposes = await c.t.db.pool.query<{ purpose: string; status: string }>(
      'SELECT purpose, status FROM evm_transactions WHERE reference_id = $1 ORDER BY nonce, purpose',
      [address],
    );
    expect(purposes.rows.map((row) => `${row.purpose}:${row.status}`).sort()).toEqual([
      'gas:succeeded',
      'sweep:succeeded',
    ]);
  });
});

describe('the hot wallet', () => {
  it('emits crypto.hot_wallet.low_balance once when below its threshold', async () => {
    expect(await checkHotWallet(c.deps, c.t.clock.now())).toBe(1);
    expect(await checkHotWallet(c.deps, c.t.clock.now())).toBe(0);
    const events = (await getJson(c.t, '/v1/events?type=crypto.hot_wallet.low_balance')) as unknown as {
      data: { data: { object: unknown } }[];
    };
    expect(events.data).toHaveLength(1);
    expect(events.data[0]?.data.object).toMatchObject({
      currency: 'ETH',
      threshold: '1000.000000000000000000',
      address: hot,
    });
  });
});
