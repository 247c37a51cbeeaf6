// Outreach drafts leave by mail only after approval: the draft agent (real openai client, local fake) writes to
// "Acme Corp", memory gives Acme Corp's address, the card says it will be mailed, the operator edits and approves,
// and exactly that edited text lands once in the client's real mailbox (Dovecot), under a Message-ID derived from
// the step key. A rejected draft sends nothing; a client without an address is told, not guessed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import { api, say, type ApiMessage } from '../support/app.ts';
import { mailServerSkipReason, startMailServers, type MailServers } from '../support/mail-server.ts';
import { startAgentApp, userText, type AgentApp } from '../agents/support.ts';

const skip = mailServerSkipReason();
const CLIENT = 'client@example.net';

describe('approved drafts go out by mail', { skip }, () => {
  let servers: MailServers;
  let h: AgentApp;

  const tap = async (m: ApiMessage | undefined, label: string): Promise<ApiMessage[]> => {
    const button = m?.buttons.find((b) => b.label === label);
    assert.ok(button, `a ${label} button on: ${m?.text ?? '(none)'}`);
    const res = await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
    assert.equal(res.status, 200);
    return res.body.messages ?? [];
  };

  before(async () => {
    servers = await startMailServers();
    const ops = servers.users[0]!;
    h = await startAgentApp(
      {
        router: (body) => {
          const who = /to (\w+)/.exec(userText(body))?.[1] ?? 'Acme';
          return {
            json: {
              action: 'workflow',
              workflow: 'draft',
              understood: `A follow-up to ${who}.`,
              client: who,
              instructions: `A follow-up email to ${who}.`,
            },
          };
        },
        draft: (body) => ({
          json: {
            to: /Initech/.test(userText(body)) ? 'Initech' : 'Acme Corp',
            subject: 'Following up',
            body: 'Hi,\n\nfollowing up on our proposal.\n\nBest',
          },
        }),
      },
      {
        env: {
          SMTP_URL: servers.url('smtp', ops),
          IMAP_URL: servers.url('imap', ops),
          MAIL_FROM: `Solo Ops <${ops.address}>`,
          MAIL_POLL_SECONDS: '3600',
        },
      },
    );
    await say(h.app.url, `/remember Acme Corp: billing email ${CLIENT}`);
  });
  after(async () => {
    await h?.stop();
    await servers?.stop();
  });

  test('edited, approved, mailed once to the address memory has for the client', async () => {
    const replies = await say(h.app.url, 'Draft a follow-up to Acme');
    const card = replies.find((m) => m.text.startsWith('Approval needed'));
    assert.match(
      card?.text ?? '',
      /^Approval needed: Email to client@example\.net: Following up\nTo: client@example\.net\nSubject: Following up\nSent by mail once you approve\n/,
    );
    const runId = /Run (r\w+)/.exec(card?.text ?? '')?.[1] ?? '';
    assert.deepEqual(servers.messageIds(CLIENT), [], 'nothing leaves before approval');
    assert.match((await tap(card, 'Edit'))[0]?.text ?? '', /Send the new text/);
    const [edited] = await say(
      h.app.url,
      'Hi Jane,\n\nfollowing up on the rebrand proposal. Does Tuesday suit you?\n\nBest, Sam',
    );
    const sent = await tap(edited, 'Approve');
    assert.match(sent.at(-1)?.text ?? '', /^Sent: "Following up" to client@example\.net \(\d+ characters\)\.$/);
    const id = messageIdForKey(`${runId}:deliver`, 'example.com');
    assert.deepEqual(servers.messageIds(CLIENT), [id], 'exactly one mail, its Message-ID from the step key');
    const body = servers.doveadm(['fetch', '-u', CLIENT, 'body', 'mailbox', 'INBOX', 'header', 'Message-ID', id]);
    assert.match(
      body,
      /following up on the rebrand proposal\. Does Tuesday suit you\?/,
      'the edited text, not the draft',
    );
    assert.match((await tap(card, 'Approve'))[0]?.text ?? '', /Already decided/);
    assert.equal(servers.messageIds(CLIENT).length, 1);
  });

  test('a rejected draft sends nothing; a client without an address is told so', async () => {
    const before = servers.messageIds(CLIENT).length;
    const card = (await say(h.app.url, 'Draft a follow-up to Acme')).find((m) => m.text.startsWith('Approval needed'));
    assert.match((await tap(card, 'Reject')).at(-1)?.text ?? '', /was not sent \(rejected\)/);
    assert.equal(servers.messageIds(CLIENT).length, before);

    const other = (await say(h.app.url, 'Draft a follow-up to Initech')).find((m) =>
      m.text.startsWith('Approval needed'),
    );
    assert.match(
      other?.text ?? '',
      /\nNot sent by mail \(memory has no email address for Initech\): the approved text stays in the run\n/,
    );
    assert.match(
      (await tap(other, 'Approve')).at(-1)?.text ?? '',
      /^Approved: "Following up" to Initech \(\d+ characters\)\. Not mailed: memory has no email address for Initech; the approved text stays in run r\w+\.$/,
    );
    assert.equal(servers.messageIds(CLIENT).length, before);
  });
});
