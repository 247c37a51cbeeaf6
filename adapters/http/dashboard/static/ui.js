// Solo OS dashboard: shared helpers. Keeps the token (#token=… once, like the chat page), calls the JSON API, and
// builds DOM without innerHTML, so every text that comes from the store is shown as text, never as markup.

const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) {
  localStorage.setItem('soloToken', fromHash);
  history.replaceState(null, '', location.pathname + location.search);
}
export const token = localStorage.getItem('soloToken');

/** Calls /api/dashboard/<path>; throws an Error with the server's one sentence on failure. */
export async function api(path, body) {
  const headers = {};
  if (token) headers.authorization = 'Bearer ' + token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch('/api/dashboard/' + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `the server answered ${res.status}`);
  return data;
}

/** h('a', { href }, 'text', child…): an element; attributes starting with "on" are listeners. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity))
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const link = (href, text) => h('a', { href, 'data-nav': true }, text);
export const time = (t) => {
  if (!t) return '—';
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
};
export const usd = (n) =>
  n === null || n === undefined ? '—' : n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
export const pct = (n) => (n === null || n === undefined ? '—' : `${Math.round(n * 100)}%`);
export const ms = (n) =>
  n === null || n === undefined
    ? '—'
    : n >= 3_600_000
      ? `${(n / 3_600_000).toFixed(1)} h`
      : n >= 60_000
        ? `${Math.round(n / 60_000)} min`
        : n >= 1000
          ? `${(n / 1000).toFixed(1)} s`
          : `${Math.round(n)} ms`;
export const num = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));

/** A table: columns [{ label, num? }], rows of cells (text or nodes). */
export function table(columns, rows, caption) {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      caption ? h('caption', { class: 'muted' }, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((cell, i) => h('td', { class: columns[i]?.num ? 'num' : null }, cell ?? '—')),
          ),
        ),
      ),
    ),
  );
}

let toastTimer;
/** Says something in the live region (screen readers announce it) for a few seconds. */
export function say(text) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 5000);
}

/** A button that runs an async action once at a time and reports its failure in one sentence. */
export function actionButton(label, run, attrs = {}) {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await run();
    } catch (err) {
      say(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Opens another dashboard page without a reload. */
export function navigate(href) {
  history.pushState(null, '', href);
  window.dispatchEvent(new Event('dashboard:navigate'));
}
