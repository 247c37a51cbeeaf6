#!/usr/bin/env node
// Entry point. Plain JavaScript so that an old Node gets one clear sentence instead of a syntax error;
// the rest is TypeScript that Node 24 runs directly (type stripping, no build step).
import { createRequire } from 'node:module';

createRequire(import.meta.url)('../scripts/check-node.cjs');
const { main } = await import('../src/cli.ts');
await main(process.argv.slice(2));
