// One operator, many identities: /link gives a code that makes another chat account speak for the operator;
// /prefer picks the chat where approval cards and notices go first.

import type { Delivery } from '../delivery/delivery.ts';
import type { Links } from '../identity/links.ts';
import type { CommandFamily } from './registry.ts';

export interface IdentityDeps {
  links: Links;
  delivery: Pick<Delivery, 'prefer'>;
}

export function identityCommands(deps: IdentityDeps): CommandFamily {
  return {
    commands: [
      {
        name: 'link',
        usage: '[code]',
        description: 'link another chat account to you: get a code here, send /link <code> from the new account',
        run: async (ctx, args) => {
          if (args)
            return void (await ctx.reply(
              'This account is already yours. Send /link <code> from the account you want to add.',
            ));
          const { code } = await deps.links.create(`${ctx.event.channel}:${ctx.event.senderId}`, ctx.event.channel);
          await ctx.reply(
            `From the account you want to add, send: /link ${code}\nThe code works once, for 10 minutes.`,
          );
        },
      },
      {
        name: 'prefer',
        description: 'send approval cards and notices to this chat first',
        run: async (ctx) => {
          await deps.delivery.prefer({ channel: ctx.event.channel, chatId: ctx.event.chatId });
          await ctx.reply(`Approval cards and notices will come here first (${ctx.event.channel}).`);
        },
      },
    ],
  };
}
