// Wires what people who watch Solo OS use: the dashboard (pages and JSON API) and /metrics on the web chat's server,
// behind its checks, and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, run traces to an OpenTelemetry collector (the
// SDK is imported only then). Schedules and connector health show once their providers are passed here.

import type { WebChannel } from '../../adapters/channels/web/web-channel.ts';
import { DASHBOARD_API, DASHBOARD_PATH, dashboardApi, dashboardPages } from '../../adapters/http/dashboard/routes.ts';
import { METRICS_PATH, metricsHandler } from '../../adapters/http/metrics.ts';
import type { Config } from '../config.ts';
import type { DashboardSources } from '../dashboard/sources.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Engine } from '../engine/engine.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { RunTracer } from '../observability/tracing.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { Store } from '../ports/store.ts';

export interface DashboardParts extends Pick<DashboardSources, 'schedules' | 'connectors'> {
  config: Config;
  store: Store;
  engine: Engine;
  memory: MemoryService;
  policies: PolicyService;
  delivery: Pick<Delivery, 'held'>;
  web: Pick<WebChannel, 'route'>;
  logger: Logger;
  version: string;
}

export interface DashboardPart {
  metrics: Metrics;
  /** Present when traces are exported. */
  tracer?: RunTracer;
  /** Sends the last traces and closes the exporter. */
  stop(): Promise<void>;
}

export async function composeDashboard(p: DashboardParts): Promise<DashboardPart> {
  const { store, engine, memory, policies, schedules, connectors } = p;
  const sources: DashboardSources = { store, engine, memory, policies, ...(schedules ? { schedules } : {}), ...(connectors ? { connectors } : {}) };
  p.web.route(DASHBOARD_PATH, dashboardPages(), { api: false });
  p.web.route(DASHBOARD_API, dashboardApi(sources), { api: true });
  const metrics = await Metrics.create({
    events: store.events, runs: store.runs, approvals: store.approvals, held: () => p.delivery.held(),
    ...(schedules ? { schedules } : {}), ...(connectors ? { connectors } : {}), now: () => engine.now(),
  });
  p.web.route(METRICS_PATH, metricsHandler(() => metrics.scrape()), { api: true });

  const endpoint = p.config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { metrics, stop: async () => undefined };
  const { createOtlpSink } = await import('../../adapters/telemetry/otlp.ts');
  const sink = await createOtlpSink({
    endpoint, serviceName: p.config.OTEL_SERVICE_NAME, serviceVersion: p.version, ...(p.config.OTEL_EXPORTER_OTLP_HEADERS ? { headers: p.config.OTEL_EXPORTER_OTLP_HEADERS } : {}),
  });
  const tracer = new RunTracer({ store, sink, logger: p.logger, now: () => engine.now() });
  await tracer.start();
  p.logger.info({ endpoint }, 'exporting run traces over OTLP');
  return { metrics, tracer, stop: () => tracer.stop() };
}
