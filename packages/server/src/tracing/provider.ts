import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  type SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from './config.js';
import { IdleRoundFilter } from './idle-rounds.js';

/** Shutdown waits this long for the last spans to reach the collector, then gives up on them. */
const flush_ms_max = 3_000;

export interface Tracing {
  /** Exports the spans still buffered (bounded by `flush_ms_max`) and uninstalls the provider. */
  shutdown(): Promise<void>;
}

/**
 * Installs the OpenTelemetry SDK for this process: a tracer provider with a batch span processor
 * exporting over OTLP/HTTP, W3C trace-context propagation and the AsyncLocalStorage context
 * manager. Called once at start, only when tracing is configured: otherwise nothing is installed
 * and every span Purse starts is the API's no-op.
 */
export function startTracing(config: TracingConfig): Tracing {
  const exporter = new OTLPTraceExporter({ url: config.traces_url });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.service_name }),
    sampler: new LinkedBatchSampler(samplerOf(config)),
    spanProcessors: [new IdleRoundFilter(new BatchSpanProcessor(exporter))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, flush_ms_max);
      });
      await Promise.race([provider.shutdown(), expired]);
      clearTimeout(timer);
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function samplerOf(config: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.sampler_ratio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

/**
 * A group-commit batch is a root span linked to the requests it carries (tracing/spans.ts). Left to
 * a ratio sampler alone, a sampled request would often link to a batch that was not kept; so a
 * root span is kept whenever one of its links was, and otherwise sampled as configured.
 */
class LinkedBatchSampler implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(
    context: Context,
    trace_id: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const root = trace.getSpanContext(context) === undefined;
    if (root && links.some((link) => (link.context.traceFlags & TraceFlags.SAMPLED) !== 0))
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.inner.shouldSample(context, trace_id, name, kind, attributes, links);
  }

  toString(): string {
    return `LinkedBatchSampler{${this.inner.toString()}}`;
  }
}
