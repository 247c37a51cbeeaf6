// The fixture stores written by earlier schema versions (scripts/store-fixtures.ts), and what each holds.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Versions } from '../../adapters/stores/schema.ts';

export interface Era {
  name: string;
  /** The versions the store is at before migrating. */
  found: Versions;
  /** The steps migrating it applies, as "domain from→to". */
  steps: string[];
  /** It kept 0.1's notes (4, the second forgotten) rather than memories. */
  notes: boolean;
  engine: boolean;
  leases: boolean;
}

export const ERAS: Era[] = [
  {
    name: '0.1',
    found: { events: 1, settings: 1, memories: 1, runs: 0, ledger: 0 },
    steps: ['memories 1→2', 'runs 0→2', 'ledger 0→1'],
    notes: true,
    engine: false,
    leases: false,
  },
  {
    name: 'engine',
    found: { events: 1, settings: 1, memories: 1, runs: 1, ledger: 1 },
    steps: ['memories 1→2', 'runs 1→2'],
    notes: true,
    engine: true,
    leases: false,
  },
  {
    name: 'memories',
    found: { events: 1, settings: 1, memories: 2, runs: 1, ledger: 1 },
    steps: ['runs 1→2'],
    notes: false,
    engine: true,
    leases: false,
  },
  {
    name: 'leases',
    found: { events: 1, settings: 1, memories: 2, runs: 2, ledger: 1 },
    steps: [],
    notes: false,
    engine: true,
    leases: true,
  },
];

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** A fresh data folder holding the era's SQLite fixture as solo.db. */
export function sqliteFixture(era: string): string {
  const dir = mkdtempSync(join(tmpdir(), `solo-fixture-${era}-`));
  writeFileSync(join(dir, 'solo.db'), gunzipSync(readFileSync(new URL(`sqlite-${era}.db.gz`, FIXTURES))));
  return dir;
}

/** The era's MongoDB fixture: collection name → documents, as canonical Extended JSON text. */
export function mongoFixtureText(era: string): string {
  return readFileSync(new URL(`mongo-${era}.json`, FIXTURES), 'utf8');
}
