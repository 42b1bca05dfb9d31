// The console's buttons: per-process actions in the topology (kill with a signal,
// pause, resume, restart), scaling, the state toggle per concern, and faults on the
// redis and s3 links. Chaos (anything that stops, freezes, breaks or slows) asks for
// confirmation first; healing (resume, scale out, back to shared, clearing a fault)
// does not.

import { act, chaos } from './api.js';

const CONCERNS = ['all', 'sessions', 'cache', 'uploads', 'ratelimit'];
// Each toxic's attributes: [name, unit, default] (lab/faultproxy/README.md).
const TOXIC_ATTRIBUTES = {
  latency: [['latency', 'ms', 200], ['jitter', 'ms', 0]],
  bandwidth: [['rate', 'KB/s', 100]],
  timeout: [['timeout', 'ms', 0]],
  reset_peer: [['timeout', 'ms', 0]],
  slow_close: [['delay', 'ms', 0]],
  down: [],
};

let current = null;  // the latest status, for counts and pids in questions

function esc(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

function component(id) { return current && current.components.find((c) => c.id === id); }

function apps() { return current ? current.components.filter((c) => c.kind === 'app') : []; }

async function onNodeAction(node, action) {
  const id = node.dataset.component;
  const c = component(id) || { pid: '?' };
  const base = `/components/${encodeURIComponent(id)}/${action}`;
  if (action === 'kill') {
    const signal = node.querySelector('select.signal').value;
    const policy = current && current.lab.restart === 'always' ? 'The restart policy (always) will start it again.' : 'It stays down until restarted (restart policy never).';
    return chaos(`Kill ${id}`, `Send SIG${signal} to ${id} (pid ${c.pid})? ${policy}`, `Kill ${id}`, 'POST', base, { signal });
  }
  if (action === 'pause')
    return chaos(`Pause ${id}`, `Freeze ${id} (pid ${c.pid}) with SIGSTOP? It keeps its connections open but answers nothing until resumed.`,
      `Pause ${id}`, 'POST', base);
  if (action === 'restart')
    return chaos(`Restart ${id}`, `Stop ${id} with SIGTERM and start it again?`, `Restart ${id}`, 'POST', base);
  if (action === 'resume') return act(`Resume ${id}`, 'POST', base);
}

async function scaleTo(n) {
  const now = apps().length;
  if (n < 1) return;
  if (n < now) {
    return chaos('Scale in', `Scale in from ${now} to ${n} instances? Dead instances go first, then the highest numbers; each is drained out of the balancer, then stopped.`,
      `Scale to ${n}`, 'POST', '/scale', { instances: n });
  }
  return act('Scale out', 'POST', '/scale', { instances: n });
}

async function toggle(concern, mode) {
  const body = concern === 'all' ? { mode } : { mode, concern };
  const what = concern === 'all' ? 'every concern' : concern;
  if (mode === 'local') {
    return chaos('Toggle state', `Move the state of ${what} into each instance's own memory and disk? ` +
      'Whatever a user stored on one instance is then missing on the others.', 'Switch to local', 'POST', '/toggle', body);
  }
  return act('Toggle state', 'POST', '/toggle', body);
}

function renderAttributes(form) {
  const box = document.getElementById('fault-attributes');
  box.replaceChildren();
  for (const [name, unit, value] of TOXIC_ATTRIBUTES[form.type.value]) {
    const label = document.createElement('label');
    label.textContent = name;
    const input = Object.assign(document.createElement('input'), { type: 'number', min: 0, step: 'any', value, name: 'attr-' + name });
    label.append(input, document.createTextNode(unit));
    box.appendChild(label);
  }
}

async function addFault(form) {
  const link = form.link.value, type = form.type.value;
  const toxic = { type, direction: form.direction.value, toxicity: Number(form.toxicity.value) };
  const attributes = {};
  for (const [name] of TOXIC_ATTRIBUTES[type]) attributes[name] = Number(form['attr-' + name].value);
  if (Object.keys(attributes).length) toxic.attributes = attributes;
  const attrs = Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join(' ');
  return chaos(`Fault on ${link}`, `Add ${type}${attrs ? ' (' + attrs + ')' : ''} on the ${link} link, ${toxic.direction}, ` +
    `toxicity ${toxic.toxicity}? Every instance talks to ${link} through it.`, 'Add fault', 'POST', `/faults/${link}`, toxic);
}

export function setupControls() {
  document.getElementById('topology').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    const node = button && button.closest('[data-component]');
    if (node) onNodeAction(node, button.dataset.action);
  });
  document.getElementById('scale-up').onclick = () => scaleTo(apps().length + 1);
  document.getElementById('scale-down').onclick = () => scaleTo(apps().length - 1);

  const toggles = document.getElementById('toggles');
  for (const concern of CONCERNS) {
    const name = Object.assign(document.createElement('span'), { textContent: concern });
    const seg = document.createElement('span');
    seg.className = 'seg';
    seg.dataset.concern = concern;
    for (const mode of ['shared', 'local']) {
      const b = Object.assign(document.createElement('button'), { textContent: mode, className: mode });
      b.dataset.mode = mode;
      b.onclick = () => toggle(concern, mode);
      seg.appendChild(b);
    }
    toggles.append(name, seg);
  }

  const form = document.getElementById('fault-form');
  form.type.onchange = () => renderAttributes(form);
  renderAttributes(form);
  form.onsubmit = (e) => { e.preventDefault(); addFault(form); };

  document.getElementById('fault-list').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-link]');
    if (!b) return;
    const link = b.dataset.link, name = b.dataset.toxic;
    if (name) act(`Remove ${name} from ${link}`, 'DELETE', `/faults/${link}/${encodeURIComponent(name)}`);
    else act(`Clear ${link}`, 'DELETE', `/faults/${link}`);
  });
}

export function renderControls(snap) {
  const status = snap.status;
  if (!status || status.error) return;
  current = status;
  document.getElementById('instance-count').textContent = String(apps().length);
  document.getElementById('scale-down').disabled = apps().length <= 1;
  const state = status.lab.state_now;
  const modes = new Set(Object.values(state));
  for (const seg of document.querySelectorAll('#toggles .seg')) {
    const concern = seg.dataset.concern;
    for (const b of seg.children) {
      const on = concern === 'all' ? modes.size === 1 && modes.has(b.dataset.mode) : state[concern] === b.dataset.mode;
      b.classList.toggle('on', on);
    }
  }
  renderFaultList(snap.faults);
}

function renderFaultList(faults) {
  const box = document.getElementById('fault-list');
  let html = '';
  if (!faults) html = '<div class="empty">the fault proxy does not answer</div>';
  else {
    for (const link of ['redis', 's3']) {
      const p = faults[link];
      if (!p) continue;
      const toxics = p.toxics || [];
      html += `<div class="link"><b>${link}</b> <span class="hint">${p.listening ? 'listening' : 'not listening'}, ` +
        `${p.stats ? p.stats.connections_active : 0} connections</span>` +
        (toxics.length ? ` <button data-link="${link}">clear all</button>` : ' <span class="hint">no faults</span>') + '</div>';
      for (const t of toxics) {
        const attrs = Object.entries(t.attributes || {}).map(([k, v]) => `${k}=${v}`).join(' ');
        html += `<div class="toxic"><span class="mono">${esc(t.name)}</span><span>${esc(`${t.type} ${attrs} · ${t.direction} · ${t.toxicity}`)}</span>` +
          `<button data-link="${link}" data-toxic="${esc(t.name)}">remove</button></div>`;
      }
    }
  }
  if (box.dataset.html !== html) { box.dataset.html = html; box.innerHTML = html; }
}
