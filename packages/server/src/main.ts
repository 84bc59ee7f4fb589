#!/usr/bin/env node
import { verifyAuditChain } from './audit/verify.js';
import { parseCommand } from './cli/args.js';
import { keys_usage, keysCommand, UsageError } from './cli/keys.js';
import { serve } from './cli/serve.js';
import { type Config, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { inTransaction, type Pool } from './db/pool.js';
import { verifyLedger } from './ledger/verify.js';

const usage = `usage: purse <command>
  serve      run the API and the background worker (default port 8080; PORT, HOST)
  worker     run only the background worker
  migrate    apply pending database migrations
  verify     check every ledger invariant and the audit chain; exits 1 and names each violation
  keys       manage API keys:
${keys_usage.replace(/^/gm, '             ')}

DATABASE_URL selects a PostgreSQL; unset, an embedded one runs under PURSE_DATA_DIR (./.purse).`;

async function main(argv: string[]): Promise<number> {
  const { flags, positionals } = parseCommand(argv, {
    json: { type: 'boolean' },
    name: { type: 'string' },
    mode: { type: 'string' },
    scopes: { type: 'string' },
    'expires-at': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const [command = 'serve', ...rest] = positionals;
  const config = loadConfig();
  if (flags.help === true) return print(usage, 0);
  switch (command) {
    case 'serve':
      await serve(config, { with_api: true });
      return -1;
    case 'worker':
      await serve(config, { with_api: false });
      return -1;
    case 'verify':
      return verifyCommand(config);
    case 'migrate':
    case 'keys':
      return withDatabase(config, async (pool) => {
        if (command === 'migrate') {
          const applied = await migrate(pool);
          return applied.length === 0 ? 'migrations: up to date' : `applied: ${applied.join(', ')}`;
        }
        await migrate(pool);
        // The key and its audit entry commit together.
        return inTransaction(pool, (client) => keysCommand(client, rest, flags));
      });
    default:
      return print(usage, 2);
  }
}

async function verifyCommand(config: Config): Promise<number> {
  const db = await openDatabase(config, () => undefined);
  try {
    await migrate(db.maintenance_pool);
    const violations = [
      ...(await verifyLedger(db.maintenance_pool)),
      ...(await verifyAuditChain(db.maintenance_pool)),
    ];
    if (violations.length === 0) return print('verified: every invariant holds (ledger and audit chain)', 0);
    const lines = violations.map(
      (violation) => `${violation.check}: ${violation.subject}: ${violation.detail}`,
    );
    return print(`${violations.length} violation(s):\n${lines.join('\n')}`, 1);
  } finally {
    await db.close();
  }
}

async function withDatabase(config: Config, work: (pool: Pool) => Promise<string>): Promise<number> {
  const db = await openDatabase(config, () => undefined);
  try {
    return print(await work(db.maintenance_pool), 0);
  } finally {
    await db.close();
  }
}

function print(text: string, code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${text}\n`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: a long-running command; it exits from its signal handler.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`purse: ${(error as Error).stack ?? String(error)}\n`);
    // Exit now rather than when the event loop drains: whatever a failed start left behind (a pool
    // timer, a socket) must not keep a broken server running.
    process.exit(1);
  },
);
