// Slack's external file upload, as the fake serves it: files.getUploadURLExternal (filename and length in, an
// upload URL and a file id out), a POST of the bytes to that URL (raw or multipart, as Slack takes both), then
// files.completeUploadExternal, which shares the files into a channel as a file_share message. Errors as Slack
// names them: invalid_arguments, missing_argument, file_not_found, channel_not_found.

import { randomBytes } from 'node:crypto';
import { fail, type ApiMethod, type ApiResult } from './web-api.ts';
import type { StoredFile, Workspace } from './workspace.ts';

const SCOPE = 'files:write';
const MIME: Record<string, string> = {
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  txt: 'text/plain',
};

/** Slack's answer for arguments it cannot use, with the reason where its own answers carry it. */
const invalid = (why: string): ApiResult =>
  fail('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${why}`] } });

/** Form bodies carry arrays as JSON strings, JSON bodies as arrays. */
function jsonArg(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** A file object as Slack returns it (the fields a client reads). */
function fileObject(f: StoredFile): Record<string, unknown> {
  const ext = /\.([^.]+)$/.exec(f.name)?.[1]?.toLowerCase() ?? '';
  return {
    id: f.id,
    created: f.created,
    timestamp: f.created,
    name: f.name,
    title: f.title,
    mimetype: MIME[ext] ?? 'application/octet-stream',
    filetype: ext || 'binary',
    user: f.user,
    size: f.data?.length ?? 0,
    mode: 'hosted',
    is_external: false,
    is_public: false,
    url_private: `https://files.slack.invalid/files-pri/${f.id}/${encodeURIComponent(f.name)}`,
    ims: f.sharedIn.filter((c) => c.startsWith('D')),
    channels: [],
    groups: [],
  };
}

export function fileMethods(ws: Workspace, uploadUrl: (ticket: string) => string): Record<string, ApiMethod> {
  return {
    'files.getUploadURLExternal': {
      tokens: ['bot'],
      scope: SCOPE,
      run: (args) => {
        if (typeof args.filename !== 'string' || args.filename === '')
          return invalid('missing required field: filename');
        if (args.length === undefined || args.length === '') return invalid('missing required field: length');
        const length = Number(args.length);
        if (!Number.isInteger(length)) return invalid('invalid type for field: length, expected integer');
        // Slack's own wording: "typically only occurs when the length provided is 0".
        if (length <= 0) return fail('missing_argument');
        const id = `F0${randomBytes(5).toString('hex').toUpperCase()}`;
        const ticket = randomBytes(12).toString('hex');
        ws.files.set(id, {
          id,
          name: args.filename,
          title: args.filename,
          declaredLength: length,
          user: ws.bot.userId,
          created: Math.floor(Date.now() / 1000),
          ticket,
          sharedIn: [],
        });
        return { ok: true, upload_url: uploadUrl(ticket), file_id: id };
      },
    },

    'files.completeUploadExternal': {
      tokens: ['bot'],
      scope: SCOPE,
      run: (args) => {
        if (args.files === undefined) return invalid('missing required field: files');
        const list = jsonArg(args.files);
        if (!Array.isArray(list) || list.length === 0) return invalid('invalid type for field: files, expected array');
        const wanted: { file: StoredFile; title?: string }[] = [];
        for (const entry of list as unknown[]) {
          const { id, title } = (entry ?? {}) as { id?: unknown; title?: unknown };
          if (typeof id !== 'string') return invalid('missing required field: files[].id');
          const file = ws.files.get(id);
          // A file whose bytes never reached the upload URL is not there to complete.
          if (!file?.data) return fail('file_not_found');
          wanted.push({ file, ...(typeof title === 'string' && title ? { title } : {}) });
        }
        const targets =
          typeof args.channel_id === 'string' && args.channel_id
            ? [args.channel_id]
            : typeof args.channels === 'string' && args.channels
              ? args.channels.split(',')
              : [];
        for (const channel of targets) if (!ws.ims.has(channel)) return fail('channel_not_found');
        for (const { file, title } of wanted) if (title) file.title = title;
        for (const channel of targets) {
          for (const { file } of wanted) file.sharedIn.push(channel);
          ws.store({
            type: 'message',
            subtype: 'file_share',
            channel,
            ts: ws.nextTs(),
            user: ws.bot.userId,
            bot_id: ws.bot.botId,
            text: typeof args.initial_comment === 'string' ? args.initial_comment : '',
            blocks: [],
            files: wanted.map(({ file }) => fileObject(file)),
          });
        }
        return { ok: true, files: wanted.map(({ file }) => ({ id: file.id, title: file.title })) };
      },
    },
  };
}

/**
 * A POST to an upload URL: the bytes as the body, or as the file part of a multipart form (what curl -F and the
 * official clients send). Answers as Slack's upload service does: 200 "OK - <bytes>", 404 for an unknown URL.
 */
export async function receiveUpload(
  ws: Workspace,
  ticket: string,
  contentType: string,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  const file = [...ws.files.values()].find((f) => f.ticket === ticket);
  if (!file) return { status: 404, text: 'not found' };
  let data = body;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } })
      .formData()
      .catch(() => undefined);
    const part = form && [...form.values()].find((v): v is File => typeof v !== 'string');
    if (!part) return { status: 400, text: 'no file in the form' };
    data = Buffer.from(await part.arrayBuffer());
  }
  file.data = data;
  return { status: 200, text: `OK - ${data.length}` };
}
