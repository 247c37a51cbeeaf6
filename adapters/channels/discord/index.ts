// Discord adapter. Environment (validated in src/config.ts, wired in src/compose/channels.ts):
//   DISCORD_TOKEN             bot token → `token` (required to enable the channel)
//   DISCORD_API_URL           REST base without version → `apiUrl` (only for a local fake, e.g. http://127.0.0.1:PORT/api)
//   DISCORD_GUILD_CHANNEL_ID  guild text channel the operator may also use → `guildChannelId` (DMs always work)
//   DISCORD_OPERATOR_IDS      comma-separated Discord user ids (snowflakes) that are the operator, like TELEGRAM_OPERATOR_IDS:
//                             seed each as an identity { channel: 'discord', externalId: <id>, via: 'config' }; the
//                             adapter does not read it (who may command the bot is the core's decision).
// The bot needs the Message Content privileged intent enabled in the Developer Portal, and the `bot` +
// `applications.commands` scopes when invited to the guild.

export { DiscordChannel, DiscordChannelError } from './discord-channel.ts';
