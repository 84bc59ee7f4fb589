import { type Config, loadConfig, processesFrom } from '../config.js';
import { type Flags, flag } from './args.js';
import { childRole, serveChild } from './child.js';
import { UsageError } from './output.js';
import { servePrimary } from './primary.js';
import { serve } from './serve.js';

/**
 * `purse serve` and `purse worker`: one process; with `--processes N` (or PURSE_PROCESSES) a
 * primary and its children; in a child the primary forked, that child's part. Returns once
 * started: the process exits from its shutdown.
 */
export async function serverCommand(command: 'serve' | 'worker', flags: Flags): Promise<void> {
  const loaded = loadConfig();
  // --json: JSON log lines even on a terminal, and the banner as one more JSON line.
  const json = flags.json === true;
  const config: Config = json ? { ...loaded, log_format: 'json' } : loaded;
  const role = childRole();
  if (role !== undefined) return serveChild(config, role);
  const processes = processesOf(command, flags, config);
  if (processes === undefined) return serve(config, { with_api: command === 'serve', json });
  return servePrimary(config, { processes, json });
}

function processesOf(command: 'serve' | 'worker', flags: Flags, config: Config): number | undefined {
  const given = flag(flags, 'processes');
  if (given === undefined) return command === 'serve' ? config.processes : undefined;
  if (command !== 'serve') throw new UsageError('--processes goes with serve: `purse worker` is one process');
  try {
    return processesFrom(given, '--processes');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
