// Small DOM helpers: no framework, no innerHTML with data (XSS-safe).

// h('tag.class#id', {attr: v, onclick: fn}, ...children)
export function h(sel, attrs, ...children) {
  const m = sel.match(/^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

// A labelled input: field('Alias', h('input', {name: 'alias'}))
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const kids = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hid = nextId('hint');
    control.setAttribute('aria-describedby', hid);
    kids.push(h('div.muted', { id: hid, text: hint }));
  }
  return h('div.field', kids);
}

export function select(name, options, value) {
  return h('select', { name },
    options.map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: v === value ? 'selected' : null, text: l });
    }));
}

// An error/status line that lives next to an action.
export function messageLine() {
  const err = h('p.error', { role: 'alert' });
  const ok = h('p.status', { role: 'status' });
  return {
    nodes: [err, ok],
    error(e) { ok.textContent = ''; err.textContent = e ? (e.message || String(e)) : ''; },
    ok(msg) { err.textContent = ''; ok.textContent = msg || ''; },
    clear() { err.textContent = ''; ok.textContent = ''; },
  };
}

// Run fn with button disabled and a progress indicator; errors go to msg.
export async function busy(button, msg, fn, label = 'Working') {
  const prog = h('progress', { 'aria-label': label + '…' });
  const old = button ? button.disabled : false;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.after(prog);
  }
  if (msg) msg.clear();
  try {
    return await fn(prog);
  } catch (e) {
    if (msg) msg.error(e);
    else throw e;
    return undefined;
  } finally {
    prog.remove();
    if (button) {
      button.disabled = old;
      button.removeAttribute('aria-busy');
    }
  }
}

export function badge(text) {
  return h('span.badge.' + String(text).replace(/[^\w-]/g, ''), { text });
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$|:\d\dZ$/, ' UTC');
}

export function daysLeft(iso) {
  return Math.floor((new Date(iso).getTime() - Date.now()) / 86400000);
}

// A table: columns [{label, cell(row) -> node|string, opt: true (hide on phones)}]
export function table(columns, rows, caption) {
  return h('div.table-wrap',
    h('table', caption ? h('caption.muted', { text: caption }) : null,
      h('thead', h('tr', columns.map((c) => h(c.opt ? 'th.opt' : 'th', { scope: 'col', text: c.label })))),
      h('tbody', rows.map((r) => h('tr', columns.map((c) => {
        const v = c.cell(r);
        return h(c.opt ? 'td.opt' : (c.mono ? 'td.mono' : 'td'), v instanceof Node ? v : (v === null || v === undefined || v === '' ? '—' : String(v)));
      }))))));
}

// A table that pages through an API list ({items, next}).
// load(after, limit) -> {items, next}; filter(items) optional.
export function pagedTable({ columns, load, empty = 'Nothing here.', limit = 25, label = 'results' }) {
  const box = h('div.paged');
  const msg = messageLine();
  const stack = [];
  let cur;
  async function show(after) {
    const prevBtn = h('button', { type: 'button', text: '← Previous', disabled: stack.length ? null : true });
    const nextBtn = h('button', { type: 'button', text: 'Next →', disabled: true });
    const info = h('span.muted');
    const size = h('select', { name: 'limit', 'aria-label': 'Rows per page' },
      [10, 25, 100, 500].map((n) => h('option', { value: String(n), selected: n === limit ? 'selected' : null, text: `${n} a page` })));
    size.addEventListener('change', () => {
      limit = Number(size.value);
      stack.length = 0;
      show(undefined).then(() => { const s = box.querySelector('select[name="limit"]'); if (s) s.focus(); });
    });
    box.replaceChildren(h('p.muted', { text: 'Loading…', role: 'status' }));
    let r;
    try {
      r = await load(after, limit);
    } catch (e) {
      box.replaceChildren(...msg.nodes);
      msg.error(e);
      return;
    }
    cur = after;
    const pageNo = stack.length + 1;
    info.textContent = `Page ${pageNo} · ${r.items.length} ${label}`;
    prevBtn.addEventListener('click', () => show(stack.pop()));
    if (r.next) {
      nextBtn.disabled = false;
      nextBtn.addEventListener('click', () => { stack.push(cur); show(r.next); });
    }
    box.replaceChildren(
      r.items.length ? table(columns, r.items) : h('p.muted', { text: empty }),
      h('div.pager', { role: 'navigation', 'aria-label': 'Pages of ' + label }, prevBtn, nextBtn, size, info),
      ...msg.nodes);
  }
  box.reload = () => show(cur);
  box.restart = () => { stack.length = 0; return show(undefined); };
  show(undefined);
  return box;
}

// A modal dialog; resolves with the form's values or null when cancelled.
export function dialog(title, body, { confirm = 'OK', danger = false } = {}) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog' },
      h('h2', { text: title }), body,
      h('div.actions',
        h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary', text: confirm }),
        h('button', { type: 'button', value: 'cancel', text: 'Cancel', onclick: () => dlg.close('cancel') })));
    const dlg = h('dialog', { 'aria-label': title }, form);
    form.addEventListener('submit', (ev) => {
      if (!form.checkValidity()) { ev.preventDefault(); return; }
    });
    dlg.addEventListener('close', () => {
      const ok = dlg.returnValue === 'ok';
      const values = ok ? Object.fromEntries(new FormData(form).entries()) : null;
      dlg.remove();
      resolve(values);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function b64ToBytes(b64) {
  // Lenient like Python's b64decode: drop anything outside the alphabet.
  const bin = atob(b64.replace(/[^A-Za-z0-9+/=]/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function pemToDer(pem) {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return b64ToBytes(body);
}

export async function digestHex(alg, bytes) {
  if (!crypto.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest(alg, bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join(':');
}
