import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

test('secrets never reach the log', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
  const logger = await createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, sink);
  const config = loadConfig({
    WEB_TOKEN: 'web-token-0123456789',
    OPENAI_API_KEY: 'sk-live-abcdef',
    OPENAI_MODEL: 'm',
    MONGODB_URI: 'mongodb://u:pw-secret@h/solo',
    STRIPE_SECRET_KEY: 'sk_test_stripesecret42',
    STRIPE_WEBHOOK_SECRET: 'whsec_hooksecret42',
  });
  logger
    .child({ component: 'x' })
    .info(
      { config, req: { headers: { authorization: 'Bearer web-token-0123456789' } }, token: 'bot-token-1' },
      'starting',
    );
  const out = lines.join('');
  for (const secret of [
    'web-token-0123456789',
    'sk-live-abcdef',
    'pw-secret',
    'bot-token-1',
    'sk_test_stripesecret42',
    'whsec_hooksecret42',
  ])
    assert.ok(!out.includes(secret), `${secret} leaked`);
  assert.match(out, /\[redacted\]/);
  assert.equal((JSON.parse(lines[0] ?? '{}') as { component?: string }).component, 'x');
});
