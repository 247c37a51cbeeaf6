// The core services for tests that build a Conductor by hand: memory on the given store (keyword recall, no
// embedding model) and the default policies (an empty policies folder).

import type { Services } from '../../src/inbound/context.ts';
import { MemoryService } from '../../src/memory/memory.ts';
import { PolicyService } from '../../src/policy/loader.ts';
import { tempDir } from './app.ts';

export function testServices(base: Omit<Services, 'memory' | 'policies'>): Services {
  const memory = new MemoryService({ store: base.store, logger: base.logger });
  const policies = new PolicyService({ dir: tempDir('solo-policies-') });
  return { ...base, memory, policies };
}
