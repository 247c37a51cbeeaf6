// The agents and the model: the catalog of agent files (loaded at start with a model, on first use without one:
// loading costs ~80 ms of CPU a start without a model does not need), and, when a model is configured, the
// OpenAI-compatible client (imported only then: ~0.3 s and ~30 MB) with everything an agent call needs.

import { resolve } from 'node:path';
import { AgentCatalog } from '../agents/catalog.ts';
import type { AgentDeps } from '../agents/runner.ts';
import { llmConfigured, type Config } from '../config.ts';
import { llmEvent } from '../llm/events.ts';
import { DEFAULT_PRICES, mergePrices } from '../llm/prices.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import type { BudgetLedger } from '../policy/budgets.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { RateLimits } from '../policy/rate-limits.ts';
import type { Store } from '../ports/store.ts';

export interface AgentsPart {
  /** The agent files and prompt versions (watched once loaded); a failed load is tried again next time. */
  catalog: () => Promise<AgentCatalog>;
  /** Everything an agent call needs; undefined without a model. */
  agents: () => AgentDeps | undefined;
  close(): void;
}

export async function composeAgents(
  config: Config,
  deps: {
    store: Store;
    memory: MemoryService;
    policies: PolicyService;
    budgets: BudgetLedger;
    rateLimits: RateLimits;
    logger: Logger;
    notice: (text: string) => void;
  },
): Promise<AgentsPart> {
  let load: Promise<AgentCatalog> | undefined;
  let loaded: AgentCatalog | undefined;
  const catalog = (): Promise<AgentCatalog> =>
    (load ??= AgentCatalog.load(resolve(config.AGENTS_DIR), resolve(config.PROMPTS_DIR), deps.store).then(
      (c) => {
        c.watch();
        return (loaded = c);
      },
      (err: unknown) => {
        load = undefined;
        throw err;
      },
    ));
  let agentDeps: AgentDeps | undefined;
  if (llmConfigured(config)) {
    const { createOpenAiLlm } = await import('../../adapters/llm/openai/openai.ts');
    const llm = createOpenAiLlm({
      baseURL: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY,
      model: config.OPENAI_MODEL!,
      fallbackModel: config.OPENAI_FALLBACK_MODEL,
      timeoutMs: config.OPENAI_TIMEOUT_MS,
      maxRetries: config.OPENAI_MAX_RETRIES,
      prices: mergePrices(DEFAULT_PRICES, config.LLM_PRICES),
      logger: deps.logger.child({ component: 'llm' }),
      onCall: async (record) => void (await deps.store.events.append(llmEvent(record))),
    });
    const { store, memory, policies, budgets, rateLimits, notice } = deps;
    agentDeps = {
      llm,
      memory,
      store,
      catalog: await catalog(),
      policies,
      budgets,
      rateLimits,
      logger: deps.logger.child({ component: 'agents' }),
      notice,
    };
  }
  return { catalog, agents: () => agentDeps, close: () => loaded?.close() };
}
