// The daily digest's content: the facts (approvals waiting, invoices due or overdue, follow-ups due today,
// yesterday's runs with failures and model cost, what changed in memory, today's calendar when one is connected),
// gathered from the stores as JSON (so the digest run journals them), and the deterministic template that writes
// them when no model is configured or the model cannot (over budget, unreachable).

import { truncate } from '../domain/text.ts';
import { encodeButton } from '../engine/buttons.ts';
import type { ButtonSpec, OutboundMessage } from '../domain/messages.ts';
import type { CalendarPort } from '../ports/calendar.ts';
import type { ApprovalStore } from '../ports/engine-store.ts';
import type { EventLog } from '../ports/store.ts';
import { formatInstant, localDay } from './when.ts';

/** An invoice a payments source says is due soon or overdue. */
interface DueInvoice {
  label: string;
  client: string;
  amount: string;
  /** ISO date the client has to pay by. */
  dueDate: string;
  overdue: boolean;
}

export interface DigestSources {
  approvals: Pick<ApprovalStore, 'listPending'>;
  events: Pick<EventLog, 'readRange'>;
  /** Follow-ups workflows scheduled, due before `until`. */
  followUps: (until: Date) => Promise<{ id: string; title: string; due: Date }[]>;
  /** Invoices due or overdue, when something knows their due dates (a payments connector). */
  invoices?: () => Promise<DueInvoice[]>;
  /** The calendar, when one is connected. */
  calendar?: () => Promise<CalendarPort | undefined>;
  timeZone: string;
}

export interface DigestFacts {
  /** "Tue 31 Mar" in the operator's zone. */
  today: string;
  timeZone: string;
  approvals: { id: string; title: string; runId: string; expiresAt: string }[];
  invoices: DueInvoice[];
  followUps: { id: string; title: string; due: string }[];
  /** Yesterday's runs (finished or stopped for review) and model spending. */
  yesterday: {
    label: string;
    finished: number;
    completed: number;
    failed: { runId: string; workflow: string; error: string }[];
    review: { runId: string; reason: string }[];
    costUsd: number;
    modelCalls: number;
  };
  memory: {
    added: number;
    updated: number;
    corrected: number;
    forgotten: number;
    compacted: number;
    imported: number;
    examples: string[];
  };
  /** Today's events, or why the calendar could not be read; absent without a calendar. */
  calendar?: { events: { title: string; start: string; end: string; allDay: boolean }[] } | { error: string };
}

const MAX_APPROVAL_BUTTONS = 5;
const MAX_LINES = 8;

export async function collectDigest(sources: DigestSources, now: Date): Promise<DigestFacts> {
  const zone = sources.timeZone;
  const today = localDay(now, zone);
  const yesterday = localDay(now, zone, -1);
  const pending = await sources.approvals.listPending(50);
  const events = await sources.events.readRange({
    from: yesterday.start,
    to: yesterday.end,
    types: [
      'run.finished',
      'run.needs_review',
      'llm.called',
      'memory.added',
      'memory.updated',
      'memory.corrected',
      'memory.forgotten',
      'memory.compacted',
      'memory.imported',
    ],
    limit: 100_000,
  });
  const facts: DigestFacts = {
    today: today.label,
    timeZone: zone,
    approvals: pending.map((a) => ({
      id: a.id,
      title: a.card.title,
      runId: a.runId,
      expiresAt: a.expiresAt.toISOString(),
    })),
    invoices: (await sources.invoices?.()) ?? [],
    followUps: (await sources.followUps(today.end)).map((f) => ({
      id: f.id,
      title: f.title,
      due: f.due.toISOString(),
    })),
    yesterday: { label: yesterday.label, finished: 0, completed: 0, failed: [], review: [], costUsd: 0, modelCalls: 0 },
    memory: { added: 0, updated: 0, corrected: 0, forgotten: 0, compacted: 0, imported: 0, examples: [] },
  };
  const y = facts.yesterday;
  const m = facts.memory;
  for (const e of events) {
    switch (e.type) {
      case 'run.finished':
        y.finished++;
        if (e.data.status === 'completed') y.completed++;
        if (e.data.status === 'failed')
          y.failed.push({
            runId: e.data.runId,
            workflow: e.data.workflow,
            error: truncate(e.data.error ?? 'unknown error', 120),
          });
        break;
      case 'run.needs_review':
        y.review.push({ runId: e.data.runId, reason: truncate(e.data.reason, 120) });
        break;
      case 'llm.called':
        y.costUsd += e.data.costUsd;
        y.modelCalls++;
        break;
      case 'memory.added':
        m.added++;
        if (m.examples.length < 3) m.examples.push(truncate(e.data.text, 80));
        break;
      case 'memory.updated':
        m.updated++;
        break;
      case 'memory.corrected':
        m.corrected++;
        break;
      case 'memory.forgotten':
        m.forgotten++;
        break;
      case 'memory.compacted':
        m.compacted++;
        break;
      case 'memory.imported':
        m.imported += e.data.created + e.data.updated;
        break;
      default:
        break;
    }
  }
  const calendar = await sources.calendar?.().catch(() => undefined);
  if (calendar) {
    try {
      const occurrences = await calendar.list({
        from: today.start.toISOString(),
        to: today.end.toISOString(),
        timeZone: zone,
      });
      facts.calendar = {
        events: occurrences.map((o) => ({ title: o.title, start: o.start, end: o.end, allDay: o.allDay })),
      };
    } catch (err) {
      facts.calendar = { error: (err as Error).message };
    }
  }
  return facts;
}

/** Nothing to say: no approvals, invoices, follow-ups, runs, spending, memory changes or calendar events. */
export function isEmpty(f: DigestFacts): boolean {
  const memory = Object.entries(f.memory).some(([k, v]) => k !== 'examples' && (v as number) > 0);
  const calendar = f.calendar && 'events' in f.calendar && f.calendar.events.length > 0;
  return (
    f.approvals.length === 0 &&
    f.invoices.length === 0 &&
    f.followUps.length === 0 &&
    f.yesterday.finished === 0 &&
    f.yesterday.review.length === 0 &&
    f.yesterday.modelCalls === 0 &&
    !memory &&
    !calendar
  );
}

const usd = (n: number): string => `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const clip = <T>(items: T[], line: (item: T) => string): string[] =>
  items.length > MAX_LINES
    ? [...items.slice(0, MAX_LINES).map(line), `  … and ${items.length - MAX_LINES} more`]
    : items.map(line);

/** The digest as the template writes it, section by section; empty sections are left out. */
export function renderDigest(f: DigestFacts, now: Date): string {
  const time = (iso: string) => formatInstant(new Date(iso), f.timeZone, now).split(' ').at(-1) ?? iso;
  const lines = [`Daily digest, ${f.today}`];
  if (f.approvals.length > 0)
    lines.push(
      '',
      `Waiting for your approval (${f.approvals.length}):`,
      ...clip(f.approvals, (a) => `  • ${a.title} (run ${a.runId})`),
    );
  if (f.invoices.length > 0)
    lines.push(
      '',
      `Invoices due or overdue (${f.invoices.length}):`,
      ...clip(
        f.invoices,
        (i) => `  • ${i.label} ${i.client}, ${i.amount}: ${i.overdue ? 'overdue since' : 'due'} ${i.dueDate}`,
      ),
    );
  if (f.followUps.length > 0)
    lines.push(
      '',
      `Follow-ups due today (${f.followUps.length}):`,
      ...clip(f.followUps, (u) => `  • ${time(u.due)} ${u.title}`),
    );
  if (f.calendar && 'error' in f.calendar)
    lines.push('', `Calendar: could not be read (${truncate(f.calendar.error, 120)}).`);
  else if (f.calendar && f.calendar.events.length > 0) {
    lines.push(
      '',
      `Today's calendar (${f.calendar.events.length}):`,
      ...clip(f.calendar.events, (e) => `  • ${e.allDay ? 'all day' : `${time(e.start)}–${time(e.end)}`} ${e.title}`),
    );
  }
  const y = f.yesterday;
  if (y.finished > 0 || y.review.length > 0 || y.modelCalls > 0) {
    const parts = [
      `${plural(y.finished, 'run')} finished`,
      ...(y.finished > 0 ? [`${y.completed} completed`] : []),
      ...(y.failed.length > 0 ? [`${y.failed.length} failed`] : []),
      ...(y.review.length > 0 ? [`${y.review.length} stopped for your review`] : []),
    ];
    lines.push(
      '',
      `Yesterday (${y.label}): ${parts.join(', ')}; model cost ${usd(y.costUsd)} (${plural(y.modelCalls, 'call')}).`,
    );
    lines.push(
      ...clip(y.failed, (r) => `  • failed: ${r.workflow} run ${r.runId}: ${r.error}`),
      ...clip(y.review, (r) => `  • review: run ${r.runId}: ${r.reason}`),
    );
  }
  const m = f.memory;
  const changes = [
    [m.added, 'added'],
    [m.updated, 'updated'],
    [m.corrected, 'corrected'],
    [m.forgotten, 'forgotten'],
    [m.compacted, 'compacted into digests'],
    [m.imported, 'imported'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n as number} ${what as string}`);
  if (changes.length > 0)
    lines.push('', `Memory yesterday: ${changes.join(', ')}.`, ...m.examples.map((e) => `  • new: ${e}`));
  if (lines.length === 1) lines.push('', 'Nothing waiting, nothing due, and nothing happened yesterday.');
  return lines.join('\n');
}

/** Approve and Reject for the first approvals waiting (the same buttons as their cards), and one for all of them. */
function digestButtons(f: DigestFacts): ButtonSpec[] {
  const buttons: ButtonSpec[] = [];
  for (const [i, a] of f.approvals.slice(0, MAX_APPROVAL_BUTTONS).entries()) {
    const n = f.approvals.length > 1 ? ` ${i + 1}` : '';
    buttons.push({
      label: `Approve${n}: ${truncate(a.title, 40)}`,
      data: encodeButton({ kind: 'approval', approvalId: a.id, choice: 'approve' }),
    });
    buttons.push({ label: `Reject${n}`, data: encodeButton({ kind: 'approval', approvalId: a.id, choice: 'reject' }) });
  }
  if (f.approvals.length > 0) buttons.push({ label: 'All approvals', data: '/approvals' });
  return buttons;
}

export function digestMessage(text: string, f: DigestFacts): OutboundMessage {
  return { text, buttons: digestButtons(f) };
}
