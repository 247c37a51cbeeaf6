// Builds the chat platform channels the configuration asks for. Each SDK is imported only when its channel is
// configured, so an unused platform costs no start-up time or memory.

import type { WebChannel } from '../../adapters/channels/web/web-channel.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Channel } from '../ports/channel.ts';
import type { Store } from '../ports/store.ts';

const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

export interface PlatformChannel {
  channel: Channel;
  /** The platform's name in sentences, e.g. "Telegram". */
  label: string;
  /** Platform user ids that are the operator (the allow-list). */
  operatorIds: string[];
}

export async function platformChannels(config: Config, logger: Logger, web: WebChannel): Promise<PlatformChannel[]> {
  const result: PlatformChannel[] = [];
  if (config.TELEGRAM_BOT_TOKEN) {
    const { TelegramChannel } = await import('../../adapters/channels/telegram/index.ts');
    const webhook =
      config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
        ? { path: TELEGRAM_WEBHOOK_PATH, secretToken: config.TELEGRAM_WEBHOOK_SECRET, url: config.TELEGRAM_WEBHOOK_URL }
        : undefined;
    const channel = new TelegramChannel({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      logger,
      webhook,
    });
    if (webhook) web.mount(webhook.path, channel.webhookCallback());
    result.push({ channel, label: 'Telegram', operatorIds: config.TELEGRAM_OPERATOR_IDS ?? [] });
  }
  if (config.SLACK_BOT_TOKEN) {
    const { SlackChannel, DEFAULT_EVENTS_PATH } = await import('../../adapters/channels/slack/index.ts');
    const channel = new SlackChannel({
      botToken: config.SLACK_BOT_TOKEN,
      appToken: config.SLACK_APP_TOKEN,
      signingSecret: config.SLACK_SIGNING_SECRET,
      apiUrl: config.SLACK_API_URL,
      command: config.SLACK_COMMAND,
      logger,
    });
    // HTTP mode: Slack's requests arrive on the web chat's server; each one is signature-checked by the adapter.
    if (!config.SLACK_APP_TOKEN) web.mount(DEFAULT_EVENTS_PATH, channel.eventsCallback());
    result.push({ channel, label: 'Slack', operatorIds: config.SLACK_OPERATOR_IDS ?? [] });
  }
  if (config.DISCORD_TOKEN) {
    const { DiscordChannel } = await import('../../adapters/channels/discord/index.ts');
    const channel = new DiscordChannel({
      token: config.DISCORD_TOKEN,
      apiUrl: config.DISCORD_API_URL,
      guildChannelId: config.DISCORD_GUILD_CHANNEL_ID,
      logger,
    });
    result.push({ channel, label: 'Discord', operatorIds: config.DISCORD_OPERATOR_IDS ?? [] });
  }
  return result;
}

/**
 * Makes the allow-list the truth for identities that came from configuration: listed ids are trusted, and
 * a config identity no longer listed stops being trusted. Identities linked by other means stay.
 */
export async function syncOperatorIdentities(store: Store, channel: string, ids: string[], now: Date): Promise<void> {
  for (const id of ids)
    await store.identities.upsert({
      channel,
      externalId: id,
      label: `${channel} operator`,
      linkedAt: now,
      via: 'config',
    });
  for (const identity of await store.identities.list()) {
    if (identity.channel === channel && identity.via === 'config' && !ids.includes(identity.externalId))
      await store.identities.remove(channel, identity.externalId);
  }
}
