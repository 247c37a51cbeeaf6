// Telegram's HTML parse mode, as far as the fake needs it: supported tags become entities, the four entities and
// numeric references are decoded, and malformed markup is refused the way the Bot API refuses it
// ("Bad Request: can't parse entities: ..."). Lengths and offsets are in UTF-16 units, as Telegram counts.

export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
}

const TAGS: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  code: 'code',
  pre: 'pre',
  a: 'text_link',
  'tg-spoiler': 'spoiler',
  blockquote: 'blockquote',
};
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
const TOKEN = /<(\/?)([^\s>/]*)([^>]*)>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g;

export class EntityParseError extends Error {}

export function parseHtml(html: string): { text: string; entities: MessageEntity[] } {
  let text = '';
  const open: { tag: string; offset: number; url?: string }[] = [];
  const entities: MessageEntity[] = [];
  const at = (index: number): number => Buffer.byteLength(html.slice(0, index));
  const literal = (chunk: string, index: number): void => {
    const lt = chunk.indexOf('<');
    if (lt !== -1) throw new EntityParseError(`Unclosed start tag at byte offset ${at(index + lt)}`);
    text += chunk;
  };
  let last = 0;
  for (const m of html.matchAll(TOKEN)) {
    literal(html.slice(last, m.index), last);
    last = m.index + m[0].length;
    const [, closing, rawName, attrs, entity] = m;
    if (entity !== undefined) {
      const code = entity.startsWith('#x')
        ? parseInt(entity.slice(2), 16)
        : entity.startsWith('#')
          ? Number(entity.slice(1))
          : undefined;
      // Telegram knows only these four names; anything else stays as written.
      text += code !== undefined ? String.fromCodePoint(code) : (NAMED[entity.toLowerCase()] ?? m[0]);
      continue;
    }
    const tag = (rawName ?? '').toLowerCase();
    if (!(tag in TAGS))
      throw new EntityParseError(`Unsupported ${closing ? 'end' : 'start'} tag "${tag}" at byte offset ${at(m.index)}`);
    if (!closing) {
      const href = /href\s*=\s*"([^"]*)"/i.exec(attrs ?? '')?.[1];
      open.push(href === undefined ? { tag, offset: text.length } : { tag, offset: text.length, url: href });
      continue;
    }
    const top = open.pop();
    if (top?.tag !== tag)
      throw new EntityParseError(
        `Unmatched end tag at byte offset ${at(m.index)}, expected "</${top?.tag ?? ''}>", found "</${tag}>"`,
      );
    const found: MessageEntity = { type: TAGS[tag] ?? tag, offset: top.offset, length: text.length - top.offset };
    if (top.url !== undefined) found.url = top.url;
    if (found.length > 0) entities.push(found);
  }
  literal(html.slice(last), last);
  const unclosed = open.pop();
  if (unclosed) throw new EntityParseError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  return { text, entities: entities.sort((a, b) => a.offset - b.offset) };
}
