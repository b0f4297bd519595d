// Dashboard, organisations and applications, audit log (settings.js: settings).
import { api, all, enc } from './api.js';
import { h, field, messageLine, busy, badge, fmtTime, daysLeft, table,
  pagedTable, download } from './ui.js';

const TYPES = ['transport', 'signing', 'encryption'];

function stat(n, label, href) {
  const body = [h('div.n', { text: String(n) }), h('div.l', { text: label })];
  return h('div.stat', href ? h('a', { href }, body) : body);
}

export async function dashboard(view) {
  view.append(h('h1', { text: 'Dashboard' }));
  const msg = messageLine();
  const box = h('div', h('p.muted', { role: 'status', text: 'Counting…' }));
  view.append(box, ...msg.nodes);
  let certs = [];
  let pending = [];
  let rejected = [];
  const errors = [];
  await Promise.all([
    all('/certificates', {}, null, 20000).then((x) => { certs = x; }, (e) => errors.push(e)),
    all('/requests', { state: 'pending' }).then((x) => { pending = x; }, (e) => errors.push(e)),
    all('/trust', { list: 'rejected' }).then((x) => { rejected = x; }, (e) => errors.push(e)),
  ]);
  if (errors.length) msg.error(errors[0]);
  const byStatus = { valid: 0, revoked: 0, expired: 0 };
  const byType = Object.fromEntries(TYPES.map((t) => [t, 0]));
  for (const c of certs) {
    byStatus[c.status] = (byStatus[c.status] || 0) + 1;
    byType[c.type] = (byType[c.type] || 0) + 1;
  }
  const soon = certs.filter((c) => c.status === 'valid' && daysLeft(c.not_after) <= 30)
    .sort((a, b) => a.not_after.localeCompare(b.not_after));
  const since = Date.now() - 86400000;
  const knocks = rejected.filter((r) => new Date(r.last_seen || r.first_seen).getTime() >= since);
  box.replaceChildren(
    h('h2', { text: 'Certificates by status' }),
    h('div.grid', Object.entries(byStatus).map(([s, n]) => stat(n, s, '#/certificates?status=' + s))),
    h('h2', { text: 'Certificates by type' }),
    h('div.grid', Object.entries(byType).map(([t, n]) => stat(n, t, '#/certificates?type=' + t))),
    h('h2', { text: 'Needs attention' }),
    h('div.grid',
      stat(soon.length, 'expiring within 30 days', '#/certificates?status=valid&expiring=30'),
      stat(pending.length, 'pending requests', '#/requests?state=pending'),
      stat(knocks.reduce((n, r) => n + (r.attempts || 1), 0),
        `rejected knocks since yesterday (${knocks.length} certificates)`, '#/trust?list=rejected')),
    h('h2', { text: 'Expiring soon' }),
    soon.length ? table([
      { label: 'Certificate', cell: (c) => h('a', { href: '#/certificates/' + enc(c.id), text: c.subject || c.serial }) },
      { label: 'Type', cell: (c) => c.type },
      { label: 'Expires', cell: (c) => `${fmtTime(c.not_after)} (${daysLeft(c.not_after)} days)` },
    ], soon.slice(0, 10)) : h('p.muted', { text: 'No valid certificate expires within 30 days.' }),
    h('h2', { text: 'Pending requests' }),
    pending.length ? table([
      { label: 'Request', cell: (r) => h('a', { href: '#/requests/' + enc(r.id), text: `#${r.id} ${r.kind}` }) },
      { label: 'By', cell: (r) => r.requested_by },
      { label: 'Since', cell: (r) => fmtTime(r.created_at) },
    ], pending.slice(0, 10)) : h('p.muted', { text: 'No request waits for an approver.' }));
}

export async function organisations(view) {
  view.append(h('h1', { text: 'Organisations and applications' }));
  const orgMsg = messageLine();
  const orgName = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const orgBtn = h('button.primary', { type: 'submit', text: 'Create organisation' });
  const orgs = pagedTable({
    label: 'organisations',
    load: (after, limit) => api('GET', '/organisations', { query: { after, limit } }),
    columns: [
      { label: 'Name', cell: (o) => h('a', { href: '#/organisations/' + enc(o.id), text: o.name }) },
      { label: 'Id', cell: (o) => o.id, opt: true },
      { label: 'Created', cell: (o) => fmtTime(o.created_at), opt: true },
    ],
    empty: 'No organisation yet.',
  });
  const orgForm = h('form.inline', field('New organisation', orgName), orgBtn);
  orgForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(orgBtn, orgMsg, async () => {
      const o = await api('POST', '/organisations', { json: { name: orgName.value.trim() } });
      orgMsg.ok(`Organisation ${o.name} created.`);
      orgName.value = '';
      orgs.restart();
      refreshOrgSelect();
    }, 'Creating');
  });

  const appMsg = messageLine();
  const appName = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const appOrg = h('select', { name: 'organisation', required: true });
  const appBtn = h('button.primary', { type: 'submit', text: 'Create application' });
  async function refreshOrgSelect() {
    try {
      const list = await all('/organisations');
      appOrg.replaceChildren(...list.map((o) => h('option', { value: o.id, text: o.name })));
    } catch (e) {
      appMsg.error(e);
    }
  }
  const apps = pagedTable({
    label: 'applications',
    load: (after, limit) => api('GET', '/applications', { query: { after, limit } }),
    columns: [
      { label: 'Application', cell: (a) => h('a', { href: '#/applications/' + enc(a.id), text: `${a.organisation}/${a.name}` }) },
      { label: 'Id', cell: (a) => a.id, opt: true },
      { label: 'Created', cell: (a) => fmtTime(a.created_at), opt: true },
      { label: 'Certificates', cell: (a) => h('a', { href: '#/certificates?application=' + enc(a.id), text: 'list' }) },
    ],
    empty: 'No application yet.',
  });
  const appForm = h('form.inline', field('Organisation', appOrg), field('New application', appName), appBtn);
  appForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(appBtn, appMsg, async () => {
      const a = await api('POST', `/organisations/${enc(appOrg.value)}/applications`,
        { json: { name: appName.value.trim() } });
      appMsg.ok(`Application ${a.organisation}/${a.name} created.`);
      appName.value = '';
      apps.restart();
    }, 'Creating');
  });
  refreshOrgSelect();
  view.append(
    h('section.card', { 'aria-labelledby': 'h-orgs' }, h('h2#h-orgs', { text: 'Organisations' }),
      orgForm, ...orgMsg.nodes, orgs),
    h('section.card', { 'aria-labelledby': 'h-apps' }, h('h2#h-apps', { text: 'Applications' }),
      appForm, ...appMsg.nodes, apps));
}

export async function organisation(view, [id]) {
  const o = await api('GET', '/organisations/' + enc(id));
  view.append(h('h1', { text: 'Organisation ' + o.name }),
    h('dl.details.card',
      h('dt', { text: 'Id' }), h('dd', { text: o.id }),
      h('dt', { text: 'Name' }), h('dd', { text: o.name }),
      h('dt', { text: 'Created' }), h('dd', { text: fmtTime(o.created_at) }),
      o.approval ? [h('dt', { text: 'Approval' }), h('dd', { text: String(o.approval) })] : null),
    h('h2', { text: 'Applications' }),
    pagedTable({
      label: 'applications',
      load: (after, limit) => api('GET', `/organisations/${enc(o.id)}/applications`, { query: { after, limit } }),
      columns: [
        { label: 'Application', cell: (a) => h('a', { href: '#/applications/' + enc(a.id), text: a.name }) },
        { label: 'Created', cell: (a) => fmtTime(a.created_at) },
      ],
      empty: 'No application in this organisation.',
    }));
}

export async function application(view, [id]) {
  const a = await api('GET', '/applications/' + enc(id));
  view.append(h('h1', { text: `Application ${a.organisation}/${a.name}` }),
    h('dl.details.card',
      h('dt', { text: 'Id' }), h('dd', { text: a.id }),
      h('dt', { text: 'Organisation' }), h('dd', h('a', { href: '#/organisations/' + enc(a.organisation_id), text: a.organisation })),
      h('dt', { text: 'Created' }), h('dd', { text: fmtTime(a.created_at) })),
    h('div.actions',
      h('a.button', { href: '#/new?application=' + enc(a.id), text: 'New certificate' }),
      h('a.button', { href: '#/certificates?application=' + enc(a.id), text: 'Filter certificates' })),
    h('h2', { text: 'Certificates' }),
    pagedTable({
      label: 'certificates',
      load: (after, limit) => api('GET', `/applications/${enc(a.id)}/certificates`, { query: { after, limit } }),
      columns: [
        { label: 'Subject', cell: (c) => h('a', { href: '#/certificates/' + enc(c.id), text: c.subject || c.serial }) },
        { label: 'Type', cell: (c) => c.type },
        { label: 'Status', cell: (c) => badge(c.status) },
        { label: 'Expires', cell: (c) => fmtTime(c.not_after), opt: true },
      ],
      empty: 'No certificate yet.',
    }));
}

export async function audit(view, _p, query) {
  view.append(h('h1', { text: 'Audit log' }));
  const msg = messageLine();
  const after = h('input', { name: 'after', inputmode: 'numeric', pattern: '[0-9]*', value: query.get('after') || '', size: 8 });
  const text = h('input', { name: 'q', type: 'search', value: query.get('q') || '' });
  const apply = h('button', { type: 'submit', text: 'Filter' });
  const exportBtn = h('button', { type: 'button', text: 'Export JSON lines' });
  const form = h('form.inline',
    field('After sequence number', after),
    field('Actor, action or object contains', text), apply, exportBtn);
  const match = (e) => {
    const q = text.value.trim().toLowerCase();
    return !q || [e.actor, e.action, e.object, e.outcome].some((s) => (s || '').toLowerCase().includes(q));
  };
  const holder = h('div');
  function show() {
    holder.replaceChildren(pagedTable({
      label: 'entries',
      load: async (a, limit) => {
        const r = await api('GET', '/audit', { query: { after: a || after.value || undefined, limit } });
        return { items: r.items.filter(match), next: r.next };
      },
      columns: [
        { label: 'Seq', cell: (e) => e.seq },
        { label: 'Time', cell: (e) => fmtTime(e.time), opt: true },
        { label: 'Actor', cell: (e) => e.actor },
        { label: 'Action', cell: (e) => e.action },
        { label: 'Object', cell: (e) => e.object },
        { label: 'Outcome', cell: (e) => badge(e.outcome) },
        { label: 'Details', cell: (e) => (e.details ? JSON.stringify(e.details) : ''), opt: true, mono: true },
      ],
      empty: 'No entry matches.',
    }));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); show(); });
  exportBtn.addEventListener('click', () => busy(exportBtn, msg, async (prog) => {
    const items = await all('/audit', { after: after.value || undefined }, (page, n) => {
      prog.removeAttribute('value');
      msg.ok(`Fetched ${n} entries…`);
    });
    const lines = items.filter(match).map((e) => JSON.stringify(e)).join('\n') + '\n';
    download(new Blob([lines], { type: 'application/jsonl' }), 'certa-audit.jsonl');
    msg.ok(`Exported ${items.filter(match).length} entries.`);
  }, 'Exporting'));
  view.append(form, ...msg.nodes, holder);
  show();
}
