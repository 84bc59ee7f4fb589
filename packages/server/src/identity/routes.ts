import type { FastifyRequest } from 'fastify';
import type { Client } from '../db/pool.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { ok, type Result } from '../shared/result.js';
import { sanctionsScreen } from './holder-screening.js';
import {
  CreateSessionBody,
  RejectSessionBody,
  SessionListQuery,
  UpdateSessionBody,
  VerificationSession,
} from './schemas.js';
import {
  approveSession,
  createSession,
  getSession,
  listSessions,
  rejectSession,
  type SessionContext,
  type SessionView,
  updateSession,
  viewForRestricted,
} from './service.js';
import { verifierFor } from './verifier.js';

export function verificationRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const identity = deps.config.identity;
  // Read once, at start: a list that cannot be read stops the start (list.ts).
  const { list: sanctions, thresholds } = sanctionsScreen(identity);
  const context = (request: FastifyRequest, db: Client): SessionContext => {
    const { livemode, key_id, restrictions } = authOf(request);
    return {
      db,
      livemode,
      now: deps.clock.now(),
      limits: deps.config.limits,
      attacher: { livemode, key_id, restricted: restrictions !== null },
      decide: { verifier: verifierFor(livemode, identity.live_verifier), sanctions, thresholds },
    };
  };
  // A restricted key (the end user's) sees no sanctions detail: viewForRestricted.
  const shown = async (request: FastifyRequest, pending: Promise<Result<SessionView>>) => {
    const result = await pending;
    return authOf(request).restrictions === null || !result.ok ? result : ok(viewForRestricted(result.value));
  };
  const tags = ['Verification sessions'];
  const Session = { 200: VerificationSession, ...errorResponses };

  app.post(
    '/v1/holders/:id/verification_sessions',
    {
      config: { scope: 'verification_sessions:write' },
      schema: {
        tags,
        summary: 'Start a verification',
        description:
          "KYC of a person or KYB of a business and its owners, for the holder. Decided at once with what is given: requires_input (see missing_fields), processing (an operator decides), verified (the holder's kyc_tier is set) or rejected. See docs/identity.md for the sandbox's test data.",
        params: IdParams,
        body: CreateSessionBody,
        response: { 201: VerificationSession, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        shown(request, createSession(context(request, db), request.params.id, request.body)),
      ),
  );

  app.get(
    '/v1/verification_sessions',
    {
      config: { scope: 'verification_sessions:read' },
      schema: {
        tags,
        summary: 'List verification sessions',
        description: "Newest first; filter by holder_id or status. A restricted key sees only its holder's.",
        querystring: SessionListQuery,
        response: { 200: ListOf(VerificationSession), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { livemode, restrictions } = authOf(request);
      const only = restrictions === null ? undefined : (restrictions.holder_id ?? null);
      const page = await listSessions(deps.pool, livemode, request.query, only);
      const seen =
        restrictions === null || !page.ok
          ? page
          : ok({ ...page.value, data: page.value.data.map(viewForRestricted) });
      return sendResult(request, reply, seen);
    },
  );

  app.get(
    '/v1/verification_sessions/:id',
    {
      config: { scope: 'verification_sessions:read' },
      schema: {
        tags,
        summary: 'Retrieve a verification session',
        description:
          'Its status, what is missing or why it was rejected; which input it holds, never the values.',
        params: IdParams,
        response: Session,
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await shown(request, getSession(deps.pool, authOf(request).livemode, request.params.id)),
      ),
  );

  app.post(
    '/v1/verification_sessions/:id',
    {
      config: { scope: 'verification_sessions:write' },
      schema: {
        tags,
        summary: 'Update a verification session',
        description:
          'Adds or corrects input (documents included) of a session that requires input, which is then decided again. Metadata can change in any status.',
        params: IdParams,
        body: UpdateSessionBody,
        response: Session,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        shown(request, updateSession(context(request, db), request.params.id, request.body)),
      ),
  );

  app.post(
    '/v1/verification_sessions/:id/approve',
    {
      // Sets the holder's tier, which holders:write guards: the scope that submits does not decide.
      config: { scope: ['verification_sessions:write', 'holders:write'] },
      schema: {
        tags,
        summary: 'Approve a verification session under review',
        description:
          "An operator's decision on a processing session: a possible sanctions match is cleared and the verifier decides next; a session waiting for a manual decision is verified.",
        params: IdParams,
        response: Session,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        approveSession(context(request, db), request.params.id),
      ),
  );

  app.post(
    '/v1/verification_sessions/:id/reject',
    {
      // Sets the holder's tier, which holders:write guards: the scope that submits does not decide.
      config: { scope: ['verification_sessions:write', 'holders:write'] },
      schema: {
        tags,
        summary: 'Reject a verification session',
        description:
          "An operator's rejection of an open session; code sanctions_match also sets the holder to rejected at tier 0 and freezes its wallets.",
        params: IdParams,
        body: RejectSessionBody,
        response: Session,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        rejectSession(context(request, db), request.params.id, request.body),
      ),
  );
}
