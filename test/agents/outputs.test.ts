// Agent answers are typed by the code's schemas: an agent file whose output schema lacks a field the code reads is
// refused at load with one sentence, and a null the model writes for an optional field reads as absent.

import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadAgent } from '../../src/agents/definition.ts';
import { AGENT_OUTPUTS, missingOutputFields } from '../../src/agents/outputs.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import { tempDir } from '../support/app.ts';

describe('agent outputs', () => {
  test('the shipped agent files carry every field the code reads', async () => {
    const agentsDir = new URL('../../agents', import.meta.url).pathname;
    const promptsDir = new URL('../../prompts', import.meta.url).pathname;
    for (const agent of Object.keys(AGENT_OUTPUTS))
      assert.equal((await loadAgent(agentsDir, promptsDir, agent)).name, agent);
    assert.deepEqual(missingOutputFields('draft', { properties: { subject: {}, body: {} } }), ['to']);
    assert.deepEqual(missingOutputFields('someone-else', {}), [], 'agents the code does not read are free');
  });

  test('an agent file without a field the code reads is one sentence at load', async () => {
    const agents = tempDir('solo-agents-');
    const prompts = tempDir('solo-prompts-');
    cpSync(new URL('../../agents/draft', import.meta.url), join(agents, 'draft'), { recursive: true });
    cpSync(new URL('../../prompts/draft', import.meta.url), join(prompts, 'draft'), { recursive: true });
    const file = join(agents, 'draft', 'agent.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n\s+subject: \{ type: string \}/, ''));
    await assert.rejects(
      loadAgent(agents, prompts, 'draft'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /Solo OS reads subject from the draft agent's answer; add it to output\.properties/.test(
          err.problems.join('\n'),
        ),
    );
  });

  test('a null for an optional field reads as absent; a missing required field is refused', () => {
    const read = AGENT_OUTPUTS.router.parse({ action: 'reply', understood: 'a greeting', reply: 'Hi', client: null });
    assert.equal(read.client, undefined);
    assert.equal(read.reply, 'Hi');
    assert.equal(AGENT_OUTPUTS.draft.safeParse({ subject: 'Hello' }).success, false);
  });
});
