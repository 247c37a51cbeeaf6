// The dashboard's data pages: costs against the budgets in force, quality per agent version over time, and memory
// (search, provenance, correct and forget with Undo).
import { chart, color } from './charts.js';
import { actionButton, api, h, link, ms, navigate, num, pct, say, table, time, usd } from './ui.js';

const dayLabel = (d) => d.slice(5);
/** Dollars on an axis: small amounts keep two significant digits ($0.00012). */
const usdAxis = (n) => (n === 0 ? '$0' : n < 0.01 ? `$${Number(n.toPrecision(2))}` : `$${n.toFixed(2)}`);

function daysPicker(params, base) {
  const days = params.get('days') ?? '30';
  return h(
    'p',
    {},
    'Window: ',
    [7, 30, 90].map((d) => [
      String(d) === days ? h('strong', {}, `${d} days`) : link(`${base}?days=${d}`, `${d} days`),
      ' ',
    ]),
  );
}

export async function costsPage({ params }) {
  const days = params.get('days') ?? '30';
  const c = await api(`costs?days=${encodeURIComponent(days)}`);
  const labels = c.days.map(dayLabel);
  const perDay = [{ label: 'cost', kind: 'bar', values: c.byDay.map((d) => d.costUsd) }];
  if (c.budgets.perDayUsd !== null)
    perDay.push({
      label: 'daily budget',
      kind: 'line',
      dash: [6, 4],
      reference: true,
      color: '#b42318',
      values: c.days.map(() => c.budgets.perDayUsd),
    });
  const agentSeries = c.byAgent.flatMap((a, i) => [
    { label: a.key, kind: 'line', color: color(i), values: a.perDay },
    ...(a.budgetPerDayUsd === null
      ? []
      : [
          {
            label: `${a.key} daily budget`,
            kind: 'line',
            dash: [6, 4],
            reference: true,
            color: color(i),
            values: c.days.map(() => a.budgetPerDayUsd),
          },
        ]),
  ]);
  const workflows = c.byWorkflow.filter((w) => w.runs > 0);
  const workflowSeries = [{ label: 'most expensive run', kind: 'bar', values: workflows.map((w) => w.maxRunUsd) }];
  if (c.budgets.perRunUsd !== null)
    workflowSeries.push({
      label: 'per-run budget',
      kind: 'line',
      dash: [6, 4],
      reference: true,
      color: '#b42318',
      values: workflows.map(() => c.budgets.perRunUsd),
    });
  const empty = c.total.calls === 0;
  return [
    h('h1', {}, 'Costs'),
    daysPicker(params, '/dashboard/costs'),
    h(
      'p',
      {},
      `${usd(c.total.costUsd)} in ${num(c.total.calls)} model calls (${num(c.total.promptTokens)} tokens in, ${num(c.total.completionTokens)} out); today ${usd(c.todayUsd)}${c.budgets.perDayUsd === null ? '' : ` of ${usd(c.budgets.perDayUsd)}`}. Days in ${c.timeZone}.`,
    ),
    empty
      ? h('p', { class: 'muted' }, 'No model calls in this window.')
      : [
          chart({
            title: 'Per day, against the daily budget',
            x: 'Day',
            labels,
            series: perDay,
            format: usd,
            axis: usdAxis,
          }),
          agentSeries.length
            ? chart({
                title: 'Per agent per day, against each agent’s daily budget',
                x: 'Day',
                labels,
                series: agentSeries,
                format: usd,
                axis: usdAxis,
              })
            : null,
          workflows.length
            ? chart({
                title: 'Per workflow: the most expensive run, against the per-run budget',
                x: 'Workflow',
                labels: workflows.map((w) => w.key),
                series: workflowSeries,
                format: usd,
                axis: usdAxis,
              })
            : null,
        ],
    h('h2', {}, 'Per workflow'),
    table(
      [
        { label: 'Workflow' },
        { label: 'Calls', num: true },
        { label: 'Runs', num: true },
        { label: 'Cost', num: true },
        { label: 'Avg per run', num: true },
        { label: 'Max per run', num: true },
      ],
      c.byWorkflow.map((w) => [
        w.key,
        num(w.calls),
        num(w.runs),
        usd(w.costUsd),
        w.runs ? usd(w.avgRunUsd) : '—',
        w.runs ? usd(w.maxRunUsd) : '—',
      ]),
    ),
    h('h2', {}, 'Per agent'),
    table(
      [
        { label: 'Agent' },
        { label: 'Calls', num: true },
        { label: 'Tokens in', num: true },
        { label: 'Tokens out', num: true },
        { label: 'Cost', num: true },
        { label: 'Today', num: true },
        { label: 'Daily budget', num: true },
      ],
      c.byAgent.map((a) => [
        a.key,
        num(a.calls),
        num(a.promptTokens),
        num(a.completionTokens),
        usd(a.costUsd),
        usd(a.todayUsd),
        a.budgetPerDayUsd === null ? 'none' : usd(a.budgetPerDayUsd),
      ]),
    ),
  ];
}

export async function qualityPage({ params }) {
  const days = params.get('days') ?? '30';
  const q = await api(`quality?days=${encodeURIComponent(days)}`);
  const labels = q.days.map(dayLabel);
  const series = (pick) =>
    q.versions.map((v, i) => ({
      label: v.label,
      kind: 'line',
      color: color(i),
      values: v.perDay.map((d) => (d.calls ? (pick(d) ?? null) : null)),
    }));
  return [
    h('h1', {}, 'Quality per agent version'),
    daysPicker(params, '/dashboard/quality'),
    h(
      'p',
      { class: 'muted' },
      'A version is an agent with its prompt version, what /compare and /promote change. Success: finished runs that completed (for agents outside runs, calls that returned a valid answer).',
    ),
    q.versions.length === 0
      ? h('p', { class: 'muted' }, 'No agent ran in this window.')
      : [
          table(
            [
              { label: 'Version' },
              { label: 'Calls', num: true },
              { label: 'Runs', num: true },
              { label: 'Success', num: true },
              { label: 'Approved', num: true },
              { label: 'Edited before approval', num: true },
              { label: 'Tokens / run', num: true },
              { label: 'Cost / run', num: true },
              { label: 'Latency p50', num: true },
              { label: 'p95', num: true },
            ],
            q.versions.map((v) => [
              v.label,
              num(v.calls),
              num(v.runs),
              pct(v.successRate),
              pct(v.approvalRate),
              pct(v.editRate),
              num(v.tokensPerRun),
              usd(v.costPerRunUsd),
              ms(v.latencyP50Ms),
              ms(v.latencyP95Ms),
            ]),
          ),
          chart({ title: 'Success rate per day', x: 'Day', labels, series: series((d) => d.successRate), format: pct }),
          chart({
            title: 'Cost per run per day',
            x: 'Day',
            labels,
            series: series((d) => d.costPerRunUsd),
            format: usd,
            axis: usdAxis,
          }),
          chart({
            title: 'Latency (p50) per day',
            x: 'Day',
            labels,
            series: series((d) => d.latencyP50Ms),
            format: ms,
          }),
          chart({
            title: 'Approval and edit rates per day',
            x: 'Day',
            labels,
            series: [
              ...series((d) => d.approvalRate),
              ...series((d) => d.editRate).map((s) => ({ ...s, label: `${s.label} edited`, dash: [4, 3] })),
            ],
            format: pct,
          }),
        ],
    h('h2', {}, 'Promotions'),
    q.promotions.length === 0
      ? h('p', { class: 'muted' }, 'No prompt was promoted in this window.')
      : h(
          'ul',
          {},
          q.promotions.map((p) => h('li', {}, `${time(p.at)}: ${p.agent} ${p.previous} → ${p.promptVersion}`)),
        ),
  ];
}

function memoryList(memories) {
  return memories.length === 0
    ? h('p', { class: 'muted' }, 'No memories found.')
    : table(
        [{ label: 'Id' }, { label: 'Memory' }, { label: 'Kind' }, { label: 'Kept' }, { label: 'State' }],
        memories.map((m) => [
          link(`/dashboard/memory/${m.id}`, `#${m.id}`),
          m.text,
          m.kind,
          time(m.createdAt),
          m.state,
        ]),
      );
}

/** Runs a memory change and offers its Undo in the answer. */
async function change(id, action, body, out) {
  const result = await api(`memory/${id}/${action}`, body ?? {});
  say(result.message);
  const undo = result.undo;
  out.replaceChildren(
    h('p', { class: result.ok ? 'ok' : 'warn' }, result.message),
    undo
      ? actionButton('Undo', async () => {
          const back = await api(`memory/${undo.id}/${undo.action}`, {});
          say(back.message);
          navigate(`/dashboard/memory/${id}`);
        })
      : null,
    result.memory && result.memory.id !== id
      ? h(
          'p',
          {},
          'Now: ',
          link(`/dashboard/memory/${result.memory.id}`, `#${result.memory.id}`),
          ` ${result.memory.text}`,
        )
      : null,
  );
}

async function memoryDetail(id) {
  const d = await api(`memory/${encodeURIComponent(id)}`);
  const m = d.memory;
  const out = h('div', { role: 'status' });
  const text = h('textarea', { id: 'correct-text', name: 'text', 'aria-label': 'Corrected text' }, m.text);
  const source = d.source;
  return [
    h('h1', {}, `Memory #${m.id}`),
    h('p', {}, link('/dashboard/memory', '← search')),
    h('pre', {}, m.text),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'State'),
      h('dd', {}, m.state),
      h('dt', {}, 'Kind'),
      h('dd', {}, m.kind),
      h('dt', {}, 'About'),
      h('dd', {}, m.entities.length ? m.entities.map((e) => e.name).join(', ') : '—'),
      h('dt', {}, 'Importance'),
      h('dd', {}, String(m.importance)),
      h('dt', {}, 'Came from'),
      h('dd', {}, source.described),
      source.message
        ? [
            h('dt', {}, 'Message'),
            h('dd', {}, `“${source.message.text}” (${source.message.channel}, ${time(source.message.at)})`),
          ]
        : null,
      source.runId
        ? [h('dt', {}, 'Run'), h('dd', {}, link(`/dashboard/runs/${encodeURIComponent(source.runId)}`, source.runId))]
        : null,
      source.importedFrom ? [h('dt', {}, 'File'), h('dd', {}, source.importedFrom)] : null,
      d.corrects
        ? [h('dt', {}, 'Corrects'), h('dd', {}, link(`/dashboard/memory/${d.corrects}`, `#${d.corrects}`))]
        : null,
      d.correctedBy
        ? [h('dt', {}, 'Corrected by'), h('dd', {}, link(`/dashboard/memory/${d.correctedBy}`, `#${d.correctedBy}`))]
        : null,
      d.digest
        ? [
            h('dt', {}, 'Summarised in'),
            h('dd', {}, link(`/dashboard/memory/${d.digest.id}`, `digest #${d.digest.id}`)),
          ]
        : null,
    ),
    d.summarises.length ? [h('h2', {}, 'Summarises'), memoryList(d.summarises)] : null,
    d.versions.length > 1 ? [h('h2', {}, 'Versions, oldest first'), memoryList(d.versions)] : null,
    m.state === 'live'
      ? [
          h('h2', {}, 'Correct or forget'),
          text,
          h(
            'div',
            { class: 'actions' },
            actionButton('Save correction', () => change(m.id, 'correct', { text: text.value }, out), {
              class: 'primary',
            }),
            actionButton('Forget', () => change(m.id, 'forget', {}, out), { class: 'danger' }),
          ),
        ]
      : m.state === 'forgotten'
        ? h(
            'div',
            { class: 'actions' },
            actionButton('Restore', () => change(m.id, 'restore', {}, out)),
          )
        : null,
    out,
  ];
}

export async function memoryPage({ id, params }) {
  if (id) return memoryDetail(id);
  const q = params.get('q') ?? '';
  const data = await api(`memory?q=${encodeURIComponent(q)}`);
  const input = h('input', {
    type: 'search',
    name: 'q',
    value: q,
    'aria-label': 'Search memories',
    placeholder: 'e.g. Acme budget',
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('label', {}, 'Search', input),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(`/dashboard/memory${input.value.trim() ? `?q=${encodeURIComponent(input.value.trim())}` : ''}`);
  });
  return [
    h('h1', {}, 'Memory'),
    form,
    h('p', { class: 'muted' }, q ? `Best matches for “${q}”.` : 'The newest memories.'),
    memoryList(data.memories),
  ];
}
