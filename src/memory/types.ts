// What the memory service takes and gives (memory.ts re-exports all of it).

import type { Memory, MemoryKind, MemorySource } from '../ports/store.ts';
import type { EmbedderStatus } from '../ports/embedder.ts';
import type { HitComponents } from './index/rank.ts';

export interface RememberInput {
  text: string;
  kind?: MemoryKind;
  entities?: string[];
  subject?: string;
  importance?: number;
  source: MemorySource;
  at?: Date;
  /** 'auto' (default) updates the profile or the same fact about the entity instead of adding a duplicate. */
  dedupe?: 'auto' | 'none';
}

export interface RememberResult {
  memory: Memory;
  action: 'created' | 'updated' | 'unchanged';
  /** After an update: the version it replaced (retracted and kept, `replacedBy` the new one), and its text. */
  previous?: Memory;
  previousText?: string;
}

export interface RecallOptions {
  k?: number;
  entities?: string[];
  kinds?: MemoryKind[];
  /** Record the use (lastUsedAt), as an answer that relies on the memories does. */
  touch?: boolean;
}

export interface RecallHit {
  memory: Memory;
  score: number;
  components: HitComponents;
}

export interface MemoryStatus {
  memories: number;
  indexed: number;
  vectors: number;
  embedder: EmbedderStatus | { state: 'off'; model: string; reason?: string };
}
