// Durable runs from chat: /runs, /run, /approvals, /cancel, and the buttons on run messages (Approve / Reject /
// Edit, review remedies). A tap is decoded by the button codec and becomes a signal to the engine; Edit only puts
// this chat in "the next message replaces the draft" mode.

import { z } from 'zod';
import { truncate } from '../domain/text.ts';
import { APPROVAL_ACTION, decodeButton, REVIEW_ACTION } from '../engine/buttons.ts';
import { approvalCard, decidedCard } from '../engine/cards.ts';
import type { Engine } from '../engine/engine.ts';
import type { InboundContext } from '../inbound/context.ts';
import type { ApprovalStore, RunRecord, RunStore } from '../ports/engine-store.ts';
import type { SettingsStore } from '../ports/store.ts';
import { settingFamily } from '../settings/setting.ts';
import { Registry, type CommandFamily } from './registry.ts';
import { ago, describeStatus, formatTimeline } from './run-format.ts';

export interface RunDeps {
  engine: Pick<Engine, 'signal' | 'expireDue' | 'addCardCopy' | 'now'>;
  runs: Pick<RunStore, 'get' | 'list' | 'steps'>;
  approvals: Pick<ApprovalStore, 'get' | 'findByStep' | 'listPending'>;
  settings: SettingsStore;
}

const who = (ctx: InboundContext): string => `${ctx.event.channel}:${ctx.event.senderId}`;
const chatOf = (ctx: InboundContext): string => `${ctx.event.channel}:${ctx.event.chatId}`;
/** Where the engine's answers to a signal from this chat go, and who sent it. */
const from = (ctx: InboundContext) => ({ by: who(ctx), via: ctx.event.channel, reply: ctx.reply });

async function findRun(d: RunDeps, ctx: InboundContext, arg: string): Promise<RunRecord | null> {
  const id = arg.trim();
  if (!id) {
    await ctx.reply('Which run? Give its id; /runs lists recent runs.');
    return null;
  }
  const run = await d.runs.get(id);
  if (!run) await ctx.reply(`There is no run ${truncate(id, 40)}. /runs lists recent runs.`);
  return run;
}

export function runCommands(d: RunDeps): CommandFamily {
  /** The card whose text the next message in a chat replaces (after its Edit button). */
  const pendingEdit = settingFamily(d.settings, 'pending-edit', z.string());

  const tapped = async (ctx: InboundContext, data: string): Promise<void> => {
    const button = decodeButton(data);
    if (!button)
      return void (await ctx.reply(
        'That button is not one I know (Approve, Reject, Edit or a review remedy), so nothing was decided.',
      ));
    if (button.kind === 'remedy')
      return void (await d.engine.signal({ kind: 'remedy', runId: button.runId, remedy: button.remedy }, from(ctx)));
    if (button.choice !== 'edit') {
      const decision = button.choice === 'approve' ? 'approved' : 'rejected';
      return void (await d.engine.signal({ kind: 'decide', approvalId: button.approvalId, decision }, from(ctx)));
    }
    const approval = await d.approvals.get(button.approvalId);
    if (!approval)
      return void (await ctx.reply('That approval is not known here any more; /approvals lists what is waiting.'));
    if (approval.status !== 'pending')
      return void (await ctx.reply(`Already decided — ${decidedCard(approval).text} Nothing more to do.`));
    if (approval.card.text === undefined) return void (await ctx.reply('This card has no text to edit.'));
    await pendingEdit(chatOf(ctx)).set(approval.id);
    await ctx.reply('Send the new text as your next message; it replaces the draft on this card.');
  };

  return new Registry()
    .command({
      name: 'runs',
      description: 'recent workflow runs and their status',
      run: async (ctx) => {
        const runs = await d.runs.list({ limit: 15 });
        if (runs.length === 0) return void (await ctx.reply('No runs yet.'));
        const now = d.engine.now();
        await ctx.reply(
          runs.map((r) => `${r.id} ${r.workflow} · ${describeStatus(r)} · ${ago(r.createdAt, now)}`).join('\n'),
        );
      },
    })
    .command({
      name: 'run',
      usage: '<id>',
      description: "a run's timeline: steps, attempts, durations, errors",
      run: async (ctx, args) => {
        const run = await findRun(d, ctx, args);
        if (!run) return;
        const steps = await d.runs.steps(run.id);
        const approvals = await Promise.all(
          steps.filter((s) => s.kind === 'approval').map((s) => d.approvals.findByStep(run.id, s.stepId)),
        );
        await ctx.reply(
          formatTimeline(
            run,
            steps,
            approvals.filter((a) => a !== null),
          ),
        );
      },
    })
    .command({
      name: 'approvals',
      description: 'everything waiting for your approval, with its buttons',
      run: async (ctx) => {
        await d.engine.expireDue();
        const pending = await d.approvals.listPending(50);
        if (pending.length === 0) return void (await ctx.reply('Nothing is waiting for your approval.'));
        for (const approval of pending)
          await d.engine.addCardCopy(approval.id, (await ctx.reply(approvalCard(approval))).ref);
      },
    })
    .command({
      name: 'cancel',
      usage: '<run id>',
      description: 'cancel a run and undo what it did',
      run: async (ctx, args) => {
        const id = args.trim();
        if (!id) return void (await ctx.reply('Which run? Give its id; /runs lists recent runs.'));
        await d.engine.signal({ kind: 'cancel', runId: id }, from(ctx));
      },
    })
    .action({ name: APPROVAL_ACTION, run: (ctx, arg) => tapped(ctx, `${APPROVAL_ACTION}:${arg}`) })
    .action({ name: REVIEW_ACTION, run: (ctx, arg) => tapped(ctx, `${REVIEW_ACTION}:${arg}`) })
    .text(async (ctx, text) => {
      const pending = pendingEdit(chatOf(ctx));
      const approvalId = await pending.get();
      if (!approvalId) return false;
      await pending.clear();
      await d.engine.signal({ kind: 'edit', approvalId, text }, from(ctx));
      return true;
    })
    .family();
}
