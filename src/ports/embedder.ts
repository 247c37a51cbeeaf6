// The embedder port: local sentence embeddings for memory. Implemented on transformers.js in
// adapters/embedding/transformers/; memory keeps to keyword recall when it is off or unavailable.

import { SoloError } from '../domain/errors.ts';

export type EmbedderState = 'off' | 'idle' | 'loading' | 'downloading' | 'ready' | 'unavailable';

export interface EmbedderStatus {
  state: EmbedderState;
  model: string;
  dims?: number;
  reason?: string;
  /** Download progress in percent while `downloading`. */
  progress?: number;
}

export interface Embedder {
  readonly model: string;
  status(): EmbedderStatus;
  /** Resolves with one L2-normalised vector per text. 'query' jumps ahead of queued 'background' work. Rejects with a clear error when the model is unavailable. */
  embed(
    texts: string[],
    options?: { priority?: 'query' | 'background'; signal?: AbortSignal },
  ): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** An embedding request failed; `code` says why: embedder_off, embedder_unavailable, embedder_crashed, embedder_closed, embed_failed. */
export class EmbedderError extends SoloError {}
