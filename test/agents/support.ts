// A Solo OS with a model: the real openai client against the local OpenAI-compatible fake, which answers each
// agent by the structured-output schema the request names (router_output, draft_output, …).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SoloApp, StartOptions } from '../../src/main.ts';
import { FakeOpenAI, type Body, type FakeReply, type FakeRequest } from '../fakes/openai.ts';
import { startTestApp, tempDir } from '../support/app.ts';

const API_KEY = 'sk-test-agents-0123456789abcdef';

export type AgentScript = (body: Body, req: FakeRequest) => FakeReply;

export function schemaName(body: Body): string {
  const rf = body['response_format'] as { json_schema?: { name?: string } } | undefined;
  return rf?.json_schema?.name ?? '';
}

export function systemText(body: Body): string {
  const messages = (body['messages'] ?? []) as Array<{ role: string; content: string }>;
  return messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
}

export function userText(body: Body): string {
  const messages = (body['messages'] ?? []) as Array<{ role: string; content: string }>;
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

export interface AgentApp {
  app: SoloApp;
  fake: FakeOpenAI;
  policiesDir: string;
  stop(): Promise<void>;
}

/** Starts the fake and the app; `scripts` answers per agent (key: agent name). */
export async function startAgentApp(
  scripts: Record<string, AgentScript>,
  options: { budgets?: string; env?: Record<string, string>; start?: StartOptions } = {},
): Promise<AgentApp> {
  const fake = await new FakeOpenAI({ apiKey: API_KEY }).start();
  fake.handle((req) => {
    const agent = schemaName(req.body).replace(/_output$/, '');
    const script = scripts[agent];
    if (!script) return { status: 500, error: { message: `no script for ${agent}` } };
    return script(req.body, req);
  });
  const policiesDir = tempDir('solo-policies-');
  if (options.budgets) writeFileSync(join(policiesDir, 'budgets.yaml'), options.budgets);
  const app = await startTestApp(
    {
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: API_KEY,
      OPENAI_MODEL: 'gpt-4o-mini',
      OPENAI_MAX_RETRIES: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      POLICIES_DIR: policiesDir,
      ...options.env,
    },
    options.start,
  );
  return { app, fake, policiesDir, stop: async () => (await app.stop(), await fake.stop()) };
}
