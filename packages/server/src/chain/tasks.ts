import type { Config } from '../config.js';
import { inSpan } from '../tracing/spans.js';
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

/** A round's steps in order: what is seen is recorded before it is confirmed, signed before sent. */
const steps: readonly (readonly [string, (deps: ChainDeps, now: Date) => Promise<number>])[] = [
  ['watch_blocks', watchChain],
  ['confirm_deposits', confirmDeposits],
  ['send_payouts', sendPayouts],
  ['confirm_transactions', confirmTransactions],
  ['sweep_deposits', sweepDeposits],
];

/**
 * The EVM rail's background work (each step a span `evm.<step>` under the round's), in every worker process when a chain is configured: one loop
 * running the steps in turn, so the rail takes one of the worker's connections at a time (six loops
 * at once starved the worker's pool at start). The round is not exclusive: each step claims its
 * rows (the cursor, deposits, transactions) FOR UPDATE SKIP LOCKED, so two workers share the work
 * and never do one piece twice. A step that fails (a node that is down) does not stop the others;
 * the round then fails with every step's error, for the scheduler to log, and the next round tries
 * again.
 */
export function chainTasks(config: Config): PeriodicTask[] {
  const evm = config.rails.evm;
  if (evm === undefined) return [];
  const depsOf = (pool: ChainDeps['pool'], stopping: AbortSignal): ChainDeps => ({
    pool,
    stopping,
    limits: config.limits,
    rails: config.rails,
    evm,
  });
  const rail: PeriodicTask = {
    name: 'evm_rail',
    interval_ms: evm.poll_ms,
    exclusive: false,
    run: (pool, now, stopping) => runSteps(depsOf(pool, stopping), now),
  };
  const watched = evm.assets.some((asset) => asset.low_balance_minor !== undefined);
  if (!watched) return [rail];
  return [
    rail,
    {
      // Exclusive: one process reads the balances and decides whether an event is due.
      name: 'evm_check_hot_wallet',
      interval_ms: Math.max(evm.poll_ms, hot_wallet_check_ms_min),
      run: (pool, now, stopping) => checkHotWallet(depsOf(pool, stopping), now),
    },
  ];
}

async function runSteps(deps: ChainDeps, now: Date): Promise<number> {
  let handled = 0;
  const failures: Error[] = [];
  for (const [name, step] of steps) {
    // A worker stopping does not start the next step: what is left waits for the next start.
    if (deps.stopping?.aborted) break;
    try {
      handled += await inSpan(`evm.${name}`, {}, () => step(deps, now));
    } catch (error) {
      failures.push(
        new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }),
      );
    }
  }
  if (failures.length > 0)
    throw new AggregateError(failures, failures.map((failure) => failure.message).join('; '));
  return handled;
}
