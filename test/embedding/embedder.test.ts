// The embedder on the real transformers.js pipeline (worker thread, onnxruntime) with a model generated into a temp
// folder: meaning, batching, priority, abort, missing/off models, downloads from a local fake hub, crashes, idling.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createEmbedder,
  EmbedderError,
  type Embedder,
  type EmbedderOptions,
} from '../../adapters/embedding/transformers/embedder.ts';
import { generateTinyModel, TINY_MODEL_ID } from '../support/tiny-model.ts';
import { startFakeHub } from './fake-hub.ts';

const root = mkdtempSync(join(tmpdir(), 'solo-embed-'));
const modelsDir = join(root, 'models');
const open: Embedder[] = [];
const logs: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });

function embedder(options: Partial<EmbedderOptions> = {}): Embedder {
  const e = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger, ...options });
  open.push(e);
  return e;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
});

after(async () => {
  await Promise.all(open.map((e) => e.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('embedder on the generated model', () => {
  test('related texts rank above unrelated ones; vectors are unit length', async () => {
    const e = embedder();
    const cases: [query: string, related: string, unrelated: string[]][] = [
      [
        'what is our marketing budget',
        'spending on advertising campaigns',
        ['meeting with the client tomorrow', 'reset my password login'],
      ],
      [
        'pay the invoice from acme',
        'the bill payment is overdue',
        ['write a blog post about seo', 'book a flight to the conference'],
      ],
      [
        'schedule a call with the customer',
        'appointment with the client on friday',
        ['vat taxes for the accountant', 'the logo design mockups'],
      ],
    ];
    for (const [query, related, unrelated] of cases) {
      const [q, r, ...u] = await e.embed([query, related, ...unrelated]);
      assert.ok(q && r);
      for (const v of [q, r, ...u]) assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-4, 'L2-normalised');
      for (const [i, v] of u.entries()) {
        assert.ok(
          dot(q, r) > dot(q, v) + 0.2,
          `"${related}" (${dot(q, r).toFixed(2)}) should beat "${unrelated[i]}" (${dot(q, v).toFixed(2)}) for "${query}"`,
        );
      }
    }
    assert.deepEqual(e.status(), { state: 'ready', model: TINY_MODEL_ID, dims: 64 });
  });

  test('vectors equal transformers.js’s own feature-extraction pipeline (mean pooling, normalised), padding included', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.localModelPath = modelsDir;
    env.allowRemoteModels = false;
    const reference = await pipeline('feature-extraction', TINY_MODEL_ID, { dtype: 'q8' });
    const texts = [
      'budget',
      'the overdue invoice from acme for the website redesign project',
      '',
      'Zürich café, 2024!',
    ];
    const expected = (await reference(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
    const got = await embedder().embed(texts);
    for (const [i, v] of got.entries()) {
      const want = Float32Array.from(expected[i] ?? []);
      assert.equal(v.length, want.length);
      assert.ok(dot(v, want) > 0.99999, `text ${i}: cosine ${dot(v, want)}`);
    }
    await reference.dispose();
  });

  test('a batch of many texts of mixed lengths comes back in order, equal to one-by-one results', async () => {
    const e = embedder({ batchSize: 16 });
    const words = ['budget', 'invoice', 'meeting', 'client', 'deadline', 'email', 'contract', 'project'];
    const texts = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + ((i * 7) % 23) }, (_, j) => words[(i + j * 3) % words.length]).join(' '),
    );
    const vectors = await e.embed(texts);
    assert.equal(vectors.length, 300);
    for (const i of [0, 17, 150, 299]) {
      const [alone] = await e.embed([texts[i] ?? '']);
      assert.ok(alone && vectors[i]);
      assert.ok(dot(alone, vectors[i]) > 0.9999, `text ${i} matches its own embedding`);
    }
    assert.ok(dot(vectors[0]!, vectors[1]!) < 0.99, 'different texts, different vectors');
  });

  test('a query jumps ahead of queued background work', async () => {
    const e = embedder({ batchSize: 2 });
    await e.embed(['warm']);
    const done: string[] = [];
    const background = e
      .embed(
        Array.from({ length: 200 }, (_, i) => `client invoice ${i}`),
        { priority: 'background' },
      )
      .then(() => done.push('background'));
    const query = e.embed(['marketing budget'], { priority: 'query' }).then(() => done.push('query'));
    await Promise.all([background, query]);
    assert.deepEqual(done, ['query', 'background']);
  });

  test('an aborted request rejects with the signal’s reason and does not disturb the others', async () => {
    const e = embedder({ batchSize: 4 });
    const controller = new AbortController();
    const other = e.embed(Array.from({ length: 40 }, (_, i) => `project ${i}`));
    const aborted = e.embed(['email newsletter'], { signal: controller.signal });
    controller.abort(new Error('user went away'));
    await assert.rejects(aborted, /user went away/);
    assert.equal((await other).length, 40);
  });

  test('bad input is refused clearly', async () => {
    const e = embedder();
    await assert.rejects(e.embed([42 as unknown as string]), TypeError);
    assert.deepEqual(await e.embed([]), []);
  });
});

describe('when there is no model', () => {
  test('missing with downloads off → unavailable, naming `npm run models` and MODELS_DIR; found once it appears', async () => {
    const dir = join(root, 'empty-models');
    const e = embedder({ modelsDir: dir });
    const err = await e.embed(['budget']).then(
      () => assert.fail('should reject'),
      (x: unknown) => x,
    );
    assert.ok(err instanceof EmbedderError);
    assert.equal(err.code, 'embedder_unavailable');
    const status = e.status();
    assert.equal(status.state, 'unavailable');
    assert.match(status.reason ?? '', /npm run models/);
    assert.match(status.reason ?? '', /MODELS_DIR \(.*empty-models\)/);
    assert.equal(status.reason?.split(/[.!?]\s/).length, 1, 'one sentence');

    await generateTinyModel(join(dir, TINY_MODEL_ID), { dtypes: ['q8'] });
    assert.equal((await e.embed(['budget']))[0]?.length, 64);
    assert.equal(e.status().state, 'ready');
  });

  test('a model file that does not load → unavailable with the reason, and not retried before the backoff', async () => {
    const dir = join(root, 'broken-models');
    await generateTinyModel(join(dir, TINY_MODEL_ID), { dtypes: ['q8'] });
    writeFileSync(join(dir, TINY_MODEL_ID, 'onnx/model_quantized.onnx'), 'not an onnx file');
    const e = embedder({ modelsDir: dir, retryMs: 60_000 });
    const loads = () => logs.filter((l) => l.includes('embedding model: loading') && l.includes(dir)).length;
    await assert.rejects(
      e.embed(['budget']),
      (x: unknown) => x instanceof EmbedderError && x.code === 'embedder_unavailable',
    );
    assert.match(e.status().reason ?? '', /failed to load: .*tries again in 1 min/);
    const before = loads();
    for (let i = 0; i < 3; i++) await assert.rejects(e.embed(['budget']), /failed to load/);
    assert.equal(loads(), before, 'no new worker before the retry time');
  });

  test('EMBEDDING_MODEL=off → state off and embed rejects', async () => {
    const e = embedder({ model: 'off' });
    assert.deepEqual(e.status(), { state: 'off', model: 'off' });
    await assert.rejects(e.embed(['budget']), (x: unknown) => x instanceof EmbedderError && x.code === 'embedder_off');
  });

  test('downloads on first use from the hub with progress, then works from MODELS_DIR', async () => {
    const hubRoot = join(root, 'hub');
    await generateTinyModel(join(hubRoot, 'acme/tiny-hub'), { dtypes: ['q8'] });
    const hub = await startFakeHub(hubRoot);
    try {
      const dir = join(root, 'download-models');
      const from = logs.length;
      const e = embedder({ model: 'acme/tiny-hub', modelsDir: dir, allowDownload: true, remoteHost: hub.url });
      const [v] = await e.embed(['invoice']);
      assert.equal(v?.length, 64);
      assert.ok(existsSync(join(dir, 'acme/tiny-hub/onnx/model_quantized.onnx')), 'weights kept in MODELS_DIR');
      assert.ok(hub.requests.some((r) => r.includes('/acme/tiny-hub/resolve/main/onnx/model_quantized.onnx')));
      const progress = logs
        .slice(from)
        .map((l) => JSON.parse(l) as { msg: string; progress?: number })
        .filter((l) => l.msg.startsWith('embedding model: downloading'));
      assert.ok(
        progress.some((l) => l.progress === 100),
        'a progress line reaching 100 %',
      );
    } finally {
      await hub.close();
    }
  });

  test('hub unreachable → unavailable with the reason, retried later (not in a loop), then recovers', async () => {
    const hubRoot = join(root, 'hub2');
    await generateTinyModel(join(hubRoot, 'acme/tiny-flaky'), { dtypes: ['q8'] });
    const hub = await startFakeHub(hubRoot);
    try {
      hub.down = true;
      const e = embedder({
        model: 'acme/tiny-flaky',
        modelsDir: join(root, 'flaky-models'),
        allowDownload: true,
        remoteHost: hub.url,
        retryMs: 400,
      });
      await assert.rejects(
        e.embed(['invoice']),
        (x: unknown) => x instanceof EmbedderError && x.code === 'embedder_unavailable',
      );
      assert.equal(e.status().state, 'unavailable');
      assert.match(e.status().reason ?? '', /unreachable/);
      const seen = hub.requests.length;
      for (let i = 0; i < 5; i++) await assert.rejects(e.embed(['invoice']), /unreachable/);
      assert.equal(hub.requests.length, seen, 'no new attempt before the retry time');
      hub.down = false;
      await new Promise((r) => setTimeout(r, 450));
      assert.equal((await e.embed(['invoice']))[0]?.length, 64);
    } finally {
      await hub.close();
    }
  });
});

for (const isolation of ['process', 'thread'] as const) {
  describe(`worker lifecycle (${isolation})`, () => {
    test('a worker that dies mid-batch rejects what was pending; the next call starts a fresh one', async () => {
      const e = embedder({ isolation, batchSize: 4, workerUrl: new URL('./crash-worker.ts', import.meta.url) });
      await e.embed(['warm']);
      const crashing = e.embed(['budget', '__crash__']);
      const queued = e.embed(Array.from({ length: 20 }, (_, i) => `meeting ${i}`));
      const crashed = (x: unknown) =>
        x instanceof EmbedderError && x.code === 'embedder_crashed' && /stopped unexpectedly.*code 70/.test(x.message);
      await Promise.all([assert.rejects(crashing, crashed), assert.rejects(queued, crashed)]);
      assert.equal(e.status().state, 'idle');
      const [v] = await e.embed(['budget']);
      assert.equal(v?.length, 64);
      assert.equal(e.status().state, 'ready');
    });

    test('the worker stops after idling and starts again on demand', async () => {
      const e = embedder({ isolation, idleMs: 150 });
      const first = (await e.embed(['contract signed']))[0];
      assert.equal(e.status().state, 'ready');
      await until(() => e.status().state === 'idle');
      assert.ok(logs.some((l) => l.includes('embedding worker stopped after idling')));
      assert.deepEqual(e.status(), { state: 'idle', model: TINY_MODEL_ID, dims: 64 });
      const again = (await e.embed(['contract signed']))[0];
      assert.ok(first && again && dot(first, again) > 0.9999);
    });
  });
}

describe('closing', () => {
  test('close rejects pending work and refuses new work', async () => {
    const e = embedder();
    const pending = assert.rejects(
      e.embed(Array.from({ length: 50 }, (_, i) => `task ${i}`)),
      (x: unknown) => x instanceof EmbedderError && x.code === 'embedder_closed',
    );
    await e.close();
    await pending;
    await assert.rejects(e.embed(['x']), /closed/);
  });
});
