import { createWriteStream } from 'node:fs';
import { loadConfig } from '../config.js';
import { loadDataKeys } from '../crypto/keyring.js';
import { installProcessKek } from '../crypto/start.js';
import { openDatabase } from '../db/connect.js';
import { replayArchive } from '../events/replay-archive.js';
import { type Flags, flag } from './args.js';
import { failure, type Outcome, success, UsageError } from './output.js';

/**
 * `purse events replay --archive FILE --out FILE`: checks an archive of event retention against
 * its record and the audit chain, then writes its events, one JSON object a line in position
 * order, as GET /v1/events/:id showed them. The events go to a file, not stdout, so the summary
 * and any refusal are never mixed into them.
 */
export async function eventsCommand(positionals: string[], flags: Flags): Promise<Outcome> {
  const archive_path = flag(flags, 'archive');
  const out_path = flag(flags, 'out');
  if (positionals[0] !== 'replay' || archive_path === undefined || out_path === undefined) {
    throw new UsageError('usage: purse events replay --archive FILE --out FILE');
  }
  const config = loadConfig();
  const db = await openDatabase(config, () => undefined);
  const out = createWriteStream(out_path, { flags: 'wx' });
  try {
    await installProcessKek(config);
    await loadDataKeys(db.maintenance_pool);
    const result = await replayArchive(db.maintenance_pool, archive_path, (event) => {
      out.write(`${JSON.stringify(event)}\n`);
    });
    if (!result.ok) return failure(result, `refused: ${result.reason}`);
    return success(
      result,
      `replayed ${result.event_count} events to ${out_path} (sha256 ${result.sha256} verified)`,
    );
  } finally {
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    await db.close();
  }
}
