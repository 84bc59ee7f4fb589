import { type Env, positiveInteger } from '../shared/env.js';

/** How root spans are sampled: OTEL_TRACES_SAMPLER's values (a parent's decision rules its children). */
export const sampler_names = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof sampler_names)[number];

const sdk_numbers = [
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
];

/** OpenTelemetry traces, exported over OTLP/HTTP (docs/operations.md, "Tracing"). */
export interface TracingConfig {
  /** Where spans are POSTed: the traces endpoint itself, e.g. http://collector:4318/v1/traces. */
  readonly traces_url: string;
  /** The resource's service.name (OTEL_SERVICE_NAME, default `purse`). */
  readonly service_name: string;
  readonly sampler: SamplerName;
  /** The ratio of traces kept by the `traceidratio` samplers, 0 to 1 (OTEL_TRACES_SAMPLER_ARG). */
  readonly sampler_ratio: number;
}

/**
 * The standard OTEL_* variables, read the way the OpenTelemetry specification defines them, and
 * checked here so a typo stops the start with a clear message instead of tracing nothing.
 * Undefined (tracing off, nothing installed) without an endpoint, or with OTEL_SDK_DISABLED=true.
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given; OTEL_EXPORTER_OTLP_ENDPOINT is a base to
 * which `/v1/traces` is appended. The SDK itself reads OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_EXPORTER_OTLP_TIMEOUT (and their TRACES_ forms) and the batch processor's OTEL_BSP_*; the
 * numbers among them are checked here too.
 */
export function tracingConfigFromEnv(env: Env): TracingConfig | undefined {
  const disabled = flag(env, 'OTEL_SDK_DISABLED');
  const traces_url = tracesUrl(env);
  const sampler = samplerFromEnv(env);
  const sampler_ratio = ratioFromEnv(env);
  checkProtocol(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  checkProtocol(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  // Read by the SDK itself, which would ignore a bad value with no more than a debug message.
  for (const name of sdk_numbers) positiveInteger(env, name, 1);
  if (disabled || traces_url === undefined) return undefined;
  return { traces_url, service_name: text(env, 'OTEL_SERVICE_NAME') ?? 'purse', sampler, sampler_ratio };
}

function tracesUrl(env: Env): string | undefined {
  const traces = text(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces);
  const base = text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return undefined;
  return `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base).replace(/\/+$/, '')}/v1/traces`;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an http:// or https:// URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name} must be an http:// or https:// URL, got "${value}"`);
  return value;
}

function samplerFromEnv(env: Env): SamplerName {
  const value = text(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const known = sampler_names.find((name) => name === value);
  if (known === undefined)
    throw new Error(`OTEL_TRACES_SAMPLER must be one of ${sampler_names.join(', ')}, got "${value}"`);
  return known;
}

function ratioFromEnv(env: Env): number {
  const value = text(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (value === undefined) return 1;
  const ratio = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || ratio > 1)
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "${value}"`);
  return ratio;
}

/** Spans go as OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver takes; gRPC is not spoken. */
function checkProtocol(env: Env, name: string): void {
  const value = text(env, name);
  if (value !== undefined && value !== 'http/json' && value !== 'http/protobuf')
    throw new Error(
      `${name} must be http/json or http/protobuf (both sent as OTLP/HTTP JSON), got "${value}"`,
    );
}

function flag(env: Env, name: string): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
