// The dashboard's pages: overview, runs (list, filters, review queue, one run's timeline and trace), approvals,
// violations, and schedules & connectors. Costs, quality and memory are in pages-data.js. Each page is a function
// ({ id, params }) → nodes.
import { actionButton, api, h, link, ms, navigate, num, say, table, time, usd } from './ui.js';
import { costsPage, memoryPage, qualityPage } from './pages-data.js';

const statusCell = (status) => h('span', { class: `status-${status}` }, status.replace('_', ' '));

async function overview() {
  const s = await api('summary');
  const card = (label, value, href) =>
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'muted' }, label),
      h('div', { class: 'big' }, href ? link(href, value) : value),
    );
  return [
    h('h1', {}, 'Dashboard'),
    h(
      'div',
      { class: 'cards' },
      card('Approvals waiting', String(s.approvalsPending), '/dashboard/approvals'),
      card('Runs waiting for review', String(s.reviewQueue), '/dashboard/runs'),
      card('Runs in progress', String(s.activeRuns), '/dashboard/runs'),
      card(
        'Model cost today',
        `${usd(s.todayUsd)}${s.budgetPerDayUsd === null ? '' : ` of ${usd(s.budgetPerDayUsd)}`}`,
        '/dashboard/costs',
      ),
      card('Policy violations (7 days)', String(s.violations7d), '/dashboard/violations'),
    ),
  ];
}

const REMEDY_LABELS = { retry: 'Retry step', skip: 'Skip step', cancel: 'Cancel and compensate' };

function remedyButtons(run, after) {
  return h(
    'div',
    { class: 'actions' },
    run.remedies.map((remedy) =>
      actionButton(
        REMEDY_LABELS[remedy],
        async () => {
          const result = await api(`runs/${encodeURIComponent(run.id)}/remedy`, { remedy });
          say(
            result.status === 'applied'
              ? `Run ${run.id}: ${result.run?.status ?? 'done'}.`
              : `Run ${run.id} had already moved on (${result.run?.status ?? '?'}).`,
          );
          await after();
        },
        { class: remedy === 'cancel' ? 'danger' : null },
      ),
    ),
  );
}

async function runs({ id, params }) {
  if (id) return runPage(id);
  const q = new URLSearchParams([...params.entries()].filter(([, v]) => v));
  const data = await api(`runs?${q}`);
  const select = (name, label, options) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name },
        h('option', { value: '' }, 'all'),
        options.map((o) => h('option', { value: o, selected: params.get(name) === o }, o)),
      ),
    );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    select('workflow', 'Workflow', data.workflows),
    select('status', 'Status', data.statuses),
    h('label', {}, 'From', h('input', { type: 'date', name: 'from', value: params.get('from') ?? '' })),
    h('label', {}, 'To', h('input', { type: 'date', name: 'to', value: params.get('to') ?? '' })),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = new URLSearchParams([...new FormData(form).entries()].filter(([, v]) => v));
    navigate(`/dashboard/runs${chosen.size ? `?${chosen}` : ''}`);
  });
  const review =
    data.review.length === 0
      ? h('p', { class: 'muted' }, 'No run is waiting for review.')
      : data.review.map((r) =>
          h(
            'div',
            { class: 'approval' },
            h('h3', {}, link(`/dashboard/runs/${encodeURIComponent(r.id)}`, r.id), ` · ${r.workflow}`),
            h('p', {}, r.review?.reason ?? ''),
            h(
              'dl',
              { class: 'facts' },
              h('dt', {}, 'Intended'),
              h('dd', {}, r.review?.intended ?? '—'),
              h('dt', {}, 'Now'),
              h('dd', {}, r.review?.actual ?? '—'),
            ),
            remedyButtons(r, () => navigate(location.pathname + location.search)),
          ),
        );
  return [
    h('h1', {}, 'Runs'),
    h('h2', {}, 'Review queue'),
    review,
    h('h2', {}, 'All runs'),
    form,
    data.runs.length === 0
      ? h('p', { class: 'muted' }, 'No runs match.')
      : table(
          [
            { label: 'Run' },
            { label: 'Workflow' },
            { label: 'Status' },
            { label: 'Started' },
            { label: 'Updated' },
            { label: 'Error' },
          ],
          data.runs.map((r) => [
            link(`/dashboard/runs/${encodeURIComponent(r.id)}`, r.id),
            r.workflow,
            statusCell(r.status),
            time(r.createdAt),
            time(r.updatedAt),
            r.error ?? '',
          ]),
        ),
  ];
}

/** The run as a trace: one row per span, its bar placed on the run's time line. */
function waterfall(spans) {
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end), start + 1);
  const depth = (s) =>
    s.parentId === undefined ? 0 : spans.find((p) => p.spanId === s.parentId)?.parentId === undefined ? 1 : 2;
  const ordered = [];
  const visit = (parent) => {
    for (const s of spans.filter((x) => x.parentId === parent).sort((a, b) => a.start - b.start)) {
      ordered.push(s);
      visit(s.spanId);
    }
  };
  visit(undefined);
  return h(
    'ol',
    { class: 'waterfall', 'aria-label': 'Trace of the run: each step and model call on the run’s time line' },
    ordered.map((s) => {
      const left = ((s.start - start) / (end - start)) * 100;
      const width = Math.max(0.4, ((s.end - s.start) / (end - start)) * 100);
      const dur = ms(s.end - s.start);
      const tokens =
        s.kind === 'llm' && s.attributes['gen_ai.usage.input_tokens'] !== undefined
          ? ` · ${s.attributes['gen_ai.usage.input_tokens']}+${s.attributes['gen_ai.usage.output_tokens']} tokens`
          : '';
      return h(
        'li',
        { class: `depth-${depth(s)} span-${s.kind}`, 'data-span': s.spanId },
        h('span', { class: 'name', title: s.name }, s.name),
        h(
          'span',
          { class: 'lane', title: `${s.name}: ${dur}${tokens}${s.message ? ` · ${s.message}` : ''}` },
          h('span', {
            class: `bar ${s.kind}${s.status === 'error' ? ' error' : ''}`,
            'data-left': left.toFixed(2),
            'data-width': width.toFixed(2),
          }),
          h('span', { class: 'sr-only' }, `${dur}${tokens}`),
        ),
      );
    }),
  );
}

/** Bars are placed after insertion: the page's CSP allows no inline style attributes, but CSSOM is fine. */
window.addEventListener('dashboard:rendered', () => {
  for (const bar of document.querySelectorAll('.waterfall .bar')) {
    bar.style.left = `${bar.dataset.left}%`;
    bar.style.width = `${bar.dataset.width}%`;
  }
});

async function runPage(id) {
  const t = await api(`runs/${encodeURIComponent(id)}`);
  const r = t.run;
  const refresh = () => navigate(location.pathname);
  const finished = ['completed', 'failed', 'cancelled'].includes(r.status);
  return [
    h('h1', {}, `Run ${r.id}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Workflow'),
      h('dd', {}, `${r.workflow} v${r.version}`),
      h('dt', {}, 'Status'),
      h('dd', {}, statusCell(r.status)),
      h('dt', {}, 'Started'),
      h('dd', {}, time(r.createdAt)),
      h('dt', {}, 'Updated'),
      h('dd', {}, time(r.updatedAt)),
      r.error ? [h('dt', {}, 'Error'), h('dd', { class: 'bad' }, r.error)] : null,
      r.review ? [h('dt', {}, 'Review'), h('dd', {}, r.review.reason)] : null,
    ),
    r.remedies ? remedyButtons(r, refresh) : null,
    !finished && !r.remedies
      ? h(
          'div',
          { class: 'actions' },
          actionButton(
            'Cancel run',
            async () => {
              await api(`runs/${encodeURIComponent(r.id)}/cancel`, {});
              say(`Run ${r.id} cancelled.`);
              refresh();
            },
            { class: 'danger' },
          ),
        )
      : null,
    h('h2', {}, 'Trace'),
    waterfall(t.spans),
    h('h2', {}, 'Steps'),
    t.steps.length === 0
      ? h('p', { class: 'muted' }, 'No steps yet.')
      : table(
          [
            { label: 'Step' },
            { label: 'Kind' },
            { label: 'Status' },
            { label: 'Attempts', num: true },
            { label: 'Duration', num: true },
            { label: 'Decided / errors' },
          ],
          t.steps.map((s) => [
            s.stepId,
            s.kind,
            statusCell(s.status),
            String(s.attempts),
            ms(s.durationMs),
            [
              s.approval
                ? `${s.approval.status}${s.approval.decidedBy ? ` by ${s.approval.decidedBy} via ${s.approval.decidedVia}` : ''}${s.approval.edited ? ' (edited)' : ''}`
                : '',
              s.retries.map((x) => h('div', { class: 'muted' }, `attempt ${x.attempt} failed: ${x.error}`)),
              s.error ? h('div', { class: 'bad' }, s.error) : null,
            ],
          ]),
        ),
    h('h2', {}, 'Model calls'),
    t.calls.length === 0
      ? h('p', { class: 'muted' }, 'No model calls in this run.')
      : table(
          [
            { label: 'At' },
            { label: 'Agent' },
            { label: 'Prompt' },
            { label: 'Model' },
            { label: 'Tokens in', num: true },
            { label: 'Tokens out', num: true },
            { label: 'Cost', num: true },
            { label: 'Latency', num: true },
          ],
          t.calls.map((c) => [
            time(c.at),
            c.agent ?? '—',
            c.promptVersion ?? '—',
            c.model,
            c.ok ? num(c.promptTokens) : h('span', { class: 'bad' }, 'failed'),
            c.ok ? num(c.completionTokens) : '',
            c.ok ? usd(c.costUsd) : '',
            c.ok ? ms(c.latencyMs) : c.error,
          ]),
        ),
    h('h2', {}, 'Decisions'),
    t.decisions.length === 0
      ? h('p', { class: 'muted' }, 'No policy decisions or approvals.')
      : table(
          [{ label: 'At' }, { label: 'What' }, { label: 'Outcome' }, { label: 'Who / why' }],
          t.decisions.map((d) =>
            d.kind === 'approval'
              ? [time(d.at), 'approval', d.outcome, `${d.by} via ${d.via}`]
              : d.kind === 'policy'
                ? [time(d.at), `policy: ${d.what} (${d.agent})`, d.outcome, d.reasons.join('; ')]
                : [time(d.at), `violation: ${d.policy} ${d.rule}`, 'stopped', d.detail],
          ),
        ),
  ];
}

function approvalCard(a) {
  const box = h(
    'section',
    { class: 'approval', 'aria-labelledby': `ap-${a.id}` },
    h('h2', { id: `ap-${a.id}` }, a.title),
    h(
      'p',
      { class: 'muted' },
      `Run `,
      link(`/dashboard/runs/${encodeURIComponent(a.runId)}`, a.runId),
      `${a.workflow ? ` · ${a.workflow}` : ''} · asked ${time(a.createdAt)} · expires ${time(a.expiresAt)}`,
    ),
    h(
      'ul',
      {},
      a.details.map((d) => h('li', {}, d)),
    ),
    a.diff.length ? h('pre', {}, a.diff.join('\n')) : null,
  );
  const text = a.text === null ? null : h('textarea', { 'aria-label': `Text of “${a.title}”` }, a.text);
  if (text) box.append(text);
  const decide = (decision) => async () => {
    const result = await api(`approvals/${encodeURIComponent(a.id)}/decide`, { decision });
    box.replaceChildren(
      h('h2', {}, a.title),
      h('p', { class: result.status === 'applied' ? 'ok' : 'warn' }, result.message),
    );
    say(result.message);
  };
  const edit = text
    ? actionButton('Save edit', async () => {
        const result = await api(`approvals/${encodeURIComponent(a.id)}/edit`, { text: text.value });
        say(result.message);
      })
    : null;
  box.append(
    h(
      'div',
      { class: 'actions' },
      actionButton('Approve', decide('approved'), { class: 'primary' }),
      actionButton('Reject', decide('rejected'), { class: 'danger' }),
      edit,
    ),
  );
  return box;
}

async function approvals() {
  const { pending } = await api('approvals');
  return [
    h('h1', {}, 'Approvals'),
    pending.length === 0
      ? h('p', { class: 'muted' }, 'Nothing is waiting for your approval.')
      : pending.map(approvalCard),
  ];
}

async function violations({ params }) {
  const days = params.get('days') ?? '30';
  const { violations: list } = await api(`violations?days=${encodeURIComponent(days)}`);
  return [
    h('h1', {}, 'Policy violations'),
    h(
      'p',
      { class: 'muted' },
      `The last ${days} days, newest first. The file and line are where the rule is written now.`,
    ),
    list.length === 0
      ? h('p', { class: 'muted' }, 'Nothing was stopped.')
      : table(
          [
            { label: 'When' },
            { label: 'Policy' },
            { label: 'Rule' },
            { label: 'Where' },
            { label: 'What was stopped' },
            { label: 'Run' },
          ],
          list.map((v) => [
            time(v.at),
            v.policy,
            v.rule,
            v.file ? `${v.file}${v.line ? `:${v.line}` : ''}` : 'built-in',
            v.stopped,
            v.runId ? link(`/dashboard/runs/${encodeURIComponent(v.runId)}`, v.runId) : '—',
          ]),
        ),
  ];
}

const late = (msLate) =>
  msLate > 60_000
    ? h('span', { class: 'bad' }, ms(msLate))
    : msLate > 0
      ? h('span', { class: 'warn' }, ms(msLate))
      : 'on time';
const part = (value, render) =>
  value === null
    ? h('p', { class: 'muted' }, 'Not configured.')
    : 'error' in value
      ? h('p', { class: 'bad' }, `Could not read: ${value.error}`)
      : render(value.items);

async function ops() {
  const o = await api('ops');
  return [
    h('h1', {}, 'Schedules & connectors'),
    h('h2', {}, 'Schedules'),
    part(o.schedules, (items) =>
      items.length === 0
        ? h('p', { class: 'muted' }, 'No scheduled jobs.')
        : table(
            [
              { label: 'Job' },
              { label: 'Schedule' },
              { label: 'Next run' },
              { label: 'Last run' },
              { label: 'Last outcome' },
              { label: 'Lateness' },
            ],
            items.map((j) => [
              j.name,
              j.schedule ?? '—',
              time(j.nextRunAt),
              time(j.lastRunAt),
              j.lastError
                ? h('span', { class: 'bad' }, `${j.lastOutcome ?? 'failed'}: ${j.lastError}`)
                : (j.lastOutcome ?? '—'),
              late(j.lateMs),
            ]),
          ),
    ),
    h('h2', {}, 'Connectors'),
    part(o.connectors, (items) =>
      items.length === 0
        ? h('p', { class: 'muted' }, 'No connectors configured.')
        : table(
            [{ label: 'Connector' }, { label: 'Health' }, { label: 'Detail' }],
            items.map((c) => [c.connector, h('span', { class: c.state === 'ok' ? 'ok' : 'bad' }, c.state), c.detail]),
          ),
    ),
  ];
}

export const PAGES = {
  '': overview,
  runs,
  approvals,
  costs: costsPage,
  quality: qualityPage,
  violations,
  memory: memoryPage,
  ops,
};
