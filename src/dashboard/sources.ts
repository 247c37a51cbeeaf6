// What the dashboard reads and acts through: narrow slices of the store, the engine, memory and policies, plus
// providers the composition root wires when the parts exist (the scheduler's jobs, connector health). A missing
// provider shows as "not configured", never as an error.

import type { Engine } from '../engine/engine.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { ConnectorHealth } from '../ports/connector.ts';
import type { Store } from '../ports/store.ts';

/** One scheduled job as the scheduler sees it. */
export interface ScheduleStatus {
  name: string;
  /** How it repeats, in words or cron ("every 30 s", "0 8 * * 1-5"). */
  schedule?: string;
  nextRunAt?: Date;
  lastRunAt?: Date;
  /** How the last run ended: 'ok', 'failed', 'running'. */
  lastOutcome?: string;
  lastError?: string;
  /** How late the last (or the due) run started; computed from nextRunAt when absent. */
  lateMs?: number;
}

export interface DashboardSources {
  store: Pick<Store, 'events' | 'runs' | 'approvals' | 'settings'>;
  engine: Pick<Engine, 'signal' | 'now' | 'expireDue' | 'workflows'>;
  memory: Pick<
    MemoryService,
    'recall' | 'get' | 'getMany' | 'correct' | 'forget' | 'restore' | 'uncorrect' | 'entityName'
  >;
  policies: Pick<PolicyService, 'current' | 'locate'>;
  /** The scheduler's jobs; absent until a scheduler is wired. */
  schedules?: () => Promise<ScheduleStatus[]>;
  /** Each connector's health; absent until connectors are wired. */
  connectors?: () => Promise<ConnectorHealth[]>;
}

/** Who acts from the dashboard, as approvals and the event log record it. */
export const DASHBOARD_ACTOR = { by: 'web:operator', via: 'dashboard' } as const;
