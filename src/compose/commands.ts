// Every command family with the ports and services it needs, in one registry. /help and the platforms' command
// menus are generated from it. Free text goes to the router last: every other text handler (why?, Edit replies)
// sees it first.

import { agentCommands } from '../commands/agents.ts';
import { bookingCommands } from '../commands/booking.ts';
import { businessCommands } from '../commands/business.ts';
import { helpCommand, statusCommand, type StatusDeps } from '../commands/builtin.ts';
import { exportCommands } from '../commands/export.ts';
import { freeTextHandler } from '../commands/free-text.ts';
import { identityCommands } from '../commands/identity.ts';
import { invoiceCommands, knownClient } from '../commands/invoices.ts';
import { memoryCommands } from '../commands/memory.ts';
import { Registry, type CommandFamily } from '../commands/registry.ts';
import { runCommands } from '../commands/runs.ts';
import { scheduleCommands } from '../commands/schedules.ts';
import type { Config } from '../config.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Engine } from '../engine/engine.ts';
import type { Links } from '../identity/links.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { Store } from '../ports/store.ts';
import { workingHoursSetting } from '../workflows/booking.ts';
import type { AgentsPart } from './agents.ts';
import type { SchedulingPart } from './scheduler.ts';
import type { ConnectorsPart } from './connectors.ts';
import { contentCommandFamily } from './content.ts';

export interface CommandParts {
  config: Config;
  store: Store;
  engine: Engine;
  memory: MemoryService;
  policies: PolicyService;
  delivery: Delivery;
  links: Links;
  agents: AgentsPart;
  scheduling: SchedulingPart;
  connectors: ConnectorsPart;
  status: Omit<StatusDeps, 'memory' | 'store' | 'config'>;
  /** /lead, /pipeline, /packages (src/compose/consultant.ts). */
  pipeline?: CommandFamily;
}

export function composeCommands(p: CommandParts, extend?: (registry: Registry) => Registry): Registry {
  const now = () => p.engine.now();
  const registry = new Registry();
  registry
    .add(helpCommand(registry))
    .add(
      statusCommand({
        ...p.status,
        extra: [...(p.status.extra ?? []), () => p.scheduling.status()],
        memory: p.memory,
        store: p.store,
        config: p.config,
      }),
    )
    .add(
      invoiceCommands({
        engine: p.engine,
        ledger: p.store.ledger,
        settings: p.store.settings,
        now,
        isKnownClient: knownClient(p.memory),
        markPaid: p.connectors.markPaid,
      }),
    )
    .add(businessCommands({ settings: p.store.settings }))
    .add(
      bookingCommands({
        engine: p.engine,
        runs: p.store.runs,
        calendarConfigured: () => p.connectors.calendar !== undefined,
        hours: workingHoursSetting(p.store.settings),
      }),
    )
    .add(
      runCommands({ engine: p.engine, runs: p.store.runs, approvals: p.store.approvals, settings: p.store.settings }),
    )
    .add(identityCommands({ links: p.links, delivery: p.delivery }))
    .add(
      memoryCommands({
        memory: p.memory,
        store: p.store,
        settings: p.store.settings,
        now,
        importDir: p.config.IMPORT_DIR,
        agents: p.agents.agents,
      }),
    )
    .add(
      agentCommands({
        agents: p.agents.agents,
        catalog: p.agents.catalog,
        policies: p.policies,
        store: p.store,
        agentsDir: p.config.AGENTS_DIR,
      }),
    )
    .add(exportCommands({ memories: p.store.memories, copy: p.store.copy, now }))
    .add(scheduleCommands({ scheduling: () => p.scheduling.ready(), engine: p.engine, runs: p.store.runs }))
    .add(contentCommandFamily(p))
    .add(p.pipeline ?? {});
  const extended = extend ? extend(registry) : registry;
  return extended.add(freeTextHandler({ agents: p.agents.agents, engine: p.engine, settings: p.store.settings }));
}
