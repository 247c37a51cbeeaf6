// Approval gates: given an action an agent or workflow proposes, say whether it may run (`allow`), must wait for
// the operator (`approve`) or may not run at all (`deny`). Every matching rule counts and the strictest wins, so
// a file can be read in any order. Two things no policy can loosen: a write proposed by a read-only agent is
// denied, and a write built while untrusted content was in context needs approval at least.

import { formatMoney } from '../domain/money.ts';
import {
  DEFAULT_POLICY,
  STRICTNESS,
  type ApprovalRule,
  type ApprovalsPolicy,
  type Outcome,
  type Policy,
} from './schema.ts';

export interface ProposedAction {
  /** What it does, `<area>.<verb>`: 'invoice.send', 'email.send', 'payment.create', 'calendar.create', 'memory.write'. */
  kind: string;
  amount?: { minor: number; currency: string };
  /** Addresses the action sends to ("Anna <anna@example.com>" is fine). */
  recipients?: string[];
  /** The agent that proposed it. */
  agent?: string;
  /** Built while untrusted content (an email, a web page, a document) was in context. */
  untrusted?: boolean;
  untrustedSources?: string[];
  /** Set by code (never by a model) to force treating the action as a write. */
  write?: true;
  /**
   * Set by code only from the operator's recorded decision on this very action (an engine approval), never from
   * text: an `approve` outcome is then satisfied and becomes `allow`. A `deny` stays a deny.
   */
  approved?: boolean;
}

export interface Decision {
  outcome: Outcome;
  /** One short sentence each, for the approval card and the event log. */
  reasons: string[];
  /** The rule that decided, by name (or `approvals.rules[i]`), when one did. */
  rule?: string;
  write: boolean;
}

/** Verbs that only read. Anything else is treated as a write: the safe default for an unknown action. */
const READ_VERBS = new Set([
  'get',
  'list',
  'read',
  'search',
  'find',
  'recall',
  'lookup',
  'view',
  'query',
  'count',
  'summarise',
  'summarize',
]);

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      '^' +
        pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
      'i',
    );
    globCache.set(pattern, re);
  }
  return re;
}
const matchesAny = (value: string, patterns: readonly string[]): boolean => patterns.some((p) => glob(p).test(value));

const section = (policy: Policy | ApprovalsPolicy): ApprovalsPolicy =>
  'approvals' in policy ? policy.approvals : policy;

export function isWriteAction(
  action: Pick<ProposedAction, 'kind' | 'write'>,
  policy: Policy | ApprovalsPolicy = DEFAULT_POLICY,
): boolean {
  if (action.write === true) return true;
  const verb = action.kind.split('.').pop()?.toLowerCase() ?? '';
  return !(READ_VERBS.has(verb) || matchesAny(action.kind, section(policy).read_actions));
}

/** The address inside "Name <a@b.c>", lower-cased; undefined when there is none. */
export function parseAddress(recipient: string): string | undefined {
  const inner = /<([^<>\s]+)>/.exec(recipient)?.[1] ?? recipient.trim();
  return /^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(inner) ? inner.toLowerCase() : undefined;
}

function recipientMatches(address: string, pattern: string): boolean {
  if (pattern.includes('@')) return address === pattern;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  if (pattern.startsWith('*.')) return domain === pattern.slice(2) || domain.endsWith(pattern.slice(1));
  return domain === pattern;
}

/** Whether the rule's conditions hold; the reasons say why (conditions with missing data hold, to be safe). */
function ruleFires(rule: ApprovalRule, action: ProposedAction): string[] | undefined {
  const why: string[] = [];
  if (rule.agents && !(action.agent !== undefined && matchesAny(action.agent, rule.agents))) return undefined;
  if (rule.amount_over) {
    const amount = action.amount;
    if (!amount || !Number.isSafeInteger(amount.minor) || amount.minor < 0) why.push('the amount is not known');
    else {
      const same = rule.amount_over.find((t) => t.currency === amount.currency.toUpperCase());
      if (!same) why.push(`the amount is in ${amount.currency}, which the rule has no threshold for`);
      else if (amount.minor > same.minor)
        why.push(`${formatMoney(amount.minor, amount.currency)} is over ${formatMoney(same.minor, same.currency)}`);
      else return undefined;
    }
  }
  const recipients = action.recipients ?? [];
  if (rule.recipients_outside) {
    const allow = rule.recipients_outside;
    if (recipients.length === 0) why.push('no recipients were given');
    const outside = recipients.filter((r) => {
      const address = parseAddress(r);
      return address === undefined || !allow.some((p) => recipientMatches(address, p));
    });
    if (outside.length > 0)
      why.push(`${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not on the allowed list`);
    else if (recipients.length > 0) return undefined;
  }
  if (rule.recipients_in) {
    const block = rule.recipients_in;
    const inside = recipients.filter((r) => {
      const address = parseAddress(r);
      return address !== undefined && block.some((p) => recipientMatches(address, p));
    });
    if (inside.length > 0) why.push(`${inside.join(', ')} ${inside.length === 1 ? 'is' : 'are'} on the blocked list`);
    else return undefined; // nobody on the list (an unreadable recipient is caught by allow-lists, not here)
  }
  return why;
}

const verbOf: Record<Outcome, string> = { allow: 'allows it', approve: 'needs your approval', deny: 'forbids it' };

/** The gate. Pure: the same action and policy always give the same decision. */
export function decide(action: ProposedAction, policy: Policy | ApprovalsPolicy = DEFAULT_POLICY): Decision {
  const approvals = section(policy);
  if (typeof action.kind !== 'string' || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i.test(action.kind)) {
    return { outcome: 'deny', reasons: [`"${String(action.kind)}" is not a valid action name`], write: true };
  }
  const write = isWriteAction(action, approvals);
  if (write && action.agent !== undefined && matchesAny(action.agent, approvals.read_only_agents)) {
    return {
      outcome: 'deny',
      reasons: [`${action.agent} is a read-only agent and may not ${action.kind}`],
      rule: 'approvals.read_only_agents',
      write,
    };
  }

  let outcome: Outcome | undefined;
  let rule: string | undefined;
  const reasons: string[] = [];
  approvals.rules.forEach((r, i) => {
    if (!matchesAny(action.kind, r.actions)) return;
    const why = ruleFires(r, action);
    if (why === undefined) return;
    const name = r.name ?? `approvals.rules[${i}]`;
    const sentence = r.reason ?? `${name} ${verbOf[r.then]}${why.length ? ` (${why.join('; ')})` : ''}`;
    if (outcome === undefined || STRICTNESS[r.then] > STRICTNESS[outcome]) {
      outcome = r.then;
      rule = name;
      reasons.length = 0;
    }
    if (r.then === outcome) reasons.push(sentence);
  });

  if (outcome === undefined) {
    outcome = write ? approvals.default_for_writes : 'allow';
    reasons.push(write ? `no rule covers ${action.kind}; writes default to ${outcome}` : `${action.kind} only reads`);
    rule = write ? 'approvals.default_for_writes' : undefined;
  }

  if (write && action.untrusted === true && outcome !== 'deny') {
    const from = action.untrustedSources?.length ? ` (${action.untrustedSources.slice(0, 3).join(', ')})` : '';
    const note = `it was proposed while reading untrusted content${from}, so you decide`;
    if (outcome === 'allow') {
      if (action.approved === true)
        return { outcome: 'allow', reasons: [note, ...reasons, 'you approved it'], rule: 'untrusted-content', write };
      return { outcome: 'approve', reasons: [note, ...reasons], rule: 'untrusted-content', write };
    }
    reasons.unshift(note);
  }
  if (outcome === 'approve' && action.approved === true) {
    outcome = 'allow';
    reasons.push('you approved it');
  }
  return rule === undefined ? { outcome, reasons, write } : { outcome, reasons, rule, write };
}
