import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { inTransaction, type Pool } from '../db/pool.js';
import { findHolderIdByEmail } from '../holders/lookup.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { getConsent, revokeConsent } from './consents.js';
import { codePage, connectedAppsPage, emailPage, messagePage, page_headers } from './pages.js';
import { oauth_mount_path } from './provider.js';
import type { HolderSignIn } from './sign-in.js';

export interface HolderPageDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly sign_in: HolderSignIn;
  /** Signs the session and CSRF cookies (the first cookie key). */
  readonly key: string;
}

const base = `${oauth_mount_path}/holder`;
const session_cookie = 'purse_holder';
const nonce_cookie = 'purse_holder_nonce';
const session_ttl_ms = 15 * 60_000;
const form_bytes_max = 16 * 1024;
const Csrf = Type.String({ minLength: 1, maxLength: 128 });
const ModeQuery = Type.Object({
  mode: Type.Optional(Type.Union([Type.Literal('test'), Type.Literal('live')])),
});

/**
 * Where a holder sees the apps connected to their wallets and removes one, without going through
 * the platform: sign in with email and a one-time code (as on the consent page), then a list of
 * active consents with a button each. The session is a signed cookie for this path only, 15
 * minutes long; every form carries a CSRF token bound to the session (or, before sign-in, to a
 * random cookie).
 */
export async function holderPages(app: FastifyInstance, deps: HolderPageDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: form_bytes_max },
    (_request, body, done) => done(null, parseQuery(body.toString())),
  );
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(page_headers);
  });
  const hidden = { hide: true, querystring: ModeQuery };

  app.get(base, { schema: hidden }, async (request, reply) => {
    const nonce = randomBytes(32).toString('base64url');
    setCookie(reply, nonce_cookie, nonce, request);
    const mode = modeOf(request);
    return html(
      reply,
      200,
      emailPage('Apps connected to your wallets', `${base}/email?mode=${mode}`, sign(deps, nonce)),
    );
  });

  const EmailForm = Type.Object({ csrf: Csrf, email: Type.String({ minLength: 3, maxLength: 254 }) });
  app.post(`${base}/email`, { schema: { ...hidden, body: EmailForm } }, async (request, reply) => {
    const { csrf, email } = request.body as { csrf: string; email: string };
    if (!preSignInFormValid(deps, request, csrf)) return refused(reply);
    const livemode = modeOf(request) === 'live';
    const holder_id = await findHolderIdByEmail(deps.pool, livemode, email);
    const issued =
      holder_id === undefined ? undefined : await deps.sign_in.issue({ id: holder_id, livemode });
    const challenge_id = issued?.ok === true ? issued.value.challenge_id : newId('challenge');
    const action = `${base}/code?mode=${modeOf(request)}`;
    return html(reply, 200, codePage('Sign in', action, csrf, challenge_id));
  });

  const CodeForm = Type.Object({
    csrf: Csrf,
    challenge_id: Type.String({ minLength: 1, maxLength: 64 }),
    code: Type.String({ maxLength: 32 }),
  });
  app.post(`${base}/code`, { schema: { ...hidden, body: CodeForm } }, async (request, reply) => {
    const { csrf, challenge_id, code } = request.body as { csrf: string; challenge_id: string; code: string };
    if (!preSignInFormValid(deps, request, csrf)) return refused(reply);
    const livemode = modeOf(request) === 'live';
    const checked = await deps.sign_in.check({ livemode, challenge_id, code });
    if (!checked.ok) {
      const action = `${base}/code?mode=${modeOf(request)}`;
      return html(
        reply,
        200,
        codePage('Sign in', action, csrf, challenge_id, 'That code is wrong or has expired.'),
      );
    }
    const expires_ms = deps.clock.now().getTime() + session_ttl_ms;
    const session = `${checked.value}.${livemode ? 'live' : 'test'}.${expires_ms}`;
    setCookie(reply, session_cookie, `${session}.${sign(deps, session)}`, request);
    return reply.code(303).header('Location', `${base}/apps`).send();
  });

  app.get(`${base}/apps`, { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(deps, request);
    if (session === undefined) return reply.code(303).header('Location', base).send();
    return html(reply, 200, connectedAppsPage(await connectedApps(deps, session)));
  });

  const RevokeForm = Type.Object({ csrf: Csrf });
  const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
  app.post(
    `${base}/apps/:id/remove`,
    { schema: { hide: true, params: IdParams, body: RevokeForm } },
    async (request, reply) => {
      const session = sessionOf(deps, request);
      const { id } = request.params as { id: string };
      const { csrf } = request.body as { csrf: string };
      if (session === undefined || !same(csrf, sign(deps, `remove:${session.cookie}`))) return refused(reply);
      const consent = await getConsent(deps.pool, session.livemode, id);
      if (!consent.ok || consent.value.holder_id !== session.holder_id)
        return html(reply, 404, messagePage('Not found', 'No such connected app.'));
      await inTransaction(deps.pool, (db) =>
        revokeConsent(db, session.livemode, id, 'holder', deps.clock.now()),
      );
      return reply.code(303).header('Location', `${base}/apps`).send();
    },
  );
}

interface HolderSession {
  readonly holder_id: string;
  readonly livemode: boolean;
  readonly cookie: string;
}

async function connectedApps(deps: HolderPageDeps, session: HolderSession) {
  const found = await deps.pool.query<{ id: string; name: string; scopes: string[]; wallet_ids: string[] }>(
    `SELECT c.id, cl.name, c.scopes, c.wallet_ids FROM oauth_consents c JOIN oauth_clients cl ON cl.id = c.client_id
     WHERE c.holder_id = $1 AND c.livemode = $2 AND c.status = 'active' ORDER BY c.id DESC LIMIT 100`,
    [session.holder_id, session.livemode],
  );
  const csrf = sign(deps, `remove:${session.cookie}`);
  return found.rows.map((row) => ({
    consent_id: row.id,
    app_name: row.name,
    scopes: row.scopes,
    wallet_ids: row.wallet_ids,
    action: `${base}/apps/${encodeURIComponent(row.id)}/remove`,
    csrf,
  }));
}

function modeOf(request: FastifyRequest): 'test' | 'live' {
  return (request.query as { mode?: 'test' | 'live' }).mode ?? 'live';
}

function sign(deps: HolderPageDeps, value: string): string {
  return createHmac('sha256', deps.key).update(`holder-page:${value}`).digest('base64url');
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookiesOf(request: FastifyRequest): Map<string, string> {
  const pairs = (request.headers.cookie ?? '').split(';').map((part) => part.trim().split('='));
  return new Map(pairs.filter((pair) => pair.length === 2) as [string, string][]);
}

/** Before sign-in, a form's token is the signature of this browser's random cookie. */
function preSignInFormValid(deps: HolderPageDeps, request: FastifyRequest, csrf: string): boolean {
  const nonce = cookiesOf(request).get(nonce_cookie);
  return nonce !== undefined && same(csrf, sign(deps, nonce));
}

/** The signed-in holder: `holder.mode.expires_ms.signature`, checked in constant time. */
function sessionOf(deps: HolderPageDeps, request: FastifyRequest): HolderSession | undefined {
  const cookie = cookiesOf(request).get(session_cookie);
  const parts = cookie?.split('.') ?? [];
  if (cookie === undefined || parts.length !== 4) return undefined;
  const [holder_id, mode, expires_ms, signature] = parts as [string, string, string, string];
  if (!same(signature, sign(deps, `${holder_id}.${mode}.${expires_ms}`))) return undefined;
  if (Number(expires_ms) <= deps.clock.now().getTime()) return undefined;
  return { holder_id, livemode: mode === 'live', cookie };
}

function setCookie(reply: FastifyReply, name: string, value: string, request: FastifyRequest): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header('Set-Cookie', `${name}=${value}; Path=${base}; HttpOnly; SameSite=Strict${secure}`);
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function refused(reply: FastifyReply): FastifyReply {
  return html(reply, 403, messagePage('Refused', 'This form was not sent from this page.'));
}
