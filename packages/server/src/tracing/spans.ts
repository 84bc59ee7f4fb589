import { context, type Span, type SpanOptions, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * Purse's tracer. Until a provider is installed (tracing/provider.ts, only when configured) it is
 * the API's no-op: starting a span costs an object and nothing is recorded or sent.
 */
export const tracer = trace.getTracer('purse');

/** Purse's own span attributes, beside the semantic conventions' (docs/operations.md, "Tracing"). */
export const attr = {
  request_id: 'purse.request_id',
  key_id: 'purse.key_id',
  livemode: 'purse.livemode',
  problem_code: 'purse.problem.code',
  batch_jobs: 'purse.batch.jobs',
  batch_transfers: 'purse.batch.transfers',
  /** On a request span's `group_commit.batch_started` event: the trace of the batch it went in. */
  batch_trace_id: 'purse.batch.trace_id',
  task: 'purse.task',
  handled: 'purse.task.handled',
  /** Set on a worker round that found nothing to do: its trace is not exported (idle-rounds.ts). */
  idle: 'purse.idle',
  job_id: 'purse.job.id',
  job_kind: 'purse.job.kind',
  /** The step and the object it acts on, e.g. a payout's id. */
  job_dedupe_key: 'purse.job.dedupe_key',
  job_attempt: 'purse.job.attempt',
  endpoint_id: 'purse.webhook.endpoint_id',
  delivery_id: 'purse.webhook.delivery_id',
  attempt: 'purse.webhook.attempt',
  event_id: 'purse.event.id',
  event_type: 'purse.event.type',
  rail: 'purse.rail',
  rail_status: 'purse.rail.status',
  /** Payouts in a pain.001 bank file. */
  payouts: 'purse.payouts',
} as const;

/** Runs `work` in a new span made the active one, ending it after; a throw marks it ERROR. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `inSpan` for synchronous work (the sandbox rails answer at once). */
export function inSpanSync<T>(name: string, options: SpanOptions, work: (span: Span) => T): T {
  return tracer.startActiveSpan(name, options, (span) => {
    try {
      return work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed by an exception: status ERROR, and the exception as an event. */
export function failSpan(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/** The active span when it is being recorded, so callers pay for attributes only when traced. */
export function recordingSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() === true ? span : undefined;
}

/**
 * `work`, to run later (in a group-commit batch) under the span active now (its request's), so the
 * spans it starts belong to the request's trace rather than the batch's.
 */
export function inCurrentSpan<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R {
  return context.bind(context.active(), work);
}

/**
 * The active span's ids for a log line (pino's mixin, cli/logger.ts), so a line written inside a
 * request's handler, a batch or a worker round leads to its trace; nothing when not traced.
 */
export function traceIdsForLog(): { trace_id?: string; span_id?: string } {
  const span = recordingSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
