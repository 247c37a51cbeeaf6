// The Web API methods the Slack adapter uses, with Slack's arguments, results and error codes. Transport concerns
// (tokens, rate limits, body formats) live in server.ts; these only see parsed arguments.

import { blockProblems, withBlockIds } from './blocks.ts';
import type { Block, StoredMessage, Workspace } from './workspace.ts';

export type TokenKind = 'bot' | 'app';
export type ApiResult = { ok: boolean; error?: string } & Record<string, unknown>;
export interface ApiMethod {
  /** The kinds of token the method accepts; others get not_allowed_token_type. */
  tokens: TokenKind[];
  /** The OAuth scope a bot token needs for the method; without it: missing_scope. */
  scope?: string;
  run(args: Record<string, unknown>): ApiResult;
}

const MAX_MESSAGE_TEXT = 40_000;
export const fail = (error: string, extra: Record<string, unknown> = {}): ApiResult => ({ ok: false, error, ...extra });

/** Form bodies carry blocks as a JSON string, JSON bodies as an array. Undefined means "not given". */
function readBlocks(raw: unknown): { blocks?: Block[] } | ApiResult {
  if (raw === undefined) return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return fail('invalid_blocks_format');
    }
  }
  const problems = blockProblems(value);
  if (problems.length > 0)
    return fail('invalid_blocks', {
      errors: problems,
      response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
    });
  return { blocks: value as Block[] };
}

const text = (raw: unknown): string | undefined => (typeof raw === 'string' ? raw : undefined);
const asSeen = (m: StoredMessage, teamId: string) => ({
  type: m.type,
  user: m.user,
  bot_id: m.bot_id,
  text: m.text,
  blocks: m.blocks,
  ts: m.ts,
  team: teamId,
  ...(m.edited ? { edited: m.edited } : {}),
});

export function apiMethods(ws: Workspace, openSocketUrl: () => string): Record<string, ApiMethod> {
  return {
    'auth.test': {
      tokens: ['bot'],
      run: () => ({
        ok: true,
        url: `https://${ws.team.domain}.slack.com/`,
        team: ws.team.name,
        user: ws.bot.name,
        team_id: ws.team.id,
        user_id: ws.bot.userId,
        bot_id: ws.bot.botId,
        is_enterprise_install: false,
      }),
    },

    'apps.connections.open': { tokens: ['app'], run: () => ({ ok: true, url: openSocketUrl() }) },

    'chat.postMessage': {
      tokens: ['bot'],
      scope: 'chat:write',
      run: (args) => {
        const channel = ws.resolveChannel(text(args.channel) ?? '');
        if (!channel) return fail('channel_not_found');
        const read = readBlocks(args.blocks);
        if ('ok' in read) return read;
        const body = text(args.text) ?? '';
        if (!body.trim() && !read.blocks?.length) return fail('no_text');
        if (body.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
        const ts = ws.nextTs();
        const message = ws.store({
          type: 'message',
          channel,
          ts,
          user: ws.bot.userId,
          bot_id: ws.bot.botId,
          text: body,
          blocks: withBlockIds(read.blocks ?? []),
        });
        return { ok: true, channel, ts, message: asSeen(message, ws.team.id) };
      },
    },

    'chat.update': {
      tokens: ['bot'],
      scope: 'chat:write',
      run: (args) => {
        // Unlike chat.postMessage, chat.update takes only a channel id.
        const channel = text(args.channel) ?? '';
        if (!ws.ims.has(channel)) return fail('channel_not_found');
        const message = ws.find(channel, text(args.ts) ?? '');
        if (!message) return fail('message_not_found');
        if (message.user !== ws.bot.userId) return fail('cant_update_message');
        const read = readBlocks(args.blocks);
        if ('ok' in read) return read;
        const body = text(args.text);
        if (body === undefined && read.blocks === undefined) return fail('no_text');
        if (body !== undefined && body.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
        // Given blocks replace the old ones; a new text without blocks removes them.
        if (read.blocks !== undefined) message.blocks = withBlockIds(read.blocks);
        else message.blocks = [];
        if (body !== undefined) message.text = body;
        message.edited = { user: ws.bot.userId, ts: ws.nextTs() };
        return { ok: true, channel, ts: message.ts, text: message.text, message: asSeen(message, ws.team.id) };
      },
    },
  };
}
