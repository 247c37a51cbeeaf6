// Two pieces that fit Bolt into Solo OS: its logger interface on top of pino, and a guard in front of the Socket
// Mode client for envelopes it would choke on.

import { LogLevel, type Logger as BoltLogger, type SocketModeReceiver } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../../src/observability/logger.ts';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Bolt's Logger on top of pino. The SDK's debug output (every frame and request body, user text included) goes to
 * trace, so LOG_LEVEL=debug stays readable. The level is pino's: Bolt's setLevel is ignored. `quiet`: warnings and
 * errors go to debug too, for the parts whose failures the adapter reports itself (connecting, reconnecting).
 */
export function boltLogger(log: Logger, { quiet = false }: { quiet?: boolean } = {}): BoltLogger {
  // The SDKs log at debug several times per message (frames, request bodies): with that level off, nothing is
  // formatted at all.
  const write =
    (level: Level) =>
    (...args: unknown[]): void => {
      if (!log.isLevelEnabled(level)) return;
      const err = args.find((a) => a instanceof Error);
      const text = args
        .filter((a) => !(a instanceof Error))
        .map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))
        .join(' ');
      if (err) log[level]({ err }, text || err.message);
      else log[level](text);
    };
  return {
    debug: write('trace'),
    info: write(quiet ? 'debug' : 'info'),
    warn: write(quiet ? 'debug' : 'warn'),
    error: write(quiet ? 'debug' : 'error'),
    setLevel: () => undefined,
    setName: () => undefined,
    getLevel: () =>
      log.isLevelEnabled('trace')
        ? LogLevel.DEBUG
        : log.isLevelEnabled('info')
          ? LogLevel.INFO
          : log.isLevelEnabled('warn')
            ? LogLevel.WARN
            : LogLevel.ERROR,
  };
}

// What Bolt needs to route an envelope to one of the adapter's listeners (which ack it): an event with a type, our
// slash command, a block_actions click. Other fields are checked by the listeners themselves.
const text = z.string().min(1);
const takenEnvelope = (command: string) =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('events_api'),
      envelope_id: text,
      payload: z.object({ event: z.object({ type: text }) }),
    }),
    z.object({
      type: z.literal('slash_commands'),
      envelope_id: text,
      payload: z.object({ command: z.literal(command) }),
    }),
    z.object({
      type: z.literal('interactive'),
      envelope_id: text,
      payload: z.object({ type: z.literal('block_actions'), actions: z.array(z.unknown()).min(1) }),
    }),
  ]);
const anyEnvelope = z.object({ envelope_id: text, type: z.string().optional() });

type SocketClient = SocketModeReceiver['client'];
type FrameListener = (data: unknown, isBinary: boolean) => unknown;

/**
 * The Socket Mode client reads `payload.event.type` without a check, inside an async listener whose rejection nobody
 * handles: one malformed envelope would end the process. And an envelope Bolt cannot route is never acked, so
 * Slack would send it again and again. This guard takes the client's frame listener ('ws_message') and puts a check
 * in front of it: an envelope the adapter does not take is acked, logged and dropped; hello and disconnect frames
 * and the rest pass through unchanged.
 */
export function guardEnvelopes(client: SocketClient, command: string, log: Logger): void {
  const taken = takenEnvelope(command);
  const listeners = client.listeners('ws_message') as FrameListener[];
  const original = listeners[0];
  if (listeners.length !== 1 || !original)
    throw new Error('the Slack Socket Mode client changed: expected one ws_message listener to guard');
  // The same call the client's own ack() makes; its typings mark `send` private.
  const ack = (envelopeId: string): Promise<void> =>
    (client as unknown as { send(id: string): Promise<void> }).send(envelopeId);
  client.removeAllListeners('ws_message');
  client.on('ws_message', (data: unknown, isBinary: boolean) => {
    const envelope = typeof data === 'string' && !isBinary ? parse(data) : undefined;
    const id = anyEnvelope.safeParse(envelope).data;
    if (id && !taken.safeParse(envelope).success) {
      log.warn(
        { envelope: id.envelope_id, type: id.type },
        'acked and dropped a Slack envelope the adapter does not take',
      );
      ack(id.envelope_id).catch((err: unknown) => log.warn({ err }, 'could not ack a dropped Slack envelope'));
      return;
    }
    Promise.resolve(original(data, isBinary)).catch((err: unknown) =>
      log.error({ err }, 'the Slack Socket Mode client failed on a frame'),
    );
  });
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
