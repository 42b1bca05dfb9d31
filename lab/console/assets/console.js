// The console's main loop: poll the supervisor's /console/api/snapshot once a second,
// keep five minutes of chart data (the server sends only the frames this page has not
// seen), and hand everything to the panels. Polling rather than a server-sent stream:
// cpp-httplib pins one worker thread per connection, and the control API has eight,
// so a stream per open tab would take workers from the CLI and the experiments.

import { onAction } from './api.js';
import { renderControls, setupControls } from './controls.js';
import {
  renderDatabase, renderDistribution, renderEvents, renderInstances, renderLoad, renderSummary, renderTopology,
} from './panels.js';

const POLL_MS = 1000;
const series = { t: [], instances: {}, backends: {}, lab: {} };
const GROUPS = ['instances', 'backends', 'lab'];
let lastEventSeq = 0;
let lastOk = 0;
let timer = null;
let inFlight = false, again = false;

// Appends a column-wise chunk ({t, instances: {id: {key: [...]}}, backends, lab}) to
// `series`, padding with nulls so every array stays as long as series.t, then drops
// what is older than the window.
function merge(chunk, now, window) {
  const before = series.t.length, added = chunk.t.length;
  series.t.push(...chunk.t);
  for (const group of GROUPS) {
    const have = series[group], got = chunk[group] || {};
    for (const [id, columns] of Object.entries(got)) {
      if (!have[id]) have[id] = Object.fromEntries(Object.keys(columns).map((k) => [k, new Array(before).fill(null)]));
      for (const [k, values] of Object.entries(columns)) have[id][k].push(...values);
    }
    for (const [id, columns] of Object.entries(have))
      if (!got[id]) for (const values of Object.values(columns)) values.push(...new Array(added).fill(null));
  }
  let drop = 0;
  while (drop < series.t.length && series.t[drop] < now - window) drop++;
  if (drop) {
    series.t.splice(0, drop);
    for (const group of GROUPS)
      for (const [id, columns] of Object.entries(series[group])) {
        for (const values of Object.values(columns)) values.splice(0, drop);
        if (Object.values(columns).every((values) => values.every((v) => v == null))) delete series[group][id];
      }
  }
}

function setLive(ok, text) {
  const live = document.getElementById('live');
  live.dataset.live = ok ? 'ok' : 'lost';
  live.querySelector('.text').textContent = text;
}

function render(snap) {
  renderSummary(snap.status);
  renderTopology(snap);
  renderControls(snap);
  renderInstances(snap, series);
  renderDistribution(snap, series);
  renderDatabase(snap, series);
  renderLoad(snap);
}

// Polls now, or right after the poll in flight (two at once would merge one frame twice).
function pollSoon() {
  if (inFlight) again = true;
  else poll();
}

async function poll() {
  clearTimeout(timer);
  inFlight = true;
  const since = series.t.length ? series.t[series.t.length - 1] : 0;
  const controller = new AbortController();
  const abort = setTimeout(() => controller.abort(), 4000);
  try {
    const r = await fetch(`/console/api/snapshot?since=${since}&events=${lastEventSeq}`, { signal: controller.signal, cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const snap = await r.json();
    merge(snap.series, snap.now, snap.window_s);
    if (snap.events.length) {
      renderEvents(snap.events);
      lastEventSeq = snap.events[snap.events.length - 1].seq;
    }
    render(snap);
    lastOk = Date.now();
    const down = snap.status && snap.status.error;
    setLive(!down, down ? 'lab is down' : 'live');
  } catch (e) {
    setLive(false, lastOk ? `no answer for ${((Date.now() - lastOk) / 1000).toFixed(0)} s; retrying` : `cannot reach the supervisor (${e.message})`);
  } finally {
    clearTimeout(abort);
    inFlight = false;
    timer = setTimeout(poll, again ? 0 : POLL_MS);
    again = false;
  }
}

setupControls();
// An action that went through shows its effect at once rather than up to a second later.
onAction(() => setTimeout(pollSoon, 150));
poll();
