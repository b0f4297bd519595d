// Lifecycle requests: approve, reject (with a comment), cancel.
import { api, enc } from './api.js';
import { h, field, messageLine, busy, badge, fmtTime, pagedTable, dialog,
  select } from './ui.js';

const STATES = ['pending', 'approved', 'issued', 'revoked', 'rejected', 'cancelled', 'failed'];
const KINDS = ['issue', 'renew', 'reissue', 'revoke'];

async function decide(r, what, msg) {
  if (what === 'reject') {
    const v = await dialog(`Reject request #${r.id}?`,
      field('Comment (required)', h('textarea', { name: 'comment', required: true })), { confirm: 'Reject', danger: true });
    if (!v) return null;
    return api('POST', `/requests/${enc(r.id)}/reject`, { json: { comment: v.comment } });
  }
  if (what === 'cancel') {
    const v = await dialog(`Cancel request #${r.id}?`, h('p', { text: 'The request ends as cancelled.' }), { confirm: 'Cancel the request', danger: true });
    if (!v) return null;
    return api('POST', `/requests/${enc(r.id)}/cancel`);
  }
  const out = await api('POST', `/requests/${enc(r.id)}/approve`);
  msg.ok(`Request #${r.id} approved.`);
  return out;
}

function actions(r, msg, after) {
  if (r.state !== 'pending') return h('span.muted', { text: '—' });
  const b = (label, what, cls) => {
    const btn = h(cls ? 'button.' + cls : 'button', { type: 'button', text: label, 'aria-label': `${label} request ${r.id}` });
    btn.addEventListener('click', () => busy(btn, msg, async () => {
      const res = await decide(r, what, msg);
      if (res) {
        msg.ok(`Request #${r.id}: ${res.state || what}.`);
        after(res);
      }
    }, label));
    return btn;
  };
  return h('div.actions', b('Approve', 'approve', 'primary'), b('Reject…', 'reject'), b('Cancel…', 'cancel'));
}

const target = (r) => {
  const c = r.certificate || r.issued_certificate || r.certificate_issued;
  return c ? h('a', { href: '#/certificates/' + enc(typeof c === 'object' ? c.id : c), text: 'certificate #' + (typeof c === 'object' ? c.id : c) }) : `application ${r.application || '?'}`;
};

export async function list(view, _p, query) {
  view.append(h('h1', { text: 'Requests' }));
  const state = select('state', [['', 'Any state'], ...STATES], query.has('state') ? query.get('state') : 'pending');
  const kind = select('kind', [['', 'Any kind'], ...KINDS], query.get('kind') || '');
  const form = h('form.inline', { role: 'search', 'aria-label': 'Filter requests' },
    field('State', state), field('Kind', kind), h('button', { type: 'submit', text: 'Filter' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/requests?state=${enc(state.value)}${kind.value ? '&kind=' + enc(kind.value) : ''}`;
  });
  const msg = messageLine();
  let table;
  table = pagedTable({
    label: 'requests',
    load: (after, limit) => api('GET', '/requests', { query: { state: state.value, kind: kind.value, after, limit } }),
    columns: [
      { label: 'Request', cell: (r) => h('a', { href: '#/requests/' + enc(r.id), text: `#${r.id}` }) },
      { label: 'Kind', cell: (r) => r.kind },
      { label: 'State', cell: (r) => badge(r.state) },
      { label: 'For', cell: target, opt: true },
      { label: 'By', cell: (r) => `${r.requested_by} (${r.requested_role})`, opt: true },
      { label: 'Created', cell: (r) => fmtTime(r.created_at), opt: true },
      { label: 'Actions', cell: (r) => actions(r, msg, () => table.reload()) },
    ],
    empty: 'No request matches.',
  });
  view.append(form, ...msg.nodes, table);
}

export async function details(view, [id]) {
  const r = await api('GET', '/requests/' + enc(id));
  const msg = messageLine();
  const dd = (k, v) => [h('dt', { text: k }), h('dd', v instanceof Node ? v : { text: v === null || v === undefined || v === '' ? '—' : String(v) })];
  view.append(h('h1', { text: `Request #${r.id} (${r.kind})` }),
    h('dl.details.card',
      dd('State', badge(r.state)), dd('Kind', r.kind), dd('For', target(r)), dd('Type', r.type),
      dd('Reason', r.reason), dd('Requested by', `${r.requested_by} (${r.requested_role})`),
      dd('Created', fmtTime(r.created_at)), dd('Due', r.due_at ? fmtTime(r.due_at) : null),
      dd('Decided by', r.decided_by), dd('Decided', r.decided_at ? fmtTime(r.decided_at) : null),
      dd('Comment', r.comment)),
    actions(r, msg, () => setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 600)),
    ...msg.nodes);
}
