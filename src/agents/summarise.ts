// The digest agent as compaction's summariser: with a model it writes each digest (redacted, within budget);
// without one there is none, and compaction keeps its extractive digests.

import { runAgent, type AgentDeps } from './runner.ts';

export function digestSummariser(
  agents: AgentDeps | undefined,
): ((texts: string[], about: string) => Promise<string>) | undefined {
  if (!agents) return undefined;
  return async (texts, about) => {
    const out = await runAgent(agents, {
      agent: 'digest',
      request: texts.map((t) => `- ${t}`).join('\n'),
      values: { about },
    });
    if (out.status !== 'ok') throw new Error('over budget');
    return out.output.summary;
  };
}
