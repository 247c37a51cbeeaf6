// Starts a real Solo OS in-process on a temporary data folder and a free port, and talks to its web API.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startSolo, type SoloApp, type StartOptions } from '../../src/main.ts';

export const tempDir = (prefix = 'solo-test-'): string => mkdtempSync(join(tmpdir(), prefix));

export async function startTestApp(env: Record<string, string> = {}, options: StartOptions = {}): Promise<SoloApp> {
  // Tests bring their own policies (the shipped quiet hours would make time of day matter) and embedding model.
  const config = loadConfig({
    DATA_DIR: tempDir(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLICIES_DIR: tempDir('solo-policies-'),
    EMBEDDING_MODEL: 'off',
    ...env,
  });
  return startSolo(config, { logger: pino({ level: 'silent' }), ...options });
}

export interface ApiMessage {
  id: string;
  text: string;
  buttons: { id: string; label: string }[];
}

export interface ApiReply {
  status: number;
  body: { messages?: ApiMessage[]; error?: string; duplicate?: boolean };
}

/** Calls the web API as the chat page does: every POST is JSON (an empty one `{}`). */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiReply> {
  const payload = body ?? (method === 'GET' ? undefined : {});
  const init: RequestInit = {
    method,
    headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  };
  if (payload !== undefined) init.body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(base + path, init);
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

/** Sends a chat message and returns the texts of the replies. */
export async function say(base: string, text: string, id?: string): Promise<ApiMessage[]> {
  const { status, body } = await api(base, 'POST', '/api/messages', id === undefined ? { text } : { text, id });
  if (status !== 200) throw new Error(`POST /api/messages answered ${status}: ${JSON.stringify(body)}`);
  return body.messages ?? [];
}

/**
 * A tap carrying any button data, as a chat platform could deliver it (the web API only accepts buttons the bot
 * sent). Returns the texts of the replies.
 */
export async function tapData(app: SoloApp, data: string): Promise<ApiMessage[]> {
  const event = {
    kind: 'button' as const,
    data,
    id: `raw-${Math.random()}`,
    channel: 'web',
    chatId: 'operator',
    senderId: 'operator',
  };
  const result = await app.conductor.handle(event, app.web);
  return result.replies.map((m) => ({
    id: m.id,
    text: m.text,
    buttons: m.buttons.map((b, i) => ({ id: `${m.id}.${i}`, label: b.label })),
  }));
}
