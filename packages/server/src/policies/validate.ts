import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { domainError } from '../shared/errors.js';
import { parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { SpendLimitValue, SpendPolicyValue } from './schemas.js';

const amount_fields = [
  'per_movement_max',
  'daily_max',
  'weekly_max',
  'monthly_max',
  'approval_above',
] as const;

/**
 * Checks what the schema cannot: each currency once and known in the mode, every amount valid for
 * its asset, a real time zone and a non-empty window, destinations that exist in the mode.
 */
export async function validateSpendPolicy(
  db: Queryable,
  livemode: boolean,
  policy: SpendPolicyValue,
  param: string,
): Promise<Result<SpendPolicyValue>> {
  const seen = new Set<string>();
  for (const [index, limit] of policy.limits.entries()) {
    const at = `${param}.limits.${index}`;
    if (seen.has(limit.currency))
      return fail(domainError('invalid_request', `${limit.currency} appears twice.`, `${at}.currency`));
    seen.add(limit.currency);
    const checked = await checkLimit(db, livemode, limit, at);
    if (!checked.ok) return checked;
  }
  const hours = policy.allowed_hours;
  if (hours !== undefined) {
    if (hours.start_hour >= hours.end_hour)
      return fail(
        domainError('invalid_request', 'start_hour must be before end_hour.', `${param}.allowed_hours`),
      );
    if (hours.time_zone !== undefined && !isTimeZone(hours.time_zone))
      return fail(
        domainError(
          'invalid_request',
          `Unknown time zone "${hours.time_zone}".`,
          `${param}.allowed_hours.time_zone`,
        ),
      );
  }
  const missing = await missingObjects(db, livemode, policy);
  if (missing !== undefined)
    return fail(
      domainError(
        'resource_not_found',
        `No ${missing.what} "${missing.id}" in this mode.`,
        `${param}.allowed_destinations`,
      ),
    );
  return ok(policy);
}

async function checkLimit(db: Queryable, livemode: boolean, limit: SpendLimitValue, at: string) {
  const scale = await assetScale(db, livemode, limit.currency, `${at}.currency`);
  if (!scale.ok) return scale;
  for (const field of amount_fields) {
    const value = limit[field];
    if (value === undefined) continue;
    const parsed = parseAmount(value, scale.value, `${at}.${field}`);
    if (!parsed.ok) return parsed;
  }
  return ok(undefined);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

async function missingObjects(db: Queryable, livemode: boolean, policy: SpendPolicyValue) {
  const wallets = policy.allowed_destinations?.wallet_ids ?? [];
  const holders = policy.allowed_destinations?.holder_ids ?? [];
  const found = await db.query<{ id: string }>(
    `SELECT id FROM accounts WHERE id = ANY($1::text[]) AND livemode = $3 AND kind = 'wallet'
     UNION ALL SELECT id FROM holders WHERE id = ANY($2::text[]) AND livemode = $3`,
    [wallets, holders, livemode],
  );
  const ids = new Set(found.rows.map((row) => row.id));
  const wallet = wallets.find((id) => !ids.has(id));
  if (wallet !== undefined) return { what: 'wallet', id: wallet };
  const holder = holders.find((id) => !ids.has(id));
  return holder === undefined ? undefined : { what: 'holder', id: holder };
}
