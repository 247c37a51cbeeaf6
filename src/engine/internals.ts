// What a RunContext and the signal handler need from their engine. Kept as an interface so that neither imports
// engine.ts.

import type { EventDataMap, EventType, NewEvent } from '../domain/events.ts';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProposedAction } from '../policy/approvals.ts';
import type { ApprovalRecord, RunRecord } from '../ports/engine-store.ts';
import type { Store } from '../ports/store.ts';

/** The approvals policy's answer for one effect, as journaled. */
export interface PolicyVerdict {
  outcome: 'allow' | 'approve' | 'deny';
  reasons: string[];
}

export interface EngineInternals {
  readonly store: Store;
  readonly log: Logger;
  now(): Date;
  newApprovalId(): string;
  approvalExpiryMs(): number;
  cancelRequested(runId: string): boolean;
  decideEffect(action: ProposedAction, runId: string): Promise<PolicyVerdict>;
  emit<K extends EventType>(type: K, data: EventDataMap[K]): Promise<void>;
  eventFor<K extends EventType>(type: K, data: EventDataMap[K]): NewEvent;
  announce<K extends EventType>(type: K, data: EventDataMap[K]): void;
  send(run: RunRecord, message: OutboundMessage, dedupeKey?: string): Promise<SentMessage | undefined>;
  sendCard(run: RunRecord, approval: ApprovalRecord): Promise<void>;
}
