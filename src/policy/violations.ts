// A policy stopped something: build the `policy.violation` event for the audit trail and the one sentence the
// operator reads. Details pass through redaction first, since a violation often quotes the action that caused it.

import { newEvent, type NewEvent } from '../domain/events.ts';
import type { Decision, ProposedAction } from './approvals.ts';
import type { ReserveResult } from './budgets.ts';
import type { ConsumeResult } from './rate-limits.ts';
import { redactForLog } from './redact.ts';
import type { Section } from './schema.ts';

const VIOLATIONS_STREAM = 'policy';

export interface Violation {
  /** Which part of the policy: a section name, or 'untrusted' for the untrusted-content gate. */
  policy: Section | 'untrusted';
  /** The rule or limit, e.g. 'approvals.rules[2]', 'per_run_usd', 'connector:mail'. */
  rule: string;
  /** What happened, in plain words. */
  detail: string;
  runId?: string;
  agent?: string;
}

export interface ViolationReport {
  event: NewEvent;
  /** One sentence for the operator's notice. */
  notice: string;
}

const clean = (text: string): string => {
  const red = redactForLog(text);
  const s = (typeof red === 'string' ? red : String(red)).replace(/\s+/g, ' ').trim();
  return s.length > 300 ? s.slice(0, 299) + '…' : s;
};

const sentence = (s: string): string => {
  const t = s.trim();
  return (t.charAt(0).toUpperCase() + t.slice(1)).replace(/([^.!?…])$/, '$1.');
};

export function reportViolation(v: Violation): ViolationReport {
  const detail = clean(v.detail);
  const data = {
    policy: v.policy,
    rule: v.rule,
    detail,
    ...(v.runId === undefined ? {} : { runId: v.runId }),
    ...(v.agent === undefined ? {} : { agent: v.agent }),
  };
  const where = v.runId === undefined ? '' : ` (run ${v.runId})`;
  return {
    event: newEvent('policy.violation', VIOLATIONS_STREAM, data),
    notice: sentence(`Blocked by policy${where}: ${detail}`),
  };
}

/** A denied action. Returns undefined for allow/approve: those are not violations. */
export function violationFromDecision(
  action: ProposedAction,
  decision: Decision,
  runId?: string,
): ViolationReport | undefined {
  if (decision.outcome !== 'deny') return undefined;
  const why = decision.reasons.join('; ');
  return reportViolation({
    policy: 'approvals',
    rule: decision.rule ?? 'approvals',
    detail: `${action.kind}${action.agent === undefined ? '' : ` proposed by ${action.agent}`} was refused: ${why}`,
    ...(runId === undefined ? {} : { runId }),
    ...(action.agent === undefined ? {} : { agent: action.agent }),
  });
}

export function violationFromBudget(
  result: ReserveResult,
  context: { runId?: string; agent?: string } = {},
): ViolationReport | undefined {
  if (result.ok) return undefined;
  return reportViolation({ policy: 'budgets', rule: result.scope, detail: result.message, ...context });
}

export function violationFromRateLimit(
  result: ConsumeResult,
  context: { runId?: string; agent?: string } = {},
): ViolationReport | undefined {
  if (result.ok) return undefined;
  return reportViolation({
    policy: 'rate_limits',
    rule: result.limit.split(':').slice(0, 2).join(':'),
    detail: result.message,
    ...context,
  });
}
