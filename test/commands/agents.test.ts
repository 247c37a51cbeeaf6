// /agents, /promote and /costs without a model (they call none), and prompt versions added on disk while running.

import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { say, startTestApp, tempDir } from '../support/app.ts';

describe('agent commands without a model', () => {
  let app: SoloApp;
  let prompts: string;
  before(async () => {
    prompts = tempDir('solo-prompts-');
    cpSync(new URL('../../prompts', import.meta.url), prompts, { recursive: true });
    app = await startTestApp({ PROMPTS_DIR: prompts });
  });
  after(() => app.stop());

  test('/agents lists the agents and says they need a model to run', async () => {
    const [reply] = await say(app.url, '/agents');
    const text = reply?.text ?? '';
    assert.match(text, /^bookkeeping \d+\.\d+\.\d+ \((read|write)\) · prompt v1 of v1 — /m);
    assert.match(text, /^draft \d+\.\d+\.\d+ \(\w+\) · prompt v1 of v1 — /m);
    assert.match(text, /^router /m);
    assert.match(text, /\nNo model is configured, so they do not run yet: set OPENAI_MODEL/);
  });

  test('a prompt version saved while running shows in /agents once the watcher has read it', async () => {
    const catalog = await app.catalog();
    const reloaded = new Promise<void>((resolve) => {
      const off = catalog.onReload(() => {
        if (catalog.get('draft')?.prompts.has('v3')) {
          off();
          resolve();
        }
      });
    });
    writeFileSync(join(prompts, 'draft', 'v3.md'), 'You are the drafting agent, version three.\n\n{{memory}}\n');
    await reloaded;
    assert.match((await say(app.url, '/agents'))[0]?.text ?? '', /^draft .* · prompt v1 of v1, v3 — /m);
  });

  test('/promote works without a model, finds a version saved a moment ago, and switches back', async () => {
    writeFileSync(join(prompts, 'research', 'v7.md'), 'You are the research agent, version seven.\n');
    assert.equal(
      (await say(app.url, '/promote research v7'))[0]?.text,
      'research now uses prompt v7 (was v1). /promote research v1 switches back.',
    );
    assert.equal(await (await app.catalog()).activePrompt('research'), 'v7');
    assert.equal((await say(app.url, '/promote research v7'))[0]?.text, 'research already uses v7.');
    assert.equal(
      (await say(app.url, '/promote research v1'))[0]?.text,
      'research now uses prompt v1 (was v7). /promote research v7 switches back.',
    );
    assert.equal((await say(app.url, '/promote research v8'))[0]?.text, 'There is no prompts/research/v8.md.');
    assert.equal((await say(app.url, '/promote nobody v1'))[0]?.text, 'There is no nobody agent. /agents lists them.');
  });

  test('/compare does need a model and says so', async () => {
    assert.match((await say(app.url, '/compare draft v3'))[0]?.text ?? '', /^No model is configured/);
  });

  test('/costs takes days or a run id; anything else gets one helpful sentence', async () => {
    assert.equal(
      (await say(app.url, '/costs abc'))[0]?.text,
      'There is no run abc. Give a number of days (/costs 7) or a run id from /runs (/costs r2k9x7qm).',
    );
    assert.equal(
      (await say(app.url, '/costs 7 apples'))[0]?.text,
      'There is no run 7 apples. Give a number of days (/costs 7) or a run id from /runs (/costs r2k9x7qm).',
    );
    assert.equal((await say(app.url, '/costs 7'))[0]?.text, 'Last 7 days: no model calls.');
    assert.equal((await say(app.url, '/costs 7d'))[0]?.text, 'Last 7 days: no model calls.');
    assert.equal(
      (await say(app.url, '/costs 99999999999999999999'))[0]?.text,
      'Last 3650 days: no model calls.',
      'a huge number is capped at ten years',
    );
    const [card] = await say(app.url, '/invoice Initech 900');
    const runId = /Run (r\w+)/.exec(card?.text ?? '')?.[1];
    assert.ok(runId);
    assert.equal((await say(app.url, `/costs ${runId}`))[0]?.text, `Run ${runId} (invoice): no model calls.`);
  });
});

test('without a model, a broken agent file does not stop the start; /agents names the problem until it is fixed', async () => {
  const agents = tempDir('solo-agents-');
  cpSync(new URL('../../agents', import.meta.url), agents, { recursive: true });
  const file = join(agents, 'draft', 'agent.yaml');
  const good = readFileSync(file, 'utf8');
  writeFileSync(file, good.replace(/^class: \w+$/m, 'class: maybe'));
  const app = await startTestApp({ AGENTS_DIR: agents });
  try {
    assert.equal(
      (await say(app.url, '/agents'))[0]?.text,
      `The agent files have problems:\n- ${file}: class: expected read (inference only) or write (acts through approved workflow steps)`,
    );
    writeFileSync(file, good);
    assert.match((await say(app.url, '/agents'))[0]?.text ?? '', /^draft /m);
  } finally {
    await app.stop();
  }
});
