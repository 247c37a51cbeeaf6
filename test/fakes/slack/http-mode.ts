// Slack's side of HTTP mode: it POSTs to the app's Request URL, signed with the app's signing secret:
//   X-Slack-Request-Timestamp: <unix seconds>
//   X-Slack-Signature: v0=<hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}`>
// Events come as JSON; slash commands form-encoded; interactive payloads as a form with one field, payload=<json>.

import { createHmac } from 'node:crypto';

export type SlackRequestBody =
  | { kind: 'event'; payload: Record<string, unknown> }
  | { kind: 'command'; payload: Record<string, string> }
  | { kind: 'interactive'; payload: Record<string, unknown> };

export const sign = (secret: string, timestamp: number, rawBody: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;

function encode(body: SlackRequestBody): { raw: string; contentType: string } {
  if (body.kind === 'event') return { raw: JSON.stringify(body.payload), contentType: 'application/json' };
  const form = body.kind === 'command' ? body.payload : { payload: JSON.stringify(body.payload) };
  return { raw: new URLSearchParams(form).toString(), contentType: 'application/x-www-form-urlencoded' };
}

/**
 * Delivers a request as Slack would. `secret` is the signing secret to sign with (pass a wrong one to play an
 * impostor); `timestamp` defaults to now; `send` is the HTTP client (the global fetch; the bench passes a leaner one).
 */
export async function postSigned(
  url: string,
  secret: string,
  body: SlackRequestBody,
  timestamp = Math.floor(Date.now() / 1000),
  send: typeof fetch = fetch,
): Promise<{ status: number; text: string }> {
  const { raw, contentType } = encode(body);
  const res = await send(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(secret, timestamp, raw),
    },
    body: raw,
  });
  return { status: res.status, text: await res.text() };
}
