// Composition root: config → logger → store → engine → delivery → conductor → channels. Nothing else wires parts
// together; the pieces it calls (src/compose/) each build one part from the settings.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WebChannel, WEB_CHANNEL, WEB_OPERATOR } from '../adapters/channels/web/web-channel.ts';
import { createEmbedder } from '../adapters/embedding/transformers/embedder.ts';
import type { AgentCatalog } from './agents/catalog.ts';
import type { AgentDeps } from './agents/runner.ts';
import type { Registry } from './commands/registry.ts';
import { composeAgents } from './compose/agents.ts';
import { platformChannels, syncOperatorIdentities } from './compose/channels.ts';
import { composeCommands } from './compose/commands.ts';
import { composeScheduling, type SchedulingPart } from './compose/scheduler.ts';
import { composeConnectors, type ConnectorsPart } from './compose/connectors.ts';
import { composeConsultant, type ConsultantPart } from './compose/consultant.ts';
import { composeContent } from './compose/content.ts';
import { composeDashboard, type DashboardParts } from './compose/dashboard.ts';
import { claimInstance } from './compose/instance.ts';
import { ensurePortFree } from './compose/port.ts';
import { checkRestOfStore, openStore } from './compose/store.ts';
import { SupervisedChannel } from './compose/supervised-channel.ts';
import { Conductor } from './conductor/conductor.ts';
import { maskUri, type Config } from './config.ts';
import { Delivery } from './delivery/delivery.ts';
import { newEvent } from './domain/events.ts';
import type { OutboundMessage, SentMessage } from './domain/messages.ts';
import { Engine } from './engine/engine.ts';
import { NonRetriableError, type AnyWorkflow, type WorkflowDefinition } from './engine/workflow.ts';
import { Links } from './identity/links.ts';
import { MemoryService } from './memory/memory.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { BudgetLedger } from './policy/budgets.ts';
import { policyGate } from './policy/gate.ts';
import { PolicyService } from './policy/loader.ts';
import { RateLimits } from './policy/rate-limits.ts';
import type { Channel, InboundHandler } from './ports/channel.ts';
import type { Store } from './ports/store.ts';
import { bookingWorkflow } from './workflows/booking.ts';
import { draftWorkflow } from './workflows/draft.ts';
import { invoiceWorkflow } from './workflows/invoice.ts';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const WEB_TARGET = { channel: WEB_CHANNEL, chatId: WEB_OPERATOR };

export interface SoloApp {
  config: Config;
  store: Store;
  engine: Engine;
  memory: MemoryService;
  policies: PolicyService;
  delivery: Delivery;
  /** The agents and their prompt versions (watched on disk once loaded). */
  catalog: () => Promise<AgentCatalog>;
  /** What agent calls need; present when a model is configured. */
  agents?: () => AgentDeps;
  logger: Logger;
  web: WebChannel;
  /** Schedules, reminders, the digest and the built-in timers (the scheduler starts in the background). */
  scheduling: SchedulingPart;
  /** Mail, calendar and payments as configured, and what the app built on them. */
  connectors: ConnectorsPart;
  /** Where every channel hands its updates (tests hand it updates a platform could send). */
  conductor: InboundHandler;
  /** Base URL of the web chat. */
  url: string;
  /** A proactive message to the operator: preferred chat first, then the others, then the web chat; held during quiet hours. */
  notify(message: OutboundMessage): Promise<SentMessage>;
  /** Stops everything; each part is waited for a bounded time, so this resolves within about 4 s. */
  stop(reason?: string): Promise<void>;
  /** While stop() runs: the parts not stopped yet (for the last-resort exit to name them). */
  stillStopping(): string[];
}

/** How long stop() waits for runs in flight to reach a step boundary (they continue after a restart anyway). */
const RUNS_STOP_WAIT_MS = 1500;

/** Starts Solo OS from a parsed configuration. Tests call this in-process; `bin/solo.js` calls `main()`. */
export interface StartOptions {
  logger?: Logger;
  /** Extra workflows (tests, plug-ins). */
  workflows?: AnyWorkflow[];
  /** Extra commands and actions (tests, plug-ins); they get the parts they need by closure, like the built-in ones. */
  extend?: (registry: Registry, parts: { engine: Engine; store: Store; delivery: Delivery }) => Registry;
  /** Scheduled jobs and connector health for the dashboard and /metrics (tests; the scheduler and connectors). */
  watch?: Pick<DashboardParts, 'schedules' | 'connectors'>;
}

export async function startSolo(config: Config, options: StartOptions = {}): Promise<SoloApp> {
  const logger = options.logger ?? (await createLogger(config));
  // Before anything is created on disk: a busy port ends the start with one sentence and leaves nothing behind.
  await ensurePortFree(config.HOST, config.PORT);
  const store = await openStore(config, logger);
  // /import reads only from here; made at start so the operator can see where to put files.
  await mkdir(config.IMPORT_DIR, { recursive: true }).catch((err: unknown) =>
    logger.warn({ err, dir: config.IMPORT_DIR }, 'could not create the import folder'),
  );
  const startedAt = new Date();
  const channels: Channel[] = [];
  // A rejected policy file is reported through delivery, which reads quiet hours from the policies: each refers to
  // the other only inside callbacks that run once both exist.
  const policies: PolicyService = new PolicyService({
    dir: resolve(config.POLICIES_DIR),
    events: store.events,
    timeZone: config.TIMEZONE,
    onRejected: (r) => delivery.notice(`A policy change was not applied: ${r.error}`),
  });
  const delivery = new Delivery({
    events: store.events,
    settings: store.settings,
    channels: () => channels,
    policy: () => policies.current(),
    logger,
    fallback: WEB_TARGET,
  });
  const engine = new Engine({
    store,
    logger,
    approvalExpiryHours: config.APPROVAL_EXPIRY_HOURS,
    policy: policyGate(policies, store.events, (text) => delivery.notice(text)),
    delivery,
  });
  const embedder =
    config.EMBEDDING_MODEL === 'off'
      ? undefined
      : createEmbedder({
          model: config.EMBEDDING_MODEL,
          dtype: config.EMBEDDING_DTYPE,
          modelsDir: resolve(config.MODELS_DIR),
          allowDownload: config.EMBEDDING_DOWNLOAD === 'yes',
          logger: logger.child({ component: 'embedder' }),
        });
  const memory = new MemoryService({ store, logger, indexDir: config.DATA_DIR, ...(embedder ? { embedder } : {}) });
  const policyLoad = await policies.load();
  const rateLimits = new RateLimits(policyLoad.policy);
  policies.on('loaded', (loaded) => rateLimits.update(loaded.policy));
  policies.watch();
  const budgets = new BudgetLedger({ events: store.events, policy: policies });
  await budgets.init();
  const agents = await composeAgents(config, {
    store,
    memory,
    policies,
    budgets,
    rateLimits,
    logger,
    notice: (text) => delivery.notice(text),
  });

  // The content loop and the consultant's pipeline are made around the connectors: the inbox hands them audience
  // mail and leads, and they reach the connectors and the scheduler once those exist.
  const content = composeContent({
    config,
    store,
    memory,
    agents,
    connectors: () => connectors,
    scheduling: () => scheduling,
    logger,
  });
  // eslint-disable-next-line prefer-const
  let consultant: ConsultantPart | undefined;
  const connectors = await composeConnectors(config, {
    store,
    memory,
    engine,
    delivery,
    rateLimits,
    logger,
    onMail: (m, t) => content.onMail(m, t),
    onLead: async (mail) => consultant?.onLead(mail),
  });
  engine.register(invoiceWorkflow(connectors.invoices));
  engine.register(bookingWorkflow(connectors.booking));
  engine.register(
    draftWorkflow(
      () => {
        const deps = agents.agents();
        if (!deps)
          throw new NonRetriableError(
            'No model is configured, so the draft agent cannot write; set OPENAI_MODEL and restart.',
          );
        return deps;
      },
      () => connectors.mail,
    ),
  );
  const scheduling = composeScheduling({ config, store, engine, delivery, memory, agents, logger });
  consultant = await composeConsultant({
    config,
    store,
    engine,
    memory,
    agents,
    connectors,
    scheduling,
    logger,
    notice: (text) => delivery.notice(text),
  });
  for (const workflow of [
    ...scheduling.workflows,
    ...content.workflows,
    ...consultant.workflows,
    ...(options.workflows ?? []),
  ])
    engine.register(workflow as WorkflowDefinition<unknown, unknown>);

  // The web chat speaks for the operator: it is reachable only on loopback or with WEB_TOKEN.
  await store.identities.upsert({
    channel: WEB_CHANNEL,
    externalId: WEB_OPERATOR,
    label: 'local web chat',
    linkedAt: startedAt,
    via: 'local',
  });

  const links = new Links({ settings: store.settings, identities: store.identities, events: store.events, logger });
  const registry = composeCommands(
    {
      config,
      store,
      engine,
      memory,
      policies,
      delivery,
      links,
      agents,
      scheduling,
      connectors,
      status: { version: VERSION, startedAt, channels: () => channels, extra: [connectors.status] },
      pipeline: consultant.commands,
    },
    options.extend ? (r) => options.extend!(r, { engine, store, delivery }) : undefined,
  );
  const conductor = new Conductor({
    registry,
    delivery,
    events: store.events,
    identities: store.identities,
    links,
    logger,
    ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
    channels: () => channels,
  });
  const web = new WebChannel({
    host: config.HOST,
    port: config.PORT,
    token: config.WEB_TOKEN,
    events: store.events,
    logger,
  });
  const dashboard = await composeDashboard({
    config,
    store,
    engine,
    memory,
    policies,
    delivery,
    web,
    logger,
    version: VERSION,
    schedules: () => scheduling.jobs(),
    connectors: () => connectors.health(),
    ...options.watch,
  });
  try {
    await web.start(conductor);
    channels.push(web);
    connectors.mount(web);
    // Each platform connects in the background, retrying with backoff: one that cannot be reached holds up
    // neither start-up nor the others, and /status and /healthz show where each stands.
    for (const { channel, label, operatorIds } of await platformChannels(config, logger, web)) {
      await syncOperatorIdentities(store, channel.name, operatorIds, startedAt);
      const supervised = new SupervisedChannel(channel, { label, logger });
      channels.push(supervised);
      await supervised.start(conductor);
    }
  } catch (err) {
    await Promise.all(channels.map((channel) => channel.stop().catch(() => undefined)));
    await policies.close();
    agents.close();
    consultant.close();
    await connectors.stop();
    await embedder?.close();
    await store.close();
    throw err;
  }
  const storeDescription =
    store.kind === 'mongodb' ? `mongodb (${maskUri(store.location)})` : `sqlite (${store.location})`;
  await store.events.append(
    newEvent('system.started', 'system', {
      version: VERSION,
      store: storeDescription,
      channels: channels.map((c) => c.name),
    }),
  );
  // Tells `solo restore` and `solo migrate` that this process has the store open.
  const releaseInstance = await claimInstance(config.DATA_DIR, web.url);
  // Runs cut short by the last stop continue in the background; the chat is usable meanwhile.
  const recovered = await engine.recover();
  // Timers, schedules and the digest: Agenda and the date libraries load after the chat is up.
  scheduling.start();
  connectors.start();
  // With a token, the page is opened once as <url>/#token=<token> (the browser keeps it). The token itself is shown
  // only on an interactive terminal, never in a log that may be collected.
  const token = config.WEB_TOKEN
    ? process.stdout.isTTY
      ? encodeURIComponent(config.WEB_TOKEN)
      : '<WEB_TOKEN>'
    : undefined;
  const open = token ? `${web.url}/#token=${token}` : web.url;
  logger.info({ url: web.url, store: storeDescription, ...recovered }, `Solo OS ready: open ${open}`);
  // The recall index is rebuilt in the background, once ready (with a long history it takes seconds): recall uses
  // the store's keyword search until it is built.
  void memory.start();
  checkRestOfStore(store, logger, (text) => delivery.notice(text));

  let stopping: Promise<void> | undefined;
  const pending = new Set<string>();
  /** Runs one part of the stop, named in stillStopping() until it is done. */
  const part = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    pending.add(name);
    try {
      return await work();
    } finally {
      pending.delete(name);
    }
  };
  const stop = (reason = 'stopped') =>
    (stopping ??= (async () => {
      await part('the scheduler', () => scheduling.stop());
      await delivery.stop();
      await policies.close();
      agents.close();
      consultant?.close();
      // The platforms at once (each waits for its platform a bounded time, so a slow one holds up no other), then the
      // web chat, whose server also carries the platforms' webhooks.
      const stopChannel = (channel: Channel) =>
        part(`the ${channel.name} channel`, () =>
          channel.stop().catch((err: unknown) => logger.warn({ err }, 'a channel did not stop cleanly')),
        );
      await Promise.all(channels.filter((c) => c !== web).map(stopChannel));
      await stopChannel(web);
      await part('workflow runs in progress', () =>
        Promise.race([engine.idle(), new Promise((r) => setTimeout(r, RUNS_STOP_WAIT_MS).unref())]),
      );
      await part('the connectors', () => connectors.stop());
      await part('the trace export', () => dashboard.stop());
      await part('the memory index', () => memory.close());
      if (embedder) await part('the embedding worker', () => embedder.close());
      await part('the store', async () => {
        await store.events.append(newEvent('system.stopped', 'system', { reason })).catch(() => undefined);
        await store.close();
      });
      await releaseInstance().catch(() => undefined);
      logger.info({ reason }, 'Solo OS stopped');
    })());

  // Held messages whose quiet hours ended while stopped go out now; notices queued during start-up follow.
  await delivery.start();
  const agentDeps = agents.agents;
  return {
    config,
    store,
    engine,
    memory,
    policies,
    delivery,
    catalog: agents.catalog,
    ...(agentDeps() ? { agents: () => agentDeps()! } : {}),
    scheduling,
    logger,
    web,
    connectors,
    conductor,
    url: web.url,
    notify: (message: OutboundMessage) => delivery.notify(message),
    stop,
    stillStopping: () => [...pending],
  };
}
