// Schema versions, shared by both stores. Each part of a store (events, settings, memories, runs, ledger) carries
// its own version, so that changes to one part (say, new invoice fields) are ordered migrations of that part alone.
// A store is brought forward at start; one written by a newer Solo OS is refused, never guessed at.

import { StoreError } from '../../src/domain/errors.ts';

/** The parts of a store that carry a version. */
export const DOMAINS = ['events', 'settings', 'memories', 'runs', 'ledger'] as const;
export type Domain = (typeof DOMAINS)[number];
export type Versions = Record<Domain, number>;

/**
 * One step forward for one part: from `to - 1` to `to`. Steps are frozen once released (they describe what that
 * version was, not what the code is now); a change adds a step. `what` says in a few words what it changed.
 */
export interface Migration<Target, Result = void> {
  domain: Domain;
  to: number;
  what: string;
  up(target: Target): Result;
}

export interface AppliedStep {
  domain: Domain;
  from: number;
  to: number;
  what: string;
}

/** What opening a store did to its schema. */
export interface SchemaReport {
  /** The store was empty: every part was created at its current version. */
  created: boolean;
  /** Steps applied, in order (parts created from nothing appear as one step from 0). */
  applied: AppliedStep[];
  /** The versions it found (0: that part did not exist yet). */
  found: Versions;
  versions: Versions;
}

/** The versions every part must end at: the highest `to` among its steps, or 1 for a part without steps. */
function latestVersions(migrations: readonly { domain: Domain; to: number }[]): Versions {
  const latest = Object.fromEntries(DOMAINS.map((d) => [d, 1])) as Versions;
  for (const m of migrations) latest[m.domain] = Math.max(latest[m.domain], m.to);
  return latest;
}

/**
 * The steps that bring `found` to `latest`, in order. A part at 0 is created at its latest version (one step, no
 * history to replay). Throws the one-sentence refusal when any part is newer than this code knows, or names a part
 * it does not know at all.
 */
export function plan<M extends { domain: Domain; to: number }>(
  found: Partial<Record<string, number>>,
  migrations: readonly M[],
  create: (domain: Domain, version: number) => M,
  where: string,
): M[] {
  const latest = latestVersions(migrations);
  for (const [domain, version] of Object.entries(found)) {
    const known = (DOMAINS as readonly string[]).includes(domain) ? latest[domain as Domain] : undefined;
    if (known === undefined || (version ?? 0) > known) {
      const what =
        known === undefined
          ? `a part this version does not know ("${domain}")`
          : `${domain} schema ${version}; this version knows up to ${known}`;
      throw new StoreError(
        'store_too_new',
        `The store ${where} was written by a newer version of Solo OS (${what}); run that version again, or restore a backup made by this one.`,
      );
    }
  }
  const steps: M[] = [];
  for (const domain of DOMAINS) {
    const from = found[domain] ?? 0;
    if (from === 0) {
      steps.push(create(domain, latest[domain]));
      continue;
    }
    for (let to = from + 1; to <= latest[domain]; to++) {
      const step = migrations.find((m) => m.domain === domain && m.to === to);
      if (!step) throw new Error(`no migration brings ${domain} from ${to - 1} to ${to}`);
      steps.push(step);
    }
  }
  return steps;
}

/** "memories 1→2 (notes became memories), runs 1→2 (run leases)" for a log line or the command line. */
function describeSteps(applied: readonly AppliedStep[]): string {
  return applied.map((s) => `${s.domain} ${s.from}→${s.to} (${s.what})`).join(', ');
}

/** The log line for a report, or undefined when nothing changed. */
export function reportLine(report: SchemaReport, where: string): string | undefined {
  if (report.created) return `created a new store at ${where}`;
  if (report.applied.length === 0) return undefined;
  return `migrated the store at ${where}: ${describeSteps(report.applied)}`;
}
