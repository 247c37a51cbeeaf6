// Slack's v0 request signature as the adapter checks it (adapters/channels/slack/signature.ts), against signatures
// made the way Slack makes them (test/fakes/slack/http-mode.ts `sign`).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSlackSignature, MAX_SKEW_SECONDS, sslCheck } from '../../adapters/channels/slack/signature.ts';
import { sign } from '../fakes/slack/http-mode.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const ts = Math.floor(NOW / 1000);
const body = Buffer.from('token=x&team_id=T1&command=%2Fsolo&text=status');
const headers = (timestamp: number | string, signature: string | undefined): Record<string, string> => ({
  'x-slack-request-timestamp': String(timestamp),
  ...(signature === undefined ? {} : { 'x-slack-signature': signature }),
});

describe('Slack request signatures', () => {
  test('a request signed with the secret over the exact body and timestamp passes', () => {
    assert.deepEqual(checkSlackSignature(SECRET, headers(ts, sign(SECRET, ts, body.toString())), body, NOW), {
      ok: true,
    });
  });

  test('another secret, another body or another timestamp fails', () => {
    assert.equal(
      checkSlackSignature(SECRET, headers(ts, sign('another-secret', ts, body.toString())), body, NOW).ok,
      false,
    );
    assert.equal(
      checkSlackSignature(
        SECRET,
        headers(ts, sign(SECRET, ts, body.toString())),
        Buffer.from(`${body.toString()}&x=1`),
        NOW,
      ).ok,
      false,
    );
    assert.equal(checkSlackSignature(SECRET, headers(ts + 1, sign(SECRET, ts, body.toString())), body, NOW).ok, false);
  });

  test('the timestamp must be within five minutes either way', () => {
    for (const skew of [MAX_SKEW_SECONDS, -MAX_SKEW_SECONDS]) {
      assert.equal(
        checkSlackSignature(SECRET, headers(ts + skew, sign(SECRET, ts + skew, body.toString())), body, NOW).ok,
        true,
        `skew ${skew}`,
      );
    }
    for (const skew of [MAX_SKEW_SECONDS + 1, -MAX_SKEW_SECONDS - 1, 86_400]) {
      const check = checkSlackSignature(
        SECRET,
        headers(ts + skew, sign(SECRET, ts + skew, body.toString())),
        body,
        NOW,
      );
      assert.deepEqual(check, { ok: false, why: 'the timestamp is more than five minutes off' }, `skew ${skew}`);
    }
  });

  test('missing or malformed headers fail with a reason', () => {
    const good = sign(SECRET, ts, body.toString());
    assert.equal(checkSlackSignature(SECRET, {}, body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers(ts, undefined), body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers('12.5', good), body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers(ts, good.replace('v0=', 'v1=')), body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers(ts, good.slice(0, -2)), body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers(ts, `${good.slice(0, -2)}zz`), body, NOW).ok, false);
    assert.equal(checkSlackSignature(SECRET, headers(ts, 'v0='), body, NOW).ok, false);
    const why = checkSlackSignature(SECRET, headers(ts, sign('x', ts, body.toString())), body, NOW);
    assert.deepEqual(why, { ok: false, why: 'signature mismatch' });
  });

  test("Slack's SSL check is recognised only as a form post with ssl_check=1", () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    assert.equal(sslCheck(form, Buffer.from('ssl_check=1&token=x')), true);
    assert.equal(sslCheck(form, Buffer.from('ssl_check=0')), false);
    assert.equal(sslCheck(form, Buffer.from('command=%2Fsolo')), false);
    assert.equal(sslCheck({ 'content-type': 'application/json' }, Buffer.from('{"ssl_check":"1"}')), false);
  });
});
