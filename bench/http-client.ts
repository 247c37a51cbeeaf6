// HTTP clients for API calls, compared: 50 concurrent small JSON POSTs (what a bot answering 50 chats at once
// sends), against a minimal node:http server in a child process. With two cores or more and `taskset`, this process
// is pinned to core 0 and the server to core 1, as in bench/channels.ts.
// Per client: CPU per call (this thread; other threads, mostly the garbage collector's helpers, apart), round-trip
// p50/p95/p99, young-generation GC pauses (count, p50, max) and page faults during the timed rounds.
// Why it exists: adapters/channels/shared/fetch.ts picked its transport from these figures.
//
// Usage: node bench/http-client.ts [--concurrency=50] [--rounds=40] [--only=node-http,undici,fetch,apiFetch]

import { spawn, spawnSync } from 'node:child_process';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { apiFetch } from '../adapters/channels/shared/fetch.ts';
import { percentile } from './stats.ts';

const SCRIPT = new URL(import.meta.url).pathname;

if (process.argv[2] === 'server') {
  let calls = 0;
  let cpu = process.cpuUsage();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chat_id: number };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, result: { message_id: calls, chat: { id: body.chat_id } } }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
  process.on('message', () => {
    const used = process.cpuUsage(cpu);
    process.send?.({ cpuMs: (used.user + used.system) / 1000, calls });
    cpu = process.cpuUsage();
    calls = 0;
  });
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[2] === 'client') {
  await measure(process.argv[3] ?? '', Number(process.argv[4]), Number(process.argv[5]));
} else {
  const { values: args } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '40' },
      only: { type: 'string', default: 'node-http,undici,fetch,apiFetch' },
    },
  });
  console.log(
    `${args.concurrency} concurrent JSON POSTs per round, ${args.rounds} rounds, 100 ms apart; each client in a fresh process.`,
  );
  console.log(
    '  client      p50 ms  p95 ms  p99 ms | CPU ms per call: this thread  other threads  server | minor GCs  p50 ms  max ms | page faults',
  );
  for (const name of args.only.split(',')) {
    const run = spawnSync(process.execPath, [SCRIPT, 'client', name, args.concurrency, args.rounds], {
      stdio: 'inherit',
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

/** One client, in this process: warm-up, then the timed rounds; prints one line. */
async function measure(name: string, N: number, ROUNDS: number): Promise<void> {
  const pinned =
    availableParallelism() >= 2 && spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]).status === 0;
  const script = SCRIPT;
  const child = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, script, 'server'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, [script, 'server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> => new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
  const { port } = await next<{ port: number }>();
  const url = `http://127.0.0.1:${port}/bot1:token/sendMessage`;
  const body = (i: number): string => JSON.stringify({ chat_id: 10_000 + i, text: 'pong', parse_mode: 'HTML' });
  const headers = { 'content-type': 'application/json' };

  const httpAgent = new HttpAgent({ keepAlive: true });
  const undiciAgent = new UndiciAgent({ keepAliveTimeout: 30_000 });
  const clients: Record<string, (i: number) => Promise<unknown>> = {
    'node-http': (i) =>
      new Promise((resolve, reject) => {
        const b = body(i);
        const req = httpRequest(
          url,
          { method: 'POST', agent: httpAgent, headers: { ...headers, 'content-length': Buffer.byteLength(b) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          },
        );
        req.on('error', reject);
        req.end(b);
      }),
    undici: async (i) =>
      (await undiciRequest(url, { method: 'POST', dispatcher: undiciAgent, headers, body: body(i) })).body.json(),
    fetch: async (i) => (await fetch(url, { method: 'POST', headers, body: body(i) })).json(),
    apiFetch: async (i) => (await apiFetch(url, { method: 'POST', headers, body: body(i) })).json(),
  };

  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        pauses.push(e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });

  {
    const call = clients[name];
    if (!call) throw new Error(`unknown client ${name}; known: ${Object.keys(clients).join(', ')}`);
    const timed = async (i: number): Promise<number> => {
      const t = performance.now();
      await call(i);
      return performance.now() - t;
    };
    // Warm: JIT, connection pools.
    for (let r = 0; r < 20; r++) await Promise.all(Array.from({ length: N }, (_, i) => timed(i)));
    child.send('reset');
    await next();
    pauses.length = 0;
    const samples: number[] = [];
    const faults = process.resourceUsage().minorPageFault;
    const thread = process.threadCpuUsage();
    const all = process.cpuUsage();
    for (let r = 0; r < ROUNDS; r++) {
      samples.push(...(await Promise.all(Array.from({ length: N }, (_, i) => timed(i)))));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const threadUsed = process.threadCpuUsage(thread);
    const allUsed = process.cpuUsage(all);
    child.send('read');
    const server = await next<{ cpuMs: number; calls: number }>();
    const calls = samples.length;
    const threadMs = (threadUsed.user + threadUsed.system) / 1000;
    const otherMs = Math.max(0, (allUsed.user + allUsed.system) / 1000 - threadMs);
    samples.sort((a, b) => a - b);
    const gcs = [...pauses].sort((a, b) => a - b);
    const f = (n: number, w = 6): string => n.toFixed(1).padStart(w);
    console.log(
      `  ${name.padEnd(10)} ${f(percentile(samples, 50))}  ${f(percentile(samples, 95))}  ${f(percentile(samples, 99))} |` +
        `                 ${(threadMs / calls).toFixed(3)}          ${(otherMs / calls).toFixed(3)}   ${(server.cpuMs / server.calls).toFixed(3)} |` +
        ` ${String(gcs.length).padStart(9)}  ${f(gcs.length ? percentile(gcs, 50) : 0)}  ${f(gcs.at(-1) ?? 0)} | ${String(process.resourceUsage().minorPageFault - faults).padStart(11)}` +
        (pinned ? '' : '   (not pinned)'),
    );
  }
  observer.disconnect();
  child.disconnect();
  httpAgent.destroy();
  await undiciAgent.close();
  process.exit(0);
}
