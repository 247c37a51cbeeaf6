// What the code reads from each agent's answer, as zod schemas: the types come from here (no hand-copied interface,
// no cast). The agent file's `output` JSON schema is what the model is asked for; at load every field these schemas
// require must be in it (src/agents/definition.ts), and every answer is checked against them before it is used.
// A model that writes null for a field it has nothing for is read as the field being absent.

import { z } from 'zod';

const maybe = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const AGENT_OUTPUTS = {
  router: z.object({
    action: z.enum(['reply', 'answer', 'remember', 'workflow']),
    understood: z.string(),
    reply: maybe(z.string()),
    question: maybe(z.string()),
    fact: maybe(z.string()),
    workflow: maybe(z.enum(['draft', 'invoice'])),
    client: maybe(z.string()),
    instructions: maybe(z.string()),
    amount: maybe(z.number()),
    currency: maybe(z.string()),
    description: maybe(z.string()),
  }),
  research: z.object({ answer: z.string(), used: maybe(z.array(z.string())) }),
  draft: z.object({ to: maybe(z.string()), subject: z.string(), body: z.string() }),
  digest: z.object({ summary: z.string() }),
  monitoring: z.object({ summary: z.string(), attention: maybe(z.array(z.string())) }),
  'daily-digest': z.object({ text: z.string() }),
  qualify: z.object({
    qualified: z.boolean(),
    package: maybe(z.string()),
    reason: z.string(),
    used: maybe(z.array(z.string())),
  }),
} as const;

export type KnownAgent = keyof typeof AGENT_OUTPUTS;
export type AgentOutput<K extends string> = K extends KnownAgent
  ? z.output<(typeof AGENT_OUTPUTS)[K]>
  : Record<string, unknown>;

export const isKnownAgent = (name: string): name is KnownAgent => Object.hasOwn(AGENT_OUTPUTS, name);

/** The fields the code needs from an agent whose file's output schema lacks them: one problem line each. */
export function missingOutputFields(agent: string, fileSchema: unknown): string[] {
  if (!isKnownAgent(agent)) return [];
  const properties = (fileSchema as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  return Object.keys(AGENT_OUTPUTS[agent].shape).filter((key) => !(key in properties));
}
