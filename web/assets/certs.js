// Certificates: the filterable table, details with actions, new certificate.
import { api, all, enc } from './api.js';
import { h, field, messageLine, busy, badge, fmtTime, daysLeft, pagedTable,
  dialog, download, b64ToBytes, pemToDer, digestHex, select } from './ui.js';

const TYPES = ['transport', 'signing', 'encryption'];
const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged',
  'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'aACompromise'];
const FORMATS = [['pem', 'PEM (.pem)'], ['der', 'DER (.cer)'], ['p7b', 'PKCS#7 (.p7b)'], ['p12', 'PKCS#12 (.p12, with password)']];
const EXT = { pem: 'pem', der: 'cer', p7b: 'p7b', p12: 'p12' };

async function appOptions(value) {
  const apps = await all('/applications').catch(() => []);
  return h('select', { name: 'application' },
    h('option', { value: '', text: 'All applications' }),
    apps.map((a) => h('option', { value: a.id, selected: a.id === value ? 'selected' : null, text: `${a.organisation}/${a.name}` })));
}

function certColumns() {
  return [
    { label: 'Subject', cell: (c) => h('a', { href: '#/certificates/' + enc(c.id), text: c.subject || '(no subject)' }) },
    { label: 'Type', cell: (c) => c.type },
    { label: 'Status', cell: (c) => badge(c.status) },
    { label: 'Serial', cell: (c) => c.serial, mono: true, opt: true },
    { label: 'Expires', cell: (c) => `${fmtTime(c.not_after)}${c.status === 'valid' ? ` (${daysLeft(c.not_after)} d)` : ''}` },
  ];
}

export async function list(view, _p, query) {
  view.append(h('h1', { text: 'Certificates' }));
  const app = await appOptions(query.get('application') || '');
  const type = select('type', [['', 'All types'], ...TYPES], query.get('type') || '');
  const status = select('status', [['', 'Any status'], 'valid', 'revoked', 'expired'], query.get('status') || '');
  const expiring = h('input', { name: 'expiring', type: 'number', min: '0', inputmode: 'numeric',
    value: query.get('expiring') || '', size: 5 });
  const form = h('form.inline', { role: 'search', 'aria-label': 'Filter certificates' },
    field('Application', app), field('Type', type), field('Status', status),
    field('Expires within (days)', expiring), h('button', { type: 'submit', text: 'Filter' }),
    h('a.button', { href: '#/new', text: 'New certificate' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of [['application', app], ['type', type], ['status', status], ['expiring', expiring]]) {
      if (el.value) q.set(k, el.value);
    }
    location.hash = '#/certificates' + (q.toString() ? '?' + q : '');
  });
  const days = query.get('expiring');
  view.append(form);
  if (days) view.append(h('p.muted', { text: `Showing certificates that expire within ${days} days (filtered on each page).` }));
  view.append(pagedTable({
      label: 'certificates',
      load: async (after, limit) => {
        const r = await api('GET', '/certificates', { query: {
          after, limit, application: query.get('application'), type: query.get('type'), status: query.get('status') } });
        if (days) r.items = r.items.filter((c) => daysLeft(c.not_after) <= Number(days) && daysLeft(c.not_after) >= 0);
        return r;
      },
      columns: certColumns(),
      empty: 'No certificate matches.',
    }));
}

async function downloadCert(c, format, password) {
  const headers = {};
  if (format === 'p12') headers['X-P12-Password'] = password;
  const blob = await api('GET', `/certificates/${enc(c.id)}`, { query: { format }, headers, blob: true });
  const base = (c.subject || 'certificate').replace(/^.*CN=/, '').replace(/[^\w.-]+/g, '_') || 'certificate';
  download(blob, `${base}-${c.serial.slice(0, 8)}.${EXT[format]}`);
}

export function downloadForm(c) {
  const msg = messageLine();
  const fmt = select('format', FORMATS, 'pem');
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '4' });
  const pwField = field('PKCS#12 password', pw, 'Protects the file; the key is not in it (certificate and chain only).');
  pwField.hidden = true;
  fmt.addEventListener('change', () => { pwField.hidden = fmt.value !== 'p12'; pw.required = fmt.value === 'p12'; });
  const btn = h('button.primary', { type: 'submit', text: 'Download' });
  const form = h('form.inline', { 'aria-label': 'Download the certificate' }, field('Format', fmt), pwField, btn);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      await downloadCert(c, fmt.value, pw.value);
      msg.ok('Downloaded.');
    }, 'Downloading');
  });
  return h('div', form, ...msg.nodes);
}

function csrCommand(subject) {
  const cn = (subject || 'CN=myservice').replace(/^\/?/, '/').replace(/,\s*/g, '/');
  return `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n  -keyout my.key -out my.csr -subj "${cn}"`;
}

function resultOf(r, msg) {
  if (r && r._accepted) {
    msg.ok('');
    return h('p', 'Waiting for an approver: ', h('a', { href: '#/requests/' + enc(r.id), text: `request #${r.id} (${r.kind})` }));
  }
  return h('p', 'New certificate: ', h('a', { href: '#/certificates/' + enc(r.id), text: `${r.subject} (${r.serial})` }));
}

export async function details(view, [id]) {
  const c = await api('GET', '/certificates/' + enc(id));
  const der = c.pem ? pemToDer(c.pem) : null;
  const sha1 = der ? await digestHex('SHA-1', der).catch(() => null) : null;
  const fp256 = (c.fingerprint_sha256 || '').match(/../g);
  let app = null;
  try { app = await api('GET', '/applications/' + enc(c.application)); } catch { /* deleted */ }
  const statusDd = h('dd', badge(c.status));
  const preds = c.predecessors || (c.predecessor ? [c.predecessor] : []);
  view.append(h('h1', { text: 'Certificate ' + (c.subject || c.serial) }),
    h('dl.details.card',
      h('dt', { text: 'Status' }), statusDd,
      h('dt', { text: 'Subject' }), h('dd', { text: c.subject || '—' }),
      h('dt', { text: 'Issuer' }), h('dd', { text: c.issuer || '—' }),
      h('dt', { text: 'SANs' }), h('dd', { text: (c.sans && c.sans.length) ? c.sans.join(', ') : '—' }),
      h('dt', { text: 'Serial' }), h('dd.mono', { text: c.serial }),
      h('dt', { text: 'Valid' }), h('dd', { text: `${fmtTime(c.not_before)} — ${fmtTime(c.not_after)}` }),
      h('dt', { text: 'Type' }), h('dd', { text: c.type }),
      h('dt', { text: 'Application' }), h('dd', app ? h('a', { href: '#/applications/' + enc(app.id), text: `${app.organisation}/${app.name}` }) : String(c.application)),
      h('dt', { text: 'Key' }), h('dd', { text: `${c.key_algorithm}${c.server_generated_key ? ' (generated on the server)' : ''}` }),
      h('dt', { text: 'SHA-256 fingerprint' }), h('dd.mono', { text: fp256 ? fp256.join(':') : '—' }),
      sha1 ? [h('dt', { text: 'SHA-1 fingerprint' }), h('dd.mono', { text: sha1 })] : null,
      h('dt', { text: 'Predecessors' }), h('dd', preds.length ? preds.map((p, i) => [i ? ' ← ' : '', h('a', { href: '#/certificates/' + enc(p), text: '#' + p })]) : '—'),
      c.revoked_at ? [h('dt', { text: 'Revoked' }), h('dd', { text: `${fmtTime(c.revoked_at)} (${c.revocation_reason || c.reason || ''})` })] : null));

  view.append(h('section.card', { 'aria-labelledby': 'h-dl' }, h('h2#h-dl', { text: 'Download' }), downloadForm(c)));

  // Revoke (admin) or ask an approver to revoke.
  const rMsg = messageLine();
  const revokeBtn = h('button.danger', { type: 'button', text: 'Revoke…' });
  const askBtn = h('button', { type: 'button', text: 'Request revocation…' });
  const reasonSel = () => field('Reason', select('reason', REASONS, 'unspecified'));
  revokeBtn.addEventListener('click', async () => {
    const v = await dialog('Revoke this certificate?', [
      h('p', { text: `${c.subject} (serial ${c.serial}) is revoked for good; relying parties see it through OCSP and the CRL.` }),
      reasonSel()], { confirm: 'Revoke', danger: true });
    if (!v) return;
    await busy(revokeBtn, rMsg, async () => {
      await api('POST', `/certificates/${enc(c.id)}/revoke`, { json: { reason: v.reason } });
      statusDd.replaceChildren(badge('revoked'), ` (${v.reason})`);
      actionsBox.replaceChildren(h('p.muted', { text: 'This certificate is revoked.' }));
      rMsg.ok('Revoked.');
    }, 'Revoking');
  });
  askBtn.addEventListener('click', async () => {
    const v = await dialog('Ask an approver to revoke?', [reasonSel()], { confirm: 'Send request' });
    if (!v) return;
    await busy(askBtn, rMsg, async () => {
      const r = await api('POST', `/certificates/${enc(c.id)}/revocation-requests`, { json: { reason: v.reason } });
      rMsg.ok(`Revocation request #${r.id} is pending.`);
    }, 'Sending');
  });

  // Renew (same key or a new CSR) and reissue (a new key).
  const lMsg = messageLine();
  const lOut = h('div');
  const renewBtn = h('button', { type: 'button', text: 'Renew…' });
  const reissueBtn = h('button', { type: 'button', text: 'Reissue…' });
  renewBtn.addEventListener('click', async () => {
    const v = await dialog('Renew this certificate', [
      h('p', { text: 'A new certificate for the same application and type. Leave the CSR empty to keep the same key (when the profile allows it).' }),
      field('New CSR (PEM, optional)', h('textarea', { name: 'csr', spellcheck: 'false' }))], { confirm: 'Renew' });
    if (!v) return;
    await busy(renewBtn, lMsg, async () => {
      const body = v.csr.trim() ? { csr: v.csr } : { same_key: true };
      const r = await api('POST', `/certificates/${enc(c.id)}/renew`, { json: body });
      lOut.replaceChildren(resultOf(r, lMsg));
    }, 'Renewing');
  });
  reissueBtn.addEventListener('click', async () => {
    const v = await dialog('Reissue (re-key) this certificate', [
      h('p', { text: 'A new certificate from a new key, with the same subject and end of validity. The old one is revoked (superseded) after the grace period.' }),
      field('New CSR (PEM)', h('textarea', { name: 'csr', required: true, spellcheck: 'false' })),
      h('div.field', h('input#reissue-now', { type: 'checkbox', name: 'now', value: 'yes' }),
        h('label', { for: 'reissue-now', text: ' Revoke the old certificate now' }))], { confirm: 'Reissue' });
    if (!v) return;
    await busy(reissueBtn, lMsg, async () => {
      const r = await api('POST', `/certificates/${enc(c.id)}/reissue`, { json: { csr: v.csr, now: v.now === 'yes' } });
      lOut.replaceChildren(resultOf(r, lMsg));
    }, 'Reissuing');
  });
  const actionsBox = h('div', c.status === 'valid'
    ? h('div.actions', renewBtn, reissueBtn, askBtn, revokeBtn)
    : h('p.muted', { text: `This certificate is ${c.status}.` }));
  view.append(h('section.card', { 'aria-labelledby': 'h-act' }, h('h2#h-act', { text: 'Actions' }),
    actionsBox,
    ...lMsg.nodes, lOut, ...rMsg.nodes));
  if (c.pem) view.append(h('details.card', h('summary', { text: 'PEM' }), h('pre', { text: c.pem })));
}

export async function create(view, _p, query) {
  view.append(h('h1', { text: 'New certificate' }));
  const msg = messageLine();
  const out = h('div', { 'aria-live': 'polite' });
  const apps = await all('/applications').catch((e) => { msg.error(e); return []; });
  const app = h('select', { name: 'application', required: true },
    apps.map((a) => h('option', { value: a.id, selected: a.id === query.get('application') ? 'selected' : null, text: `${a.organisation}/${a.name}` })));
  const type = select('type', TYPES, 'transport');
  const modes = [['upload', 'Upload a CSR file'], ['paste', 'Paste a PEM CSR'], ['generate', 'Generate the key on the server (PKCS#12)']];
  const radios = h('fieldset', h('legend', { text: 'Key and request' }),
    modes.map(([v, l], i) => h('div',
      h('input', { type: 'radio', name: 'mode', id: 'mode-' + v, value: v, checked: i === 0 }),
      h('label', { for: 'mode-' + v, text: ' ' + l }))));
  const file = h('input', { type: 'file', name: 'csrfile', accept: '.csr,.pem,.req,.der,application/pkcs10' });
  const pem = h('textarea', { name: 'csr', spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE REQUEST-----' });
  const subject = h('input', { name: 'subject', placeholder: 'CN=myservice', size: 30 });
  const sans = h('input', { name: 'sans', placeholder: 'DNS:svc.example, URI:spiffe://…', size: 40 });
  const days = h('input', { name: 'validity_days', type: 'number', min: '1', size: 5 });
  const alg = select('generate_key', ['ec:P-256', 'ec:P-384', 'rsa:3072', 'rsa:2048', 'ed25519'], 'ec:P-256');
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '8' });
  const cmd = h('pre', { 'aria-label': 'Command that makes a CSR' });
  const upload = h('div', field('CSR file', file));
  const paste = h('div', field('CSR (PEM)', pem));
  const gen = h('div', field('Key algorithm', alg), field('PKCS#12 password', pw, 'Protects the downloaded key; at least 8 characters.'));
  const csrHelp = h('div', h('p', { text: 'Make the key and CSR on your machine (the key never leaves it):' }), cmd);
  const updateCmd = () => { cmd.textContent = csrCommand(subject.value); };
  subject.addEventListener('input', updateCmd);
  updateCmd();
  const mode = () => radios.querySelector('input:checked').value;
  const sync = () => {
    const m = mode();
    upload.hidden = m !== 'upload';
    paste.hidden = m !== 'paste';
    gen.hidden = m !== 'generate';
    csrHelp.hidden = m === 'generate';
    pw.required = m === 'generate';
    subject.required = m === 'generate';
  };
  radios.addEventListener('change', sync);
  sync();
  const btn = h('button.primary', { type: 'submit', text: 'Request certificate' });
  const form = h('form.card', { 'aria-label': 'New certificate' },
    h('div.inline', field('Application', app), field('Type', type)), radios,
    upload, paste, csrHelp, gen,
    h('div.inline', field('Subject (optional with a CSR)', subject), field('SANs (comma separated, optional)', sans), field('Validity (days, optional)', days)),
    btn, ...msg.nodes, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      const body = { type: type.value };
      if (subject.value.trim()) body.subject = subject.value.trim();
      if (sans.value.trim()) body.sans = sans.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (days.value) body.validity_days = Number(days.value);
      const m = mode();
      if (m === 'upload') {
        if (!file.files.length) throw new Error('Choose a CSR file.');
        const bytes = new Uint8Array(await file.files[0].arrayBuffer());
        const text = new TextDecoder().decode(bytes);
        if (text.includes('-----BEGIN')) body.csr = text;
        else body.csr = '-----BEGIN CERTIFICATE REQUEST-----\n' + btoa(String.fromCharCode(...bytes)).replace(/(.{64})/g, '$1\n') + '\n-----END CERTIFICATE REQUEST-----\n';
      } else if (m === 'paste') {
        if (!pem.value.trim()) throw new Error('Paste a CSR.');
        body.csr = pem.value;
      } else {
        body.generate_key = alg.value;
        body.password = pw.value;
      }
      const r = await api('POST', `/applications/${enc(app.value)}/certificates`, { json: body });
      if (r._accepted) {
        out.replaceChildren(resultOf(r, msg));
        return;
      }
      const parts = [h('h2', { text: 'Issued' }), resultOf(r, msg)];
      if (r.pkcs12_base64) {
        const p12 = new Blob([b64ToBytes(r.pkcs12_base64)], { type: 'application/pkcs12' });
        const dl = h('button.primary', { type: 'button', text: 'Download the PKCS#12 (key and certificate)' });
        dl.addEventListener('click', () => download(p12, `${(r.subject || 'key').replace(/^.*CN=/, '').replace(/[^\w.-]+/g, '_')}.p12`));
        parts.push(h('p', { text: 'The key is shown once: download it now.' }), dl);
        download(p12, `${(r.subject || 'key').replace(/^.*CN=/, '').replace(/[^\w.-]+/g, '_')}.p12`);
      }
      parts.push(downloadForm(r));
      out.replaceChildren(...parts);
      msg.ok('Certificate issued.');
    }, 'Requesting');
  });
  view.append(form);
}
