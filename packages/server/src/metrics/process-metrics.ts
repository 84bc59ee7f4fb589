import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What this process did in the background, in one registry for the whole process (as prom-client's
 * default registry, but named): the worker's rounds, jobs and webhook attempts, and the group
 * commit's batches. The code that does the work counts here directly, so no constructor has to
 * carry a metrics object; GET /metrics merges it with its app's own registry. Tests that build many
 * apps in one process share it, and compare before and after.
 */
export const process_registry = new Registry();

export const webhook_attempts = new Counter({
  name: 'purse_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome: succeeded (2xx), failed (anything else, or no answer), gone (410).',
  labelNames: ['outcome'],
  registers: [process_registry],
});

export const webhook_attempt_seconds = new Histogram({
  name: 'purse_webhook_attempt_duration_seconds',
  help: 'Time from sending a webhook to its answer (or to the timeout).',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [process_registry],
});

export const jobs_run = new Counter({
  name: 'purse_jobs_run_total',
  help: 'Queued jobs run by this process, by kind and outcome (succeeded, or failed and rescheduled).',
  labelNames: ['kind', 'outcome'],
  registers: [process_registry],
});

export const task_rounds = new Counter({
  name: 'purse_worker_task_rounds_total',
  help: 'Rounds of the periodic background tasks this process ran, by task and outcome (ok, failed; skipped: another process held the task).',
  labelNames: ['task', 'outcome'],
  registers: [process_registry],
});

export const task_last_success = new Gauge({
  name: 'purse_worker_task_last_success_timestamp_seconds',
  help: 'When a round of each periodic task last finished without error in this process (Unix time).',
  labelNames: ['task'],
  registers: [process_registry],
  aggregator: 'max',
});

export const batch_transfers = new Histogram({
  name: 'purse_group_commit_batch_transfers',
  help: 'Transfers written per group-commit batch (one database transaction).',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  registers: [process_registry],
});

export const batch_seconds = new Histogram({
  name: 'purse_group_commit_batch_duration_seconds',
  help: 'Time to write one group-commit batch, from taking a connection to its commit.',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [process_registry],
});
