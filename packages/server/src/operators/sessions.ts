import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/append.js';
import { hashSecret, sameHash } from '../auth/secrets.js';
import { authenticatorStep } from '../challenges/codes.js';
import { keyedHash, open } from '../crypto/keyring.js';
import type { Pool, Queryable } from '../db/pool.js';
import { catalogue, type DomainError, domainError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fail, ok } from '../shared/result.js';
import { decoyHash, passwordMatches } from './passwords.js';
import { type OperatorRow, type OperatorView, operatorEmailHash, operatorView } from './service.js';

export interface SessionSettings {
  /** A session unused this long ends. */
  readonly idle_timeout_s: number;
  /** A session ends this long after sign-in, used or not. */
  readonly lifetime_s: number;
  /** Failed sign-ins in a row that lock the operator out... */
  readonly failures_max: number;
  /** ...for this long. */
  readonly lockout_s: number;
}

/** A signed-in browser: the cookie's token (shown once, to set the cookie) and its CSRF token. */
export interface OpenedSession {
  readonly token: string;
  readonly view: SessionView;
}

export interface SessionView {
  readonly object: 'operator_session';
  readonly operator: OperatorView;
  readonly csrf_token: string;
  readonly expires_at: string;
}

/** The operator a live session belongs to, as the auth path needs it. */
export interface SessionOperator {
  readonly session_id: string;
  readonly operator: OperatorRow;
  readonly csrf_token: string;
  readonly expires_at: Date;
}

/** Derived from the session token, so it is never stored and a database reader cannot forge it. */
export function csrfToken(session_token: string): string {
  return keyedHash('operator_csrf', session_token);
}

export function sameCsrf(expected: string, presented: string): boolean {
  return sameHash(hashSecret(expected), hashSecret(presented));
}

export interface Credentials {
  readonly email: string;
  readonly password: string;
  readonly code: string;
}

/**
 * Signs an operator in with password and authenticator code. Every refusal reads the same
 * (`invalid_credentials`), whether the email, the password or the code was wrong, and takes as
 * long; `failures_max` refusals in a row lock the operator out for `lockout_s`. The operator's row
 * is locked, so parallel guesses count one by one and cannot slip past the limit.
 */
export async function signIn(
  pool: Pool,
  settings: SessionSettings,
  credentials: Credentials,
  request: { readonly id: string; readonly ip: string },
  now: Date,
): Promise<SignInOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const found = await client.query<OperatorRow>(
      'SELECT * FROM operators WHERE email_hash = $1 FOR UPDATE',
      [operatorEmailHash(credentials.email)],
    );
    const row = found.rows[0];
    const outcome = await judge(client, settings, row, credentials, request.ip, now);
    // Sign-ins of a known operator are audited under its id, refused ones too (the lock-out bounds
    // them); guesses at unknown emails are only logged, or anyone could grow the chain.
    if (row !== undefined) await appendAudit(client, [signInAudit(row.id, request, outcome, now)]);
    await client.query('COMMIT');
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** A sign-in's answer: a session, or a refusal (with the lock-out's remaining seconds). */
export type SignInOutcome =
  | { readonly ok: true; readonly value: OpenedSession }
  | { readonly ok: false; readonly error: DomainError; readonly retry_after_s?: number };

function signInAudit(
  operator_id: string,
  request: { readonly id: string; readonly ip: string },
  outcome: SignInOutcome,
  now: Date,
) {
  // Operators are of no mode; their sign-ins go to the live trail, as their CLI entries do.
  return {
    livemode: true,
    actor: operator_id,
    action: 'POST /dashboard/session',
    object_id: operator_id,
    request_id: request.id,
    ip: request.ip,
    outcome_status: outcome.ok ? 200 : catalogue[outcome.error.code].status,
    outcome_code: outcome.ok ? null : outcome.error.code,
    created_at: now,
  };
}

async function judge(
  db: Queryable,
  settings: SessionSettings,
  row: OperatorRow | undefined,
  credentials: Credentials,
  ip: string,
  now: Date,
): Promise<SignInOutcome> {
  if (row === undefined) {
    await passwordMatches(credentials.password, await decoyHash());
    return fail(refused());
  }
  if (row.locked_until !== null && row.locked_until > now) {
    const retry_after_s = Math.ceil((row.locked_until.getTime() - now.getTime()) / 1000);
    return {
      ok: false,
      error: domainError('operator_locked', 'Too many failed sign-ins; try again later.'),
      retry_after_s,
    };
  }
  const password_ok = await passwordMatches(credentials.password, row.password_hash);
  const last_step = row.totp_last_step === null ? null : Number(row.totp_last_step);
  const step = authenticatorStep(open('personal', row.totp_secret), credentials.code, now, last_step);
  if (!password_ok || step === undefined || row.disabled_at !== null) {
    await recordFailure(db, settings, row, now);
    return fail(refused());
  }
  await db.query(
    'UPDATE operators SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2 WHERE id = $1',
    [row.id, step],
  );
  return ok(await openSession(db, settings, row, ip, now));
}

function refused(): DomainError {
  return domainError('invalid_credentials', 'The email, password or authenticator code is not right.');
}

async function recordFailure(
  db: Queryable,
  settings: SessionSettings,
  row: OperatorRow,
  now: Date,
): Promise<void> {
  const failures = row.failed_attempts + 1;
  const locked = failures >= settings.failures_max;
  await db.query('UPDATE operators SET failed_attempts = $2, locked_until = $3 WHERE id = $1', [
    row.id,
    locked ? 0 : failures,
    locked ? new Date(now.getTime() + settings.lockout_s * 1000) : row.locked_until,
  ]);
}

async function openSession(
  db: Queryable,
  settings: SessionSettings,
  row: OperatorRow,
  ip: string,
  now: Date,
): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const expires_at = new Date(now.getTime() + settings.lifetime_s * 1000);
  await db.query(
    `INSERT INTO operator_sessions (id, operator_id, token_hash, ip, created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6)`,
    [newId('operator_session', now.getTime()), row.id, hashSecret(token), ip, now, expires_at],
  );
  return { token, view: sessionView(row, token, expires_at) };
}

export function sessionView(row: OperatorRow, token: string, expires_at: Date): SessionView {
  return {
    object: 'operator_session',
    operator: operatorView(row),
    csrf_token: csrfToken(token),
    expires_at: expires_at.toISOString(),
  };
}

/** Idle sessions are touched at most this often, to keep writes off every request. */
const touch_interval_ms = 60_000;

/**
 * The session a cookie's token names, if it is still good: not ended, not past its lifetime or
 * idle timeout, its operator not disabled. Looked up on every request (never cached), so signing
 * out or disabling an operator takes effect at once in every process.
 */
export async function findSession(
  pool: Pool,
  settings: SessionSettings,
  token: string,
  now: Date,
): Promise<SessionOperator | undefined> {
  if (token.length > 64) return undefined;
  const found = await pool.query<
    OperatorRow & { session_id: string; last_seen_at: Date; expires_at_session: Date }
  >(
    `SELECT o.*, s.id AS session_id, s.last_seen_at, s.expires_at AS expires_at_session
     FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
     WHERE s.token_hash = $1 AND s.ended_at IS NULL AND o.disabled_at IS NULL`,
    [hashSecret(token)],
  );
  const row = found.rows[0];
  if (row === undefined || row.expires_at_session <= now) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() > settings.idle_timeout_s * 1000) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() > touch_interval_ms)
    await pool.query('UPDATE operator_sessions SET last_seen_at = $2 WHERE id = $1', [row.session_id, now]);
  const { session_id, last_seen_at: _seen, expires_at_session, ...operator } = row;
  return { session_id, operator, csrf_token: csrfToken(token), expires_at: expires_at_session };
}

export async function endSession(pool: Pool, session_id: string, now: Date): Promise<void> {
  await pool.query('UPDATE operator_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [
    session_id,
    now,
  ]);
}
