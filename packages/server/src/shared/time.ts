/**
 * Timestamps accepted on the wire: RFC 3339 with a `T`, seconds and a zone, from the Unix epoch to
 * the end of year 9999. The bounds are what every layer handles alike: JavaScript's `Date` writes
 * years past 9999 as `+010000-…` (not RFC 3339), PostgreSQL refuses year 0 and shows earlier years
 * as BC, and nothing in Purse predates 1970. A leap second (`23:59:60`) is refused rather than
 * guessed at: `Date` cannot represent it and PostgreSQL rolls it into the next minute.
 */
export const timestamp_ms_min = Date.UTC(1970, 0, 1);
export const timestamp_ms_max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const timestamp_rule =
  'must be an RFC 3339 timestamp from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z such as 2026-11-21T12:00:00Z (seconds 00 to 59, no leap second)';

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/i;

/** The instant `text` names, or undefined when it is not a timestamp Purse accepts. */
export function parseTimestamp(text: string): Date | undefined {
  const match = rfc3339.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const offset_valid = match[8] === undefined || (Number(match[8]) <= 23 && Number(match[9]) <= 59);
  const fields_valid =
    month !== undefined &&
    month >= 1 &&
    month <= 12 &&
    day !== undefined &&
    day >= 1 &&
    day <= daysInMonth(year ?? 0, month) &&
    (hour ?? 24) <= 23 &&
    (minute ?? 60) <= 59 &&
    (second ?? 60) <= 59;
  if (!fields_valid || !offset_valid) return undefined;
  const ms = Date.parse(text.toUpperCase());
  if (!Number.isFinite(ms) || ms < timestamp_ms_min || ms > timestamp_ms_max) return undefined;
  return new Date(ms);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
