import type { Config } from '../config.js';
import type { PeriodicTask } from '../worker/scheduler.js';
import { confirmDeposits } from './confirm-deposits.js';
import { confirmTransactions } from './confirm-transactions.js';
import type { ChainDeps } from './deps.js';
import { checkHotWallet } from './hot-wallet.js';
import { sendPayouts } from './send-payouts.js';
import { sweepDeposits } from './sweep.js';
import { watchChain } from './watch.js';

/**
 * The EVM rail's background work, in every worker process when a chain is configured. None is
 * exclusive: each claims its rows (the cursor, deposits, transactions) with FOR UPDATE SKIP LOCKED,
 * so two workers share the work and never do one piece twice. A node that is down fails the round,
 * which the scheduler logs; the next round tries again.
 */
export function chainTasks(config: Config): PeriodicTask[] {
  const evm = config.rails.evm;
  if (evm === undefined) return [];
  const deps = (pool: ChainDeps['pool']): ChainDeps => ({
    pool,
    limits: config.limits,
    rails: config.rails,
    evm,
  });
  return [
    {
      name: 'evm_watch_blocks',
      interval_ms: evm.poll_ms,
      exclusive: false,
      run: (pool, now) => watchChain(deps(pool), now),
    },
    {
      name: 'evm_confirm_deposits',
      interval_ms: evm.poll_ms,
      exclusive: false,
      run: (pool, now) => confirmDeposits(deps(pool), now),
    },
    {
      name: 'evm_send_payouts',
      interval_ms: evm.poll_ms,
      exclusive: false,
      run: (pool, now) => sendPayouts(deps(pool), now),
    },
    {
      name: 'evm_confirm_transactions',
      interval_ms: evm.poll_ms,
      exclusive: false,
      run: (pool, now) => confirmTransactions(deps(pool), now),
    },
    {
      name: 'evm_sweep_deposits',
      interval_ms: evm.poll_ms,
      exclusive: false,
      run: (pool, now) => sweepDeposits(deps(pool), now),
    },
    {
      name: 'evm_check_hot_wallet',
      interval_ms: Math.max(evm.poll_ms, 10_000),
      run: (pool, now) => checkHotWallet(deps(pool), now),
    },
  ];
}
