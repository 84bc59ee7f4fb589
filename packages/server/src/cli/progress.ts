import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

// Loaded only for a terminal: `purse verify` from cron never draws a bar, and the library costs
// about 15 ms of every start (docs/cli.md, "Start time").
const require = createRequire(import.meta.url);

export interface Progress {
  increment(count?: number): void;
  stop(): void;
}

const silent: Progress = { increment: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr, only when stderr is a terminal: piped or redirected output (a CI log,
 * `--json > file`) gets no escape codes, and stdout is never touched. With a `unit`, it also shows
 * the rate in units per second.
 */
export function progressBar(label: string, total: number, unit?: string): Progress {
  if (process.stderr.isTTY !== true || total <= 0) return silent;
  const cliProgress = require('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total}${unit === undefined ? '' : ` ${unit}, {rate} ${unit}/s`}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const started_ms = Date.now();
  let done = 0;
  const rate = () => Math.round(done / Math.max((Date.now() - started_ms) / 1000, 0.001));
  bar.start(total, 0, { rate: 0 });
  return {
    increment: (count = 1) => {
      done += count;
      bar.increment(count, { rate: rate() });
    },
    stop: () => bar.stop(),
  };
}
