// The plot: series stored in device time, drawn decimated to at most four
// points per pixel column (first, lowest, highest, last), so drawing cost
// follows the canvas width, not the event rate. Gaps (values lost) break the
// line and are shaded.
'use strict';

const PLOT_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
// History kept per series, whatever the window shown: 15 minutes at 1 kHz.
const MAX_POINTS = 900000;

class Series {
  constructor(key, color) {
    this.key = key;
    this.color = color;
    this.xs = [];
    this.ys = [];
    this.gaps = []; // true: values were lost just before this point
    this.breakNext = false;
    this.gapCount = 0;
    this.last = null;
  }

  push(t, v, gap) {
    const n = this.xs.length;
    // Device time only moves forward; an earlier stamp (a device restart)
    // starts over rather than drawing backwards.
    if (n > 0 && t < this.xs[n - 1]) {
      this.xs = []; this.ys = []; this.gaps = [];
      gap = true;
    }
    gap = gap || this.breakNext;
    this.breakNext = false;
    if (gap && this.xs.length > 0) this.gapCount++;
    this.xs.push(t); this.ys.push(v); this.gaps.push(gap);
    this.last = v;
    if (this.xs.length > MAX_POINTS * 1.1) {
      const cut = this.xs.length - MAX_POINTS;
      this.xs.splice(0, cut); this.ys.splice(0, cut); this.gaps.splice(0, cut);
    }
  }

  // Index of the first point at or after t.
  from(t) {
    let lo = 0, hi = this.xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.xs[mid] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}

// Every numeric leaf of a value: [['celsius', 21.5], ['pos.x', 1]]; [['', 3]] for a number.
function numericFields(value, path = '', out = []) {
  if (typeof value === 'number' && Number.isFinite(value)) out.push([path, value]);
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) numericFields(v, path ? path + '.' + k : k, out);
  }
  return out;
}

// Device seconds as a label: wall-clock time of day (UTC) for stamps after
// 2001, seconds since boot otherwise (the same rule as the CLI).
function deviceTime(secs) {
  if (secs >= 1e9) return new Date(secs * 1000).toISOString().slice(11, 21);
  return '+' + secs.toFixed(1) + ' s';
}

class Plot {
  constructor(canvas) {
    this.canvas = canvas;
    this.series = new Map(); // key "record" or "record.field" -> Series
    this.newest = null;      // newest device time seen
    this.drawnVertices = 0;
  }

  add(record, t, data, gap) {
    for (const [path, v] of numericFields(data)) {
      const key = path ? record + '.' + path : record;
      let s = this.series.get(key);
      if (!s) {
        s = new Series(key, PLOT_COLORS[this.series.size % PLOT_COLORS.length]);
        s.record = record;
        this.series.set(key, s);
      }
      s.push(t, v, gap);
    }
    if (this.newest === null || t > this.newest) this.newest = t;
  }

  // Values may have been lost for every series (reconnect, page lagged).
  breakAll() {
    for (const s of this.series.values()) s.breakNext = true;
  }

  // Draws the series whose record is in `shown`, over [end - window, end].
  draw(shown, end, windowSecs) {
    const c = this.canvas, ratio = window.devicePixelRatio || 1;
    const w = Math.max(200, Math.round(c.clientWidth * ratio)), h = Math.max(100, Math.round(c.clientHeight * ratio));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const g = c.getContext('2d');
    g.clearRect(0, 0, w, h);
    const left = 60 * ratio, right = w - 10 * ratio, top = 10 * ratio, bottom = h - 24 * ratio;
    const start = end - windowSecs;
    const visible = [...this.series.values()].filter(s => shown.has(s.record));
    // The y range of what is visible.
    let lo = Infinity, hi = -Infinity;
    for (const s of visible) {
      for (let i = s.from(start); i < s.xs.length; i++) {
        const y = s.ys[i];
        if (y < lo) lo = y;
        if (y > hi) hi = y;
      }
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    const pad = Math.max((hi - lo) * 0.08, 0.5);
    lo -= pad; hi += pad;
    const px = t => left + (t - start) / windowSecs * (right - left);
    const py = v => bottom - (v - lo) / (hi - lo) * (bottom - top);
    this.axes(g, ratio, left, right, top, bottom, lo, hi, start, windowSecs, py);
    let vertices = 0;
    g.save();
    g.beginPath(); g.rect(left, top, right - left, bottom - top); g.clip();
    for (const s of visible) vertices += this.line(g, s, start, px, py, ratio, top, bottom);
    g.restore();
    this.drawnVertices = vertices;
  }

  axes(g, ratio, left, right, top, bottom, lo, hi, start, windowSecs, py) {
    g.strokeStyle = '#e6e7e8'; g.fillStyle = '#6b7075'; g.lineWidth = 1;
    g.font = `${11 * ratio}px system-ui, sans-serif`;
    g.textAlign = 'right'; g.textBaseline = 'middle';
    for (let k = 0; k <= 4; k++) {
      const v = lo + (hi - lo) * k / 4, y = py(v);
      g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
      g.fillText(v.toFixed(2), left - 6 * ratio, y);
    }
    g.textAlign = 'center'; g.textBaseline = 'top';
    for (let k = 0; k <= 5; k++) {
      const x = left + (right - left) * k / 5;
      const ago = windowSecs * (1 - k / 5);
      g.beginPath(); g.moveTo(x, top); g.lineTo(x, bottom); g.stroke();
      if (k === 5) g.textAlign = 'right'; // the newest device time, inside the canvas
      g.fillText(k === 5 ? deviceTime(start + windowSecs) : '−' + ago.toFixed(ago < 10 ? 1 : 0) + ' s', x, bottom + 5 * ratio);
    }
  }

  line(g, s, start, px, py, ratio, top, bottom) {
    const first = s.from(start);
    // Gaps first, so lines draw over them.
    g.fillStyle = 'rgba(192, 57, 43, 0.22)';
    for (let i = Math.max(first, 1); i < s.xs.length; i++) {
      if (s.gaps[i]) {
        const a = px(s.xs[i - 1]), b = px(s.xs[i]);
        g.fillRect(a, top, Math.max(b - a, 3 * ratio), bottom - top);
      }
    }
    g.strokeStyle = s.color; g.lineWidth = 1.5 * ratio; g.lineJoin = 'round';
    g.beginPath();
    let vertices = 0, column = null, yMin = 0, yMax = 0, yLast = 0, xCol = 0;
    const flush = () => {
      if (column === null) return;
      g.lineTo(xCol, py(yMin)); g.lineTo(xCol, py(yMax)); g.lineTo(xCol, py(yLast));
      vertices += 3;
    };
    for (let i = first; i < s.xs.length; i++) {
      const x = px(s.xs[i]), y = s.ys[i], col = Math.floor(x);
      if (s.gaps[i] || i === first) {
        flush();
        column = null;
        g.moveTo(x, py(y));
        vertices++;
      }
      if (col !== column) {
        flush();
        column = col; xCol = x; yMin = y; yMax = y;
        g.lineTo(x, py(y));
        vertices++;
      } else {
        if (y < yMin) yMin = y;
        if (y > yMax) yMax = y;
      }
      yLast = y;
    }
    flush();
    g.stroke();
    return vertices;
  }
}
