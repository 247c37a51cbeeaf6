// Recall indexes at 10k and 100k memories: build time, RSS, hybrid / keyword / vector top-10 latency, and recall@10
// of the coded vector search (sign codes in memory, rows on disk, see src/memory/index/vector-index.ts) against
// exact search. Synthetic but shaped like the real thing: short business facts from
// templates about ~500 clients (a few clients own most memories); 384-d vectors built from the memory's meaning
// (topic, template, client, month, person, amount: one direction each) plus wording noise, normalised.
// Query vectors are precomputed (embedding time is not part of recall latency).
// Usage: node bench/recall.ts [sizes=10000,100000] [queries=1000]   (RERANK=n: candidates scored exactly)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecallIndex } from '../src/memory/index/hybrid.ts';
import { TieredVectorIndex } from '../src/memory/index/vector-index.ts';
import { line, summary } from './stats.ts';
import { prng as rng } from '../test/support/prng.ts';

const DIMS = 384;

const SYL = [
  'ac',
  'me',
  'bo',
  'ra',
  'vin',
  'tel',
  'lu',
  'mo',
  'ka',
  'zen',
  'fi',
  'no',
  'sa',
  'dor',
  'pe',
  'qui',
  'ran',
  'so',
  'tha',
  'wel',
];
const SUFFIX = ['Corp', 'Studio', 'Labs', 'GmbH', 'Bakery', 'Partners', 'Design', 'Media', 'Dental', 'Logistics'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const PEOPLE = ['Jane', 'Omar', 'Lena', 'Kofi', 'Maria', 'Tom', 'Yuki', 'Ravi', 'Ana', 'Piotr'];

/** Topic → templates; {c} client, {p} person, {m} month, {n} number. */
const TOPICS: Array<[string, string[]]> = [
  [
    'payment terms',
    [
      '{c} pays invoices on net-{n} terms',
      '{c} asked to move payment terms to net-{n}',
      '{c} always pays late, usually {n} days after the due date',
    ],
  ],
  ['discount', ['{c} asked for a {n}% discount on the {m} invoice', 'Agreed a {n}% loyalty discount with {c}']],
  ['budget', ['{c} budget for the {m} campaign is {n}k', '{c} said the budget is capped at {n}k this year']],
  ['meeting', ['Weekly call with {p} from {c} on Tuesdays at {n}:00', '{p} at {c} prefers meetings before noon']],
  ['contact', ['{p} is the main contact at {c}', '{p} replaced the previous account manager at {c} in {m}']],
  [
    'preference',
    [
      '{c} wants reports as PDF, not spreadsheets',
      '{c} prefers email over phone calls',
      '{p} from {c} likes short summaries',
    ],
  ],
  [
    'project',
    ['Rebrand project for {c} starts in {m}', 'Website redesign for {c} is {n}% done', '{c} approved the {m} roadmap'],
  ],
  [
    'contract',
    ['Contract with {c} renews every {m}', '{c} signed a {n}-month retainer', 'NDA with {c} expires in {m}'],
  ],
  [
    'invoice',
    [
      'Invoice INV-{n} for {c} was sent in {m}',
      '{c} disputed invoice INV-{n}',
      'Sent a reminder to {c} for invoice INV-{n}',
    ],
  ],
  ['tax', ['{c} needs VAT number on every invoice', '{c} is tax exempt; keep the certificate from {m}']],
  ['shipping', ['{c} ships orders on {m} {n}', 'Deliveries to {c} go to the warehouse, dock {n}']],
  [
    'feedback',
    [
      '{c} was unhappy with the {m} delivery',
      '{p} at {c} praised the last design round',
      '{c} rated the onboarding {n} out of 10',
    ],
  ],
  ['holiday', ['{p} from {c} is on holiday in {m}', '{c} office closes for {n} days in {m}']],
  ['pricing', ['Hourly rate for {c} is {n} euros', '{c} accepted the new price list in {m}']],
  ['lead', ['{c} came in as a referral from {p}', 'Follow up with {c} about the proposal in {m}']],
  ['support', ['{c} opened {n} support tickets in {m}', '{c} needs a fix for the login bug before {m}']],
];

interface Corpus {
  texts: string[];
  vectors: Float32Array[];
  clients: string[];
  clientOf: number[];
  makeQuery: (r: () => number) => { text: string; vector: Float32Array; client: string };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function randomUnit(r: () => number, dims = DIMS): Float32Array {
  const v = Float32Array.from({ length: dims }, () => gaussian(r));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function makeCorpus(size: number, seed = 42): Corpus {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const clientCount = 500;
  const clients = Array.from({ length: clientCount }, (_, i) => {
    const word = `${pick(SYL)}${pick(SYL)}${pick(SYL)}`;
    return `${word[0]!.toUpperCase()}${word.slice(1)}${i % 7 === 0 ? '' : ` ${pick(SUFFIX)}`}`;
  });
  // A "bag of meanings" embedding: each feature of a memory (topic, which template, client, month, person, number
  // range) has its own direction, weighted, plus unit noise for the wording. Memories sharing more features are
  // closer, as with a sentence encoder; nearest neighbours are graded, not a tie between all same-topic items.
  const topicVec = TOPICS.map(() => randomUnit(r));
  const templateVec = TOPICS.map(([, templates]) => templates.map(() => randomUnit(r)));
  const clientVec = clients.map(() => randomUnit(r));
  const monthVec = MONTHS.map(() => randomUnit(r));
  const personVec = PEOPLE.map(() => randomUnit(r));
  const numberVec = Array.from({ length: 10 }, () => randomUnit(r));
  type Parts = { topic: number; template: number; client: number; month: number; person: number; num: number };
  const embed = (f: Parts, weights: { month: number; person: number; num: number }, noise: number): Float32Array => {
    const parts: Array<[Float32Array, number]> = [
      [topicVec[f.topic]!, 1],
      [templateVec[f.topic]![f.template]!, 0.8],
      [clientVec[f.client]!, 0.7],
      [monthVec[f.month]!, weights.month],
      [personVec[f.person]!, weights.person],
      [numberVec[Math.floor(f.num / 10)]!, weights.num],
      [randomUnit(r), noise],
    ];
    const v = new Float32Array(DIMS);
    for (const [u, w] of parts) for (let i = 0; i < DIMS; i++) v[i]! += w * u[i]!;
    return v;
  };
  const texts: string[] = [];
  const vectors: Float32Array[] = [];
  const features: Parts[] = [];
  for (let i = 0; i < size; i++) {
    // Zipf-ish: a few clients have many memories.
    const client = Math.min(clientCount - 1, Math.floor(clientCount * Math.pow(r(), 2)));
    const topic = Math.floor(r() * TOPICS.length);
    const templates = TOPICS[topic]![1];
    const f = {
      topic,
      template: Math.floor(r() * templates.length),
      client,
      month: Math.floor(r() * 12),
      person: Math.floor(r() * PEOPLE.length),
      num: Math.floor(r() * 90),
    };
    const used = (key: string): number => (templates[f.template]!.includes(key) ? 0.4 : 0);
    texts.push(
      templates[f.template]!.replace('{c}', clients[client]!)
        .replace('{p}', PEOPLE[f.person]!)
        .replace('{m}', MONTHS[f.month]!)
        .replace('{n}', String(1 + f.num)),
    );
    vectors.push(embed(f, { month: used('{m}'), person: used('{p}'), num: used('{n}') }, 0.3));
    features.push(f);
  }
  // A query names a client and a topic (sometimes a month too), and its vector is that meaning with other wording.
  const makeQuery = (qr: () => number): { text: string; vector: Float32Array; client: string } => {
    const f = features[Math.floor(qr() * size)]!;
    const client = clients[f.client]!;
    const withMonth = qr() < 0.5;
    const text = `${client.split(' ')[0]!.toLowerCase()} ${TOPICS[f.topic]![0]}${withMonth ? ` ${MONTHS[f.month]!}` : ''}`;
    return { text, vector: embed(f, { month: withMonth ? 0.4 : 0, person: 0, num: 0 }, 0.4), client };
  };
  return { texts, vectors, clients, clientOf: features.map((f) => f.client), makeQuery };
}

const entityKey = (client: string): string => `client:${client.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

const mb = (): string => `${Math.round(process.memoryUsage().rss / 1e6)} MB`;

function timeEach(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function benchRecall(sizes = [10_000, 100_000], queries = 1000, rerank?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'solo-recall-'));
  for (const size of sizes) {
    console.log(`\n-- ${size.toLocaleString('en')} memories`);
    const corpus = makeCorpus(size);
    const rssBefore = process.memoryUsage().rss;
    const now = new Date('2026-12-01T00:00:00Z');
    const r = rng(7);
    const items = corpus.texts.map((text, i) => ({
      id: i + 1,
      text,
      vector: corpus.vectors[i]!,
      meta: {
        kind: 'fact',
        entities: [entityKey(corpus.clients[corpus.clientOf[i]!]!)],
        importance: Math.round(r() * 10) / 10,
        updatedAt: new Date(now.getTime() - r() * 730 * 86_400_000),
      },
    }));
    // Rows on disk, as the service keeps them (in a temporary folder here).
    const index = new RecallIndex({ dims: DIMS, vectorDir: dir, ...(rerank !== undefined && { rerank }) });
    const t0 = performance.now();
    index.upsertMany(items);
    const readyMs = performance.now() - t0;
    line('start-up: searchable', `${(readyMs / 1000).toFixed(2)} s  (upsertMany, ${size.toLocaleString('en')} items)`);
    line(
      'RSS after build',
      `${mb()}  (+${Math.round((process.memoryUsage().rss - rssBefore) / 1e6)} MB over the generated corpus; ${index.keyword.terms.toLocaleString('en')} distinct words)`,
    );
    line(
      'vector search',
      `${index.vectors.mode}, rows ${index.vectors.onDisk ? 'on disk' : 'in memory'}, ${index.vectors.rerank} candidates scored exactly`,
    );

    const qr = rng(1234);
    const qs = Array.from({ length: queries }, () => corpus.makeQuery(qr));
    // Warm-up (JIT) before timing.
    for (const q of qs.slice(0, 100)) index.search({ query: q.text, vector: q.vector, k: 10, now });
    // Query vectors are precomputed: embedding the question is not part of recall latency.
    const hybrid = timeEach(queries, (i) => index.search({ query: qs[i]!.text, vector: qs[i]!.vector, k: 10, now }));
    line('hybrid top-10 (query vector precomputed)', summary(hybrid, 'ms', 2), 'p95 ≤ 10 ms');
    const filtered = timeEach(queries, (i) =>
      index.search({ query: qs[i]!.text, vector: qs[i]!.vector, k: 10, now, entities: [entityKey(qs[i]!.client)] }),
    );
    line('hybrid top-10, entity filter', summary(filtered, 'ms', 2));
    const keyword = timeEach(queries, (i) => index.keyword.search(qs[i]!.text, 10));
    line('keyword-only BM25 top-10', summary(keyword, 'ms', 2));
    const vector = timeEach(queries, (i) => index.vectors.search(qs[i]!.vector, 10));
    line('vector-only top-10', summary(vector, 'ms', 2));

    // recall@10 of the index against brute force over the same vectors (rows in memory, never coded).
    const exact = new TieredVectorIndex(DIMS, { exactBelow: Infinity });
    exact.addMany(items);
    const recallQueries = Math.min(queries, 500);
    let found = 0;
    let foundFiltered = 0;
    let truthFiltered = 0; // a client with fewer than 10 memories has a shorter true top 10
    const t = performance.now();
    for (let i = 0; i < recallQueries; i++) {
      const q = qs[i]!;
      const truth = new Set(exact.search(q.vector, 10).map((h) => h.id));
      for (const h of index.vectors.search(q.vector, 10)) if (truth.has(h.id)) found++;
      const entity = entityKey(q.client);
      const allow = (id: number): boolean => items[id - 1]!.meta.entities[0] === entity;
      const truthF = new Set(exact.search(q.vector, 10, allow).map((h) => h.id));
      truthFiltered += truthF.size;
      for (const h of index.vectors.search(q.vector, 10, allow)) if (truthF.has(h.id)) foundFiltered++;
    }
    const exactMs = (performance.now() - t) / recallQueries / 2;
    line('recall@10 vs exact', (found / (recallQueries * 10)).toFixed(4), '≥ 0.98');
    line('recall@10 vs exact, predicate filter', (foundFiltered / truthFiltered).toFixed(4));
    line('  (exact brute force, in memory, for scale)', `${exactMs.toFixed(1)} ms per query`);
    exact.close();

    // Keeping the index in step with writes: one upsert with its vector, then one removal.
    const base = size + 1;
    const upserts = timeEach(1000, (i) =>
      index.upsert(base + i, { text: corpus.texts[i]!, vector: corpus.vectors[i]!, meta: items[i]!.meta }),
    );
    line(
      'upsert one (text + vector)',
      summary(
        upserts.map((ms) => ms * 1000),
        'µs',
        0,
      ),
    );
    const removals = timeEach(1000, (i) => index.remove(base + i));
    line(
      'remove one',
      summary(
        removals.map((ms) => ms * 1000),
        'µs',
        0,
      ),
    );
    index.close();
  }
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  const queries = Number(process.argv[3] ?? 1000);
  await benchRecall(sizes, queries, process.env.RERANK ? Number(process.env.RERANK) : undefined);
}
