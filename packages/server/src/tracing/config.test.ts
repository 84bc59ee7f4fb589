import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { tracingConfigFromEnv } from './config.js';

describe('tracing configuration from the OTEL_* variables', () => {
  it('is off without an endpoint, whatever else is set, and with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(
      tracingConfigFromEnv({ OTEL_SERVICE_NAME: 'purse-eu', OTEL_TRACES_SAMPLER: 'always_on' }),
    ).toBeUndefined();
    expect(
      tracingConfigFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'TRUE',
      }),
    ).toBeUndefined();
  });

  it('appends /v1/traces to the base endpoint and takes the traces endpoint as given, which wins', () => {
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      traces_url: 'http://collector:4318/v1/traces',
      service_name: 'purse',
      sampler: 'parentbased_always_on',
      sampler_ratio: 1,
    });
    const both = tracingConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/spans',
      OTEL_SERVICE_NAME: 'purse-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_SDK_DISABLED: 'false',
    });
    expect(both).toEqual({
      traces_url: 'https://traces.example.com/otlp/spans',
      service_name: 'purse-eu',
      sampler: 'parentbased_traceidratio',
      sampler_ratio: 0.25,
    });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector/v1/traces' },
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be/,
    ],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER must be one of always_on/],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1/],
    [{ OTEL_TRACES_SAMPLER_ARG: '-0.1' }, /OTEL_TRACES_SAMPLER_ARG must be a ratio/],
    [{ OTEL_SDK_DISABLED: 'yes' }, /OTEL_SDK_DISABLED must be true or false/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '1s' }, /OTEL_BSP_SCHEDULE_DELAY must be a positive integer/],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /OTEL_EXPORTER_OTLP_PROTOCOL must be http\/json or http\/protobuf/,
    ],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
