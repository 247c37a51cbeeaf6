// TEST-ONLY helper: starts CongoDB, the MongoDB wire-protocol *emulator* shipped inside
// @push.rocks/smartmongo@2.2.0. It is not MongoDB; see README.md for what it cannot prove.
//
//   import { startEmulator } from './test/mongo-emulator/start.mjs';
//   const { uri, stop } = await startEmulator();      // free loopback port
//   ... new MongoClient(uri) ...
//   await stop();
//
//   node test/mongo-emulator/start.mjs [--port N] [--db NAME]   # prints the URI, stops on SIGINT/SIGTERM
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { congodb } from '@push.rocks/smartmongo';

const HOST = '127.0.0.1';
export const DEFAULT_DB_NAME = 'solo_os_test';

/** Ask the kernel for a free loopback port (used only if the server cannot report its own). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The driver's default (streaming) server monitor sends exhaust `hello` (moreToCome), which CongoDB
// does not support: ~10 s after connecting every heartbeat fails ("Server ended moreToCome
// unexpectedly"), the connection pool is cleared and in-flight operations can fail with
// MongoPoolClearedError. Polling monitoring avoids that, so the URI carries it.
export const URI_OPTIONS = 'serverMonitoringMode=poll';

/**
 * Start one in-memory CongoDB emulator on 127.0.0.1.
 * @param {{ port?: number, dbName?: string }} [opts]
 * @returns {Promise<{ uri: string, port: number, dbName: string, server: any, stop: () => Promise<void> }>}
 */
export async function startEmulator({ port, dbName = DEFAULT_DB_NAME } = {}) {
  let server;
  if (port) {
    server = new congodb.CongoServer({ port, host: HOST });
    await server.start();
  } else {
    // Listen on port 0 (no race) and read the real port from the net.Server inside CongoServer.
    server = new congodb.CongoServer({ port: 0, host: HOST });
    await server.start();
    const addr = server.server?.address?.();
    if (addr && typeof addr === 'object' && addr.port) {
      port = addr.port;
    } else {
      // Internal field not available (other smartmongo version): fall back to a pre-picked port.
      await server.stop();
      port = await freePort();
      server = new congodb.CongoServer({ port, host: HOST });
      await server.start();
    }
  }
  let stopped = false;
  return {
    uri: `mongodb://${HOST}:${port}/${dbName}?${URI_OPTIONS}`,
    port,
    dbName,
    server,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

// CLI: node test/mongo-emulator/start.mjs [--port N] [--db NAME]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = arg('--port') ? Number(arg('--port')) : undefined;
  const dbName = arg('--db') ?? DEFAULT_DB_NAME;
  const emu = await startEmulator({ port, dbName });
  console.log(emu.uri);
  const shutdown = async (signal) => {
    await emu.stop();
    console.error(`CongoDB emulator stopped (${signal})`);
    process.exit(0);
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
