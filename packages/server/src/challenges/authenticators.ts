import { open, seal } from '../crypto/keyring.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { authenticatorStep, newAuthenticator } from './codes.js';

/**
 * A holder's authenticator app (TOTP, RFC 6238): enrolled (pending) with a secret shown once,
 * active after the app's first code proves it holds the secret. Once active, challenges for the
 * holder ask the app rather than sending a code. The secret is sealed at rest.
 */

interface AuthenticatorRow {
  holder_id: string;
  livemode: boolean;
  status: 'pending' | 'active';
  secret_sealed: string;
  last_step: string | null;
  created_at: Date;
  activated_at: Date | null;
}

function view(row: AuthenticatorRow, shown?: { secret: string; uri: string }) {
  return {
    object: 'authenticator' as const,
    holder_id: row.holder_id,
    status: row.status,
    ...shown,
    activated_at: row.activated_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

export type AuthenticatorView = ReturnType<typeof view>;

async function holderExists(db: Queryable, livemode: boolean, holder_id: string): Promise<boolean> {
  return (await rowById(db, 'holders', livemode, holder_id)) !== undefined;
}

async function findAuthenticator(db: Queryable, livemode: boolean, holder_id: string, for_update = false) {
  const found = await db.query<AuthenticatorRow>(
    `SELECT * FROM holder_authenticators WHERE holder_id = $1 AND livemode = $2${for_update ? ' FOR UPDATE' : ''}`,
    [holder_id, livemode],
  );
  return found.rows[0];
}

/** Enrolls a new app, replacing one not yet activated; an active one must be removed first. */
export async function enrollAuthenticator(
  db: Client,
  livemode: boolean,
  holder_id: string,
  now: Date,
): Promise<Result<AuthenticatorView>> {
  if (!(await holderExists(db, livemode, holder_id))) return fail(notFound('holder', holder_id));
  const current = await findAuthenticator(db, livemode, holder_id, true);
  if (current?.status === 'active')
    return fail(domainError('authenticator_exists', `Holder ${holder_id} has an active authenticator app.`));
  const enrolled = newAuthenticator(holder_id);
  const saved = await db.query<AuthenticatorRow>(
    `INSERT INTO holder_authenticators (holder_id, livemode, status, secret_sealed, created_at)
     VALUES ($1, $2, 'pending', $3, $4)
     ON CONFLICT (holder_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = EXCLUDED.created_at,
       last_step = NULL
     RETURNING *`,
    [holder_id, livemode, seal('personal', enrolled.secret_base32), now],
  );
  return ok(view(saved.rows[0] as AuthenticatorRow, { secret: enrolled.secret_base32, uri: enrolled.uri }));
}

/** Activates an enrolled app with a code it shows, which proves it holds the secret. */
export async function activateAuthenticator(
  db: Client,
  livemode: boolean,
  holder_id: string,
  code: string,
  now: Date,
): Promise<Result<AuthenticatorView>> {
  if (!(await holderExists(db, livemode, holder_id))) return fail(notFound('holder', holder_id));
  const current = await findAuthenticator(db, livemode, holder_id, true);
  if (current === undefined)
    return fail(domainError('authenticator_not_found', `Holder ${holder_id} has none.`));
  if (current.status === 'active')
    return fail(
      domainError('authenticator_exists', `Holder ${holder_id}'s authenticator app is active already.`),
    );
  const step = authenticatorStep(open('personal', current.secret_sealed), code, now, null);
  if (step === undefined)
    return fail(domainError('challenge_code_invalid', 'The code is not the one the app shows now.', 'code'));
  const saved = await db.query<AuthenticatorRow>(
    `UPDATE holder_authenticators SET status = 'active', activated_at = $2, last_step = $3
     WHERE holder_id = $1 RETURNING *`,
    [holder_id, now, step],
  );
  return ok(view(saved.rows[0] as AuthenticatorRow));
}

export async function getAuthenticator(
  db: Queryable,
  livemode: boolean,
  holder_id: string,
): Promise<Result<AuthenticatorView>> {
  if (!(await holderExists(db, livemode, holder_id))) return fail(notFound('holder', holder_id));
  const current = await findAuthenticator(db, livemode, holder_id);
  return current === undefined
    ? fail(domainError('authenticator_not_found', `Holder ${holder_id} has no authenticator app.`))
    : ok(view(current));
}

/** Removes the app: challenges fall back to email or the sandbox. */
export async function removeAuthenticator(
  db: Client,
  livemode: boolean,
  holder_id: string,
): Promise<Result<{ object: 'authenticator'; holder_id: string; deleted: true }>> {
  if (!(await holderExists(db, livemode, holder_id))) return fail(notFound('holder', holder_id));
  const removed = await db.query('DELETE FROM holder_authenticators WHERE holder_id = $1 AND livemode = $2', [
    holder_id,
    livemode,
  ]);
  return removed.rowCount === 0
    ? fail(domainError('authenticator_not_found', `Holder ${holder_id} has no authenticator app.`))
    : ok({ object: 'authenticator', holder_id, deleted: true });
}
