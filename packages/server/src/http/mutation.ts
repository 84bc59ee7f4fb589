import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestAudit } from '../audit/request.js';
import type { Limits } from '../config.js';
import type { Client, Pool } from '../db/pool.js';
import { keyId, requestFingerprint } from '../requests/idempotency-store.js';
import { type Screen, screenAndApply } from '../requests/screening.js';
import { begin, claimKeys, recordAnswers, transientProblem } from '../requests/transaction.js';
import { catalogue, type DomainError, domainError } from '../shared/errors.js';
import { fail, type Result } from '../shared/result.js';
import { authOf } from './auth.js';
import { problem_content_type, problemBody, sendProblem } from './problem.js';

export interface MutationDeps {
  readonly pool: Pool;
  readonly limits: Limits;
}

type Work<T> = (db: Client) => Promise<Result<T>>;

export interface MutationOptions<T> {
  /** What a replay returns instead of the first response, for bodies that carry a one-time secret. */
  readonly replay_body?: (value: T) => unknown;
  /** Runs first inside the effect's savepoint: access checks of a money movement. */
  readonly screen?: (db: Client) => Promise<Screen<T>>;
  /**
   * The effect's writes commit even when it answers a domain error: a wrong one-time code spends
   * its attempt (challenges/confirm.ts). Only for an effect whose refusals write nothing else.
   */
  readonly commit_refusals?: true;
}

export const json_content_type = 'application/json; charset=utf-8';

/**
 * Runs a POST's effect in one database transaction together with its idempotency record, then
 * answers. With an `Idempotency-Key`, the key is locked first in that same transaction, so:
 * a replay gets the stored status and body; another body under the same key gets 422; a request
 * racing the first one waits for it (bounded) and then replays, or gets 409 if it is still running.
 * A domain error rolls back the effect (to a savepoint) but is itself recorded, as Stripe does; a
 * thrown bug rolls back everything, records nothing, and the key can be retried. So does a row lock
 * held past `lock_wait_ms_max` (or a deadlock), answered 409 lock_timeout: every wait is bounded.
 */
export async function runMutation<T>(
  deps: MutationDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  success_status: 200 | 201,
  work: Work<T>,
  options: MutationOptions<T> = {},
): Promise<FastifyReply> {
  const key = idempotencyKey(request, deps.limits);
  if (typeof key === 'object') return sendProblem(request, reply, key);
  const client = await deps.pool.connect();
  try {
    await begin(client, deps.limits, key !== undefined);
    // The fingerprint is only needed, and only computed, when there is a key to guard.
    const claim =
      key === undefined
        ? undefined
        : {
            api_key_id: authOf(request).key_id,
            key,
            fingerprint: requestFingerprint(request.method, request.url, request.body),
          };
    const replay =
      claim === undefined ? undefined : (await claimKeys(client, deps.limits, [claim])).get(keyId(claim));
    if (replay !== undefined) {
      await client.query('ROLLBACK');
      return 'error' in replay
        ? sendProblem(request, reply, replay.error)
        : sendStored(reply, replay.status, replay.body);
    }
    const { status, body, replay: stored } = await execute(client, request.id, success_status, work, options);
    await recordAnswers(client, [
      {
        claim,
        status,
        stored_body: stored,
        audit: requestAudit(request, request.audit_clock.now(), status, body),
      },
    ]);
    await client.query('COMMIT');
    request.audited = true;
    return reply
      .code(status)
      .type(status < 400 ? json_content_type : problem_content_type)
      .send(body);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const problem = transientProblem(error);
    if (problem !== undefined) return sendProblem(request, reply, problem);
    throw error;
  } finally {
    client.release();
  }
}

/** What a request's effect answered: the status, the body, and what a replay of its key returns. */
export interface Executed {
  readonly status: number;
  readonly body: string;
  readonly replay: string;
}

/**
 * Screens and runs a request's effect inside the caller's transaction (in a savepoint, so a refusal
 * or a domain error undoes only this request's writes) and renders its answer.
 */
export async function execute<T>(
  client: Client,
  request_id: string,
  success_status: number,
  work: Work<T>,
  options: MutationOptions<T>,
): Promise<Executed> {
  const screen = options.screen;
  const applied =
    options.commit_refusals === true
      ? { verdict: 'ran' as const, result: await work(client) }
      : await screenAndApply(client, 'effect', screen === undefined ? undefined : () => screen(client), () =>
          work(client),
        );
  if (applied.verdict === 'park') {
    const body = JSON.stringify(await applied.park(client));
    return { status: 202, body, replay: body };
  }
  const result = applied.verdict === 'refuse' ? fail(applied.error) : applied.result;
  if (!result.ok) {
    const problem = JSON.stringify(problemBody(result.error, request_id));
    return { status: catalogue[result.error.code].status, body: problem, replay: problem };
  }
  const body = JSON.stringify(result.value);
  const replay = options.replay_body === undefined ? body : JSON.stringify(options.replay_body(result.value));
  return { status: success_status, body, replay };
}

function sendStored(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('Idempotent-Replayed', 'true')
    .type(status < 400 ? json_content_type : problem_content_type)
    .send(body);
}

export function idempotencyKey(request: FastifyRequest, limits: Limits): string | undefined | DomainError {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > limits.idempotency_key_chars_max ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    return domainError(
      'invalid_request',
      `Idempotency-Key must be 1 to ${limits.idempotency_key_chars_max} printable ASCII characters.`,
      'Idempotency-Key',
    );
  }
  return value;
}
