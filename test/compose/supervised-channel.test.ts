// The supervisor's own rules, with a channel that behaves like a platform that never answers or refuses: an attempt
// that hangs is stopped and retried; stop() cancels an attempt under way and never waits past its bound; a refusal
// ends the attempts; nothing is sent while not connected. (The real adapters against the fakes: outage-recovery.)

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { ChannelUnavailableError, SupervisedChannel } from '../../src/compose/supervised-channel.ts';
import { SoloError } from '../../src/domain/errors.ts';
import type { Channel, InboundHandler } from '../../src/ports/channel.ts';

const handler: InboundHandler = { handle: () => Promise.reject(new Error('not used')), commands: () => [] };

function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({ write: (chunk: Buffer, _enc, cb) => (out.push(chunk.toString()), cb()) }),
  );
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

/** A platform whose start() never resolves: it ends only when stop() is called (as the adapters do). */
class Silent implements Channel {
  readonly name = 'silent';
  starts = 0;
  stops = 0;
  #cancel: ((err: Error) => void) | undefined;
  start(): Promise<void> {
    this.starts += 1;
    return new Promise((_, reject) => (this.#cancel = reject));
  }
  async stop(): Promise<void> {
    this.stops += 1;
    this.#cancel?.(new Error('stopped'));
  }
  async deliver(): Promise<undefined> {
    throw new Error('reached the platform');
  }
  describe(): string {
    return 'Silent bot';
  }
}

const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('SupervisedChannel', () => {
  test('an attempt that never connects is stopped at its timeout and tried again; one warning for the outage', async () => {
    const inner = new Silent();
    const log = capture();
    const channel = new SupervisedChannel(inner, {
      label: 'Silent',
      logger: log.logger,
      attemptTimeoutMs: 50,
      minDelayMs: 10,
      maxDelayMs: 20,
    });
    await channel.start(handler);
    assert.equal(channel.health().state, 'starting');
    await until(() => inner.starts >= 3);
    assert.ok(inner.stops >= 2, 'each timed-out attempt was stopped before the next');
    assert.equal(channel.health().state, 'retrying');
    assert.equal(channel.health().reason, 'Silent did not connect within 0.05 s');
    assert.match(
      channel.describe(),
      /^Silent bot: retrying: Silent did not connect within 0\.05 s; next attempt in \d+ s$/,
    );
    await assert.rejects(channel.deliver('chat', { id: '1', text: 'hi', buttons: [] }), ChannelUnavailableError);
    await channel.stop();
    const warnings = log.lines().filter((l) => l.level >= 40);
    assert.deepEqual(
      warnings.map((l) => l.msg),
      [warnings[0]?.msg],
    );
    assert.match(
      warnings[0]?.msg ?? '',
      /^Could not connect to Silent: Silent did not connect within 0\.05 s; retrying with backoff/,
    );
  });

  test('stop() during an attempt cancels it, and no attempt follows', async () => {
    const inner = new Silent();
    const channel = new SupervisedChannel(inner, { label: 'Silent', logger: capture().logger, minDelayMs: 10 });
    await channel.start(handler);
    await until(() => inner.starts === 1);
    await channel.stop();
    assert.equal(channel.health().state, 'stopped');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(inner.starts, 1);
  });

  test('stop() returns within its bound when the channel never stops, and says so', async () => {
    const inner = new Silent();
    inner.stop = () => new Promise(() => undefined);
    const log = capture();
    const channel = new SupervisedChannel(inner, { label: 'Silent', logger: log.logger, stopTimeoutMs: 50 });
    await channel.start(handler);
    await channel.stop();
    assert.ok(
      log.lines().some((l) => l.level === 40 && l.msg === 'Silent did not stop within 0.05 s; leaving it behind'),
    );
  });

  test('a refusal retrying cannot fix ends the attempts: "failed", one error line', async () => {
    const inner = new Silent();
    inner.start = async () => {
      inner.starts += 1;
      throw new SoloError('silent_unauthorized', 'Silent refused the token; check SILENT_TOKEN.');
    };
    const log = capture();
    const channel = new SupervisedChannel(inner, { label: 'Silent', logger: log.logger, minDelayMs: 10 });
    await channel.start(handler);
    await until(() => channel.health().state === 'failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(inner.starts, 1);
    assert.equal(channel.health().reason, 'Silent refused the token; check SILENT_TOKEN');
    assert.deepEqual(
      log
        .lines()
        .filter((l) => l.level >= 40)
        .map((l) => l.msg),
      [
        'Silent is off: Silent refused the token; check SILENT_TOKEN; not retrying until Solo OS restarts (the other channels keep working).',
      ],
    );
    await channel.stop();
  });
});
