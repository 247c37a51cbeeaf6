// Audience questions from inbound mail and chat: kept as memories linked to the piece they are about (marked as
// outside text, so agents read them as data), and queued for the next batch of community replies (/replies). Which
// mail is a question is decided from triage's verdict and the text, never by a model.

import { z } from 'zod';
import type { RememberInput } from '../memory/types.ts';
import type { MailTriage } from '../mail/triage.ts';
import type { InboundMail } from '../ports/mail.ts';
import type { SettingsStore } from '../ports/store.ts';
import { setting } from '../settings/setting.ts';
import { pieceEntity, type ContentStore, type Piece } from './pieces.ts';

const questionSchema = z.object({
  id: z.string(),
  /** Where the answer goes: a mail address, or absent for a question noted in chat. */
  from: z.string().optional(),
  subject: z.string(),
  text: z.string(),
  messageId: z.string().optional(),
  pieceId: z.string().optional(),
  status: z.enum(['pending', 'claimed', 'answered', 'noted']),
  /** The replies run that took it. */
  runId: z.string().optional(),
  at: z.string(),
});
export type Question = z.infer<typeof questionSchema>;

const MAX_TEXT = 1500;
const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** The piece a text is about: one whose title it names, else one whose topic it names (planned pieces first). */
function pieceMentioned(pieces: Piece[], text: string): Piece | undefined {
  const words = ` ${norm(text)} `;
  const ordered = [...pieces].sort((a, b) => Number(a.stage === 'published') - Number(b.stage === 'published'));
  return (
    pieceNamed(ordered, text) ??
    [...pieces].reverse().find((p) => p.stage === 'published' && words.includes(` ${p.topic} `)) ??
    ordered.find((p) => words.includes(` ${p.topic} `))
  );
}

/** The piece whose full title a text names, planned pieces first. */
export function pieceNamed(pieces: Piece[], text: string): Piece | undefined {
  const words = ` ${norm(text)} `;
  return [...pieces]
    .sort((a, b) => Number(a.stage === 'published') - Number(b.stage === 'published'))
    .find((p) => words.includes(` ${norm(p.title)} `));
}

export class AudienceQuestions {
  readonly #list;
  readonly #pieces: ContentStore;
  readonly #remember: (input: RememberInput) => Promise<unknown>;

  constructor(settings: SettingsStore, pieces: ContentStore, remember: (input: RememberInput) => Promise<unknown>) {
    this.#list = setting(settings, 'content.questions', z.array(questionSchema));
    this.#pieces = pieces;
    this.#remember = remember;
  }

  async all(): Promise<Question[]> {
    return (await this.#list.get()) ?? [];
  }

  async pending(): Promise<Question[]> {
    return (await this.all()).filter((q) => q.status === 'pending');
  }

  /** Keeps a question once per dedupe key (a mail's Message-ID); returns it, or undefined when seen before. */
  async add(q: {
    key: string;
    from?: string;
    subject: string;
    text: string;
    at: Date;
    channel: string;
    asks?: boolean;
  }): Promise<Question | undefined> {
    const all = await this.all();
    const id = `q${all.length + 1}`;
    if (all.some((x) => x.messageId !== undefined && x.messageId === q.key)) return undefined;
    const piece = pieceMentioned(await this.#pieces.list(), `${q.subject}\n${q.text}`);
    const question: Question = {
      id,
      subject: q.subject.slice(0, 200),
      text: q.text.slice(0, MAX_TEXT),
      messageId: q.key,
      status: q.asks === false ? 'noted' : 'pending',
      at: q.at.toISOString(),
      ...(q.from ? { from: q.from } : {}),
      ...(piece ? { pieceId: piece.id } : {}),
    };
    await this.#list.set([...all, question]);
    await this.#remember({
      text: `Audience ${q.asks === false ? 'comment' : 'question'}${q.from ? ` from ${q.from}` : ''}${piece ? ` about "${piece.title}"` : ''}: ${q.subject ? `${q.subject} — ` : ''}${q.text.replace(/\s+/g, ' ').slice(0, 400)}`,
      kind: 'note',
      entities: piece ? [pieceEntity(piece.id)] : [],
      importance: 0.4,
      // Outside text: agents see it marked as data, never as instructions.
      source: { channel: q.channel, importedFrom: `${q.channel} ${q.from ?? 'chat'}` },
      dedupe: 'none',
    });
    return question;
  }

  /** Takes the pending questions for one replies run (the same run again gets the same ones). */
  async claim(runId: string): Promise<Question[]> {
    const all = await this.all();
    const next = all.map((q) => (q.status === 'pending' ? { ...q, status: 'claimed' as const, runId } : q));
    await this.#list.set(next);
    return next.filter((q) => q.runId === runId && q.status === 'claimed');
  }

  async finish(runId: string, ids: string[], status: 'answered' | 'pending'): Promise<void> {
    const all = await this.all();
    const next = all.map((q): Question => {
      if (q.runId !== runId || !ids.includes(q.id)) return q;
      const changed: Question = { ...q, status };
      if (status === 'pending') delete changed.runId;
      return changed;
    });
    await this.#list.set(next);
  }
}

const AUTOMATED = new Set([
  'our own mail',
  'delivery failure',
  'auto-submitted',
  'auto-reply',
  'bulk',
  'newsletter',
  'no-reply sender',
]);

/**
 * Whether new mail is an audience question: it asks something, and it is neither a reply, an invoice question nor
 * machine mail. Triage calls a stranger's mail with words like "rate" or "project" a lead; one that names a piece
 * by its title is about the content, so it counts as a question too (the lead line is still shown).
 */
export function isAudienceQuestion(mail: InboundMail, triage: MailTriage, namesPiece: boolean): boolean {
  if (mail.from === undefined || !/\?/.test(`${mail.subject}\n${mail.text}`)) return false;
  return (triage.kind === 'other' && !AUTOMATED.has(triage.reason)) || (triage.kind === 'lead' && namesPiece);
}
