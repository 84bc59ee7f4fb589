import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pool } from '../db/pool.js';
import { authOf } from '../http/auth.js';
import { domainError, HttpProblem, notFound } from '../shared/errors.js';
import {
  type ObjectKind,
  objectWallets,
  permittedWallets,
  type RestrictionsValue,
  sessionHolder,
} from './restrictions.js';

/**
 * What a restricted key may do on each route, like Stripe's keys for a connected account: it sees
 * only its own wallets and what touches them; anything else does not exist for it (404), so ids do
 * not leak. Routes not listed are refused with 403 key_restricted: new routes are closed to
 * restricted keys until someone decides how they apply.
 *
 * - `wallet_param` / `holder_param`: the path names one of its wallets (or its holder);
 * - `wallet_query`: a list filtered by one of its wallets, which the query must name;
 * - `object`: the object named by the path must involve one of its wallets, read from the object's
 *   own columns (`restrictions.ts` objectWallets), never from its serialized text: metadata can
 *   name any wallet. An approval or a challenge is visible to the key that asked for it. On a route that settles
 *   money an object holds (capture, escrow release), the guard then checks its paying wallet too,
 *   and an object that moves nothing any more (an ended escrow) is still 404, not 409;
 * - `holder_session`: the verification session the path names must be of the key's holder (a key
 *   restricted to wallets has no holder: every session is 404 to it);
 * - `screened`: a money movement, whose paying wallet the access checks verify (guard/screen.ts);
 * - `own`: a list its handler narrows to the key's wallets (`GET /v1/wallets`) or, for approvals,
 *   to those of its own requests (`GET /v1/approvals`, `GET /v1/challenges`), for verification
 *   sessions to its holder's;
 * - `open`: nothing of a wallet's (assets).
 */
export type RestrictedAccess =
  | { readonly wallet_param: string }
  | { readonly holder_param: string }
  | { readonly wallet_query: string }
  | { readonly object: ObjectKind }
  | 'holder_session'
  | 'screened'
  | 'own'
  | 'open';

export const restricted_routes: Readonly<Record<string, RestrictedAccess>> = {
  'GET /v1/assets': 'open',
  'GET /v1/assets/:code': 'open',
  'GET /v1/holders/:id': { holder_param: 'id' },
  'GET /v1/holders/:id/authenticator': { holder_param: 'id' },
  'GET /v1/wallets': 'own',
  'GET /v1/wallets/:id': { wallet_param: 'id' },
  'GET /v1/wallets/:id/transactions': { wallet_param: 'id' },
  'GET /v1/wallets/:id/balance': { wallet_param: 'id' },
  'GET /v1/wallets/:id/statement': { wallet_param: 'id' },
  'GET /v1/wallets/:id/payout_schedule': { wallet_param: 'id' },
  'GET /v1/transfers': { wallet_query: 'wallet_id' },
  'GET /v1/payouts': { wallet_query: 'wallet_id' },
  'GET /v1/transfers/:id': { object: 'transfer' },
  'GET /v1/payouts/:id': { object: 'payout' },
  'GET /v1/payments/:id': { object: 'payment' },
  'GET /v1/refunds/:id': { object: 'refund' },
  'GET /v1/escrows/:id': { object: 'escrow' },
  'GET /v1/approvals/:id': { object: 'approval' },
  'GET /v1/approvals': 'own',
  // A challenge, like an approval, is the key's own request waiting: it follows it to the end.
  'GET /v1/challenges/:id': { object: 'challenge' },
  'GET /v1/challenges': 'own',
  'POST /v1/challenges/:id/confirm': { object: 'challenge' },
  'POST /v1/challenges/:id/resend': { object: 'challenge' },
  'POST /v1/challenges/:id/cancel': { object: 'challenge' },
  'POST /v1/transfers': 'screened',
  'POST /v1/transfers/batch': 'screened',
  'POST /v1/payouts': 'screened',
  'POST /v1/payout_batches': 'screened',
  // Its own wallet's payouts only; the guard then screens the money each moves.
  'POST /v1/payouts/:id/cancel': { object: 'payout' },
  'POST /v1/payouts/:id/retry': { object: 'payout' },
  'POST /v1/escrows': 'screened',
  'POST /v1/escrows/:id/release': { object: 'escrow' },
  'POST /v1/escrows/:id/cancel': { object: 'escrow' },
  'POST /v1/escrows/:id/resolve': { object: 'escrow' },
  'POST /v1/transfers/:id/capture': { object: 'transfer' },
  'POST /v1/refunds': 'screened',
  // Onboarding: a key restricted to a holder verifies that holder, with files it uploaded itself.
  'POST /v1/files': 'open',
  'GET /v1/files/:id': { object: 'file' },
  'POST /v1/holders/:id/verification_sessions': { holder_param: 'id' },
  'GET /v1/verification_sessions': 'own',
  'GET /v1/verification_sessions/:id': 'holder_session',
  'POST /v1/verification_sessions/:id': 'holder_session',
  // Converting its own money: rates are public prices, a quote names no wallet, the conversion's
  // source wallet is screened like any payer's.
  'GET /v1/fx_rates': 'open',
  'GET /v1/fx_rates/:id': 'open',
  'POST /v1/fx_quotes': 'open',
  'GET /v1/fx_quotes/:id': { object: 'fx_quote' },
  'POST /v1/conversions': 'screened',
  'GET /v1/conversions': { wallet_query: 'wallet_id' },
  'GET /v1/conversions/:id': { object: 'conversion' },
};

/**
 * Routes that move money without passing the spend checks: a payout schedule pays out later, in
 * the worker; a bank statement puts returned payouts back in their wallets, as the file says.
 * Closed to keys with a spend policy, which could otherwise move money around it (restricted keys
 * are refused them anyway, as they are not in `restricted_routes`).
 */
export const unscreened_money_routes: ReadonlySet<string> = new Set([
  'POST /v1/wallets/:id/payout_schedule',
  'POST /v1/test_helpers/wallets/:id/run_payout_schedule',
  'POST /v1/payout_files',
  'POST /v1/bank_statements',
  // Subscriptions and invoices charge the holder's wallet now and again at every renewal, in the
  // worker: the spend checks see none of it.
  'POST /v1/subscriptions',
  'POST /v1/subscriptions/:id',
  'POST /v1/subscriptions/:id/cancel',
  'POST /v1/subscriptions/:id/pause',
  'POST /v1/subscriptions/:id/resume',
  'POST /v1/invoices',
  'POST /v1/invoices/:id/finalize',
  'POST /v1/invoices/:id/pay',
  // Usage is charged at the period's end; an advance runs renewals and retries that charge.
  'POST /v1/usage_records',
  'POST /v1/test_clocks/:id/advance',
]);

/**
 * Bank files as the bank gets them carry every destination's full account number: the operator's
 * to read, never an agent's, whatever scopes its key was given.
 */
export const operator_only_reads: ReadonlySet<string> = new Set(['GET /v1/payout_files/:id/xml']);

/**
 * An operator's decisions on a holder's verification and second factor: clearing a possible
 * sanctions match, verifying a holder (which lifts its tier and so its limits), enrolling or
 * removing the authenticator app that confirms its payments, unfreezing a wallet, setting exchange
 * rates. Closed to keys with a spend policy,
 * which could otherwise raise the limits they are held to or answer the holder's challenges
 * themselves (restricted keys are refused them anyway).
 */
export const operator_decisions: ReadonlySet<string> = new Set([
  'POST /v1/verification_sessions/:id/approve',
  'POST /v1/verification_sessions/:id/reject',
  'POST /v1/holders/:id/authenticator',
  'POST /v1/holders/:id/authenticator/activate',
  'DELETE /v1/holders/:id/authenticator',
  // Unfreezing undoes a freeze a sanctions match (or an operator) made.
  'POST /v1/wallets/:id/unfreeze',
  // A rate sets the price of every conversion: a key that could set one and convert would print
  // money at the platform's expense.
  'POST /v1/fx_rates',
  'POST /v1/fx_rates/import',
  // An operator signs in to the dashboard and acts in either mode: minting one is an administrator's act.
  'POST /v1/operators',
  'POST /v1/operators/:id',
]);

/**
 * Reads across the whole platform, for operators: search finds any holder by email and any
 * movement by amount. Closed to keys with a spend policy, which act for an agent within limits
 * (restricted keys are refused them anyway).
 */
export const platform_wide_reads: ReadonlySet<string> = new Set(['GET /v1/search']);

/** Applies `restricted_routes` to every request of a restricted key. */
export function registerRestrictedAccess(app: FastifyInstance, deps: { pool: Pool }): void {
  app.addHook('preHandler', async (request) => {
    const { restrictions, spend_policy } = authOf(request);
    const route = `${request.method} ${request.routeOptions.url}`;
    if (spend_policy !== null && unscreened_money_routes.has(route))
      throw new HttpProblem(
        domainError(
          'key_restricted',
          'A key with a spend policy cannot use an endpoint that moves money around it.',
        ),
      );
    if (spend_policy !== null && operator_only_reads.has(route))
      throw new HttpProblem(
        domainError(
          'key_restricted',
          'A key with a spend policy cannot read bank files: they carry account numbers.',
        ),
      );
    if (spend_policy !== null && operator_decisions.has(route))
      throw new HttpProblem(
        domainError(
          'key_restricted',
          "A key with a spend policy cannot make an operator's decision (a holder's verification or second factor, an exchange rate, an operator account).",
        ),
      );
    if (spend_policy !== null && platform_wide_reads.has(route))
      throw new HttpProblem(
        domainError('key_restricted', 'A key with a spend policy cannot search across the platform.'),
      );
    if (restrictions === null) return;
    const access = restricted_routes[route];
    if (access === undefined)
      throw new HttpProblem(domainError('key_restricted', 'A restricted API key cannot use this endpoint.'));
    if (access === 'holder_session') return checkSessionHolder(deps.pool, request, restrictions);
    if (typeof access === 'string') return;
    if ('object' in access) return checkObject(deps.pool, request, restrictions, access.object);
    await checkNamed(deps.pool, request, restrictions, access);
  });
}

/** The object the path names must be the key's own approval or involve one of its wallets. */
async function checkObject(
  pool: Pool,
  request: FastifyRequest,
  restrictions: RestrictionsValue,
  kind: ObjectKind,
): Promise<void> {
  const { key_id, livemode } = authOf(request);
  const id = (request.params as { id?: string }).id ?? '';
  const found = await objectWallets(pool, kind, id, livemode);
  if (found !== undefined) {
    if (found.api_key_id === key_id) return;
    if ((await permittedWallets(pool, restrictions, found.wallet_ids)).size > 0) return;
  }
  throw new HttpProblem(notFound(kind, id));
}

/** The verification session the path names must belong to the key's holder. */
async function checkSessionHolder(
  pool: Pool,
  request: FastifyRequest,
  restrictions: RestrictionsValue,
): Promise<void> {
  const id = (request.params as { id?: string }).id ?? '';
  const holder_id = await sessionHolder(pool, authOf(request).livemode, id);
  if (holder_id === undefined || holder_id !== restrictions.holder_id)
    throw new HttpProblem(notFound('verification session', id));
}

async function checkNamed(
  pool: Pool,
  request: FastifyRequest,
  restrictions: RestrictionsValue,
  access: Exclude<RestrictedAccess, string | { readonly object: ObjectKind }>,
): Promise<void> {
  if ('holder_param' in access) {
    const id = (request.params as Record<string, string>)[access.holder_param] ?? '';
    if (id !== restrictions.holder_id) throw new HttpProblem(notFound('holder', id));
    return;
  }
  const from_query = 'wallet_query' in access;
  const source = (from_query ? request.query : request.params) as Record<string, string | undefined>;
  const name = from_query ? access.wallet_query : access.wallet_param;
  const id = source[name];
  if (id === undefined)
    throw new HttpProblem(
      domainError('key_restricted', `A restricted API key must filter this list by ${name}.`, name),
    );
  if (!(await permittedWallets(pool, restrictions, [id])).has(id))
    throw new HttpProblem(notFound('wallet', id, name));
}
