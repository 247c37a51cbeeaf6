// The `fetch` the chat SDKs make their API calls with (grammY's `client.fetch`, Slack's WebClient `fetch`).
//
// Why not the fetch they would use on their own (node-fetch for grammY, Node's fetch for Slack): an API call is a
// small POST and a small JSON answer, and WHATWG fetch's machinery (Request, streams, body mixins) costs more CPU
// than the call itself: on this 2-core machine 0.33 ms (node-fetch) and 0.46 ms (Node's fetch) per call, against
// 0.11 ms for undici's request() (bench/http-client.ts). At 50 chats answered at once that is the difference between
// a reply in 25 ms and one in 40.
//
// The contract is fetch's for what the SDKs send: a string, bytes or URLSearchParams body, headers as a record, a
// Headers or pairs, an abort signal, redirect 'error' or 'follow'. Everything else (FormData uploads, streamed bodies,
// Request objects) goes to the global fetch unchanged. The answer is a Response-shaped object whose common members
// (status, headers, json, text, arrayBuffer) are read straight from the buffered body; the rest come from a real
// Response made on first use. No accept-encoding is sent, so answers come uncompressed, as the SDKs expect.

import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';

type Init = NonNullable<Parameters<typeof fetch>[1]>;

/**
 * Keep-alive connections shared by every adapter, like the global fetch's pool. Behind a proxy (HTTPS_PROXY,
 * HTTP_PROXY, with NO_PROXY, in either case) the calls go through it, as Node's fetch does with NODE_USE_ENV_PROXY.
 */
let shared: Dispatcher | undefined;
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
const dispatcher = (): Dispatcher =>
  (shared ??= PROXY_VARIABLES.some((name) => process.env[name]) ? new EnvHttpProxyAgent({ keepAliveTimeout: 30_000 }) : new Agent({ keepAliveTimeout: 30_000 }));

/** fetch() for API calls: undici's request() for plain bodies, the global fetch for anything else. */
export const apiFetch = async function apiFetch(input: string | URL | Request, init: Init = {}): Promise<Response> {
  const body = plainBody(init.body);
  if (input instanceof Request || body === unsupported) return fetch(input, init);
  const url = new URL(input).href;
  const headers = headerRecord(init.headers);
  if (init.body instanceof URLSearchParams && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  }
  // fetch upper-cases the standard methods given in another case (a server answers 400 to "post").
  const upper = (init.method ?? 'GET').toUpperCase();
  const method = (STANDARD_METHODS.has(upper) ? upper : init.method) as Dispatcher.HttpMethod;
  let answer: Dispatcher.ResponseData;
  let bytes: Uint8Array;
  try {
    answer = await request(url, { method, headers, body: body ?? null, signal: init.signal ?? null, dispatcher: dispatcher() });
    bytes = new Uint8Array(await answer.body.arrayBuffer());
  } catch (err) {
    // What fetch throws: the signal's reason when aborted, otherwise a TypeError whose cause is the network error.
    if (init.signal?.aborted) throw init.signal.reason;
    throw new TypeError('fetch failed', { cause: err });
  }
  const location = answer.headers['location'];
  if (answer.statusCode >= 300 && answer.statusCode < 400 && typeof location === 'string' && init.redirect !== 'manual') {
    if (init.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`${url} redirected (${answer.statusCode}) and redirect is 'error'`) });
    // API endpoints do not redirect. Should one, the global fetch takes it from the new location, as fetch would:
    // 303, and 301/302 after a POST, become a GET without a body; 307 and 308 repeat the request.
    const asGet = answer.statusCode === 303 || ((answer.statusCode === 301 || answer.statusCode === 302) && method === 'POST');
    return fetch(new URL(location, url), asGet ? { ...init, method: 'GET', body: null } : init);
  }
  return new ApiResponse(url, answer.statusCode, answer.statusText, answer.headers, bytes);
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

type RawHeaders = Record<string, string | string[] | undefined>;

/** What fetch resolves with, for a body already read into memory. */
class ApiResponse {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  readonly #raw: RawHeaders;
  readonly #bytes: Uint8Array;
  #headers: Headers | undefined;
  #full: Response | undefined;
  #taken = false;

  constructor(url: string, status: number, statusText: string, raw: RawHeaders, bytes: Uint8Array) {
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
      for (const [name, value] of Object.entries(this.#raw)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.append(name, value);
      }
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
    return new TextDecoder().decode(this.#take());
  }

  async json(): Promise<unknown> {
    if (this.#full) return this.#full.json();
    return JSON.parse(new TextDecoder().decode(this.#take()));
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
      this.#full = new Response(nullBody ? null : this.#bytes, { status: this.status, statusText: this.statusText, headers: this.headers });
    }
    return this.#full;
  }
}
