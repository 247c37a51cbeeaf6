// Memory on the dashboard: search, one memory's provenance chain (the message, run or file it came from, what it
// corrects and what corrected it, the digest that summarises it), and correct / forget with their Undo — through
// the MemoryService, so every change is in the event log as it is from chat.

import { InputError } from '../domain/errors.ts';
import type { Memory, MemorySource } from '../ports/store.ts';
import { describeSource } from '../memory/source.ts';
import type { DashboardSources } from './sources.ts';

const SOURCE: MemorySource = { channel: 'dashboard' };
const MAX_CHAIN = 20;

const brief = (m: Memory) => ({
  id: m.id,
  text: m.text,
  kind: m.kind,
  ...(m.subject ? { subject: m.subject } : {}),
  createdAt: m.createdAt,
  state: m.replacedBy ? 'corrected' : m.forgottenAt ? 'forgotten' : 'live',
});

export async function searchMemories(s: DashboardSources, query: string) {
  const q = query.trim();
  if (q)
    return {
      query: q,
      memories: (await s.memory.recall(q, { k: 20 })).map((h) => ({
        ...brief(h.memory),
        score: Math.round(h.score * 1000) / 1000,
      })),
    };
  // Without words: the newest memories kept.
  const added = await s.store.events.readStream('memory', { types: ['memory.added'], newest: true, limit: 20 });
  const ids = added.reverse().flatMap((e) => (e.type === 'memory.added' ? [e.data.memoryId] : []));
  const found = new Map((await s.memory.getMany(ids)).map((m) => [m.id, m]));
  return { query: '', memories: ids.flatMap((id) => (found.has(id) ? [brief(found.get(id)!)] : [])) };
}

export async function memoryDetail(s: DashboardSources, id: string) {
  const m = await s.memory.get(id);
  if (!m) return undefined;
  const versions: Memory[] = [m];
  for (let cur = m, i = 0; cur.replaces && i < MAX_CHAIN; i++) {
    const prev = await s.memory.get(cur.replaces);
    if (!prev) break;
    versions.unshift((cur = prev));
  }
  for (let cur = m, i = 0; cur.replacedBy && i < MAX_CHAIN; i++) {
    const next = await s.memory.get(cur.replacedBy);
    if (!next) break;
    versions.push((cur = next));
  }
  // The message it came from, when the source names one.
  const position = m.source.eventPosition;
  const [origin] =
    position === undefined ? [] : await s.store.events.readRange({ afterPosition: position - 1, limit: 1 });
  const message =
    origin !== undefined && origin.position === position && origin.type === 'message.received'
      ? { at: origin.at, channel: origin.data.channel, text: origin.data.text, position }
      : null;
  const digest = m.digestId ? await s.memory.get(m.digestId) : null;
  const summarises = m.digestOf ? await s.memory.getMany(m.digestOf) : [];
  return {
    memory: {
      ...brief(m),
      importance: m.importance,
      updatedAt: m.updatedAt,
      entities: m.entities.map((e) => ({ key: e, name: s.memory.entityName(e) ?? e })),
    },
    source: { described: describeSource(m.source, m.createdAt), ...m.source, message },
    corrects: m.replaces ?? null,
    correctedBy: m.replacedBy ?? null,
    digest: digest ? brief(digest) : null,
    summarises: summarises.map(brief),
    versions: versions.map(brief),
  };
}

export type MemoryAction = 'correct' | 'forget' | 'restore' | 'uncorrect';
export const MEMORY_ACTIONS: readonly MemoryAction[] = ['correct', 'forget', 'restore', 'uncorrect'];

/** Applies one change; `undo` names the action (and id) that takes it back, as the chat's Undo button does. */
export async function changeMemory(s: DashboardSources, action: MemoryAction, id: string, text?: string) {
  switch (action) {
    case 'correct': {
      if (!text?.trim()) throw new InputError('Write the corrected text.');
      const result = await s.memory.correct(id, text, SOURCE);
      if (!result)
        return { ok: false, message: `There is no live memory #${id}; it was corrected or forgotten already.` };
      return {
        ok: true,
        message: `Corrected #${result.old.id} → #${result.replacement.id}.`,
        memory: brief(result.replacement),
        undo: { action: 'uncorrect', id: result.replacement.id },
      };
    }
    case 'forget': {
      const forgotten = await s.memory.forget(id);
      if (!forgotten) return { ok: false, message: `Memory #${id} is not live, so there is nothing to forget.` };
      return {
        ok: true,
        message: `Forgot #${id}.`,
        memory: { ...brief(forgotten), state: 'forgotten' },
        undo: { action: 'restore', id },
      };
    }
    case 'restore': {
      const existing = await s.memory.get(id);
      if (existing?.replacedBy)
        return {
          ok: false,
          message: `Memory #${id} was corrected by #${existing.replacedBy}; undo that correction instead.`,
        };
      const restored = await s.memory.restore(id);
      return restored
        ? { ok: true, message: `Restored #${id}.`, memory: brief(restored) }
        : { ok: false, message: `Memory #${id} is not forgotten.` };
    }
    case 'uncorrect': {
      const result = await s.memory.uncorrect(id);
      return result
        ? { ok: true, message: `Undone: #${result.restored.id} is back.`, memory: brief(result.restored) }
        : { ok: false, message: 'That correction is already undone.' };
    }
  }
}
