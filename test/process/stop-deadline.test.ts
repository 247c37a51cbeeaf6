// The CLI's last resort after SIGINT/SIGTERM: the process ends within the deadline even when a part of Solo OS
// does not stop, with one line naming what it was still waiting for. (The real process meets its platforms in
// platform-outage.test.ts; here a stop that never ends stands in for a part that hangs.)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stopOnSignal } from '../../src/cli.ts';

function recorder(): {
  lines: string[];
  exits: number[];
  exited: Promise<number>;
  io: { write(text: string): void; exit(code: number): void };
} {
  const lines: string[] = [];
  const exits: number[] = [];
  let done: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (done = resolve));
  return {
    lines,
    exits,
    exited,
    io: {
      write: (text) => void lines.push(text),
      exit: (code) => {
        exits.push(code);
        done(code);
      },
    },
  };
}

describe('stopping on a signal', () => {
  test('a stop that never ends: exit 1 at the deadline, naming what did not stop', async () => {
    const out = recorder();
    const app = {
      stop: () => new Promise<void>(() => undefined),
      stillStopping: () => ['the telegram channel', 'the store'],
    };
    stopOnSignal('SIGTERM', Promise.resolve(app), () => app, out.io, 50);
    assert.equal(await out.exited, 1);
    assert.deepEqual(out.lines, [
      'Solo OS did not stop within 0.05 s of SIGTERM (still waiting for the telegram channel, the store); exiting anyway.\n',
    ]);
  });

  test('a start that never ends: exit 1 at the deadline, saying so', async () => {
    const out = recorder();
    stopOnSignal('SIGINT', new Promise(() => undefined), () => undefined, out.io, 50);
    assert.equal(await out.exited, 1);
    assert.deepEqual(out.lines, [
      'Solo OS did not stop within 0.05 s of SIGINT (still waiting for start-up to finish); exiting anyway.\n',
    ]);
  });

  test('a stop that ends: exit 0, nothing written, and the deadline does not fire later', async () => {
    const out = recorder();
    const app = { stop: async () => undefined, stillStopping: () => [] };
    stopOnSignal('SIGTERM', Promise.resolve(app), () => app, out.io, 50);
    assert.equal(await out.exited, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(out.exits, [0]);
    assert.deepEqual(out.lines, []);
  });
});
