// The REST API client: same origin, bearer token from sessionStorage, or
// no Authorization header when signed in by client certificate (the
// browser presents it in the TLS handshake).
const TOKEN = 'certa.token';
const MODE = 'certa.mode';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get mode() { return sessionStorage.getItem(MODE); },
  who: null,
  signIn(mode, token) {
    sessionStorage.setItem(MODE, mode);
    if (token) sessionStorage.setItem(TOKEN, token);
    else sessionStorage.removeItem(TOKEN);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(MODE);
    this.who = null;
  },
};

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem && (problem.detail || problem.title);
    super(detail ? detail : `the server answered ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem ? problem.code : null;
  }
}

// One call.  opts: json (a body to send as JSON), body + ctype (raw),
// headers, query (object), accept, blob (answer as a Blob).
export async function api(method, path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  if (session.mode === 'token' && session.token) {
    headers.set('Authorization', 'Bearer ' + session.token);
  }
  let body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers.set('Content-Type', 'application/json');
  } else if (opts.body !== undefined) {
    body = opts.body;
    if (opts.ctype) headers.set('Content-Type', opts.ctype);
  }
  if (opts.accept) headers.set('Accept', opts.accept);
  let url = '/api/v1' + path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  let r;
  try {
    r = await fetch(url, { method, headers, body, cache: 'no-store',
      credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, { detail: 'cannot reach certa: ' + e.message });
  }
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  if (r.status === 204) return null;
  if (opts.blob) return r.blob();
  const ct = r.headers.get('Content-Type') || '';
  if (ct.includes('json')) {
    const data = await r.json();
    if (r.status === 202 && data && typeof data === 'object') data._accepted = true;
    return data;
  }
  return r.blob();
}

// Every item of a list (follows "next"); onPage(n) reports progress.
export async function all(path, query = {}, onPage = null, max = 100000) {
  const items = [];
  let after;
  for (let page = 1; ; page++) {
    const r = await api('GET', path, { query: { ...query, limit: 1000, after } });
    items.push(...r.items);
    if (onPage) onPage(page, items.length);
    if (!r.next || items.length >= max) return items;
    after = r.next;
  }
}

export const enc = (s) => encodeURIComponent(s);
