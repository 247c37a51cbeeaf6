// /export on Slack: the real Bolt client uploads each file with filesUploadV2 against the fake Slack (upload URL,
// files.completeUploadExternal into the operator's DM), the bytes read back equal what the store holds; without
// the files:write scope the export arrives as text with one sentence saying what to fix. Also the fake's own
// argument checks for the two file methods.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlackChannel } from '../../adapters/channels/slack/index.ts';
import { exportCommands } from '../../src/commands/export.ts';
import type { FakeSlack } from '../fakes/slack/server.ts';
import type { StoredMessage } from '../fakes/slack/workspace.ts';
import { memoriesFromMarkdown, parseCsv } from '../support/export-parse.ts';
import { OPERATOR, useSlack, type Core } from '../support/slack-core.ts';

describe('/export on Slack', () => {
  let fake: FakeSlack;
  let core: Core;
  let operatorDm: string;
  useSlack(
    (f, c) =>
      new SlackChannel({
        botToken: f.workspace.botToken,
        appToken: f.workspace.appToken,
        apiUrl: f.apiUrl,
        logger: c.logger,
      }),
    (rig) => ({ fake, core, operatorDm } = rig),
    (registry, store) =>
      registry.add(exportCommands({ memories: store.memories, copy: store.copy, now: () => new Date() })),
  );

  const slash = async (text: string) => {
    const payload = fake.workspace.slashCommand(OPERATOR, '/solo', text);
    await fake.socket.send('slash_commands', payload).acked;
    return core.recorder.done(`command:${payload.trigger_id}`);
  };
  /** What the DM gained while `run` ran. */
  const during = async (run: () => Promise<unknown>): Promise<StoredMessage[]> => {
    const before = fake.history(operatorDm).length;
    await run();
    return fake.history(operatorDm).slice(before);
  };
  const api = async (method: string, args: Record<string, string>) => {
    const res = await fetch(`${fake.apiUrl}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.workspace.botToken}` },
      body: new URLSearchParams(args),
    });
    return (await res.json()) as { ok: boolean; error?: string; upload_url?: string; file_id?: string };
  };

  test('/export shares memories (Markdown) and invoices (CSV) as files whose bytes are the store’s, said once each', async () => {
    const { store } = core;
    await store.memories.add({ text: 'Acme Corp pays net 30', kind: 'fact', source: { channel: 'slack' } });
    await store.memories.add({
      text: 'Jane Doe prefers calls before 10am',
      kind: 'fact',
      source: { channel: 'slack' },
    });
    await store.ledger.recordInvoice({
      client: 'Acme, Inc.',
      amountMinor: 120_050,
      currency: 'EUR',
      description: 'Design "phase 1"',
      runId: 'r-slack',
      idempotencyKey: 'r-slack:record',
    });

    const added = await during(() => slash('export'));

    const shares = added.filter((m) => m.subtype === 'file_share');
    assert.equal(shares.length, 2, 'one file_share message per file');
    assert.equal(fake.uploads.length, 2, 'each file’s bytes were posted once');
    assert.equal(fake.callsTo('files.completeUploadExternal').length, 2);
    for (const call of fake.callsTo('files.completeUploadExternal')) assert.equal(call.args.channel_id, operatorDm);
    const [md, csv] = shares.map((m) => {
      const file = m.files?.[0] as { id: string; name: string; size: number };
      const data = fake.fileContent(file.id);
      assert.ok(data, `the bytes of ${file.name}`);
      assert.equal(file.size, data.length);
      assert.equal(
        fake.workspace.files.get(file.id)?.declaredLength,
        data.length,
        'the length announced is the length sent',
      );
      return { name: file.name, text: data.toString('utf8') };
    });
    assert.match(md?.name ?? '', /^memories-\d{4}-\d\d-\d\d\.md$/);
    assert.match(csv?.name ?? '', /^invoices-\d{4}-\d\d-\d\d\.csv$/);

    const memories = await store.memories.scan(undefined, 100);
    assert.deepEqual(
      memoriesFromMarkdown(md?.text ?? ''),
      memories.map((m) => ({ id: m.id, text: m.text })),
    );
    const [header, ...rows] = parseCsv(csv?.text ?? '');
    assert.deepEqual(header?.slice(0, 8), [
      'number',
      'date',
      'client',
      'description',
      'amount',
      'currency',
      'status',
      'run',
    ]);
    const invoices = (await store.copy.read('invoices', undefined, 100)).records;
    assert.deepEqual(
      rows.map((r) => r.slice(2, 8)),
      invoices.map((i) => [i.client, i.description, (i.amountMinor / 100).toFixed(2), i.currency, i.status, i.runId]),
    );

    const said = added.filter((m) => m.subtype === undefined).map((m) => m.text);
    assert.equal(said.length, 2, `two messages besides the files: ${JSON.stringify(said)}`);
    assert.match(said[0] ?? '', /^Sent memories-.*\.md \(2 memories, \d+ bytes\)\.$/);
    assert.match(said[1] ?? '', /^Sent invoices-.*\.csv \(1 invoice, \d+ bytes\)\.$/);
    const first = added.findIndex((m) => m.subtype === undefined);
    assert.equal(added[first - 1]?.subtype, 'file_share', 'a file goes out before the message saying so');
  });

  test('without the files:write scope the export comes as text, with one sentence saying what to add', async () => {
    fake.workspace.scopes.delete('files:write');
    try {
      const uploads = fake.uploads.length;
      const added = await during(() => slash('export invoices'));
      assert.equal(fake.uploads.length, uploads, 'no bytes were sent');
      assert.equal(fake.callsTo('files.getUploadURLExternal').at(-1)?.result.error, 'missing_scope');
      assert.equal(added.length, 1, 'one message: the export as text, nothing twice');
      assert.match(
        added[0]?.text ?? '',
        /^invoices-.*\.csv \(1 invoice, \d+ bytes\): Slack refused the file because the app lacks the files:write scope; add it under OAuth &amp; Permissions and reinstall the app\. Here it is as text:\n\nnumber,date,client,/,
      );
      assert.ok(
        core.logs.some((l) => l.includes('lacks the files:write scope') && l.includes('"level":40')),
        'the log says it too',
      );
    } finally {
      fake.workspace.scopes.add('files:write');
    }
  });

  test('a rate-limited completion is waited out and retried: the file is shared once, said once', async () => {
    fake.rateLimitOnce('files.completeUploadExternal', 1);
    const completions = fake.callsTo('files.completeUploadExternal').length;
    const added = await during(() => slash('export invoices'));
    assert.deepEqual(
      fake
        .callsTo('files.completeUploadExternal')
        .slice(completions)
        .map((c) => c.status),
      [429, 200],
    );
    assert.equal(added.filter((m) => m.subtype === 'file_share').length, 1);
    assert.deepEqual(
      added.filter((m) => m.subtype === undefined).map((m) => m.text.replace(/\d+ bytes/, 'N bytes')),
      [`Sent ${added[0]?.files?.[0]?.name as string} (1 invoice, N bytes).`],
    );
  });

  test('the fake checks the file methods’ arguments as Slack does', async () => {
    assert.equal((await api('files.getUploadURLExternal', { length: '3' })).error, 'invalid_arguments');
    assert.equal(
      (await api('files.getUploadURLExternal', { filename: 'a.txt', length: '0' })).error,
      'missing_argument',
    );
    const ticket = await api('files.getUploadURLExternal', { filename: 'a.txt', length: '3' });
    assert.ok(ticket.ok && ticket.upload_url && ticket.file_id);
    const files = JSON.stringify([{ id: ticket.file_id }]);
    assert.equal(
      (await api('files.completeUploadExternal', { files, channel_id: operatorDm })).error,
      'file_not_found',
    );
    const posted = await fetch(ticket.upload_url, { method: 'POST', body: 'abc' });
    assert.equal(await posted.text(), 'OK - 3');
    assert.equal(
      (await api('files.completeUploadExternal', { files, channel_id: 'C0NOPE' })).error,
      'channel_not_found',
    );
    assert.equal((await api('files.completeUploadExternal', { channel_id: operatorDm })).error, 'invalid_arguments');
    assert.equal((await api('files.completeUploadExternal', { files, channel_id: operatorDm })).ok, true);
    assert.equal(fake.fileContent(ticket.file_id)?.toString(), 'abc');
  });
});
