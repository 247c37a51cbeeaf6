// Traces for people who run their own monitoring: every finished run becomes one trace (the run the root span,
// each step a child, each model call a child of the step it ran in, see spans.ts), and each model call outside a
// run a trace of its own. A timer follows the event log and hands finished traces to a sink (the OTLP exporter),
// so a chat turn never waits for tracing. The position is kept in the settings: after a restart, export goes on
// where it stopped (a trace may then be sent twice; its ids are the same, so a collector sees one trace).

import type { StoredEvent } from '../domain/events.ts';
import type { Logger } from './logger.ts';
import type { Store } from '../ports/store.ts';
import { runSpans, standaloneLlmSpan, type SpanSpec } from './spans.ts';
import { EventTail } from './tail.ts';

export interface SpanSink {
  export(spans: SpanSpec[]): Promise<void>;
  close(): Promise<void>;
}

const POSITION_KEY = 'otel.position';
/** Traces handed to the sink per read, so a long catch-up goes out in pieces. */
const MAX_TRACES = 200;

export interface RunTracerOptions {
  store: Pick<Store, 'events' | 'runs' | 'approvals' | 'settings'>;
  sink: SpanSink;
  logger: Logger;
  everyMs?: number;
  now?: () => Date;
}

export class RunTracer {
  readonly #o: RunTracerOptions;
  readonly #log: Logger;
  #tail: EventTail | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<number> | undefined;

  constructor(options: RunTracerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'tracing' });
  }

  async start(): Promise<void> {
    const saved = await this.#o.store.settings.get<number>(POSITION_KEY);
    const position = typeof saved === 'number' ? saved : await EventTail.newestPosition(this.#o.store.events);
    this.#tail = new EventTail(this.#o.store.events, ['run.finished', 'llm.called', 'llm.failed'], position);
    this.#timer = setInterval(
      () => void this.flush().catch((err: unknown) => this.#log.warn({ err }, 'exporting traces failed; trying again')),
      this.#o.everyMs ?? 2000,
    );
    this.#timer.unref();
  }

  /** Exports what finished since the last call; resolves with the number of spans sent. One flush at a time. */
  flush(): Promise<number> {
    this.#busy ??= this.#flush().finally(() => (this.#busy = undefined));
    return this.#busy;
  }

  async #flush(): Promise<number> {
    const tail = this.#tail;
    if (!tail) return 0;
    let sent = 0;
    for (;;) {
      const spans: SpanSpec[] = [];
      const before = tail.position;
      let read: number;
      try {
        read = await tail.read(async (e) => void spans.push(...(await this.#spansOf(e))), MAX_TRACES);
        if (spans.length > 0) await this.#o.sink.export(spans);
      } catch (err) {
        tail.seek(before);
        throw err;
      }
      if (read > 0) await this.#o.store.settings.set(POSITION_KEY, tail.position);
      sent += spans.length;
      if (read < MAX_TRACES) return sent;
    }
  }

  async #spansOf(e: StoredEvent): Promise<SpanSpec[]> {
    if (e.type === 'llm.called' || e.type === 'llm.failed') return e.data.runId ? [] : [standaloneLlmSpan(e)];
    if (e.type !== 'run.finished') return [];
    const { runs, approvals, events } = this.#o.store;
    const run = await runs.get(e.data.runId);
    if (!run) return [];
    const steps = await runs.steps(run.id);
    const found = await Promise.all(
      steps.filter((s) => s.kind === 'approval').map((s) => approvals.findByStep(run.id, s.stepId)),
    );
    const stream = await events.readStream(`run:${run.id}`, { limit: 5000 });
    return runSpans({
      run,
      steps,
      events: stream,
      approvals: found.filter((a) => a !== null),
      now: (this.#o.now ?? (() => new Date()))(),
    });
  }

  /** Sends what is left, then closes the sink. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush().catch((err: unknown) => this.#log.warn({ err }, 'the last traces could not be exported'));
    await this.#o.sink.close();
  }
}
