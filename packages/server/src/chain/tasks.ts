import type { Config } from '../config.js';
import type { PeriodicTask } from '../worker/scheduler.js';
import { confirmDeposits } from './confirm-deposits.js';
import { confirmTransactions } from './confirm-transactions.js';
import type { ChainDeps } from './deps.js';
import { checkHotWallet } from './hot-wallet.js';
import { sendPayouts } from './send-payouts.js';
import { sweepDeposits } from './sweep.js';
import { watchChain } from './watch.js';

/** The hot wallet's balance changes slowly; reading it every poll would only cost RPC calls. */
const hot_wallet_check_ms_min = 10_000;

/**
 * The EVM rail's background work, in every worker process when a chain is configured. The rounds
 * are not exclusive: each claims its rows (the cursor, deposits, transactions) FOR UPDATE SKIP
 * LOCKED, so two workers share the work and never do one piece twice. A node that is down fails
 * the round, which the scheduler logs; the next round tries again.
 */
export function chainTasks(config: Config): PeriodicTask[] {
  const evm = config.rails.evm;
  if (evm === undefined) return [];
  const shared = (name: string, run: (deps: ChainDeps, now: Date) => Promise<number>): PeriodicTask => ({
    name,
    interval_ms: evm.poll_ms,
    exclusive: false,
    run: (pool, now) => run({ pool, limits: config.limits, rails: config.rails, evm }, now),
  });
  return [
    shared('evm_watch_blocks', watchChain),
    shared('evm_confirm_deposits', confirmDeposits),
    shared('evm_send_payouts', sendPayouts),
    shared('evm_confirm_transactions', confirmTransactions),
    shared('evm_sweep_deposits', sweepDeposits),
    // Exclusive: one process reads the balances and decides whether an event is due.
    {
      ...shared('evm_check_hot_wallet', checkHotWallet),
      interval_ms: Math.max(evm.poll_ms, hot_wallet_check_ms_min),
      exclusive: true,
    },
  ];
}
