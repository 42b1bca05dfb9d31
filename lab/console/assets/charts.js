// Small SVG charts for the console, written here rather than taken from a library:
// the page must work offline with nothing bundled, and two chart kinds (a line over
// the last five minutes, and stacked shares) are a hundred lines.
//
// Each chart draws at its box's pixel width and a fixed height, so text and lines stay
// crisp whatever the layout. Time runs from now - window (left) to now (right); a
// null value breaks the line, so an instance that was down shows a gap rather than a
// made-up zero.

const SVG = 'http://www.w3.org/2000/svg';
const LEFT = 34, RIGHT = 6, TOP = 6, BOTTOM = 14;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least v.
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p * 1.0000001) return m * p;
  return 10 * p;
}

// A rate or a duration: 3 significant digits at most, k and M for large values.
export function compact(v) {
  if (v == null || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
  if (a >= 100 || a === 0) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

// An axis label: at most 3 significant digits, no trailing zeros.
export function tidy(v) {
  return Math.abs(v) >= 1000 ? compact(v) : String(Number(v.toPrecision(3)));
}

// A count: whole, with thousands separated.
export function count(v) {
  return v == null || !isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
}

class Chart {
  constructor(parent, title, height) {
    this.height = height;
    this.root = document.createElement('div');
    this.root.className = 'chart';
    this.root.innerHTML = '<div class="chart-head"><span class="title"></span><span class="value"></span></div>';
    this.root.querySelector('.title').textContent = title;
    this.value = this.root.querySelector('.value');
    this.svg = el('svg', { role: 'img', 'aria-label': title, height });
    this.svg.style.height = height + 'px';
    this.grid = el('g', {}, this.svg);
    this.plot = el('g', {}, this.svg);
    this.root.appendChild(this.svg);
    parent.appendChild(this.root);
  }

  // Sizes the drawing to the box and draws the frame: grid lines with `yLabels`
  // (bottom to top) and the time axis. Returns the x and y mappings.
  frame(now, window, yLabels) {
    const w = Math.max(100, Math.round(this.svg.getBoundingClientRect().width || 300)), h = this.height;
    this.svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const plotW = w - LEFT - RIGHT, plotH = h - TOP - BOTTOM;
    this.grid.replaceChildren();
    yLabels.forEach((label, i) => {
      const y = TOP + plotH - (plotH * i) / (yLabels.length - 1);
      el('line', { x1: LEFT, x2: w - RIGHT, y1: y, y2: y, class: 'grid-line' }, this.grid);
      el('text', { x: LEFT - 4, y: y + 3, 'text-anchor': 'end', class: 'axis-label' }, this.grid).textContent = label;
    });
    for (const [text, x, anchor] of [['-5m', LEFT, 'start'], ['-2.5m', LEFT + plotW / 2, 'middle'], ['now', w - RIGHT, 'end']])
      el('text', { x, y: h - 2, 'text-anchor': anchor, class: 'axis-label' }, this.grid).textContent = text;
    return {
      x: (t) => LEFT + ((t - (now - window)) / window) * plotW,
      y: (fraction) => TOP + plotH - Math.min(Math.max(fraction, 0), 1) * plotH,
      base: TOP + plotH, left: LEFT, width: plotW,
    };
  }
}

export class LineChart extends Chart {
  // opts: {title, color, height, format(v) for the current value, axis(v) for the y
  // labels, scale (multiplies values), minMax (the y axis shows at least this),
  // alert(v) (the value turns red)}
  constructor(parent, opts) {
    const o = Object.assign({ format: compact, axis: tidy, scale: 1, minMax: 1, height: 64 }, opts);
    super(parent, o.title, o.height);
    this.opts = o;
    this.area = el('path', { fill: o.color, 'fill-opacity': 0.18, stroke: 'none' }, this.plot);
    this.line = el('path', { fill: 'none', stroke: o.color, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }, this.plot);
    this.noData = el('text', { 'text-anchor': 'middle', class: 'no-data' }, this.plot);
  }

  // ts: seconds; values: numbers or null, as long as ts; now and window in seconds.
  update(ts, values, now, window, current) {
    const s = this.opts.scale;
    let max = 0, seen = 0;
    for (let i = 0; i < ts.length; i++) if (values[i] != null && ts[i] >= now - window) { max = Math.max(max, values[i] * s); seen++; }
    const top = niceMax(Math.max(max, this.opts.minMax));
    const m = this.frame(now, window, [0, top / 2, top].map(this.opts.axis));
    let line = '', area = '', run = [];
    const flush = () => {
      if (run.length > 1) {
        const pts = run.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`);
        line += 'M' + pts.join('L');
        area += `M${run[0][0].toFixed(1)},${m.base}L${pts.join('L')}L${run[run.length - 1][0].toFixed(1)},${m.base}Z`;
      }
      run = [];
    };
    for (let i = 0; i < ts.length; i++) {
      if (ts[i] < now - window) continue;
      if (values[i] == null) flush(); else run.push([m.x(ts[i]), m.y((values[i] * s) / top)]);
    }
    flush();
    this.line.setAttribute('d', line);
    this.area.setAttribute('d', area);
    this.noData.setAttribute('x', m.left + m.width / 2);
    this.noData.setAttribute('y', m.base / 2 + 6);
    this.noData.textContent = seen === 0 ? 'no data' : '';
    this.value.textContent = current == null ? '–' : this.opts.format(current * s);
    this.value.classList.toggle('alert', !!(this.opts.alert && current != null && this.opts.alert(current)));
  }
}

// Shares of a whole over time, one band per series, stacked in the given order.
export class StackedChart extends Chart {
  constructor(parent, title, height = 96) { super(parent, title, height); }

  // series: [{id, color, values}] with values (0..1 or null) as long as ts.
  update(ts, series, now, window) {
    const m = this.frame(now, window, ['0%', '50%', '100%']);
    const idx = [];
    for (let i = 0; i < ts.length; i++) if (ts[i] >= now - window) idx.push(i);
    const below = idx.map(() => 0);
    this.plot.replaceChildren();
    for (const s of series) {
      const upper = idx.map((i, k) => below[k] + (s.values[i] ?? 0));
      if (idx.length > 1 && upper.some((u, k) => u > below[k])) {
        let d = idx.map((i, k) => `${k ? 'L' : 'M'}${m.x(ts[i]).toFixed(1)},${m.y(upper[k]).toFixed(1)}`).join('');
        for (let k = idx.length - 1; k >= 0; k--) d += `L${m.x(ts[idx[k]]).toFixed(1)},${m.y(below[k]).toFixed(1)}`;
        el('path', { d: d + 'Z', fill: s.color, 'fill-opacity': 0.8, stroke: 'none' }, this.plot);
      }
      upper.forEach((u, k) => { below[k] = u; });
    }
  }
}
