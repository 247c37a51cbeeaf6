// A Conductor built by hand for tests and benches that drive it without the whole app: the real delivery, memory
// (keyword recall, no embedding model) and default policies (an empty policies folder) on the given store, and a
// registry the caller shapes (by default /help, /status and the memory commands).

import { helpCommand, statusCommand } from '../../src/commands/builtin.ts';
import { memoryCommands } from '../../src/commands/memory.ts';
import { Registry } from '../../src/commands/registry.ts';
import { Conductor } from '../../src/conductor/conductor.ts';
import { Delivery } from '../../src/delivery/delivery.ts';
import { Links } from '../../src/identity/links.ts';
import { MemoryService } from '../../src/memory/memory.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { PolicyService } from '../../src/policy/loader.ts';
import type { Channel } from '../../src/ports/channel.ts';
import type { Store } from '../../src/ports/store.ts';
import { tempDir } from './app.ts';

export interface TestCore {
  conductor: Conductor;
  delivery: Delivery;
  memory: MemoryService;
}

export interface TestCoreOptions {
  store: Store;
  logger: Logger;
  channels: () => Channel[];
  /** Messages per sender per minute (default 60; 0 turns the limit off). */
  ratePerMinute?: number;
  /** Shapes the registry; gets one with /help, /status and the memory commands unless `bare` is set. */
  registry?: (registry: Registry, parts: { memory: MemoryService; delivery: Delivery }) => Registry;
  /** Start from an empty registry. */
  bare?: boolean;
}

export function testCore(o: TestCoreOptions): TestCore {
  const memory = new MemoryService({ store: o.store, logger: o.logger });
  const policies = new PolicyService({ dir: tempDir('solo-policies-') });
  const delivery = new Delivery({
    events: o.store.events,
    settings: o.store.settings,
    channels: o.channels,
    policy: () => policies.current(),
    logger: o.logger,
    fallback: { channel: 'web', chatId: 'operator' },
  });
  const links = new Links({ settings: o.store.settings, identities: o.store.identities, events: o.store.events });
  let registry = new Registry();
  if (!o.bare) {
    registry
      .add(helpCommand(registry))
      .add(
        statusCommand({
          version: 'test',
          startedAt: new Date(),
          store: o.store,
          memory,
          channels: o.channels,
          config: {},
        }),
      )
      .add(
        memoryCommands({
          memory,
          store: o.store,
          settings: o.store.settings,
          now: () => new Date(),
          importDir: tempDir('solo-import-'),
          agents: () => undefined,
        }),
      );
  }
  registry = o.registry ? o.registry(registry, { memory, delivery }) : registry;
  const conductor = new Conductor({
    registry,
    delivery,
    events: o.store.events,
    identities: o.store.identities,
    links,
    logger: o.logger,
    ratePerMinute: o.ratePerMinute ?? 60,
    channels: o.channels,
  });
  return { conductor, delivery, memory };
}
