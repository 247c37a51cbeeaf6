// Specialist agents, defined in files: agents/<name>/agent.yaml (version, class, tools, output schema) and
// prompts/<name>/<version>.md (the prompt template). Loading validates everything with zod, so a typo is a
// one-sentence error naming the file, not a surprise in the middle of a run.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import { missingOutputFields } from './outputs.ts';

const AGENT_CLASSES = ['read', 'write'] as const;
type AgentClass = (typeof AGENT_CLASSES)[number];

const fileSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'expected a lower-case name such as draft' }),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'expected a semantic version such as 1.0.0' }),
  class: z.enum(AGENT_CLASSES, {
    error: 'expected read (inference only) or write (acts through approved workflow steps)',
  }),
  description: z.string().min(1),
  prompt: z
    .string()
    .regex(/^v\d+[a-z0-9.-]*$/, { error: 'expected a prompt version such as v1 (prompts/<agent>/v1.md)' }),
  max_tokens: z.number().int().min(16).max(32_000).default(800),
  temperature: z.number().min(0).max(2).default(0.3),
  memory: z
    .object({
      max_tokens: z.number().int().min(0).max(16_000).default(1200),
      k: z.number().int().min(0).max(50).default(10),
    })
    .default({ max_tokens: 1200, k: 10 }),
  tools: z.array(z.string().regex(/^[a-z_]{1,64}$/)).default([]),
  output: z.record(z.string(), z.unknown()),
});

export interface AgentDefinition {
  name: string;
  version: string;
  class: AgentClass;
  description: string;
  /** The prompt version in the file; the active one may be promoted past it (see AgentCatalog.activePrompt). */
  prompt: string;
  maxTokens: number;
  temperature: number;
  memory: { maxTokens: number; k: number };
  tools: string[];
  output: z.ZodType<Record<string, unknown>>;
  /** Every prompt version on disk, by version. */
  prompts: Map<string, string>;
}

/** Fills `{{name}}` placeholders; unknown placeholders are left visible so a typo shows in the output. */
export function renderPrompt(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** Every prompts/<agent>/<version>.md, by version. */
export async function loadPrompts(promptsDir: string, agent: string): Promise<Map<string, string>> {
  const dir = join(promptsDir, agent);
  const files = await readdir(dir).catch(() => [] as string[]);
  const prompts = new Map<string, string>();
  for (const file of files.filter((f) => f.endsWith('.md')).sort())
    prompts.set(file.slice(0, -3), await readFile(join(dir, file), 'utf8'));
  return prompts;
}

export async function loadAgent(agentsDir: string, promptsDir: string, name: string): Promise<AgentDefinition> {
  const file = join(agentsDir, name, 'agent.yaml');
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || 'file'}: ${i.message}`));
  }
  const d = parsed.data;
  if (d.name !== name) throw new ConfigError([`${file}: name is ${d.name} but the folder is ${name}; they must match`]);
  const missing = missingOutputFields(name, d.output);
  if (missing.length > 0)
    throw new ConfigError([
      `${file}: output: Solo OS reads ${missing.join(', ')} from the ${name} agent's answer; add ${missing.length === 1 ? 'it' : 'them'} to output.properties`,
    ]);
  let output: z.ZodType<Record<string, unknown>>;
  try {
    output = z.fromJSONSchema(d.output) as z.ZodType<Record<string, unknown>>;
  } catch (err) {
    throw new ConfigError([`${file}: output: not a usable JSON schema (${(err as Error).message})`]);
  }
  const prompts = await loadPrompts(promptsDir, name);
  if (!prompts.has(d.prompt))
    throw new ConfigError([
      `${file}: prompt ${d.prompt} not found: expected ${join(promptsDir, name, `${d.prompt}.md`)}`,
    ]);
  return {
    name: d.name,
    version: d.version,
    class: d.class,
    description: d.description,
    prompt: d.prompt,
    maxTokens: d.max_tokens,
    temperature: d.temperature,
    memory: { maxTokens: d.memory.max_tokens, k: d.memory.k },
    tools: d.tools,
    output,
    prompts,
  };
}

/** Every agent under agentsDir (folders with an agent.yaml). Errors from all files are reported together. */
export async function loadAgents(agentsDir: string, promptsDir: string): Promise<Map<string, AgentDefinition>> {
  const entries = await readdir(agentsDir, { withFileTypes: true }).catch(() => []);
  const agents = new Map<string, AgentDefinition>();
  const problems: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const has = await readFile(join(agentsDir, entry.name, 'agent.yaml')).then(
      () => true,
      () => false,
    );
    if (!has) continue;
    try {
      agents.set(entry.name, await loadAgent(agentsDir, promptsDir, entry.name));
    } catch (err) {
      problems.push(...(err instanceof ConfigError ? err.problems : [String(err)]));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return agents;
}
