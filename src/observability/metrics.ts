// Prometheus metrics (/metrics) as a projection of the event log: each scrape reads the events appended since the
// last one (messages, runs, steps, model calls, approvals, violations) into prom-client counters and histograms,
// and reads the current depths (pending approvals, held messages, runs by status, schedule lateness, connector
// health) from their owners. Nothing runs on a chat turn: the turn only writes the events it writes anyway, and
// prom-client itself is loaded on the first scrape. Counters start at zero when the process starts.

import type { StoredEvent } from '../domain/events.ts';
import type { ConnectorHealth } from '../ports/connector.ts';
import type { ApprovalStore, RunStore } from '../ports/engine-store.ts';
import type { EventLog } from '../ports/store.ts';
import type { ScheduleStatus } from '../dashboard/sources.ts';
import { EventTail } from './tail.ts';

type PromClient = typeof import('prom-client');

export interface MetricsSources {
  events: EventLog;
  runs: Pick<RunStore, 'list' | 'get'>;
  approvals: Pick<ApprovalStore, 'listPending'>;
  /** Proactive messages held through quiet hours. */
  held?: () => Promise<number>;
  schedules?: () => Promise<ScheduleStatus[]>;
  connectors?: () => Promise<ConnectorHealth[]>;
  now?: () => Date;
}

const TYPES = [
  'message.received',
  'button.tapped',
  'message.sent',
  'run.started',
  'run.finished',
  'step.completed',
  'step.retried',
  'step.failed',
  'llm.called',
  'llm.failed',
  'approval.decided',
  'policy.violation',
] as const;
const GAUGED_STATUSES = ['running', 'suspended', 'compensating', 'needs_review'] as const;
const MAX_RUN_NAMES = 10_000;

function build(prom: PromClient, register: InstanceType<PromClient['Registry']>) {
  const c = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new prom.Counter<L>({ name, help, labelNames, registers: [register] });
  const g = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new prom.Gauge<L>({ name, help, labelNames, registers: [register] });
  return {
    messages: c('solo_messages_total', 'Chat messages and button taps received, and messages sent', [
      'channel',
      'direction',
      'kind',
    ]),
    runsStarted: c('solo_runs_started_total', 'Workflow runs started', ['workflow']),
    runsFinished: c('solo_runs_finished_total', 'Workflow runs finished, by final status', ['workflow', 'status']),
    runs: g('solo_runs', 'Workflow runs not finished, by status', ['status']),
    steps: new prom.Histogram({
      name: 'solo_step_duration_seconds',
      help: "Duration of completed workflow steps (the operator's approvals are counted in solo_approvals_decided_total)",
      labelNames: ['workflow', 'kind'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600, 3600, 86_400],
      registers: [register],
    }),
    stepRetries: c('solo_step_retries_total', 'Failed step attempts that were retried', ['workflow']),
    stepFailures: c('solo_step_failures_total', 'Steps that failed for good', ['workflow']),
    llmCalls: c('solo_llm_calls_total', 'Model calls, by outcome', ['agent', 'model', 'outcome']),
    llmTokens: c('solo_llm_tokens_total', 'Model tokens', ['agent', 'model', 'type']),
    llmCost: c('solo_llm_cost_usd_total', 'Model cost in US dollars', ['agent', 'model']),
    llmLatency: new prom.Histogram({
      name: 'solo_llm_latency_seconds',
      help: 'Model call latency, retries included',
      labelNames: ['agent'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [register],
    }),
    approvalsDecided: c('solo_approvals_decided_total', 'Approvals decided, expired or withdrawn', ['decision', 'via']),
    approvalsPending: g('solo_approvals_pending', 'Approval cards waiting for the operator', []),
    held: g('solo_messages_held', 'Proactive messages held until quiet hours end', []),
    violations: c('solo_policy_violations_total', 'Actions, calls and spending stopped by a policy', ['policy']),
    lateness: g('solo_schedule_lateness_seconds', 'How late each scheduled job is (0 when on time)', ['schedule']),
    nextRun: g('solo_schedule_next_run_timestamp_seconds', 'When each scheduled job runs next (Unix time)', [
      'schedule',
    ]),
    connectorUp: g('solo_connector_up', '1 when a connector is healthy, 0 otherwise', ['connector', 'state']),
    position: g('solo_event_log_position', 'Position of the newest event read from the log', []),
  };
}

export class Metrics {
  readonly #s: MetricsSources;
  readonly #tail: EventTail;
  readonly #workflows = new Map<string, string>();
  #built: Promise<{ register: InstanceType<PromClient['Registry']>; m: ReturnType<typeof build> }> | undefined;
  #serial: Promise<unknown> = Promise.resolve();

  private constructor(sources: MetricsSources, position: number) {
    this.#s = sources;
    this.#tail = new EventTail(sources.events, [...TYPES], position);
  }

  /** Counts from the newest event now on. */
  static async create(sources: MetricsSources): Promise<Metrics> {
    return new Metrics(sources, await EventTail.newestPosition(sources.events));
  }

  /** Counts from the event after `position` (the newest when the process started, for a module loaded later). */
  static from(sources: MetricsSources, position: number): Metrics {
    return new Metrics(sources, position);
  }

  #load() {
    return (this.#built ??= import('prom-client').then((prom) => {
      const register = new prom.Registry();
      // Event-loop lag, CPU, memory, GC, handles: prom-client's defaults (the lag from libuv's delay histogram).
      prom.collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 20 });
      return { register, m: build(prom, register) };
    }));
  }

  /** The exposition text. Scrapes are serialised, so two at once never read the same events twice. */
  scrape(): Promise<{ contentType: string; body: string }> {
    const next = this.#serial.then(() => this.#scrape());
    this.#serial = next.catch(() => undefined);
    return next;
  }

  async #scrape(): Promise<{ contentType: string; body: string }> {
    const { register, m } = await this.#load();
    await this.#tail.read((e) => this.#count(m, e));
    m.position.set(this.#tail.position);
    await this.#gauges(m);
    return { contentType: register.contentType, body: await register.metrics() };
  }

  async #workflow(runId: string): Promise<string> {
    let name = this.#workflows.get(runId);
    if (name === undefined) {
      name = (await this.#s.runs.get(runId))?.workflow ?? 'unknown';
      this.#remember(runId, name);
    }
    return name;
  }

  #remember(runId: string, workflow: string): void {
    if (this.#workflows.size >= MAX_RUN_NAMES) this.#workflows.delete(this.#workflows.keys().next().value!);
    this.#workflows.set(runId, workflow);
  }

  async #count(m: ReturnType<typeof build>, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'message.received':
        return void m.messages.inc({ channel: e.data.channel, direction: 'in', kind: 'message' });
      case 'button.tapped':
        return void m.messages.inc({ channel: e.data.channel, direction: 'in', kind: 'button' });
      case 'message.sent':
        return void m.messages.inc({ channel: e.data.channel, direction: 'out', kind: 'message' });
      case 'run.started':
        this.#remember(e.data.runId, e.data.workflow);
        return void m.runsStarted.inc({ workflow: e.data.workflow });
      case 'run.finished':
        return void m.runsFinished.inc({ workflow: e.data.workflow, status: e.data.status });
      case 'step.completed':
        if (e.data.replayed) return;
        return void m.steps.observe(
          { workflow: await this.#workflow(e.data.runId), kind: e.data.kind },
          e.data.durationMs / 1000,
        );
      case 'step.retried':
        return void m.stepRetries.inc({ workflow: await this.#workflow(e.data.runId) });
      case 'step.failed':
        return void m.stepFailures.inc({ workflow: await this.#workflow(e.data.runId) });
      case 'llm.called': {
        const labels = { agent: e.data.agent ?? 'none', model: e.data.model };
        m.llmCalls.inc({ ...labels, outcome: 'ok' });
        m.llmTokens.inc({ ...labels, type: 'prompt' }, e.data.promptTokens);
        m.llmTokens.inc({ ...labels, type: 'completion' }, e.data.completionTokens);
        m.llmCost.inc(labels, e.data.costUsd);
        return void m.llmLatency.observe({ agent: labels.agent }, e.data.latencyMs / 1000);
      }
      case 'llm.failed':
        return void m.llmCalls.inc({ agent: e.data.agent ?? 'none', model: e.data.model, outcome: 'failed' });
      case 'approval.decided':
        return void m.approvalsDecided.inc({ decision: e.data.decision, via: e.data.via });
      case 'policy.violation':
        return void m.violations.inc({ policy: e.data.policy });
      default:
        return;
    }
  }

  async #gauges(m: ReturnType<typeof build>): Promise<void> {
    const now = (this.#s.now ?? (() => new Date()))();
    const [pending, held, schedules, connectors, ...byStatus] = await Promise.all([
      this.#s.approvals.listPending(100_000),
      this.#s.held?.() ?? Promise.resolve(undefined),
      this.#s.schedules?.().catch(() => undefined) ?? Promise.resolve(undefined),
      this.#s.connectors?.().catch(() => undefined) ?? Promise.resolve(undefined),
      ...GAUGED_STATUSES.map((status) => this.#s.runs.list({ statuses: [status], limit: 100_000 })),
    ]);
    m.approvalsPending.set(pending.length);
    if (held !== undefined) m.held.set(held);
    GAUGED_STATUSES.forEach((status, i) => m.runs.set({ status }, byStatus[i]?.length ?? 0));
    m.lateness.reset();
    m.nextRun.reset();
    for (const job of schedules ?? []) {
      const late = job.lateMs ?? (job.nextRunAt && job.nextRunAt < now ? now.getTime() - job.nextRunAt.getTime() : 0);
      m.lateness.set({ schedule: job.name }, late / 1000);
      if (job.nextRunAt) m.nextRun.set({ schedule: job.name }, job.nextRunAt.getTime() / 1000);
    }
    m.connectorUp.reset();
    for (const c of connectors ?? [])
      m.connectorUp.set({ connector: c.connector, state: c.state }, c.state === 'ok' ? 1 : 0);
  }
}
