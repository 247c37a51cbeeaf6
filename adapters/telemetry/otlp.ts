// OTLP/HTTP trace export with the OpenTelemetry JS SDK (JSON encoding, to `<endpoint>/v1/traces`). Imported only
// when OTEL_EXPORTER_OTLP_ENDPOINT is set, so a start without it loads none of the SDK. Spans arrive finished (run
// traces are built from the journal once a run ends), so each is started and ended with its recorded times, under
// the ids spans.ts derived from the run.

import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { SpanSpec } from '../../src/observability/spans.ts';
import type { SpanSink } from '../../src/observability/tracing.ts';

export interface OtlpOptions {
  /** Base URL of the collector, e.g. http://127.0.0.1:4318 (the spec's OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  headers?: Record<string, string>;
  serviceName: string;
  serviceVersion: string;
  timeoutMs?: number;
}

/** The signal path joined to the base endpoint, as the OTLP spec says for OTEL_EXPORTER_OTLP_ENDPOINT. */
const tracesUrl = (endpoint: string): string => `${endpoint.replace(/\/+$/, '')}/v1/traces`;

export async function createOtlpSink(options: OtlpOptions): Promise<SpanSink> {
  const [api, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  /** Hands out the ids set for the span being started (spans.ts derives them), random ones otherwise. */
  const random = new sdk.RandomIdGenerator();
  let next: { traceId: string; spanId: string } | undefined;
  const ids = {
    generateTraceId: () => next?.traceId ?? random.generateTraceId(),
    generateSpanId: () => next?.spanId ?? random.generateSpanId(),
  };
  const otlp = new OTLPTraceExporter({
    url: tracesUrl(options.endpoint),
    ...(options.headers ? { headers: options.headers } : {}),
    timeoutMillis: options.timeoutMs ?? 10_000,
  });
  // Remembers a failed export, so the tracer keeps its position and sends those traces again at the next tick.
  const last: { failure?: Error } = {};
  const takeFailure = (): Error | undefined => {
    const failure = last.failure;
    delete last.failure;
    return failure;
  };
  const exporter: SpanExporter = {
    export: (spans, done) =>
      otlp.export(spans, (result) => {
        if (Number(result.code) !== 0) last.failure = result.error ?? new Error('the collector did not take the spans');
        done(result);
      }),
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
    }),
    idGenerator: ids,
    sampler: new sdk.AlwaysOnSampler(),
    spanProcessors: [
      new sdk.BatchSpanProcessor({ exporter, maxExportBatchSize: 512, maxQueueSize: 8192, scheduledDelayMillis: 1000 }),
    ],
  });
  const tracer = provider.getTracer('solo-os', options.serviceVersion);
  const code = { ok: api.SpanStatusCode.OK, error: api.SpanStatusCode.ERROR } as const;

  return {
    async export(spans: SpanSpec[]): Promise<void> {
      takeFailure();
      for (const spec of spans) {
        const parent = spec.parentId
          ? api.trace.setSpanContext(api.ROOT_CONTEXT, {
              traceId: spec.traceId,
              spanId: spec.parentId,
              traceFlags: api.TraceFlags.SAMPLED,
            })
          : api.ROOT_CONTEXT;
        next = { traceId: spec.traceId, spanId: spec.spanId };
        const span = tracer.startSpan(
          spec.name,
          {
            startTime: spec.start,
            attributes: { ...spec.attributes, 'solo.span_kind': spec.kind },
            kind: api.SpanKind.INTERNAL,
          },
          parent,
        );
        next = undefined;
        if (spec.status !== 'unset')
          span.setStatus({ code: code[spec.status], ...(spec.message ? { message: spec.message } : {}) });
        span.end(spec.end);
      }
      await provider.forceFlush();
      const failure = takeFailure();
      if (failure)
        throw new Error(`OTLP export to ${tracesUrl(options.endpoint)} failed: ${failure.message}`, { cause: failure });
    },
    close: () => provider.shutdown(),
  };
}
