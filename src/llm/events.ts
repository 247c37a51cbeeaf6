// From a call record to the event the log keeps: `llm.called` for a success, `llm.failed` for a failure, in the
// run's stream when the call belongs to a run (else `llm`), with a dedupe key per call so a replayed append is a
// no-op. The composition root passes this as the adapter's `onCall`: `onCall: (r) => store.events.append(llmEvent(r))`.

import { newEvent, type NewEvent } from '../domain/events.ts';
import type { LlmCallRecord } from '../ports/llm.ts';

export function llmEvent(record: LlmCallRecord, stream = record.runId ? `run:${record.runId}` : 'llm'): NewEvent {
  const who = {
    ...(record.agent === undefined ? {} : { agent: record.agent }),
    ...(record.runId === undefined ? {} : { runId: record.runId }),
  };
  if (!record.ok) {
    return newEvent(
      'llm.failed',
      stream,
      { callId: record.callId, model: record.model, ...who, error: record.error, attempts: record.attempts },
      `llm:${record.callId}`,
    );
  }
  return newEvent(
    'llm.called',
    stream,
    {
      callId: record.callId,
      model: record.model,
      ...who,
      promptTokens: record.promptTokens,
      completionTokens: record.completionTokens,
      costUsd: record.costUsd,
      latencyMs: record.latencyMs,
      attempts: record.attempts,
      fallback: record.fallback,
      ...(record.promptVersion === undefined ? {} : { promptVersion: record.promptVersion }),
    },
    `llm:${record.callId}`,
  );
}
