// The agents this process runs, with each one's active prompt version. The version in agent.yaml is the default;
// /promote records a newer one in settings (and the event log), so promotion survives restarts without editing
// files, and /compare can try any version on disk first. The prompts folder is watched like policies/: a version
// added or edited while running is used without a restart.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { newEvent } from '../domain/events.ts';
import type { Store } from '../ports/store.ts';
import { loadAgents, loadPrompts, type AgentDefinition } from './definition.ts';
import { TOOLS } from './tools.ts';

const promotedKey = (agent: string): string => `agent.prompt.${agent}`;

export class AgentCatalog {
  readonly #agents: Map<string, AgentDefinition>;
  readonly #store: Store;
  readonly #promptsDir: string | undefined;
  readonly #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** `promptsDir` lets the catalog re-read prompt versions (reloadPrompts, watch). */
  constructor(agents: Map<string, AgentDefinition>, store: Store, promptsDir?: string) {
    for (const agent of agents.values()) {
      const unknown = agent.tools.filter((t) => !TOOLS.has(t));
      if (unknown.length > 0)
        throw new Error(
          `agents/${agent.name}/agent.yaml: unknown tool ${unknown.join(', ')} (known: ${[...TOOLS.keys()].join(', ')})`,
        );
      const writes = agent.tools.filter((t) => TOOLS.get(t)?.kind === 'write');
      if (writes.length > 0 && agent.class !== 'write')
        throw new Error(`agents/${agent.name}/agent.yaml: class read cannot use write tools (${writes.join(', ')})`);
    }
    this.#agents = agents;
    this.#store = store;
    this.#promptsDir = promptsDir;
  }

  static async load(agentsDir: string, promptsDir: string, store: Store): Promise<AgentCatalog> {
    return new AgentCatalog(await loadAgents(agentsDir, promptsDir), store, promptsDir);
  }

  /** Re-reads the prompt versions of one agent (or of all) from disk. The version agent.yaml names stays usable. */
  async reloadPrompts(name?: string): Promise<void> {
    if (this.#promptsDir === undefined) return;
    const agents =
      name === undefined ? [...this.#agents.values()] : [this.#agents.get(name)].filter((a) => a !== undefined);
    for (const agent of agents) {
      const prompts = await loadPrompts(this.#promptsDir, agent.name);
      const fallback = agent.prompts.get(agent.prompt);
      if (!prompts.has(agent.prompt) && fallback !== undefined) prompts.set(agent.prompt, fallback);
      this.#agents.set(agent.name, { ...agent, prompts });
    }
    for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` after every reload of prompts; returns the unsubscribe function. */
  onReload(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads the prompts a moment after anything under the prompts folder changes (debounced). */
  watch(debounceMs = 150): void {
    if (this.#watcher || this.#promptsDir === undefined || !existsSync(this.#promptsDir)) return;
    this.#watcher = watch(this.#promptsDir, { recursive: true, persistent: false }, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reloadPrompts().catch(() => undefined), debounceMs);
      this.#timer.unref();
    });
    // The folder went away: keep the prompts in hand; a restart picks up a new folder.
    this.#watcher.on('error', () => this.close());
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
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
    await this.#store.events.append(
      newEvent('agent.promoted', `agent:${name}`, { agent: name, promptVersion: version, previous }),
    );
    return { previous };
  }
}
