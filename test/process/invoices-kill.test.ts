// Acceptance: 20 × /invoice through the web API, kill -9 midway and again before approving, restart, approve
// everything from /approvals → exactly INV-0001..INV-0020, no gap, no duplicate; a second tap is harmless.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, say, tempDir } from '../support/app.ts';
import { killHard, startProcess } from '../support/process.ts';

test('20 invoices survive two kill -9s and are numbered INV-0001..INV-0020', async () => {
  const DATA_DIR = tempDir();
  let proc = await startProcess({ DATA_DIR });
  for (let i = 1; i <= 20; i++) {
    if (i === 11) {
      await killHard(proc.child);
      proc = await startProcess({ DATA_DIR });
    }
    // A stable id per request: were a reply lost to the kill, resending the same id would not start a second run.
    const { status } = await api(proc.url, 'POST', '/api/messages', {
      text: `/invoice Client${i} ${i * 100}`,
      id: `invoice-${i}`,
    });
    assert.equal(status, 200);
  }
  await killHard(proc.child);
  proc = await startProcess({ DATA_DIR });
  try {
    const cards = await say(proc.url, '/approvals');
    assert.equal(cards.length, 20, 'every draft is still waiting after two kills');
    let firstApprove: { id: string } | undefined;
    for (const card of cards) {
      const approve = card.buttons.find((b) => b.label === 'Approve');
      assert.ok(approve);
      firstApprove ??= approve;
      const res = await api(proc.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
      assert.equal(res.status, 200);
      assert.match(res.body.messages?.at(-1)?.text ?? '', /^Recorded INV-\d{4}: Client\d+/);
    }
    const second = await api(proc.url, 'POST', `/api/buttons/${encodeURIComponent(firstApprove?.id ?? '')}`);
    assert.match(second.body.messages?.[0]?.text ?? '', /Already decided/);
    const list = (await say(proc.url, '/invoices'))[0]?.text.split('\n') ?? [];
    const numbers = list.map((line) => line.slice(0, 8)).sort();
    assert.deepEqual(
      numbers,
      Array.from({ length: 20 }, (_, i) => `INV-${String(i + 1).padStart(4, '0')}`),
    );
    const clients = list.map((line) => line.split(' · ')[1]).sort();
    assert.deepEqual(
      clients,
      Array.from({ length: 20 }, (_, i) => `Client${i + 1}`).sort(),
      'each draft recorded once',
    );
  } finally {
    await killHard(proc.child);
  }
});
