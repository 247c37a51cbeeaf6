// The tools agents may name in agent.yaml. Read tools run during the model call (looking things up changes
// nothing). Write tools never run there: a call to one becomes a proposal the caller must pass through the
// approval policy and, where it says so, the operator — so an instruction hidden in an email or a document can at
// most produce a proposal the operator sees, never an action.

import { z } from 'zod';
import type { ToolSpec } from '../ports/llm.ts';
import type { MemoryService } from '../memory/memory.ts';

interface ReadTool<T> {
  kind: 'read';
  spec: ToolSpec<T>;
  run(args: T, deps: { memory: MemoryService; wrap: (text: string, untrusted: boolean) => string }): Promise<string>;
}

interface WriteTool<T> {
  kind: 'write';
  spec: ToolSpec<T>;
  /** The policy action this tool would take (approvals.yaml decides on it). */
  action: string;
  describe(args: T): string;
}

const memorySearch: ReadTool<{ query: string }> = {
  kind: 'read',
  spec: {
    name: 'memory_search',
    description: 'Search the operator’s memory (clients, facts, notes). Returns the best matches with their ids.',
    parameters: z.object({ query: z.string().min(1).max(300) }),
  },
  async run(args, { memory, wrap }) {
    const hits = await memory.recall(args.query, { k: 5, touch: true });
    if (hits.length === 0) return 'No memories match.';
    return hits
      .map((h) => `[m${h.memory.id}] ${wrap(h.memory.text, Boolean(h.memory.source.importedFrom))}`)
      .join('\n');
  },
};

const emailSend: WriteTool<{ to: string; subject: string; body: string }> = {
  kind: 'write',
  action: 'email.send',
  spec: {
    name: 'email_send',
    description: 'Propose sending an email. It is sent only after policy and, where required, the operator approve.',
    parameters: z.object({
      to: z.string().min(1).max(320),
      subject: z.string().max(300),
      body: z.string().max(20_000),
    }),
  },
  describe: (a) => `email to ${a.to}: ${a.subject}`,
};

const invoiceCreate: WriteTool<{
  client: string;
  amount: number;
  currency?: string | undefined;
  description?: string | undefined;
}> = {
  kind: 'write',
  action: 'invoice.send',
  spec: {
    name: 'invoice_create',
    description: 'Propose an invoice. It is recorded only after the operator approves it.',
    parameters: z.object({
      client: z.string().min(1).max(120),
      amount: z.number().positive(),
      currency: z
        .string()
        .regex(/^[A-Za-z]{3}$/)
        .optional(),
      description: z.string().max(500).optional(),
    }),
  },
  describe: (a) => `invoice to ${a.client} for ${a.amount}${a.currency ? ` ${a.currency.toUpperCase()}` : ''}`,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each tool validates its own arguments with zod
export type AnyTool = ReadTool<any> | WriteTool<any>;

export const TOOLS: ReadonlyMap<string, AnyTool> = new Map<string, AnyTool>([
  ['memory_search', memorySearch],
  ['email_send', emailSend],
  ['invoice_create', invoiceCreate],
]);
