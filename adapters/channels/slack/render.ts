// Pure translation between Solo OS messages and Slack's shapes: mrkdwn escaping both ways, splitting at Slack's
// limits, and Block Kit for buttons. No I/O, so it is easy to reason about on its own.

import type { types } from '@slack/bolt';
import type { ButtonSpec } from '../../../src/domain/messages.ts';
import { splitText } from '../shared/split.ts';

/** Slack truncates a message text beyond this many characters. */
const MAX_MESSAGE_TEXT = 40_000;
/** Block Kit refuses a section whose text is longer. */
const MAX_SECTION_TEXT = 3000;
const MAX_BUTTONS_PER_ACTIONS_BLOCK = 25;
const MAX_BUTTON_LABEL = 75;
/** Buttons are told apart by their value; the action_id only has to be unique within the message. */
const BUTTON_ACTION_PREFIX = 'solo_button_';

/** Our text is plain; in mrkdwn these three characters are control characters and Slack requires them escaped. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Slack's text back to plain text: `<@U1>` → `@U1`, `<#C1|general>` → `#general`, `<!here>` → `@here`,
 * `<https://x|label>` → `https://x`, then the three entities. The core never sees Slack markup.
 */
export function fromSlackText(text: string): string {
  const plain = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) return label ? `@${label}` : target;
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    if (target.startsWith('!')) return `@${label ?? target.slice(1).split('^')[0]}`;
    return target;
  });
  return plain.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Cuts escaped text into parts of at most `max` characters, preferring a line break, then a space, in the second
 * half of the window. A hard cut never falls inside an entity (`&amp;`) or between the halves of a surrogate pair.
 * The break character is dropped, so joining the parts with it gives the original back.
 */
function splitEscaped(text: string, max: number): string[] {
  return splitText(text, max, (rest, cut) => {
    const amp = rest.lastIndexOf('&', cut - 1);
    return amp > cut - 6 && rest.indexOf(';', amp) >= cut;
  });
}

/** What chat.postMessage / chat.update receive for one Slack message. */
export interface SlackMessage {
  text: string;
  blocks?: types.KnownBlock[];
}

function buttonBlocks(buttons: ButtonSpec[]): types.ActionsBlock[] {
  const blocks: types.ActionsBlock[] = [];
  for (let i = 0; i < buttons.length; i += MAX_BUTTONS_PER_ACTIONS_BLOCK) {
    const elements = buttons.slice(i, i + MAX_BUTTONS_PER_ACTIONS_BLOCK).map((b, j): types.Button => ({
      type: 'button',
      action_id: `${BUTTON_ACTION_PREFIX}${i + j}`,
      text: { type: 'plain_text', text: b.label.slice(0, MAX_BUTTON_LABEL) || '·', emoji: true },
      value: b.data,
    }));
    blocks.push({ type: 'actions', elements });
  }
  return blocks;
}

/** A message with buttons is Block Kit: its text as sections of at most 3000 characters, then the buttons. */
function withButtons(text: string, buttons: ButtonSpec[]): SlackMessage {
  const sections = splitEscaped(text, MAX_SECTION_TEXT).map((part): types.SectionBlock => ({
    type: 'section',
    text: { type: 'mrkdwn', text: part || ' ' },
  }));
  return { text, blocks: [...sections, ...buttonBlocks(buttons)] };
}

/** One or more Slack messages for a text: split at Slack's 40k limit; the buttons go on the last one. */
export function renderMessages(text: string, buttons: ButtonSpec[]): SlackMessage[] {
  const parts = splitEscaped(escapeMrkdwn(text), MAX_MESSAGE_TEXT);
  return parts.map((part, i) =>
    i === parts.length - 1 && buttons.length > 0 ? withButtons(part, buttons) : { text: part },
  );
}

/** Exactly one Slack message (an edit cannot split): a text over the limit is cut and ends with "…". */
export function renderSingle(text: string, buttons: ButtonSpec[]): SlackMessage {
  const parts = splitEscaped(escapeMrkdwn(text), MAX_MESSAGE_TEXT - 1);
  const cut = parts.length > 1 ? `${parts[0] ?? ''}…` : (parts[0] ?? '');
  return buttons.length > 0 ? withButtons(cut, buttons) : { text: cut };
}
