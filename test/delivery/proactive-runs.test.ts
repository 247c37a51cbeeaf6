// A run nobody asked for just now (a lead that came in by mail) speaks like a digest: during quiet hours its cards
// are held, not sent and not dropped; once quiet hours are over the card arrives once and its buttons decide. A run
// the operator started answers at once, quiet hours or not. The whole app, with quiet hours all day.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { SoloApp } from '../../src/main.ts';
import { until } from '../scheduler/helpers.ts';
import { api, startTestApp, tempDir, type ApiMessage } from '../support/app.ts';

const asks = defineWorkflow({
  name: 'asks',
  version: 1,
  description: 'asks the operator, then says what was decided',
  input: z.object({ what: z.string() }),
  async run(ctx, input) {
    const outcome = await ctx.approval('ok', { card: { title: `Go ahead with ${input.what}?`, details: [] } });
    await ctx.say('said', `${input.what}: ${outcome.decision}`);
    return outcome.decision;
  },
});

const apps: SoloApp[] = [];
after(async () => {
  for (const app of apps) await app.stop();
});
const start = async (env: Record<string, string>): Promise<SoloApp> => {
  const app = await startTestApp(env, { workflows: [asks] });
  apps.push(app);
  return app;
};
const transcript = async (app: SoloApp): Promise<ApiMessage[]> =>
  (await api(app.url, 'GET', '/api/messages?tail=200')).body.messages ?? [];
const cards = async (app: SoloApp, what: string) =>
  (await transcript(app)).filter((m) => m.text.includes(`Go ahead with ${what}?`));

test('a proactive run is held through quiet hours and arrives once after them; an operator run is not held', async () => {
  const DATA_DIR = tempDir();
  const quiet = tempDir('solo-policies-');
  writeFileSync(
    join(quiet, 'quiet.yaml'),
    'quiet_hours:\n  all_day: [mon, tue, wed, thu, fri, sat, sun]\n  hold: [proactive]\n',
  );
  const first = await start({ DATA_DIR, POLICIES_DIR: quiet });
  const operator = { channel: 'web', chatId: 'operator' };

  await first.engine.start('asks', { what: 'the lead' }, { id: 'r-lead', origin: { ...operator, proactive: true } });
  await until(async () => (await first.delivery.held()) === 1, 'the card to be held');
  assert.equal((await first.store.runs.get('r-lead'))?.status, 'suspended');
  assert.deepEqual(await cards(first, 'the lead'), [], 'nothing is sent during quiet hours');

  await first.engine.start('asks', { what: 'my request' }, { id: 'r-mine', origin: operator });
  await until(async () => (await cards(first, 'my request')).length === 1, 'the operator’s own card');
  assert.equal(await first.delivery.held(), 1, 'only the proactive card is held');
  await first.stop();
  apps.splice(apps.indexOf(first), 1);

  // Quiet hours are over (the shipped policies): the held card goes out once, and its button decides.
  const second = await start({ DATA_DIR });
  await until(async () => (await cards(second, 'the lead')).length === 1, 'the held card to go out');
  await second.delivery.releaseHeld();
  const [card] = await cards(second, 'the lead');
  assert.equal((await cards(second, 'the lead')).length, 1, 'released once');
  const approve = card?.buttons.find((b) => b.label === 'Approve');
  assert.ok(approve, `an Approve button on ${card?.text}`);
  await api(second.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
  await until(async () => (await second.store.runs.get('r-lead'))?.status === 'completed', 'the run to finish');
  assert.ok((await transcript(second)).some((m) => m.text === 'the lead: approved'));
});
