// Pure translation between Solo OS messages and Telegram Bot API shapes: HTML escaping, splitting at Telegram's
// length limit, inline keyboards and the command menu. No I/O, so it is easy to reason about on its own.

import type { ButtonSpec } from '../../../src/domain/messages.ts';
import type { CommandInfo } from '../../../src/ports/channel.ts';
import { splitText as splitParts } from '../shared/split.ts';

/** Telegram's limit for a message text, counted after entity parsing (so on our plain text, before escaping). */
export const MAX_TELEGRAM_TEXT = 4096;
const MAX_COMMANDS = 100;
const MAX_COMMAND_DESCRIPTION = 256;
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;

/** Our text is plain; with parse_mode HTML these three characters are the ones Telegram requires escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts text into parts of at most `max` UTF-16 units (how Telegram counts), preferring a line break, then a space,
 * in the second half of the window; never between the two halves of a surrogate pair. The break character is
 * dropped, so joining the parts with it gives the original text back.
 */
export function splitText(text: string, max = MAX_TELEGRAM_TEXT): string[] {
  return splitParts(text, max);
}
export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

/** One button per row: labels stay readable on a phone, and the order is the order the core chose. */
export function inlineKeyboard(buttons: ButtonSpec[]): InlineKeyboard {
  return { inline_keyboard: buttons.map((b) => [{ text: b.label, callback_data: b.data }]) };
}

/** The core's commands in the form setMyCommands accepts; names Telegram cannot show are left out (and returned). */
export function botCommands(commands: CommandInfo[]): {
  accepted: { command: string; description: string }[];
  skipped: string[];
} {
  const accepted: { command: string; description: string }[] = [];
  const skipped: string[] = [];
  for (const c of commands) {
    const command = c.name.toLowerCase();
    if (!COMMAND_NAME.test(command) || accepted.length >= MAX_COMMANDS) {
      skipped.push(c.name);
      continue;
    }
    const description = c.description.trim().slice(0, MAX_COMMAND_DESCRIPTION) || command;
    accepted.push({ command, description });
  }
  return { accepted, skipped };
}
