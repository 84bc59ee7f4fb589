import cliProgress from 'cli-progress';

export interface Progress {
  increment(count?: number): void;
  stop(): void;
}

const silent: Progress = { increment: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr, only when stderr is a terminal: piped or redirected output (a CI log,
 * `--json > file`) gets no escape codes, and stdout is never touched.
 */
export function progressBar(label: string, total: number): Progress {
  if (process.stderr.isTTY !== true || total <= 0) return silent;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { increment: (count = 1) => bar.increment(count), stop: () => bar.stop() };
}
