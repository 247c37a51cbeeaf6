// Composition root: config → logger → store → conductor → channels. Nothing else wires parts together.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { WebChannel, WEB_CHANNEL, WEB_OPERATOR } from '../adapters/channels/web/web-channel.ts';
import { maskUri, type Config } from './config.ts';
import { Conductor, sendMessage } from './conductor/conductor.ts';
import { registerRunCommands } from './commands/runs.ts';
import { deliverFirst } from './delivery/proactive.ts';
import { PREFERRED_KEY, proactiveTargets, registerIdentityCommands } from './commands/identity.ts';
import type { RunOrigin } from './ports/engine-store.ts';
import type { OutboundMessage, SentMessage } from './domain/messages.ts';
import { Engine } from './engine/engine.ts';
import { startTimers } from './scheduling/timers.ts';
import type { AnyWorkflow, WorkflowDefinition } from './engine/workflow.ts';
import { invoiceWorkflow } from './workflows/invoice.ts';
import { registerBuiltins } from './commands/builtin.ts';
import { Registry } from './commands/registry.ts';
import { newEvent } from './domain/events.ts';
import type { Services } from './inbound/context.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { platformChannels, syncOperatorIdentities } from './compose/channels.ts';
import { ensurePortFree } from './compose/port.ts';
import { SupervisedChannel } from './compose/supervised-channel.ts';
import type { Channel, InboundHandler } from './ports/channel.ts';
import type { Store } from './ports/store.ts';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { resolve } from 'node:path';
import { llmConfigured } from './config.ts';
import { AgentCatalog } from './agents/catalog.ts';
import type { AgentDeps } from './agents/runner.ts';
import { registerAgentCommands } from './commands/agents.ts';
import { registerFreeText } from './commands/free-text.ts';
import { registerMemoryCommands } from './commands/memory.ts';
import { llmEvent } from './llm/events.ts';
import type { Llm } from './ports/llm.ts';
import { DEFAULT_PRICES, mergePrices } from './llm/prices.ts';
import { createEmbedder } from '../adapters/embedding/transformers/embedder.ts';
import { MemoryService } from './memory/memory.ts';
import { BudgetLedger } from './policy/budgets.ts';
import { policyGate } from './policy/gate.ts';
import { PolicyService } from './policy/loader.ts';
import { RateLimits } from './policy/rate-limits.ts';
import { QuietHours } from './delivery/quiet.ts';
import { draftWorkflow } from './workflows/draft.ts';
import { NonRetriableError } from './engine/workflow.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const WEB_TARGET = { channel: WEB_CHANNEL, chatId: WEB_OPERATOR };

export interface SoloApp {
  config: Config;
  store: Store;
  engine: Engine;
  memory: MemoryService;
  policies: PolicyService;
  /** The agents and their prompt versions (watched on disk once loaded). */
  catalog: () => Promise<AgentCatalog>;
  /** What agent calls need; present when a model is configured. */
  agents?: () => AgentDeps;
  logger: Logger;
  web: WebChannel;
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

async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.MONGODB_URI) {
    // Imported only when used: the embedded default never loads the MongoDB driver.
    const { MongoStore } = await import('../adapters/stores/mongo/index.ts');
    const store = new MongoStore(config.MONGODB_URI, { logger: logger.child({ component: 'mongo' }) });
    await store.init();
    return store;
  }
  const store = new SqliteStore(config.DATA_DIR, { synchronous: config.SQLITE_SYNCHRONOUS, logger: logger.child({ component: 'sqlite' }) });
  await store.init();
  return store;
}

/** Starts Solo OS from a parsed configuration. Tests call this in-process; `bin/solo.js` calls `main()`. */
export interface StartOptions {
  logger?: Logger;
  /** Extra workflows (tests, plug-ins). */
  workflows?: AnyWorkflow[];
  /** Extra commands and actions. */
  extend?: (registry: Registry) => Registry;
}

export async function startSolo(config: Config, options: StartOptions = {}): Promise<SoloApp> {
  const logger = options.logger ?? (await createLogger(config));
  // Before anything is created on disk: a busy port ends the start with one sentence and leaves nothing behind.
  await ensurePortFree(config.HOST, config.PORT);
  const store = await openStore(config, logger);
  // /import reads only from here; made at start so the operator can see where to put files.
  await mkdir(config.IMPORT_DIR, { recursive: true }).catch((err: unknown) => logger.warn({ err, dir: config.IMPORT_DIR }, 'could not create the import folder'));
  const startedAt = new Date();
  const channels: Channel[] = [];
  // Policy notices reach the operator once the channels are up (a bad file at start is reported then too).
  const notices: string[] = [];
  const sink: { deliver?: (text: string) => Promise<void> } = {};
  const notice = (text: string): void => {
    if (sink.deliver) void sink.deliver(text).catch((err: unknown) => logger.warn({ err }, 'could not deliver a notice'));
    else notices.push(text);
  };
  const policies = new PolicyService({
    dir: resolve(config.POLICIES_DIR),
    events: store.events,
    onRejected: (r) => notice(`A policy change was not applied: ${r.error}`),
  });
  const engine = new Engine({
    store,
    logger,
    approvalExpiryHours: config.APPROVAL_EXPIRY_HOURS,
    policy: policyGate(policies, store.events, notice),
    delivery: {
      // A run's messages go to the chat that started it; when that fails, to the preferred chat, then any other.
      toRun: async (origin, message, options) => deliverFirst(services, [origin, ...(await proactiveTargets(services))], WEB_TARGET, message, options?.dedupeKey),
      // New approval cards also go to the preferred chat when the run started elsewhere.
      copyCard: async (origin, card, dedupeKey) => {
        const preferred = await store.settings.get<RunOrigin | null>(PREFERRED_KEY);
        if (!preferred || (preferred.channel === origin.channel && preferred.chatId === origin.chatId)) return [];
        const channel = channels.find((c) => c.name === preferred.channel);
        return channel ? [await sendMessage(services, channel, preferred.chatId, card, { dedupeKey: `${dedupeKey}@preferred` })] : [];
      },
      // A decision anywhere updates every copy of the card on platforms that can edit messages.
      cardDecided: async (approval, text) => {
        for (const ref of approval.deliveries ?? []) {
          const channel = channels.find((c) => c.name === ref.channel);
          await channel?.edit?.(ref, { id: ref.messageId, text: text.text, buttons: [] }).catch((err: unknown) => logger.warn({ err, ref }, 'could not update a card'));
        }
      },
    },
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
  const memory = new MemoryService({ store, logger, ...(embedder ? { embedder } : {}) });
  const policyLoad = await policies.load();
  const rateLimits = new RateLimits(policyLoad.policy);
  policies.on('loaded', (loaded) => rateLimits.update(loaded.policy));
  policies.watch();
  const budgets = new BudgetLedger({ events: store.events, policy: policies });
  await budgets.init();

  // Agents are loaded at start with a model, and on the first /agents or /promote without one (they call none):
  // loading costs ~80 ms of CPU that a start without a model does not need. A failed load is tried again next time.
  let catalogLoad: Promise<AgentCatalog> | undefined;
  let loadedCatalog: AgentCatalog | undefined;
  const catalog = (): Promise<AgentCatalog> =>
    (catalogLoad ??= AgentCatalog.load(resolve(config.AGENTS_DIR), resolve(config.PROMPTS_DIR), store).then(
      (loaded) => {
        loaded.watch();
        return (loadedCatalog = loaded);
      },
      (err: unknown) => {
        catalogLoad = undefined;
        throw err;
      },
    ));
  let llm: Llm | undefined;
  let agentDeps: AgentDeps | undefined;
  if (llmConfigured(config)) {
    // Imported only when a model is configured: the openai client costs ~0.3 s and ~30 MB at start.
    const { createOpenAiLlm } = await import('../adapters/llm/openai/openai.ts');
    llm = createOpenAiLlm({
      baseURL: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY,
      model: config.OPENAI_MODEL!,
      fallbackModel: config.OPENAI_FALLBACK_MODEL,
      timeoutMs: config.OPENAI_TIMEOUT_MS,
      maxRetries: config.OPENAI_MAX_RETRIES,
      prices: mergePrices(DEFAULT_PRICES, config.LLM_PRICES),
      logger: logger.child({ component: 'llm' }),
      onCall: async (record) => void (await store.events.append(llmEvent(record))),
    });
    agentDeps = { llm, memory, store, catalog: await catalog(), policies, budgets, rateLimits, logger: logger.child({ component: 'agents' }), notice };
  }
  const agents = agentDeps ? () => agentDeps : undefined;
  engine.register(invoiceWorkflow(store.ledger));
  engine.register(
    draftWorkflow(() => {
      if (!agentDeps) throw new NonRetriableError('No model is configured, so the draft agent cannot write; set OPENAI_MODEL and restart.');
      return agentDeps;
    }),
  );
  for (const workflow of options.workflows ?? []) engine.register(workflow as WorkflowDefinition<unknown, unknown>);
  const services: Services = {
    store, engine, logger, config, startedAt, version: VERSION, channels: () => channels, memory, policies, catalog,
    ...(llm ? { llm } : {}), ...(agents ? { agents } : {}),
  };

  // The web chat speaks for the operator: it is reachable only on loopback or with WEB_TOKEN.
  await store.identities.upsert({ channel: WEB_CHANNEL, externalId: WEB_OPERATOR, label: 'local web chat', linkedAt: startedAt, via: 'local' });

  const registry = registerAgentCommands(registerMemoryCommands(registerIdentityCommands(registerRunCommands(registerBuiltins(new Registry())))));
  const extended = options.extend ? options.extend(registry) : registry;
  // Free text goes to the router last: every other text handler (why?, Edit replies) sees it first.
  const conductor = new Conductor(services, registerFreeText(extended));
  const web = new WebChannel({ host: config.HOST, port: config.PORT, token: config.WEB_TOKEN, events: store.events, logger });
  try {
    await web.start(conductor);
    channels.push(web);
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
    loadedCatalog?.close();
    await embedder?.close();
    await store.close();
    throw err;
  }
  // The recall index is rebuilt in the background: recall uses the store's keyword search until it is ready.
  void memory.start();

  const storeDescription = store.kind === 'mongodb' ? `mongodb (${maskUri(store.location)})` : `sqlite (${store.location})`;
  await store.events.append(newEvent('system.started', 'system', { version: VERSION, store: storeDescription, channels: channels.map((c) => c.name) }));
  // Runs cut short by the last stop continue in the background; the chat is usable meanwhile.
  const recovered = await engine.recover();
  const timers = startTimers(engine.timers(), logger);
  // With a token, the page is opened once as <url>/#token=<token> (the browser keeps it). The token itself is shown
  // only on an interactive terminal, never in a log that may be collected.
  const token = config.WEB_TOKEN ? (process.stdout.isTTY ? encodeURIComponent(config.WEB_TOKEN) : '<WEB_TOKEN>') : undefined;
  const open = token ? `${web.url}/#token=${token}` : web.url;
  logger.info({ url: web.url, store: storeDescription, ...recovered }, `Solo OS ready: open ${open}`);

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
      timers.stop();
      quiet.stop();
      await policies.close();
      loadedCatalog?.close();
      // The platforms at once (each waits for its platform a bounded time, so a slow one holds up no other), then the
      // web chat, whose server also carries the platforms' webhooks.
      const stopChannel = (channel: Channel) => part(`the ${channel.name} channel`, () => channel.stop().catch((err: unknown) => logger.warn({ err }, 'a channel did not stop cleanly')));
      await Promise.all(channels.filter((c) => c !== web).map(stopChannel));
      await stopChannel(web);
      await part('workflow runs in progress', () => Promise.race([engine.idle(), new Promise((r) => setTimeout(r, RUNS_STOP_WAIT_MS).unref())]));
      await part('the memory index', () => memory.close());
      if (embedder) await part('the embedding worker', () => embedder.close());
      await part('the store', async () => {
        await store.events.append(newEvent('system.stopped', 'system', { reason })).catch(() => undefined);
        await store.close();
      });
      logger.info({ reason }, 'Solo OS stopped');
    })());

  const deliver = async (message: OutboundMessage) => deliverFirst(services, await proactiveTargets(services), WEB_TARGET, message);
  const quiet = new QuietHours(store, policies, deliver, logger);
  const notify = (message: OutboundMessage) => quiet.send(message);
  await quiet.start();
  // Operator notices (policy files, violations) are not held by quiet hours: they say something was stopped.
  sink.deliver = async (text) => void (await deliver({ text }));
  for (const text of notices.splice(0)) notice(text);
  return { config, store, engine, memory, policies, catalog, ...(agents ? { agents } : {}), logger, web, conductor, url: web.url, notify, stop, stillStopping: () => [...pending] };
}
