// The `fetch` the chat SDKs make their API calls with (grammY's `client.fetch`, Slack's WebClient `fetch`,
// discord.js's REST `makeRequest`).
//
// Why not the client they would use on their own (node-fetch for grammY, Node's fetch for Slack, undici's request()
// for discord.js): an API call is a small POST with a small JSON answer, and a bot answering 50 chats at once makes
// 50 of them together. bench/http-client.ts measures exactly that on this 2-core machine (each client in a fresh
// process): Node's fetch costs 0.53 ms of CPU per call and its young-generation collections pause 33 ms (p99 of a
// call 100–140 ms); undici's request() costs 0.21 ms, but its per-call objects survive those collections, which
// then pause 10–12 ms (p99 29–37 ms); node:http with a keep-alive agent costs 0.20 ms, pauses 1–2 ms, p99 15–17 ms.
// So calls go out through node:http(s), except behind a proxy (see send()).
//
// The contract is fetch's for what the SDKs send: a string, bytes or URLSearchParams body, headers as a record, a
// Headers or pairs, an abort signal, redirect 'error' or 'follow'. Everything else (FormData uploads, streamed bodies,
// Request objects) goes to the global fetch unchanged. The answer is a Response-shaped object whose common members
// (status, headers, json, text, arrayBuffer) are read straight from the buffered body; the rest come from a real
// Response made on first use. No accept-encoding is sent, so answers come uncompressed, as the SDKs expect.
// One thing it does that fetch does not: a call whose kept-alive connection the server closed just as it was reused
// is sent once more (see send()), where fetch would fail the POST and leave it to the SDK (grammY, as configured here,
// does not retry network errors).

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { EnvHttpProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';

type Init = NonNullable<Parameters<typeof fetch>[1]>;

/** An answer read to the end: status, the header pairs as they came, the body. */
interface Answer {
  status: number;
  statusText: string;
  /** Name, value, name, value… as received; a repeated header appears once per line. */
  rawHeaders: string[];
  bytes: Uint8Array;
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
/** Keep-alive connections shared by every adapter, like the global fetch's pool; sockets idle 30 s are closed. */
const KEEP_ALIVE = { keepAlive: true, timeout: 30_000 } as const;
let agents: { http: HttpAgent; https: HttpsAgent } | undefined;
let proxy: Dispatcher | undefined;
/** Read on the first call: process.env lookups are not free, and an API call is made per reply. */
let proxied: boolean | undefined;

/**
 * One request, its answer read to the end. Directly with node:http(s) and keep-alive agents; behind a proxy
 * (HTTPS_PROXY, HTTP_PROXY, with NO_PROXY, in either case) through undici's EnvHttpProxyAgent, as Node's fetch does
 * with NODE_USE_ENV_PROXY (node:http's agents have no proxy support of their own before Node 24.5, and undici's is
 * tested: test/channels/api-fetch-proxy.test.ts).
 */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  proxied ??= PROXY_VARIABLES.some((name) => process.env[name]);
  if (proxied) return viaProxy(url, method, headers, body, signal);
  agents ??= { http: new HttpAgent(KEEP_ALIVE), https: new HttpsAgent(KEEP_ALIVE) };
  const tls = url.protocol === 'https:';
  if (!tls && url.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const outgoing: OutgoingHttpHeaders = headers;
  if (body !== undefined && !hasHeader(headers, 'content-length')) outgoing['content-length'] = Buffer.byteLength(body);
  const options = { method, headers: outgoing, agent: tls ? agents.https : agents.http, ...(signal ? { signal } : {}) };
  const attempt = (retry: boolean): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      let answered = false;
      const req = (tls ? httpsRequest : httpRequest)(url, options, (res: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            rawHeaders: res.rawHeaders,
            bytes: new Uint8Array(all.buffer, all.byteOffset, all.byteLength),
          });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // The keep-alive race: the server closed an idle connection just as this call reused it, so the call failed
        // before any answer. A server that closed its idle connection did not read the request: it is sent once more
        // (what Node's documentation of `request.reusedSocket` recommends). A fresh connection's failure is not retried.
        const closedUnderUs =
          req.reusedSocket && !answered && !signal?.aborted && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        if (retry && closedUnderUs) resolve(attempt(false));
        else reject(err);
      });
      req.end(body);
    });
  return attempt(true);
}

async function viaProxy(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  proxy ??= new EnvHttpProxyAgent({ keepAliveTimeout: 30_000 });
  const answer = await undiciRequest(url, {
    method,
    headers,
    body: body ?? null,
    signal: signal ?? null,
    dispatcher: proxy,
  });
  const bytes = new Uint8Array(await answer.body.arrayBuffer());
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(answer.headers))
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) rawHeaders.push(name, v);
  return { status: answer.statusCode, statusText: answer.statusText, rawHeaders, bytes };
}

/** UTF-8 text as fetch decodes it (a leading byte order mark dropped); Buffer's decoder is the fastest in Node. */
function utf8(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether a header record names `name` (lower case), in any case. */
function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** The first value of a header, any case. */
function header(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** fetch() for API calls: node:http(s) for plain bodies (undici behind a proxy), the global fetch for anything else. */
export const apiFetch = async function apiFetch(input: string | URL | Request, init: Init = {}): Promise<Response> {
  const body = plainBody(init.body);
  if (input instanceof Request || body === unsupported) return fetch(input, init);
  const target = new URL(input);
  const url = target.href;
  const headers = headerRecord(init.headers);
  if (init.body instanceof URLSearchParams && !hasHeader(headers, 'content-type')) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  }
  // fetch upper-cases the standard methods given in another case (a server answers 400 to "post").
  const upper = (init.method ?? 'GET').toUpperCase();
  const method = STANDARD_METHODS.has(upper) ? upper : (init.method ?? 'GET');
  let answer: Answer;
  try {
    answer = await send(target, method, headers, body, init.signal ?? undefined);
  } catch (err) {
    // What fetch throws: the signal's reason when aborted, otherwise a TypeError whose cause is the network error.
    if (init.signal?.aborted) throw init.signal.reason;
    throw new TypeError('fetch failed', { cause: err });
  }
  const location = header(answer.rawHeaders, 'location');
  if (answer.status >= 300 && answer.status < 400 && location !== undefined && init.redirect !== 'manual') {
    if (init.redirect === 'error')
      throw new TypeError('fetch failed', {
        cause: new Error(`${url} redirected (${answer.status}) and redirect is 'error'`),
      });
    // API endpoints do not redirect. Should one, the global fetch takes it from the new location, as fetch would:
    // 303, and 301/302 after a POST, become a GET without a body; 307 and 308 repeat the request.
    const asGet = answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST');
    return fetch(new URL(location, url), asGet ? { ...init, method: 'GET', body: null } : init);
  }
  return new ApiResponse(url, answer.status, answer.statusText, answer.rawHeaders, answer.bytes);
} as typeof fetch;

const STANDARD_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const unsupported = Symbol('unsupported body');

function plainBody(body: Init['body']): string | Uint8Array | undefined | typeof unsupported {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return unsupported;
}

function headerRecord(headers: Init['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers);
  // Pairs may repeat a name: Headers joins the values as fetch sends them.
  if (Array.isArray(headers)) return Object.fromEntries(new Headers(headers));
  return { ...(headers as Record<string, string>) };
}

/** What fetch resolves with, for a body already read into memory. */
class ApiResponse {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  readonly #raw: string[];
  readonly #bytes: Uint8Array;
  #headers: Headers | undefined;
  #full: Response | undefined;
  #taken = false;

  constructor(url: string, status: number, statusText: string, raw: string[], bytes: Uint8Array) {
    this.url = url;
    this.status = status;
    this.statusText = statusText;
    this.ok = status >= 200 && status < 300;
    this.#raw = raw;
    this.#bytes = bytes;
  }

  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      const raw = this.#raw;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
      this.#headers = headers;
    }
    return this.#headers;
  }

  get bodyUsed(): boolean {
    return this.#taken || (this.#full?.bodyUsed ?? false);
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#response().body;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#full) return this.#full.arrayBuffer();
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    if (this.#full) return this.#full.bytes();
    return this.#take();
  }

  async text(): Promise<string> {
    if (this.#full) return this.#full.text();
    return utf8(this.#take());
  }

  async json(): Promise<unknown> {
    if (this.#full) return this.#full.json();
    return JSON.parse(utf8(this.#take()));
  }

  async blob(): Promise<Blob> {
    return this.#response().blob();
  }

  async formData(): Promise<FormData> {
    return this.#response().formData();
  }

  clone(): Response {
    return this.#response().clone();
  }

  /** The body, once, as fetch allows. */
  #take(): Uint8Array {
    if (this.#taken) throw new TypeError('Body is unusable: Body has already been read');
    this.#taken = true;
    return this.#bytes;
  }

  /** A real Response for the members read rarely; from then on it holds the body. */
  #response(): Response {
    if (!this.#full) {
      if (this.#taken) throw new TypeError('Body is unusable: Body has already been read');
      const nullBody = this.status === 204 || this.status === 205 || this.status === 304;
      this.#full = new Response(nullBody ? null : this.#bytes, {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
    }
    return this.#full;
  }
}
