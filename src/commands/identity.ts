// One operator, many identities. A trusted chat asks for a short-lived code with /link; the new account sends
// `/link <code>` and becomes one of the operator's identities. The operator's preferred chat (set with
// /prefer, or else the last chat they used) is where approval cards and proactive messages go first.

import { newEvent } from '../domain/events.ts';
import { randomId } from '../domain/ids.ts';
import type { InboundContext, Services } from '../inbound/context.ts';
import type { RunOrigin } from '../ports/engine-store.ts';
import type { Registry } from './registry.ts';

export const LINK_TTL_MS = 10 * 60_000;
const linkKey = (code: string): string => `link-code:${code.toLowerCase()}`;
export const PREFERRED_KEY = 'preferred-chat';
export const lastChatKey = (channel: string): string => `last-chat:${channel}`;

interface LinkCode {
  expiresAt: string;
  by: string;
}

/**
 * Redeems `/link <code>` sent by a not-yet-trusted account. True when the account is now one of the operator's
 * identities (the code is single-use and expires after ten minutes).
 */
export async function redeemLinkCode(ctx: InboundContext, code: string): Promise<boolean> {
  const { store } = ctx.services;
  const entry = await store.settings.get<LinkCode | null>(linkKey(code));
  if (!entry || new Date(entry.expiresAt) <= new Date()) return false;
  await store.settings.set(linkKey(code), null);
  const { channel, senderId } = ctx.event;
  const via = `link:${entry.by}`;
  await store.identities.upsert({ channel, externalId: senderId, label: `${channel} (linked)`, linkedAt: new Date(), via });
  await store.events.append(newEvent('identity.linked', `identities:${channel}`, { channel, externalId: senderId, via }));
  ctx.log.info({ channel, senderId, via }, 'linked a new operator identity');
  return true;
}

/** Remembers the chat the operator last used on each channel (a fallback for proactive messages). */
export async function rememberChat(services: Services, channel: string, chatId: string): Promise<void> {
  const key = lastChatKey(channel);
  if ((await services.store.settings.get<string>(key)) !== chatId) await services.store.settings.set(key, chatId);
}

/** Where proactive messages go, best first: the preferred chat, then the last chat on each other channel. */
export async function proactiveTargets(services: Services): Promise<RunOrigin[]> {
  const targets: RunOrigin[] = [];
  const preferred = await services.store.settings.get<RunOrigin | null>(PREFERRED_KEY);
  if (preferred) targets.push(preferred);
  for (const channel of services.channels()) {
    const chatId = await services.store.settings.get<string>(lastChatKey(channel.name));
    if (chatId && !targets.some((t) => t.channel === channel.name && t.chatId === chatId)) targets.push({ channel: channel.name, chatId });
  }
  return targets;
}

export function registerIdentityCommands(registry: Registry): Registry {
  return registry
    .command({
      name: 'link',
      usage: '[code]',
      description: 'link another chat account to you: get a code here, send /link <code> from the new account',
      run: async (ctx, args) => {
        if (args) return void (await ctx.reply('This account is already yours. Send /link <code> from the account you want to add.'));
        const code = randomId('', 8);
        const expiresAt = new Date(Date.now() + LINK_TTL_MS);
        await ctx.services.store.settings.set(linkKey(code), { expiresAt: expiresAt.toISOString(), by: `${ctx.event.channel}:${ctx.event.senderId}` } satisfies LinkCode);
        await ctx.services.store.events.append(newEvent('link.requested', `identities:${ctx.event.channel}`, { channel: ctx.event.channel, expiresAt: expiresAt.toISOString() }));
        await ctx.reply(`From the account you want to add, send: /link ${code}\nThe code works once, for 10 minutes.`);
      },
    })
    .command({
      name: 'prefer',
      description: 'send approval cards and notices to this chat first',
      run: async (ctx) => {
        const target: RunOrigin = { channel: ctx.event.channel, chatId: ctx.event.chatId };
        await ctx.services.store.settings.set(PREFERRED_KEY, target);
        await ctx.reply(`Approval cards and notices will come here first (${ctx.event.channel}).`);
      },
    });
}
