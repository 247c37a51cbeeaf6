// Policy files on disk: defaults with an empty or missing folder, the shipped set loads cleanly, bad files are
// reported with file, line and field while the rest applies, a section in two files names both, and the watcher
// keeps the last good policy on a bad edit. Uses a real temp folder, fs.watch and (for events) a SQLite store.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import {
  checkPolicies,
  digestOf,
  parsePolicyFile,
  PolicyService,
  type Loaded,
  type Rejection,
} from '../../src/policy/loader.ts';
import { decide } from '../../src/policy/approvals.ts';
import { DEFAULT_POLICY, withDefaults } from '../../src/policy/schema.ts';
import { tempDir } from '../support/app.ts';

const folder = (files: Record<string, string>): string => {
  const dir = join(tempDir('solo-policies-'), 'policies');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

function next<T extends 'loaded' | 'rejected'>(
  service: PolicyService,
  event: T,
  ms = 5000,
): Promise<T extends 'loaded' ? Loaded : Rejection> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const off = service.on(event as 'loaded', (value: Loaded) => {
      clearTimeout(timer);
      off();
      resolve(value as never);
    });
  });
}

describe('loading', () => {
  test('an empty or missing folder gives the defaults', async () => {
    const empty = await checkPolicies(folder({}));
    assert.deepEqual(empty.policy, DEFAULT_POLICY);
    assert.equal(empty.digest, digestOf(DEFAULT_POLICY));
    assert.deepEqual(empty.rejected, []);
    const missing = await checkPolicies(join(tempDir(), 'nope'));
    assert.deepEqual(missing.policy, DEFAULT_POLICY);
  });

  test('the shipped policies/ folder loads without a problem', async () => {
    const report = await checkPolicies(join(import.meta.dirname, '../../policies'));
    assert.deepEqual(report.rejected, []);
    assert.equal(report.files.length, 6, 'five policy files and qualification.yaml (the consultant pipeline reads it)');
    assert.equal(report.policy.budgets.per_run_usd, 0.5);
    assert.equal(report.policy.rate_limits['connector:mail']?.points, 20);
    assert.equal(report.policy.quiet_hours.hours[0]?.text, '22:00-07:00');
    assert.notEqual(report.digest, digestOf(DEFAULT_POLICY));
  });

  test('a bad value: file, line and field in one sentence; the other files still apply', async () => {
    const dir = folder({
      'approvals.yaml': 'approvals:\n  rules:\n    - actions: invoice.send\n      then: maybe\n',
      'budgets.yaml': 'budgets:\n  per_day_usd: 3\n',
    });
    const report = await checkPolicies(dir);
    assert.equal(report.rejected.length, 1);
    assert.equal(report.rejected[0]?.file, 'policies/approvals.yaml');
    assert.equal(
      report.rejected[0]?.error,
      'policies/approvals.yaml line 4 (approvals.rules[0].then): expected allow, approve or deny.',
    );
    assert.deepEqual(report.policy.approvals, DEFAULT_POLICY.approvals);
    assert.equal(report.policy.budgets.per_day_usd, 3);
  });

  test('errors name what was expected for typos, syntax, thresholds, rates, time zones and regexes', () => {
    const cases: [string, RegExp][] = [
      [
        'aprovals:\n  rules: []\n',
        /^x\.yaml line 1 \(aprovals\): unknown field "aprovals" \(a file may hold approvals, rate_limits/,
      ],
      ['approvals:\n  rules: [\n', /^x\.yaml line \d is not valid YAML/],
      ['budgets:\n  per_run_usd: 1\n  per_run_usd: 2\n', /^x\.yaml line 3 is not valid YAML: Map keys must be unique/],
      [
        'approvals:\n  rules:\n    - actions: invoice.send\n      amount_over: 500\n      then: approve\n',
        /line 4 \(approvals\.rules\[0\]\.amount_over\): expected an amount with its currency, e\.g\. 500 EUR/,
      ],
      [
        'rate_limits:\n  connector:mail: lots\n',
        /line 2 \(rate_limits\.connector:mail\): expected a rate such as 20\/hour/,
      ],
      ['rate_limits:\n  mail: 20/hour\n', /line 2 \(rate_limits\.mail\): expected a scope such as connector:mail/],
      ['quiet_hours:\n  time_zone: Mars/Olympus\n', /line 2 \(quiet_hours\.time_zone\): expected an IANA time zone/],
      ['quiet_hours:\n  hours: 25:00-07:00\n', /expected a time range such as 22:00-07:00/],
      [
        'redaction:\n  custom:\n    - name: code\n      pattern: "([a-z"\n',
        /line 4 \(redaction\.custom\[0\]\.pattern\): not a valid regular expression/,
      ],
      [
        'redaction:\n  refill: [email, card]\n',
        /line 2 \(redaction\.refill\[1\]\): card values are never put back into text/,
      ],
      [
        'budgets:\n  per_run_usd: -1\n  per_day_usd: lots\n',
        /line 2 \(budgets\.per_run_usd\): expected 0 or more dollars \(and 1 more problem\)\./,
      ],
      ['- just\n- a list\n', /must hold sections such as "approvals:"/],
    ];
    for (const [text, expected] of cases) {
      const result = parsePolicyFile(text, 'x.yaml');
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.match(result.error, expected);
    }
    assert.deepEqual(parsePolicyFile('# only a comment\n', 'x.yaml'), { ok: true, sections: {} });
  });

  test('a section in two files is an error naming both; prices.yaml belongs to someone else', async () => {
    const dir = folder({
      'a.yaml': 'budgets:\n  per_day_usd: 1\n',
      'b.yaml': 'budgets:\n  per_day_usd: 99\nquiet_hours:\n  hours: 22:00-07:00\n',
      'prices.yaml': 'prices:\n  gpt-4o-mini: { input: 0.15, output: 0.6 }\n',
    });
    const report = await checkPolicies(dir);
    assert.equal(report.rejected.length, 1);
    assert.match(
      report.rejected[0]?.error ?? '',
      /policies\/b\.yaml: section "budgets" is already defined in policies\/a\.yaml/,
    );
    assert.equal(report.policy.budgets.per_day_usd, 1);
    assert.equal(report.policy.quiet_hours.hours.length, 1, 'the rest of b.yaml applies');
  });
});

describe('watching', () => {
  const services: PolicyService[] = [];
  after(async () => {
    for (const s of services) await s.close();
  });

  test('a good edit applies, a bad one keeps the last good policy and says why, a fix applies again', async () => {
    const dir = folder({ 'budgets.yaml': 'budgets:\n  per_run_usd: 0.5\n' });
    const store = new SqliteStore(tempDir());
    await store.init();
    const service = new PolicyService({ dir, events: store.events, debounceMs: 50 });
    services.push(service);
    const first = await service.load();
    service.watch();
    assert.equal(service.current().budgets.per_run_usd, 0.5);

    let loaded = next(service, 'loaded');
    writeFileSync(join(dir, 'budgets.yaml'), 'budgets:\n  per_run_usd: 0.75\n');
    const changed = await loaded;
    assert.equal(changed.policy.budgets.per_run_usd, 0.75);
    assert.notEqual(changed.digest, first.digest);
    assert.equal(service.current().budgets.per_run_usd, 0.75);

    const rejected = next(service, 'rejected');
    writeFileSync(join(dir, 'budgets.yaml'), 'budgets:\n  per_run_usd: "cheap"\n');
    const why = await rejected;
    assert.match(
      why.error,
      /^policies\/budgets\.yaml line 2 \(budgets\.per_run_usd\): expected an amount in US dollars, e\.g\. 0\.50; keeping its last good version\.$/,
    );
    assert.equal(service.current().budgets.per_run_usd, 0.75, 'last good stays in force');
    assert.equal(service.lastRejection()?.file, 'policies/budgets.yaml');

    loaded = next(service, 'loaded');
    writeFileSync(join(dir, 'budgets.yaml'), 'budgets:\n  per_run_usd: 2\n');
    assert.equal((await loaded).policy.budgets.per_run_usd, 2);
    assert.equal(service.lastRejection(), undefined);

    // A new file applies; a comment-only edit changes nothing and fires nothing.
    loaded = next(service, 'loaded');
    writeFileSync(join(dir, 'quiet.yml'), 'quiet_hours:\n  hours: 21:00-06:00\n');
    assert.equal((await loaded).policy.quiet_hours.hours[0]?.text, '21:00-06:00');
    let fired = false;
    const off = service.on('loaded', () => (fired = true));
    writeFileSync(join(dir, 'quiet.yml'), '# calmer evenings\nquiet_hours:\n  hours: 21:00-06:00\n');
    await new Promise((r) => setTimeout(r, 400));
    off();
    assert.equal(fired, false);

    // Deleting a file brings back that section's defaults.
    loaded = next(service, 'loaded');
    rmSync(join(dir, 'quiet.yml'));
    assert.deepEqual((await loaded).policy.quiet_hours, DEFAULT_POLICY.quiet_hours);

    const events = await store.events.readStream('policy');
    assert.deepEqual(
      events.map((e) => e.type),
      ['policy.loaded', 'policy.loaded', 'policy.rejected', 'policy.loaded', 'policy.loaded', 'policy.loaded'],
    );
    await service.close();
    await store.close();
  });

  test("the operator's zone (TIMEZONE) is where quiet hours and budget days fall, unless a file names another", async () => {
    const dir = folder({
      'q.yaml': 'quiet_hours:\n  hours: 22:00-07:00\n',
      'b.yaml': 'budgets:\n  per_day_usd: 3\n  time_zone: Asia/Tokyo\n',
    });
    const service = new PolicyService({ dir, timeZone: 'Europe/Berlin' });
    services.push(service);
    assert.equal(service.current().quiet_hours.time_zone, 'Europe/Berlin', 'before the files are read');
    const { policy } = await service.load();
    assert.equal(policy.quiet_hours.time_zone, 'Europe/Berlin');
    assert.equal(policy.budgets.time_zone, 'Asia/Tokyo');
    assert.equal(
      (await checkPolicies(dir)).policy.quiet_hours.time_zone,
      undefined,
      'without one, the machine zone applies as before',
    );
  });

  test('a folder created after start is picked up', async () => {
    const dir = join(tempDir(), 'later');
    const service = new PolicyService({ dir, debounceMs: 50 });
    services.push(service);
    await service.load();
    service.watch();
    const loaded = next(service, 'loaded', 8000);
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.yaml'), 'budgets:\n  per_day_usd: 7\n');
    assert.equal((await loaded).policy.budgets.per_day_usd, 7);
  });
});

describe('the shipped approvals.yaml', () => {
  const file = join(import.meta.dirname, '../../policies/approvals.yaml');

  test('trusts no recipient: every email waits for the operator, whatever the domain', async () => {
    const { policy } = await checkPolicies(join(import.meta.dirname, '../../policies'));
    for (const to of [
      'anna@consulting.example',
      'me@your-company.example',
      'bob@team.your-client.example',
      'someone@gmail.com',
    ]) {
      assert.equal(decide({ kind: 'email.send', recipients: [to] }, policy).outcome, 'approve', to);
    }
  });

  test('its commented example, once uncommented as it says, lets mail to the listed domains go out', () => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes('# - name: email outside known people'));
    const end = lines.findIndex((l, i) => i > start && /#\s+then: allow/.test(l));
    assert.ok(start > 0 && end - start === 6, 'seven commented lines, as the comment says');
    const enabled = lines.map((l, i) => (i >= start && i <= end ? l.replace(/^(\s*)# /, '$1') : l)).join('\n');
    const parsed = parsePolicyFile(enabled, 'policies/approvals.yaml');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const policy = withDefaults(parsed.sections);
    assert.equal(decide({ kind: 'email.send', recipients: ['me@your-company.example'] }, policy).outcome, 'allow');
    assert.equal(
      decide({ kind: 'email.send', recipients: ['x@team.your-client.example', 'anna@another-client.example'] }, policy)
        .outcome,
      'allow',
    );
    assert.equal(decide({ kind: 'email.send', recipients: ['someone@gmail.com'] }, policy).outcome, 'approve');
    assert.equal(
      decide({ kind: 'email.send', recipients: ['ceo@domain-you-never-write-to.example'] }, policy).outcome,
      'deny',
    );
  });
});
