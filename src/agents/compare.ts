// Compounding: before a new prompt version replaces the current one, replay recorded inputs of the current version
// (the `agent.ran` events, already redacted) through the candidate and show both outputs side by side with cost
// and latency. The replays spend real tokens, so they pass the budget like any other call.

import type { StoredEvent } from '../domain/events.ts';
import type { ChatMessage } from '../ports/llm.ts';
import type { AgentDeps } from './runner.ts';
import { AgentError } from './runner.ts';
import { renderPrompt } from './definition.ts';

type AgentRan = Extract<StoredEvent, { type: 'agent.ran' }>['data'];

interface ComparedCase {
  request: string;
  current: { output: unknown; costUsd: number; latencyMs: number };
  candidate: { output: unknown; costUsd: number; latencyMs: number } | { error: string };
}

export interface Comparison {
  agent: string;
  currentVersion: string;
  candidateVersion: string;
  cases: ComparedCase[];
}

async function recordedInputs(
  deps: AgentDeps,
  agent: string,
  promptVersion: string,
  limit: number,
): Promise<AgentRan[]> {
  const events = await deps.store.events.readStream(`agent:${agent}`, { types: ['agent.ran'] });
  const runs = events.flatMap((e) =>
    e.type === 'agent.ran' && e.data.promptVersion === promptVersion ? [e.data] : [],
  );
  return runs.slice(-limit).reverse();
}

export async function compareVersions(
  deps: AgentDeps,
  agentName: string,
  candidate: string,
  limit = 5,
): Promise<Comparison> {
  // A version saved a moment ago may not have reached the watcher yet: look on disk before saying it is not there.
  if (deps.catalog.get(agentName)?.prompts.has(candidate) === false) await deps.catalog.reloadPrompts(agentName);
  const agent = deps.catalog.get(agentName);
  if (!agent) throw new AgentError('agent_unknown', `There is no ${agentName} agent. /agents lists them.`);
  const template = agent.prompts.get(candidate);
  if (template === undefined) {
    throw new AgentError(
      'prompt_missing',
      `There is no prompts/${agentName}/${candidate}.md; versions on disk: ${[...agent.prompts.keys()].join(', ')}.`,
    );
  }
  const current = await deps.catalog.activePrompt(agentName);
  if (current === candidate)
    throw new AgentError('same_version', `${candidate} is already the active prompt of ${agentName}.`);
  const inputs = await recordedInputs(deps, agentName, current, limit);
  if (inputs.length === 0)
    throw new AgentError(
      'no_inputs',
      `The ${agentName} agent has no recorded runs with ${current} yet, so there is nothing to replay.`,
    );
  const cases: ComparedCase[] = [];
  for (const input of inputs) {
    const messages: ChatMessage[] = [
      {
        role: 'system',
        content: renderPrompt(template, {
          memory: input.context || '(nothing relevant in memory yet)',
          today: new Date().toISOString().slice(0, 10),
          ...input.values,
        }),
      },
      { role: 'user', content: input.request },
    ];
    const request = {
      messages,
      schema: agent.output,
      schemaName: `${agent.name}_output`,
      maxTokens: agent.maxTokens,
      temperature: agent.temperature,
      meta: { agent: agent.name, promptVersion: candidate, purpose: `compare ${agent.name} ${candidate}` },
    };
    const currentSide = { output: input.output, costUsd: input.costUsd, latencyMs: input.latencyMs };
    const reservation = await deps.budgets.reserve({
      estimateUsd: deps.llm.estimate(request).costUsd,
      agent: agent.name,
    });
    if (!reservation.ok) {
      cases.push({
        request: input.request,
        current: currentSide,
        candidate: { error: `stopped: the ${reservation.scope} budget would be exceeded` },
      });
      break;
    }
    try {
      const result = await deps.llm.complete(request);
      await deps.budgets.settle(reservation.reservationId, result.costUsd);
      cases.push({
        request: input.request,
        current: currentSide,
        candidate: { output: result.parsed, costUsd: result.costUsd, latencyMs: result.latencyMs },
      });
    } catch (err) {
      await deps.budgets.release(reservation.reservationId);
      cases.push({ request: input.request, current: currentSide, candidate: { error: (err as Error).message } });
    }
  }
  return { agent: agentName, currentVersion: current, candidateVersion: candidate, cases };
}
