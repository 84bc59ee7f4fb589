import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { attr } from './spans.js';

/** Spans of one round held until the round ends; past this many they go on without waiting. */
const held_spans_max = 1_000;

interface HeldRound {
  readonly root_span_id: string;
  readonly spans: ReadableSpan[];
}

/**
 * Drops the traces of worker rounds that found nothing to do. Every task runs every few hundred
 * milliseconds in every process (worker/scheduler.ts), so idle rounds would be most of what is
 * exported (about 20 spans a second per process) and bury the rounds that did work. A round is a
 * root span carrying `purse.task`; the spans started under it are held until it ends, then passed
 * on with it, or dropped with it when the scheduler marked it `purse.idle`. Nothing else is held.
 */
export class IdleRoundFilter implements SpanProcessor {
  private readonly rounds = new Map<string, HeldRound>();

  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parent: Context): void {
    const { traceId, spanId } = span.spanContext();
    if (span.parentSpanContext === undefined && span.attributes[attr.task] !== undefined)
      this.rounds.set(traceId, { root_span_id: spanId, spans: [] });
    this.inner.onStart(span, parent);
  }

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext();
    const round = this.rounds.get(traceId);
    if (round === undefined) {
      this.inner.onEnd(span);
      return;
    }
    if (spanId !== round.root_span_id) {
      if (round.spans.length < held_spans_max) round.spans.push(span);
      else this.inner.onEnd(span);
      return;
    }
    this.rounds.delete(traceId);
    if (span.attributes[attr.idle] === true) return;
    for (const held of round.spans) this.inner.onEnd(held);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
