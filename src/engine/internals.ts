// What a RunContext needs from its engine. Kept as an interface so run-context.ts does not import engine.ts.

import type { EventDataMap, EventType, NewEvent } from '../domain/events.ts';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { ApprovalRecord, RunRecord } from '../ports/engine-store.ts';
import type { Store } from '../ports/store.ts';

export interface EngineInternals {
  readonly store: Store;
  now(): Date;
  newApprovalId(): string;
  approvalExpiryMs(): number;
  cancelRequested(runId: string): boolean;
  emit<K extends EventType>(type: K, data: EventDataMap[K]): Promise<void>;
  eventFor<K extends EventType>(type: K, data: EventDataMap[K]): NewEvent;
  announce<K extends EventType>(type: K, data: EventDataMap[K]): void;
  send(run: RunRecord, message: OutboundMessage, dedupeKey?: string): Promise<SentMessage | undefined>;
  sendCard(run: RunRecord, approval: ApprovalRecord): Promise<void>;
}
