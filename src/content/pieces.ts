// Content pieces and their stages (idea → brief → draft → scheduled → published). A piece's state is a small typed
// record in the settings store (`content.piece:<id>`, numbered p1, p2, …); its text — the brief, every draft
// version, the audience signals — lives in memory as items linked to the entity `content:<id>`, so recall and the
// agents see it like everything else. Memory keeps text and versions; it has no place for a stage or a date.

import { z } from 'zod';
import { InputError } from '../domain/errors.ts';
import type { SettingsStore } from '../ports/store.ts';
import { setting, settingFamily } from '../settings/setting.ts';

const STAGES = ['idea', 'brief', 'draft', 'scheduled', 'published'] as const;
export type Stage = (typeof STAGES)[number];
const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

const metricSchema = z.object({
  /** open_rate (newsletter: opens / recipients), view_rate (video: views / impressions), click_rate. */
  metric: z.string(),
  value: z.number(),
  /** The denominator (recipients, impressions): how much the rate rests on. */
  base: z.number(),
  source: z.string(),
});
export type PieceMetric = z.infer<typeof metricSchema>;

const pieceSchema = z.object({
  id: z.string(),
  title: z.string(),
  topic: z.string(),
  format: z.string(),
  stage: z.enum(STAGES),
  priority: z.enum(PRIORITIES),
  /** Publishing date, YYYY-MM-DD in the operator's zone. */
  publishOn: z.string().optional(),
  eventUid: z.string().optional(),
  reminderId: z.string().optional(),
  brief: z.object({ memoryId: z.string(), runId: z.string() }).optional(),
  drafts: z.array(z.object({ version: z.number(), memoryId: z.string(), runId: z.string(), words: z.number() })),
  metrics: z.array(metricSchema),
  createdAt: z.string(),
});
export type Piece = z.infer<typeof pieceSchema>;

export interface NewPiece {
  title: string;
  topic: string;
  format?: string;
  stage?: Stage;
  publishOn?: string;
  at: Date;
}

export const pieceEntity = (id: string): string => `content:${id}`;
const stageRank = (s: Stage): number => STAGES.indexOf(s);
/** The later of two stages: a piece never moves back by being briefed or drafted again. */
export const laterStage = (a: Stage, b: Stage): Stage => (stageRank(a) >= stageRank(b) ? a : b);

const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** The pieces, in the settings store. One operator writes them; each write is one settings write. */
export class ContentStore {
  readonly #piece: (id: string) => ReturnType<typeof setting<Piece>>;
  readonly #ids;
  readonly #next;
  readonly #byKey;

  constructor(settings: SettingsStore) {
    this.#piece = settingFamily(settings, 'content.piece', pieceSchema);
    this.#ids = setting(settings, 'content.pieces', z.array(z.string()));
    this.#next = setting(settings, 'content.next', z.number().int());
    this.#byKey = settingFamily(settings, 'content.key', z.string());
  }

  /** Creates a piece; with a key (a step's idempotency key), the same key again returns the piece made first. */
  async create(input: NewPiece, key?: string): Promise<Piece> {
    if (key) {
      const made = await this.#byKey(key).get();
      const existing = made ? await this.get(made) : undefined;
      if (existing) return existing;
    }
    const n = ((await this.#next.get()) ?? 0) + 1;
    await this.#next.set(n);
    const piece: Piece = {
      id: `p${n}`,
      title: input.title.trim().slice(0, 200),
      topic: norm(input.topic).slice(0, 60) || 'general',
      format: norm(input.format ?? 'newsletter') || 'newsletter',
      stage: input.stage ?? 'idea',
      priority: 'normal',
      drafts: [],
      metrics: [],
      createdAt: input.at.toISOString(),
      ...(input.publishOn ? { publishOn: input.publishOn } : {}),
    };
    await this.#piece(piece.id).set(piece);
    await this.#ids.set([...((await this.#ids.get()) ?? []), piece.id]);
    if (key) await this.#byKey(key).set(piece.id);
    return piece;
  }

  async get(id: string): Promise<Piece | undefined> {
    return this.#piece(id).get();
  }

  async list(): Promise<Piece[]> {
    const ids = (await this.#ids.get()) ?? [];
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((p): p is Piece => p !== undefined);
  }

  /** Applies a change to the current record; throws when the piece is gone. */
  async update(id: string, change: (p: Piece) => Piece): Promise<Piece> {
    const current = await this.get(id);
    if (!current) throw new InputError(`There is no piece ${id}.`);
    const next = change(current);
    await this.#piece(id).set(next);
    return next;
  }

  /** `p3`, `#p3`, or words of a title (one piece must match). */
  async find(ref: string): Promise<Piece> {
    const typed = ref.trim();
    const id = /^#?(p\d+)$/i.exec(typed)?.[1]?.toLowerCase();
    if (id) {
      const piece = await this.get(id);
      if (!piece) throw new InputError(`There is no piece ${id}; /calendar lists them.`);
      return piece;
    }
    const words = norm(typed);
    if (!words) throw new InputError('Name a piece by its number (p3) or words of its title; /calendar lists them.');
    const all = await this.list();
    const exact = all.filter((p) => norm(p.title) === words);
    const matches = exact.length > 0 ? exact : all.filter((p) => norm(p.title).includes(words));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new InputError(`No piece's title contains "${typed}"; /calendar lists them.`);
    throw new InputError(
      `"${typed}" matches ${matches.length} pieces (${matches
        .slice(0, 5)
        .map((p) => p.id)
        .join(', ')}); give its number.`,
    );
  }

  /** The piece with this title, if any (analytics rows name pieces by title). */
  async byTitle(title: string): Promise<Piece | undefined> {
    const wanted = norm(title);
    return (await this.list()).find((p) => norm(p.title) === wanted);
  }
}

/** "p3 · draft v2 · Tue 8 Dec · How I set my day rate (pricing, newsletter)". */
export function pieceLine(p: Piece, formatDate: (d: string) => string): string {
  const stage = p.stage === 'draft' ? `draft v${p.drafts.length}` : p.stage;
  const when = p.publishOn ? ` · ${formatDate(p.publishOn)}` : '';
  const priority = p.priority === 'normal' ? '' : ` · ${p.priority} priority`;
  return `${p.id} · ${stage}${when}${priority} · ${p.title} (${p.topic}, ${p.format})`;
}
