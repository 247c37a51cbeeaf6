// Solo OS dashboard: the router. Each page under /dashboard/<page>[/<id>] is rendered by its function in pages.js;
// links marked data-nav open without a reload, and focus moves to the page's content.
import { PAGES } from './pages.js';
import { h, navigate, token } from './ui.js';

let rendering = 0;

async function render() {
  const mine = ++rendering;
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  const parts = location.pathname
    .replace(/^\/dashboard\/?/, '')
    .split('/')
    .filter(Boolean);
  const page = PAGES[parts[0] ?? ''] ?? PAGES[''];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === '/dashboard/' + (parts[0] ?? '')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const params = new URLSearchParams(location.search);
  try {
    const content = await page({ id: parts[1] ? decodeURIComponent(parts[1]) : undefined, params });
    if (mine !== rendering) return;
    main.replaceChildren(...[content].flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    window.dispatchEvent(new Event('dashboard:rendered'));
    document.title = `${main.querySelector('h1')?.textContent ?? 'Dashboard'} · Solo OS`;
  } catch (err) {
    if (mine !== rendering) return;
    main.replaceChildren(
      h('h1', {}, 'Could not load this page'),
      h('p', { class: 'bad' }, err.message),
      token
        ? null
        : h(
            'p',
            { class: 'muted' },
            'If the server has WEB_TOKEN set, open this page once as /dashboard#token=<token>.',
          ),
    );
  }
  main.setAttribute('aria-busy', 'false');
}

document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-nav]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
  document.getElementById('main').focus();
});
window.addEventListener('popstate', () => void render());
window.addEventListener('dashboard:navigate', () => void render());
void render();
