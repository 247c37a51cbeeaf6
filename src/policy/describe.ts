// The policy in force, in plain sentences for the operator (the /policies command): what needs approval, the
// limits, what is masked, the budgets and the quiet hours. Short enough for one chat message.

import { formatMoney } from '../domain/money.ts';
import { systemTimeZone, type ApprovalRule, type Policy } from './schema.ts';

const list = (items: readonly string[], and = 'and'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
const usd = (n: number): string => `$${n.toFixed(2)}`;

function ruleLine(rule: ApprovalRule): string {
  const when: string[] = [];
  if (rule.amount_over)
    when.push(
      `over ${list(
        rule.amount_over.map((t) => formatMoney(t.minor, t.currency)),
        'or',
      )}`,
    );
  if (rule.recipients_outside) when.push(`to anyone outside ${list(rule.recipients_outside)}`);
  if (rule.recipients_in) when.push(`to ${list(rule.recipients_in, 'or')}`);
  if (rule.agents) when.push(`proposed by ${list(rule.agents, 'or')}`);
  const verdict = { allow: 'go ahead', approve: 'wait for your approval', deny: 'are refused' }[rule.then];
  return `• ${list(rule.actions)}${when.length ? ` ${when.join(', ')}` : ''}: ${verdict}${rule.name ? ` (${rule.name})` : ''}`;
}

export function describePolicy(policy: Policy): string {
  const a = policy.approvals;
  const lines = ['Approvals:'];
  lines.push(...a.rules.map(ruleLine));
  lines.push(
    `• any other write: ${{ allow: 'goes ahead', approve: 'waits for your approval', deny: 'is refused' }[a.default_for_writes]}`,
  );
  if (a.read_only_agents.length) lines.push(`• read-only agents: ${list(a.read_only_agents)}`);
  lines.push(
    '• anything proposed while reading outside content (emails, web pages, documents) waits for your approval',
  );

  const limits = Object.entries(policy.rate_limits);
  lines.push(
    `Rate limits: ${limits.length ? limits.map(([scope, spec]) => `${scope} ${spec.text}`).join(', ') : 'none'}`,
  );

  const r = policy.redaction;
  const masked = r.enabled
    ? (['emails', 'phones', 'ibans', 'cards', 'secrets'] as const)
        .filter((k) => r[k])
        .map(String)
        .concat(r.custom.map((c) => c.name))
    : [];
  lines.push(
    `Masked before the AI sees it: ${masked.length ? list(masked) : 'nothing (secrets and card numbers are still masked in logs)'}`,
  );

  const b = policy.budgets;
  const budgets: string[] = [];
  if (b.per_run_usd !== undefined) budgets.push(`${usd(b.per_run_usd)} per task`);
  if (b.per_day_usd !== undefined) budgets.push(`${usd(b.per_day_usd)} per day`);
  for (const [agent, limit] of Object.entries(b.per_agent_usd_per_day))
    budgets.push(`${usd(limit)} per day for ${agent === '*' ? 'each other agent' : agent}`);
  lines.push(
    `AI budgets: ${budgets.length ? list(budgets) : 'no limit'}${b.time_zone ? ` (days in ${b.time_zone})` : ''}`,
  );

  const q = policy.quiet_hours;
  if (!q.enabled || (q.hours.length === 0 && q.all_day.length === 0)) lines.push('Quiet hours: none');
  else {
    const when = [...q.hours.map((w) => w.text), ...q.all_day.map((d) => `all ${d}`)];
    lines.push(
      `Quiet hours: ${list(when)} (${q.time_zone ?? systemTimeZone()}), holding ${list(q.hold.map((h) => (h === 'proactive' ? 'messages I start myself' : 'non-urgent notices')))}`,
    );
  }
  return lines.join('\n');
}
