// A real engine on a real SQLite file, with a message sink standing in for the channel (it records what the
// engine sends). `restart()` builds a fresh Engine on the same file, as a process restart would.

import { recordingDelivery } from '../support/delivery.ts';
import { pino } from 'pino';
import type { OutboundMessage } from '../../src/domain/messages.ts';
import { Engine, type EnginePolicy } from '../../src/engine/engine.ts';
import type { AnyWorkflow, WorkflowDefinition } from '../../src/engine/workflow.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';

export interface Harness {
  store: SqliteStore;
  engine: Engine;
  sent: OutboundMessage[];
  restart(): Promise<Engine>;
  close(): Promise<void>;
}

export const origin = { channel: 'web', chatId: 'operator' };

export async function harness(workflows: AnyWorkflow[], now?: () => Date, policy?: EnginePolicy): Promise<Harness> {
  const dir = tempDir('solo-engine-');
  let store = new SqliteStore(dir);
  await store.init();
  const sent: OutboundMessage[] = [];
  const make = () => {
    const engine = new Engine({
      store,
      logger: pino({ level: 'silent' }),
      delivery: recordingDelivery(sent),
      ...(now ? { now } : {}),
      ...(policy ? { policy } : {}),
    });
    for (const w of workflows) engine.register(w as WorkflowDefinition<unknown, unknown>);
    return engine;
  };
  const h: Harness = {
    store,
    engine: make(),
    sent,
    restart: async () => {
      await h.engine.idle();
      await store.close();
      store = new SqliteStore(dir);
      await store.init();
      h.store = store;
      h.engine = make();
      return h.engine;
    },
    close: async () => {
      await h.engine.idle();
      await store.close();
    },
  };
  return h;
}

/** The approval button data on the last card sent. */
export function lastCardButtons(sent: OutboundMessage[]): Record<string, string> {
  const card = [...sent].reverse().find((m) => m.text.startsWith('Approval needed'));
  return Object.fromEntries((card?.buttons ?? []).map((b) => [b.label, b.data]));
}
