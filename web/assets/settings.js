// Settings: who you are, API tokens (the secret shown once), expiry
// notification channels and per-organisation thresholds, the trust
// settings certa gate follows.  Every action's error is shown next to it.
import { api, all, enc, session } from './api.js';
import { h, field, messageLine, busy, badge, fmtTime, table, dialog,
  select } from './ui.js';

const TYPES = ['transport', 'signing', 'encryption'];
const ROLES = ['admin', 'approver', 'operator', 'auditor'];
const MODES = [
  ['accept_any', 'accept_any — no validation'],
  ['system', 'system — the OS trust store'],
  ['trusted_list', 'trusted_list — this exact certificate is trusted'],
  ['trusted_ca', 'trusted_ca — chains to a trusted certificate'],
  ['certa_ca', 'certa_ca — issued by this certa, not revoked'],
];

function card(id, title, ...kids) {
  return h('section.card#' + id, { 'aria-labelledby': 'h-' + id },
    h('h2#h-' + id, { text: title }), ...kids);
}

function tokens(canRead) {
  const msg = messageLine();
  const listMsg = messageLine();
  const holder = h('div');
  const shown = h('div');
  const name = h('input', { name: 'token-name', required: true, autocomplete: 'off', maxlength: '64' });
  const role = select('role', ROLES, 'operator');
  const btn = h('button.primary', { type: 'submit', text: 'Create token' });
  const form = h('form.inline', field('Token name', name), field('Role', role), btn);

  async function load() {
    if (!canRead) {
      holder.replaceChildren(h('p.muted', { text: 'Only admins and auditors see the tokens.' }));
      return;
    }
    try {
      const r = await api('GET', '/tokens');
      holder.replaceChildren(r.items.length ? table([
        { label: 'Name', cell: (t) => t.name },
        { label: 'Role', cell: (t) => t.role },
        { label: 'Status', cell: (t) => badge(t.status) },
        { label: 'Created', cell: (t) => fmtTime(t.created_at), opt: true },
        { label: 'Last used', cell: (t) => (t.last_used_at ? fmtTime(t.last_used_at) : 'never'), opt: true },
        { label: 'Id', cell: (t) => t.id, mono: true, opt: true },
        { label: 'Actions', cell: (t) => (t.status === 'live' ? revokeButton(t) : '') },
      ], r.items) : h('p.muted', { text: 'No token yet.' }));
    } catch (e) {
      listMsg.error(e);
    }
  }

  function revokeButton(t) {
    const b = h('button.danger', { type: 'button', text: 'Revoke', 'aria-label': `Revoke ${t.name}` });
    b.addEventListener('click', () => busy(b, listMsg, async () => {
      const ok = await dialog(`Revoke ${t.name}?`,
        h('p', { text: `Callers using the token "${t.name}" are refused from now on.` }),
        { confirm: 'Revoke', danger: true });
      if (!ok) return;
      await api('DELETE', '/tokens/' + enc(t.id));
      msg.clear();
      listMsg.ok(`Token ${t.name} revoked.`);
      await load();
    }, 'Revoking'));
    return b;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      shown.replaceChildren();
      const t = await api('POST', '/tokens', { json: { name: name.value.trim(), role: role.value } });
      shown.replaceChildren(h('div.card',
        h('p', { text: `Token ${t.name} (${t.role}) — copy it now, it is shown once:` }),
        h('code#new-token.mono', { text: t.token })));
      msg.ok(`Token ${t.name} created.`);
      name.value = '';
      await load();
    }, 'Creating');
  });
  load();
  return card('tokens', 'API tokens', form, ...msg.nodes, shown, ...listMsg.nodes, holder);
}

function channels(canRead, orgs) {
  const msg = messageLine();
  const listMsg = messageLine();
  const holder = h('div');
  const kind = select('kind', [['webhook', 'Webhook'], ['smtp', 'Mail (SMTP)']], 'webhook');
  const target = h('input', { name: 'target', required: true, autocomplete: 'off' });
  const secret = h('input', { name: 'secret', type: 'password', autocomplete: 'new-password' });
  const org = h('select', { name: 'organisation' },
    h('option', { value: '', text: 'All organisations' }),
    orgs.map((o) => h('option', { value: o.id, text: o.name })));
  const btn = h('button.primary', { type: 'submit', text: 'Add channel' });
  const secretField = field('Webhook secret', secret, 'At least 16 characters; the HMAC key. Never shown again.');
  const form = h('form', field('Kind', kind), field('Target (URL or mail address)', target),
    secretField, field('Channel organisation', org), btn);
  const orgName = (id) => (orgs.find((o) => o.id === id) || {}).name || id;
  kind.addEventListener('change', () => { secretField.hidden = kind.value !== 'webhook'; });

  async function load() {
    if (!canRead) {
      holder.replaceChildren(h('p.muted', { text: 'Only admins and auditors see the channels.' }));
      return;
    }
    try {
      const r = await api('GET', '/notifications/channels');
      holder.replaceChildren(r.items.length ? table([
        { label: 'Id', cell: (c) => c.id },
        { label: 'Kind', cell: (c) => c.kind },
        { label: 'Target', cell: (c) => c.target, mono: true },
        { label: 'Organisation', cell: (c) => (c.organisation ? orgName(c.organisation) : 'all') },
        { label: 'Secret', cell: (c) => (c.has_secret ? 'set' : 'none'), opt: true },
        { label: 'Actions', cell: (c) => removeButton(c) },
      ], r.items) : h('p.muted', { text: 'No channel yet.' }));
    } catch (e) {
      listMsg.error(e);
    }
  }

  function removeButton(c) {
    const b = h('button.danger', { type: 'button', text: 'Remove', 'aria-label': `Remove channel ${c.id}` });
    b.addEventListener('click', () => busy(b, listMsg, async () => {
      await api('DELETE', '/notifications/channels/' + enc(c.id));
      listMsg.ok(`Channel ${c.id} removed.`);
      await load();
    }, 'Removing'));
    return b;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      const body = { kind: kind.value, target: target.value.trim() };
      if (kind.value === 'webhook') body.secret = secret.value;
      if (org.value) body.organisation = org.value;
      const c = await api('POST', '/notifications/channels', { json: body });
      msg.ok(`Channel ${c.id} added.`);
      target.value = '';
      secret.value = '';
      await load();
    }, 'Adding');
  });
  load();
  return card('channels', 'Notification channels', form, ...msg.nodes, ...listMsg.nodes, holder);
}

function thresholds(orgs) {
  const msg = messageLine();
  const org = h('select', { name: 'organisation' }, orgs.map((o) => h('option', { value: o.id, text: o.name })));
  const days = h('input', { name: 'thresholds', autocomplete: 'off', placeholder: '90,30,7,1' });
  const on = h('input', { type: 'checkbox', name: 'enabled' });
  const btn = h('button.primary', { type: 'submit', text: 'Save notifications' });
  const form = h('form', field('Organisation', org),
    field('Days before expiry', days, 'Comma-separated, e.g. 60,14,3; empty: the default 90,30,7,1.'),
    h('div.field', h('label', on, ' Notifications enabled')), btn);
  async function load() {
    if (!org.value) return;
    msg.clear();
    try {
      const r = await api('GET', `/organisations/${enc(org.value)}/notifications`);
      days.value = r.thresholds.join(',');
      on.checked = r.enabled;
    } catch (e) {
      msg.error(e);
    }
  }
  org.addEventListener('change', load);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      const raw = days.value.trim();
      const list = raw === '' ? null : raw.split(/[\s,]+/).filter(Boolean).map(Number);
      const r = await api('PUT', `/organisations/${enc(org.value)}/notifications`,
        { json: { thresholds: list, enabled: on.checked } });
      days.value = r.thresholds.join(',');
      on.checked = r.enabled;
      msg.ok('Notifications saved.');
    }, 'Saving');
  });
  load();
  return card('thresholds', 'Expiry notifications per organisation',
    orgs.length ? form : h('p.muted', { text: 'No organisation yet.' }), ...msg.nodes);
}

function trustSettings() {
  const msg = messageLine();
  const mode = select('mode', MODES, 'trusted_ca');
  const ar = h('input', { type: 'checkbox', name: 'auto_reject' });
  const btn = h('button.primary', { type: 'submit', text: 'Save trust settings' });
  const form = h('form', field('Validation mode', mode),
    h('div.field', h('label', ar, ' Auto-reject unknown clients')), btn);
  (async () => {
    try {
      const s = await api('GET', '/settings/trust');
      mode.value = s.mode;
      ar.checked = s.auto_reject;
    } catch (e) {
      msg.error(e);
    }
  })();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(btn, msg, async () => {
      const s = await api('PUT', '/settings/trust', { json: { mode: mode.value, auto_reject: ar.checked } });
      mode.value = s.mode;
      ar.checked = s.auto_reject;
      msg.ok('Trust settings saved.');
    }, 'Saving');
  });
  return card('trust-settings', 'Gate trust settings',
    h('p.muted', { text: 'Ingress listeners of certa gate started without --mode / --auto-reject follow these, within a second, without restart.' }),
    form, ...msg.nodes);
}

export async function settings(view) {
  view.append(h('h1', { text: 'Settings' }));
  const me = await api('GET', '/whoami');
  const ready = await fetch('/readyz', { cache: 'no-store' }).then((r) => r.json()).catch(() => null);
  const canRead = me.role === 'admin' || me.role === 'auditor';
  let orgs = [];
  const orgMsg = messageLine();
  try {
    orgs = await all('/organisations');
  } catch (e) {
    orgMsg.error(e);
  }
  view.append(
    h('section.card', h('h2', { text: 'You' }),
      h('dl.details',
        h('dt', { text: 'Actor' }), h('dd', { text: me.actor }),
        h('dt', { text: 'Role' }), h('dd', { text: me.role }),
        h('dt', { text: 'Signed in with' }), h('dd', { text: session.mode === 'cert' ? 'client certificate' : 'API token (this tab only)' }),
        h('dt', { text: 'Store' }), h('dd', { text: ready ? `${ready.status} (${ready.store || '?'})` : 'unknown' }))),
    ...orgMsg.nodes,
    tokens(canRead),
    trustSettings(),
    channels(canRead, orgs),
    thresholds(orgs),
    h('section.card', h('h2', { text: 'Managed outside the console' }),
      h('p', { text: 'Change these with the certa command on the server:' }),
      table([
        { label: 'Setting', cell: (r) => r[0] },
        { label: 'Command', cell: (r) => h('code', { text: r[1] }), mono: true },
      ], [
        ['Approval required', 'certa org update ORG --approval required'],
        ['Mail server for SMTP channels', 'certa notify smtp --url smtp://HOST:PORT --from ADDRESS'],
        ['Client certificate roles', 'certa role map --fingerprint HEX --role ROLE'],
      ])),
    h('section.card', h('h2', { text: 'Certificate types' }),
      h('p', { text: 'Types known to this console: ' + TYPES.join(', ') + '.' })));
}
