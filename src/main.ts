// Composition root: config → logger → store → conductor → channels. Nothing else wires parts together.

import { readFileSync } from 'node:fs';
import { WebChannel, WEB_CHANNEL, WEB_OPERATOR } from '../adapters/channels/web/web-channel.ts';
import { maskUri, type Config } from './config.ts';
import { Conductor } from './conductor/conductor.ts';
import { registerBuiltins } from './conductor/builtin-commands.ts';
import { Registry } from './conductor/registry.ts';
import { newEvent } from './domain/events.ts';
import type { Services } from './inbound/context.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import type { Channel } from './ports/channel.ts';
import type { Store } from './ports/store.ts';
import { SqliteStore } from './stores/sqlite/index.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface SoloApp {
  config: Config;
  store: Store;
  logger: Logger;
  web: WebChannel;
  /** Base URL of the web chat. */
  url: string;
  stop(reason?: string): Promise<void>;
}

async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.MONGODB_URI) {
    // Imported only when used: the embedded default never loads the MongoDB driver.
    const { MongoStore } = await import('./stores/mongo/index.ts');
    const store = new MongoStore(config.MONGODB_URI, { logger: logger.child({ component: 'mongo' }) });
    await store.init();
    return store;
  }
  const store = new SqliteStore(config.DATA_DIR, { synchronous: config.SQLITE_SYNCHRONOUS });
  await store.init();
  return store;
}

/** Starts Solo OS from a parsed configuration. Tests call this in-process; `bin/solo.js` calls `main()`. */
export async function startSolo(config: Config, options: { logger?: Logger } = {}): Promise<SoloApp> {
  const logger = options.logger ?? (await createLogger(config));
  const store = await openStore(config, logger);
  const startedAt = new Date();
  const channels: Channel[] = [];
  const services: Services = { store, logger, config, startedAt, version: VERSION, channels: () => channels };

  // The web chat speaks for the operator: it is reachable only on loopback or with WEB_TOKEN.
  await store.identities.upsert({ channel: WEB_CHANNEL, externalId: WEB_OPERATOR, label: 'local web chat', linkedAt: startedAt, via: 'local' });

  const conductor = new Conductor(services, registerBuiltins(new Registry()));
  const web = new WebChannel({ host: config.HOST, port: config.PORT, token: config.WEB_TOKEN, events: store.events, logger });
  try {
    await web.start(conductor);
  } catch (err) {
    await store.close();
    throw err;
  }
  channels.push(web);

  const storeDescription = store.kind === 'mongodb' ? `mongodb (${maskUri(store.location)})` : `sqlite (${store.location})`;
  await store.events.append(newEvent('system.started', 'system', { version: VERSION, store: storeDescription, channels: channels.map((c) => c.name) }));
  logger.info({ url: web.url, store: storeDescription }, `Solo OS ready: open ${web.url}`);

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stopped') =>
    (stopping ??= (async () => {
      for (const channel of channels.reverse()) await channel.stop().catch((err: unknown) => logger.warn({ err }, 'a channel did not stop cleanly'));
      await store.events.append(newEvent('system.stopped', 'system', { reason })).catch(() => undefined);
      await store.close();
      logger.info({ reason }, 'Solo OS stopped');
    })());

  return { config, store, logger, web, url: web.url, stop };
}
