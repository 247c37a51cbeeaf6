// Runs one agent call the safe way, in this order: memory context (budgeted, untrusted text marked) → redaction
// (nothing secret reaches the model) → rate limit and budget reservation (spending stops before the call) →
// the model call with the agent's output schema → read tools run, write tools become proposals → settle the
// budget with actual usage → record what was sent and returned (redacted) as `agent.ran`, the input that
// /compare replays against a new prompt version.

import { newEvent } from '../domain/events.ts';
import { AGENT_OUTPUTS, isKnownAgent, type AgentOutput } from './outputs.ts';
import { SoloError } from '../domain/errors.ts';
import type { ChatMessage, Llm, LlmRequest, ToolSpec } from '../ports/llm.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import type { Memory, Store } from '../ports/store.ts';
import type { BudgetLedger } from '../policy/budgets.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { RateLimits } from '../policy/rate-limits.ts';
import { createRedactor, type RedactionMapping } from '../policy/redact.ts';
import { markUntrusted, UNTRUSTED_SYSTEM_NOTE } from '../policy/untrusted.ts';
import { violationFromBudget, violationFromRateLimit, type ViolationReport } from '../policy/violations.ts';
import type { AgentCatalog } from './catalog.ts';
import { renderPrompt, type AgentDefinition } from './definition.ts';
import { TOOLS } from './tools.ts';

const MAX_TOOL_ROUNDS = 3;

export interface AgentDeps {
  llm: Llm;
  memory: MemoryService;
  store: Store;
  catalog: AgentCatalog;
  policies: PolicyService;
  budgets: BudgetLedger;
  rateLimits: RateLimits;
  logger: Logger;
  /** One sentence to the operator (policy violations). */
  notice?: (text: string) => void;
}

/** Records a violation in the event log and tells the operator. */
async function report(deps: AgentDeps, v: ViolationReport | undefined): Promise<void> {
  if (!v) return;
  await deps.store.events.append(v.event);
  deps.notice?.(v.notice);
}

export interface AgentCall {
  agent: string;
  /** The operator's request, sent as the user message. */
  request: string;
  runId?: string;
  /** What to recall for the context (default: the request). */
  memoryQuery?: string;
  /** Restrict the context to these entities. */
  entities?: string[];
  /** Try a prompt version other than the active one (/compare). */
  promptVersion?: string;
  /** Extra template values ({{clients}}, {{activity}}). */
  values?: Record<string, string>;
  /** Content from outside (emails, pages, documents): shown to the model as data, and it taints any proposal. */
  untrusted?: Array<{ source: string; text: string }>;
  onDelta?: (text: string) => void;
  /** Skip the `agent.ran` record (the /compare replays themselves). */
  record?: boolean;
}

interface ProposedAction {
  tool: string;
  action: string;
  args: unknown;
  description: string;
  /** True when untrusted content was in the context the proposal came from. */
  untrusted: boolean;
}

interface AgentSuccess<T> {
  status: 'ok';
  output: T;
  proposals: ProposedAction[];
  usedMemories: Memory[];
  promptVersion: string;
  agentVersion: string;
  costUsd: number;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  callId: string;
}

export interface AgentOverBudget {
  status: 'over_budget';
  scope: string;
  limitUsd: number;
  spentUsd: number;
  estimateUsd: number;
}

export type AgentOutcome<T> = AgentSuccess<T> | AgentOverBudget;

export class AgentError extends SoloError {}

function todayLine(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Renders the system prompt and user message, with memory context, all redacted with one mapping. */
async function prepare(deps: AgentDeps, agent: AgentDefinition, call: AgentCall, promptVersion: string) {
  const redactor = createRedactor(deps.policies.current());
  let mapping: RedactionMapping | undefined;
  const redact = (text: string): string => {
    const r = redactor.redact(text, mapping);
    mapping = r.mapping;
    return r.text;
  };
  let tainted = (call.untrusted?.length ?? 0) > 0;
  const wrap = (text: string, untrusted: boolean): string => {
    if (!untrusted) return text;
    tainted = true;
    return markUntrusted(text, 'document');
  };
  let context = '';
  let usedMemories: Memory[] = [];
  if (agent.memory.maxTokens > 0 && agent.memory.k > 0) {
    const built = await deps.memory.context(call.memoryQuery ?? call.request, {
      maxTokens: agent.memory.maxTokens,
      k: agent.memory.k,
      ...(call.entities ? { entities: call.entities } : {}),
      wrap: (m) => wrap(m.text, Boolean(m.source.importedFrom)),
    });
    context = built.text;
    usedMemories = built.used;
  }
  const template = agent.prompts.get(promptVersion);
  if (template === undefined)
    throw new AgentError('prompt_missing', `The ${agent.name} agent has no prompt ${promptVersion}.`);
  const rendered = renderPrompt(template, {
    memory: context || '(nothing relevant in memory yet)',
    today: todayLine(),
    ...call.values,
  });
  const system = redact(tainted ? `${rendered}\n\n${UNTRUSTED_SYSTEM_NOTE}` : rendered);
  const outside = (call.untrusted ?? []).map((u) => markUntrusted(u.text, u.source)).join('\n\n');
  const user = redact(outside ? `${call.request}\n\n${outside}` : call.request);
  // `mapping` grows as tool results are redacted later in the call, so it is read through a function.
  return {
    system,
    user,
    context: redact(context),
    usedMemories,
    mapping: () => mapping,
    redact,
    redactor,
    tainted: () => tainted,
    wrap,
  };
}

/** Runs one agent call; the answer is typed by the agent's schema in outputs.ts (checked, never cast). */
export async function runAgent<K extends string>(
  deps: AgentDeps,
  call: AgentCall & { agent: K },
): Promise<AgentOutcome<AgentOutput<K>>> {
  type T = AgentOutput<K>;
  const agent = deps.catalog.get(call.agent);
  if (!agent) throw new AgentError('agent_unknown', `There is no ${call.agent} agent.`);
  const promptVersion = call.promptVersion ?? (await deps.catalog.activePrompt(agent.name));
  const p = await prepare(deps, agent, call, promptVersion);
  const tools: ToolSpec[] = agent.tools.flatMap((name) => {
    const tool = TOOLS.get(name);
    return tool ? [tool.spec] : [];
  });
  const messages: ChatMessage[] = [
    { role: 'system', content: p.system },
    { role: 'user', content: p.user },
  ];
  const limited = await deps.rateLimits.consume(`agent:${agent.name}`);
  if (!limited.ok) {
    await report(
      deps,
      violationFromRateLimit(limited, { agent: agent.name, ...(call.runId ? { runId: call.runId } : {}) }),
    );
    throw new AgentError(
      'rate_limited',
      `The ${agent.name} agent hit its rate limit; try again in ${Math.ceil(limited.retryAfterMs / 1000)} s.`,
      { retryable: true },
    );
  }
  const proposals: ProposedAction[] = [];
  let totalCost = 0;
  let latency = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let callId = '';
  let output: T | undefined;
  for (let round = 0; round < MAX_TOOL_ROUNDS && output === undefined; round++) {
    const lastRound = round === MAX_TOOL_ROUNDS - 1;
    const request: LlmRequest<T> = {
      messages,
      schema: agent.output as unknown as LlmRequest<T>['schema'] & object,
      schemaName: `${agent.name}_output`,
      maxTokens: agent.maxTokens,
      temperature: agent.temperature,
      meta: {
        agent: agent.name,
        promptVersion,
        ...(call.runId ? { runId: call.runId } : {}),
        purpose: `agent ${agent.name}`,
      },
      ...(tools.length > 0 && !lastRound ? { tools, toolChoice: 'auto' as const } : {}),
      ...(call.onDelta ? { onDelta: call.onDelta } : {}),
    };
    const estimate = deps.llm.estimate(request);
    const reservation = await deps.budgets.reserve({
      estimateUsd: estimate.costUsd,
      agent: agent.name,
      ...(call.runId ? { runId: call.runId } : {}),
    });
    if (!reservation.ok) {
      await report(
        deps,
        violationFromBudget(reservation, { agent: agent.name, ...(call.runId ? { runId: call.runId } : {}) }),
      );
      return {
        status: 'over_budget',
        scope: reservation.scope,
        limitUsd: reservation.limitUsd,
        spentUsd: reservation.spentUsd,
        estimateUsd: estimate.costUsd,
      };
    }
    let result;
    try {
      result = await deps.llm.complete<T>(request);
    } catch (err) {
      await deps.budgets.release(reservation.reservationId);
      throw err;
    }
    await deps.budgets.settle(reservation.reservationId, result.costUsd);
    totalCost += result.costUsd;
    latency += result.latencyMs;
    promptTokens += result.usage.promptTokens;
    completionTokens += result.usage.completionTokens;
    callId = result.callId;
    if (result.toolCalls.length === 0) {
      output = result.parsed;
      break;
    }
    messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
    for (const tc of result.toolCalls) {
      const tool = TOOLS.get(tc.name);
      let answer: string;
      if (tool?.kind === 'read') {
        answer = p.redact(await tool.run(tc.args, { memory: deps.memory, wrap: p.wrap }));
      } else if (tool?.kind === 'write') {
        proposals.push({
          tool: tc.name,
          action: tool.action,
          args: tc.args,
          description: tool.describe(tc.args),
          untrusted: p.tainted(),
        });
        answer = 'Proposed. It will run only if policy and the operator approve it; do not retry.';
      } else {
        answer = `Unknown tool ${tc.name}.`;
      }
      messages.push({ role: 'tool', toolCallId: tc.id, content: answer });
    }
  }
  if (output === undefined) throw new AgentError('bad_output', `The ${agent.name} agent did not produce an answer.`);
  if (isKnownAgent(agent.name)) {
    const checked = AGENT_OUTPUTS[agent.name].safeParse(output);
    if (!checked.success)
      throw new AgentError(
        'bad_output',
        `The ${agent.name} agent's answer did not have the shape Solo OS reads (${checked.error.issues[0]?.path.join('.') ?? ''}: ${checked.error.issues[0]?.message ?? 'invalid'}).`,
      );
    output = checked.data as T;
  }
  const mapping = p.mapping();
  const refilled = refillStrings(output, (s) => (mapping ? p.redactor.refill(s, mapping) : s)) as T;
  if (call.record !== false) {
    await deps.store.events.append(
      newEvent('agent.ran', `agent:${agent.name}`, {
        agent: agent.name,
        version: agent.version,
        promptVersion,
        callId,
        ...(call.runId ? { runId: call.runId } : {}),
        request: p.user,
        context: p.context,
        ...(call.values
          ? { values: Object.fromEntries(Object.entries(call.values).map(([k, v]) => [k, p.redact(v)])) }
          : {}),
        output,
        costUsd: totalCost,
        latencyMs: latency,
        promptTokens,
        completionTokens,
      }),
    );
  }
  return {
    status: 'ok',
    output: refilled,
    proposals,
    usedMemories: p.usedMemories,
    promptVersion,
    agentVersion: agent.version,
    costUsd: totalCost,
    latencyMs: latency,
    promptTokens,
    completionTokens,
    callId,
  };
}

/** Applies `fn` to every string inside a JSON value. */
function refillStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => refillStrings(v, fn));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, refillStrings(v, fn)]));
  return value;
}
