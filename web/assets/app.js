// certa console: hash routing (#/certificates/12), sign-in, the frame.
import { api, session } from './api.js';
import { h, field, messageLine, busy } from './ui.js';
import * as pages from './pages.js';
import * as certs from './certs.js';
import * as trust from './trust.js';
import * as reqs from './requests.js';
import * as settings from './settings.js';

const routes = [
  [/^$/, pages.dashboard],
  [/^organisations$/, pages.organisations],
  [/^organisations\/([^/]+)$/, pages.organisation],
  [/^applications\/([^/]+)$/, pages.application],
  [/^certificates$/, certs.list],
  [/^certificates\/([^/]+)$/, certs.details],
  [/^new$/, certs.create],
  [/^requests$/, reqs.list],
  [/^requests\/([^/]+)$/, reqs.details],
  [/^trust$/, trust.list],
  [/^trust\/([^/]+)$/, trust.details],
  [/^audit$/, pages.audit],
  [/^settings$/, settings.settings],
];

const main = document.getElementById('main');
const who = document.getElementById('who');
const nav = document.getElementById('nav');
const toggle = document.getElementById('menu-toggle');

toggle.addEventListener('click', () => {
  const open = nav.classList.toggle('open');
  toggle.setAttribute('aria-expanded', String(open));
});

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  return { path: path.replace(/\/$/, ''), query: new URLSearchParams(qs || '') };
}

export function go(path) {
  location.hash = '#/' + path;
}

function showWho() {
  if (!session.who) {
    who.replaceChildren();
    return;
  }
  const how = session.mode === 'cert' ? 'client certificate' : 'token';
  who.replaceChildren(
    h('span', { text: `${session.who.actor} · ${session.who.role} (${how})` }),
    h('button', { type: 'button', text: 'Sign out', onclick: () => {
      session.signOut();
      showWho();
      go('');
      render();
    } }));
}

function signInPage() {
  document.title = 'Sign in · certa';
  const tokenMsg = messageLine();
  const certMsg = messageLine();
  const token = h('input', { name: 'token', type: 'password', autocomplete: 'off',
    required: true, spellcheck: 'false', size: 40 });
  const tokenBtn = h('button.primary', { type: 'submit', text: 'Sign in' });
  const certBtn = h('button', { type: 'button', text: 'Sign in with my client certificate' });
  const form = h('form', { 'aria-labelledby': 'signin-token' },
    h('h2#signin-token', { text: 'With an API token' }),
    field('API token', token, 'certa token create --role ROLE --name NAME; kept in this tab only (session storage).'),
    tokenBtn, ...tokenMsg.nodes);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await busy(tokenBtn, tokenMsg, async () => {
      session.signIn('token', token.value.trim());
      try {
        session.who = await api('GET', '/whoami');
      } catch (e) {
        session.signOut();
        throw e;
      }
      token.value = '';
      showWho();
      render();
    }, 'Signing in');
  });
  certBtn.addEventListener('click', () => busy(certBtn, certMsg, async () => {
    session.signIn('cert');
    try {
      session.who = await api('GET', '/whoami');
    } catch (e) {
      session.signOut();
      throw e;
    }
    showWho();
    render();
  }, 'Signing in'));
  main.replaceChildren(h('div.signin',
    h('h1', { text: 'Sign in to certa', tabindex: '-1' }),
    h('div.card', form),
    h('div.card',
      h('h2', { text: 'With a client certificate' }),
      h('p.muted', { text: 'Your browser presents a certificate issued by this certa and mapped to a role (certa role map).' }),
      certBtn, ...certMsg.nodes)));
  token.focus();
}

let seq = 0;
async function render() {
  const mine = ++seq;
  nav.classList.remove('open');
  toggle.setAttribute('aria-expanded', 'false');
  if (!session.mode) {
    signInPage();
    return;
  }
  if (!session.who) {
    try {
      session.who = await api('GET', '/whoami');
    } catch (e) {
      session.signOut();
      signInPage();
      return;
    }
    showWho();
  }
  const { path, query } = parseHash();
  for (const a of nav.querySelectorAll('a')) {
    const target = a.getAttribute('href').slice(2);
    const cur = target === '' ? path === '' : (path === target || path.startsWith(target + '/'));
    if (cur) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let page = null;
  let params = [];
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (m) {
      page = fn;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  const view = h('div.view');
  if (!page) {
    view.append(h('h1', { text: 'Not found', tabindex: '-1' }),
      h('p', 'No page here. ', h('a', { href: '#/', text: 'Back to the dashboard' })));
  } else {
    try {
      await page(view, params, query);
    } catch (e) {
      view.append(h('p.error', { role: 'alert', text: e.message || String(e) }));
    }
  }
  if (mine !== seq) return;
  main.replaceChildren(view);
  main.dataset.rendered = String(Number(main.dataset.rendered || 0) + 1);
  const h1 = view.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    document.title = h1.textContent + ' · certa';
    if (document.activeElement === document.body || !main.contains(document.activeElement)) {
      h1.focus({ preventScroll: true });
    }
  }
}

window.addEventListener('hashchange', render);
render();
