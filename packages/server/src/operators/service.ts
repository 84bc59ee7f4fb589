import { authenticatorCode, newAuthenticator } from '../challenges/codes.js';
import { keyedHash, open, seal } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { idPrefixes, newId } from '../shared/ids.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { generatePassword, hashPassword } from './passwords.js';
import type { OperatorRole } from './roles.js';

/** An operator as stored (docs/dashboard.md); email and TOTP secret sealed. */
export interface OperatorRow {
  id: string;
  email_hash: string;
  email: string;
  name: string;
  role: OperatorRole;
  password_hash: string;
  totp_secret: string;
  totp_last_step: string | null;
  failed_attempts: number;
  locked_until: Date | null;
  disabled_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export function operatorView(row: OperatorRow) {
  return {
    id: row.id,
    object: 'operator' as const,
    email: open('personal', row.email),
    name: row.name,
    role: row.role,
    disabled: row.disabled_at !== null,
    locked_until: row.locked_until?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type OperatorView = ReturnType<typeof operatorView>;

/** A new operator with what is shown once: the password (unless chosen) and the TOTP enrolment. */
export type CreatedOperator = OperatorView & { password?: string; totp_secret: string; totp_uri: string };

export interface NewOperator {
  readonly email: string;
  readonly name: string;
  readonly role: OperatorRole;
  /** Absent: one is generated and returned once. */
  readonly password?: string;
  /** The API key, operator or `cli` that creates it. */
  readonly created_by: string;
}

export function operatorEmailHash(email: string): string {
  return keyedHash('operator_email', email.trim().toLowerCase());
}

export async function createOperator(
  db: Queryable,
  input: NewOperator,
  now: Date = new Date(),
): Promise<Result<CreatedOperator>> {
  const password = input.password ?? generatePassword();
  const email = input.email.trim().toLowerCase();
  const totp = newAuthenticator(email);
  const inserted = await db.query<OperatorRow>(
    `INSERT INTO operators (id, email_hash, email, name, role, password_hash, totp_secret, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
     ON CONFLICT (email_hash) DO NOTHING RETURNING *`,
    [
      newId('operator', now.getTime()),
      operatorEmailHash(email),
      seal('personal', email),
      input.name,
      input.role,
      await hashPassword(password),
      seal('personal', totp.secret_base32),
      input.created_by,
      now,
    ],
  );
  const row = inserted.rows[0];
  if (row === undefined)
    return fail(domainError('operator_exists', 'An operator with this email exists.', 'email'));
  return ok({
    ...operatorView(row),
    ...(input.password === undefined ? { password } : {}),
    totp_secret: totp.secret_base32,
    totp_uri: totp.uri,
  });
}

export async function findOperator(
  db: Queryable,
  id: string,
  for_update = false,
): Promise<OperatorRow | undefined> {
  const found = await db.query<OperatorRow>(
    `SELECT * FROM operators WHERE id = $1${for_update ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return found.rows[0];
}

export async function getOperator(db: Queryable, id: string): Promise<Result<OperatorView>> {
  const row = await findOperator(db, id);
  return row === undefined ? fail(notFound('operator', id)) : ok(operatorView(row));
}

export function listOperators(db: Queryable, page: PageQuery): Promise<Result<Page<OperatorView>>> {
  return fetchPage<OperatorRow, OperatorView>(
    db,
    { table: 'operators', where: [], params: [], id_prefix: idPrefixes.operator, map: operatorView },
    page,
  );
}

export interface OperatorUpdate {
  readonly name?: string;
  readonly role?: OperatorRole;
  readonly disabled?: boolean;
}

/**
 * Changes name, role or whether the operator may sign in. Disabling ends every session at once;
 * enabling also lifts a lock-out.
 */
export async function updateOperator(
  db: Queryable,
  id: string,
  update: OperatorUpdate,
  now: Date,
  /** Why the caller may not change this operator (read under its row lock), if it may not. */
  refusal: (current: OperatorRow) => DomainError | undefined = () => undefined,
): Promise<Result<OperatorView>> {
  const current = await findOperator(db, id, true);
  if (current === undefined) return fail(notFound('operator', id));
  const refused = refusal(current);
  if (refused !== undefined) return fail(refused);
  const disabled_at =
    update.disabled === true
      ? (current.disabled_at ?? now)
      : update.disabled === false
        ? null
        : current.disabled_at;
  const saved = await db.query<OperatorRow>(
    `UPDATE operators SET name = $2, role = $3, disabled_at = $4, updated_at = $5,
       failed_attempts = CASE WHEN $6 THEN 0 ELSE failed_attempts END,
       locked_until = CASE WHEN $6 THEN NULL ELSE locked_until END
     WHERE id = $1 RETURNING *`,
    [
      id,
      update.name ?? current.name,
      update.role ?? current.role,
      disabled_at,
      now,
      update.disabled === false,
    ],
  );
  if (disabled_at !== null)
    await db.query('UPDATE operator_sessions SET ended_at = $2 WHERE operator_id = $1 AND ended_at IS NULL', [
      id,
      now,
    ]);
  return ok(operatorView(saved.rows[0] as OperatorRow));
}

/** What the operator's authenticator app shows at `now` (tests and screenshots). */
export function operatorCode(totp_secret_base32: string, now: Date = new Date()): string {
  return authenticatorCode(totp_secret_base32, now);
}
