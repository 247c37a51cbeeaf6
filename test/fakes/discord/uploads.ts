// Messages with files, as Discord takes them: multipart/form-data with the message JSON in `payload_json` and each
// file in a `files[n]` part. A file over the upload limit (10 MiB for a bot outside boosted servers) is refused
// with 413 and code 40005. Attachments come back with filename, size, content_type and a URL the fake serves.

import { apiError, snowflake, type Reply } from './model.ts';

/** Discord's default upload limit per file (also the `attachment_size_limit` interactions carry). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export interface Upload {
  /** The n of `files[n]`, which `payload_json.attachments[].id` refers to. */
  index: number;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface ApiAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
}

const invalidBody: Reply = { status: 400, body: apiError(50109, 'The request body contains invalid JSON.') };

/** The JSON payload and the files of a multipart body; `refused` is Discord's answer when it will not take them. */
export async function readMultipart(
  contentType: string,
  raw: Buffer,
  limit = MAX_UPLOAD_BYTES,
): Promise<{ payload: unknown; files: Upload[]; refused?: Reply }> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } })
    .formData()
    .catch(() => undefined);
  if (!form) return { payload: undefined, files: [], refused: invalidBody };
  const files: Upload[] = [];
  let payload: unknown;
  let refused: Reply | undefined;
  for (const [name, value] of form.entries()) {
    if (name === 'payload_json' && typeof value === 'string') {
      try {
        payload = JSON.parse(value) as unknown;
      } catch {
        refused = invalidBody;
      }
      continue;
    }
    const index = /^files\[(\d+)\]$/.exec(name)?.[1];
    if (index === undefined || typeof value === 'string') continue;
    files.push({
      index: Number(index),
      filename: value.name,
      contentType: value.type,
      data: Buffer.from(await value.arrayBuffer()),
    });
  }
  if (files.some((f) => f.data.length > limit))
    refused = { status: 413, body: apiError(40005, 'Request entity too large') };
  return { payload, files, ...(refused ? { refused } : {}) };
}

/** An attachment as Discord returns it; `attachments[]` in the payload may rename a file. */
export function attachment(base: string, channelId: string, upload: Upload, payload: unknown): ApiAttachment {
  const listed = (payload as { attachments?: { id?: unknown; filename?: unknown }[] } | undefined)?.attachments;
  const entry = Array.isArray(listed) ? listed.find((a) => String(a.id) === String(upload.index)) : undefined;
  const filename = typeof entry?.filename === 'string' && entry.filename ? entry.filename : upload.filename;
  const id = snowflake();
  const url = `${base}/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
  return {
    id,
    filename,
    size: upload.data.length,
    url,
    proxy_url: url,
    content_type: upload.contentType || 'application/octet-stream',
  };
}
