// Compaction: old, low-importance memories about the same entity are summarised into one digest that links to its
// originals. The originals stay in the store (and /memory shows them) but leave recall, so recall stays sharp as
// memory grows. With a model configured the digest is written by the LLM; otherwise it is extractive: the
// sentences that share the most words with the rest of the group, in their original order.
// It is a plain function so the scheduler can run it as a job; /compact runs it now.

import { newEvent } from '../domain/events.ts';
import { keywordTerms, truncate } from '../domain/text.ts';
import type { Memory, Store } from '../ports/store.ts';
import type { MemoryService } from './memory.ts';
import { MEMORY_STREAM } from './memory.ts';

/** Writes a digest of several memories; throws when it cannot (compaction then falls back to extractive). */
type Summariser = (texts: string[], about: string) => Promise<string>;

export interface CompactionOptions {
  olderThanDays?: number;
  /** Memories at or below this importance are compacted (default 0.5, the importance of an ordinary fact). */
  maxImportance?: number;
  /** Smallest group worth a digest (default 3). */
  minGroup?: number;
  /** Most originals per digest (default 20). */
  maxGroup?: number;
  summarise?: Summariser;
  now?: Date;
}

export interface CompactionReport {
  digests: Memory[];
  compacted: number;
  minGroup: number;
  method: 'llm' | 'extractive' | 'none';
}

const DIGEST_CHARS = 1200;

/** Picks the sentences most representative of the group (most shared terms), keeping their order. */
export function extractiveDigest(texts: string[], maxChars = DIGEST_CHARS): string {
  const sentences = texts.flatMap((t) =>
    t
      .split(/(?<=[.!?])\s+|\n+/)
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const df = new Map<string, number>();
  const termsOf = sentences.map((s) => keywordTerms(s, 64));
  for (const terms of termsOf) for (const t of terms) df.set(t, (df.get(t) ?? 0) + 1);
  const scored = sentences.map((s, i) => {
    const terms = termsOf[i] ?? [];
    const shared = terms.reduce((sum, t) => sum + ((df.get(t) ?? 1) - 1), 0);
    return { s, i, score: terms.length === 0 ? 0 : shared / Math.sqrt(terms.length) };
  });
  const chosen: typeof scored = [];
  let length = 0;
  const seen = new Set<string>();
  for (const c of [...scored].sort((a, b) => b.score - a.score || a.i - b.i)) {
    const key = c.s.toLowerCase();
    if (seen.has(key)) continue;
    if (length + c.s.length + 2 > maxChars && chosen.length > 0) continue;
    seen.add(key);
    chosen.push(c);
    length += c.s.length + 2;
  }
  return truncate(
    chosen
      .sort((a, b) => a.i - b.i)
      .map((c) => c.s)
      .join(' '),
    maxChars,
  );
}

export async function compactMemories(
  memory: MemoryService,
  store: Pick<Store, 'memories' | 'events'>,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  const now = options.now ?? new Date();
  const minGroup = options.minGroup ?? 3;
  const maxGroup = options.maxGroup ?? 20;
  const before = new Date(now.getTime() - (options.olderThanDays ?? 90) * 86_400_000);
  const candidates = await store.memories.compactable({
    before,
    maxImportance: options.maxImportance ?? 0.5,
    limit: 5000,
  });
  const groups = new Map<string, Memory[]>();
  for (const m of candidates) {
    const key = m.entities[0] ?? `kind:${m.kind}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(m);
  }
  const report: CompactionReport = { digests: [], compacted: 0, minGroup, method: 'none' };
  for (const [key, all] of groups) {
    for (let start = 0; start + minGroup <= all.length; start += maxGroup) {
      const group = all.slice(start, start + maxGroup);
      if (group.length < minGroup) break;
      const about = key.startsWith('kind:') ? `${key.slice(5)} memories` : (memory.entityName(key) ?? key);
      const texts = group.map((m) => m.text);
      let text: string | undefined;
      let method: 'llm' | 'extractive' = 'extractive';
      if (options.summarise) {
        try {
          text = truncate((await options.summarise(texts, about)).trim(), DIGEST_CHARS * 2);
          method = 'llm';
        } catch {
          text = undefined;
        }
      }
      text ||= extractiveDigest(texts);
      const digest = await store.memories.add({
        text: `Digest of ${group.length} older memories about ${about}: ${text}`,
        kind: 'digest',
        entities: [...new Set(group.flatMap((m) => m.entities))],
        ...(group[0]?.subject ? { subject: group[0].subject } : {}),
        importance: Math.max(...group.map((m) => m.importance)),
        source: { runId: `compaction:${now.toISOString().slice(0, 10)}` },
        digestOf: group.map((m) => m.id),
      });
      const linked: Memory[] = [];
      for (const m of group) {
        const updated = await store.memories.update(m.id, { digestId: digest.id });
        if (updated) linked.push(updated);
      }
      await store.events.append(
        newEvent('memory.compacted', MEMORY_STREAM, { digestId: digest.id, sources: group.map((m) => m.id), method }),
      );
      memory.reindex([digest, ...linked]);
      report.digests.push(digest);
      report.compacted += group.length;
      report.method = report.method === 'llm' || method === 'llm' ? 'llm' : 'extractive';
    }
  }
  return report;
}
