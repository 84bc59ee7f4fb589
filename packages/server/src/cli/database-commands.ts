import { verifyAuditChain } from '../audit/verify.js';
import { loadConfig } from '../config.js';
import { loadDataKeys } from '../crypto/keyring.js';
import { installProcessKek } from '../crypto/start.js';
import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { inTransaction } from '../db/pool.js';
import { type EventViolation, verifyEvents } from '../events/verify-events.js';
import { ledger_checks_count, type Violation, verifyLedger } from '../ledger/verify.js';
import type { Flags } from './args.js';
import { type DataKeyCommand, data_key_commands, dataKeyCommand } from './data-keys.js';
import { keysCommand } from './keys.js';
import { operatorsCommand } from './operators.js';
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
        return await verify(db.maintenance_pool);
      case 'keys':
        // Keys record events, and events are sealed.
        await installProcessKek(config);
        await loadDataKeys(db.maintenance_pool);
        if (isDataKeyCommand(positionals[0]))
          return await dataKeyCommand(db.maintenance_pool, positionals[0], flags);
        // The key and its audit entry commit together.
        return await inTransaction(db.maintenance_pool, (client) => keysCommand(client, positionals, flags));
      case 'operators':
        // Emails and authenticator secrets are sealed.
        await installProcessKek(config);
        await loadDataKeys(db.maintenance_pool);
        return await inTransaction(db.maintenance_pool, (client) =>
          operatorsCommand(client, positionals, flags),
        );
    }
  } finally {
    await db.close();
  }
}

async function verify(pool: Parameters<typeof verifyLedger>[0]): Promise<Outcome> {
  const progress = progressBar('verify', ledger_checks_count + 2);
  const violations: (Violation | EventViolation)[] = [];
  try {
    violations.push(...(await verifyLedger(pool, undefined, () => progress.increment())));
    violations.push(...(await verifyAuditChain(pool)));
    progress.increment();
    violations.push(...(await verifyEvents(pool)));
    progress.increment();
  } finally {
    progress.stop();
  }
  if (violations.length === 0)
    return success(
      { ok: true, violations },
      'verified: every invariant holds (ledger, audit chain and event positions)',
    );
  const lines = violations.map(
    (violation) => `${violation.check}: ${violation.subject}: ${violation.detail}`,
  );
  return failure({ ok: false, violations }, `${violations.length} violation(s):\n${lines.join('\n')}`);
}

function isDataKeyCommand(name: string | undefined): name is DataKeyCommand {
  return (data_key_commands as readonly (string | undefined)[]).includes(name);
}
