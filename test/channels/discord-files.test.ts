// /export on Discord: the real discord.js client posts each file as a message attachment (multipart: payload_json
// and files[0]) to the fake Discord; the bytes fetched back from the attachment URL equal what the store holds. A
// slash command gets the same files and its answer through the interaction. A file over Discord's 10 MiB limit is
// not attempted: the export arrives as text with one sentence saying why.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { DiscordChannel } from '../../adapters/channels/discord/index.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { exportCommands } from '../../src/commands/export.ts';
import type { Registry } from '../../src/commands/registry.ts';
import type { ApiUser } from '../fakes/discord/model.ts';
import { FakeDiscord, type RecordedCall } from '../fakes/discord/server.ts';
import type { ApiAttachment } from '../fakes/discord/uploads.ts';
import { tempDir } from '../support/app.ts';
import { memoriesFromMarkdown, parseCsv } from '../support/export-parse.ts';
import { testCore } from '../support/services.ts';

type LogLine = Record<string, unknown>;

describe('/export on Discord', { timeout: 30_000 }, () => {
  const lines: LogLine[] = [];
  const logEvents = new EventEmitter();
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        const line = JSON.parse(chunk.toString()) as LogLine;
        lines.push(line);
        logEvents.emit('line', line);
        done();
      },
    }),
  );
  /** Resolves once the update with this id has been handled (every reply sent). */
  const handled = (id: string): Promise<void> =>
    lines.some((l) => l.update === id && l.msg === 'update handled')
      ? Promise.resolve()
      : new Promise((resolve) => {
          const listener = (l: LogLine): void => {
            if (l.update !== id || l.msg !== 'update handled') return;
            logEvents.off('line', listener);
            resolve();
          };
          logEvents.on('line', listener);
        });
  const store = new SqliteStore(tempDir());
  let fake: FakeDiscord;
  let op: ApiUser;
  let channel: DiscordChannel;
  let dm: string;

  const posts = (since: number): RecordedCall[] =>
    fake.calls.slice(since).filter((c) => c.method === 'POST' && c.path === `/channels/${dm}/messages`);
  /** The attachment's bytes, fetched from its URL as a Discord client would. */
  const download = async (a: ApiAttachment): Promise<string> => {
    const res = await fetch(a.url);
    assert.equal(res.status, 200);
    return res.text();
  };
  const says = async (text: string): Promise<number> => {
    const since = fake.calls.length;
    await handled(fake.userSays(op, text).id);
    return since;
  };

  before(async () => {
    fake = await FakeDiscord.start({ heartbeatIntervalMs: 100 });
    await store.init();
    op = fake.addUser('operator');
    dm = fake.dmWith(op).id;
    await store.identities.upsert({
      channel: 'discord',
      externalId: op.id,
      label: 'operator',
      linkedAt: new Date(),
      via: 'config',
    });
    const registry = (r: Registry) =>
      r.add(exportCommands({ memories: store.memories, copy: store.copy, now: () => new Date() }));
    channel = new DiscordChannel({ token: fake.token, apiUrl: fake.apiUrl, logger, deferAfterMs: 1000 });
    const conductor = testCore({ store, logger, channels: () => [channel], registry }).conductor;
    await channel.start(conductor);
    await store.memories.add({ text: 'Acme Corp pays net 30', kind: 'fact', source: { channel: 'discord' } });
    await store.memories.add({ text: 'Jane prefers calls', kind: 'preference', source: { channel: 'discord' } });
    await store.ledger.recordInvoice({
      client: 'Acme, Inc.',
      amountMinor: 120_050,
      currency: 'EUR',
      description: 'Design "phase 1"',
      runId: 'r-discord',
      idempotencyKey: 'r-discord:record',
    });
  });

  after(async () => {
    await channel.stop();
    await fake.stop();
    await store.close();
  });

  test('/export in a DM attaches both files (multipart), whose bytes are the store’s, and says so once each', async () => {
    const since = await says('/export');
    const sent = posts(since);
    const withFiles = sent.filter((c) => c.files);
    assert.equal(withFiles.length, 2, 'one message per file, none sent twice');
    for (const c of withFiles) {
      assert.equal(c.status, 200);
      assert.equal(c.files?.length, 1);
      assert.equal(c.files?.[0]?.index, 0, 'the file travels as files[0]');
      assert.deepEqual((c.body as { attachments?: unknown }).attachments, [
        { id: 0, filename: c.files?.[0]?.filename },
      ]);
    }
    const messages = fake.messagesIn(dm).filter((m) => m.author.id === fake.bot.id && m.attachments.length > 0);
    const [md, csv] = (messages.slice(-2).map((m) => m.attachments[0]) as ApiAttachment[]).map((a) => a);
    assert.match(md?.filename ?? '', /^memories-\d{4}-\d\d-\d\d\.md$/);
    assert.match(md?.content_type ?? '', /^text\/markdown/);
    assert.match(csv?.filename ?? '', /^invoices-\d{4}-\d\d-\d\d\.csv$/);
    assert.match(csv?.content_type ?? '', /^text\/csv/);

    const mdText = await download(md!);
    assert.equal(Buffer.byteLength(mdText), md?.size);
    const memories = await store.memories.scan(undefined, 100);
    assert.deepEqual(
      memoriesFromMarkdown(mdText),
      memories.map((m) => ({ id: m.id, text: m.text })),
    );
    const [header, ...rows] = parseCsv(await download(csv!));
    assert.equal(header?.[2], 'client');
    const invoices = (await store.copy.read('invoices', undefined, 100)).records;
    assert.deepEqual(
      rows.map((r) => r.slice(2, 8)),
      invoices.map((i) => [i.client, i.description, (i.amountMinor / 100).toFixed(2), i.currency, i.status, i.runId]),
    );

    const texts = sent.filter((c) => !c.files).map((c) => (c.body as { content?: string }).content ?? '');
    assert.equal(texts.length, 2, JSON.stringify(texts));
    assert.match(texts[0] ?? '', /^Sent memories-.*\.md \(2 memories, \d+ bytes\)\.$/);
    assert.match(texts[1] ?? '', /^Sent invoices-.*\.csv \(1 invoice, \d+ bytes\)\.$/);
    assert.ok(sent.indexOf(withFiles[0]!) < sent.findIndex((c) => !c.files), 'the file goes before the message');
  });

  test('as a slash command, the file is attached in the chat and the interaction says it was sent', async () => {
    const since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'export', 'invoices');
    await handled(id);
    const withFiles = posts(since).filter((c) => c.files);
    assert.equal(withFiles.length, 1);
    assert.match(withFiles[0]?.files?.[0]?.filename ?? '', /^invoices-.*\.csv$/);
    const callback = fake.calls.slice(since).find((c) => c.path.startsWith(`/interactions/${id}/`));
    const answer = (callback?.body as { data?: { content?: string } } | undefined)?.data?.content ?? '';
    assert.match(answer, /^Sent invoices-.*\.csv \(1 invoice, \d+ bytes\)\.$/);
  });

  test('the fake refuses a file over 10 MiB with 413 and code 40005, as Discord does', async () => {
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'big' }));
    form.append('files[0]', new Blob([new Uint8Array(10 * 1024 * 1024 + 1)]), 'big.bin');
    const res = await fetch(`${fake.apiUrl}/v10/channels/${dm}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${fake.token}` },
      body: form,
    });
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), { code: 40005, message: 'Request entity too large' });
  });

  test('a file Discord refuses as too large (413, code 40005) comes as text, with one sentence saying so', async () => {
    fake.uploadLimitBytes = 100;
    try {
      const since = await says('/export invoices');
      const sent = posts(since);
      assert.deepEqual(
        sent.map((c) => [c.status, Boolean(c.files)]),
        [
          [413, true],
          [200, false],
        ],
        'one refused upload, not retried, then the text',
      );
      assert.match(
        (sent[1]?.body as { content?: string }).content ?? '',
        /^invoices-.*\.csv \(1 invoice, \d+ bytes\): Discord refused the file as too large \(\d+ bytes\)\. Here it is as text:\n\nnumber,date,client,/,
      );
    } finally {
      fake.uploadLimitBytes = 10 * 1024 * 1024;
    }
  });

  test('an export over 10 MiB is not attempted: it comes as text, with one sentence saying why', async () => {
    const paragraph = `${'Supplier ledger line, shipped monthly from Porto. '.repeat(2000)}`;
    for (let i = 0; i < 110; i++)
      await store.memories.add({ text: `${i}: ${paragraph}`, kind: 'fact', source: { channel: 'discord' } });
    const since = await says('/export memories');
    const sent = posts(since);
    assert.equal(sent.filter((c) => c.files).length, 0, 'no upload was tried');
    const texts = sent.map((c) => (c.body as { content?: string }).content ?? '');
    const heads = texts.filter((t) => t.startsWith('memories-'));
    assert.equal(heads.length, 1, 'said once');
    assert.match(
      heads[0] ?? '',
      /^memories-.*\.md \(112 memories, 10\.\d MB\): Discord takes files up to 10\.0 MB from a bot, and this one is 10\.\d MB\. Here it is as text \(the first [\d.]+ (KB|bytes); the web chat gives the whole file\):\n\n\\# Solo OS memories/,
    );
    assert.ok(
      lines.some((l) => l.level === 40 && String(l.msg).startsWith('Discord takes files up to 10.0 MB')),
      'the log says why',
    );
  });
});
