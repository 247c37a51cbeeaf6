// The agents this process runs, with each one's active prompt version. The version in agent.yaml is the default;
// /promote records a newer one in settings (and the event log), so promotion survives restarts without editing
// files, and /compare can try any version on disk first.

import { newEvent } from '../domain/events.ts';
import type { Store } from '../ports/store.ts';
import { loadAgents, type AgentDefinition } from './definition.ts';
import { TOOLS } from './tools.ts';

const promotedKey = (agent: string): string => `agent.prompt.${agent}`;

export class AgentCatalog {
  readonly #agents: Map<string, AgentDefinition>;
  readonly #store: Store;

  constructor(agents: Map<string, AgentDefinition>, store: Store) {
    for (const agent of agents.values()) {
      const unknown = agent.tools.filter((t) => !TOOLS.has(t));
      if (unknown.length > 0) throw new Error(`agents/${agent.name}/agent.yaml: unknown tool ${unknown.join(', ')} (known: ${[...TOOLS.keys()].join(', ')})`);
      const writes = agent.tools.filter((t) => TOOLS.get(t)?.kind === 'write');
      if (writes.length > 0 && agent.class !== 'write') throw new Error(`agents/${agent.name}/agent.yaml: class read cannot use write tools (${writes.join(', ')})`);
    }
    this.#agents = agents;
    this.#store = store;
  }

  static async load(agentsDir: string, promptsDir: string, store: Store): Promise<AgentCatalog> {
    return new AgentCatalog(await loadAgents(agentsDir, promptsDir), store);
  }

  get(name: string): AgentDefinition | undefined {
    return this.#agents.get(name);
  }

  list(): AgentDefinition[] {
    return [...this.#agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async activePrompt(name: string): Promise<string> {
    const agent = this.#agents.get(name);
    if (!agent) throw new Error(`no agent named ${name}`);
    const promoted = await this.#store.settings.get<string>(promotedKey(name));
    return promoted && agent.prompts.has(promoted) ? promoted : agent.prompt;
  }

  async promote(name: string, version: string): Promise<{ previous: string }> {
    const previous = await this.activePrompt(name);
    await this.#store.settings.set(promotedKey(name), version);
    await this.#store.events.append(newEvent('agent.promoted', `agent:${name}`, { agent: name, promptVersion: version, previous }));
    return { previous };
  }
}
