// CPU profiles of one thread for the benches' --profile option: the V8 sampling profiler through the inspector,
// written as .cpuprofile files (Chrome DevTools, speedscope).

import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';

/** Starts the profiler on the calling thread; the returned function stops it and writes the profile to `file`. */
export async function startProfile(intervalUs = 250): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  (CPU profile: ${file})`);
  };
}
