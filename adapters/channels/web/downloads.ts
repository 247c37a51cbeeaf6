// Files the web chat hands the operator (an /export): kept in memory for an hour under an unguessable id and served
// at GET /api/files/<id>/<name>, behind the same checks as the rest of the API (token, no cross-site requests).

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { OutboundFile } from '../../../src/ports/channel.ts';

const DOWNLOAD_TTL_MS = 60 * 60 * 1000;
/** What the kept files may take together; the oldest go first beyond it. */
const MAX_BYTES = 64 * 1024 * 1024;
export const FILES_PATH = /^\/api\/files\/([A-Za-z0-9_-]{22})\/([^/]+)$/;

interface Kept extends OutboundFile {
  expires: number;
}

export class Downloads {
  readonly #files = new Map<string, Kept>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps the file; returns its path on the chat's server. */
  keep(file: OutboundFile): string {
    this.#prune(file.data.length);
    const id = randomBytes(16).toString('base64url');
    this.#files.set(id, { ...file, expires: this.#now() + DOWNLOAD_TTL_MS });
    return `/api/files/${id}/${encodeURIComponent(file.name)}`;
  }

  /** Answers a GET of a kept file; false when there is no such file (expired, or never kept). */
  serve(id: string, res: ServerResponse): boolean {
    this.#prune(0);
    const file = this.#files.get(id);
    if (!file) return false;
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.data.length,
      'content-disposition': `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(file.data);
    return true;
  }

  #prune(incoming: number): void {
    const now = this.#now();
    let total = incoming;
    for (const [id, f] of this.#files) if (f.expires <= now) this.#files.delete(id);
    for (const f of this.#files.values()) total += f.data.length;
    for (const [id, f] of this.#files) {
      if (total <= MAX_BYTES) break;
      this.#files.delete(id);
      total -= f.data.length;
    }
  }
}
