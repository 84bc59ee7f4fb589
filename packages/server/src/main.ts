#!/usr/bin/env node
import { parseCommand } from './cli/args.js';
import { emit, emitError, type Outcome, ProblemError, UsageError } from './cli/output.js';
import { KekError } from './crypto/kek.js';

// Each command's modules load only when it runs: `purse --help` and `purse trigger` must not pay for
// loading the whole server (docs/cli.md, "Start time").
const usage = `usage: purse <command> [--json]
  serve      run the API and the background worker (default port 8080; PORT, HOST)
             purse serve --processes N   (or PURSE_PROCESSES): N API processes on the port and a
             worker process, run and restarted by this one (docs/operations.md)
  worker     run only the background worker
  migrate    apply pending database migrations
  verify     check the ledger and the audit chain written since the last checkpoint, then record a
             new one; exits 1 and names each violation (no checkpoint then)
             purse verify --full   check everything from the start, with a progress bar
  events     purse events replay --archive FILE --out FILE   (an archive of event retention, checked
             against its recorded sha256 and the audit chain, written back as API events)
  keys       manage API keys:
             purse keys create [--name NAME] [--mode test|live] [--scopes a,b] [--expires-at ISO]
             purse keys list [--mode test|live]
             purse keys revoke KEY_ID [--mode test|live]
             purse keys rotate-data-key [--class personal|instrument|file] [--activate-after-s N]
             purse keys rotate-kek   (the new KEK in PURSE_NEW_KEK or PURSE_NEW_KEK_FILE)
             purse keys seal-existing   (once after upgrading: seal rows written before 0025)
  operators  manage dashboard operators (docs/dashboard.md):
             purse operators create --email EMAIL [--name NAME] [--role admin|finance|support|viewer]
             purse operators list | enable OPERATOR_ID | disable OPERATOR_ID
  listen     forward the event stream to a local URL, signed as webhooks:
             purse listen --forward-to URL [--events type,prefix.*]
  trigger    create the sandbox objects that produce an event: purse trigger EVENT_TYPE
  import     create holders and wallets with opening balances from a CSV:
             purse import FILE.csv --map name=Name,email=Email,... [--batch-size N]

--json: stdout carries one JSON document and nothing else. Exit codes: 0 done, 1 a failed check or
a refused request, 2 a usage error.
DATABASE_URL selects a PostgreSQL; unset, an embedded one runs under PURSE_DATA_DIR (./.purse).
listen, trigger and import call the API: --base-url or PURSE_URL (default http://localhost:8080),
--api-key or PURSE_API_KEY.`;

const options = {
  json: { type: 'boolean' },
  full: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  mode: { type: 'string' },
  scopes: { type: 'string' },
  'expires-at': { type: 'string' },
  'api-key': { type: 'string' },
  'base-url': { type: 'string' },
  'forward-to': { type: 'string' },
  events: { type: 'string' },
  map: { type: 'string' },
  'batch-size': { type: 'string' },
  class: { type: 'string' },
  'activate-after-s': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  processes: { type: 'string' },
  archive: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The exit code, or undefined for a long-running command (it exits from its signal handler). */
async function main(argv: string[]): Promise<Outcome | undefined> {
  const { flags, positionals } = parseCommand(argv, options);
  const [command = 'serve', ...rest] = positionals;
  if (flags.help === true) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  switch (command) {
    case 'serve':
    case 'worker': {
      const { serverCommand } = await import('./cli/server-command.js');
      await serverCommand(command, flags);
      return undefined;
    }
    case 'verify':
    case 'migrate':
    case 'keys':
    case 'operators': {
      withoutFetchProbe();
      const { databaseCommand } = await import('./cli/database-commands.js');
      return databaseCommand(command, rest, flags);
    }
    case 'events': {
      const { eventsCommand } = await import('./cli/events.js');
      return eventsCommand(rest, flags);
    }
    case 'listen': {
      const { listenCommand } = await import('./cli/listen.js');
      return listenCommand(flags);
    }
    case 'trigger': {
      const { triggerCommand } = await import('./cli/trigger.js');
      return triggerCommand(rest, flags);
    }
    case 'import': {
      const { importCommand } = await import('./cli/import.js');
      return importCommand(rest, flags);
    }
    default:
      throw new UsageError(`unknown command "${command}"\n${usage}`);
  }
}

/**
 * Node 21 and later define `navigator`; on Node 20, where it is missing, `pg` tells a Cloudflare
 * Worker from Node by constructing a `Response` when it loads, and so loads Node's whole fetch
 * implementation: 13 to 19 ms of every database command's start, for a class it never uses. Given
 * the object later versions define, `pg` answers from it as it does there (docs/cli.md, "Start time").
 */
function withoutFetchProbe(): void {
  if (!('navigator' in globalThis))
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
      configurable: true,
    });
}

const json = process.argv.includes('--json');
main(process.argv.slice(2)).then(
  (outcome) => {
    if (outcome !== undefined) process.exitCode = emit(outcome, json);
  },
  (error: unknown) => {
    const parse_error = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    if (error instanceof UsageError || parse_error) {
      const usage_error = error instanceof UsageError ? error : new UsageError((error as Error).message);
      process.exitCode = emitError(usage_error.problem, usage_error.message, 2, json);
      return;
    }
    if (error instanceof ProblemError) {
      process.exitCode = emitError(error.problem, `purse: ${error.message}`, 1, json);
      return;
    }
    if (error instanceof KekError) {
      // Refused to start without a usable key-encryption key: a stable code, no stack.
      const problem = { type: `urn:purse:problem:${error.code}`, code: error.code, detail: error.message };
      process.exitCode = emitError(problem, `purse: ${error.code}: ${error.message}`, 1, json);
      process.exit();
    }
    process.stderr.write(`purse: ${(error as Error).stack ?? String(error)}\n`);
    // Exit now rather than when the event loop drains: whatever a failed start left behind (a pool
    // timer, a socket) must not keep a broken server running.
    process.exit(1);
  },
);
