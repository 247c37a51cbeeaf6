// Checks that the web chat's port is free before anything is created on disk (the store, its folder), so a busy
// port ends the start with one sentence naming it and leaves nothing behind.

import { once } from 'node:events';
import { createServer } from 'node:net';
import { SoloError } from '../domain/errors.ts';

/** Another program already listens on the port. */
class PortInUseError extends SoloError {
  constructor(port: number, cause?: unknown) {
    super('port_in_use', `Port ${port} is already in use; stop the other program or set PORT to a free port.`, {
      cause,
    });
  }
}

/** Binds host:port for a moment and lets it go; rejects with PortInUseError when it is taken. Port 0 is always free. */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  probe.listen({ host, port, exclusive: true });
  try {
    await Promise.race([once(probe, 'listening'), once(probe, 'error').then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, err);
    throw err;
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
