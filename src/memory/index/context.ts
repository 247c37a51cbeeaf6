// Token-budgeted context block for agents: recalled memories, most relevant first, one per line as
// `[m<id>] <text> (source: …)`, so an answer can cite `m<id>`. Stops at the first memory that no longer fits and
// never cuts one in half — except a first memory that alone exceeds the budget, which is shortened with "…".
// Tokens are counted with gpt-tokenizer (o200k_base) unless the caller passes the counter of its own model.

// Loaded on first count (~0.35 s and ~60 MB): the bot starts without it and many runs never build a context.
import { countText } from '../../llm/tokens.ts';

export interface ContextItem {
  id: number;
  text: string;
  source?: string | undefined;
  /** RecallHit carries its source here; `source` wins when both are set. */
  meta?: { source?: string | undefined } | undefined;
}

export interface ContextOptions {
  maxTokens: number;
  countTokens?: ((text: string) => number) | undefined;
  /** First line of the block (counted in the budget), e.g. "Relevant memories:". */
  header?: string | undefined;
}

export interface BuiltContext {
  text: string;
  /** Ids of the memories in the block, in order. */
  used: number[];
  /** Tokens of `text` by the counter used. */
  tokens: number;
}

/** Special-token text ("<|im_end|>") in a memory counts as plain text instead of throwing. */
const defaultCountTokens = (text: string): number => countText(text);

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function formatLine(id: number, text: string, source: string | undefined): string {
  return `[m${id}] ${text}${source ? ` (source: ${source})` : ''}`;
}

/** The longest prefix of `text` (whole code points) whose line, ending in "…", fits `budget`; undefined if none. */
function truncated(
  id: number,
  text: string,
  source: string | undefined,
  budget: number,
  count: (s: string) => number,
): string | undefined {
  const chars = Array.from(text);
  const fits = (n: number): boolean =>
    count(formatLine(id, `${chars.slice(0, n).join('').trimEnd()}…`, source)) <= budget;
  if (!fits(0)) return undefined;
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return formatLine(id, `${chars.slice(0, lo).join('').trimEnd()}…`, source);
}

export function buildContext(items: readonly ContextItem[], options: ContextOptions): BuiltContext {
  const { maxTokens } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new RangeError(`maxTokens must be a non-negative integer, got ${maxTokens}`);
  const count = options.countTokens ?? defaultCountTokens;
  const lines: string[] = [];
  const used: number[] = [];
  const header = options.header ? oneLine(options.header) : '';
  if (header) {
    if (count(header) > maxTokens) return { text: '', used: [], tokens: 0 };
    lines.push(header);
  }
  let total = header ? count(header) : 0;
  let previous = header; // tokens merge only across the line break, so the previous line is context enough
  let previousTokens = total;
  for (const item of items) {
    const text = oneLine(item.text);
    const rawSource = item.source ?? item.meta?.source;
    const source = rawSource ? oneLine(rawSource) : undefined;
    const line = formatLine(item.id, text, source);
    const lineTokens = count(line);
    const cost = lines.length > 0 ? count(`${previous}\n${line}`) - previousTokens : lineTokens;
    const separator = lines.length > 0 ? Math.max(0, cost - lineTokens) : 0;
    if (total + cost <= maxTokens) {
      lines.push(line);
      used.push(item.id);
      total += cost;
      previous = line;
      previousTokens = lineTokens;
      continue;
    }
    if (used.length === 0) {
      // The most relevant memory alone does not fit: keep its beginning rather than nothing.
      const budget = maxTokens - total - separator;
      const short =
        budget > 0
          ? (truncated(item.id, text, source, budget, count) ?? truncated(item.id, text, undefined, budget, count))
          : undefined;
      if (short !== undefined) {
        lines.push(short);
        used.push(item.id);
      }
    }
    break;
  }
  // Lines were counted pairwise; the joined text is counted once more, and trailing lines dropped should a
  // tokenizer see it otherwise.
  let text = lines.join('\n');
  let tokens = text ? count(text) : 0;
  while (tokens > maxTokens && lines.length > 0) {
    if (lines.length > (header ? 1 : 0)) used.pop();
    lines.pop();
    text = lines.join('\n');
    tokens = text ? count(text) : 0;
  }
  if (used.length === 0) return { text: '', used: [], tokens: 0 };
  return { text, used, tokens };
}
