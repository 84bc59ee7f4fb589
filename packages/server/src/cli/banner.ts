export interface BannerFacts {
  readonly api_url: string;
  /** The admin key made on a fresh database: shown this once. */
  readonly admin_secret: string | undefined;
  /** The embedded PostgreSQL's DATABASE_URL when this process started it. */
  readonly database_url: string | undefined;
  /** The KEK file made at this start beside the embedded database, if one was. */
  readonly kek_file_created?: string | undefined;
  /** `serve --processes`: the children the primary runs, and its own pid (the one to signal). */
  readonly processes?: { readonly api: number; readonly worker: number; readonly primary_pid: number };
}

/**
 * What `purse serve` prints once it listens: where the API is, the first admin key (only on a fresh
 * database), and how to reach the embedded database from another process. A framed block on
 * stdout, written apart from the log lines, so it stands out and can be grepped.
 */
export function startBanner(facts: BannerFacts): string {
  const lines = [
    `Purse is running: ${facts.api_url}  (docs: ${facts.api_url}/docs)`,
    ...(facts.processes === undefined
      ? []
      : [
          `${facts.processes.api} API processes and ${facts.processes.worker} worker process, run by process ${facts.processes.primary_pid} (signal that one)`,
        ]),
    ...(facts.admin_secret === undefined
      ? []
      : ['', `Test-mode admin API key: ${facts.admin_secret}`, '(shown only this once: keep it)']),
    ...(facts.database_url === undefined
      ? []
      : [
          '',
          'Embedded PostgreSQL, as a role that reads and writes rows (psql, your tools):',
          `DATABASE_URL=${facts.database_url}`,
          'A second Purse process on it: `npx purse worker` in this directory, without DATABASE_URL',
        ]),
    ...(facts.kek_file_created === undefined
      ? []
      : [
          '',
          `Key-encryption key generated: ${facts.kek_file_created}`,
          'It opens the personal and bank data in the database: back it up apart from the database',
        ]),
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return `\n${rule}\n${lines.map((line) => `| ${line.padEnd(width)} |`).join('\n')}\n${rule}\n\n`;
}

/** The banner for `--json`: one JSON line, so stdout stays JSON lines (its key is not a log field, so not redacted). */
export function bannerJson(facts: BannerFacts): string {
  return `${JSON.stringify({ msg: 'purse is running', ...facts })}\n`;
}

/** A wildcard bind address is reached locally as localhost. */
export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === ''
    ? 'localhost'
    : host.includes(':')
      ? `[${host}]`
      : host;
}
