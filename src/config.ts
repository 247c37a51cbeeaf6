// One zod schema for the whole environment. With nothing set, Solo OS runs locally on the embedded store.
// A bad value stops the start with one line per problem, naming the variable and what it expects.

import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './domain/errors.ts';

/** Empty strings (a blank line in .env) count as unset. */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, value: z.input<T>) =>
  z.preprocess((v) => (v === '' || v === undefined ? value : v), schema);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

const PORT_EXPECTED = 'expected a port number from 1 to 65535 (or 0 for any free port)';
const port = z.coerce
  .number({ error: PORT_EXPECTED })
  .int({ error: PORT_EXPECTED })
  .min(0, { error: PORT_EXPECTED })
  .max(65535, { error: PORT_EXPECTED });

const HOURS_EXPECTED = 'expected a number of hours above 0 and at most 8760 (a year), e.g. 72 or 0.5';

const count = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(0, { error: `expected ${what}` });

/** Every setting, with what it is for: printed by `--help` and mirrored in the README's table. */
export const SETTINGS = {
  PORT: 'Port of the local web chat and its JSON API (default 3000; 0 picks a free port).',
  HOST: 'Address the web chat binds to (default 127.0.0.1). Anything but loopback needs WEB_TOKEN.',
  WEB_TOKEN: 'Bearer token for the web chat and API (at least 16 characters). Required off loopback.',
  DATA_DIR: 'Folder of the embedded store (default ./data).',
  IMPORT_DIR:
    'The only folder /import reads from (default <DATA_DIR>/import, created at start); links out of it are refused.',
  APPROVAL_EXPIRY_HOURS:
    'Hours an approval card stays valid before it expires and nothing is done (default 72; fractions allowed).',
  SQLITE_SYNCHRONOUS: 'normal (default: survives a killed process) or full (also survives power loss, slower writes).',
  MONGODB_URI: 'Use MongoDB instead of the embedded store, e.g. mongodb://localhost:27017/solo.',
  LOG_LEVEL: 'fatal, error, warn, info (default), debug, trace or silent.',
  LOG_FORMAT: 'auto (default: pretty in a terminal, JSON otherwise), json or pretty.',
  RATE_LIMIT_PER_MINUTE: 'Messages a sender may send per minute before being asked to slow down (default 60; 0 = off).',
  OPENAI_BASE_URL: 'OpenAI-compatible endpoint for free-text chat (OpenAI, Ollama, vLLM, LM Studio, llama.cpp).',
  OPENAI_API_KEY: 'API key for that endpoint (never logged).',
  OPENAI_MODEL: 'Model name to use at that endpoint, e.g. gpt-4o-mini or llama3.1.',
  OPENAI_FALLBACK_MODEL: 'A second model tried when the first keeps failing (optional).',
  OPENAI_TIMEOUT_MS: 'How long one model call may take before it is retried (default 60000).',
  OPENAI_MAX_RETRIES: 'Retries of a model call on 429, 5xx and timeouts, honouring Retry-After (default 2).',
  LLM_PRICES:
    'Price table, USD per million tokens: model=input/output pairs, e.g. gpt-4o-mini=0.15/0.6,llama3.1=0/0 (adds to or overrides the built-in table of common OpenAI models; unknown models count as $0).',
  POLICIES_DIR:
    'Folder of policy files (*.yaml: approvals, limits, redaction, budgets, quiet hours; default ./policies).',
  AGENTS_DIR: 'Folder of agent definitions (default ./agents); prompts live in PROMPTS_DIR (default ./prompts).',
  PROMPTS_DIR: 'Folder of versioned agent prompts, prompts/<agent>/<version>.md (default ./prompts).',
  PACKAGES_DIR:
    'Folder of the packages you sell, one <name>.yaml each: name, scope, price, duration, template (default ./packages).',
  TEMPLATES_DIR:
    'Folder of proposal templates, <name>.md with {{client}}, {{scope}}, {{price}}… (default ./templates).',
  MODELS_DIR: 'Where embedding models are kept (default ./models); `npm run models` downloads the default one.',
  EMBEDDING_MODEL:
    'Sentence-embedding model for memory (default Xenova/all-MiniLM-L6-v2; "off" = keyword recall only).',
  EMBEDDING_DTYPE: 'Weights variant of that model: q8 (default), fp32, fp16, q4.',
  EMBEDDING_DOWNLOAD:
    'yes (default) fetches a missing model on first use with progress in the log; no keeps fully offline.',
  TELEGRAM_BOT_TOKEN: 'Bot token from @BotFather; the Telegram channel starts when it is set (never logged).',
  TELEGRAM_API_ROOT: 'Bot API server root (default https://api.telegram.org; a self-hosted Bot API server).',
  TELEGRAM_OPERATOR_IDS: 'Comma-separated numeric Telegram user ids that are you (required with the token).',
  TELEGRAM_WEBHOOK_URL:
    'Public https URL that forwards to /telegram/webhook here; set it to use a webhook instead of long polling.',
  TELEGRAM_WEBHOOK_SECRET:
    'Secret Telegram sends with every webhook call (1-256 of A-Z a-z 0-9 _ -); required with the webhook URL.',
  SLACK_BOT_TOKEN: 'Bot token (xoxb-…); the Slack channel starts when it is set (never logged).',
  SLACK_APP_TOKEN:
    'App-level token (xapp-…) for Socket Mode, the default: nothing needs to be reachable from the internet.',
  SLACK_SIGNING_SECRET: 'Signing secret for HTTP mode (without an app token): Slack posts to /slack/events here.',
  SLACK_API_URL: 'Slack Web API base with a trailing slash (only for a proxy or a local fake).',
  SLACK_OPERATOR_IDS: 'Comma-separated Slack member ids (U…) that are you (required with the token).',
  SLACK_COMMAND: 'The slash command configured in the Slack app (default /solo).',
  DISCORD_TOKEN:
    'Bot token from the Discord Developer Portal; the Discord channel starts when it is set (never logged).',
  DISCORD_API_URL: 'Discord REST base without version (only to point at a local fake or proxy).',
  DISCORD_OPERATOR_IDS: 'Comma-separated Discord user ids that are you (required with the token).',
  DISCORD_GUILD_CHANNEL_ID: 'A server text channel where you may also talk to the bot (DMs always work).',
  STRIPE_SECRET_KEY:
    'Stripe secret key (sk_test_… or sk_live_…, or a restricted rk_ key); approved invoices are issued in Stripe when it is set (never logged).',
  STRIPE_API_URL: 'Stripe API base (default https://api.stripe.com; http only on loopback, for a local fake).',
  STRIPE_WEBHOOK_SECRET: 'Signing secret (whsec_…) of the Stripe webhook endpoint that points at /stripe/webhook here.',
  CALDAV_URL:
    'CalDAV calendar URL, or the server root to discover calendars from (Fastmail, iCloud, Nextcloud, Radicale, …); the calendar connector starts when it is set.',
  CALDAV_USERNAME: 'CalDAV account name (required with CALDAV_URL).',
  CALDAV_PASSWORD: 'CalDAV password or app password (required with CALDAV_URL; never logged).',
  CALDAV_CALENDAR: 'Display name or path of the calendar to use when the account has several (optional).',
  SMTP_URL:
    'Outgoing mail server, e.g. smtps://user:password@mail.example.com:465 (smtp://…:587 uses STARTTLS); the mail connector starts when SMTP_URL, IMAP_URL and MAIL_FROM are set (never logged).',
  IMAP_URL:
    'Mailbox that reads new mail and keeps sent copies, e.g. imaps://user:password@mail.example.com:993 (never logged).',
  MAIL_FROM:
    'Sender of outgoing mail, e.g. "Jane Doe <jane@example.com>"; it must be delivered to the IMAP_URL mailbox.',
  MAIL_SENT_FOLDER: 'IMAP folder for sent copies (default: the folder the server marks as Sent, else "Sent").',
  MAIL_POLL_SECONDS: 'How often the inbox is checked for new mail, in seconds (default 60).',
  MAIL_ALLOW_SELF_SIGNED: 'yes accepts self-signed TLS certificates from the mail servers (default no).',
  TIMEZONE:
    "Your time zone, an IANA name such as Europe/Berlin (default: this computer's). Schedules, reminders, the daily digest, quiet hours and budget days use it.",
  DIGEST_TIME: 'When the daily digest is sent, HH:MM in TIMEZONE (default 08:00); off = no daily digest.',
  DIGEST_WHEN_EMPTY: 'skip (default): a digest with nothing to say is not sent; send: it is sent anyway.',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    'OpenTelemetry collector base URL, e.g. http://127.0.0.1:4318: every finished run is sent as a trace (OTLP/HTTP JSON to <url>/v1/traces). Unset: no tracing code is loaded.',
  OTEL_EXPORTER_OTLP_HEADERS:
    'Headers for the collector, key=value pairs separated by commas (e.g. authorization=Bearer%20abc); never logged.',
  OTEL_SERVICE_NAME: 'service.name of the traces (default solo-os).',
} as const;

/** A mail server URL: smtp(s):// or imap(s)://, host required; user and password percent-encoded. */
const mailUrl = (scheme: 'smtp' | 'imap', example: string) =>
  z.string().refine(
    (v) => {
      try {
        const url = new URL(v);
        return (url.protocol === `${scheme}:` || url.protocol === `${scheme}s:`) && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: `expected a URL such as ${example} (percent-encode @ : / in the user and password)` },
  );

const MAIL_FROM = /^\s*(?:"?([^"<>]*?)"?\s*<([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>|([^<>\s@"]+@[^<>\s@]+\.[^<>\s@]+))\s*$/;

/** `Jane Doe <jane@example.com>` or `jane@example.com` → its parts. */
function parseMailFrom(value: string): { name?: string; address: string; domain: string } {
  const m = MAIL_FROM.exec(value) ?? [];
  const address = (m[2] ?? m[3] ?? '').toLowerCase();
  const name = m[1]?.trim();
  return { ...(name ? { name } : {}), address, domain: address.slice(address.lastIndexOf('@') + 1) };
}

/** The zone's canonical IANA name ("europe/berlin" → "Europe/Berlin"), or undefined when Intl does not know it. */
function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][\w+-]*(\/[\w+-]+)*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** This machine's time zone (what TIMEZONE defaults to). */
const machineTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
/** Percent-decoded, or as written when it is not valid percent-encoding. */
const decodeOr = (v: string): string => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

const idList = (what: string) =>
  z
    .string()
    .regex(/^\s*[\w.@-]+(\s*,\s*[\w.@-]+)*\s*$/, { error: `expected a comma-separated list of ${what}` })
    .transform((v) => v.split(',').map((x) => x.trim()));

const schema = z
  .object({
    PORT: withDefault(port, 3000),
    HOST: withDefault(z.string().min(1), '127.0.0.1'),
    WEB_TOKEN: opt(
      z
        .string()
        .regex(/^\S*$/, { error: 'expected a token without spaces (it travels in an Authorization header)' })
        .min(16, { error: 'expected a token of at least 16 characters' }),
    ),
    DATA_DIR: withDefault(z.string().min(1), './data'),
    IMPORT_DIR: opt(z.string().min(1)),
    APPROVAL_EXPIRY_HOURS: withDefault(
      z.coerce
        .number({ error: HOURS_EXPECTED })
        .refine((n) => Number.isFinite(n) && n > 0 && n <= 8760, { error: HOURS_EXPECTED }),
      72,
    ),
    SQLITE_SYNCHRONOUS: withDefault(z.enum(['normal', 'full'], { error: 'expected normal or full' }), 'normal'),
    MONGODB_URI: opt(
      z
        .string()
        .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: 'expected a URI starting with mongodb:// or mongodb+srv://' }),
    ),
    LOG_LEVEL: withDefault(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'expected one of fatal, error, warn, info, debug, trace, silent',
      }),
      'info',
    ),
    LOG_FORMAT: withDefault(z.enum(['auto', 'json', 'pretty'], { error: 'expected auto, json or pretty' }), 'auto'),
    RATE_LIMIT_PER_MINUTE: withDefault(count('a whole number of messages per minute, 0 to turn the limit off'), 60),
    OPENAI_BASE_URL: opt(
      z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://localhost:11434/v1' }),
    ),
    OPENAI_API_KEY: opt(z.string()),
    OPENAI_MODEL: opt(z.string().min(1)),
    OPENAI_FALLBACK_MODEL: opt(z.string().min(1)),
    OPENAI_TIMEOUT_MS: withDefault(
      count('a whole number of milliseconds').refine((n) => n >= 100, { error: 'expected at least 100 milliseconds' }),
      60000,
    ),
    OPENAI_MAX_RETRIES: withDefault(
      count('a whole number of retries').refine((n) => n <= 10, { error: 'expected at most 10 retries' }),
      2,
    ),
    LLM_PRICES: opt(
      z
        .string()
        .regex(/^\s*[^=,\s]+=\d+(\.\d+)?\/\d+(\.\d+)?(\s*,\s*[^=,\s]+=\d+(\.\d+)?\/\d+(\.\d+)?)*\s*$/, {
          error: 'expected model=input/output prices per million tokens, e.g. gpt-4o-mini=0.15/0.6',
        })
        .transform((v) =>
          Object.fromEntries(
            v.split(',').map((pair) => {
              const [model, prices] = pair.trim().split('=') as [string, string];
              const [input, output] = prices.split('/').map(Number) as [number, number];
              return [model, { inputPerMillion: input, outputPerMillion: output }];
            }),
          ),
        ),
    ),
    POLICIES_DIR: withDefault(z.string().min(1), './policies'),
    AGENTS_DIR: withDefault(z.string().min(1), './agents'),
    PROMPTS_DIR: withDefault(z.string().min(1), './prompts'),
    PACKAGES_DIR: withDefault(z.string().min(1), './packages'),
    TEMPLATES_DIR: withDefault(z.string().min(1), './templates'),
    MODELS_DIR: withDefault(z.string().min(1), './models'),
    EMBEDDING_MODEL: withDefault(
      z.string().regex(/^(off|[\w.-]+\/[\w.-]+|[\w.-]+)$/, {
        error: 'expected a model id such as Xenova/all-MiniLM-L6-v2, or off',
      }),
      'Xenova/all-MiniLM-L6-v2',
    ),
    EMBEDDING_DTYPE: withDefault(
      z.enum(['q8', 'fp32', 'fp16', 'q4'], { error: 'expected q8, fp32, fp16 or q4' }),
      'q8',
    ),
    EMBEDDING_DOWNLOAD: withDefault(z.enum(['yes', 'no'], { error: 'expected yes or no' }), 'yes'),
    TELEGRAM_BOT_TOKEN: opt(
      z.string().regex(/^\d+:[\w-]+$/, { error: 'expected a bot token like 123456:ABC-DEF… from @BotFather' }),
    ),
    TELEGRAM_API_ROOT: opt(
      z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://api.telegram.org' }),
    ),
    TELEGRAM_OPERATOR_IDS: opt(
      idList('numeric Telegram user ids').refine((ids) => ids.every((id) => /^\d+$/.test(id)), {
        error: 'expected numeric Telegram user ids, e.g. 123456789',
      }),
    ),
    TELEGRAM_WEBHOOK_URL: opt(z.url({ protocol: /^https$/, error: 'expected a public https URL' })),
    SLACK_BOT_TOKEN: opt(
      z.string().regex(/^xox[a-z]-|^xoxe\.xoxb-/, { error: 'expected a bot token starting with xoxb-' }),
    ),
    SLACK_APP_TOKEN: opt(z.string().startsWith('xapp-', { error: 'expected an app-level token starting with xapp-' })),
    SLACK_SIGNING_SECRET: opt(
      z.string().min(8, { error: 'expected the signing secret from the app’s Basic Information page' }),
    ),
    SLACK_API_URL: opt(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL ending in /api/' })),
    SLACK_OPERATOR_IDS: opt(
      idList('Slack member ids').refine((ids) => ids.every((id) => /^[UW][A-Z0-9]{2,}$/.test(id)), {
        error: 'expected Slack member ids such as U012AB3CD',
      }),
    ),
    SLACK_COMMAND: opt(z.string().regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'expected a slash command such as /solo' })),
    DISCORD_TOKEN: opt(z.string().min(20, { error: 'expected the bot token from the Developer Portal' })),
    DISCORD_API_URL: opt(
      z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:8080/api' }),
    ),
    DISCORD_OPERATOR_IDS: opt(
      idList('Discord user ids').refine((ids) => ids.every((id) => /^\d{5,20}$/.test(id)), {
        error: 'expected Discord user ids (numbers), e.g. 80351110224678912',
      }),
    ),
    DISCORD_GUILD_CHANNEL_ID: opt(
      z.string().regex(/^\d{5,20}$/, { error: 'expected a Discord channel id (a number)' }),
    ),
    TELEGRAM_WEBHOOK_SECRET: opt(
      z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, { error: 'expected 1-256 characters of A-Z a-z 0-9 _ -' }),
    ),
    STRIPE_SECRET_KEY: opt(
      z.string().regex(/^(sk|rk)_(test|live)_\w{8,}$/, {
        error: 'expected a secret key starting with sk_test_ or sk_live_ (or a restricted rk_ key)',
      }),
    ),
    STRIPE_API_URL: withDefault(
      z
        .url({ protocol: /^https?$/, error: 'expected an https URL such as https://api.stripe.com' })
        .refine((u) => u.startsWith('https:') || isLoopback(new URL(u).hostname), {
          error: 'expected https (plain http is only allowed on loopback, for a local fake)',
        })
        .refine((u) => new URL(u).pathname === '/' && new URL(u).username === '', {
          error: 'expected only a scheme, host and port, e.g. https://api.stripe.com (the Stripe SDK takes no path)',
        }),
      'https://api.stripe.com',
    ),
    STRIPE_WEBHOOK_SECRET: opt(
      z.string().regex(/^whsec_\w{8,}$/, { error: 'expected the endpoint signing secret starting with whsec_' }),
    ),
    CALDAV_URL: opt(
      z
        .url({
          protocol: /^https?$/,
          error: 'expected an http(s) URL such as https://caldav.fastmail.com/dav/calendars/user/you@example.com/',
        })
        .refine((v) => !/^https?:\/\/[^/]*@/i.test(v), {
          error: 'expected a URL without user:password@ (put them in CALDAV_USERNAME and CALDAV_PASSWORD)',
        }),
    ),
    CALDAV_USERNAME: opt(z.string().min(1)),
    CALDAV_PASSWORD: opt(z.string().min(1)),
    CALDAV_CALENDAR: opt(z.string().min(1)),
    SMTP_URL: opt(
      mailUrl('smtp', 'smtps://user:password@mail.example.com:465 or smtp://user:password@mail.example.com:587'),
    ),
    IMAP_URL: opt(mailUrl('imap', 'imaps://user:password@mail.example.com:993')),
    MAIL_FROM: opt(
      z
        .string()
        .regex(MAIL_FROM, { error: 'expected an address such as jane@example.com or "Jane Doe <jane@example.com>"' })
        .transform(parseMailFrom),
    ),
    MAIL_SENT_FOLDER: opt(z.string().min(1)),
    MAIL_POLL_SECONDS: withDefault(
      count('a whole number of seconds').refine((n) => n >= 5, { error: 'expected at least 5 seconds' }),
      60,
    ),
    MAIL_ALLOW_SELF_SIGNED: withDefault(z.enum(['yes', 'no'], { error: 'expected yes or no' }), 'no'),
    TIMEZONE: opt(
      z.string().transform((v, ctx) => {
        const zone = canonicalTimeZone(v.trim());
        if (zone) return zone;
        ctx.addIssue({
          code: 'custom',
          message: 'expected an IANA time zone such as Europe/Berlin, America/New_York or UTC',
        });
        return z.NEVER;
      }),
    ),
    DIGEST_TIME: withDefault(
      z
        .string()
        .regex(/^(off|([01]?\d|2[0-3]):[0-5]\d)$/, { error: 'expected a time such as 08:00 (24-hour clock), or off' }),
      '08:00',
    ),
    DIGEST_WHEN_EMPTY: withDefault(z.enum(['skip', 'send'], { error: 'expected skip or send' }), 'skip'),
    OTEL_EXPORTER_OTLP_ENDPOINT: opt(
      z.url({ protocol: /^https?$/, error: "expected the collector's http(s) base URL, e.g. http://127.0.0.1:4318" }),
    ),
    OTEL_EXPORTER_OTLP_HEADERS: opt(
      z
        .string()
        .regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/, {
          error: 'expected key=value pairs separated by commas, e.g. authorization=Bearer%20abc',
        })
        .transform((v) =>
          Object.fromEntries(
            v
              .split(',')
              .map((pair) => [
                pair.slice(0, pair.indexOf('=')).trim(),
                decodeOr(pair.slice(pair.indexOf('=') + 1).trim()),
              ]),
          ),
        ),
    ),
    OTEL_SERVICE_NAME: withDefault(z.string().min(1).max(100), 'solo-os'),
  })
  // The import folder defaults to one inside DATA_DIR, so a fresh install reads nothing outside its own data; the
  // operator's time zone to the machine's.
  .transform((c) => ({
    ...c,
    IMPORT_DIR: c.IMPORT_DIR ?? join(c.DATA_DIR, 'import'),
    TIMEZONE: c.TIMEZONE ?? machineTimeZone(),
  }));

/** Rules that span settings, checked on the raw values so they are reported alongside every other problem. */
function crossCheck(source: Record<string, string | undefined>): string[] {
  const set = (name: string) => source[name] !== undefined && source[name] !== '';
  const problems: string[] = [];
  const host = set('HOST') ? (source['HOST'] as string) : '127.0.0.1';
  if (!isLoopback(host) && !set('WEB_TOKEN')) {
    problems.push(
      `WEB_TOKEN: required when HOST is not a loopback address (HOST=${host}); set a token of at least 16 characters`,
    );
  }
  if ((set('OPENAI_BASE_URL') || set('OPENAI_API_KEY')) && !set('OPENAI_MODEL')) {
    problems.push('OPENAI_MODEL: required when OPENAI_BASE_URL or OPENAI_API_KEY is set');
  }
  if (set('TELEGRAM_BOT_TOKEN') && !set('TELEGRAM_OPERATOR_IDS')) {
    problems.push(
      'TELEGRAM_OPERATOR_IDS: required when TELEGRAM_BOT_TOKEN is set (your numeric Telegram user id; ask @userinfobot)',
    );
  }
  if (set('SLACK_BOT_TOKEN') && !set('SLACK_OPERATOR_IDS')) {
    problems.push(
      'SLACK_OPERATOR_IDS: required when SLACK_BOT_TOKEN is set (your member id: profile → ⋮ → Copy member ID)',
    );
  }
  if (set('SLACK_BOT_TOKEN') && !set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push(
      'SLACK_APP_TOKEN: required with SLACK_BOT_TOKEN for Socket Mode (or set SLACK_SIGNING_SECRET for HTTP mode)',
    );
  }
  if (set('DISCORD_TOKEN') && !set('DISCORD_OPERATOR_IDS')) {
    problems.push(
      'DISCORD_OPERATOR_IDS: required when DISCORD_TOKEN is set (your Discord user id: Developer Mode → right-click your name → Copy User ID)',
    );
  }
  const mail = ['SMTP_URL', 'IMAP_URL', 'MAIL_FROM'];
  if (mail.some(set)) {
    for (const name of mail.filter((n) => !set(n))) {
      problems.push(
        `${name}: required with ${mail.filter(set).join(' and ')} (the mail connector needs SMTP_URL, IMAP_URL and MAIL_FROM)`,
      );
    }
  }
  if (set('TELEGRAM_WEBHOOK_URL') && !set('TELEGRAM_WEBHOOK_SECRET')) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set');
  }
  for (const name of ['CALDAV_USERNAME', 'CALDAV_PASSWORD'] as const) {
    if (set('CALDAV_URL') && !set(name)) problems.push(`${name}: required when CALDAV_URL is set`);
  }
  const caldav = (['CALDAV_USERNAME', 'CALDAV_PASSWORD', 'CALDAV_CALENDAR'] as const).filter(set);
  if (caldav.length > 0 && !set('CALDAV_URL'))
    problems.push(
      `CALDAV_URL: required when ${caldav.join(', ')} ${caldav.length > 1 ? 'are' : 'is'} set (the calendar's URL or the CalDAV server's)`,
    );
  return problems;
}

export type Config = z.infer<typeof schema>;

const SECRET = new Set([
  'WEB_TOKEN',
  'OPENAI_API_KEY',
  'MONGODB_URI',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'CALDAV_URL',
  'CALDAV_PASSWORD',
  'SMTP_URL',
  'IMAP_URL',
  'OTEL_EXPORTER_OTLP_HEADERS',
]);

/** Parses the environment. Throws ConfigError with one readable line per problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const source: Record<string, string | undefined> = {};
  for (const key of Object.keys(SETTINGS)) source[key] = env[key];
  const result = schema.safeParse(source);
  const cross = crossCheck(source);
  if (result.success && cross.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    const name = String(issue.path[0] ?? 'settings');
    const got = source[name];
    const shown = got === undefined || SECRET.has(name) ? '' : ` (got ${JSON.stringify(got)})`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError([...new Set([...problems, ...cross])]);
}

/** Whether free-text chat can reach a model. */
export function llmConfigured(config: Pick<Config, 'OPENAI_MODEL'>): boolean {
  return config.OPENAI_MODEL !== undefined;
}

/** Whether the mail connector is configured (all three settings are then required together). */
export function mailConfigured(config: Config): boolean {
  return config.SMTP_URL !== undefined && config.IMAP_URL !== undefined && config.MAIL_FROM !== undefined;
}

/** A MongoDB URI safe to print: the password is masked. */
export function maskUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
