// The creator's commands: ideas and briefs, versioned drafts, the content calendar, analytics imports, the pattern
// review, audience questions noted from chat and the batch of community replies. Anything that writes text or
// touches the calendar or mail is a workflow run (see src/workflows/content*.ts); the rest reads or edits a piece.

import type { AudienceQuestions } from '../content/audience.ts';
import { pieceLine, type ContentStore, type Piece } from '../content/pieces.ts';
import { describeStats, type StatsReport } from '../content/stats.ts';
import { stableId } from '../domain/ids.ts';
import type { Engine } from '../engine/engine.ts';
import type { InboundContext } from '../inbound/context.ts';
import { dayLabel } from '../workflows/content.ts';
import { Registry, type CommandFamily } from './registry.ts';

export interface ContentDeps {
  engine: Pick<Engine, 'start'>;
  pieces: ContentStore;
  questions: AudienceQuestions;
  importStats: (typed: string) => Promise<StatsReport>;
  modelConfigured: () => boolean;
  timeZone: string;
  now: () => Date;
}

const NO_MODEL =
  'No model is configured, so nothing can be written; set OPENAI_MODEL (and OPENAI_BASE_URL/OPENAI_API_KEY) and restart.';
const PIECE_REF = /^#?p\d+$/i;
const ADDRESS = /^\s*([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*:\s*/;

const runId = (ctx: InboundContext, suffix = ''): string =>
  stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}${suffix}`);
const origin = (ctx: InboundContext) => ({ channel: ctx.event.channel, chatId: ctx.event.chatId });

/** `pricing: How I set my day rate` → topic and title; without a colon the text is both. */
function topicAndTitle(text: string): { topic: string; title: string } | undefined {
  const at = text.indexOf(':');
  const topic = (at > 0 ? text.slice(0, at) : text).trim();
  const title = (at > 0 ? text.slice(at + 1) : text).trim();
  return topic && title ? { topic, title } : undefined;
}

export function contentCommands(d: ContentDeps): CommandFamily {
  const start = async (ctx: InboundContext, workflow: string, input: unknown, suffix = ''): Promise<void> => {
    await d.engine.start(workflow, input, { id: runId(ctx, suffix), origin: origin(ctx), reply: ctx.reply });
  };
  const label = (date: string): string => dayLabel(date, d.timeZone);

  return new Registry()
    .command({
      name: 'idea',
      usage: '<topic>: <title>',
      description: 'notes a content idea (e.g. /idea pricing: How I set my day rate)',
      run: async (ctx, args) => {
        const parsed = topicAndTitle(args);
        if (!parsed)
          return void (await ctx.reply('Usage: /idea <topic>: <title>, e.g. /idea pricing: How I set my day rate'));
        const piece = await d.pieces.create({ ...parsed, at: d.now() }, `cmd:${runId(ctx)}`);
        await ctx.reply(`Idea ${piece.id}: "${piece.title}" (${piece.topic}). /brief ${piece.id} writes its brief.`);
      },
    })
    .command({
      name: 'brief',
      usage: '<topic>[: <title>] | <piece>',
      description: 'writes a brief from past briefs and audience signals (a new piece, or an idea: /brief p3)',
      run: async (ctx, args) => {
        const typed = args.trim();
        let piece: Piece;
        if (PIECE_REF.test(typed)) piece = await d.pieces.find(typed);
        else {
          const parsed = topicAndTitle(typed);
          if (!parsed)
            return void (await ctx.reply(
              'Usage: /brief <topic>[: <title>], e.g. /brief pricing: How I set my day rate; or /brief p3 for an idea you noted.',
            ));
          piece = await d.pieces.create({ ...parsed, at: d.now() }, `cmd:${runId(ctx)}`);
        }
        if (!d.modelConfigured()) return void (await ctx.reply(`${NO_MODEL} The idea is kept as ${piece.id}.`));
        await start(ctx, 'content-brief', { pieceId: piece.id });
      },
    })
    .command({
      name: 'draft',
      usage: '<piece>',
      description: 'writes the next draft version of a piece in your voice (/draft p3; again for v2, v3 …)',
      run: async (ctx, args) => {
        if (!args.trim())
          return void (await ctx.reply('Usage: /draft <piece>, e.g. /draft p3 (/calendar lists the pieces).'));
        const piece = await d.pieces.find(args);
        if (!d.modelConfigured()) return void (await ctx.reply(NO_MODEL));
        await start(ctx, 'content-draft', { pieceId: piece.id });
      },
    })
    .command({
      name: 'calendar',
      usage: '[<piece> <YYYY-MM-DD>]',
      description: 'the content calendar; with a piece and a date, plans it (calendar event + reminder the day before)',
      run: async (ctx, args) => {
        const typed = args.trim();
        if (typed) {
          const m = /^(.+?)\s+(\d{4}-\d{2}-\d{2})$/.exec(typed);
          if (!m?.[1] || !m[2] || Number.isNaN(Date.parse(`${m[2]}T00:00:00Z`)))
            return void (await ctx.reply('Usage: /calendar <piece> <YYYY-MM-DD>, e.g. /calendar p3 2026-12-08'));
          const piece = await d.pieces.find(m[1]);
          if (piece.stage === 'published') return void (await ctx.reply(`${piece.id} is already published.`));
          return void (await start(ctx, 'content-schedule', { pieceId: piece.id, date: m[2] }));
        }
        const all = await d.pieces.list();
        const planned = all
          .filter((p) => p.stage !== 'published')
          .sort(
            (a, b) =>
              (a.publishOn ?? '9999').localeCompare(b.publishOn ?? '9999') ||
              a.id.localeCompare(b.id, 'en', { numeric: true }),
          );
        const published = all.filter((p) => p.stage === 'published');
        const waiting = (await d.questions.pending()).length;
        if (all.length === 0)
          return void (await ctx.reply(
            'The content calendar is empty: /idea or /brief starts a piece, /stats imports past statistics.',
          ));
        await ctx.reply(
          [
            `Content calendar: ${planned.length} planned, ${published.length} published.`,
            ...planned.map((p) => pieceLine(p, label)),
            ...(published.length
              ? [
                  `Last published: ${published
                    .slice(-3)
                    .map((p) => `${p.id} ${p.title}`)
                    .join('; ')}`,
                ]
              : []),
            ...(waiting ? [`Audience questions waiting: ${waiting} (/replies drafts the answers)`] : []),
          ].join('\n'),
        );
      },
    })
    .command({
      name: 'piece',
      usage: '<piece>',
      description: 'one piece: stage, date, brief, every draft version and its audience signals',
      run: async (ctx, args) => {
        const p = await d.pieces.find(args);
        await ctx.reply(
          [
            pieceLine(p, label),
            p.brief ? `Brief: memory #${p.brief.memoryId}` : 'No brief yet',
            ...(p.drafts.length
              ? p.drafts.map((v) => `Draft v${v.version}: memory #${v.memoryId}, ${v.words} words (run ${v.runId})`)
              : ['No draft yet']),
            ...p.metrics.map(
              (m) => `${m.metric.replace('_', ' ')}: ${(m.value * 100).toFixed(1)} % of ${m.base} (${m.source})`,
            ),
          ].join('\n'),
        );
      },
    })
    .command({
      name: 'published',
      usage: '<piece>',
      description: 'marks a piece as published',
      run: async (ctx, args) => {
        const piece = await d.pieces.find(args);
        await d.pieces.update(piece.id, (p) => ({ ...p, stage: 'published' }));
        await ctx.reply(
          `${piece.id} "${piece.title}" is published. Its statistics, once imported with /stats, count for the next review.`,
        );
      },
    })
    .command({
      name: 'stats',
      usage: '<file.csv>',
      description:
        'imports an analytics export (newsletter or video statistics) from the import folder and reviews the patterns',
      run: async (ctx, args) => {
        if (!args.trim())
          return void (await ctx.reply(
            'Usage: /stats <file.csv>, a newsletter or video statistics export in the import folder.',
          ));
        const report = await d.importStats(args);
        await ctx.reply(describeStats(report));
        if (report.linked.length + report.added.length === 0) return;
        if (!d.modelConfigured()) return void (await ctx.reply('/patterns measures them once a model is configured.'));
        await start(ctx, 'content-review', { reason: `imported ${report.file}` }, ':review');
      },
    })
    .command({
      name: 'patterns',
      usage: '',
      description: 'measures which topics over- or under-perform and proposes a revised calendar on one card',
      run: async (ctx) => {
        if (!d.modelConfigured()) return void (await ctx.reply(NO_MODEL));
        await start(ctx, 'content-review', {});
      },
    })
    .command({
      name: 'audience',
      usage: '[<email>:] <comment or question>',
      description: 'notes what someone in your audience said in chat; a question waits for /replies',
      run: async (ctx, args) => {
        const from = ADDRESS.exec(args);
        const text = (from ? args.slice(from[0].length) : args).trim();
        if (!text)
          return void (await ctx.reply(
            'Usage: /audience [<email>:] <what they said>, e.g. /audience jo@example.org: Do you have a template?',
          ));
        const asked = /\?/.test(text);
        const q = await d.questions.add({
          key: `chat:${runId(ctx)}`,
          ...(from?.[1] ? { from: from[1] } : {}),
          subject: text.slice(0, 80),
          text,
          at: d.now(),
          channel: ctx.event.channel,
          asks: asked,
        });
        await ctx.reply(
          q
            ? `Noted${q.pieceId ? ` (about ${q.pieceId})` : ''}${asked ? `; it waits for /replies as ${q.id}.` : '.'}`
            : 'Already noted.',
        );
      },
    })
    .command({
      name: 'replies',
      usage: '',
      description: 'drafts answers to every waiting audience question; one approval sends the batch',
      run: async (ctx) => {
        if (!d.modelConfigured()) return void (await ctx.reply(NO_MODEL));
        await start(ctx, 'content-replies', {});
      },
    })
    .family();
}
