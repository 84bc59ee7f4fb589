import { type Decimal, inverse, product } from './decimal.js';

/** The newest rate of one ordered pair, as stored. */
export interface StoredRate {
  readonly base: string;
  readonly quote: string;
  readonly rate: Decimal;
  readonly source: string;
  readonly as_of: Date;
}

/** A mid rate for a conversion: how it was found, and the age of its oldest input. */
export interface MidRate {
  readonly rate: Decimal;
  /** `ecb`, `api`, or for a cross rate both legs' sources: `ecb+ecb via EUR`. */
  readonly source: string;
  readonly as_of: Date;
}

/**
 * The rate from `source` to `target` out of the newest rate of each pair: the pair itself, its
 * inverse, or a cross through one currency both are quoted against (the ECB quotes everything
 * against EUR, so USD → JPY is EUR→JPY ÷ EUR→USD). Of the candidates at the shortest path, the one
 * whose oldest input is newest wins. Pure: the caller loads the rates.
 */
export function findMidRate(
  rates: readonly StoredRate[],
  source: string,
  target: string,
): MidRate | undefined {
  const legs = new Map<string, MidRate>();
  for (const rate of rates) {
    const forward = { rate: rate.rate, source: rate.source, as_of: rate.as_of };
    const backward = { rate: inverse(rate.rate), source: rate.source, as_of: rate.as_of };
    keepNewer(legs, `${rate.base}/${rate.quote}`, forward);
    keepNewer(legs, `${rate.quote}/${rate.base}`, backward);
  }
  const direct = legs.get(`${source}/${target}`);
  if (direct !== undefined) return direct;
  let best: MidRate | undefined;
  for (const [pair, first] of legs) {
    const [from, via] = pair.split('/');
    if (from !== source || via === undefined || via === target) continue;
    const second = legs.get(`${via}/${target}`);
    if (second === undefined) continue;
    const candidate = {
      rate: product(first.rate, second.rate),
      source: `${first.source}+${second.source} via ${via}`,
      as_of: new Date(Math.min(first.as_of.getTime(), second.as_of.getTime())),
    };
    if (best === undefined || candidate.as_of > best.as_of) best = candidate;
  }
  return best;
}

function keepNewer(legs: Map<string, MidRate>, pair: string, leg: MidRate): void {
  const known = legs.get(pair);
  if (known === undefined || leg.as_of > known.as_of) legs.set(pair, leg);
}
