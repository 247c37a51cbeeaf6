// Discord API objects as the real API shapes them (v10), built from the fake's state. Only the fields discord.js
// reads are filled in; ids are real snowflakes (discord.js derives timestamps from them).

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment);
}

export const ChannelKind = { guildText: 0, dm: 1 } as const;
export const InteractionKind = { command: 2, component: 3 } as const;

/** Gateway intent bits the fake honours (https://discord.com/developers/docs/events/gateway#gateway-intents). */
export const Intent = {
  guilds: 1 << 0,
  guildMessages: 1 << 9,
  directMessages: 1 << 12,
  messageContent: 1 << 15,
} as const;

export interface ApiUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: null;
  bot?: boolean;
}

export interface ApiChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  position?: number;
  permission_overwrites?: unknown[];
  recipients?: ApiUser[];
  last_message_id: string | null;
  flags: 0;
}

export interface ApiMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: ApiUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: false;
  mention_everyone: false;
  mentions: ApiUser[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  components: unknown[];
  pinned: false;
  type: 0 | 20;
  flags: number;
  channel_type?: number;
  webhook_id?: string;
  application_id?: string;
  interaction_metadata?: {
    id: string;
    type: number;
    user: ApiUser;
    authorizing_integration_owners: Record<string, string>;
  };
}

export const user = (id: string, username: string, bot = false): ApiUser => ({
  id,
  username,
  discriminator: '0',
  global_name: bot ? null : username,
  avatar: null,
  ...(bot ? { bot: true } : {}),
});

export function message(channel: ApiChannel, author: ApiUser, content: string, components: unknown[] = []): ApiMessage {
  return {
    id: snowflake(),
    channel_id: channel.id,
    ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
    author,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components,
    pinned: false,
    type: 0,
    flags: 0,
    // Discord adds the channel type to MESSAGE_CREATE; discord.js needs it to build an uncached DM channel.
    channel_type: channel.type,
  };
}

export function guildCreate(guildId: string, ownerId: string, channels: ApiChannel[], bot: ApiUser) {
  return {
    id: guildId,
    name: 'Test guild',
    icon: null,
    owner_id: ownerId,
    unavailable: false,
    member_count: 2,
    large: false,
    joined_at: new Date().toISOString(),
    features: [],
    roles: [
      {
        id: guildId,
        name: '@everyone',
        permissions: '68608',
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    channels,
    members: [{ user: bot, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }],
    emojis: [],
    stickers: [],
    threads: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    preferred_locale: 'en-US',
  };
}

export interface InteractionPlace {
  channel: ApiChannel;
  user: ApiUser;
}

/** The common part of an INTERACTION_CREATE payload; guild interactions carry `member`, DM ones `user`. */
export function interactionBase(applicationId: string, place: InteractionPlace, type: number) {
  const { channel, user: who } = place;
  const inGuild = channel.guild_id !== undefined;
  return {
    id: snowflake(),
    application_id: applicationId,
    type,
    token: `itoken-${snowflake()}`,
    version: 1,
    channel_id: channel.id,
    channel,
    ...(inGuild
      ? {
          guild_id: channel.guild_id,
          member: {
            user: who,
            roles: [],
            permissions: '68608',
            joined_at: new Date().toISOString(),
            deaf: false,
            mute: false,
            flags: 0,
          },
        }
      : { user: who }),
    app_permissions: '68608',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: inGuild ? 0 : 1,
    attachment_size_limit: 10_485_760,
  };
}

/** An HTTP answer from the fake's REST routes. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const notFound = (code: number, message: string): Reply => ({ status: 404, body: apiError(code, message) });

/** Discord's error body for a request it refuses (https://discord.com/developers/docs/reference#error-messages). */
export const apiError = (code: number, message: string, errors?: unknown) => ({
  code,
  message,
  ...(errors === undefined ? {} : { errors }),
});

export const fieldError = (path: string[], code: string, text: string) => {
  const errors: Record<string, unknown> = { _errors: [{ code, message: text }] };
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), errors);
};
