// Test wrapper around the real embedding worker: a batch that contains "__crash__" ends the thread mid-batch, the
// way a native crash or an out-of-memory would. Everything else is the real worker.

import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (msg: { texts?: string[] }) => {
  if (msg.texts?.includes('__crash__')) process.exit(70);
});
await import('../../src/memory/embed-worker.ts');
