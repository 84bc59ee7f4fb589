import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/pool.js';
import { type DomainError, domainError, type ErrorCode, HttpProblem } from '../shared/errors.js';
import { timestamp_rule } from '../shared/time.js';
import { sendProblem } from './problem.js';

interface AjvIssue {
  instancePath: string;
  schemaPath?: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { 'x-purse-code'?: ErrorCode };
}

/**
 * Maps every error that reaches Fastify to a problem document. Client mistakes detected by the
 * framework (bad JSON, schema violations, oversized bodies) become 4xx with the field at fault;
 * anything else is a bug: logged with the request id, answered 500 without internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = clientError(error);
    if (mapped !== undefined) return sendProblem(request, reply, mapped);
    return sendProblem(request, reply, unexpectedProblem(request, error));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      domainError('route_not_found', `No endpoint ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}

/**
 * The answer to an error no one expected: the database cut off or too slow (nothing was
 * acknowledged, so the client may retry: 503), else a bug (500, logged with the request id).
 * Never the error's own text, which may quote the database.
 */
export function unexpectedProblem(request: FastifyRequest, error: unknown): DomainError {
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable');
    return domainError('service_unavailable', 'The database did not answer in time; retry shortly.');
  }
  request.log.error({ err: error }, 'unhandled error');
  return domainError('internal_error', 'An internal error occurred; quote the request id.');
}

function clientError(error: FastifyError): DomainError | undefined {
  if (error instanceof HttpProblem) return error.problem;
  if (error.validation !== undefined)
    return validationProblem(error.validation as AjvIssue[], error.validationContext);
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return domainError('invalid_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return domainError('body_too_large', 'The request body exceeds the size limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return domainError('unsupported_media_type', 'Send request bodies as application/json.');
    default:
      break;
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return domainError('invalid_json', 'The request body is not valid JSON.');
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return domainError('invalid_request', error.message);
  }
  return undefined;
}

function validationProblem(issues: AjvIssue[], context: string | undefined): DomainError {
  const issue = presentValueIssue(issues) ?? issues[0];
  if (issue === undefined) return domainError('invalid_request', 'The request is not valid.');
  const path = issue.instancePath
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  const extra = issue.params.additionalProperty ?? issue.params.missingProperty;
  if (typeof extra === 'string') path.push(extra);
  const param = path.join('.');
  const where = context === 'body' || context === undefined ? '' : ` (${context})`;
  const detail = describe(issue, param, where);
  // A missing field is a plain invalid_request; a present one may map to its own code.
  const code =
    issue.keyword === 'required'
      ? 'invalid_request'
      : (issue.parentSchema?.['x-purse-code'] ?? 'invalid_request');
  return param === '' ? domainError(code, detail) : domainError(code, detail, param);
}

/**
 * Where a union of objects failed (a payout's destination), every branch reports: prefer an issue
 * about a value that is present but malformed (a pattern, a length) over one about fields another
 * branch wanted, so a crypto destination with a bad address is answered about its address.
 */
function presentValueIssue(issues: readonly AjvIssue[]): AjvIssue | undefined {
  if (!issues.some((issue) => issue.schemaPath?.includes('/anyOf/') === true)) return undefined;
  return issues.find((issue) => value_keywords.has(issue.keyword));
}

const value_keywords = new Set(['pattern', 'format', 'minLength', 'maxLength', 'minimum', 'maximum', 'enum']);

function describe(issue: AjvIssue, param: string, where: string): string {
  const subject = param === '' ? `The ${where === '' ? 'body' : where.slice(2, -1)}` : `\`${param}\`${where}`;
  switch (issue.keyword) {
    case 'required':
      return `${subject} is required.`;
    case 'additionalProperties':
      return `${subject} is not a known field.`;
    case 'format':
      if (issue.params.format === 'date-time') return `${subject} ${timestamp_rule}.`;
      return `${subject} ${issue.message ?? 'is not valid'}.`;
    default:
      return `${subject} ${issue.message ?? 'is not valid'}.`;
  }
}

/**
 * Errors the router raises before any hook runs (a malformed URL, a path parameter longer than
 * the router allows): answered as problems too, instead of Fastify's own JSON.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.header('Request-Id', request.id);
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is longer than any id.'
      : 'The URL is not valid.';
  void sendProblem(request, reply, domainError('invalid_request', detail));
}
