// The fake's routes that create and change messages: channel messages (bot token) and interaction responses —
// POST /interactions/:id/:token/callback, then the interaction webhook (/webhooks/:appId/:token…) for the
// original response and follow-ups. Interaction rules as on Discord: one callback per interaction (40060 after),
// the webhook only after a callback, `@original` is the response message (or, after a component's deferred
// update, the message the component is on).

import {
  apiError,
  InteractionKind,
  message,
  notFound,
  type ApiChannel,
  type ApiMessage,
  type ApiUser,
  type Reply,
} from './model.ts';
import type { ApiAttachment, Upload } from './uploads.ts';
import { checkMessage, type MessageBody } from './validate.ts';

const Callback = { message: 4, deferredMessage: 5, deferredUpdate: 6, update: 7 } as const;
const LOADING_FLAG = 1 << 7;
const CHAT_INPUT_COMMAND_MESSAGE = 20;

export interface InteractionState {
  id: string;
  token: string;
  kind: number;
  channel: ApiChannel;
  user: ApiUser;
  /** The callback type the interaction was answered with, once answered. */
  response?: number;
  originalId?: string | undefined;
  /** For a component interaction: the message the component is on. */
  sourceMessageId?: string;
}

/** What these routes need from the fake's state (server.ts implements it). */
export interface MessageStore {
  readonly bot: ApiUser;
  readonly applicationId: string;
  readonly channels: Map<string, ApiChannel>;
  readonly messages: Map<string, ApiMessage>;
  post(m: ApiMessage): ApiMessage;
  update(m: ApiMessage, body: MessageBody): ApiMessage;
  remove(m: ApiMessage): void;
  /** Keeps an uploaded file's bytes and returns the attachment describing it. */
  attach(channelId: string, upload: Upload, payload: MessageBody): ApiAttachment;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const badRequest = (body: unknown): Reply => ({ status: 400, body });
const unknownMessage = notFound(10008, 'Unknown Message');

export class MessageRoutes {
  readonly #fake: MessageStore;
  readonly #interactions = new Map<string, InteractionState>();

  constructor(fake: MessageStore) {
    this.#fake = fake;
  }

  add(state: InteractionState): void {
    this.#interactions.set(state.id, state);
  }

  /** A message, with the files of a multipart request as its attachments. */
  createMessage(channelId: string, body: MessageBody | undefined, files: Upload[] = []): Reply {
    const channel = this.#fake.channels.get(channelId);
    if (!channel) return notFound(10003, 'Unknown Channel');
    const payload = body ?? {};
    const problem = checkMessage(payload, true, files.length > 0);
    if (problem) return badRequest(problem);
    const m = message(channel, this.#fake.bot, contentOf(payload), componentsOf(payload));
    m.attachments = files.map((f) => this.#fake.attach(channel.id, f, payload));
    return ok(this.#fake.post(m));
  }

  editMessage(channelId: string, messageId: string, body: MessageBody): Reply {
    if (!this.#fake.channels.has(channelId)) return notFound(10003, 'Unknown Channel');
    const m = this.#fake.messages.get(messageId);
    if (m?.channel_id !== channelId) return unknownMessage;
    if (m.author.id !== this.#fake.bot.id)
      return { status: 403, body: apiError(50005, 'Cannot edit a message authored by another user') };
    const problem = checkMessage(body, false);
    return problem ? badRequest(problem) : ok(this.#fake.update(m, body));
  }

  route(method: string, path: string, url: URL, body: unknown): Reply {
    const seg = path.split('/').slice(1);
    if (seg[0] === 'interactions' && seg[3] === 'callback' && seg.length === 4 && method === 'POST') {
      return this.#callback(
        seg[1] ?? '',
        seg[2] ?? '',
        url.searchParams.get('with_response') === 'true',
        body as { type?: unknown; data?: MessageBody },
      );
    }
    if (seg[0] !== 'webhooks') return notFound(0, '404: Not Found');
    const state = [...this.#interactions.values()].find((s) => s.token === seg[2]);
    // Before the callback the interaction webhook does not exist yet.
    if (seg[1] !== this.#fake.applicationId || !state?.response) return notFound(10015, 'Unknown Webhook');
    if (seg.length === 3 && method === 'POST')
      return this.#followUp(state, body as MessageBody, url.searchParams.get('wait') === 'true');
    if (seg.length === 5 && seg[3] === 'messages')
      return this.#webhookMessage(state, method, seg[4] ?? '', body as MessageBody);
    return notFound(0, '404: Not Found');
  }

  #callback(
    id: string,
    token: string,
    withResponse: boolean,
    body: { type?: unknown; data?: MessageBody } | undefined,
  ): Reply {
    const state = this.#interactions.get(id);
    if (state?.token !== token) return notFound(10062, 'Unknown interaction');
    if (state.response !== undefined) return badRequest(apiError(40060, 'Interaction has already been acknowledged.'));
    const type = body?.type;
    const data = body?.data ?? {};
    const componentOnly = type === Callback.deferredUpdate || type === Callback.update;
    if (
      ![Callback.message, Callback.deferredMessage, Callback.deferredUpdate, Callback.update].includes(type as 4) ||
      (componentOnly && state.kind !== InteractionKind.component)
    ) {
      return badRequest(
        apiError(50035, 'Invalid Form Body', {
          type: {
            _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: 'Invalid interaction response type' }],
          },
        }),
      );
    }
    const problem =
      type === Callback.message || type === Callback.update ? checkMessage(data, type === Callback.message) : undefined;
    if (problem) return badRequest(problem);
    state.response = type as number;
    let resource: ApiMessage | undefined;
    if (type === Callback.message || type === Callback.deferredMessage) {
      const m = this.#responseMessage(
        state,
        type === Callback.message ? contentOf(data) : '',
        type === Callback.message ? componentsOf(data) : [],
      );
      if (type === Callback.deferredMessage) m.flags = LOADING_FLAG;
      resource = this.#fake.post(m);
      state.originalId = resource.id;
    } else {
      state.originalId = state.sourceMessageId;
      const source = this.#fake.messages.get(state.sourceMessageId ?? '');
      if (type === Callback.update && source) resource = this.#fake.update(source, data);
    }
    if (!withResponse) return { status: 204 };
    return ok({
      interaction: {
        id: state.id,
        type: state.kind,
        response_message_id: resource?.id,
        response_message_loading: type === Callback.deferredMessage,
        response_message_ephemeral: false,
      },
      resource: { type, ...(resource ? { message: resource } : {}) },
    });
  }

  #responseMessage(state: InteractionState, content: string, components: unknown[]): ApiMessage {
    const m = message(state.channel, this.#fake.bot, content, components);
    m.webhook_id = this.#fake.applicationId;
    m.application_id = this.#fake.applicationId;
    m.interaction_metadata = { id: state.id, type: state.kind, user: state.user, authorizing_integration_owners: {} };
    if (state.kind === InteractionKind.command) m.type = CHAT_INPUT_COMMAND_MESSAGE;
    return m;
  }

  #followUp(state: InteractionState, body: MessageBody, wait: boolean): Reply {
    const problem = checkMessage(body, true);
    if (problem) return badRequest(problem);
    const m = this.#fake.post(this.#responseMessage(state, contentOf(body), componentsOf(body)));
    return wait ? ok(m) : { status: 204 };
  }

  #webhookMessage(state: InteractionState, method: string, which: string, body: MessageBody): Reply {
    const id = which === '@original' ? state.originalId : which;
    const m = id === undefined ? undefined : this.#fake.messages.get(id);
    if (!m || m.channel_id !== state.channel.id) return unknownMessage;
    switch (method) {
      case 'GET':
        return ok(m);
      case 'PATCH': {
        const problem = checkMessage(body, false);
        if (problem) return badRequest(problem);
        // Editing a deferred ("thinking…") response replaces the loading state with the message.
        return ok(this.#fake.update(m, { ...body, flags: m.flags & ~LOADING_FLAG }));
      }
      case 'DELETE':
        this.#fake.remove(m);
        return { status: 204 };
      default:
        return { status: 405, body: apiError(0, '405: Method Not Allowed') };
    }
  }
}

const contentOf = (body: MessageBody): string => (typeof body.content === 'string' ? body.content : '');
const componentsOf = (body: MessageBody): unknown[] =>
  Array.isArray(body.components) ? (body.components as unknown[]) : [];
