import { type Address, getAddress, isAddress, parseEther } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from '../crypto/keyring.js';
import { createPool } from '../db/pool.js';
import { type ChainTestApp, createChainTestApp } from '../test-support/evm/chain-app.js';
import { balanceOf, getJson, newWallet, postOk } from '../test-support/money.js';
import { startWorker } from '../worker/scheduler.js';
import { confirmDeposits } from './confirm-deposits.js';
import { chainTasks } from './tasks.js';
import { watchChain } from './watch.js';

let c: ChainTestApp;
beforeAll(async () => {
  c = await createChainTestApp();
});
afterAll(() => c.close());

async function depositAddress(wallet_id: string): Promise<Address> {
  const answer = await postOk(
    c.t,
    `/v1/wallets/${wallet_id}/deposit_addresses`,
    { network: 'ethereum' },
    200,
  );
  return answer.address as Address;
}

/** One round of each deposit task, as a worker would run them. */
async function round(): Promise<void> {
  const now = c.t.clock.now();
  await watchChain(c.deps, now);
  await confirmDeposits(c.deps, now);
}

async function paymentsOf(wallet_id: string) {
  return (await getJson(c.t, `/v1/payments?wallet_id=${wallet_id}`)).data as Record<string, unknown>[];
}

describe('deposit addresses', () => {
  it('are BIP-44 addresses derived from the sealed mnemonic, one per wallet, each at its own index', async () => {
    const first = await newWallet(c.t, 'ETH');
    const second = await newWallet(c.t, 'USDC');
    const address = await depositAddress(first);
    expect(isAddress(address, { strict: true })).toBe(true);
    expect(address).toBe(getAddress(address));
    expect(await depositAddress(first)).toBe(address);
    const other = await depositAddress(second);
    expect(other).not.toBe(address);
    const stored = await c.t.db.pool.query<{ sealed: string }>('SELECT sealed FROM chain_secrets');
    expect(stored.rows[0]?.sealed).toMatch(/^pse1\./);
    const mnemonic = open('signing', stored.rows[0]?.sealed ?? '');
    const indexes = await c.t.db.pool.query<{ address: string; derivation_index: number }>(
      'SELECT address, derivation_index FROM deposit_addresses WHERE wallet_id = ANY($1)',
      [[first, second]],
    );
    for (const row of indexes.rows)
      expect(mnemonicToAccount(mnemonic, { addressIndex: row.derivation_index }).address).toBe(row.address);
  });
});

describe('deposits', () => {
  it('credit ETH after 2 confirmations and USDC after 3, exactly once', async () => {
    const eth_wallet = await newWallet(c.t, 'ETH');
    const usdc_wallet = await newWallet(c.t, 'USDC');
    const eth_address = await depositAddress(eth_wallet);
    const usdc_address = await depositAddress(usdc_wallet);
    await c.actors.sendEth(eth_address, parseEther('0.25'));
    await round();
    const [eth_payment] = await paymentsOf(eth_wallet);
    expect(eth_payment).toMatchObject({
      status: 'processing',
      currency: 'ETH',
      amount: '0.250000000000000000',
      confirmations_required: 2,
    });
    expect((await balanceOf(c.t, eth_wallet)).pending).toBe('0.000000000000000000');
    await c.actors.mint(c.token, usdc_address, 12_500_000n);
    await round();
    expect((await getJson(c.t, `/v1/payments/${eth_payment?.id}`)).status).toBe('succeeded');
    expect((await balanceOf(c.t, eth_wallet)).available).toBe('0.250000000000000000');
    await c.devnet.mine(1);
    await round();
    expect((await paymentsOf(usdc_wallet))[0]).toMatchObject({ status: 'processing', confirmations: 2 });
    await c.devnet.mine(1);
    await round();
    await round();
    expect((await balanceOf(c.t, usdc_wallet)).available).toBe('12.500000');
    expect(await paymentsOf(usdc_wallet)).toHaveLength(1);
    expect(await paymentsOf(eth_wallet)).toHaveLength(1);
  });

  it('are credited once by two workers running at once on one database', async () => {
    const wallet = await newWallet(c.t, 'USDC');
    const address = await depositAddress(wallet);
    for (let n = 0; n < 5; n += 1) await c.actors.mint(c.token, address, 1_000_000n);
    await c.devnet.mine(3);
    const second = createPool(c.t.db.url, 4);
    const other = { ...c.deps, pool: second };
    try {
      for (let n = 0; n < 3; n += 1) {
        const now = c.t.clock.now();
        await Promise.all([watchChain(c.deps, now), watchChain(other, now)]);
        await Promise.all([confirmDeposits(c.deps, now), confirmDeposits(other, now)]);
      }
    } finally {
      await second.end();
    }
    expect(await paymentsOf(wallet)).toHaveLength(5);
    expect((await balanceOf(c.t, wallet)).available).toBe('5.000000');
  });

  it("are credited once by two worker processes' loops running the rail on one database", async () => {
    const wallet = await newWallet(c.t, 'ETH');
    const address = await depositAddress(wallet);
    const log = { info: () => undefined, error: () => undefined };
    const second = createPool(c.t.db.url, 4);
    const workers = [c.t.db.pool, second].map((pool) =>
      startWorker({ pool, clock: c.t.clock, log }, chainTasks(c.t.config)),
    );
    try {
      for (let n = 1; n <= 6; n += 1) await c.actors.sendEth(address, parseEther('0.5'));
      await c.devnet.mine(2);
      await until(async () => (await balanceOf(c.t, wallet)).available === '3.000000000000000000');
      await c.devnet.mine(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await second.end();
    }
    expect(await paymentsOf(wallet)).toHaveLength(6);
    expect((await balanceOf(c.t, wallet)).available).toBe('3.000000000000000000');
  });

  it('survive a worker killed in the middle of a round: the next round records them once', async () => {
    const wallet = await newWallet(c.t, 'USDC');
    const address = await depositAddress(wallet);
    await c.actors.mint(c.token, address, 2_000_000n);
    await c.devnet.mine(3);
    const victim = createPool(c.t.db.url, 2);
    const held = c.proxy.hold('eth_getLogs');
    const doomed = watchChain({ ...c.deps, pool: victim }, c.t.clock.now()).then(
      () => 'finished',
      () => 'killed',
    );
    await held.reached;
    // The worker's session dies while it holds the cursor, as when its process is killed.
    await c.t.db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'`,
    );
    held.release();
    expect(await doomed).toBe('killed');
    await victim.end().catch(() => undefined);
    await round();
    await round();
    expect(await paymentsOf(wallet)).toHaveLength(1);
    expect((await balanceOf(c.t, wallet)).available).toBe('2.000000');
  });

  it('wait while the node is down and are credited once it is back; the worker keeps running', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    const address = await depositAddress(wallet);
    await c.actors.sendEth(address, parseEther('1'));
    await c.devnet.mine(2);
    c.proxy.down();
    const errors: object[] = [];
    const log = { info: () => undefined, error: (obj: object) => errors.push(obj) };
    const worker = startWorker({ pool: c.t.db.pool, clock: c.t.clock, log }, chainTasks(c.t.config));
    try {
      await until(() => errors.length >= 2);
      expect(await paymentsOf(wallet)).toHaveLength(0);
      c.proxy.up();
      await until(async () => (await balanceOf(c.t, wallet)).available === '1.000000000000000000');
    } finally {
      await worker.stop();
    }
    expect(await paymentsOf(wallet)).toHaveLength(1);
  });

  it("are screened: one that would break a tier's cap is held for an operator, recorded, not credited", async () => {
    const holder = await postOk(c.t, '/v1/holders', { name: 'Tier Zero' });
    const capped = await newWallet(c.t, 'USDC', { holder_id: holder.id });
    const address = await depositAddress(capped);
    const rule = await postOk(c.t, '/v1/risk_rules', {
      name: 'tier zero cap',
      type: 'kyc_tier',
      action: 'block',
      kyc_tier: 0,
      balance_max: '100',
      currency: 'USDC',
    });
    try {
      await c.actors.mint(c.token, address, 500_000_000n);
      await c.devnet.mine(3);
      await round();
    } finally {
      await postOk(c.t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
    }
    expect(await paymentsOf(capped)).toHaveLength(0);
    const held = await c.t.db.pool.query<{ status: string; held_reason: string; amount: string }>(
      'SELECT status, held_reason, amount FROM chain_deposits WHERE address = $1',
      [address],
    );
    expect(held.rows).toEqual([
      { status: 'unassigned', held_reason: expect.stringContaining('risk_blocked'), amount: '500000000' },
    ]);
  });

  it('are never credited when their block is replaced: the payment fails with reorged', async () => {
    const wallet = await newWallet(c.t, 'ETH');
    const address = await depositAddress(wallet);
    await round();
    const snapshot = await c.devnet.rpc<string>('evm_snapshot');
    await c.actors.sendEth(address, parseEther('3'));
    await round();
    const [payment] = await paymentsOf(wallet);
    expect(payment).toMatchObject({ status: 'processing' });
    await c.devnet.rpc('evm_revert', [snapshot]);
    await c.devnet.mine(4);
    await round();
    await round();
    expect(await getJson(c.t, `/v1/payments/${payment?.id}`)).toMatchObject({
      status: 'failed',
      failure_code: 'reorged',
    });
    expect((await balanceOf(c.t, wallet)).available).toBe('0.000000000000000000');
    const cursor = await c.t.db.pool.query<{ last_block_hash: string }>(
      'SELECT last_block_hash FROM chain_cursors',
    );
    const head = await c.actors.publicClient.getBlock();
    expect(cursor.rows[0]?.last_block_hash).toBe(head.hash);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeout_ms = 15_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
