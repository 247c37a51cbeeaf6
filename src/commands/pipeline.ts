// The consultant's pipeline in the chat: /lead starts a lead's run, /pipeline lists every lead and client by stage
// with what waits on whom, /packages shows the packages in force (and any file that was not applied), and a tap on a
// kick-off slot (`cs:<runId>:<slot>`) picks the time for the client.

import { stableId } from '../domain/ids.ts';
import type { Engine } from '../engine/engine.ts';
import type { ApprovalStore, RunRecord, RunStore, StepRecord } from '../ports/engine-store.ts';
import { parseLead } from '../pipeline/lead.ts';
import type { PipelineCatalog } from '../pipeline/packages.ts';
import { priceOf } from '../pipeline/proposal.ts';
import { CONSULTANT_WORKFLOW, SLOT_ACTION, SLOT_EVENT } from '../workflows/consultant.ts';
import { Registry, type CommandFamily } from './registry.ts';

export interface PipelineDeps {
  engine: Pick<Engine, 'start' | 'signal'>;
  runs: Pick<RunStore, 'get' | 'list' | 'steps'>;
  approvals: Pick<ApprovalStore, 'get'>;
  catalog: Pick<PipelineCatalog, 'current' | 'load'>;
  /** Clients memory knows: key and name (the ones without a lead's run are listed as well). */
  clients: () => Promise<Array<{ key: string; name: string }>>;
  /** Why a lead cannot be worked on now (no model, no mail, no calendar), or undefined when it can. */
  missing: () => string | undefined;
}

/** The stages, in order; a run is at the last one whose step completed. */
const STAGES: Array<{ step: string; name: string }> = [
  { step: 'client', name: 'New lead' },
  { step: 'qualify', name: 'Qualified' },
  { step: 'proposal', name: 'Proposal sent' },
  { step: 'kickoff', name: 'Kick-off booked' },
  { step: 'record', name: 'Invoiced' },
  { step: 'paid', name: 'Paid' },
];

interface Entry {
  stage: string;
  line: string;
}

async function describeRun(d: PipelineDeps, run: RunRecord, steps: StepRecord[]): Promise<Entry> {
  const done = new Set(steps.filter((s) => s.status === 'completed').map((s) => s.stepId));
  const input = run.input as { name?: string; email?: string };
  const name =
    (steps.find((s) => s.stepId === 'client')?.result as { name?: string } | undefined)?.name ?? input.name ?? '?';
  const result = run.result as { status?: string; invoice?: string } | undefined;
  let stage = STAGES.filter((s) => done.has(s.step)).at(-1)?.name ?? 'New lead';
  if (result?.status === 'not_qualified') stage = 'Not qualified';
  else if (result?.status === 'complete') stage = 'Client (engagement paid)';
  else if (run.status === 'completed' || run.status === 'cancelled' || run.status === 'failed')
    stage = `Stopped (${result?.status ?? run.status})`;
  const invoice = (steps.find((s) => s.stepId === 'record')?.result as { number?: number } | undefined)?.number;
  let waits = '';
  const w = run.waitingFor;
  if (run.status === 'suspended' && w?.startsWith('wait:mail.reply:'))
    waits = `waits on ${name}: their pick of a kick-off time`;
  else if (run.status === 'suspended' && w?.startsWith(`wait:${SLOT_EVENT}:`))
    waits = 'waits on you: tap the kick-off time they want';
  else if (run.status === 'suspended' && w?.startsWith('wait:invoice.paid:'))
    waits = `waits on ${name}: payment of ${w.slice('wait:invoice.paid:'.length)}`;
  else if (run.status === 'suspended' && w)
    waits = `waits on you: ${(await d.approvals.get(w))?.card.title ?? 'an approval'}`;
  else if (run.status === 'running' || run.status === 'compensating') waits = 'working';
  else if (run.status === 'needs_review') waits = 'needs you: see the run';
  else if (result?.status === 'complete')
    waits = `follow-up scheduled${result.invoice ? `; ${result.invoice} paid` : ''}`;
  else if (invoice !== undefined) waits = `INV-${String(invoice).padStart(4, '0')}`;
  return { stage, line: `• ${name}${waits ? ` — ${waits}` : ''} (/run ${run.id})` };
}

export function pipelineCommands(d: PipelineDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'lead',
      usage: '<name> <email> [notes]',
      description:
        'a new lead: one client profile in memory, qualified against your criteria, then a proposal for your approval',
      run: async (ctx, args) => {
        const lead = parseLead(args);
        if ('error' in lead) return void (await ctx.reply(lead.error));
        const missing = d.missing();
        if (missing) return void (await ctx.reply(missing));
        const id = stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
        await d.engine.start(
          CONSULTANT_WORKFLOW,
          { ...lead, via: 'command' },
          { id, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply },
        );
      },
    })
    .command({
      name: 'pipeline',
      description: 'every lead and client by stage, with what waits on whom',
      run: async (ctx) => {
        // The newest 500 leads (not the newest 500 runs of every workflow, which a year of digests would fill).
        const runs = await d.runs.list({ workflow: CONSULTANT_WORKFLOW, limit: 500 });
        const journals = await Promise.all(runs.map(async (r) => ({ run: r, steps: await d.runs.steps(r.id) })));
        const inRuns = new Set(
          journals.map(
            (j) => (j.steps.find((st) => st.stepId === 'client')?.result as { key?: string } | undefined)?.key,
          ),
        );
        const others = (await d.clients()).filter((c) => !inRuns.has(c.key)).map((c) => c.name);
        const rest = others.length > 0 ? ['', 'Other clients (nothing open):', ...others.map((n) => `• ${n}`)] : [];
        if (runs.length === 0)
          return void (await ctx.reply(
            ['The pipeline is empty. /lead <name> <email> [notes] adds a lead.', ...rest].join('\n'),
          ));
        const entries = await Promise.all(journals.map(async (j) => describeRun(d, j.run, j.steps)));
        const order = [...STAGES.map((s) => s.name), 'Client (engagement paid)', 'Not qualified'];
        const stages = [...new Set(entries.map((e) => e.stage))].sort(
          (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
        );
        const lines = [`Pipeline: ${runs.length} lead${runs.length === 1 ? '' : 's'}`];
        for (const stage of stages)
          lines.push('', `${stage}:`, ...entries.filter((e) => e.stage === stage).map((e) => e.line));
        await ctx.reply([...lines, ...rest].join('\n'));
      },
    })
    .command({
      name: 'packages',
      description: 'the packages leads are qualified against and proposals are written from',
      run: async (ctx) => {
        const files = await d.catalog.load();
        const lines = files.packages.map(
          (p) => `• ${p.id}: ${p.name}, ${priceOf(p)}, ${p.durationDays} days, template ${p.template}`,
        );
        if (lines.length === 0) lines.push('No packages yet: add packages/<name>.yaml (see README).');
        lines.push(
          files.criteria
            ? `Criteria: ${files.criteria.ideal_client}`
            : 'Criteria: none (policies/qualification.yaml is missing).',
        );
        for (const error of files.rejected) lines.push(`Not applied: ${error}`);
        await ctx.reply(lines.join('\n'));
      },
    })
    .action({
      name: SLOT_ACTION,
      run: async (ctx, arg) => {
        const at = arg.lastIndexOf(':');
        const runId = arg.slice(0, at);
        const choice = Number(arg.slice(at + 1));
        const run = at > 0 && /^\d$/.test(arg.slice(at + 1)) ? await d.runs.get(runId) : null;
        const w = run?.status === 'suspended' ? run.waitingFor : undefined;
        const on = w?.startsWith('wait:mail.reply:')
          ? { event: 'mail.reply', key: w.slice('wait:mail.reply:'.length) }
          : w === `wait:${SLOT_EVENT}:${runId}`
            ? { event: SLOT_EVENT, key: runId }
            : undefined;
        if (!on) return void (await ctx.reply('That kick-off choice is no longer open.'));
        const by = `${ctx.event.channel}:${ctx.event.senderId}`;
        const result = await d.engine.signal(
          { kind: 'event', ...on, payload: { choice } },
          { by, via: ctx.event.channel, reply: ctx.reply },
        );
        if (result.status === 'stale') await ctx.reply('A kick-off time was already chosen.');
      },
    })
    .family();
}
