// The event log's vocabulary. One interface keyed by event type; every union below is derived from it,
// so adding an event type makes every exhaustive switch a compile error until it handles the new case.
// Each stored event carries `v`, the schema version of its data, so old events stay readable after changes.

import type { ButtonSpec } from './messages.ts';

export interface EventDataMap {
  'system.started': { version: string; store: string; channels: string[] };
  'system.stopped': { reason: string };
  'message.received': { channel: string; chatId: string; senderId: string; text: string };
  'button.tapped': { channel: string; chatId: string; senderId: string; data: string };
  'message.sent': { channel: string; chatId: string; text: string; buttons: ButtonSpec[]; inReplyTo?: string };
  'sender.refused': { channel: string; senderId: string };
  'rate.limited': { channel: string; senderId: string; retryAfterSeconds: number };
  'command.failed': { command: string; code: string; message: string };
  'message.handled': { channel: string; chatId: string };
  'identity.linked': { channel: string; externalId: string; via: string };
  'link.requested': { channel: string; expiresAt: string };
  'run.started': { runId: string; workflow: string; version: number };
  'run.resumed': { runId: string; reason: string };
  /** Waiting for an approval (`approvalId`) or for an outside event (`waitingFor`: `wait:<event>:<key>`). */
  'run.suspended': { runId: string; approvalId?: string; waitingFor?: string };
  /** A run waits for an outside event; the dedupe key `wait:<event>:<key>` finds the waiter. */
  'run.waiting': { runId: string; stepId: string; event: string; key: string };
  /** An outside event arrived (a payment, a reply, a schedule); the dedupe key `signal:<event>:<key>` keeps it once. */
  'signal.received': { event: string; key: string; payload: unknown };
  'run.finished': { runId: string; workflow: string; status: string; error?: string };
  'run.needs_review': { runId: string; stepId: string; reason: string };
  'step.completed': {
    runId: string;
    stepId: string;
    kind: string;
    attempts: number;
    durationMs: number;
    replayed: boolean;
  };
  'step.retried': { runId: string; stepId: string; attempt: number; error: string; delayMs: number };
  'step.failed': { runId: string; stepId: string; attempts: number; error: string; retriable: boolean };
  'step.compensated': { runId: string; stepId: string };
  'approval.requested': { runId: string; approvalId: string; stepId: string; title: string; expiresAt: string };
  'approval.decided': { runId: string; approvalId: string; decision: string; by: string; via: string };
  'memory.added': {
    memoryId: string;
    kind: string;
    text: string;
    entities: string[];
    channel?: string;
    runId?: string;
    importedFrom?: string;
  };
  'memory.updated': { memoryId: string; text: string; previousText: string; reason: string };
  'memory.corrected': { memoryId: string; replacedBy: string; text: string; previousText: string; reason?: string };
  'memory.forgotten': { memoryId: string; reason: string };
  'memory.restored': { memoryId: string };
  'memory.compacted': { digestId: string; sources: string[]; method: string };
  'memory.imported': { source: string; created: number; updated: number; skipped: number };
  'llm.called': {
    callId: string;
    model: string;
    agent?: string;
    runId?: string;
    promptTokens: number;
    completionTokens: number;
    costUsd: number;
    latencyMs: number;
    attempts: number;
    fallback: boolean;
    promptVersion?: string;
  };
  'llm.failed': { callId: string; model: string; agent?: string; runId?: string; error: string; attempts: number };
  'policy.loaded': { files: string[]; digest: string };
  'policy.rejected': { file: string; error: string };
  'policy.violation': { policy: string; rule: string; detail: string; runId?: string; agent?: string };
  'budget.reserved': { reservationId: string; scopes: string[]; estimateUsd: number; runId?: string; agent?: string };
  'budget.settled': { reservationId: string; actualUsd: number };
  'budget.exceeded': {
    scope: string;
    limitUsd: number;
    spentUsd: number;
    estimateUsd: number;
    runId?: string;
    agent?: string;
  };
  /** One agent invocation: its input as sent (redacted) so a new version can be replayed against it. */
  'agent.ran': {
    agent: string;
    version: string;
    promptVersion: string;
    callId: string;
    runId?: string;
    request: string;
    context: string;
    /** Other template values ({{clients}}, {{activity}}), redacted. */
    values?: Record<string, string>;
    output: unknown;
    costUsd: number;
    latencyMs: number;
    promptTokens: number;
    completionTokens: number;
  };
  'agent.promoted': { agent: string; promptVersion: string; previous: string };
  'action.proposed': {
    runId?: string;
    agent: string;
    action: string;
    outcome: string;
    reasons: string[];
    untrusted: boolean;
  };
  /** Stream `schedule:<id>`. `by`: operator, system, or run:<id> (a workflow's follow-up). */
  'schedule.created': {
    scheduleId: string;
    title: string;
    workflow: string;
    when: string;
    timeZone: string;
    missed: string;
    by: string;
  };
  /** A due time fired: the run it started (an existing run when this fire had happened before), how late, by which process. */
  'schedule.fired': {
    scheduleId: string;
    workflow: string;
    due: string;
    firedAt: string;
    latenessMs: number;
    runId: string;
    created: boolean;
    catchUp: boolean;
    pid?: number;
  };
  /** Due times missed while Solo OS was not running, and what the missed-run policy did about them. */
  'schedule.missed': {
    scheduleId: string;
    policy: string;
    missed: number;
    ran: number;
    skipped: number;
    first: string;
    last: string;
  };
  'schedule.paused': { scheduleId: string; by: string };
  'schedule.resumed': { scheduleId: string; by: string; next: string | null };
  'schedule.removed': { scheduleId: string; by: string };
  /** A fire could not start its run (the workflow is gone, its input no longer fits): the schedule is paused. */
  'schedule.failed': { scheduleId: string; due: string; error: string };
  /** A new inbox mail, as triaged (sender and subject only: the body stays in the mailbox). */
  'mail.received': {
    mailId: string;
    messageId?: string;
    from?: string;
    subject: string;
    kind: string;
    quiet: boolean;
    reason: string;
    threadMessageId?: string;
  };
}

/** Current schema version of each event type's data. Bump when a type's data changes shape. */
export const EVENT_VERSIONS = {
  'system.started': 1,
  'system.stopped': 1,
  'message.received': 1,
  'button.tapped': 1,
  'message.sent': 1,
  'sender.refused': 1,
  'rate.limited': 1,
  'command.failed': 1,
  'message.handled': 1,
  'identity.linked': 1,
  'link.requested': 1,
  'run.started': 1,
  'run.resumed': 1,
  'run.suspended': 1,
  'run.waiting': 1,
  'signal.received': 1,
  'run.finished': 1,
  'run.needs_review': 1,
  'step.completed': 1,
  'step.retried': 1,
  'step.failed': 1,
  'step.compensated': 1,
  'approval.requested': 1,
  'approval.decided': 1,
  'memory.added': 1,
  'memory.updated': 1,
  'memory.corrected': 1,
  'memory.forgotten': 1,
  'memory.restored': 1,
  'memory.compacted': 1,
  'memory.imported': 1,
  'llm.called': 1,
  'llm.failed': 1,
  'policy.loaded': 1,
  'policy.rejected': 1,
  'policy.violation': 1,
  'budget.reserved': 1,
  'budget.settled': 1,
  'budget.exceeded': 1,
  'agent.ran': 1,
  'agent.promoted': 1,
  'action.proposed': 1,
  'schedule.created': 1,
  'schedule.fired': 1,
  'schedule.missed': 1,
  'schedule.paused': 1,
  'schedule.resumed': 1,
  'schedule.removed': 1,
  'schedule.failed': 1,
  'mail.received': 1,
} as const satisfies Record<keyof EventDataMap, number>;

export type EventType = keyof EventDataMap;

/** An event about to be appended. `dedupeKey` makes the append idempotent: a second append with the same key is a no-op. */
export type NewEvent = {
  [K in EventType]: { type: K; stream: string; data: EventDataMap[K]; dedupeKey?: string };
}[EventType];

/** An event as stored: `position` is global and increasing, `seq` counts from 1 within its stream. */
export type StoredEvent = {
  [K in EventType]: {
    type: K;
    v: number;
    stream: string;
    seq: number;
    position: number;
    at: Date;
    data: EventDataMap[K];
    dedupeKey?: string;
  };
}[EventType];

export function newEvent<K extends EventType>(
  type: K,
  stream: string,
  data: EventDataMap[K],
  dedupeKey?: string,
): NewEvent {
  return (dedupeKey === undefined ? { type, stream, data } : { type, stream, data, dedupeKey }) as NewEvent;
}
