// Where a memory came from, in words, for /recall and /memory listings.

import type { MemorySource } from '../ports/store.ts';

/** "web, 27 Nov 2026" / "clients.csv row 4" / "run inv-1". */
export function describeSource(source: MemorySource, at?: Date): string {
  const parts: string[] = [];
  if (source.importedFrom) parts.push(`imported from ${source.importedFrom}`);
  if (source.runId) parts.push(`run ${source.runId}`);
  if (source.channel) parts.push(`said on ${source.channel}`);
  if (source.eventPosition !== undefined) parts.push(`event #${source.eventPosition}`);
  if (at) parts.push(at.toISOString().slice(0, 10));
  return parts.join(', ') || 'unknown source';
}
