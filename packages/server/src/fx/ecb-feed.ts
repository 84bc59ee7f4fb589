import type { Pool } from '../db/pool.js';
import { inTransaction } from '../db/pool.js';
import type { FxConfig } from './config.js';
import { parseEcbRates } from './ecb.js';
import { importRates } from './rates.js';

/** The daily file is about 2 KB and the 90-day one 50 KB: anything past this is not the ECB's. */
export const ecb_feed_bytes_max = 4 * 1024 * 1024;
export const ecb_feed_timeout_ms = 10_000;

/**
 * The worker's rate provider: fetches the ECB reference-rate file from `PURSE_FX_ECB_URL` and
 * records its rates in both modes (reference rates are public facts; test mode quotes from them
 * too). Rates already recorded are not recorded again, so polling every hour costs one request.
 * A failed fetch or a file that does not parse records nothing and throws, for the worker's log;
 * quotes go on from the last rates until they are older than PURSE_FX_RATE_MAX_AGE_S.
 */
export async function importEcbFeed(pool: Pool, fx: FxConfig, now: Date): Promise<number> {
  if (fx.ecb_url === undefined) return 0;
  const response = await fetch(fx.ecb_url, { signal: AbortSignal.timeout(ecb_feed_timeout_ms) });
  if (!response.ok) throw new Error(`ECB rates: ${fx.ecb_url} answered ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > ecb_feed_bytes_max)
    throw new Error(`ECB rates: the file is over ${ecb_feed_bytes_max} bytes`);
  const xml = await response.text();
  if (xml.length > ecb_feed_bytes_max)
    throw new Error(`ECB rates: the file is over ${ecb_feed_bytes_max} bytes`);
  const rates = parseEcbRates(xml);
  if (!rates.ok) throw new Error(`ECB rates: ${rates.error.detail}`);
  return inTransaction(pool, async (client) => {
    let recorded = 0;
    for (const livemode of [true, false]) {
      const imported = await importRates(client, livemode, rates.value, 'ecb', now);
      if (!imported.ok) throw new Error(`ECB rates: ${imported.error.detail}`);
      recorded += imported.value.recorded + imported.value.corrected;
    }
    return recorded;
  });
}
