import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attr, tracer } from './spans.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span (tracing/http.ts, registered only while tracing is on); null for a probe. */
    span: Span | null;
  }
}

/** Probes and scrapes, every few seconds from every monitor: traced, they would bury the traffic. */
const untraced_routes = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A SERVER span for every request but probes and scrapes, named `METHOD /route/pattern`, child of the caller's trace
 * when it sends `traceparent` (and `tracestate`). The response carries the span's own
 * `traceparent`, beside `Request-Id`, so a caller can find the trace. The span is made the active
 * one from the first preHandler hook on, so what the handler starts (a group-commit batch's link,
 * a rail call) hangs under it. Registered only when tracing is configured (app.ts).
 */
export function registerHttpTracing(app: FastifyInstance): void {
  app.decorateRequest('span', null);
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && untraced_routes.has(route)) return done();
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          // Never the query: a filter may be an email, and logs and traces hold no personal data.
          [ATTR_URL_PATH]: request.url.split('?', 1)[0],
          [ATTR_URL_SCHEME]: request.protocol,
          [attr.request_id]: request.id,
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
        },
      },
      propagation.extract(ROOT_CONTEXT, request.headers),
    );
    request.span = span;
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
    if (carrier.traceparent !== undefined) reply.header('traceparent', carrier.traceparent);
    done();
  });
  // Hooks run through callbacks and the body arrives through stream events, which lose the async
  // context; the handler is called from the last preHandler's `done`, so calling it inside
  // context.with makes the span active for the handler and everything it awaits.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.span === null) return done();
    context.with(trace.setSpan(context.active(), request.span), done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.span !== null && reply.statusCode >= 400) recordProblem(request.span, reply, payload);
    return payload;
  });
  app.addHook('onRequestAbort', async (request) => {
    request.span?.addEvent('client_aborted');
  });
  app.addHook('onResponse', async (request, reply) => endServerSpan(request, reply));
}

/** The problem's code on the span; a 5xx is an error, a 4xx (the client's) is not (OTel HTTP conventions). */
function recordProblem(span: Span, reply: FastifyReply, payload: unknown): void {
  const type = reply.getHeader('content-type');
  const code =
    typeof payload === 'string' && typeof type === 'string' && type.startsWith('application/problem+json')
      ? problemCode(payload)
      : undefined;
  if (code !== undefined) span.setAttribute(attr.problem_code, code);
  if (reply.statusCode < 500) return;
  span.setAttribute(ATTR_ERROR_TYPE, code ?? String(reply.statusCode));
  span.setStatus({ code: SpanStatusCode.ERROR, ...(code === undefined ? {} : { message: code }) });
}

function problemCode(payload: string): string | undefined {
  try {
    const body: unknown = JSON.parse(payload);
    return typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string'
      ? body.code
      : undefined;
  } catch {
    return undefined;
  }
}

function endServerSpan(request: FastifyRequest, reply: FastifyReply): void {
  const span = request.span;
  if (span === null) return;
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
  // `auth` exists on /v1 routes only (http/auth.ts), set once the credential was accepted.
  const auth = request.auth;
  if (auth !== undefined && auth !== null) {
    span.setAttribute(attr.key_id, auth.key_id);
    span.setAttribute(attr.livemode, auth.livemode);
  }
  span.end();
}
