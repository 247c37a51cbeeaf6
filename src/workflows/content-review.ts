// Two runs that end in ONE card each. The review: measured patterns in the audience statistics (src/content/
// patterns.ts), the monitoring agent's proposal (targeted outreach and a revised calendar), and one card with the
// priority and date changes beside the current plan; only its approval changes pieces, calendar events and
// reminders. The community replies: every waiting audience question gets a drafted answer, and the batch goes out
// on one approval (each answer can be edited in the card's text); each mail is sent once under its own key.

import { z } from 'zod';
import { describeFinding, detectPatterns, revisePlan, type PlanRow } from '../content/patterns.ts';
import { pieceEntity } from '../content/pieces.ts';
import { defineWorkflow, NonRetriableError } from '../engine/workflow.ts';
import { agentStep, dayLabel, movePiece, type ContentServices } from './content.ts';

const row = (r: PlanRow, zone: string): string =>
  `${r.id} ${r.publishOn ? dayLabel(r.publishOn, zone) : 'no date'}, ${r.priority}: ${r.title} (${r.topic})`;

export function contentReviewWorkflow(s: ContentServices) {
  return defineWorkflow({
    name: 'content-review',
    version: 1,
    description: 'measures topic performance; proposes outreach and a revised calendar on one card',
    input: z.object({ reason: z.string().max(200).optional() }),
    async run(ctx): Promise<{
      status: 'no_pattern' | 'nothing_to_change' | 'applied' | 'rejected' | 'expired' | 'denied';
      changed?: number;
    }> {
      const measured = await ctx.step('measure', async () => {
        const pieces = await s.pieces.list();
        const { findings, unclear } = detectPatterns(pieces);
        return { findings, unclear, plan: revisePlan(pieces, findings) };
      });
      const { findings, plan } = measured;
      if (findings.length === 0) {
        const why = measured.unclear.slice(0, 5).map((u) => `${u.topic} (${u.metric.replace('_', ' ')}): ${u.reason}`);
        await ctx.say(
          'tell-none',
          `No clear pattern in the audience statistics yet${why.length ? `:\n${why.join('\n')}` : ' (nothing measured)'}.`,
        );
        return { status: 'no_pattern' };
      }
      if (plan.changed.length === 0) {
        await ctx.say(
          'tell-same',
          `${findings.map(describeFinding).join('\n')}\nThe content calendar already reflects this; nothing to change.`,
        );
        return { status: 'nothing_to_change' };
      }
      const before = new Map(plan.current.map((r) => [r.id, r]));
      const changes = plan.proposed.filter((r) => plan.changed.includes(r.id));
      const proposal = await agentStep(ctx, 'propose', s, {
        agent: 'monitoring',
        request: [
          'Measured in my content statistics:',
          ...findings.map((f) => `- ${describeFinding(f)}`),
          'Current plan:',
          ...plan.current.map((r) => `- ${row(r, s.timeZone)}`),
          'Proposed plan:',
          ...plan.proposed.map((r) => `- ${row(r, s.timeZone)}`),
          'In summary, say in two sentences why the revised calendar is better. In attention, list up to three targeted outreach ideas for the strong topic.',
        ].join('\n'),
        memoryQuery: `${findings.map((f) => f.topic).join(' ')} audience`,
      });
      const outreach = proposal.output.attention ?? [];
      const applied = await ctx.act('apply', {
        action: { kind: 'content.replan' },
        card: {
          title: `Revise the content calendar: ${changes.length} piece${changes.length === 1 ? '' : 's'} change`,
          details: [
            ...findings.map(describeFinding),
            `Proposal: ${proposal.output.summary}`,
            ...outreach.slice(0, 3).map((o) => `Outreach: ${o}`),
            'Approve to apply the changes; nothing changes before.',
          ],
          diff: changes.flatMap((r) => [`- ${row(before.get(r.id)!, s.timeZone)}`, `+ ${row(r, s.timeZone)}`]),
        },
        run: async ({ idempotencyKey, signal }) => {
          let moved = 0;
          for (const next of changes) {
            const piece = await s.pieces.get(next.id);
            if (!piece) continue;
            if (next.publishOn && next.publishOn !== piece.publishOn) {
              await movePiece(
                s,
                piece,
                next.publishOn,
                `${idempotencyKey}:${piece.id}`,
                { runId: ctx.runId, origin: ctx.origin },
                signal,
              );
              moved++;
            }
            await s.pieces.update(piece.id, (p) => ({ ...p, priority: next.priority }));
          }
          return { moved, changed: changes.length };
        },
      });
      if (applied.status === 'denied') {
        await ctx.say('tell-denied', `Policy does not allow changing the content plan: ${applied.reasons.join('; ')}.`);
        return { status: 'denied' };
      }
      if (applied.status !== 'done') {
        await ctx.say('tell-kept', `The content calendar stays as it was (${applied.status}).`);
        return { status: applied.status };
      }
      await ctx.say(
        'tell-applied',
        `Applied the revised calendar: ${applied.result.changed} piece${applied.result.changed === 1 ? '' : 's'} re-prioritised, ${applied.result.moved} publishing date${applied.result.moved === 1 ? '' : 's'} moved (calendar events and reminders follow). /calendar shows it.`,
      );
      return { status: 'applied', changed: applied.result.changed };
    },
  });
}

/** `=== q3 · …` starts an answer in the batch card's text. */
const SECTION = /^=== (q\d+)\b[^\n]*$/gm;

/** The answers as the operator left them in the card's text, by question id. */
export function parseBatch(text: string): Map<string, string> {
  const answers = new Map<string, string>();
  const heads = [...text.matchAll(SECTION)];
  heads.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const end = heads[i + 1]?.index ?? text.length;
    answers.set(m[1]!, text.slice(start, end).trim());
  });
  return answers;
}

export function contentRepliesWorkflow(s: ContentServices) {
  return defineWorkflow({
    name: 'content-replies',
    version: 1,
    description: 'drafts answers to waiting audience questions and sends them on one approval',
    input: z.object({}),
    async run(ctx): Promise<{ status: 'none' | 'sent' | 'rejected' | 'expired' | 'denied'; count?: number }> {
      const questions = await ctx.step('collect', async () => s.questions.claim(ctx.runId));
      if (questions.length === 0) {
        await ctx.say('tell-none', 'No audience questions are waiting.');
        return { status: 'none' };
      }
      const titles = await ctx.step('pieces', async () =>
        Object.fromEntries(
          await Promise.all(
            questions.map(
              async (q) => [q.id, q.pieceId ? ((await s.pieces.get(q.pieceId))?.title ?? '') : ''] as const,
            ),
          ),
        ),
      );
      const drafts: Array<{ id: string; body: string }> = [];
      for (const q of questions) {
        const about = titles[q.id];
        const answer = await agentStep(ctx, `answer-${q.id}`, s, {
          agent: 'draft',
          request: `Write a short, friendly reply in my voice to this audience question${about ? ` about my piece "${about}"` : ''}. Answer it plainly; no sales pitch. Put the reply in body.`,
          memoryQuery: `${about} ${q.subject}`,
          untrusted: [
            { source: q.from ? `email from ${q.from}` : 'a chat message', text: `${q.subject}\n\n${q.text}` },
          ],
        });
        drafts.push({ id: q.id, body: answer.output.body });
      }
      const text = questions
        .map((q, i) => `=== ${q.id} · ${q.from ?? 'chat (not mailed)'} · Re: ${q.subject}\n${drafts[i]!.body}`)
        .join('\n\n');
      const recipients = [...new Set(questions.flatMap((q) => (q.from ? [q.from] : [])))];
      const sent = await ctx.act('send', {
        action: { kind: 'email.send', recipients, agent: 'outreach', untrusted: true },
        card: {
          title: `Replies to ${questions.length} audience question${questions.length === 1 ? '' : 's'}`,
          details: [
            ...questions.map(
              (q) => `${q.id}: ${q.from ?? 'chat'} — ${q.subject}${titles[q.id] ? ` (about "${titles[q.id]}")` : ''}`,
            ),
            'One approval sends them all; Edit changes any answer (keep the === lines).',
          ],
          text,
        },
        run: async ({ approval, idempotencyKey, signal }) => {
          const edited = parseBatch(approval?.text ?? text);
          const mail = s.mail();
          const done: string[] = [];
          for (const q of questions) {
            const body = edited.get(q.id) ?? drafts.find((d) => d.id === q.id)!.body;
            if (q.from) {
              if (!mail)
                throw new NonRetriableError(
                  'Mail is no longer configured (SMTP_URL, IMAP_URL, MAIL_FROM), so the replies were not sent.',
                );
              const threaded =
                q.messageId && q.messageId.startsWith('<') ? { inReplyTo: q.messageId, references: [q.messageId] } : {};
              await mail.send(
                { to: q.from, subject: `Re: ${q.subject}`, text: body, ...threaded },
                { idempotencyKey: `${idempotencyKey}:${q.id}`, ...(signal ? { signal } : {}) },
              );
            }
            done.push(q.id);
          }
          await s.questions.finish(ctx.runId, done, 'answered');
          for (const q of questions) {
            const body = edited.get(q.id) ?? drafts.find((d) => d.id === q.id)!.body;
            await s.remember({
              text: `Replied${q.from ? ` to ${q.from}` : ''} about "${q.subject}": ${body.replace(/\s+/g, ' ').slice(0, 300)}`,
              kind: 'note',
              entities: q.pieceId ? [pieceEntity(q.pieceId)] : [],
              importance: 0.3,
              source: { runId: ctx.runId },
              dedupe: 'none',
            });
          }
          return { mailed: questions.filter((q) => q.from).length, count: done.length };
        },
        options: { maxAttempts: 5, timeoutMs: 120_000 },
      });
      if (sent.status !== 'done') {
        await ctx.step(
          'release',
          async () => (
            await s.questions.finish(
              ctx.runId,
              questions.map((q) => q.id),
              'pending',
            ),
            true
          ),
        );
        await ctx.say(
          'tell-kept',
          sent.status === 'denied'
            ? `Policy does not allow these replies: ${sent.reasons.join('; ')}.`
            : `No replies sent (${sent.status}); the questions wait for the next /replies.`,
        );
        return { status: sent.status };
      }
      await ctx.say(
        'tell-sent',
        `Sent ${sent.result.mailed} repl${sent.result.mailed === 1 ? 'y' : 'ies'} by mail${sent.result.count > sent.result.mailed ? `; ${sent.result.count - sent.result.mailed} chat question${sent.result.count - sent.result.mailed === 1 ? '' : 's'} answered in the run only` : ''}.`,
      );
      return { status: 'sent', count: sent.result.count };
    },
  });
}
