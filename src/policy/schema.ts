// The shape of policies/*.yaml, and the only place it is defined. Each file may hold any of the sections
// `approvals`, `rate_limits`, `redaction`, `budgets`, `quiet_hours`; the loader merges files. A section that no
// file defines takes the default below, so Solo OS works with an empty policies folder. Field names are written
// for a person editing YAML by hand: `then: approve`, `amount_over: 500 EUR`, `connector:mail: 20/hour`.

import { z } from 'zod';
import { parseAmount } from '../domain/money.ts';

const OUTCOMES = ['allow', 'approve', 'deny'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** How strict an outcome is: the strictest matching rule wins. */
export const STRICTNESS: Record<Outcome, number> = { allow: 0, approve: 1, deny: 2 };

export const SECTIONS = ['approvals', 'rate_limits', 'redaction', 'budgets', 'quiet_hours'] as const;
export type Section = (typeof SECTIONS)[number];

const outcome = z.enum(OUTCOMES, { error: 'expected allow, approve or deny' });

/** A string or a list of strings, always read as a list. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item)])
    .transform((v): z.output<T>[] => (Array.isArray(v) ? (v as z.output<T>[]) : [v as z.output<T>]));

const actionPattern = z
  .string({ error: 'expected an action such as invoice.send or payment.*' })
  .regex(/^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$/i, {
    error: 'expected an action such as invoice.send or payment.* (letters, digits, dots, *)',
  });

const agentName = z.string({ error: 'expected an agent name' }).regex(/^([a-z0-9][a-z0-9_-]{0,39}|\*)$/i, {
  error: 'expected an agent name such as draft or research (letters, digits, - and _)',
});

/** `example.com`, `*.example.com` (subdomains) or one address `anna@example.com`. */
const recipientPattern = z
  .string({ error: 'expected a domain such as example.com or an address such as anna@example.com' })
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(v) || /^[^\s@]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(v), {
    error: 'expected a domain such as example.com, *.example.com, or an address such as anna@example.com',
  });

const SYMBOLS: Record<string, string> = { '€': 'EUR', $: 'USD', '£': 'GBP' };

interface Threshold {
  minor: number;
  currency: string;
}

/** Reads "500 EUR", "EUR 500", "€500", "1,200.50 USD", "0 EUR". */
function parseThreshold(text: string): Threshold | undefined {
  const m = /^\s*(?:([A-Z]{3}|[€$£])\s*)?([\d.,' ]+?)\s*([A-Z]{3}|[€$£])?\s*$/.exec(text);
  if (!m) return undefined;
  const code = m[1] ?? m[3];
  if (code === undefined || (m[1] !== undefined && m[3] !== undefined)) return undefined;
  const currency = SYMBOLS[code] ?? code;
  const digits = m[2] ?? '';
  const minor = /^0+([.,]0+)?$/.test(digits) ? 0 : parseAmount(digits);
  return minor === undefined ? undefined : { minor, currency };
}

const threshold = z
  .union([z.string(), z.number()], { error: 'expected an amount with its currency, e.g. 500 EUR' })
  .transform((v, ctx) => {
    const parsed = typeof v === 'string' ? parseThreshold(v) : undefined;
    if (!parsed) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an amount with its currency, e.g. 500 EUR (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    return parsed;
  });

const approvalRule = z.strictObject({
  /** Shown to the operator on the approval card and in the event log. */
  name: z.string().min(1).max(80).optional(),
  actions: listOf(actionPattern),
  /** Only when one of these agents proposes the action. */
  agents: listOf(agentName).optional(),
  /** Only when the amount is over one of these (per currency). An amount in another currency, or none, counts as over. */
  amount_over: listOf(threshold).optional(),
  /** Only when some recipient is NOT one of these (an allow-list). */
  recipients_outside: listOf(recipientPattern).optional(),
  /** Only when some recipient IS one of these (a block-list). */
  recipients_in: listOf(recipientPattern).optional(),
  then: outcome,
  /** The operator's own words, shown with the decision. */
  reason: z.string().max(200).optional(),
});
export type ApprovalRule = z.infer<typeof approvalRule>;

const approvalsSchema = z.strictObject({
  /** What happens to a write action that no rule covers. */
  default_for_writes: outcome.default('approve'),
  /** Actions that only read, beyond the built-in verbs (get, list, read, search, find, recall, lookup, view, query). */
  read_actions: listOf(actionPattern).prefault([]),
  /** Agents that may only read: any write they propose is denied. */
  read_only_agents: listOf(agentName).prefault([]),
  rules: z.array(approvalRule, { error: 'expected a list of rules, each starting with "- actions:"' }).prefault([]),
});
export type ApprovalsPolicy = z.infer<typeof approvalsSchema>;

const RATE_UNITS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;
export interface RateSpec {
  points: number;
  durationSeconds: number;
  text: string;
}

/** "20/hour", "20 per hour", "30/min", "5/s". */
function parseRate(text: string): RateSpec | undefined {
  const m = /^\s*(\d+)\s*(?:\/|per)\s*(s|sec|second|m|min|minute|h|hr|hour|d|day)s?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const key = unit.startsWith('s') ? 'second' : unit.startsWith('m') ? 'minute' : unit.startsWith('h') ? 'hour' : 'day';
  const points = Number(m[1]);
  return points >= 1 && points <= 1_000_000
    ? { points, durationSeconds: RATE_UNITS[key], text: `${points}/${key}` }
    : undefined;
}

const rate = z.string({ error: 'expected a rate such as 20/hour or 30/minute' }).transform((v, ctx) => {
  const parsed = parseRate(v);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `expected a rate such as 20/hour or 30/minute (got "${v}")` });
    return z.NEVER;
  }
  return parsed;
});

const RATE_SCOPE = /^(connector|agent|tool|channel):([a-z0-9][a-z0-9_.-]*|\*)$/i;
const rateLimitsSchema = z.record(
  z.string().regex(RATE_SCOPE, { error: 'expected a scope such as connector:mail, agent:research or agent:*' }),
  rate,
);
export type RateLimitsPolicy = z.infer<typeof rateLimitsSchema>;

const BUILTIN_KINDS = ['email', 'phone', 'iban', 'card', 'secret'] as const;
/** Kinds whose real value is never put back into text, whatever the policy says. */
export const NEVER_REFILLED = ['card', 'secret'] as const;

const customPattern = z
  .strictObject({
    /** Becomes the placeholder, e.g. client_code → [CLIENT_CODE_1]. */
    name: z.string().regex(/^[a-z][a-z0-9_]{1,30}$/, { error: 'expected a lower-case name such as client_code' }),
    pattern: z.string().min(1).max(500),
    /** Regex flags: i (ignore case), m, s, u. */
    flags: z
      .string()
      .regex(/^[imsu]*$/, { error: 'expected regex flags from i, m, s, u' })
      .default(''),
  })
  .superRefine((p, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(p.pattern, p.flags);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: `not a valid regular expression: ${(err as Error).message}`,
      });
      return;
    }
    if (re.test(''))
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: 'the pattern matches empty text; it must match at least one character',
      });
    if ((BUILTIN_KINDS as readonly string[]).includes(p.name))
      ctx.addIssue({ code: 'custom', path: ['name'], message: `"${p.name}" is a built-in kind; pick another name` });
  });

const redactionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    emails: z.boolean().default(true),
    phones: z.boolean().default(true),
    ibans: z.boolean().default(true),
    cards: z.boolean().default(true),
    secrets: z.boolean().default(true),
    custom: z.array(customPattern).prefault([]),
    /** Kinds whose real values may be put back into text shown to the operator (never cards or secrets). */
    refill: listOf(z.string()).prefault(['email', 'phone']),
  })
  .superRefine((r, ctx) => {
    const known = new Set<string>(['email', 'phone', 'iban', ...r.custom.map((c) => c.name)]);
    r.refill.forEach((kind, i) => {
      if ((NEVER_REFILLED as readonly string[]).includes(kind))
        ctx.addIssue({ code: 'custom', path: ['refill', i], message: `${kind} values are never put back into text` });
      else if (!known.has(kind))
        ctx.addIssue({
          code: 'custom',
          path: ['refill', i],
          message: `unknown kind "${kind}" (expected email, phone, iban or a custom pattern's name)`,
        });
    });
    const names = r.custom.map((c) => c.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['custom'], message: `two custom patterns are named "${dup}"` });
  });
export type RedactionPolicy = z.infer<typeof redactionSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
const timeZone = z
  .string()
  .refine(isTimeZone, { error: 'expected an IANA time zone such as Europe/Berlin or America/New_York' });
const usd = z
  .number({ error: 'expected an amount in US dollars, e.g. 0.50' })
  .min(0, { error: 'expected 0 or more dollars' })
  .max(1_000_000);

const budgetsSchema = z.strictObject({
  /** Most one run (one workflow execution) may spend on model calls. */
  per_run_usd: usd.optional(),
  /** Most all model calls together may spend per day. */
  per_day_usd: usd.optional(),
  /** Most each agent may spend per day; `"*"` applies to agents not listed. */
  per_agent_usd_per_day: z.record(agentName, usd).prefault({}),
  /** Where a day starts and ends (default: the machine's time zone). */
  time_zone: timeZone.optional(),
});
export type BudgetsPolicy = z.infer<typeof budgetsSchema>;

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const HOLDABLE = ['proactive', 'notifications'] as const;
export type Holdable = (typeof HOLDABLE)[number];

interface TimeWindow {
  /** Minutes after local midnight. `to <= from` means the window crosses midnight. */
  from: number;
  to: number;
  text: string;
}

function parseWindow(text: string): TimeWindow | undefined {
  const m = /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*(?:-|–|to)\s*([01]?\d|2[0-4]):([0-5]\d)\s*$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  if (to > 24 * 60 || from === to) return undefined;
  return { from, to: to % (24 * 60), text: text.trim() };
}

const window = z.string({ error: 'expected a time range such as 22:00-07:00' }).transform((v, ctx) => {
  const parsed = parseWindow(v);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `expected a time range such as 22:00-07:00 (got "${v}")` });
    return z.NEVER;
  }
  return parsed;
});

const quietHoursSchema = z.strictObject({
  enabled: z.boolean().default(true),
  time_zone: timeZone.optional(),
  hours: listOf(window).prefault([]),
  /** Whole days that are quiet, e.g. [sat, sun]. */
  all_day: listOf(z.string())
    .pipe(z.array(z.enum(WEEKDAYS, { error: 'expected a weekday: mon, tue, wed, thu, fri, sat or sun' })))
    .prefault([]),
  /** What waits for the quiet hours to end. Replies to the operator and approval cards are never held. */
  hold: listOf(z.string())
    .pipe(z.array(z.enum(HOLDABLE, { error: 'expected proactive or notifications' })))
    .prefault(['proactive', 'notifications']),
});
export type QuietHoursPolicy = z.infer<typeof quietHoursSchema>;

/** One policy file: any of the sections, nothing else. */
export const policyFileSchema = z.strictObject({
  approvals: approvalsSchema.optional(),
  rate_limits: rateLimitsSchema.optional(),
  redaction: redactionSchema.optional(),
  budgets: budgetsSchema.optional(),
  quiet_hours: quietHoursSchema.optional(),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** The merged policy in force: every section present. */
export interface Policy {
  approvals: ApprovalsPolicy;
  rate_limits: RateLimitsPolicy;
  redaction: RedactionPolicy;
  budgets: BudgetsPolicy;
  quiet_hours: QuietHoursPolicy;
}

/** What applies when no file defines a section (written as a person would write the YAML). */
const DEFAULT_SECTIONS = {
  approvals: {
    default_for_writes: 'approve',
    rules: [
      { name: 'payments always need approval', actions: ['payment.*'], then: 'approve' },
      { name: 'invoices always need approval', actions: ['invoice.send'], then: 'approve' },
    ],
  },
  rate_limits: { 'connector:*': '60/minute', 'agent:*': '60/minute' },
  redaction: {},
  budgets: { per_run_usd: 1, per_day_usd: 10 },
  quiet_hours: { enabled: false },
} as const;

export const DEFAULT_POLICY: Policy = Object.freeze(policyFileSchema.parse(DEFAULT_SECTIONS) as Policy);

/** Fills the sections no file defined with the defaults. */
export function withDefaults(sections: PolicyFile): Policy {
  return {
    approvals: sections.approvals ?? DEFAULT_POLICY.approvals,
    rate_limits: sections.rate_limits ?? DEFAULT_POLICY.rate_limits,
    redaction: sections.redaction ?? DEFAULT_POLICY.redaction,
    budgets: sections.budgets ?? DEFAULT_POLICY.budgets,
    quiet_hours: sections.quiet_hours ?? DEFAULT_POLICY.quiet_hours,
  };
}

/** Parses a policy given as a plain object (tests, programmatic use); throws a ZodError when invalid. */
export function parsePolicy(input: unknown): Policy {
  return withDefaults(policyFileSchema.parse(input));
}

/** The machine's time zone, used when a section names none. */
export const systemTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
