// The approvals policy as the engine asks it, once per effect step: decide, record the decision in the run's
// stream (`action.proposed`: the audit trail of every effect), and report a denial (event log and operator
// notice).

import { newEvent } from '../domain/events.ts';
import type { EventLog } from '../ports/store.ts';
import { decide, type ProposedAction } from './approvals.ts';
import type { PolicyService } from './loader.ts';
import type { Outcome } from './schema.ts';
import { violationFromDecision } from './violations.ts';

export interface PolicyGate {
  decide(action: ProposedAction, runId: string): Promise<{ outcome: Outcome; reasons: string[] }>;
}

export function policyGate(
  policies: Pick<PolicyService, 'current'>,
  events: EventLog,
  notice: (text: string) => void,
): PolicyGate {
  return {
    async decide(action, runId) {
      const decision = decide(action, policies.current());
      const violation = violationFromDecision(action, decision, runId);
      if (violation) {
        await events.append(violation.event);
        notice(violation.notice);
      }
      await events.append(
        newEvent('action.proposed', `run:${runId}`, {
          runId,
          agent: action.agent ?? 'workflow',
          action: action.kind,
          outcome: decision.outcome,
          reasons: decision.reasons,
          untrusted: action.untrusted ?? false,
        }),
      );
      return { outcome: decision.outcome, reasons: decision.reasons };
    },
  };
}
