// Files into a Discord chat (/export): one message with the file attached, posted as multipart/form-data
// (`payload_json` plus `files[0]`) through discord.js's REST client, the body channel.send({ files }) would build.
// Discord takes up to 10 MiB per file from a bot (servers' boosts raise it; DMs have none): a larger file is not
// attempted, and the operator is told why.

import { DiscordAPIError, Routes, type Client, type RESTPostAPIChannelMessageResult } from 'discord.js';
import type { OutboundFile } from '../../../src/ports/channel.ts';
import { byteSize as size } from '../../../src/domain/text.ts';

const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Discord's error code (with HTTP 413) for a file or request over the upload limit. */
const ENTITY_TOO_LARGE = 40005;

const overLimit = (file: OutboundFile): string =>
  `Discord takes files up to ${size(MAX_FILE_BYTES)} from a bot, and this one is ${size(file.data.length)}.`;

/** Why the file cannot go to Discord at all, or undefined when it can be tried. */
export function tooLarge(file: OutboundFile): string | undefined {
  return file.data.length > MAX_FILE_BYTES ? overLimit(file) : undefined;
}

/** Posts a message carrying the file; returns the message id. Rejects with discord.js's error. */
export async function postFile(rest: Client['rest'], chatId: string, file: OutboundFile): Promise<string> {
  const sent = (await rest.post(Routes.channelMessages(chatId), {
    body: { attachments: [{ id: 0, filename: file.name }], allowed_mentions: { parse: [] } },
    files: [{ name: file.name, data: file.data, contentType: file.contentType }],
  })) as RESTPostAPIChannelMessageResult;
  return sent.id;
}

/** Discord refused the file as too large (its limit may be lower than ours): the sentence for the operator. */
export function refusedAsTooLarge(err: unknown, file: OutboundFile): string | undefined {
  const refused = err instanceof DiscordAPIError && (err.status === 413 || err.code === ENTITY_TOO_LARGE);
  return refused ? `Discord refused the file as too large (${size(file.data.length)}).` : undefined;
}
