// The dashboard: one WebSocket to `aimx ui` (reopened with backoff if it
// drops), a live record table with edit boxes, and the plot.
'use strict';

const $ = sel => document.querySelector(sel);
const plot = new Plot($('#plot'));
const ui = {
  records: new Map(),   // name -> {info, row, last, totals, plotted, touched}
  order: [],
  state: {},
  paused: false,
  pausedAt: null,
  windowSecs: 60,
  nextId: 1,
  pending: new Map(),   // request id -> reply element
  generation: null,
  socketOpen: false,
  lagged: 0,
  frames: 0,
  dirty: true,
  drawMs: [],           // how long the last draws took (for the load test)
};

// ---- the WebSocket -------------------------------------------------------

let retryMs = 250;
function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ui.ws = ws;
  ws.onopen = () => { retryMs = 250; ui.socketOpen = true; $('#link').textContent = ''; };
  ws.onmessage = e => handle(JSON.parse(e.data));
  ws.onclose = () => {
    ui.socketOpen = false;
    setPill('disconnected', 'aimx ui not reachable');
    $('#link').textContent = `page reconnecting in ${(retryMs / 1000).toFixed(1)} s`;
    plot.breakAll();
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

function handle(m) {
  switch (m.t) {
    case 'hello': $('#device').textContent = m.device; break;
    case 'state': onState(m); break;
    case 'ping': $('#ping').textContent = `ping ${m.ms < 10 ? m.ms.toFixed(2) : m.ms.toFixed(0)} ms`; break;
    case 'records': onRecords(m); break;
    case 'events': onEvents(m); break;
    case 'lagged': ui.lagged += m.missed; plot.breakAll(); break;
    case 'reply': onReply(m); break;
  }
}

function setPill(state, text) {
  const pill = $('#conn');
  pill.dataset.state = state;
  pill.textContent = text;
}

function onState(m) {
  ui.state = m;
  if (ui.generation !== null && m.generation !== ui.generation) plot.breakAll();
  ui.generation = m.generation;
  if (m.connected) setPill('connected', `connected · ${m.server}`);
  else if (m.connecting) setPill('connecting', `connecting (attempt ${m.attempt})…`);
  else {
    setPill('disconnected', `disconnected: ${m.error || 'unknown'} · retry in ${(m.retry_ms / 1000).toFixed(1)} s`);
    $('#ping').textContent = 'ping –';
  }
}

// ---- the record table ----------------------------------------------------

function onRecords(m) {
  const names = m.records.map(r => r.name);
  if (names.join('\n') !== ui.order.join('\n')) rebuildTable(m.records);
  for (const info of m.records) {
    const rec = ui.records.get(info.name);
    rec.info = info;
    rec.subscription = (m.subscriptions || {})[info.name];
    updateRow(rec);
  }
}

function rebuildTable(records) {
  const body = $('#records tbody');
  body.textContent = '';
  const old = ui.records;
  ui.records = new Map();
  ui.order = records.map(r => r.name);
  for (const info of records) {
    const rec = old.get(info.name) || { last: null, totals: { events: 0, dropped: 0 }, plotted: false, touched: false };
    rec.info = info;
    rec.row = makeRow(rec);
    body.appendChild(rec.row);
    ui.records.set(info.name, rec);
  }
}

function cell(row, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function makeRow(rec) {
  const row = document.createElement('tr');
  row.dataset.name = rec.info.name;
  const tick = document.createElement('input');
  tick.type = 'checkbox';
  tick.disabled = true;
  tick.title = 'no numeric field yet';
  tick.onchange = () => { rec.plotted = tick.checked; rec.touched = true; ui.dirty = true; };
  cell(row, 'plot').appendChild(tick);
  for (const cls of ['name', 'buffer', 'num producers', 'num consumers', 'writable', 'updated', 'num events', 'num dropped', 'value']) {
    cell(row, cls);
  }
  const edit = cell(row, 'edit');
  if (rec.info.writable) {
    const form = document.createElement('form');
    form.innerHTML = '<input name="value" placeholder="JSON or a word" spellcheck="false"> <button>set</button><span class="reply"></span>';
    form.onsubmit = e => { e.preventDefault(); sendSet(rec.info.name, form.querySelector("input").value, form.querySelector('.reply')); };
    edit.appendChild(form);
  }
  return row;
}

function stampText(stamp) {
  const secs = Number(stamp);
  if (!Number.isFinite(secs)) return stamp || '–';
  if (secs >= 1e9) return new Date(secs * 1000).toISOString().slice(11, 23);
  return '+' + secs.toFixed(3) + ' s';
}

function updateRow(rec) {
  const r = rec.row, info = rec.info;
  const set = (cls, text) => { const td = r.querySelector('td.' + cls.split(' ').pop()); if (td.textContent !== text) td.textContent = text; };
  set('name', info.name);
  set('buffer', info.buffer_type + (info.buffer_capacity != null ? ` (${info.buffer_capacity})` : ''));
  set('producers', String(info.producer_count));
  set('consumers', String(info.consumer_count));
  set('writable', info.writable ? 'yes' : 'no');
  set('updated', stampText(rec.last ? rec.last.stamp : info.last_update));
  set('events', String(rec.totals.events));
  set('dropped', String(rec.totals.dropped));
  r.querySelector('td.dropped').classList.toggle('dropped-some', rec.totals.dropped > 0);
  const sub = rec.subscription && rec.subscription !== 'subscribed' ? `(not live: ${rec.subscription})` : '';
  set('value', rec.last ? JSON.stringify(rec.last.data) : sub || '–');
  r.querySelector('td.value').title = r.querySelector('td.value').textContent;
  const tick = r.querySelector('td.plot input');
  const numeric = rec.last && numericFields(rec.last.data).length > 0;
  if (numeric && tick.disabled) {
    tick.disabled = false;
    tick.title = 'plot its numeric fields';
    if (!rec.touched) { rec.plotted = true; tick.checked = true; ui.dirty = true; }
  }
  const input = r.querySelector('td.edit input');
  if (input && !input.value && rec.last && document.activeElement !== input) input.value = JSON.stringify(rec.last.data);
}

// ---- events --------------------------------------------------------------

function onEvents(m) {
  if (ui.generation !== null && m.generation !== ui.generation) { plot.breakAll(); ui.generation = m.generation; }
  const touched = new Set();
  for (const e of m.events) {
    const rec = ui.records.get(e.r);
    if (e.ts != null) plot.add(e.r, e.ts, e.data, e.dropped > 0);
    if (rec) { rec.last = e; touched.add(rec); }
  }
  for (const [name, totals] of Object.entries(m.totals || {})) {
    const rec = ui.records.get(name);
    if (rec) { rec.totals = totals; touched.add(rec); }
  }
  for (const rec of touched) updateRow(rec);
  // Paused: the data keeps coming (and counting), the picture stays.
  if (!ui.paused) ui.dirty = true;
}

// ---- edits ---------------------------------------------------------------

// The same rule as `aimx set`: JSON, or a bare word taken as a string.
function parseValue(text) {
  try { return { value: JSON.parse(text) }; } catch (e) {
    if (/^[\p{L}\p{N}_\-.:\/+@]+$/u.test(text)) return { value: text };
    return { error: 'not valid JSON: ' + e.message };
  }
}

function sendSet(name, text, replyEl) {
  const parsed = parseValue(text.trim());
  replyEl.className = 'reply';
  if (parsed.error) { replyEl.classList.add('err'); replyEl.textContent = parsed.error; return; }
  if (!ui.socketOpen) { replyEl.classList.add('err'); replyEl.textContent = 'aimx ui not reachable'; return; }
  const id = ui.nextId++;
  ui.pending.set(id, replyEl);
  replyEl.textContent = 'sending…';
  ui.ws.send(JSON.stringify({ op: 'set', id, name, value: parsed.value }));
}

function onReply(m) {
  const el = ui.pending.get(m.id);
  if (!el) return;
  ui.pending.delete(m.id);
  el.className = 'reply ' + (m.ok ? 'ok' : 'err');
  el.dataset.code = m.ok ? 'ok' : m.code;
  el.textContent = m.ok ? `stored ${JSON.stringify(m.value)}` : `${m.code}: ${m.message}`;
}

// ---- plot controls and drawing -------------------------------------------

$('#pause').onclick = () => {
  ui.paused = !ui.paused;
  ui.pausedAt = ui.paused ? plot.newest : null;
  $('#pause').textContent = ui.paused ? 'resume' : 'pause';
  ui.dirty = true;
};
$('#window').onchange = e => { ui.windowSecs = Number(e.target.value); ui.dirty = true; };

function shownRecords() {
  return new Set([...ui.records.values()].filter(r => r.plotted).map(r => r.info.name));
}

function legend(shown) {
  const ul = $('#legend');
  const items = [...plot.series.values()].filter(s => shown.has(s.record));
  const text = items.map(s => `${s.key}=${s.last}`).join('|');
  if (ul.dataset.text === text) return;
  ul.dataset.text = text;
  ul.textContent = '';
  for (const s of items) {
    const li = document.createElement('li');
    li.innerHTML = `<span class="swatch" style="background:${s.color}"></span>`;
    li.append(`${s.key} ${s.last == null ? '' : s.last}`);
    ul.appendChild(li);
  }
}

let lastDraw = 0;
function frame(now) {
  requestAnimationFrame(frame);
  // At most 20 redraws a second, and only when something changed.
  if (!ui.dirty || now - lastDraw < 50) return;
  lastDraw = now; ui.dirty = false; ui.frames++;
  const shown = shownRecords();
  const end = (ui.paused ? ui.pausedAt : plot.newest) ?? 0;
  const t0 = performance.now();
  plot.draw(shown, end, ui.windowSecs);
  ui.drawMs.push(performance.now() - t0);
  if (ui.drawMs.length > 200) ui.drawMs.shift();
  legend(shown);
  const canvas = $('#plot');
  canvas.dataset.vertices = plot.drawnVertices;
  canvas.dataset.frames = ui.frames;
}

// What the browser test reads (and a curious user in the console).
window.aimxUi = {
  snapshot() {
    const series = {};
    for (const s of plot.series.values()) series[s.key] = { points: s.xs.length, gaps: s.gapCount, last: s.last };
    return {
      connected: !!ui.state.connected, socketOpen: ui.socketOpen, paused: ui.paused, lagged: ui.lagged,
      records: ui.order, plotted: [...shownRecords()], series, frames: ui.frames, vertices: plot.drawnVertices,
      drawMs: ui.drawMs.slice(),
      totals: Object.fromEntries([...ui.records].map(([n, r]) => [n, { ...r.totals, lastSeq: r.last ? r.last.seq : null }])),
    };
  },
};

requestAnimationFrame(frame);
connect();
