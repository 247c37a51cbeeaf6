// The state and methods of the fake Bot API: the update queue with long polling, the chats' messages, the command
// menu, callback queries and the webhook setting. Methods take the request's parameters (JSON or form values) and
// return a result or throw an ApiError, which the server turns into Telegram's error body.

import { EntityParseError, parseHtml, type MessageEntity } from './html.ts';

export class ApiError extends Error {
  readonly code: number;
  readonly description: string;
  readonly parameters: { retry_after?: number } | undefined;
  constructor(code: number, description: string, parameters?: { retry_after?: number }) {
    super(description);
    this.code = code;
    this.description = description;
    this.parameters = parameters;
  }
}

export type Params = Record<string, unknown>;
export interface User {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}
export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data?: string }[][];
}
export interface Message {
  message_id: number;
  date: number;
  chat: { id: number; type: string };
  from?: User;
  text: string;
  entities?: MessageEntity[];
  reply_markup?: InlineKeyboard;
  /** A sent document (its `text` is then empty here; Telegram leaves it out). */
  document?: { file_id: string; file_name: string; file_size: number };
  caption?: string;
}
export type Update = { update_id: number } & Record<string, unknown>;

const MAX_TEXT = 4096;
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const bad = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);

function int(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw bad(`invalid ${name} specified`);
  return n;
}
/** Form bodies carry objects as JSON strings; JSON bodies carry them as they are. */
function json(p: Params, name: string): unknown {
  const v = p[name];
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw bad(`can't parse ${name} JSON object`);
  }
}
function str(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function keyboard(p: Params): InlineKeyboard | undefined {
  const markup = json(p, 'reply_markup') as { inline_keyboard?: unknown } | undefined;
  if (markup === undefined) return undefined;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r)))
    throw bad("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays");
  for (const b of rows.flat() as { text?: unknown; callback_data?: unknown }[]) {
    if (typeof b.text !== 'string' || b.text === '') throw bad('text buttons are unallowed in the inline keyboard');
    if (typeof b.callback_data !== 'string' || b.callback_data === '' || Buffer.byteLength(b.callback_data) > 64)
      throw bad('BUTTON_DATA_INVALID');
  }
  return markup as InlineKeyboard;
}

export class BotApi {
  readonly me: User;
  /** Bot messages by `${chatId}:${messageId}`, as the chat shows them now. */
  readonly messages = new Map<string, Message>();
  /** Documents the bot sent (sendDocument), in order. */
  readonly documents: { chatId: number; filename: string; data: Buffer; caption?: string }[] = [];
  commands: { command: string; description: string }[] = [];
  webhook: { url: string; secretToken?: string } | undefined;
  readonly answeredCallbacks: { id: string; text?: string }[] = [];
  #nextUpdateId = 100_000;
  #nextCallbackId = 1;
  #pending: Update[] = [];
  #allowed: string[] = [];
  /** The getUpdates request being held open, if any. */
  #poll: { wake: () => void; conflict: () => void } | undefined;
  readonly #lastMessageId = new Map<number, number>();
  readonly #openCallbacks = new Set<string>();

  constructor(me: User) {
    this.me = me;
  }

  // ---- what a user does -------------------------------------------------------------------------------------
  /** A user writes in a private chat with the bot (chat id = user id, as Telegram does). */
  userSends(from: User, text: string): Update {
    const message: Message = {
      message_id: this.#messageId(from.id),
      date: now(),
      chat: { id: from.id, type: 'private' },
      from,
      text,
    };
    return this.inject({ message });
  }

  /** A user taps an inline button of a bot message; the button must exist, as on a real client. */
  userTaps(from: User, ref: { chatId: number; messageId: number }, data: string): Update {
    const message = this.messages.get(`${ref.chatId}:${ref.messageId}`);
    if (!message?.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === data)) {
      throw new Error(`message ${ref.chatId}:${ref.messageId} has no button with data ${data}`);
    }
    const id = String(this.#nextCallbackId++);
    this.#openCallbacks.add(id);
    return this.inject({ callback_query: { id, from, message, chat_instance: String(ref.chatId), data } });
  }

  /** Any update, as given (tests use this for malformed ones); a `callback_query.id` is accepted for answering. */
  inject(update: Record<string, unknown>): Update {
    const full: Update = { update_id: this.#nextUpdateId++, ...update };
    const query = update.callback_query as { id?: unknown } | undefined;
    if (typeof query?.id === 'string') this.#openCallbacks.add(query.id);
    this.#pending.push(full);
    this.#poll?.wake();
    return full;
  }

  /** Ends a held long poll (the server is shutting down). */
  close(): void {
    this.#poll?.wake();
  }

  // ---- Bot API methods ----------------------------------------------------------------------------------------
  readonly methods: Record<string, (p: Params, signal: AbortSignal) => unknown> = {
    getMe: () => this.me,
    getUpdates: (p, signal) => this.#getUpdates(p, signal),
    deleteWebhook: (p) => {
      this.webhook = undefined;
      if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') this.#pending = [];
      return true;
    },
    setWebhook: (p) => {
      const url = str(p, 'url') ?? '';
      if (!url.startsWith('https://')) throw bad('bad webhook: An HTTPS URL must be provided for webhook');
      const secretToken = str(p, 'secret_token');
      if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken))
        throw bad('secret token contains unallowed characters');
      this.webhook = secretToken === undefined ? { url } : { url, secretToken };
      this.#setAllowed(p);
      return true;
    },
    setMyCommands: (p) => {
      const list = json(p, 'commands');
      if (!Array.isArray(list) || list.length > 100) throw bad('BOT_COMMANDS_TOO_MUCH');
      for (const c of list as { command?: unknown; description?: unknown }[]) {
        if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw bad('BOT_COMMAND_INVALID');
        if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256)
          throw bad('BOT_COMMAND_DESCRIPTION_INVALID');
      }
      this.commands = (list as { command: string; description: string }[]).map(({ command, description }) => ({
        command,
        description,
      }));
      return true;
    },
    getMyCommands: () => this.commands,
    sendMessage: (p) => {
      const chatId = this.#knownChat(p);
      const { text, entities } = this.#text(p);
      const markup = keyboard(p);
      const message: Message = {
        message_id: this.#messageId(chatId),
        date: now(),
        chat: { id: chatId, type: 'private' },
        from: this.me,
        text,
      };
      if (entities.length > 0) message.entities = entities;
      if (markup) message.reply_markup = markup;
      this.messages.set(`${chatId}:${message.message_id}`, message);
      return message;
    },
    editMessageText: (p) => {
      const chatId = this.#knownChat(p);
      const key = `${chatId}:${int(p, 'message_id') ?? 0}`;
      const old = this.messages.get(key);
      if (!old) throw bad('message to edit not found');
      const { text, entities } = this.#text(p);
      const markup = keyboard(p);
      const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
      if (old.text === text && same(old.entities ?? [], entities) && same(old.reply_markup, markup)) {
        throw bad(
          'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        );
      }
      // Without reply_markup an edit removes the inline keyboard, as in Telegram.
      const edited: Message = { message_id: old.message_id, date: old.date, chat: old.chat, from: this.me, text };
      if (entities.length > 0) edited.entities = entities;
      if (markup) edited.reply_markup = markup;
      this.messages.set(key, edited);
      return edited;
    },
    answerCallbackQuery: (p) => {
      const id = str(p, 'callback_query_id') ?? '';
      if (!this.#openCallbacks.delete(id))
        throw bad('query is too old and response timeout expired or query ID is invalid');
      const text = str(p, 'text');
      if (text !== undefined && text.length > 200) throw bad('MESSAGE_TOO_LONG');
      this.answeredCallbacks.push(text === undefined ? { id } : { id, text });
      return true;
    },
    sendDocument: (p) => {
      const chatId = this.#knownChat(p);
      const file = p['document'] as { filename?: unknown; data?: unknown } | undefined;
      if (!file || typeof file.filename !== 'string' || !Buffer.isBuffer(file.data))
        throw bad('there is no document in the request');
      if (file.data.length === 0) throw bad('file must be non-empty');
      const caption = str(p, 'caption');
      if (caption !== undefined && caption.length > 1024) throw bad('message caption is too long');
      const message: Message = {
        message_id: this.#messageId(chatId),
        date: now(),
        chat: { id: chatId, type: 'private' },
        from: this.me,
        text: '',
        document: { file_id: `doc${this.documents.length + 1}`, file_name: file.filename, file_size: file.data.length },
        ...(caption === undefined ? {} : { caption }),
      };
      this.documents.push({
        chatId,
        filename: file.filename,
        data: file.data,
        ...(caption === undefined ? {} : { caption }),
      });
      this.messages.set(`${chatId}:${message.message_id}`, message);
      return message;
    },
    sendChatAction: (p) => {
      this.#knownChat(p);
      if (!CHAT_ACTIONS.has(str(p, 'action') ?? '')) throw bad('wrong parameter action in request');
      return true;
    },
  };

  /** Long polling: confirms updates below `offset`, then answers at once or holds the request up to `timeout` s. */
  async #getUpdates(p: Params, signal: AbortSignal): Promise<Update[]> {
    if (this.webhook)
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    const offset = int(p, 'offset') ?? 0;
    const limit = Math.min(Math.max(int(p, 'limit') ?? 100, 1), 100);
    const timeout = Math.max(int(p, 'timeout') ?? 0, 0);
    this.#setAllowed(p);
    if (offset > 0) this.#pending = this.#pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.#pending = this.#pending.slice(offset);
    // Telegram drops the kinds the bot did not ask for.
    this.#pending = this.#pending.filter((u) => this.#allowed.length === 0 || this.#allowed.includes(kindOf(u)));
    this.#poll?.conflict();
    if (this.#pending.length === 0 && timeout > 0 && !signal.aborted) await this.#hold(timeout, signal);
    return this.#pending.slice(0, limit);
  }

  #hold(seconds: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#poll === poll) this.#poll = undefined;
      };
      const poll = {
        wake: () => (done(), resolve()),
        conflict: () => (
          done(),
          reject(
            new ApiError(
              409,
              'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
            ),
          )
        ),
      };
      const timer = setTimeout(poll.wake, seconds * 1000);
      signal.addEventListener('abort', poll.wake);
      this.#poll = poll;
    });
  }

  #setAllowed(p: Params): void {
    const allowed = json(p, 'allowed_updates');
    if (Array.isArray(allowed)) this.#allowed = allowed.map(String);
  }

  #knownChat(p: Params): number {
    const id = int(p, 'chat_id');
    if (id === undefined) throw bad('chat_id is empty');
    if (!this.#lastMessageId.has(id)) throw bad('chat not found');
    return id;
  }

  #text(p: Params): { text: string; entities: MessageEntity[] } {
    const raw = str(p, 'text') ?? '';
    const mode = str(p, 'parse_mode');
    let parsed: { text: string; entities: MessageEntity[] };
    if (mode === undefined || mode === '') parsed = { text: raw, entities: [] };
    else if (mode.toLowerCase() !== 'html') throw bad('unsupported parse_mode');
    else {
      try {
        parsed = parseHtml(raw);
      } catch (err) {
        if (err instanceof EntityParseError) throw bad(`can't parse entities: ${err.message}`);
        throw err;
      }
    }
    if (parsed.text.trim() === '') throw bad('message text is empty');
    if (parsed.text.length > MAX_TEXT) throw bad('message is too long');
    return parsed;
  }

  #messageId(chatId: number): number {
    const next = (this.#lastMessageId.get(chatId) ?? 0) + 1;
    this.#lastMessageId.set(chatId, next);
    return next;
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
const kindOf = (u: Update): string => Object.keys(u).find((k) => k !== 'update_id') ?? '';
