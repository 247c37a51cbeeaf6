// Messages nobody asked for right now (run updates, digests): tried on each target chat in order until one
// channel takes it, then the web chat as the last resort.

import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Services } from '../inbound/context.ts';
import type { RunOrigin } from '../ports/engine-store.ts';
import { sendMessage } from '../conductor/conductor.ts';

export async function deliverFirst(
  services: Services,
  targets: RunOrigin[],
  fallback: RunOrigin,
  message: OutboundMessage,
  dedupeKey?: string,
): Promise<SentMessage> {
  const all = [...targets, fallback];
  for (const [i, target] of all.entries()) {
    const channel = services.channels().find((c) => c.name === target.channel);
    if (!channel) continue;
    // Each target has its own dedupe key: a copy recorded for a target that failed must not block the next one.
    const key = dedupeKey === undefined ? {} : { dedupeKey: i === 0 ? dedupeKey : `${dedupeKey}@${target.channel}:${target.chatId}` };
    try {
      return await sendMessage(services, channel, target.chatId, message, key);
    } catch (err) {
      services.logger.warn({ err, channel: target.channel }, 'could not deliver a message; trying the next chat');
    }
  }
  throw new Error('no channel could take the message');
}
