import { loadConfig } from '../config.js';
import { loadDataKeys } from '../crypto/keyring.js';
import { installProcessKek } from '../crypto/start.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import type { Pool } from '../db/pool.js';
import { inTransaction } from '../db/pool.js';
import { verifyAndCheckpoint } from '../ledger/verify-run.js';
import type { Flags } from './args.js';
import { failure, type Outcome, success } from './output.js';
import { progressBar } from './progress.js';

/** `purse verify | migrate | keys | operators`: commands on the database itself (as its owner), not the API. */
export async function databaseCommand(
  command: 'verify' | 'migrate' | 'keys' | 'operators',
  positionals: string[],
  flags: Flags,
): Promise<Outcome> {
  const config = loadConfig();
  const db = await openDatabase(config, () => undefined);
  try {
    const applied = await migrate(db.maintenance_pool);
    switch (command) {
      case 'migrate':
        return success(
          { applied },
          applied.length === 0 ? 'migrations: up to date' : `applied: ${applied.join(', ')}`,
        );
      case 'verify':
        // Checkpoints are signed with a key derived from the KEK (ledger/checkpoint-signature.ts).
        await installProcessKek(config);
        return await verify(db.maintenance_pool, flags.full === true);
      case 'keys': {
        // Keys record events, and events are sealed. Each command's modules load only when it runs
        // (docs/cli.md, "Start time"): `purse verify` from cron need not load these.
        await installProcessKek(config);
        await loadDataKeys(db.maintenance_pool);
        const { dataKeyCommand, isDataKeyCommand } = await import('./data-keys.js');
        if (isDataKeyCommand(positionals[0]))
          return await dataKeyCommand(db.maintenance_pool, positionals[0], flags);
        const { keysCommand } = await import('./keys.js');
        // The key and its audit entry commit together.
        return await inTransaction(db.maintenance_pool, (client) => keysCommand(client, positionals, flags));
      }
      case 'operators': {
        // Emails and authenticator secrets are sealed.
        await installProcessKek(config);
        await loadDataKeys(db.maintenance_pool);
        const { operatorsCommand } = await import('./operators.js');
        return await inTransaction(db.maintenance_pool, (client) =>
          operatorsCommand(client, positionals, flags),
        );
      }
    }
  } finally {
    await db.close();
  }
}

/**
 * `purse verify [--full]`: event positions and ids, the ledger and the audit chain, incremental from
 * the latest checkpoint or everything; a checkpoint is recorded only when all holds. The progress
 * bar (a terminal only) counts postings and their rate.
 */
async function verify(pool: Pool, full: boolean): Promise<Outcome> {
  const started_ms = Date.now();
  let progress = progressBar('verify', 0);
  let run: Awaited<ReturnType<typeof verifyAndCheckpoint>>;
  try {
    run = await verifyAndCheckpoint(pool, {
      full,
      now: new Date(),
      on_total: (postings) => {
        progress = progressBar('verify', postings, 'postings');
      },
      on_postings: (count) => progress.increment(count),
    });
  } finally {
    progress.stop();
  }
  const { violations, checkpoint, postings_checked } = run;
  const elapsed_ms = Date.now() - started_ms;
  if (checkpoint === undefined) return failed(violations, started_ms);
  const summary = {
    id: checkpoint.id,
    full_check: checkpoint.full_check,
    postings_checked,
    postings_through: Number(checkpoint.postings_through),
    audit_seq: Number(checkpoint.audit_seq),
  };
  return success(
    { ok: true, violations, checkpoint: summary, elapsed_ms },
    `verified: every invariant holds (ledger, audit chain and event positions); ${postings_checked} postings checked ` +
      `(${full ? 'all' : 'since the last checkpoint'}) in ${elapsed_ms} ms, checkpoint ${checkpoint.seq} recorded`,
  );
}

function failed(
  violations: readonly { check: string; subject: string; detail: string }[],
  started_ms: number,
): Outcome {
  const lines = violations.map(
    (violation) => `${violation.check}: ${violation.subject}: ${violation.detail}`,
  );
  const elapsed_ms = Date.now() - started_ms;
  return failure(
    { ok: false, violations, checkpoint: null, elapsed_ms },
    `${violations.length} violation(s), no checkpoint recorded:\n${lines.join('\n')}`,
  );
}
