// One scheduler contract for every Agenda backend: test/scheduler/sqlite.test.ts and mongo.test.ts run it. It covers
// what Agenda's own shared backend suites check (repository, Agenda integration, job processor, retry/backoff,
// debounce, removeOnComplete, job logger, notification channel, fork mode), plus several processes on one store.
// `skip` names tests a backend cannot prove, with the reason; they show as skipped, never as passed.

import { after, afterEach, before, describe, test } from 'node:test';
import type { AgendaBackend } from '../../adapters/scheduler/agenda/index.ts';
import { agendaContract } from './contract-agenda.ts';
import { debounceContract } from './contract-debounce.ts';
import { runningContract } from './contract-running.ts';
import { processContract } from './contract-processes.ts';
import { processorContract } from './contract-processor.ts';
import { repositoryContract } from './contract-repository.ts';
import type { ContractContext, SchedulerTarget } from './helpers.ts';

export type { SchedulerTarget } from './helpers.ts';

export function schedulerContract(name: string, target: SchedulerTarget): void {
  describe(`scheduler contract: ${name}`, () => {
    let backend: AgendaBackend;
    before(async () => {
      await target.setup?.();
      backend = await target.backend();
      await backend.connect();
    });
    afterEach(async () => {
      await backend.repository.purgeAllJobs();
    });
    after(async () => {
      await backend.disconnect();
      await target.teardown?.();
    });
    const ctx: ContractContext = {
      target,
      it: (title, fn) => {
        const reason = target.skip?.[title];
        void test(title, reason ? { skip: reason } : {}, fn);
      },
      shared: () => backend,
    };
    describe('job repository', () => repositoryContract(ctx));
    describe('Agenda API on the backend', () => agendaContract(ctx));
    describe('running jobs', () => runningContract(ctx));
    describe('job processor, retries, removeOnComplete', () => processorContract(ctx));
    describe('debounce and the job logger', () => debounceContract(ctx));
    describe('several instances and processes', () => processContract(ctx));
  });
}
