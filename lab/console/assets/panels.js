// Rendering: each panel is updated in place from the latest snapshot, never rebuilt,
// so a select keeps its choice, a button being clicked is not swapped out under the
// pointer, and tests can hold on to elements. Elements carry data-* attributes
// (data-component, data-state, data-backend, data-recent-share) for tests and styles.

import { LineChart, StackedChart, compact, count, tidy } from './charts.js';

const PALETTE = ['#5aa9e6', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#bab0ac'];
const RUNNING = new Set(['starting', 'ready', 'unready', 'draining', 'paused']);

export function colorFor(id) {
  const m = /^app-(\d+)$/.exec(id);
  return m ? PALETTE[(Number(m[1]) - 1) % PALETTE.length] : '#8a96a3';
}

export function duration(s) {
  if (!(s > 0)) return '–';
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + 's';
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function pct(v, digits = 1) { return v == null ? '–' : (v * 100).toFixed(digits) + '%'; }

// Finds the child of `parent` keyed `key` (data-key), or makes it with `make()`.
function keyed(parent, key, make) {
  let e = [...parent.children].find((c) => c.dataset.key === key);
  if (!e) { e = make(); e.dataset.key = key; parent.appendChild(e); }
  return e;
}

// Removes keyed children not in `keep` (a Set, in display order) and puts the rest in
// that order, moving nothing that is already in place.
function prune(parent, keep) {
  for (const c of [...parent.children]) if (c.dataset.key !== undefined && !keep.has(c.dataset.key)) c.remove();
  const keyedNow = [...parent.children].filter((c) => c.dataset.key !== undefined);
  const wanted = [...keep];
  if (keyedNow.every((c, i) => c.dataset.key === wanted[i])) return;
  for (const key of wanted) {
    const c = keyedNow.find((e) => e.dataset.key === key);
    if (c) parent.appendChild(c);
  }
}

function setText(e, text) { if (e.textContent !== text) e.textContent = text; }

// ---------------------------------------------------------------------------- header
export function renderSummary(status) {
  const box = document.getElementById('lab-summary');
  if (!status || status.error) { box.textContent = status ? `${status.error}: ${status.detail}` : ''; return; }
  const lab = status.lab;
  const chips = Object.entries(lab.state_now).map(([k, v]) => `<span class="chip ${v}">${k} ${v}</span>`).join('');
  const apps = status.components.filter((c) => c.kind === 'app').length;
  box.innerHTML = `<b class="mono"></b> · base port <b>${lab.base_port}</b> · <b>${apps}</b> instances · ${chips}` +
    ` · lb <b>${lab.algorithm}</b> · restart <b>${lab.restart}</b> · up <b>${duration(lab.uptime_s)}</b>` +
    (lab.phase !== 'running' ? ` · <b>${lab.phase}</b>` : '');
  box.querySelector('.mono').textContent = lab.dir;
}

// -------------------------------------------------------------------------- topology
function health(c, backend) {
  if (c.state === 'ready') return backend && (backend.ejected || backend.check_state === 'unhealthy') ? 'warn' : 'ok';
  if (c.state === 'killed' || c.state === 'down') return 'bad';
  if (c.state === 'stopped') return 'off';
  return 'warn';
}

function makeNode(c) {
  const n = document.createElement('div');
  n.className = 'node';
  n.dataset.component = c.id;
  n.innerHTML = `<div class="node-head"><span class="dot"></span><b></b><span class="badge state"></span></div>
    <div class="node-meta m1"></div><div class="node-meta m2"></div><div class="extra"></div>
    <div class="node-actions">
      <select class="signal" title="signal to send" aria-label="signal for ${c.id}">
        <option>KILL</option><option>TERM</option><option>INT</option></select>
      <button class="danger" data-action="kill">kill</button>
      <button data-action="pause">pause</button>
      <button data-action="resume">resume</button>
      <button data-action="restart">restart</button>
    </div>`;
  n.querySelector('b').textContent = c.id;
  return n;
}

// An instance's X-Scalelab-State, short: "shared", or "shared (sessions local)" when
// concerns differ ("sessions=local,cache=shared,..." in full).
export function modeText(mode) {
  if (!mode) return '–';
  if (!mode.includes('=')) return mode;
  const by = {};
  for (const pair of mode.split(',')) {
    const [concern, m] = pair.split('=');
    (by[m] = by[m] || []).push(concern);
  }
  const modes = Object.keys(by).sort((a, b) => by[b].length - by[a].length);
  if (modes.length === 1) return modes[0];
  return `${modes[0]} (${modes.slice(1).map((m) => `${by[m].join(', ')} ${m}`).join('; ')})`;
}

function backendLine(b) {
  if (!b) return 'not in the balancer';
  const parts = [`lb ${b.check_state}`];
  if (b.ejected) parts.push('ejected');
  if (b.state !== 'active') parts.push(b.state);
  return parts.join(', ');
}

function toxicText(t) {
  const attrs = Object.entries(t.attributes || {}).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${t.type}${attrs ? ' ' + attrs : ''} · ${t.direction}${t.toxicity < 1 ? ' · ' + pct(t.toxicity, 0) : ''}`;
}

export function renderTopology(snap) {
  const status = snap.status;
  if (!status || status.error) return;
  const backends = new Map(((snap.balancer && snap.balancer.backends) || []).map((b) => [b.id, b]));
  const columns = { balancer: 'col-balancer', app: 'col-apps', faults: 'col-faults', redis: 'col-backing', s3: 'col-backing', prometheus: 'col-backing' };
  const keep = new Map(Object.values(columns).map((col) => [col, new Set()]));
  for (const c of status.components) {
    const col = document.getElementById(columns[c.kind] || 'col-backing');
    keep.get(col.id).add(c.id);
    const n = keyed(col, c.id, () => makeNode(c));
    const b = backends.get(c.id);
    n.dataset.state = c.state;
    n.dataset.health = health(c, b);
    setText(n.querySelector('.badge.state'), c.state);
    const running = RUNNING.has(c.state);
    const port = c.address.split(':').pop();
    let m1 = running ? `pid ${c.pid} · :${port} · up ${duration(c.uptime_s)}` : `:${port} · ${c.last_exit || 'not running'}`;
    if (c.restarts) m1 += ` · ${c.restarts} restart${c.restarts > 1 ? 's' : ''}`;
    setText(n.querySelector('.m1'), m1);
    let m2 = '';
    if (c.kind === 'app') m2 = `mode ${modeText(c.state_mode)} · ${backendLine(b)}`;
    else if (c.kind === 'balancer') m2 = snap.balancer ? `${snap.balancer.algorithm}${snap.balancer.panic ? ' · PANIC' : ''} · ${snap.balancer.backends.length} backends` : 'admin API not answering';
    else if (c.kind === 'redis' || c.kind === 's3') m2 = `apps use it via :${status.lab.base_port + (c.kind === 'redis' ? 4 : 6)}`;
    else if (c.kind === 'faults') m2 = snap.faults ? 'links: redis, s3' : 'API not answering';
    else m2 = c.detail || '';
    setText(n.querySelector('.m2'), m2);
    if (c.kind === 'faults') {
      const lines = [];
      for (const link of ['redis', 's3']) {
        const p = snap.faults && snap.faults[link];
        if (p && p.toxics.length) lines.push(`${link}: ${p.toxics.map(toxicText).join('; ')}`);
        else if (p && !p.listening) lines.push(`${link}: not listening`);
      }
      const extra = n.querySelector('.extra');
      const text = lines.join('\n');
      if (extra.dataset.text !== text) {
        extra.dataset.text = text;
        extra.replaceChildren(...lines.map((l) => Object.assign(document.createElement('div'), { className: 'toxic-line', textContent: l })));
      }
    }
    n.querySelector('[data-action=kill]').disabled = !running;
    n.querySelector('[data-action=pause]').hidden = c.state === 'paused';
    n.querySelector('[data-action=pause]').disabled = !running;
    n.querySelector('[data-action=resume]').hidden = c.state !== 'paused';
  }
  for (const [col, ids] of keep) prune(document.getElementById(col), ids);
}

// ------------------------------------------------------------------------- instances
function latest(ts, values, now) {
  for (let i = ts.length - 1; i >= 0 && ts[i] >= now - 3; i--) if (values[i] != null) return values[i];
  return null;
}

function makeCard(id, withDatabase) {
  const card = document.createElement('div');
  card.className = 'instance';
  card.dataset.instance = id;
  card.innerHTML = `<div class="instance-head"><div class="line"><span class="swatch"></span><b></b><span class="badge state"></span></div>
    <div class="now"></div></div>`;
  card.querySelector('.swatch').style.background = colorFor(id);
  card.querySelector('b').textContent = id;
  const charts = card;
  const color = colorFor(id);
  card.charts = {
    rps: new LineChart(charts, { title: 'requests/s', color }),
    error_rate: new LineChart(charts, { title: '5xx share', color: '#e5534b', scale: 100, format: (v) => v.toFixed(1) + '%',
      axis: (v) => tidy(v) + '%', alert: (v) => v > 0.01 }),
    p99_ms: new LineChart(charts, { title: 'p99 latency', color, format: (v) => compact(v) + ' ms' }),
    // Connection churn: about 0 with the shared Redis connection, one per store call
    // with SCALELAB_REDIS_CONNECTIONS=per_request.
    redis_connects: new LineChart(charts, { title: 'Redis connects/s', color: '#8a63d2', format: (v) => compact(v) + '/s' }),
  };
  if (withDatabase) {
    // The instance's pool: connections open (its share of the database's budget), and
    // requests waiting for one (the pool, not the database, is then the bottleneck).
    card.charts.db_connections = new LineChart(charts, { title: 'DB connections', color: '#0072b2', format: (v) => compact(v) });
    card.charts.db_waiting = new LineChart(charts, { title: 'DB pool waiting', color: '#e69f00', format: (v) => compact(v),
      alert: (v) => v > 0 });
  }
  return card;
}

export function renderInstances(snap, series) {
  const box = document.getElementById('instances');
  const status = snap.status;
  if (!status || status.error) return;
  const apps = status.components.filter((c) => c.kind === 'app');
  const withDatabase = status.components.some((c) => c.kind === 'postgres');
  const keep = new Set(apps.map((c) => c.id));
  if (apps.length) box.querySelector('.empty')?.remove();
  for (const c of apps) {
    const card = keyed(box, c.id, () => makeCard(c.id, withDatabase));
    card.dataset.state = c.state;
    card.dataset.health = health(c, null);
    setText(card.querySelector('.badge.state'), c.state);
    const s = series.instances[c.id];
    const now = snap.now;
    const values = {};
    for (const [key, chart] of Object.entries(card.charts)) {
      const v = s ? s[key] : [];
      values[key] = s ? latest(series.t, v, now) : null;
      chart.update(series.t, s ? v : series.t.map(() => null), now, snap.window_s, values[key]);
    }
    setText(card.querySelector('.now'), RUNNING.has(c.state) ? `pid ${c.pid} · mode ${modeText(c.state_mode)}` : c.last_exit || c.state);
  }
  prune(box, keep);
  if (!apps.length && !box.querySelector('.empty')) box.innerHTML = '<div class="empty">no instances</div>';
}

// -------------------------------------------------------------------------- database
let databaseCharts = null;

// The database's connections as the server counts them, against its budget; the sum of
// the instances' pools beside them. Hidden in a lab without a database.
export function renderDatabase(snap, series) {
  const panel = document.getElementById('database-panel');
  const status = snap.status;
  if (!status || status.error) return;
  const postgres = status.components.find((c) => c.kind === 'postgres');
  const pgbouncer = status.components.find((c) => c.kind === 'pgbouncer');
  panel.hidden = !postgres;
  if (!postgres) return;
  const box = document.getElementById('database');
  if (!databaseCharts) {
    box.innerHTML = '';
    databaseCharts = {
      server: new LineChart(box, { title: 'held by PostgreSQL', color: '#d55e00', format: (v) => compact(v) }),
      pools: new LineChart(box, { title: "instances' pools (sum)", color: '#0072b2', format: (v) => compact(v) }),
      waiting: new LineChart(box, { title: 'waiting for a pooled connection', color: '#e69f00', format: (v) => compact(v),
        alert: (v) => v > 0 }),
    };
  }
  const db = series.lab.database || {};
  const nulls = series.t.map(() => null);
  const budgets = (db.budget || []).filter((v) => v != null);
  const budget = budgets.length ? budgets[budgets.length - 1] : null;
  const sum = (key) => series.t.map((_, i) => {
    let total = null;
    for (const s of Object.values(series.instances)) if (s[key] && s[key][i] != null) total = (total ?? 0) + s[key][i];
    return total;
  });
  const server = db.connections || nulls, pools = sum('db_connections'), waiting = sum('db_waiting');
  const now = snap.now;
  const held = latest(series.t, server, now);
  databaseCharts.server.update(series.t, server, now, snap.window_s, held);
  databaseCharts.pools.update(series.t, pools, now, snap.window_s, latest(series.t, pools, now));
  databaseCharts.waiting.update(series.t, waiting, now, snap.window_s, latest(series.t, waiting, now));
  const over = held != null && budget != null && held >= budget;
  const note = document.getElementById('database-note');
  note.classList.toggle('alert', over);
  setText(note, (budget == null ? `${postgres.state}` : `${held ?? '–'} of ${budget} connections (max_connections less the superuser's reserve)`) +
    (pgbouncer ? ` · pgbouncer ${pgbouncer.state} in front (transaction pooling)` : ''));
}

// ---------------------------------------------------------------------- distribution
let shareChart = null;

export function renderDistribution(snap, series) {
  const box = document.getElementById('distribution');
  const note = document.getElementById('distribution-note');
  const bal = snap.balancer;
  if (!bal) {
    setText(note, '');
    box.innerHTML = '<div class="empty">the balancer\'s admin API does not answer</div>';
    return;
  }
  box.querySelector('.empty')?.remove();
  const idle = bal.backends.every((b) => b.recent_share == null);
  setText(note, idle ? `no answers in the last ${bal.share_window_s} s; bars show totals since start`
                     : `share of the answers of the last ${bal.share_window_s} s · ${count(bal.requests_total)} answers in all`);
  const keep = new Set();
  const byId = (a, b) => a.id.localeCompare(b.id, undefined, { numeric: true });
  for (const b of [...bal.backends].sort(byId)) {
    keep.add(b.id);
    const row = keyed(box, b.id, () => {
      const r = document.createElement('div');
      r.className = 'row';
      r.dataset.backend = b.id;
      r.innerHTML = '<b></b><div class="bar"><div></div></div><span class="stats"></span>';
      r.querySelector('b').textContent = b.id;
      r.querySelector('.bar > div').style.background = colorFor(b.id);
      return r;
    });
    row.dataset.recentShare = b.recent_share == null ? '' : String(b.recent_share);
    row.dataset.eligible = String(b.eligible);
    const shown = idle ? b.share : b.recent_share ?? 0;
    const bar = row.querySelector('.bar > div');
    bar.style.width = `${(shown * 100).toFixed(1)}%`;
    bar.style.opacity = idle ? 0.35 : 1;
    const flags = [];
    if (b.check_state === 'unhealthy') flags.push(['bad', 'unhealthy']);
    if (b.ejected) flags.push(['bad', 'ejected']);
    if (b.state !== 'active') flags.push(['warn', b.state]);
    const stats = row.querySelector('.stats');
    stats.innerHTML = `<b>${idle ? '–' : pct(b.recent_share)}</b> · ${compact(b.recent_rps)}/s · total ${pct(b.share)}` +
      flags.map(([k, t]) => `<span class="flag ${k}">${t}</span>`).join('');
  }
  prune(box, keep);
  if (!shareChart) shareChart = new StackedChart(document.getElementById('distribution-chart'), 'share of answers per second, last 5 minutes');
  const ids = Object.keys(series.backends).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  shareChart.update(series.t, ids.map((id) => ({ id, color: colorFor(id), values: series.backends[id].share })), snap.now, snap.window_s);
}

// ------------------------------------------------------------------------------ load
const VIOLATIONS = [
  ['session_lost', 'session'], ['cart_lost_write', 'cart'], ['upload_missing', 'upload'],
  ['upload_corrupt', 'upload'], ['stale_read', 'item'], ['rate_limit_exceeded', 'ratelimit'],
  ['order_lost', 'order'], ['double_order', 'order'], ['oversold', 'stock'],
];
let loadChart = null;

export function renderLoad(snap) {
  const box = document.getElementById('load');
  const note = document.getElementById('load-note');
  const load = snap.load;
  if (!load || !load.run) {
    setText(note, '');
    if (!box.querySelector('.empty'))
      box.innerHTML = '<div class="empty">No load or experiment is reporting. Violation counters appear here while one runs ' +
        '(<code>scalelab load</code> on this lab, <code>scalelab experiment</code> and <code>scalelab demo</code> report here).</div>';
    loadChart = null;
    return;
  }
  if (!box.querySelector('.violations')) {
    box.innerHTML = `<div class="load-summary"></div><table class="violations"><thead><tr><th>violation</th>
      <th class="n">last second</th><th class="n">this run</th><th class="n">rate</th></tr></thead><tbody></tbody></table>
      <div class="load-chart"></div>`;
    loadChart = new LineChart(box.querySelector('.load-chart'), { title: 'violations per second (this run)', color: '#e5534b', height: 80, format: count });
  }
  const latestSample = load.latest || {};
  const run = load.run;
  setText(note, load.active ? `running · ${load.source}` : `finished ${duration(load.age_s)} ago · ${load.source}`);
  const lat = latestSample.latency_ms || {};
  box.querySelector('.load-summary').innerHTML =
    `<b>${compact(latestSample.rps)}</b> req/s · p99 <b>${compact(lat.p99)}</b> ms · ` +
    `${count(run.requests)} requests, <b>${count(run.errors)}</b> errors (transport + 5xx) in ${run.samples} s`;
  const body = box.querySelector('tbody');
  const rows = VIOLATIONS.map(([kind, check]) => {
    const last = (latestSample.violations || {})[kind] ?? 0;
    const total = run.violations[kind] ?? 0;
    const checks = run.checks[check] ?? 0;
    return `<tr class="${total > 0 ? 'hit' : ''}" data-violation="${kind}"><td>${kind}</td><td class="n">${count(last)}</td>` +
      `<td class="n">${count(total)}</td><td class="n">${checks ? pct(total / checks, 2) + ' of ' + count(checks) + ' ' + check + ' checks' : '–'}</td></tr>`;
  }).join('');
  if (body.dataset.rows !== rows) { body.dataset.rows = rows; body.innerHTML = rows; }
  const h = load.history;
  loadChart.update(h.t, h.violations, snap.now, snap.window_s, load.active ? h.violations[h.violations.length - 1] : null);
}

// ---------------------------------------------------------------------------- events
const KIND_CLASS = {
  exit: 'chaos', kill: 'chaos', pause: 'chaos', escalate: 'chaos', eject: 'chaos', lb_unhealthy: 'chaos', fault: 'chaos',
  spawn_failed: 'chaos', unready: 'chaos',
  ready: 'heal', resume: 'heal', spawn: 'heal', eject_end: 'heal', lb_healthy: 'heal', fault_clear: 'heal', member: 'heal',
  toggle: 'change', scale: 'change', removed: 'change', restart: 'change', up: 'change', down_requested: 'change', down: 'change',
};

// The supervisor writes a stored toxic as JSON; a person reads it better as text.
function eventDetail(e) {
  if (e.kind === 'fault' && e.detail.startsWith('{')) {
    try { const t = JSON.parse(e.detail); return `${toxicText(t)} (${t.name})`; } catch { /* shown as it is */ }
  }
  return e.detail;
}

function kindClass(e) {
  if (e.kind === 'exit' && e.detail.startsWith('exit 0')) return 'change';  // a clean stop (scale-in, restart, down)
  return KIND_CLASS[e.kind] || '';
}

export function renderEvents(events) {
  const body = document.querySelector('#events tbody');
  const fragment = document.createDocumentFragment();
  for (const e of events) {
    const tr = document.createElement('tr');
    tr.dataset.kind = e.kind;
    tr.dataset.eventComponent = e.component;
    const time = new Date(e.t * 1000).toLocaleTimeString([], { hour12: false });
    tr.innerHTML = `<td class="time"></td><td class="kind"><span class="k ${kindClass(e)}"></span></td><td class="component"></td><td class="detail"></td>`;
    tr.querySelector('.time').textContent = time;
    tr.querySelector('.k').textContent = e.kind;
    tr.querySelector('.component').textContent = e.component || 'lab';
    tr.querySelector('.detail').textContent = eventDetail(e);
    fragment.prepend(tr);
  }
  body.prepend(fragment);
  while (body.children.length > 300) body.lastChild.remove();
}
