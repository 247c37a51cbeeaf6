// /export through the whole app: memories as Markdown and JSON with their provenance, invoices as CSV, handed to the
// web chat as a download behind the chat's own checks (token, no cross-site requests), and as text in a chat that
// cannot take files.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { TEXT_FALLBACK_CHARS } from '../../src/commands/export.ts';
import { api, startTestApp, type ApiMessage } from '../support/app.ts';
import { RecordingChannel } from '../support/recording-channel.ts';

const TOKEN = 'export-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('/export', () => {
  let app: SoloApp;
  const say = async (text: string): Promise<ApiMessage[]> => {
    const { status, body } = await api(app.url, 'POST', '/api/messages', { text }, auth);
    assert.equal(status, 200, JSON.stringify(body));
    return body.messages ?? [];
  };
  /** The link in an /export reply, and the file behind it (fetched with the token). */
  const download = async (reply: string): Promise<{ link: string; res: Response }> => {
    const link = /(http:\/\/\S+\/api\/files\/\S+)$/.exec(reply)?.[1];
    assert.ok(link, reply);
    return { link, res: await fetch(link, { headers: auth }) };
  };

  before(async () => {
    app = await startTestApp({ WEB_TOKEN: TOKEN });
    await say('/remember Acme Corp pays net 30 and wants invoices in EUR');
    await say('/remember Jane Doe at Acme prefers calls before 10am');
    await app.store.ledger.recordInvoice({
      client: 'Acme Corp',
      amountMinor: 120_050,
      currency: 'EUR',
      description: 'Design, phase 1',
      runId: 'r-one',
      idempotencyKey: 'r-one:record',
    });
    await app.store.ledger.recordInvoice({
      client: '=HYPERLINK("http://evil")',
      amountMinor: 9_900,
      currency: 'USD',
      runId: 'r-two',
      idempotencyKey: 'r-two:record',
    });
  });
  after(async () => {
    await app.stop();
  });

  test('memories as Markdown: a download link, served only with the token and never cross-site', async () => {
    const [reply] = await say('/export memories');
    assert.match(
      reply?.text ?? '',
      /^memories-\d{4}-\d\d-\d\d\.md \(2 memories, \d+ bytes\): download it within the hour at http:/,
    );
    const { link, res } = await download(reply!.text);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/markdown; charset=utf-8');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="memories-.*\.md"$/);
    const md = await res.text();
    assert.match(md, /^# Solo OS memories\n/);
    assert.match(md, /Acme Corp pays net 30 and wants invoices in EUR\n\n(- .*\n)*- source: said on web, event #\d+/);
    assert.match(md, /Jane Doe at Acme prefers calls before 10am/);

    assert.equal((await fetch(link)).status, 401, 'no token, no file');
    assert.equal(
      (await fetch(link, { headers: { ...auth, 'sec-fetch-site': 'cross-site' } })).status,
      403,
      'a foreign page cannot fetch it',
    );
    const gone = await fetch(link.replace(/files\/[^/]+/, 'files/AAAAAAAAAAAAAAAAAAAAAA'), { headers: auth });
    assert.equal(gone.status, 404);
    assert.match(((await gone.json()) as { error: string }).error, /^no such file: .*ask \/export again$/);
  });

  test('memories as JSON carry their provenance: the event that recorded each one', async () => {
    const [reply] = await say('/export memories json');
    const { res } = await download(reply!.text);
    const body = (await res.json()) as {
      count: number;
      memories: { id: string; text: string; source: { channel?: string; eventPosition?: number } }[];
    };
    assert.equal(body.count, 2);
    const acme = body.memories.find((m) => m.text.startsWith('Acme Corp pays'));
    assert.equal(acme?.source.channel, 'web');
    assert.equal(typeof acme?.source.eventPosition, 'number');
    const [event] = await app.store.events.readRange({
      afterPosition: (acme?.source.eventPosition ?? 1) - 1,
      limit: 1,
    });
    assert.equal(event?.type, 'message.received');
    assert.match(JSON.stringify(event?.data), /Acme Corp pays net 30/);
  });

  test('invoices as CSV, in number order, safe to open in a spreadsheet', async () => {
    const [reply] = await say('/export invoices');
    assert.match(reply?.text ?? '', /^invoices-\d{4}-\d\d-\d\d\.csv \(2 invoices, /);
    const { res } = await download(reply!.text);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    const rows = (await res.text()).split('\r\n');
    assert.equal(rows[0], 'number,date,client,description,amount,currency,status,run');
    assert.match(rows[1] ?? '', /^INV-0001,\d{4}-\d\d-\d\d,Acme Corp,"Design, phase 1",1200.50,EUR,recorded,r-one$/);
    assert.match(
      rows[2] ?? '',
      /^INV-0002,\d{4}-\d\d-\d\d,"'=HYPERLINK\(""http:\/\/evil""\)",,99.00,USD,recorded,r-two$/,
    );
    assert.equal(rows[3], '');
  });

  test('plain /export gives both; anything else gets one sentence', async () => {
    const replies = await say('/export');
    assert.deepEqual(
      replies.map((r) => /^(\w+)-/.exec(r.text)?.[1]),
      ['memories', 'invoices'],
    );
    const [wrong] = await say('/export contacts');
    assert.equal(
      wrong?.text,
      'Use /export, /export memories [md|json] or /export invoices: memories as Markdown (or JSON), invoices as CSV.',
    );
  });

  test('a chat that cannot take files gets the export as text, cut when long', async () => {
    const handle = async (text: string) => {
      const result = await app.conductor.handle(
        {
          kind: 'message',
          text,
          id: `fallback-${Math.random()}`,
          channel: 'web',
          chatId: 'operator',
          senderId: 'operator',
        },
        new RecordingChannel(),
      );
      return result.replies.map((r) => r.text);
    };
    const [csv] = await handle('/export invoices');
    assert.match(
      csv ?? '',
      /^invoices-.*\.csv \(2 invoices, \d+ bytes\); this chat cannot take files, so here it is as text:\n\nnumber,date,client/,
    );
    assert.match(csv ?? '', /INV-0002,/);
    for (let i = 0; i < 150; i++)
      await app.store.memories.add({
        text: `Supplier ${i} ships every ${i % 7} days from the warehouse in Porto, invoices monthly.`,
        kind: 'fact',
        source: { channel: 'web' },
      });
    const [md] = await handle('/export memories');
    assert.match(
      md ?? '',
      /^memories-.*\.md \(152 memories, [\d.]+ KB\); this chat cannot take files, so here it is as text \(the first [\d.]+ KB; the web chat gives the whole file\):\n\n# Solo OS memories/,
    );
    assert.ok((md ?? '').length < TEXT_FALLBACK_CHARS + 300, `cut: ${md?.length}`);
  });
});
