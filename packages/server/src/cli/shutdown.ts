import type { Logger } from './logger.js';

/** Something a process started and stops again on the way out. */
export interface Part {
  readonly name: string;
  close(): Promise<unknown>;
}

export interface Shutdown {
  /**
   * Closes the parts started so far in reverse order, then exits with `exit_code` (1 instead when
   * a part fails, or when `grace_ms` runs out). Only the first call counts; `stopping` says whether
   * one was made.
   */
  begin(reason: string, exit_code: number): void;
  readonly stopping: boolean;
}

/**
 * The one ordered shutdown of a `serve`, `worker`, API or worker child, or primary process. The
 * caller decides what starts it (signals, the primary's message, a supervisor giving up).
 * `unclean`: asked at the end, true makes the exit code 1 (a child that stopped with an error).
 */
export function orderedShutdown(
  log: Logger,
  grace_ms: number,
  started: readonly Part[],
  unclean: () => boolean = () => false,
): Shutdown {
  let stopping = false;
  return {
    get stopping() {
      return stopping;
    },
    begin(reason, exit_code) {
      if (stopping) return;
      stopping = true;
      log.info({ reason }, 'shutting down');
      let current = 'nothing';
      const force = setTimeout(() => {
        // Named, so that a shutdown that hangs says where (logged at error, seen at any log level).
        log.error({ grace_ms, stopping: current }, 'shutdown took too long: exiting');
        process.exit(1);
      }, grace_ms);
      force.unref();
      closeInOrder(started, log, (name) => {
        current = name;
      }).then(
        () => {
          const code = unclean() ? 1 : exit_code;
          log.info({ exit_code: code }, 'shutdown complete');
          process.exit(code);
        },
        (error: unknown) => {
          log.error({ err: error, stopping: current }, 'shutdown failed');
          process.exit(1);
        },
      );
    },
  };
}

/**
 * On SIGINT/SIGTERM, shuts down in order and exits 0; a second signal exits 1 at once (a person
 * pressing Ctrl-C twice). `before_exit_at_once` runs first then (the primary kills its children).
 */
export function onShutdownSignal(shutdown: Shutdown, log: Logger, before_exit_at_once?: () => void): void {
  const handle = (signal: NodeJS.Signals) => {
    if (shutdown.stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      before_exit_at_once?.();
      process.exit(1);
    }
    shutdown.begin(signal, 0);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** Closes what was started, in reverse order, giving up (with a log line) after `grace_ms`. */
export async function closeWithin(parts: readonly Part[], log: Logger, grace_ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.error({ grace_ms }, 'stopping after a failed start-up took too long');
      resolve();
    }, grace_ms);
  });
  const closed = closeInOrder(parts, log, () => undefined).catch((error: unknown) =>
    log.error({ err: error }, 'stopping after a failed start-up failed'),
  );
  await Promise.race([closed, expired]);
  clearTimeout(timer);
}

async function closeInOrder(
  parts: readonly Part[],
  log: Logger,
  closing: (name: string) => void,
): Promise<void> {
  for (const part of [...parts].reverse()) {
    closing(part.name);
    await part.close();
    log.info({ part: part.name }, 'stopped');
  }
}
