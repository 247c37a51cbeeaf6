// Charts with uPlot, served from this server (/dashboard/assets/uplot.min.js, loaded only on pages with charts). A
// chart is drawn once its page is in the document (it needs its width), redrawn to fit when the window resizes, and
// always comes with its numbers in a table, for screen readers and keyboards.
import { h, table } from './ui.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
export const color = (i) => PALETTE[i % PALETTE.length];

let loading;
function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loading ??= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: '/dashboard/assets/uplot.min.css' }));
    const script = h('script', { src: '/dashboard/assets/uplot.min.js' });
    script.addEventListener('load', () => resolve(window.uPlot));
    script.addEventListener('error', () => reject(new Error('the chart library did not load')));
    document.head.append(script);
  });
  return loading;
}

const pending = [];
const live = [];

/** Keeps a reference line (a budget) only when it is within sight of the data; otherwise says so in words. */
function withinSight(series, format) {
  const max = Math.max(
    0,
    ...series.filter((s) => !s.reference).flatMap((s) => s.values.filter((v) => typeof v === 'number')),
  );
  const far = series.filter((s) => s.reference && max > 0 && Math.max(...s.values) > 20 * max);
  const notes = far.map(
    (s) => `${s.label}: ${format(Math.max(...s.values))}, far above what is spent here, so not drawn.`,
  );
  return { drawn: series.filter((s) => !far.includes(s)), notes };
}

/**
 * A chart over categories (days, agents, workflows): `labels` along x (named `x`), each series { label, values,
 * kind: 'bar' | 'line', dash?, reference? } over them, `format` for the y values. A `reference` series (a budget)
 * is drawn only when the data comes within a twentieth of it.
 */
export function chart({ title, x = '', labels, series: all, format = String, axis = format, height = 240 }) {
  const box = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${title} (chart; the numbers are in the table below)`,
  });
  const { drawn: series, notes } = withinSight(all, format);
  pending.push({ box, x, labels, series, axis, height });
  const rows = labels.map((l, i) => [
    l,
    ...all.map((s) => (s.values[i] === null || s.values[i] === undefined ? '—' : format(s.values[i]))),
  ]);
  return h(
    'figure',
    {},
    h('figcaption', {}, title),
    box,
    notes.map((n) => h('p', { class: 'muted' }, n)),
    h(
      'details',
      {},
      h('summary', {}, 'Numbers'),
      table([{ label: x }, ...all.map((s) => ({ label: s.label, num: true }))], rows),
    ),
  );
}

function draw(uPlot, { box, x, labels, series, axis, height }) {
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--muted').trim() || '#555';
  const grid = css.getPropertyValue('--line').trim() || '#ddd';
  const n = labels.length;
  const step = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((box.clientWidth || 600) / 70))));
  const ticks = labels.map((_, i) => i).filter((i) => i % step === 0);
  const opts = {
    width: box.clientWidth || 600,
    height,
    scales: { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      {
        stroke: fg,
        grid: { show: false },
        ticks: { stroke: grid },
        splits: () => ticks,
        values: (u, splits) => splits.map((i) => labels[i] ?? ''),
      },
      {
        stroke: fg,
        grid: { stroke: grid },
        ticks: { stroke: grid },
        size: 70,
        values: (u, splits) => splits.map(axis),
      },
    ],
    legend: { show: series.length > 1 || series[0]?.kind !== 'bar' },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: x, value: (u, i) => (i === null ? '' : (labels[i] ?? '')) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? color(i),
        fill: s.kind === 'bar' ? (s.color ?? color(i)) + 'b0' : undefined,
        width: s.kind === 'bar' ? 1 : 2,
        dash: s.dash,
        spanGaps: true,
        paths: s.kind === 'bar' ? uPlot.paths.bars({ size: [0.6, 80] }) : undefined,
        points: { show: s.kind !== 'bar' && n <= 31 && !s.dash },
        value: (u, v) => (v === null || v === undefined ? '—' : axis(v)),
      })),
    ],
  };
  const plot = new uPlot(opts, [labels.map((_, i) => i), ...series.map((s) => s.values)], box);
  live.push({ box, plot });
}

async function drawPending() {
  if (pending.length === 0) return;
  const uPlot = await loadUplot();
  for (const item of pending.splice(0)) if (item.box.isConnected) draw(uPlot, item);
  window.dispatchEvent(new Event('dashboard:charts'));
}

window.addEventListener('dashboard:rendered', () => {
  for (let i = live.length - 1; i >= 0; i--) if (!live[i].box.isConnected) live.splice(i, 1)[0].plot.destroy();
  drawPending().catch(
    (err) => document.getElementById('status') && (document.getElementById('status').textContent = err.message),
  );
});

let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const { box, plot } of live)
      if (box.isConnected && box.clientWidth) plot.setSize({ width: box.clientWidth, height: plot.height });
  }, 150);
});
