// Wires what people who watch Solo OS use: the dashboard (pages and JSON API) and /metrics on the web chat's server,
// behind its checks, and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, run traces to an OpenTelemetry collector. Each
// part's code is imported on its first request (the tracing SDK only when the endpoint is set), so a start loads
// none of it. Schedules and connector health show once their providers are passed here.

import type { RouteHandler, WebChannel } from '../../adapters/channels/web/web-channel.ts';
import type { Config } from '../config.ts';
import type { DashboardSources } from '../dashboard/sources.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Engine } from '../engine/engine.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { EventTail } from '../observability/tail.ts';
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
  /** Sends the last traces and closes the exporter. */
  stop(): Promise<void>;
}

/** A handler whose module is imported on its first request; a failed import is tried again at the next one. */
function lazy(load: () => Promise<RouteHandler>): RouteHandler {
  let loaded: Promise<RouteHandler> | undefined;
  return async (req, res, url) => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    await (
      await loaded
    )(req, res, url);
  };
}

export async function composeDashboard(p: DashboardParts): Promise<DashboardPart> {
  const { store, engine, memory, policies, schedules, connectors } = p;
  const sources: DashboardSources = {
    store,
    engine,
    memory,
    policies,
    ...(schedules ? { schedules } : {}),
    ...(connectors ? { connectors } : {}),
  };
  const routes = () => import('../../adapters/http/dashboard/routes.ts');
  p.web.route(
    '/dashboard',
    lazy(async () => (await routes()).dashboardPages()),
    { api: false },
  );
  p.web.route(
    '/api/dashboard',
    lazy(async () => (await routes()).dashboardApi(sources)),
    { api: true },
  );
  // Metrics count from the newest event at start; prom-client and the reader load on the first scrape.
  const position = await EventTail.newestPosition(store.events);
  let metrics: Metrics | undefined;
  p.web.route(
    '/metrics',
    lazy(async () => {
      const [{ Metrics }, { metricsHandler }] = await Promise.all([
        import('../observability/metrics.ts'),
        import('../../adapters/http/metrics.ts'),
      ]);
      metrics ??= Metrics.from(
        {
          events: store.events,
          runs: store.runs,
          approvals: store.approvals,
          held: () => p.delivery.held(),
          ...(schedules ? { schedules } : {}),
          ...(connectors ? { connectors } : {}),
          now: () => engine.now(),
        },
        position,
      );
      const m = metrics;
      return metricsHandler(() => m.scrape());
    }),
    { api: true },
  );

  const endpoint = p.config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { stop: async () => undefined };
  const [{ createOtlpSink }, { RunTracer }] = await Promise.all([
    import('../../adapters/telemetry/otlp.ts'),
    import('../observability/tracing.ts'),
  ]);
  const sink = await createOtlpSink({
    endpoint,
    serviceName: p.config.OTEL_SERVICE_NAME,
    serviceVersion: p.version,
    ...(p.config.OTEL_EXPORTER_OTLP_HEADERS ? { headers: p.config.OTEL_EXPORTER_OTLP_HEADERS } : {}),
  });
  const tracer = new RunTracer({ store, sink, logger: p.logger, now: () => engine.now() });
  await tracer.start();
  p.logger.info({ endpoint }, 'exporting run traces over OTLP');
  return { stop: () => tracer.stop() };
}
