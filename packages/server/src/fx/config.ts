/** Currency conversion's settings (docs/fx.md), read from the environment. */
export interface FxConfig {
  /** How long a quote holds its rate (PURSE_FX_QUOTE_TTL_S, default 30 s). */
  readonly quote_ttl_ms: number;
  /** A rate older than this (by its source's time) is never quoted (PURSE_FX_RATE_MAX_AGE_S). */
  readonly rate_max_age_ms: number;
  /** The platform's spread per ordered currency pair, in basis points (PURSE_FX_SPREAD_BPS). */
  readonly spreads: SpreadTable;
  /** Set: the worker fetches the ECB reference-rate file from here (PURSE_FX_ECB_URL) for live mode. */
  readonly ecb_url: string | undefined;
  /** How often it does (PURSE_FX_ECB_POLL_S, default an hour). */
  readonly ecb_poll_ms: number;
}

export interface SpreadTable {
  /** `SOURCE/TARGET` → basis points. */
  readonly pairs: ReadonlyMap<string, number>;
  readonly default_bps: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** 50% is far past any real spread: a larger figure is a typo, refused at start. */
export const spread_bps_max = 5_000;

export function fxConfigFromEnv(env: Env): FxConfig {
  return {
    quote_ttl_ms: seconds(env, 'PURSE_FX_QUOTE_TTL_S', 30) * 1_000,
    // ECB rates are published once a working day: a Friday rate must still quote on Monday morning.
    rate_max_age_ms: seconds(env, 'PURSE_FX_RATE_MAX_AGE_S', 4 * 86_400) * 1_000,
    spreads: spreadsFromEnv(env.PURSE_FX_SPREAD_BPS ?? '0'),
    ecb_url: env.PURSE_FX_ECB_URL?.trim() === '' ? undefined : env.PURSE_FX_ECB_URL,
    ecb_poll_ms: seconds(env, 'PURSE_FX_ECB_POLL_S', 3_600) * 1_000,
  };
}

function seconds(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`${name} must be a positive whole number of seconds.`);
  return Number(raw);
}

/**
 * `25` (every pair) or `EUR/USD=10,USD/EUR=10,*=25`: a pair is ordered (selling EUR for USD may
 * cost less than the reverse); `*` is the default for pairs not named.
 */
export function spreadsFromEnv(text: string): SpreadTable {
  const pairs = new Map<string, number>();
  let default_bps = 0;
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    const [pair, value] = part.includes('=') ? part.split('=') : ['*', part];
    const bps = Number(value);
    if (!/^[0-9]+$/.test(value ?? '') || bps > spread_bps_max)
      throw new Error(`PURSE_FX_SPREAD_BPS: "${part}" needs whole basis points from 0 to ${spread_bps_max}.`);
    if (pair === '*') default_bps = bps;
    else if (/^[A-Z][A-Z0-9_]{1,15}\/[A-Z][A-Z0-9_]{1,15}$/.test(pair ?? '')) pairs.set(pair ?? '', bps);
    else throw new Error(`PURSE_FX_SPREAD_BPS: "${pair}" is not a pair such as EUR/USD.`);
  }
  return { pairs, default_bps };
}

export function spreadOf(table: SpreadTable, source: string, target: string): number {
  return table.pairs.get(`${source}/${target}`) ?? table.default_bps;
}
