// kill -9 during sending: a child process sends 10 invoice mails (distinct step keys) through the real connector to
// real servers and is SIGKILLed again and again (up to MAIL_CRASH_KILLS times, until a run gets through): at random moments, and right inside each crash window (after the
// Outbox copy, after SMTP accepted). It is rerun until it finishes. Exactly 10 mails reach the client, each once,
// each once in Sent, and nothing is left in the Outbox. MAIL_CRASH_SEED replays a sequence, MAIL_CRASH_KILLS
// changes the number of kills.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import { prng } from '../support/prng.ts';
import { mailServerSkipReason, startMailServers, type MailServers, type MailUser } from '../support/mail-server.ts';

const CHILD = fileURLToPath(new URL('./mail-crash-child.ts', import.meta.url));
const N = 10;
const KILLS = Number(process.env['MAIL_CRASH_KILLS'] ?? 12);
const skip = mailServerSkipReason();

type Plan = { kind: 'random'; afterMs: number } | { kind: 'outbox' | 'smtp'; at: number };

/** Runs the child once. With a plan, SIGKILLs it as planned; resolves with its output and whether it finished. */
function runChild(
  env: Record<string, string>,
  plan: Plan | undefined,
): Promise<{ done: boolean; killed: boolean; lines: string[] }> {
  const child = spawn(process.execPath, [CHILD], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let killed = false;
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (!killed && child.exitCode === null) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (line === 'ready' && plan?.kind === 'random') timer = setTimeout(kill, plan.afterMs);
      if (plan && plan.kind !== 'random' && line.startsWith(`${plan.kind} `) && ++seen === plan.at) kill();
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const done = lines.includes('done');
      if (!done && !killed) reject(new Error(`child failed (${code ?? signal}):\n${stderr}`));
      else resolve({ done, killed, lines });
    });
  });
}

describe('mail connector under kill -9', { skip }, () => {
  let servers: MailServers;
  before(async () => {
    servers = await startMailServers();
  });
  after(async () => {
    await servers?.stop();
  });

  test(
    `${N} invoice mails, SIGKILLed up to ${KILLS} times until done: exactly ${N} in the client's mailbox`,
    { timeout: 240_000 },
    async (t) => {
      const seed = Number(process.env['MAIL_CRASH_SEED'] ?? Date.now() % 1_000_000);
      t.diagnostic(`MAIL_CRASH_SEED=${seed}`);
      const random = prng(seed);
      const ops = servers.users[0] as MailUser;
      const env = {
        SMTP_URL: servers.url('smtp', ops),
        IMAP_URL: servers.url('imap', ops),
        MAIL_FROM: `Solo Ops <${ops.address}>`,
        MAIL_CRASH_N: String(N),
      };
      const landed = { random: 0, outbox: 0, smtp: 0 };
      let rounds = 0;
      for (let k = 0; k < KILLS; k++) {
        // The first two kills inside each window; then a third at a random moment, the rest inside a window, at one of
        // the next two mails.
        const r = k === 0 ? 0.5 : k === 1 ? 0.9 : random();
        const plan: Plan =
          r < 0.34
            ? { kind: 'random', afterMs: Math.floor(random() * 1200) }
            : { kind: r < 0.67 ? 'outbox' : 'smtp', at: k < 2 ? 1 : 1 + Math.floor(random() * 2) };
        const run = await runChild(env, plan);
        rounds++;
        if (run.killed) landed[plan.kind]++;
        if (run.done) break;
      }
      let final = await runChild(env, undefined);
      rounds++;
      assert.ok(final.done);
      t.diagnostic(
        `rounds ${rounds}; kills landed: random ${landed.random}, after Outbox ${landed.outbox}, after SMTP ${landed.smtp}`,
      );
      assert.ok(landed.outbox >= 1 && landed.smtp >= 1, 'kills landed inside both crash windows');
      assert.ok(
        landed.random + landed.outbox + landed.smtp >= 6,
        'the child was killed many times before it could finish',
      );

      const expected = Array.from({ length: N }, (_, i) => messageIdForKey(`invoice-run-${i + 1}:send`, 'example.com'));
      const inbox = servers.messageIds('client@example.net');
      assert.deepEqual([...inbox].sort(), [...expected].sort(), `exactly ${N} mails, each once, in the client's INBOX`);
      assert.deepEqual([...servers.messageIds(ops.address, 'Sent')].sort(), [...expected].sort(), 'each once in Sent');
      assert.deepEqual(servers.messageIds(ops.address, 'Solo Outbox'), [], 'nothing left in doubt');
      assert.equal(
        servers.delivered.filter((d) => d.to.includes('client@example.net')).length,
        N,
        'the SMTP server accepted exactly N',
      );
      // A last run after everything: sends nothing.
      final = await runChild(env, undefined);
      assert.equal(final.lines.filter((l) => l.startsWith('sent ')).length, 0);
      assert.equal(servers.messageIds('client@example.net').length, N);
    },
  );
});
