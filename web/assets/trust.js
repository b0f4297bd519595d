// Trust store: tabs Trusted / Issuers / Rejected, import, view, export,
// delete, trust / reject, CRL import.
import { api, enc } from './api.js';
import { h, field, messageLine, busy, badge, fmtTime, pagedTable, dialog,
  download, select } from './ui.js';

const TABS = [['trusted', 'Trusted'], ['issuer', 'Issuers'], ['rejected', 'Rejected']];

async function exportEntry(alias, format) {
  const blob = await api('GET', '/trust/' + enc(alias), { query: { format }, blob: true });
  download(blob, `${alias.replace(/[^\w.-]+/g, '_')}.${format === 'der' ? 'cer' : 'pem'}`);
}

async function deleteEntry(alias) {
  const ok = await dialog(`Delete ${alias}?`,
    h('p', { text: `The certificate "${alias}" leaves the trust store; peers it vouched for are refused from now on.` }),
    { confirm: 'Delete', danger: true });
  if (!ok) return false;
  await api('DELETE', '/trust/' + enc(alias));
  return true;
}

function rowActions(e, msg, reload) {
  const act = (label, fn, cls) => {
    const b = h(cls ? 'button.' + cls : 'button', { type: 'button', text: label, 'aria-label': `${label} ${e.alias}` });
    b.addEventListener('click', () => busy(b, msg, async () => {
      if (await fn()) reload();
    }, label));
    return b;
  };
  return h('div.actions',
    e.list === 'rejected'
      ? act('Trust', async () => { await api('POST', `/trust/${enc(e.alias)}/trust`); msg.ok(`${e.alias} is trusted.`); return true; }, 'primary')
      : act('Reject', async () => { await api('POST', `/trust/${enc(e.alias)}/reject`); msg.ok(`${e.alias} is rejected.`); return true; }),
    act('Export', async () => { await exportEntry(e.alias, 'pem'); return false; }),
    act('Delete', async () => {
      if (!await deleteEntry(e.alias)) return false;
      msg.ok(`${e.alias} deleted.`);
      return true;
    }, 'danger'));
}

export async function list(view, _p, query) {
  const cur = query.get('list') || 'trusted';
  view.append(h('h1', { text: 'Trust store' }));
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Lists' },
    TABS.map(([v, l]) => {
      const t = h('button', { type: 'button', role: 'tab', id: 'tab-' + v, 'aria-selected': String(v === cur),
        'aria-controls': 'tabpanel', tabindex: v === cur ? '0' : '-1', text: l });
      t.addEventListener('click', () => { location.hash = '#/trust?list=' + v; });
      t.addEventListener('keydown', (ev) => {
        const i = TABS.findIndex((x) => x[0] === v);
        const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
        if (d) location.hash = '#/trust?list=' + TABS[(i + d + TABS.length) % TABS.length][0];
      });
      return t;
    }));
  const msg = messageLine();
  let table;
  const reload = () => table.reload();
  const columns = [
    { label: 'Alias', cell: (e) => h('a', { href: '#/trust/' + enc(e.alias), text: e.alias }) },
    { label: 'Subject', cell: (e) => e.subject },
    { label: 'Issuer', cell: (e) => e.issuer, opt: true },
    { label: 'Valid until', cell: (e) => fmtTime(e.not_after), opt: true },
    { label: 'Status', cell: (e) => badge(e.status) },
  ];
  if (cur === 'rejected') {
    columns.push({ label: 'Seen', cell: (e) => `${e.attempts} × from ${e.peer_address || '?'}, last ${fmtTime(e.last_seen)}`, opt: true });
  }
  columns.push({ label: 'Actions', cell: (e) => rowActions(e, msg, reload) });
  table = pagedTable({
    label: 'certificates',
    load: (after, limit) => api('GET', '/trust', { query: { list: cur, after, limit } }),
    columns,
    empty: cur === 'rejected' ? 'No client has been rejected.' : 'This list is empty.',
  });
  const panel = h('div#tabpanel', { role: 'tabpanel', 'aria-labelledby': 'tab-' + cur }, ...msg.nodes, table);

  // Import.
  const iMsg = messageLine();
  const file = h('input', { type: 'file', name: 'file', required: true, accept: '.pem,.crt,.cer,.der,.p7b,.p7c' });
  const alias = h('input', { name: 'alias', autocomplete: 'off' });
  const lst = select('list', [['trusted', 'Trusted'], ['issuer', 'Issuer (intermediate)']], cur === 'issuer' ? 'issuer' : 'trusted');
  const iBtn = h('button.primary', { type: 'submit', text: 'Import' });
  const iForm = h('form.inline', { 'aria-label': 'Import a certificate' },
    field('Certificate file (PEM, DER or PKCS#7)', file), field('Alias', alias), field('List', lst), iBtn);
  iForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(iBtn, iMsg, async () => {
      const body = await file.files[0].arrayBuffer();
      const r = await api('POST', '/trust', { body, ctype: 'application/octet-stream',
        query: { alias: alias.value.trim() || undefined, list: lst.value } });
      iMsg.ok('Imported: ' + r.items.map((e) => `${e.alias} (${e.list})`).join(', '));
      iForm.reset();
      table.restart();
    }, 'Importing');
  });

  // CRL import.
  const cMsg = messageLine();
  const crl = h('input', { type: 'file', name: 'crl', required: true, accept: '.crl,.pem,.der' });
  const cBtn = h('button', { type: 'submit', text: 'Import CRL' });
  const cForm = h('form.inline', { 'aria-label': 'Import a CRL' }, field('CRL file (PEM or DER)', crl), cBtn);
  cForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(cBtn, cMsg, async () => {
      const bytes = new Uint8Array(await crl.files[0].arrayBuffer());
      const isPem = new TextDecoder().decode(bytes.slice(0, 64)).includes('-----BEGIN');
      const r = await api('POST', '/trust/crls', { body: bytes, ctype: isPem ? 'application/x-pem-file' : 'application/pkix-crl' });
      cMsg.ok(`CRL of ${r.issuer} imported${r.revoked !== undefined ? ` (${r.revoked} revoked)` : ''}.`);
      cForm.reset();
    }, 'Importing');
  });

  view.append(tabs, panel,
    h('section.card', { 'aria-labelledby': 'h-imp' }, h('h2#h-imp', { text: 'Import a certificate' }), iForm, ...iMsg.nodes),
    h('section.card', { 'aria-labelledby': 'h-crl' }, h('h2#h-crl', { text: 'Import a CRL' }),
      h('p.muted', { text: 'Its signature must verify against a trusted or issuer CA.' }), cForm, ...cMsg.nodes));
}

export async function details(view, [alias]) {
  const e = await api('GET', '/trust/' + enc(alias));
  const msg = messageLine();
  const fp = (e.fingerprint_sha256 || '').match(/../g);
  view.append(h('h1', { text: 'Trusted certificate ' + e.alias }),
    h('dl.details.card',
      h('dt', { text: 'List' }), h('dd', badge(e.list)),
      h('dt', { text: 'Subject' }), h('dd', { text: e.subject || '—' }),
      h('dt', { text: 'Issuer' }), h('dd', { text: e.issuer || '—' }),
      h('dt', { text: 'Serial' }), h('dd.mono', { text: e.serial || '—' }),
      h('dt', { text: 'Valid' }), h('dd', { text: `${fmtTime(e.not_before)} — ${fmtTime(e.not_after)} (${e.status})` }),
      h('dt', { text: 'SHA-256 fingerprint' }), h('dd.mono', { text: fp ? fp.join(':') : '—' }),
      h('dt', { text: 'Source' }), h('dd', { text: e.source || '—' }),
      h('dt', { text: 'First / last seen' }), h('dd', { text: `${fmtTime(e.first_seen)} / ${fmtTime(e.last_seen)}` }),
      e.list === 'rejected' ? [h('dt', { text: 'Attempts' }), h('dd', { text: `${e.attempts} from ${e.peer_address || '?'}` })] : null));
  const btn = (label, fn, cls) => {
    const b = h(cls ? 'button.' + cls : 'button', { type: 'button', text: label });
    b.addEventListener('click', () => busy(b, msg, fn, label));
    return b;
  };
  view.append(h('div.actions',
    btn('Export PEM', () => exportEntry(e.alias, 'pem')),
    btn('Export DER', () => exportEntry(e.alias, 'der')),
    e.list === 'rejected'
      ? btn('Trust', async () => { await api('POST', `/trust/${enc(e.alias)}/trust`); location.reload(); }, 'primary')
      : btn('Reject', async () => { await api('POST', `/trust/${enc(e.alias)}/reject`); location.reload(); }),
    btn('Delete…', async () => { if (await deleteEntry(e.alias)) location.hash = '#/trust?list=' + e.list; }, 'danger')),
  ...msg.nodes);
  if (e.pem) view.append(h('h2', { text: 'PEM' }), h('pre', { text: e.pem }));
}
