// Runs a platform channel in the background, so that a platform that cannot be reached holds up neither start-up
// nor the other channels. Connecting, and connecting again after a lost connection, is retried with p-retry
// (1 s doubling to 60 s, with jitter); a refusal that retrying cannot fix (wrong credentials) ends the retries.
// The state is kept for /status and /healthz, and said in the log once per outage: a warning when it starts, an
// info line when it ends, each attempt in between at debug.

import pRetry, { AbortError } from 'p-retry';
import type { SentMessage } from '../domain/messages.ts';
import { SoloError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import {
  ChannelState,
  describeHealth,
  type Channel,
  type ChannelHealth,
  type ChannelMonitor,
  type DeliveryRef,
  type FileDelivery,
  type InboundHandler,
  type OutboundFile,
} from '../ports/channel.ts';

export interface SupervisorOptions {
  /** The platform's name in sentences, e.g. "Telegram". */
  label: string;
  logger: Logger;
  /** Backoff between attempts: minDelayMs, doubling up to maxDelayMs, each drawn between 1× and 2× (jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** An attempt that has not connected by then is stopped and counts as failed (a platform that never answers). */
  attemptTimeoutMs?: number;
  /** stop() waits this long for the channel, then gives up on it and says so. */
  stopTimeoutMs?: number;
}

const DEFAULTS = { minDelayMs: 1000, maxDelayMs: 60_000, attemptTimeoutMs: 30_000, stopTimeoutMs: 2500 };

/** Nothing is sent to a platform while its channel is not connected: the caller tries another chat at once. */
export class ChannelUnavailableError extends SoloError {}

/** The error's message as a phrase: one line, no final period. */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, '; ').replace(/[.\s]+$/, '') || 'unknown error';
}

/** Retrying cannot help: the adapter said so (a SoloError that is not retryable, e.g. refused credentials). */
const isPermanent = (err: unknown): boolean => err instanceof SoloError && !err.retryable;

/** Resolves true when `work` settles within `ms`, false otherwise (work keeps going, unawaited). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class SupervisedChannel implements Channel {
  readonly name: string;
  readonly inner: Channel;
  readonly #label: string;
  readonly #log: Logger;
  readonly #options: typeof DEFAULTS;
  readonly #abort = new AbortController();
  #handler: InboundHandler | undefined;
  #health: ChannelHealth = { state: ChannelState.starting, since: new Date() };
  /** The inner channel is started (its start() resolved) and not stopped since. */
  #running = false;
  /** Monitors of earlier runs are ignored: each run (a start that resolved) has its own number. */
  #generation = 0;
  /** The current outage: since when, and whether the warning was said. */
  #outage: { since: Date; warned: boolean } | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(inner: Channel, options: SupervisorOptions) {
    this.inner = inner;
    this.name = inner.name;
    this.#label = options.label;
    this.#log = options.logger.child({ component: inner.name });
    this.#options = {
      minDelayMs: options.minDelayMs ?? DEFAULTS.minDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
    };
  }

  /** Starts connecting in the background and resolves at once; health() tells how it goes. */
  async start(handler: InboundHandler): Promise<void> {
    if (this.#handler) throw new Error(`the ${this.#label} channel is already started`);
    this.#handler = handler;
    this.#connect();
  }

  health(): ChannelHealth {
    return this.#health;
  }

  describe(): string {
    const state = describeHealth(this.#health);
    return state === 'ok' ? this.inner.describe() : `${this.inner.describe()}: ${state}`;
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef | undefined> {
    return this.inner.deliver(chatId, this.#available(message));
  }

  async edit(ref: DeliveryRef, message: SentMessage): Promise<void> {
    if (!this.inner.edit) throw new Error(`${this.#label} messages cannot be edited`);
    await this.inner.edit(ref, this.#available(message));
  }

  async typing(chatId: string): Promise<void> {
    if (this.#running) await this.inner.typing?.(chatId);
  }

  async deliverFile(chatId: string, file: OutboundFile): Promise<FileDelivery | undefined> {
    return this.inner.deliverFile?.(chatId, file);
  }

  /** Ends the attempts and stops the channel, waiting for it at most stopTimeoutMs. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#generation += 1;
      this.#abort.abort(new Error('stopped'));
      // The attempt under way ends with the inner stop(); the loop then sees the abort.
      const stopped = this.inner
        .stop()
        .catch((err: unknown) => this.#log.warn({ err }, `${this.#label} did not stop cleanly`));
      if (!(await within(Promise.all([stopped, this.#loop]), this.#options.stopTimeoutMs))) {
        this.#log.warn(`${this.#label} did not stop within ${this.#options.stopTimeoutMs / 1000} s; leaving it behind`);
      }
      this.#running = false;
      this.#health = { state: ChannelState.stopped, since: new Date() };
    })();
    return this.#stopping;
  }

  #available<T>(value: T): T {
    if (this.#running) return value;
    throw new ChannelUnavailableError(
      'channel_unavailable',
      `${this.#label} is not connected (${describeHealth(this.#health)}).`,
      { retryable: true },
    );
  }

  /** Attempts start() until it resolves, with backoff; the first attempt right away. */
  #connect(): void {
    const { minDelayMs, maxDelayMs } = this.#options;
    const loop = pRetry((attempt) => this.#attempt(attempt), {
      retries: Infinity,
      factor: 2,
      minTimeout: minDelayMs,
      maxTimeout: maxDelayMs,
      randomize: true,
      signal: this.#abort.signal,
      onFailedAttempt: ({ error, attemptNumber, retryDelay }) => this.#failed(error, attemptNumber, retryDelay),
    }).then(
      () => this.#connected(),
      (err: unknown) => this.#gaveUp(err),
    );
    this.#loop = loop;
  }

  async #attempt(attempt: number): Promise<void> {
    this.#abort.signal.throwIfAborted();
    const handler = this.#handler;
    if (!handler) throw new AbortError('not started');
    const generation = ++this.#generation;
    const started = this.inner.start(handler, this.#monitor(generation));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const seconds = this.#options.attemptTimeoutMs / 1000;
      timer = setTimeout(
        () =>
          reject(
            new SoloError('channel_timeout', `${this.#label} did not connect within ${seconds} s`, { retryable: true }),
          ),
        this.#options.attemptTimeoutMs,
      );
    });
    try {
      await Promise.race([started, timeout]);
    } catch (err) {
      started.catch(() => undefined);
      if (!this.#abort.signal.aborted) this.#log.debug({ err, attempt }, `${this.#label}: attempt ${attempt} failed`);
      // Whatever the attempt left behind (a timed-out start still waiting) is stopped before the next one.
      await within(
        this.inner.stop().catch(() => undefined),
        this.#options.stopTimeoutMs,
      );
      if (isPermanent(err)) throw new AbortError(err as Error);
      // p-retry gives up on a TypeError that is not a network error; here only isPermanent() ends the attempts.
      throw err instanceof TypeError ? new Error(err.message, { cause: err }) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  #failed(error: Error, attempt: number, delayMs: number): void {
    const reason = reasonOf(error);
    const outage = (this.#outage ??= { since: new Date(), warned: false });
    this.#health = {
      state: ChannelState.retrying,
      since: outage.since,
      reason,
      nextAttemptAt: new Date(Date.now() + delayMs),
    };
    const next = `${Math.ceil(delayMs / 1000)} s`;
    if (outage.warned)
      return void this.#log.debug(
        { attempt, retryInMs: delayMs },
        `${this.#label}: attempt ${attempt} failed (${reason}); next attempt in ${next}`,
      );
    outage.warned = true;
    this.#log.warn(
      { attempt, retryInMs: delayMs },
      `Could not connect to ${this.#label}: ${reason}; retrying with backoff (next attempt in ${next}, then at most every ${this.#options.maxDelayMs / 1000} s) while the rest of Solo OS keeps working.`,
    );
  }

  #connected(): void {
    this.#loop = undefined;
    this.#running = true;
    const outage = this.#outage;
    this.#outage = undefined;
    this.#health = { state: ChannelState.connected, since: new Date() };
    if (outage?.warned)
      this.#log.info(
        { downForMs: Date.now() - outage.since.getTime() },
        `${this.#label} connected again after ${Math.round((Date.now() - outage.since.getTime()) / 1000)} s`,
      );
  }

  #gaveUp(err: unknown): void {
    this.#loop = undefined;
    if (this.#abort.signal.aborted) return;
    const reason = reasonOf(err);
    this.#health = { state: ChannelState.failed, since: new Date(), reason };
    this.#log.error(
      { err },
      `${this.#label} is off: ${reason}; not retrying until Solo OS restarts (the other channels keep working).`,
    );
  }

  /** What the inner channel reports once connected; calls from an earlier run, or before start() resolved, are ignored. */
  #monitor(generation: number): ChannelMonitor {
    const live = (): boolean => generation === this.#generation && this.#running && !this.#abort.signal.aborted;
    return {
      reconnecting: (reason) => {
        if (!live()) return;
        const why = reasonOf(reason);
        const outage = (this.#outage ??= { since: new Date(), warned: false });
        this.#health = { state: ChannelState.retrying, since: outage.since, reason: why };
        if (outage.warned) return void this.#log.debug(`${this.#label}: still reconnecting (${why})`);
        outage.warned = true;
        this.#log.warn(
          `Lost the connection to ${this.#label}: ${why}; its client keeps reconnecting while the rest of Solo OS keeps working.`,
        );
      },
      connected: () => {
        if (live() && this.#health.state !== ChannelState.connected) this.#connected();
      },
      lost: (reason) => {
        if (!live()) return;
        this.#generation += 1;
        this.#running = false;
        const why = reasonOf(reason);
        this.#outage ??= { since: new Date(), warned: false };
        this.#log.debug({ err: reason }, `${this.#label}: the connection ended (${why}); connecting again`);
        void within(
          this.inner.stop().catch(() => undefined),
          this.#options.stopTimeoutMs,
        ).then(() => {
          if (this.#abort.signal.aborted) return;
          if (isPermanent(reason)) return this.#gaveUp(reason);
          this.#health = { state: ChannelState.retrying, since: this.#outage?.since ?? new Date(), reason: why };
          this.#connect();
        });
      },
    };
  }
}
