// SentMessage → Discord message payloads: markdown escaped (the core writes plain text), cut into parts of at
// most 2000 characters, buttons as action rows on the last part, and no pings ever.

import {
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
} from 'discord.js';
import type { ButtonSpec } from '../../../src/domain/messages.ts';
import { splitText } from '../shared/split.ts';

/** Discord's limit on a message's content. */
export const MAX_CONTENT = 2000;
const BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const MAX_LABEL = 80;

type ButtonRow = APIActionRowComponent<APIButtonComponentWithCustomId>;

export interface DiscordPayload {
  content: string;
  components: ButtonRow[];
  /** Text from notes or clients may contain @everyone or <@id>: render it, never ping. */
  allowedMentions: { parse: [] };
}

export interface Rendered {
  parts: DiscordPayload[];
  /** Buttons Discord cannot show (more than 25, or a repeated `data`), for the caller to log. */
  dropped: ButtonSpec[];
}

/** Renders a message; an empty text with no buttons gives no parts. */
export function render(text: string, buttons: ButtonSpec[]): Rendered {
  const { rows, dropped } = buttonRows(buttons);
  const escaped = escapeMarkdown(text, { heading: true, maskedLink: true });
  const chunks = escaped.trim() === '' ? (rows.length > 0 ? [''] : []) : split(escaped, MAX_CONTENT);
  const parts = chunks.map((content, i) => ({
    content,
    components: i === chunks.length - 1 ? rows : [],
    allowedMentions: { parse: [] as [] },
  }));
  return { parts, dropped };
}

/**
 * Cuts text into pieces of at most `limit` UTF-16 units (Discord counts code points, which is never more),
 * at a line break if there is one in the second half of the window, else at a space, else hard — but never
 * between a markdown escape's backslash and the character it escapes, nor inside a surrogate pair.
 */
function split(text: string, limit: number): string[] {
  return splitText(text, limit, (rest, cut) => {
    let backslashes = 0;
    for (let i = cut - 1; i >= 0 && rest[i] === '\\'; i -= 1) backslashes += 1;
    return backslashes % 2 === 1;
  });
}

function buttonRows(buttons: ButtonSpec[]): { rows: ButtonRow[]; dropped: ButtonSpec[] } {
  const seen = new Set<string>();
  const kept: ButtonSpec[] = [];
  const dropped: ButtonSpec[] = [];
  for (const b of buttons) {
    // Discord rejects a message whose buttons repeat a custom_id, and shows at most 5 rows of 5.
    if (seen.has(b.data) || kept.length === BUTTONS_PER_ROW * MAX_ROWS) dropped.push(b);
    else {
      seen.add(b.data);
      kept.push(b);
    }
  }
  const rows: ButtonRow[] = [];
  for (let i = 0; i < kept.length; i += BUTTONS_PER_ROW) {
    rows.push({
      type: ComponentType.ActionRow,
      components: kept.slice(i, i + BUTTONS_PER_ROW).map((b) => ({
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: b.data,
        label: b.label.length > MAX_LABEL ? `${b.label.slice(0, MAX_LABEL - 1)}…` : b.label,
      })),
    });
  }
  return { rows, dropped };
}
