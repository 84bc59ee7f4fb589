/**
 * Reads OTLP/HTTP JSON export requests (ExportTraceServiceRequest) into flat spans, for the tests'
 * collector: ids as the hex strings OTLP/JSON uses, attribute values unwrapped.
 */
export interface ReceivedSpan {
  readonly service_name: string | undefined;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly links: readonly { readonly trace_id: string; readonly span_id: string }[];
  readonly events: readonly {
    readonly name: string;
    readonly attributes: Readonly<Record<string, AttributeValue>>;
  }[];
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
}

export type AttributeValue = string | number | boolean | undefined;

interface KeyValue {
  readonly key: string;
  readonly value: {
    readonly stringValue?: string;
    readonly intValue?: number | string;
    readonly doubleValue?: number;
    readonly boolValue?: boolean;
  };
}

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes?: readonly KeyValue[];
  readonly links?: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly events?: readonly { readonly name: string; readonly attributes?: readonly KeyValue[] }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}

interface ExportRequest {
  readonly resourceSpans: readonly {
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans: readonly { readonly spans: readonly OtlpSpan[] }[];
  }[];
}

export function spansOfExport(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as ExportRequest;
  return request.resourceSpans.flatMap((resource) => {
    const service_name = attributesOf(resource.resource?.attributes)['service.name'];
    return resource.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        service_name: typeof service_name === 'string' ? service_name : undefined,
        trace_id: span.traceId,
        span_id: span.spanId,
        parent_span_id:
          span.parentSpanId === undefined || span.parentSpanId === '' ? undefined : span.parentSpanId,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        links: (span.links ?? []).map((link) => ({ trace_id: link.traceId, span_id: link.spanId })),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        status: { code: span.status?.code ?? 0, message: span.status?.message },
      })),
    );
  });
}

function attributesOf(list: readonly KeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const int = value.intValue === undefined ? undefined : Number(value.intValue);
    attributes[key] = value.stringValue ?? int ?? value.doubleValue ?? value.boolValue;
  }
  return attributes;
}
