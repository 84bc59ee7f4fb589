import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { isPartnerScope } from '../auth/partner-scopes.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { findHolderIdByEmail } from '../holders/lookup.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { findClientRow, type OAuthClientRow } from './clients.js';
import { recordConsent } from './consents.js';
import { type ConsentWallet, codePage, consentPage, emailPage, messagePage, page_headers } from './pages.js';
import { api_resource, oauth_mount_path } from './provider.js';
import type { HolderSignIn } from './sign-in.js';

export interface InteractionDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly provider: Provider;
  readonly sign_in: HolderSignIn;
  /** Signs the forms' CSRF tokens (the first cookie key). */
  readonly csrf_key: string;
  readonly consent_ttl_s: number;
}

const form_bytes_max = 16 * 1024;
const Csrf = Type.String({ minLength: 1, maxLength: 128 });
const EmailForm = Type.Object(
  { csrf: Csrf, email: Type.String({ minLength: 3, maxLength: 254 }) },
  { additionalProperties: false },
);
const CodeForm = Type.Object(
  {
    csrf: Csrf,
    challenge_id: Type.String({ minLength: 1, maxLength: 64 }),
    code: Type.String({ maxLength: 32 }),
  },
  { additionalProperties: false },
);
const WalletId = Type.String({ minLength: 1, maxLength: 64 });
const ConsentForm = Type.Object(
  {
    csrf: Csrf,
    decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
    wallet_ids: Type.Optional(Type.Union([WalletId, Type.Array(WalletId, { maxItems: 100 })])),
  },
  { additionalProperties: false },
);
const UidParams = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The pages the authorization server sends a holder to (its "interactions"): sign in with an email
 * and a one-time code, then see the app, the scopes and their wallets, and allow or deny. Each
 * page is bound to the interaction's signed cookie (oidc-provider checks it), and each form to a
 * CSRF token derived from the interaction. Nothing here is cached or framed.
 */
export async function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: form_bytes_max },
    (_request, body, done) => done(null, parseQuery(body.toString())),
  );
  const base = `${oauth_mount_path}/interaction/:uid`;
  const hidden = { hide: true, params: UidParams };

  app.get(base, { schema: hidden }, (request, reply) =>
    page(deps, request, reply, async (interaction, client) => {
      const csrf = csrfOf(deps, interaction.uid);
      if (interaction.prompt.name === 'login')
        return emailPage(
          `${client.name} wants access to your wallets`,
          `${actionOf(interaction.uid)}/email`,
          csrf,
        );
      return consentView(deps, interaction, client);
    }),
  );

  app.post(`${base}/email`, { schema: { ...hidden, body: EmailForm } }, (request, reply) =>
    page(deps, request, reply, async (interaction, client) => {
      if (interaction.prompt.name !== 'login') return alreadySignedIn();
      const { email } = request.body as { email: string };
      const holder_id = await findHolderIdByEmail(deps.pool, client.livemode, email);
      const issued =
        holder_id === undefined
          ? undefined
          : await deps.sign_in.issue({ id: holder_id, livemode: client.livemode });
      // An unknown email (or a holder no code can reach) gets the same page, with a challenge id
      // that exists nowhere: the page does not tell who has an account.
      const challenge_id = issued?.ok === true ? issued.value.challenge_id : newId('challenge');
      return codePage(
        `Sign in to connect ${client.name}`,
        `${actionOf(interaction.uid)}/code`,
        csrfOf(deps, interaction.uid),
        challenge_id,
      );
    }),
  );

  app.post(`${base}/code`, { schema: { ...hidden, body: CodeForm } }, (request, reply) =>
    page(deps, request, reply, async (interaction, client) => {
      if (interaction.prompt.name !== 'login') return alreadySignedIn();
      const { challenge_id, code } = request.body as { challenge_id: string; code: string };
      const checked = await deps.sign_in.check({ livemode: client.livemode, challenge_id, code });
      if (!checked.ok)
        return codePage(
          `Sign in to connect ${client.name}`,
          `${actionOf(interaction.uid)}/code`,
          csrfOf(deps, interaction.uid),
          challenge_id,
          'That code is wrong or has expired.',
        );
      return finish(deps, request, reply, { login: { accountId: checked.value } });
    }),
  );

  app.post(`${base}/consent`, { schema: { ...hidden, body: ConsentForm } }, (request, reply) =>
    page(deps, request, reply, async (interaction, client) => {
      const body = request.body as { decision: 'approve' | 'deny'; wallet_ids?: string | string[] };
      if (interaction.prompt.name !== 'consent' || interaction.session?.accountId === undefined)
        return messagePage('Sign in first', 'This page expected a signed-in holder.');
      if (body.decision === 'deny')
        return finish(deps, request, reply, {
          error: 'access_denied',
          error_description: 'The holder denied access.',
        });
      const chosen = typeof body.wallet_ids === 'string' ? [body.wallet_ids] : (body.wallet_ids ?? []);
      return approve(deps, { request, reply }, interaction, client, chosen);
    }),
  );
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type Rendered = string | { redirect: string };

/**
 * Runs one page: the interaction of the request's cookie (which must be the one in the URL), its
 * app, and the CSRF token of a form; then answers HTML, or a redirect back to the server.
 */
async function page(
  deps: InteractionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  render: (interaction: Interaction, client: OAuthClientRow) => Promise<Rendered>,
): Promise<FastifyReply> {
  reply.headers(page_headers);
  const { uid } = request.params as { uid: string };
  let interaction: Interaction;
  try {
    interaction = await deps.provider.interactionDetails(request.raw, reply.raw);
  } catch {
    return html(reply, 400, messagePage('This page has expired', 'Go back to the app and start again.'));
  }
  const client = await findClientRow(deps.pool, String(interaction.params.client_id));
  if (interaction.uid !== uid || client === undefined || client.revoked_at !== null)
    return html(reply, 400, messagePage('This page has expired', 'Go back to the app and start again.'));
  if (request.method === 'POST' && !csrfMatches(deps, uid, (request.body as { csrf: string }).csrf))
    return html(reply, 403, messagePage('Refused', 'This form was not sent from this page.'));
  const rendered = await render(interaction, client);
  if (typeof rendered === 'string') return html(reply, 200, rendered);
  // 303: the browser follows with a GET, as the authorization endpoint expects.
  return reply.code(303).header('Location', rendered.redirect).send();
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** The interaction's outcome, stored by the server; the browser goes back to it to finish. */
async function finish(
  deps: InteractionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  result: InteractionResults,
): Promise<Rendered> {
  const redirect = await deps.provider.interactionResult(request.raw, reply.raw, result, {
    mergeWithLastSubmission: false,
  });
  return { redirect };
}

/** The scopes asked for that the app may have (the server already refused any other). */
function askedScopes(interaction: Interaction, client: OAuthClientRow): string[] {
  const asked = String(interaction.params.scope ?? '').split(' ');
  return client.scopes.filter((scope) => isPartnerScope(scope) && asked.includes(scope));
}

async function walletsOf(
  deps: InteractionDeps,
  holder_id: string,
  livemode: boolean,
): Promise<ConsentWallet[]> {
  const found = await deps.pool.query<ConsentWallet>(
    `SELECT id, asset FROM accounts
     WHERE holder_id = $1 AND livemode = $2 AND kind = 'wallet' AND status <> 'closed' ORDER BY id`,
    [holder_id, livemode],
  );
  return found.rows;
}

async function consentView(
  deps: InteractionDeps,
  interaction: Interaction,
  client: OAuthClientRow,
  error?: string,
): Promise<string> {
  const holder_id = interaction.session?.accountId ?? '';
  return consentPage({
    app_name: client.name,
    action: `${actionOf(interaction.uid)}/consent`,
    csrf: csrfOf(deps, interaction.uid),
    scopes: askedScopes(interaction, client),
    wallets: await walletsOf(deps, holder_id, client.livemode),
    spend_policy: client.spend_policy,
    ...(error === undefined ? {} : { error }),
  });
}

/**
 * The holder allowed access: a grant for the asked scopes on the Purse API, and the consent that
 * binds it to the chosen wallets (the holder's own, of the app's mode) and to the app's limits.
 */
async function approve(
  deps: InteractionDeps,
  http: { request: FastifyRequest; reply: FastifyReply },
  interaction: Interaction,
  client: OAuthClientRow,
  chosen: readonly string[],
): Promise<Rendered> {
  const holder_id = interaction.session?.accountId ?? '';
  const owned = new Set((await walletsOf(deps, holder_id, client.livemode)).map((wallet) => wallet.id));
  const wallet_ids = [...new Set(chosen)];
  if (wallet_ids.length === 0 || wallet_ids.some((id) => !owned.has(id)))
    return consentView(deps, interaction, client, 'Choose at least one of your wallets.');
  const scopes = askedScopes(interaction, client);
  if (scopes.length === 0) return messagePage('Nothing to allow', 'The app asked for no scope it may have.');
  const grant = new deps.provider.Grant({ accountId: holder_id, clientId: client.id });
  grant.addOIDCScope(scopes.join(' '));
  grant.addResourceScope(api_resource, scopes.join(' '));
  const grant_id = await grant.save();
  const now = deps.clock.now();
  await inTransaction(deps.pool, (db) =>
    recordConsent(
      db,
      {
        livemode: client.livemode,
        client_id: client.id,
        holder_id,
        grant_id,
        scopes,
        wallet_ids,
        spend_policy: scopes.includes('payments:write') ? client.spend_policy : null,
        expires_at: new Date(now.getTime() + deps.consent_ttl_s * 1_000),
      },
      now,
    ),
  );
  return finish(deps, http.request, http.reply, { consent: { grantId: grant_id } });
}

/** Sign-in forms posted once the holder is signed in (a second tab, a replay) change nothing. */
function alreadySignedIn(): string {
  return messagePage('Already signed in', 'Go back to the consent page to allow or deny access.');
}

function actionOf(uid: string): string {
  return `${oauth_mount_path}/interaction/${encodeURIComponent(uid)}`;
}

/** A form's CSRF token: an HMAC of its interaction, which only this server can make. */
function csrfOf(deps: InteractionDeps, uid: string): string {
  return createHmac('sha256', deps.csrf_key).update(`csrf:${uid}`).digest('base64url');
}

function csrfMatches(deps: InteractionDeps, uid: string, presented: string): boolean {
  const expected = Buffer.from(csrfOf(deps, uid));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
