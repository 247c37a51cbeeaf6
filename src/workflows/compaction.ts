// Memory compaction as a scheduled run (weekly by default): old, low-importance memories summarised into digests
// (by the digest agent with a model, extractively without). One step; a crash mid-way is harmless, since memories
// already compacted are not candidates again.

import { z } from 'zod';
import { defineWorkflow } from '../engine/workflow.ts';

const compactionInput = z.object({ olderThanDays: z.number().int().min(0).max(36_500).optional() });

export interface CompactionOutcome {
  digests: number;
  compacted: number;
  method: string;
}

export function compactionWorkflow(compact: (olderThanDays: number) => Promise<CompactionOutcome>) {
  return defineWorkflow({
    name: 'compaction',
    version: 1,
    description: 'memory compaction: old, unimportant memories summarised into digests',
    input: compactionInput,
    async run(ctx, input): Promise<CompactionOutcome> {
      return ctx.step('compact', () => compact(input.olderThanDays ?? 90), { timeoutMs: 600_000, maxAttempts: 2 });
    },
  });
}
