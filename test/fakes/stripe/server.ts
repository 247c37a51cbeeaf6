// A Stripe API fake on node:http, faithful where the payments connector's promises depend on it: Bearer auth,
// form bodies, Stripe's objects, ids and error bodies, `Request-Id`, and the Idempotency-Key rules of API v1
// (docs.stripe.com/api/idempotent_requests): the first answer of a key is saved once execution begins and replayed
// for the same parameters (`Idempotent-Replayed: true`), other parameters or another endpoint → 400
// idempotency_error, a key still in flight → 409 idempotency_error, keys pruned after 24 h. Tests inject faults
// (connection dropped after the commit, 500, 429, slow answers), move the clock, pay invoices and receive signed
// webhooks; every request and effect is counted per key.

import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, type StripeErrorBody } from './errors.ts';
import { canonical, parseForm, type Params } from './form.ts';
import { StripeState, type Context, type Obj } from './resources.ts';
import { ROUTES } from './routes.ts';

const API_VERSION = '2026-11-18.endive';
const DAY_MS = 24 * 60 * 60 * 1000;

export type FaultKind =
  /** The request runs (or replays) and its answer is saved, then the connection is cut before the answer is written. */
  | 'drop'
  /** 500 before the idempotency layer (like a load balancer's): nothing runs, nothing is saved. */
  | 'error500'
  /** 500 after execution began: nothing changed, but the 500 is saved and replayed for the key, as Stripe does. */
  | 'error500Saved'
  /** 429 from the rate limiter, which runs before the idempotency layer. */
  | 'rateLimit'
  /** The request holds its key for `delayMs` before it runs (concurrent uses of the key get 409), then answers. */
  | 'slow';

export interface Fault {
  /** `METHOD /path` where `:id` matches one path segment, e.g. `POST /v1/invoices/:id/finalize`. */
  match: string;
  kind: FaultKind;
  delayMs?: number;
  /** How many matching requests it hits (default 1). */
  times?: number;
}

interface Saved {
  endpoint: string;
  params: string;
  createdAt: number;
  done: boolean;
  status: number;
  body: string;
  requestId: string;
}

export interface RequestLog {
  method: string;
  path: string;
  key: string | undefined;
  status: number;
  replayed: boolean;
}

export interface DeliveredEvent {
  id: string;
  type: string;
  status: number | 'unreachable';
}

export class StripeFake {
  readonly apiKey: string;
  readonly state = new StripeState();
  /** Requests per idempotency key (every attempt, replays and refusals included). */
  readonly attempts = new Map<string, number>();
  /** Executions per idempotency key that changed something: what actually happened. */
  readonly effects = new Map<string, number>();
  /** POSTs that changed something without any idempotency key. */
  unkeyedEffects = 0;
  readonly log: RequestLog[] = [];
  readonly events: Obj[] = [];
  /** Extra wait before each answer, after the request ran (ms, uniform in [min, max]): widens "done but not told". */
  latency: [number, number] = [0, 0];
  /** Requests being handled right now. */
  inFlight = 0;
  readonly deliveries: DeliveredEvent[] = [];
  #server: Server | undefined;
  #url = '';
  #offsetMs = 0;
  #faults: Required<Fault>[] = [];
  readonly #saved = new Map<string, Saved>();
  readonly #endpoints: { url: string; secret: string }[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(options: { apiKey?: string } = {}) {
    this.apiKey = options.apiKey ?? 'sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc';
  }

  get url(): string {
    return this.#url;
  }

  /** The fake's clock in ms; `advance` moves it (e.g. past the 24 h key lifetime). */
  now(): number {
    return Date.now() + this.#offsetMs;
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  inject(fault: Fault): void {
    this.#faults.push({ delayMs: 0, times: 1, ...fault });
  }
  clearFaults(): void {
    this.#faults = [];
  }

  /** Webhook endpoints get every event, signed with their secret. */
  addWebhookEndpoint(url: string, secret: string): void {
    this.#endpoints.push({ url, secret });
  }

  /** Resolves once every webhook delivery started so far has been answered. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  invoices(): Obj[] {
    return [...this.state.invoices.values()];
  }

  /** Requests that carried a key vs distinct effects: the report the acceptance criteria ask for. */
  report(prefix = ''): { attempted: number; keys: number; performed: number; duplicates: string[] } {
    const keys = [...this.attempts.keys()].filter((k) => k.startsWith(prefix));
    const attempted = keys.reduce((n, k) => n + (this.attempts.get(k) ?? 0), 0);
    const performedKeys = [...this.effects.keys()].filter((k) => k.startsWith(prefix));
    const performed = performedKeys.reduce((n, k) => n + (this.effects.get(k) ?? 0), 0);
    return {
      attempted,
      keys: keys.length,
      performed,
      duplicates: performedKeys.filter((k) => (this.effects.get(k) ?? 0) > 1),
    };
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { type: 'api_error', message: `fake: ${String(err)}` } }));
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await this.settled();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sends an event to every endpoint; `timestamp` (seconds) signs it as if sent then. */
  deliver(event: Obj, options: { timestamp?: number; secret?: string } = {}): Promise<DeliveredEvent[]> {
    const payload = JSON.stringify(event, null, 2);
    return Promise.all(
      this.#endpoints.map(async ({ url, secret }) => {
        const t = options.timestamp ?? Math.floor(this.now() / 1000);
        const v1 = createHmac('sha256', options.secret ?? secret)
          .update(`${t}.${payload}`)
          .digest('hex');
        let status: DeliveredEvent['status'];
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'stripe-signature': `t=${t},v1=${v1}`,
              'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            },
            body: payload,
          });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = 'unreachable';
        }
        const delivered = { id: event.id, type: String(event['type']), status };
        this.deliveries.push(delivered);
        return delivered;
      }),
    );
  }

  #context(requestId: string, key: string | undefined): Context {
    return {
      now: () => Math.floor(this.now() / 1000),
      id: (prefix) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, '').slice(0, 14)}`,
      emit: (type, object) => {
        const event: Obj = {
          id: `evt_${randomBytes(12).toString('hex').slice(0, 24)}`,
          object: 'event',
          api_version: API_VERSION,
          created: Math.floor(this.now() / 1000),
          data: {
            object: JSON.parse(
              JSON.stringify(object.object === 'invoice' ? this.state.view(object) : object),
            ) as unknown,
          },
          livemode: false,
          pending_webhooks: this.#endpoints.length,
          request: { id: requestId, idempotency_key: key ?? null },
          type,
        };
        this.events.push(event);
        if (this.#endpoints.length === 0) return;
        const sending = this.deliver(event).then(() => undefined);
        this.#pending.add(sending);
        void sending.finally(() => this.#pending.delete(sending));
      },
    };
  }

  #fault(method: string, path: string): Required<Fault> | undefined {
    const fault = this.#faults.find((f) => {
      const [m, pattern = ''] = f.match.split(' ');
      return m === method && new RegExp(`^${pattern.replace(/:[a-z]+/g, '[^/]+')}$`).test(path);
    });
    if (!fault) return undefined;
    if (--fault.times <= 0) this.#faults.splice(this.#faults.indexOf(fault), 1);
    return fault;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.#serve(req, res);
    } finally {
      this.inFlight--;
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_${randomBytes(10).toString('hex').slice(0, 14)}`;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {
      'request-id': requestId,
      'stripe-version': (req.headers['stripe-version'] as string | undefined) ?? API_VERSION,
    };
    if (key !== undefined) {
      headers['idempotency-key'] = key;
      this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    }
    // Authentication and the rate limiter run before the idempotency layer; a refused key consumes no fault.
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ')
      ? auth.slice(7)
      : auth.startsWith('Basic ')
        ? (Buffer.from(auth.slice(6), 'base64').toString().split(':')[0] ?? '')
        : '';
    const fault = given !== '' && given === this.apiKey ? this.#fault(method, path) : undefined;
    const answer = (status: number, payload: string, extra: Record<string, string> = {}): void => {
      const replayed = extra['idempotent-replayed'] === 'true';
      if (fault?.kind === 'drop') {
        // Whatever happened stays done; the client only sees its connection reset.
        this.log.push({ method, path, key, status: 0, replayed });
        req.socket.destroy();
        return;
      }
      this.log.push({ method, path, key, status, replayed });
      const [min, max] = this.latency;
      const write = (): void => {
        this.inFlight--;
        if (!res.destroyed)
          res
            .writeHead(status, {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(payload)),
              ...headers,
              ...extra,
            })
            .end(payload);
      };
      this.inFlight++;
      if (max > 0) setTimeout(write, min + Math.random() * (max - min));
      else write();
    };
    const fail = (status: number, error: StripeErrorBody, extra: Record<string, string> = {}): void =>
      answer(
        status,
        JSON.stringify(
          { error: { ...error, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } },
          null,
          2,
        ),
        extra,
      );
    if (given === '')
      return fail(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      });
    if (given !== this.apiKey)
      return fail(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${given.slice(0, 8)}${'*'.repeat(Math.max(0, given.length - 12))}${given.slice(-4)}`,
      });
    if (fault?.kind === 'rateLimit')
      return fail(
        429,
        {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        },
        { 'stripe-should-retry': 'true' },
      );
    if (fault?.kind === 'error500') return fail(500, { type: 'api_error', message: 'An unknown error occurred' });

    let matched: { route: (typeof ROUTES)[number]; ids: string[] } | undefined;
    for (const route of ROUTES) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m) {
        matched = { route, ids: m.slice(1).map(decodeURIComponent) };
        break;
      }
    }
    if (!matched)
      return fail(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      });
    const params: Params = method === 'POST' ? parseForm(body) : parseForm(url.search.slice(1));
    const endpoint = `${method} ${path}`;
    const scoped = key === undefined ? undefined : `${given}\n${key}`;

    let saved = scoped === undefined ? undefined : this.#saved.get(scoped);
    if (saved && this.now() - saved.createdAt >= DAY_MS) {
      this.#saved.delete(scoped as string);
      saved = undefined;
    }
    if (saved && key !== undefined) {
      if (saved.endpoint !== endpoint) {
        return fail(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (saved.params !== canonical(params)) {
        return fail(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (!saved.done) {
        return fail(409, {
          type: 'idempotency_error',
          message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
        });
      }
      return answer(saved.status, saved.body, { 'idempotent-replayed': 'true', 'original-request': saved.requestId });
    }

    const entry: Saved | undefined =
      scoped === undefined
        ? undefined
        : { endpoint, params: canonical(params), createdAt: this.now(), done: false, status: 0, body: '', requestId };
    if (entry && scoped !== undefined) this.#saved.set(scoped, entry);
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));

    let status = 200;
    let payload: string;
    if (fault?.kind === 'error500Saved') {
      status = 500;
      payload = JSON.stringify(
        {
          error: {
            type: 'api_error',
            message: 'An unknown error occurred',
            request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}`,
          },
        },
        null,
        2,
      );
    } else {
      try {
        payload = JSON.stringify(
          matched.route.run(this.state, params, matched.ids, this.#context(requestId, key)),
          null,
          2,
        );
        if (matched.route.effect) {
          if (key === undefined) this.unkeyedEffects++;
          else this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.beforeExecution && scoped !== undefined) this.#saved.delete(scoped);
        if (err.beforeExecution) return fail(err.status, err.body);
        status = err.status;
        payload = JSON.stringify(
          { error: { ...err.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } },
          null,
          2,
        );
      }
    }
    if (entry) Object.assign(entry, { done: true, status, body: payload });
    answer(status, payload);
  }
}
