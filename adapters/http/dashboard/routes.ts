// The dashboard over HTTP: its pages under /dashboard and its JSON API under /api/dashboard/, mounted on the web
// chat's server behind the same checks (loopback or WEB_TOKEN, cross-site refusal, JSON-only POSTs). This file
// only translates: queries and bodies are validated here, the read models and actions live in src/dashboard/.
//   GET  /api/dashboard/summary | runs?workflow&status&from&to | runs/:id | approvals | costs?days | quality?days
//        | violations?days | memory?q | memory/:id | ops
//   POST /api/dashboard/approvals/:id/decide {decision} | approvals/:id/edit {text} | runs/:id/remedy {remedy}
//        | runs/:id/cancel
//        | memory/:id/{correct {text} | forget | restore | uncorrect}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { InputError } from '../../../src/domain/errors.ts';
import { costsView } from '../../../src/dashboard/costs.ts';
import {
  changeMemory,
  memoryDetail,
  MEMORY_ACTIONS,
  searchMemories,
  type MemoryAction,
} from '../../../src/dashboard/memory.ts';
import { opsView } from '../../../src/dashboard/ops.ts';
import { qualityView } from '../../../src/dashboard/quality.ts';
import { isRemedy, listRuns, RUN_STATUSES, runTimeline } from '../../../src/dashboard/runs.ts';
import { DASHBOARD_ACTOR, type DashboardSources } from '../../../src/dashboard/sources.ts';
import { violationsView } from '../../../src/dashboard/violations.ts';
import { RunStatus } from '../../../src/ports/engine-store.ts';
import { HttpError, readJson, sendJson } from '../../channels/shared/http.ts';
import { serveAsset } from './assets.ts';

const DASHBOARD_API = '/api/dashboard';
const MAX_BODY = 64 * 1024;
const DAY_MS = 86_400_000;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'dates are written YYYY-MM-DD' });
const runQuery = z.object({
  workflow: z.string().max(64).optional(),
  status: z
    .enum(RUN_STATUSES as [RunStatus, ...RunStatus[]], { error: `status is one of ${RUN_STATUSES.join(', ')}` })
    .optional(),
  from: day.optional(),
  to: day.optional(),
  limit: z.coerce.number({ error: 'limit is a number' }).int().min(1).max(500).optional(),
});
const daysQuery = z.object({
  days: z.coerce
    .number({ error: 'days is a number' })
    .int()
    .min(1, { error: 'days is 1 to 365' })
    .max(365, { error: 'days is 1 to 365' })
    .default(30),
});
const decideBody = z.object({
  decision: z.enum(['approved', 'rejected'], { error: 'decision is "approved" or "rejected"' }),
});
const textBody = z.object({
  text: z
    .string({ error: 'text must be a string' })
    .trim()
    .min(1, { error: 'write the corrected text' })
    .max(4000, { error: 'a memory is at most 4,000 characters' }),
});
const editBody = z.object({
  text: z
    .string({ error: 'text must be a string' })
    .trim()
    .min(1, { error: 'write the new text' })
    .max(8000, { error: 'the text is at most 8,000 characters' }),
});
const ID = /^[\w-]{1,64}$/;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, result.error.issues[0]?.message ?? 'bad request');
  return result.data;
}

const query = (url: URL): Record<string, string> =>
  Object.fromEntries([...url.searchParams.entries()].filter(([, v]) => v !== ''));

/** The page: /dashboard and every page under it get the same shell; /dashboard/assets/<file> its files. */
export function dashboardPages(): (req: IncomingMessage, res: ServerResponse, url: URL) => void {
  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HttpError(405, 'the dashboard pages are read with GET');
    const asset = /^\/dashboard\/assets\/([\w.-]+)$/.exec(url.pathname);
    if (asset) {
      if (!serveAsset(req, res, asset[1]!)) throw new HttpError(404, `no such file: ${asset[1]!}`);
      return;
    }
    if (!/^\/dashboard(\/[\w-]+){0,2}\/?$/.test(url.pathname)) throw new HttpError(404, 'no such dashboard page');
    serveAsset(req, res, 'index.html');
  };
}

export function dashboardApi(
  s: DashboardSources,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const get = async (path: string[], url: URL): Promise<unknown> => {
    const [what, id, ...rest] = path;
    if (rest.length > 0) return undefined;
    switch (what) {
      case 'summary':
        return summary(s);
      case 'runs': {
        if (id !== undefined)
          return ID.test(id)
            ? ((await runTimeline(s, id)) ?? notFound(`There is no run ${id}.`))
            : notFound('There is no such run.');
        const q = parse(runQuery, query(url));
        const to = q.to ? new Date(new Date(`${q.to}T00:00:00Z`).getTime() + DAY_MS) : undefined;
        return listRuns(s, {
          ...(q.workflow ? { workflow: q.workflow } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.from ? { from: new Date(`${q.from}T00:00:00Z`) } : {}),
          ...(to ? { to } : {}),
          ...(q.limit ? { limit: q.limit } : {}),
        });
      }
      case 'approvals':
        return id === undefined ? approvals(s) : undefined;
      case 'costs':
        return costsView(s, parse(daysQuery, query(url)).days);
      case 'quality':
        return qualityView(s, parse(daysQuery, query(url)).days);
      case 'violations':
        return violationsView(s, parse(daysQuery, query(url)).days);
      case 'memory':
        if (id !== undefined)
          return /^\d{1,15}$/.test(id)
            ? ((await memoryDetail(s, id)) ?? notFound(`There is no memory #${id}.`))
            : notFound('Memory ids are numbers.');
        return searchMemories(s, (url.searchParams.get('q') ?? '').slice(0, 500));
      case 'ops':
        return opsView(s);
      default:
        return undefined;
    }
  };

  const post = async (path: string[], body: unknown): Promise<unknown> => {
    const [what, id = '', action, ...rest] = path;
    if (rest.length > 0 || !ID.test(id)) return undefined;
    if (what === 'approvals' && action === 'decide') {
      const { decision } = parse(decideBody, body);
      const result = await s.engine.signal({ kind: 'decide', approvalId: id, decision }, DASHBOARD_ACTOR);
      const approval = await s.store.approvals.get(id);
      if (result.status === 'unknown' || !approval) return notFound('That approval is not known here.');
      const message =
        result.status === 'applied'
          ? `${approval.status === 'approved' ? 'Approved' : approval.status === 'rejected' ? 'Rejected' : `Ended as ${approval.status}`}: ${approval.card.title}.`
          : `Already decided (${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy} via ${approval.decidedVia ?? '?'}` : ''}); nothing more to do.`;
      return {
        status: result.status,
        approval: {
          id,
          status: approval.status,
          decidedBy: approval.decidedBy ?? null,
          decidedVia: approval.decidedVia ?? null,
        },
        message,
      };
    }
    if (what === 'approvals' && action === 'edit') {
      const { text } = parse(editBody, body);
      const result = await s.engine.signal({ kind: 'edit', approvalId: id, text }, DASHBOARD_ACTOR);
      if (result.status === 'unknown') return notFound('That approval is not known here.');
      return {
        status: result.status,
        message:
          result.status === 'applied'
            ? 'The draft on this card now reads as you wrote it; approve or reject it.'
            : 'That card was decided in the meantime, so the edit was not applied.',
      };
    }
    if (what === 'runs' && (action === 'remedy' || action === 'cancel')) {
      const remedy = action === 'cancel' ? 'cancel' : (body as { remedy?: unknown }).remedy;
      if (!isRemedy(remedy)) throw new HttpError(400, 'remedy is "retry", "skip" or "cancel"');
      const result =
        action === 'cancel'
          ? await s.engine.signal({ kind: 'cancel', runId: id }, DASHBOARD_ACTOR)
          : await s.engine.signal({ kind: 'remedy', runId: id, remedy }, DASHBOARD_ACTOR);
      if (result.status === 'unknown') return notFound(`There is no run ${id}.`);
      const run = result.run ?? (await s.store.runs.get(id));
      return { status: result.status, run: run ? { id: run.id, status: run.status } : null };
    }
    if (what === 'memory' && MEMORY_ACTIONS.includes(action as MemoryAction)) {
      if (!/^\d{1,15}$/.test(id)) return notFound('Memory ids are numbers.');
      const text = action === 'correct' ? parse(textBody, body).text : undefined;
      return changeMemory(s, action as MemoryAction, id, text);
    }
    return undefined;
  };

  return async (req, res, url) => {
    const path = url.pathname
      .slice(DASHBOARD_API.length)
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    let result: unknown;
    try {
      if (req.method === 'GET') result = await get(path, url);
      else if (req.method === 'POST') result = await post(path, await readJson(req, MAX_BODY));
      else throw new HttpError(405, 'the dashboard API takes GET and POST');
    } catch (err) {
      if (err instanceof InputError) throw new HttpError(400, err.userMessage);
      if (err instanceof URIError) throw new HttpError(400, 'the path is not valid URL encoding');
      throw err;
    }
    if (result === undefined) throw new HttpError(404, `no such endpoint: ${req.method ?? 'GET'} ${url.pathname}`);
    sendJson(res, 200, result);
  };
}

function notFound(message: string): never {
  throw new HttpError(404, message);
}

async function approvals(s: DashboardSources) {
  await s.engine.expireDue();
  const pending = await s.store.approvals.listPending(200);
  const runs = new Map(
    (await Promise.all([...new Set(pending.map((a) => a.runId))].map((id) => s.store.runs.get(id)))).flatMap((r) =>
      r ? [[r.id, r] as const] : [],
    ),
  );
  return {
    pending: pending.map((a) => ({
      id: a.id,
      runId: a.runId,
      workflow: runs.get(a.runId)?.workflow ?? null,
      stepId: a.stepId,
      title: a.card.title,
      details: a.card.details,
      diff: a.card.diff ?? [],
      text: a.editedText ?? a.card.text ?? null,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
    })),
  };
}

async function summary(s: DashboardSources) {
  const [pending, review, active, costs, violations] = await Promise.all([
    s.store.approvals.listPending(500),
    s.store.runs.list({ statuses: [RunStatus.needsReview], limit: 500 }),
    s.store.runs.list({ statuses: [RunStatus.running, RunStatus.suspended, RunStatus.compensating], limit: 5000 }),
    costsView(s, 1),
    violationsView(s, 7),
  ]);
  return {
    approvalsPending: pending.length,
    reviewQueue: review.length,
    activeRuns: active.length,
    todayUsd: costs.todayUsd,
    budgetPerDayUsd: costs.budgets.perDayUsd,
    violations7d: violations.violations.length,
  };
}
