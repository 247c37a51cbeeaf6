// /lead, /pipeline and /packages on an app without a model, mail or calendar: bad /lead text gets the usage, a good
// one says in one sentence what the pipeline still needs (and starts nothing), /pipeline is empty, /packages shows
// the shipped packages, and a stale kick-off button changes nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { say, startTestApp, tapData } from '../support/app.ts';

describe('pipeline commands without the connectors', () => {
  let app: SoloApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app?.stop();
  });

  test('/lead says what is missing and starts nothing; /pipeline and /packages answer', async () => {
    assert.match((await say(app.url, '/lead'))[0]?.text ?? '', /^Usage: \/lead <name> <email> \[notes\]/);
    assert.match((await say(app.url, '/lead Jane Doe'))[0]?.text ?? '', /I need a name and then an email address\.$/);
    assert.equal(
      (await say(app.url, '/lead Jane Doe jane@acme.example wants a rebrand'))[0]?.text,
      'The pipeline needs a model (OPENAI_MODEL), mail (SMTP_URL, IMAP_URL, MAIL_FROM), a calendar (CALDAV_URL); set them and restart.',
    );
    assert.deepEqual(
      (await app.store.runs.list({ limit: 5 })).filter((r) => r.workflow === 'consultant'),
      [],
    );
    assert.equal(
      (await say(app.url, '/pipeline'))[0]?.text,
      'The pipeline is empty. /lead <name> <email> [notes] adds a lead.',
    );
    await say(app.url, '/remember Initech: client since 2024');
    assert.equal(
      (await say(app.url, '/pipeline'))[0]?.text,
      'The pipeline is empty. /lead <name> <email> [notes] adds a lead.\n\nOther clients (nothing open):\n• Initech',
    );
    assert.match(
      (await say(app.url, '/packages'))[0]?.text ?? '',
      /^• advisory-retainer: Advisory retainer, 2,500\.00 EUR, 30 days, template proposal\n• brand-sprint: Brand sprint, 4,000\.00 EUR, 10 days, template proposal\nCriteria: none \(policies\/qualification\.yaml is missing\)\.$/,
    );
    assert.equal((await tapData(app, 'cs:rnope:1'))[0]?.text, 'That kick-off choice is no longer open.');
    assert.equal((await tapData(app, 'cs:garbage'))[0]?.text, 'That kick-off choice is no longer open.');
  });
});
