import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { AuthContext } from '../auth/context.js';
import type { Config } from '../config.js';
import { openJson, sealJson } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { formatAmount } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { ChallengeListQuery } from './schemas.js';

export type ChallengeStatus = 'requires_action' | 'succeeded' | 'failed' | 'expired' | 'canceled';
export type Channel = 'email' | 'totp' | 'sandbox';

export interface ChallengeRow {
  id: string;
  livemode: boolean;
  status: ChallengeStatus;
  purpose: 'payment' | 'sign_in';
  holder_id: string;
  channel: Channel;
  attempts: number;
  attempts_max: number;
  sends: number;
  sends_delivered: number;
  destination: string | null;
  send_failures: number;
  next_send_at: Date | null;
  api_key_id: string | null;
  approved: boolean;
  route: string | null;
  params: Record<string, string> | null;
  body: unknown;
  request_id: string | null;
  risk_rule_id: string | null;
  asset: string | null;
  amount_minor: string | null;
  result_status: number | null;
  result_body: unknown;
  expires_at: Date;
  confirmed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Only the key that made the request, or one without restrictions or a spend policy, acts on it. */
export function ownKeyOnly(auth: AuthContext): string | undefined {
  return auth.restrictions === null && auth.spend_policy === null ? undefined : auth.key_id;
}

/** A payment challenge, for the key that made its request or a key without restrictions or a policy. */
export function mayActOn(auth: AuthContext, row: ChallengeRow): boolean {
  const own = ownKeyOnly(auth);
  return row.purpose === 'payment' && (own === undefined || row.api_key_id === own);
}

/** The refusal of a code for a challenge past its expiry. */
export function expiredError(row: ChallengeRow): DomainError {
  return domainError('challenge_expired', `Challenge ${row.id} expired at ${row.expires_at.toISOString()}.`);
}

/** What screening needs to ask a holder for a code (from the configuration). */
export interface ChallengeSettings {
  readonly ttl_s: number;
  readonly attempts_max: number;
  /** Whether codes can go by email (an SMTP server is configured). */
  readonly email: boolean;
}

export function challengeSettings(config: Config): ChallengeSettings {
  const { ttl_s, attempts_max, smtp } = config.challenges;
  return { ttl_s, attempts_max, email: smtp !== undefined };
}

export async function challengeView(db: Queryable, row: ChallengeRow) {
  const scale = row.asset === null ? undefined : await assetScale(db, row.livemode, row.asset, 'currency');
  const [method = 'POST', pattern = ''] = (row.route ?? '').split(' ');
  // Out of attempts is failed, even before the next try or the expiry task writes it down.
  const status = row.status === 'requires_action' && row.attempts >= row.attempts_max ? 'failed' : row.status;
  return {
    id: row.id,
    object: 'challenge' as const,
    livemode: row.livemode,
    status,
    purpose: row.purpose,
    holder_id: row.holder_id,
    channel: row.channel,
    attempts_remaining: Math.max(0, row.attempts_max - row.attempts),
    request:
      row.route === null
        ? null
        : {
            method,
            path: pattern.replace(/:([a-z_]+)/g, (_, name: string) => row.params?.[name] ?? `:${name}`),
            request_id: row.request_id,
          },
    api_key_id: row.api_key_id,
    risk_rule_id: row.risk_rule_id,
    amount:
      row.amount_minor === null || scale === undefined
        ? null
        : formatAmount(BigInt(row.amount_minor), scale.ok ? scale.value : 0),
    currency: row.asset,
    expires_at: row.expires_at.toISOString(),
    confirmed_at: row.confirmed_at?.toISOString() ?? null,
    result:
      row.result_status === null
        ? null
        : { status: row.result_status, body: openJson('personal', row.result_body) },
    created_at: row.created_at.toISOString(),
  };
}

export type ChallengeView = Awaited<ReturnType<typeof challengeView>>;

/** How a holder gets a challenge's codes, and for email the address, sealed as the holder's is. */
export interface Reach {
  readonly channel: Channel;
  readonly destination: string | null;
}

/**
 * How a holder receives codes: their authenticator app when one is enrolled, else email when the
 * holder has an address and an SMTP server is configured, else (test mode) the sandbox channel,
 * whose code a test helper reveals. Undefined: the holder cannot be reached (live mode). The
 * address is kept on the challenge as it is now: changing the holder's later does not redirect it.
 */
export async function reachOf(
  db: Queryable,
  livemode: boolean,
  holder_id: string,
  settings: ChallengeSettings,
): Promise<Reach | undefined> {
  const found = await db.query<{ authenticator: boolean; email: string | null }>(
    `SELECT EXISTS (SELECT 1 FROM holder_authenticators a WHERE a.holder_id = h.id AND a.status = 'active') AS authenticator,
       h.email
     FROM holders h WHERE h.id = $1 AND h.livemode = $2`,
    [holder_id, livemode],
  );
  const holder = found.rows[0];
  if (holder?.authenticator === true) return { channel: 'totp', destination: null };
  if (holder?.email != null && settings.email) return { channel: 'email', destination: holder.email };
  return livemode ? undefined : { channel: 'sandbox', destination: null };
}

/** A money request waiting for its holder's code: what to run, on whose behalf, for how much. */
export interface NewPaymentChallenge {
  readonly livemode: boolean;
  readonly holder_id: string;
  readonly reach: Reach;
  readonly api_key_id: string;
  readonly approved: boolean;
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly request_id: string;
  readonly risk_rule_id: string;
  readonly asset: string;
  readonly amount_minor: bigint;
  readonly settings: ChallengeSettings;
  readonly now: Date;
}

export async function createPaymentChallenge(
  db: Queryable,
  input: NewPaymentChallenge,
): Promise<ChallengeView> {
  const result = await db.query<ChallengeRow>(
    `INSERT INTO challenges (id, livemode, status, purpose, holder_id, channel, destination, attempts_max, api_key_id,
       route, params, body, request_id, risk_rule_id, asset, amount_minor, expires_at, created_at, updated_at, approved)
     VALUES ($1, $2, 'requires_action', 'payment', $3, $4, $16, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15,
       $17)
     RETURNING *`,
    [
      newId('challenge', input.now.getTime()),
      input.livemode,
      input.holder_id,
      input.reach.channel,
      input.settings.attempts_max,
      input.api_key_id,
      input.route,
      input.params,
      // Sealed like an approval's: a card or account number in it is personal data at rest.
      JSON.stringify(sealJson('personal', input.body)),
      input.request_id,
      input.risk_rule_id,
      input.asset,
      input.amount_minor.toString(),
      new Date(input.now.getTime() + input.settings.ttl_s * 1000),
      input.now,
      input.reach.destination,
      input.approved,
    ],
  );
  return challengeView(db, result.rows[0] as ChallengeRow);
}

/** A code that proves a holder is who they say (signing in to grant an app access: docs/oauth.md). */
export async function createSignInChallenge(
  db: Queryable,
  input: { livemode: boolean; holder_id: string; settings: ChallengeSettings; now: Date },
): Promise<Result<ChallengeView>> {
  const reach = await reachOf(db, input.livemode, input.holder_id, input.settings);
  if (reach === undefined) return fail(unreachable(input.holder_id));
  const result = await db.query<ChallengeRow>(
    `INSERT INTO challenges (id, livemode, status, purpose, holder_id, channel, destination, attempts_max, expires_at,
       created_at, updated_at)
     VALUES ($1, $2, 'requires_action', 'sign_in', $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
    [
      newId('challenge', input.now.getTime()),
      input.livemode,
      input.holder_id,
      reach.channel,
      reach.destination,
      input.settings.attempts_max,
      new Date(input.now.getTime() + input.settings.ttl_s * 1000),
      input.now,
    ],
  );
  return ok(await challengeView(db, result.rows[0] as ChallengeRow));
}

function unreachable(holder_id: string) {
  return domainError(
    'challenge_channel_unavailable',
    `Holder ${holder_id} has no authenticator app and no email a code can be sent to.`,
  );
}

export async function getChallenge(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<ChallengeView>> {
  const row = await rowById<ChallengeRow>(db, 'challenges', livemode, id);
  return row === undefined ? fail(notFound('challenge', id)) : ok(await challengeView(db, row));
}

/** `requester_key_id`, when given, narrows the list to that key's own requests (a restricted key's view). */
export async function listChallenges(
  db: Queryable,
  livemode: boolean,
  query: Static<typeof ChallengeListQuery>,
  requester_key_id: string | undefined,
): Promise<Result<Page<ChallengeView>>> {
  const { where, params } = new Filters(livemode)
    .equals('holder_id', query.holder_id)
    .equals('status', query.status)
    .equals('api_key_id', requester_key_id);
  const page = await fetchPage(
    db,
    { table: 'challenges', where, params, id_prefix: 'chl', map: (row: ChallengeRow) => row },
    pageQuery(query),
  );
  if (!page.ok) return page;
  const data = await Promise.all(page.value.data.map((row) => challengeView(db, row)));
  return ok({ ...page.value, data });
}
