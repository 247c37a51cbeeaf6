// Test wrapper around the real embedding worker: a batch that contains "__crash__" ends it mid-batch (thread or
// process), the way a native crash or running out of memory would. Everything else is the real worker.

import { parentPort } from 'node:worker_threads';

const crashOn = (msg: { texts?: string[] }) => {
  if (msg.texts?.includes('__crash__')) process.exit(70);
};
if (parentPort) parentPort.on('message', crashOn);
else process.on('message', crashOn);
await import('../../adapters/embedding/transformers/worker.ts');
