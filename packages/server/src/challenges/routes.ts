import { Type } from '@sinclair/typebox';
import { type Api, type RouteDeps, railContext, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { cancelChallenge, resendChallenge, revealCode } from './actions.js';
import {
  activateAuthenticator,
  enrollAuthenticator,
  getAuthenticator,
  removeAuthenticator,
} from './authenticators.js';
import { confirmChallenge } from './confirm.js';
import {
  ActivateAuthenticatorBody,
  Authenticator,
  Challenge,
  ChallengeCode,
  ChallengeListQuery,
  ConfirmChallengeBody,
  DeletedAuthenticator,
} from './schemas.js';
import { challengeSettings, getChallenge, listChallenges } from './service.js';

const EmptyBody = Type.Optional(Type.Object({}, { additionalProperties: false, examples: [{}] }));

export function challengeRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Challenges'];

  app.get(
    '/v1/challenges',
    {
      config: { scope: 'challenges:read' },
      schema: {
        tags,
        summary: 'List challenges',
        description:
          "Newest first; filter by holder and status. A restricted key sees its own requests' only.",
        querystring: ChallengeListQuery,
        response: { 200: ListOf(Challenge), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { livemode, restrictions, key_id } = authOf(request);
      // As with approvals: a restricted key follows its own requests only.
      const requester = restrictions === null ? undefined : key_id;
      return sendResult(request, reply, await listChallenges(deps.pool, livemode, request.query, requester));
    },
  );

  app.get(
    '/v1/challenges/:id',
    {
      config: { scope: 'challenges:read' },
      schema: {
        tags,
        summary: 'Retrieve a challenge',
        description: 'The request waiting for its holder’s code, and once confirmed what it answered.',
        params: IdParams,
        response: { 200: Challenge, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getChallenge(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/challenges/:id/confirm',
    {
      config: { scope: 'challenges:write' },
      schema: {
        tags,
        summary: 'Confirm with the code',
        description:
          "The holder's code (from the email, the authenticator app, or in test mode the sandbox) runs the waiting request once, in this request's transaction, on behalf of the key that made it; `result` holds what it answered (its blocking rules and hard limits still apply). A wrong code is 400 challenge_code_invalid and spends one of the attempts; with none left the challenge fails (429 challenge_attempts_exceeded). Only the requesting key, or a key without restrictions or a spend policy, confirms.",
        params: IdParams,
        body: ConfirmChallengeBody,
        response: { 200: Challenge, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        200,
        (db) =>
          confirmChallenge(
            {
              run: {
                ctx: railContext(deps, request, db),
                request_id: request.id,
                ip: request.ip,
                approval_ttl_s: deps.config.limits.approval_ttl_s,
                passed: { approved: false },
                challenges: challengeSettings(deps.config),
              },
              confirmer: authOf(request),
              holder_wrong_codes_max: deps.config.challenges.holder_wrong_codes_max,
            },
            request.params.id,
            request.body.code,
          ),
        // A wrong code's refusal keeps the attempt it spent.
        { commit_refusals: true },
      ),
  );

  app.post(
    '/v1/challenges/:id/resend',
    {
      config: { scope: 'challenges:write' },
      schema: {
        tags,
        summary: 'Send a new code',
        description: `A new code replaces the last one, which stops working (email, sandbox; not an authenticator app). At most ${deps.config.challenges.sends_max} codes per challenge.`,
        params: IdParams,
        body: EmptyBody,
        response: { 200: Challenge, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        resendChallenge(
          db,
          authOf(request),
          request.params.id,
          deps.config.challenges.sends_max,
          deps.clock.now(),
        ),
      ),
  );

  app.post(
    '/v1/challenges/:id/cancel',
    {
      config: { scope: 'challenges:write' },
      schema: {
        tags,
        summary: 'Cancel',
        description: 'The waiting request is dropped: nothing moves.',
        params: IdParams,
        body: EmptyBody,
        response: { 200: Challenge, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        cancelChallenge(db, authOf(request), request.params.id, deps.clock.now()),
      ),
  );

  app.post(
    '/v1/test_helpers/challenges/:id/reveal_code',
    {
      config: { scope: 'test_helpers:write' },
      schema: {
        tags: ['Test helpers'],
        summary: "Reveal a challenge's code",
        description:
          'Test mode: the code the holder would have received by email or the sandbox channel (the latest one). Not for an authenticator app, whose code the app computes.',
        params: IdParams,
        body: EmptyBody,
        response: { 200: ChallengeCode, ...errorResponses },
      },
    },
    // Not kept under an Idempotency-Key: the answer is a code, and asking again costs nothing.
    async (request, reply) =>
      sendResult(request, reply, await revealCode(deps.pool, authOf(request), request.params.id)),
  );

  authenticatorRoutes(app, deps);
}

function authenticatorRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Challenges'];
  const path = '/v1/holders/:id/authenticator';

  app.post(
    path,
    {
      config: { scope: 'holders:write' },
      schema: {
        tags,
        summary: 'Enroll an authenticator app',
        description:
          "A new TOTP secret (RFC 6238: 6 digits, 30 s) for the holder's app, shown once as `secret` and `uri` (for a QR code). It answers challenges once activated with a first code. Replaces an enrollment not yet activated; an active app must be deleted first (409 authenticator_exists).",
        params: IdParams,
        body: EmptyBody,
        response: { 200: Authenticator, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        200,
        (db) => enrollAuthenticator(db, authOf(request).livemode, request.params.id, deps.clock.now()),
        // A replay must not show the secret again.
        { replay_body: ({ secret: _secret, uri: _uri, ...rest }) => rest },
      ),
  );

  app.post(
    `${path}/activate`,
    {
      config: { scope: 'holders:write' },
      schema: {
        tags,
        summary: 'Activate the authenticator app',
        description:
          'With a code the app shows now: proves it holds the secret. From now on challenges ask the app.',
        params: IdParams,
        body: ActivateAuthenticatorBody,
        response: { 200: Authenticator, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        activateAuthenticator(
          db,
          authOf(request).livemode,
          request.params.id,
          request.body.code,
          deps.clock.now(),
        ),
      ),
  );

  app.get(
    path,
    {
      config: { scope: 'holders:read' },
      schema: {
        tags,
        summary: "Retrieve the holder's authenticator app",
        description: 'Its status; never the secret.',
        params: IdParams,
        response: { 200: Authenticator, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getAuthenticator(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );

  app.delete(
    path,
    {
      config: { scope: 'holders:write' },
      schema: {
        tags,
        summary: 'Remove the authenticator app',
        description: 'Challenges fall back to email (or the sandbox in test mode).',
        params: IdParams,
        response: { 200: DeletedAuthenticator, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        removeAuthenticator(db, authOf(request).livemode, request.params.id),
      ),
  );
}
