// herscan report: the page's behaviour. Plain DOM and canvas, no library, no network. Every
// string from the profiles reaches the page through textContent, a title attribute or
// canvas fillText, never as markup. docs/report.md describes the page.
'use strict';
(function () {
  const started = performance.now();
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));

  const data = JSON.parse(document.getElementById('herscan-data').textContent);
  const T = data.tracks;
  const N = data.count;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const fmt = (v, d) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
  const signed = (v, d) => (v === null || v === undefined ? '–' : (v > 0 ? '+' : '') + Number(v).toFixed(d));
  const duration = (s) => {
    if (s === null || s === undefined) return '–';
    const m = Math.floor(s / 60);
    const r = Math.floor(s - 60 * m);
    return m + ':' + String(r).padStart(2, '0');
  };
  const basename = (f) => (f === null ? '' : String(f).slice(String(f).lastIndexOf('/') + 1));
  const displayName = (i) => {
    const t = T.title[i];
    if (t) return T.artist[i] ? T.artist[i] + ' – ' + t : t;
    return basename(T.file[i]) || '(no file name)';
  };
  const names = new Array(N);
  const haystack = new Array(N);
  for (let i = 0; i < N; i++) {
    names[i] = displayName(i);
    haystack[i] = [T.file[i], T.title[i], T.artist[i], T.album[i]].filter(Boolean).join('\n').toLowerCase();
  }

  // ---- Camelot codes and the mixing rules (docs/report.md, "Mixing rules"; `herscan similar`).
  const parseCamelot = (code) => {
    const m = /^([1-9]|1[0-2])([AB])$/.exec(code || '');
    return m ? { number: Number(m[1]), major: m[2] === 'B' } : null;
  };
  const codes = T.camelot.map(parseCamelot);
  function mixesWith(sel, selBpm, cand, candBpm, tolerance, halfDouble) {
    const step = (cand.number - sel.number + 12) % 12;
    let relation, keyCost = 0.5;
    if (cand.major === sel.major && step === 0) { relation = 'same'; keyCost = 0; }
    else if (cand.major === sel.major && step === 1) relation = '+1';
    else if (cand.major === sel.major && step === 11) relation = '-1';
    else if (cand.major !== sel.major && step === 0) relation = 'relative';
    else return null;
    let best = null;
    for (const ratio of halfDouble ? [1, 2, 0.5] : [1]) {
      const diff = (100 * (candBpm * ratio - selBpm)) / selBpm;
      if (Math.abs(diff) > tolerance + 1e-9) continue;
      if (best === null || Math.abs(diff) < Math.abs(best.diff)) best = { ratio, diff };
    }
    if (best === null) return null;
    const distance = keyCost + Math.abs(best.diff) / Math.max(tolerance, 1e-9) + (best.ratio === 1 ? 0 : 0.25);
    return { relation, ratio: best.ratio, diff: best.diff, distance };
  }
  function mixesFor(i, tolerance, halfDouble) {
    const sel = codes[i];
    const bpm = T.bpm[i];
    if (!sel || !(bpm > 0)) return null;
    const out = [];
    for (let j = 0; j < N; j++) {
      if (j === i || T.file[j] === T.file[i] || !codes[j] || !(T.bpm[j] > 0)) continue;
      const m = mixesWith(sel, bpm, codes[j], T.bpm[j], tolerance, halfDouble);
      if (m) { m.index = j; out.push(m); }
    }
    out.sort((a, b) => a.distance - b.distance || (T.file[a.index] < T.file[b.index] ? -1 : T.file[a.index] > T.file[b.index] ? 1 : 0));
    return out;
  }

  // ---- Columns of the table.
  const columns = [
    { key: 'name', label: 'Track', get: (i) => names[i], text: (i) => names[i], sortText: true },
    { key: 'duration_s', label: 'Length', num: true, text: (i) => duration(T.duration_s[i]) },
    { key: 'bpm', label: 'BPM', num: true, text: (i) => fmt(T.bpm[i], 1) },
    { key: 'key', label: 'Key', text: (i) => T.key[i] || '–', sortText: true },
    { key: 'camelot', label: 'Cam.', text: (i) => T.camelot[i] || '–',
      get: (i) => (codes[i] ? codes[i].number * 2 + (codes[i].major ? 1 : 0) : null) },
    { key: 'integrated_lufs', label: 'LUFS', num: true, text: (i) => fmt(T.integrated_lufs[i], 1) },
    { key: 'range_lu', label: 'LRA', num: true, text: (i) => fmt(T.range_lu[i], 1) },
    { key: 'true_peak_dbtp', label: 'Peak', num: true, text: (i) => fmt(T.true_peak_dbtp[i], 1) },
    { key: 'replaygain_db', label: 'RG dB', num: true, text: (i) => signed(T.replaygain_db[i], 1) },
    { key: 'centroid_hz', label: 'Centroid', num: true, text: (i) => fmt(T.centroid_hz[i], 0) },
  ];
  for (const c of columns) if (!c.get) c.get = (i) => T[c.key][i];

  // ---- State: filters, order, selection.
  const ranges = ['bpm', 'integrated_lufs', 'range_lu', 'duration_s'];
  const state = { search: '', range: {}, camelot: null, sort: null, dir: 1, selected: -1, order: [] };
  for (const r of ranges) state.range[r] = [null, null];

  // Ranges compare values at the resolution the range fields take (0.01), as the histogram bins
  // them: a tempo of 119.9963 is 120.00, in the bar from 120 and not below its 119.99.
  const cents = (v) => (v === null ? null : Math.round(v * 100) / 100);
  function passes(i) {
    if (state.search && haystack[i].indexOf(state.search) < 0) return false;
    if (state.camelot !== null && T.camelot[i] !== state.camelot) return false;
    for (const r of ranges) {
      const [lo, hi] = state.range[r];
      if (lo === null && hi === null) continue;
      const v = cents(T[r][i]);
      if (v === null || (lo !== null && v < lo) || (hi !== null && v > hi)) return false;
    }
    return true;
  }
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  function refilter() {
    const order = [];
    for (let i = 0; i < N; i++) if (passes(i)) order.push(i);
    if (state.sort !== null) {
      const c = columns[state.sort];
      const dir = state.dir;
      const keys = new Array(N);
      for (const i of order) keys[i] = c.get(i);
      order.sort((a, b) => {
        const x = keys[a], y = keys[b];
        if (x === null || x === undefined || x === '') return y === null || y === undefined || y === '' ? a - b : 1;
        if (y === null || y === undefined || y === '') return -1;  // missing values last
        const d = c.sortText && typeof x === 'string' ? collator.compare(x, y) : x - y;
        return d !== 0 ? dir * d : a - b;
      });
    }
    state.order = order;
    $('count').textContent = order.length === N ? N + ' tracks' : order.length + ' of ' + N + ' tracks';
    const chip = $('key-chip');
    chip.hidden = state.camelot === null;
    chip.textContent = state.camelot === null ? '' : 'Key ' + state.camelot + ' ×';
    $('viewport').scrollTop = 0;
    renderRows(true);
    drawCharts();
  }

  // ---- The table, virtualised: only the rows in view (and a few around) exist in the DOM.
  const ROW = 26;
  const head = $('table-head');
  columns.forEach((c, k) => {
    const s = el('span', c.num ? 'num' : '', c.label);
    s.setAttribute('role', 'columnheader');
    s.dataset.column = c.key;
    s.addEventListener('click', () => {
      if (state.sort === k) state.dir = -state.dir;
      else { state.sort = k; state.dir = c.num ? -1 : 1; }
      for (const h of head.children) h.removeAttribute('aria-sort');
      s.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      refilter();
    });
    head.appendChild(s);
  });
  const viewport = $('viewport');
  const rowsEl = $('rows');
  const pool = [];
  let drawn = [-1, -1];
  function rowElement(k) {
    while (pool.length <= k) {
      const r = el('div', 'row');
      r.setAttribute('role', 'row');
      for (const c of columns) r.appendChild(el('span', c.num ? 'num' : ''));
      r.addEventListener('click', () => select(Number(r.dataset.index)));
      pool.push(r);
    }
    return pool[k];
  }
  function renderRows(force) {
    const order = state.order;
    $('sizer').style.height = order.length * ROW + 'px';
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 8);
    const last = Math.min(order.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW) + 8);
    if (!force && first === drawn[0] && last === drawn[1]) return;
    drawn = [first, last];
    let k = 0;
    for (let p = first; p < last; p++, k++) {
      const i = order[p];
      const r = rowElement(k);
      r.dataset.index = i;
      r.style.top = p * ROW + 'px';
      r.classList.toggle('selected', i === state.selected);
      columns.forEach((c, j) => { r.children[j].textContent = c.text(i); });
      r.children[0].title = T.file[i] === null ? '' : String(T.file[i]);
      if (r.parentNode !== rowsEl) rowsEl.appendChild(r);
    }
    while (rowsEl.children.length > k) rowsEl.removeChild(rowsEl.lastChild);
  }
  viewport.addEventListener('scroll', () => renderRows(false));
  window.addEventListener('resize', () => { renderRows(true); drawCharts(); });

  // ---- Filters.
  $('search').addEventListener('input', (e) => { state.search = e.target.value.trim().toLowerCase(); refilter(); });
  const numberOf = (input) => (input.value.trim() === '' || !isFinite(Number(input.value)) ? null : Number(input.value));
  for (const r of ranges) {
    for (const [side, k] of [['min', 0], ['max', 1]]) {
      $(r + '-' + side).addEventListener('input', (e) => { state.range[r][k] = numberOf(e.target); refilter(); });
    }
  }
  function setRange(r, lo, hi) {
    state.range[r] = [lo, hi];
    $(r + '-min').value = lo === null ? '' : String(lo);
    $(r + '-max').value = hi === null ? '' : String(hi);
  }
  function setCamelot(code) { state.camelot = state.camelot === code ? null : code; refilter(); }
  $('key-chip').addEventListener('click', () => setCamelot(state.camelot));
  $('clear').addEventListener('click', () => {
    state.search = '';
    $('search').value = '';
    for (const r of ranges) setRange(r, null, null);
    state.camelot = null;
    refilter();
  });

  // ---- Canvas helpers.
  function canvas2d(canvas, height) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 300;
    const h = height || canvas.clientHeight || 200;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = '11px system-ui, sans-serif';
    return { g, w, h };
  }
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const inView = () => {
    const m = new Uint8Array(N);
    for (const i of state.order) m[i] = 1;
    return m;
  };
  function niceTicks(lo, hi, count) {
    const span = hi - lo || 1;
    const step0 = span / count;
    const mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= step0);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(6)));
    return out;
  }

  // ---- Tempo histogram: 5-BPM bars; a click filters the table to that bar's tempi.
  const BIN = 5;
  const hist = { lo: 0, bins: 0, bars: [] };
  function drawHistogram(shown) {
    const { g, w, h } = canvas2d($('histogram'));
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < N; i++) if (T.bpm[i] > 0) { lo = Math.min(lo, cents(T.bpm[i])); hi = Math.max(hi, cents(T.bpm[i])); }
    hist.bars = [];
    if (!(hi >= lo)) { g.fillStyle = css('--muted'); g.fillText('No tempi', 10, 20); return; }
    hist.lo = Math.floor(lo / BIN) * BIN;
    hist.bins = Math.max(1, Math.floor(hi / BIN) * BIN / BIN - hist.lo / BIN + 1);
    const all = new Array(hist.bins).fill(0), sub = new Array(hist.bins).fill(0);
    for (let i = 0; i < N; i++) {
      if (!(T.bpm[i] > 0)) continue;
      const b = Math.min(hist.bins - 1, Math.floor((cents(T.bpm[i]) - hist.lo) / BIN));
      all[b]++;
      if (shown[i]) sub[b]++;
    }
    const left = 34, bottom = 20, top = 8, plotW = w - left - 8, plotH = h - bottom - top;
    const max = Math.max(...all);
    const bw = plotW / hist.bins;
    g.strokeStyle = css('--line'); g.fillStyle = css('--muted'); g.textAlign = 'right';
    for (const t of niceTicks(0, max, 4)) {
      const y = top + plotH - (t / max) * plotH;
      g.beginPath(); g.moveTo(left, y); g.lineTo(w - 8, y); g.stroke();
      g.fillText(String(t), left - 4, y + 4);
    }
    g.textAlign = 'center';
    const [blo, bhi] = state.range.bpm;
    for (let b = 0; b < hist.bins; b++) {
      const x = left + b * bw;
      const from = hist.lo + b * BIN;
      const active = blo === from && bhi === Number((from + BIN - 0.01).toFixed(2));
      g.fillStyle = css('--ghost');
      g.fillRect(x + 1, top + plotH - (all[b] / max) * plotH, bw - 2, (all[b] / max) * plotH);
      g.fillStyle = css('--accent');
      g.fillRect(x + 1, top + plotH - (sub[b] / max) * plotH, bw - 2, (sub[b] / max) * plotH);
      if (active) { g.strokeStyle = css('--ink'); g.strokeRect(x + 0.5, top, bw - 1, plotH); }
      hist.bars.push({ x, w: bw, from, count: all[b] });
      if (hist.bins <= 16 || b % Math.ceil(hist.bins / 12) === 0) { g.fillStyle = css('--muted'); g.fillText(String(from), x + bw / 2, h - 6); }
    }
    hist.plot = { left, top, plotH };
  }
  $('histogram').addEventListener('click', (e) => {
    const x = e.offsetX;
    const bar = hist.bars.find((b) => x >= b.x && x < b.x + b.w);
    if (!bar) return;
    const hi = Number((bar.from + BIN - 0.01).toFixed(2));  // tempi are given to 0.01 BPM
    const [lo0, hi0] = state.range.bpm;
    if (lo0 === bar.from && hi0 === hi) setRange('bpm', null, null);
    else setRange('bpm', bar.from, hi);
    refilter();
  });

  // ---- Camelot wheel: minor (A) inside, major (B) outside, 12 at the top; counts per code.
  const wheel = {};
  function drawWheel(shown) {
    const { g, w, h } = canvas2d($('wheel'));
    const cx = w / 2, cy = h / 2, r2 = Math.min(w, h) / 2 - 4, r1 = r2 * 0.64, r0 = r2 * 0.3;
    Object.assign(wheel, { cx, cy, r0, r1, r2 });
    const all = {}, sub = {};
    for (let i = 0; i < N; i++) {
      const c = T.camelot[i];
      if (!codes[i]) continue;
      all[c] = (all[c] || 0) + 1;
      if (shown[i]) sub[c] = (sub[c] || 0) + 1;
    }
    const max = Math.max(1, ...Object.values(sub));
    const accent = [194, 65, 12];
    for (let n = 1; n <= 12; n++) {
      for (const [letter, inner, outer] of [['A', r0, r1], ['B', r1, r2]]) {
        const code = n + letter;
        const mid = ((n % 12) * Math.PI) / 6 - Math.PI / 2;
        const a0 = mid - Math.PI / 12, a1 = mid + Math.PI / 12;
        const k = (sub[code] || 0) / max;
        g.beginPath();
        g.arc(cx, cy, outer, a0, a1);
        g.arc(cx, cy, inner, a1, a0, true);
        g.closePath();
        g.fillStyle = k > 0 ? `rgba(${accent.join(',')},${0.15 + 0.85 * k})` : (all[code] ? '#eeece7' : '#f7f6f3');
        g.fill();
        g.lineWidth = state.camelot === code ? 2.5 : 1;
        g.strokeStyle = state.camelot === code ? css('--ink') : '#fff';
        g.stroke();
        const rm = (inner + outer) / 2;
        g.fillStyle = k > 0.55 ? '#fff' : css('--ink');
        g.textAlign = 'center';
        g.fillText(code, cx + rm * Math.cos(mid), cy + rm * Math.sin(mid) - 1);
        if (all[code]) {
          g.fillStyle = k > 0.55 ? '#fff' : css('--muted');
          g.fillText(String(sub[code] || 0), cx + rm * Math.cos(mid), cy + rm * Math.sin(mid) + 11);
        }
      }
    }
    g.fillStyle = css('--muted'); g.textAlign = 'center';
    g.fillText('minor A', cx, cy - 2); g.fillText('major B', cx, cy + 11);
  }
  function sectorAt(x, y) {
    const dx = x - wheel.cx, dy = y - wheel.cy, r = Math.hypot(dx, dy);
    if (r < wheel.r0 || r > wheel.r2) return null;
    let a = Math.atan2(dx, -dy);  // clockwise from the top
    if (a < 0) a += 2 * Math.PI;
    const n = Math.round(a / (Math.PI / 6)) % 12 || 12;
    return n + (r < wheel.r1 ? 'A' : 'B');
  }
  function sectorCenter(code) {
    const c = parseCamelot(code);
    const mid = ((c.number % 12) * Math.PI) / 6 - Math.PI / 2;
    const rm = c.major ? (wheel.r1 + wheel.r2) / 2 : (wheel.r0 + wheel.r1) / 2;
    return { x: wheel.cx + rm * Math.cos(mid), y: wheel.cy + rm * Math.sin(mid) };
  }
  $('wheel').addEventListener('click', (e) => {
    const code = sectorAt(e.offsetX, e.offsetY);
    if (code) setCamelot(code);
  });

  // ---- Scatter: integrated loudness (x) against loudness range (y). Drag: range filters.
  const sc = {};
  function drawScatter(shown) {
    const { g, w, h } = canvas2d($('scatter'));
    const xs = T.integrated_lufs, ys = T.range_lu;
    let x0 = Infinity, x1 = -Infinity, y0 = 0, y1 = -Infinity;
    for (let i = 0; i < N; i++) {
      if (xs[i] === null || ys[i] === null) continue;
      x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]); y1 = Math.max(y1, ys[i]);
    }
    sc.ok = x1 >= x0;
    if (!sc.ok) { g.fillStyle = css('--muted'); g.fillText('No loudness values', 10, 20); return; }
    x0 = Math.floor(x0 - 0.5); x1 = Math.ceil(x1 + 0.5); y1 = Math.ceil(Math.max(y1, 1) + 0.5);
    const left = 34, right = 8, top = 8, bottom = 30;
    Object.assign(sc, { x0, x1, y0, y1, left, top, pw: w - left - right, ph: h - top - bottom });
    const px = (v) => left + ((v - x0) / (x1 - x0)) * sc.pw;
    const py = (v) => top + sc.ph - ((v - y0) / (y1 - y0)) * sc.ph;
    sc.px = px; sc.py = py;
    g.strokeStyle = css('--line'); g.fillStyle = css('--muted');
    g.textAlign = 'center';
    for (const t of niceTicks(x0, x1, 6)) { g.beginPath(); g.moveTo(px(t), top); g.lineTo(px(t), top + sc.ph); g.stroke(); g.fillText(String(t), px(t), h - 16); }
    g.textAlign = 'right';
    for (const t of niceTicks(y0, y1, 4)) { g.beginPath(); g.moveTo(left, py(t)); g.lineTo(w - right, py(t)); g.stroke(); g.fillText(String(t), left - 4, py(t) + 4); }
    g.textAlign = 'center';
    g.fillText('integrated loudness (LUFS) →', left + sc.pw / 2, h - 3);
    g.save(); g.translate(10, top + sc.ph / 2); g.rotate(-Math.PI / 2); g.fillText('LRA (LU)', 0, 0); g.restore();
    const dot = N > 5000 ? 1.5 : 3;
    g.fillStyle = css('--ghost');
    for (let i = 0; i < N; i++) if (!shown[i] && xs[i] !== null && ys[i] !== null) g.fillRect(px(xs[i]) - dot / 2, py(ys[i]) - dot / 2, dot, dot);
    g.fillStyle = css('--accent');
    g.globalAlpha = N > 5000 ? 0.5 : 0.85;
    for (let i = 0; i < N; i++) if (shown[i] && xs[i] !== null && ys[i] !== null) g.fillRect(px(xs[i]) - dot / 2, py(ys[i]) - dot / 2, dot, dot);
    g.globalAlpha = 1;
    if (state.selected >= 0 && xs[state.selected] !== null && ys[state.selected] !== null) {
      g.strokeStyle = css('--ink'); g.lineWidth = 2;
      g.beginPath(); g.arc(px(xs[state.selected]), py(ys[state.selected]), 6, 0, 2 * Math.PI); g.stroke(); g.lineWidth = 1;
    }
    if (sc.brush) {
      const [a, b] = sc.brush;
      g.strokeStyle = css('--ink'); g.setLineDash([4, 3]);
      g.strokeRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(a.x - b.x), Math.abs(a.y - b.y));
      g.setLineDash([]);
    }
  }
  const scatter = $('scatter');
  scatter.addEventListener('mousedown', (e) => { if (sc.ok) sc.brush = [{ x: e.offsetX, y: e.offsetY }, { x: e.offsetX, y: e.offsetY }]; });
  scatter.addEventListener('mousemove', (e) => { if (sc.brush) { sc.brush[1] = { x: e.offsetX, y: e.offsetY }; drawScatter(inView()); } });
  window.addEventListener('mouseup', (e) => {
    if (!sc.brush) return;
    const [a, b] = sc.brush;
    sc.brush = null;
    if (Math.hypot(a.x - b.x, a.y - b.y) < 4) {
      if (e.target !== scatter) { drawScatter(inView()); return; }
      let best = -1, bd = 64;  // a click: the nearest dot within 8 px opens its track
      for (const i of state.order) {
        if (T.integrated_lufs[i] === null || T.range_lu[i] === null) continue;
        const d = (sc.px(T.integrated_lufs[i]) - a.x) ** 2 + (sc.py(T.range_lu[i]) - a.y) ** 2;
        if (d < bd) { bd = d; best = i; }
      }
      if (best >= 0) select(best); else drawScatter(inView());
      return;
    }
    const vx = (x) => sc.x0 + ((x - sc.left) / sc.pw) * (sc.x1 - sc.x0);
    const vy = (y) => sc.y0 + ((sc.top + sc.ph - y) / sc.ph) * (sc.y1 - sc.y0);
    const f = (v, up) => Number((up ? Math.ceil(v * 10) : Math.floor(v * 10)) / 10);
    setRange('integrated_lufs', f(vx(Math.min(a.x, b.x)), false), f(vx(Math.max(a.x, b.x)), true));
    setRange('range_lu', Math.max(0, f(vy(Math.max(a.y, b.y)), false)), f(vy(Math.min(a.y, b.y)), true));
    refilter();
  });

  function drawCharts() {
    const shown = inView();
    drawHistogram(shown);
    drawWheel(shown);
    drawScatter(shown);
  }

  // ---- The track view: values, the tracks that mix, and the frames series when present.
  const mix = { tolerance: 6, halfDouble: true };
  function select(i) {
    state.selected = i;
    renderRows(true);
    drawScatter(inView());
    renderTrack();
  }
  function renderTrack() {
    const i = state.selected;
    const box = $('track');
    box.replaceChildren();
    if (i < 0) return;
    box.appendChild(el('h2', '', names[i]));
    const dl = el('dl');
    const add = (k, v) => { dl.appendChild(el('dt', '', k)); dl.appendChild(el('dd', '', v)); };
    add('File', T.file[i] === null ? '–' : T.file[i]);
    if (T.album[i]) add('Album', T.album[i]);
    add('Duration', duration(T.duration_s[i]) + (T.duration_s[i] !== null ? ' (' + fmt(T.duration_s[i], 1) + ' s)' : ''));
    add('Tempo', T.bpm[i] === null ? 'none found' : fmt(T.bpm[i], 2) + ' BPM, confidence ' + fmt(T.tempo_confidence[i], 2));
    add('Key', T.key[i] === null ? 'none found' : T.key[i] + ' (' + (T.camelot[i] || '–') + '), confidence ' + fmt(T.key_confidence[i], 2));
    add('Loudness', fmt(T.integrated_lufs[i], 1) + ' LUFS, range ' + fmt(T.range_lu[i], 1) + ' LU');
    add('True peak', fmt(T.true_peak_dbtp[i], 2) + ' dBTP');
    add('ReplayGain', signed(T.replaygain_db[i], 2) + ' dB');
    add('Centroid', fmt(T.centroid_hz[i], 0) + ' Hz');
    add('Line', T.line[i]);
    box.appendChild(dl);

    box.appendChild(el('h3', '', 'Mixes with'));
    const controls = el('div', 'mix-controls');
    const tol = el('input');
    Object.assign(tol, { type: 'number', min: 0, max: 50, step: 0.5, value: mix.tolerance, id: 'mix-tolerance' });
    const hd = el('input');
    Object.assign(hd, { type: 'checkbox', checked: mix.halfDouble, id: 'mix-half-double' });
    const l1 = el('label', '', '± '); l1.appendChild(tol); l1.appendChild(document.createTextNode(' % BPM'));
    const l2 = el('label'); l2.appendChild(hd); l2.appendChild(document.createTextNode(' half/double tempo'));
    controls.append(l1, l2);
    box.appendChild(controls);
    const list = el('ul'); list.id = 'mix-list';
    box.appendChild(list);
    const fillMixes = () => {
      list.replaceChildren();
      const ms = mixesFor(i, mix.tolerance, mix.halfDouble);
      if (ms === null) { list.appendChild(el('li', 'hint', 'No key or tempo: nothing to match.')); return; }
      if (ms.length === 0) { list.appendChild(el('li', 'hint', 'No track mixes with this one.')); return; }
      for (const m of ms.slice(0, 200)) {
        const li = el('li');
        li.dataset.index = m.index;
        li.dataset.file = T.file[m.index];
        li.dataset.relation = m.relation;
        const name = el('span', '', names[m.index]);
        name.title = T.file[m.index];
        li.append(name, el('span', '', T.camelot[m.index]),
          el('span', 'num', fmt(T.bpm[m.index], 1) + (m.ratio === 1 ? '' : m.ratio === 2 ? ' ×2' : ' ×½')),
          el('span', 'num', signed(m.diff, 1) + ' %'));
        li.title = m.relation + ', distance ' + m.distance.toFixed(3);
        li.addEventListener('click', () => select(m.index));
        list.appendChild(li);
      }
      if (ms.length > 200) list.appendChild(el('li', 'hint', (ms.length - 200) + ' more'));
    };
    tol.addEventListener('input', () => { if (tol.value !== '' && isFinite(Number(tol.value))) { mix.tolerance = Number(tol.value); fillMixes(); } });
    hd.addEventListener('change', () => { mix.halfDouble = hd.checked; fillMixes(); });
    fillMixes();

    const f = data.frames[String(i)];
    if (!f) {
      box.appendChild(el('p', 'hint', 'No frame series in this record: profile with herscan --frames mel --features loudness,spectral,key,chroma,tempo,beats to see the spectrogram, chroma, loudness curve and beats.'));
      return;
    }
    const panel = (title, height, draw) => {
      box.appendChild(el('h3', '', title));
      const c = el('canvas');
      c.style.height = height + 'px';
      c.dataset.panel = title;
      box.appendChild(c);
      draw(canvas2d(c, height));
    };
    const t0 = f.time_s ? f.time_s[0] : 0;
    const tEnd = Math.max(f.time_s ? f.time_s[f.time_s.length - 1] : 0,
      f.loudness_time_s ? f.loudness_time_s[f.loudness_time_s.length - 1] : 0, T.duration_s[i] || 0) || 1;
    const tx = (t, w) => ((t - t0) / (tEnd - t0 || 1)) * w;
    // A matrix of bytes (0…255 over the series' own range), column after column: low bins at
    // the bottom, a dark-to-bright colour scale.
    const heat = (m, smooth) => ({ g, w, h }) => {
      const bytes = Uint8Array.from(atob(m.u8), (c) => c.charCodeAt(0));
      const bins = m.bins, cols = bytes.length / bins;
      const img = g.createImageData(cols, bins);
      for (let c = 0; c < cols; c++) {
        for (let b = 0; b < bins; b++) {
          const k = bytes[c * bins + b] / 255;
          const p = ((bins - 1 - b) * cols + c) * 4;
          img.data[p] = Math.round(255 * Math.min(1, 1.6 * k));
          img.data[p + 1] = Math.round(255 * Math.max(0, 1.4 * k - 0.35) ** 1.3);
          img.data[p + 2] = Math.round(255 * (0.25 + 0.5 * Math.sin(Math.PI * Math.min(1, k * 1.3))) * (1 - k * 0.6));
          img.data[p + 3] = 255;
        }
      }
      const off = document.createElement('canvas');
      off.width = cols; off.height = bins;
      off.getContext('2d').putImageData(img, 0, 0);
      g.imageSmoothingEnabled = smooth;
      g.drawImage(off, 0, 0, w, h);
    };
    if (f.mel_db) panel('Mel spectrogram (' + fmt(f.mel_db.lo, 0) + ' to ' + fmt(f.mel_db.hi, 0) + ' dB)', 150, heat(f.mel_db, true));
    if (f.chroma) panel('Chroma', 90, (ctx) => {
      heat(f.chroma, false)(ctx);
      ctx.g.fillStyle = '#fff';
      ['C', 'D', 'E', 'F', 'G', 'A', 'B'].forEach((n) => {
        const b = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 }[n];
        ctx.g.fillText(n, 3, ctx.h - (b + 0.2) * (ctx.h / 12));
      });
    });
    const line = (g, w, h, ts, vs, lo, hi, color) => {
      g.strokeStyle = color; g.lineWidth = 1.2; g.beginPath();
      let pen = false;
      for (let k = 0; k < vs.length; k++) {
        if (vs[k] === null || vs[k] < lo) { pen = false; continue; }
        const x = tx(ts[k], w), y = h - 14 - ((vs[k] - lo) / (hi - lo || 1)) * (h - 20);
        if (pen) g.lineTo(x, y); else g.moveTo(x, y);
        pen = true;
      }
      g.stroke();
    };
    if (f.momentary_lufs || f.short_term_lufs) panel('Loudness (LUFS): momentary, short-term', 110, ({ g, w, h }) => {
      const vals = [...(f.momentary_lufs || []), ...(f.short_term_lufs || [])].filter((v) => v !== null);
      const hi = Math.ceil(Math.max(...vals, -60) / 5) * 5, lo = Math.max(hi - 40, Math.floor(Math.min(...vals, hi - 10) / 5) * 5);
      g.strokeStyle = css('--line'); g.fillStyle = css('--muted'); g.textAlign = 'left';
      for (const t of niceTicks(lo, hi, 4)) {
        const y = h - 14 - ((t - lo) / (hi - lo)) * (h - 20);
        g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); g.fillText(String(t), 2, y > 12 ? y - 2 : y + 10);
      }
      if (f.momentary_lufs) line(g, w, h, f.loudness_time_s, f.momentary_lufs, lo, hi, css('--accent-soft'));
      if (f.short_term_lufs) line(g, w, h, f.loudness_time_s, f.short_term_lufs, lo, hi, css('--accent'));
      if (T.integrated_lufs[i] !== null) {
        const y = h - 14 - ((T.integrated_lufs[i] - lo) / (hi - lo)) * (h - 20);
        g.setLineDash([3, 3]); g.strokeStyle = css('--ink'); g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); g.setLineDash([]);
      }
      g.fillStyle = css('--muted');
      for (const t of niceTicks(t0, tEnd, 6)) g.fillText(t + ' s', tx(t, w) + 2, h - 2);
    });
    if (f.onset_strength) panel('Onset strength' + (f.beats ? (f.downbeats ? ', beats and downbeats' : ' and beats') : ''), 90, ({ g, w, h }) => {
      const ticks = (times, alpha, width) => {
        g.strokeStyle = css('--ink'); g.globalAlpha = alpha; g.lineWidth = width;
        for (const b of times) { const x = tx(b, w); g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h - 14); g.stroke(); }
        g.globalAlpha = 1; g.lineWidth = 1;
      };
      if (f.beats) ticks(f.beats, 0.35, 1);
      if (f.downbeats) ticks(f.downbeats, 0.8, 2);
      const hi = Math.max(...f.onset_strength.filter((v) => v !== null), 1e-9);
      line(g, w, h, f.time_s, f.onset_strength, 0, hi, css('--accent'));
      g.fillStyle = css('--muted');
      for (const t of niceTicks(t0, tEnd, 6)) g.fillText(t + ' s', tx(t, w) + 2, h - 2);
    });
  }

  // ---- Errors and skipped lines: listed, never dropped.
  function fillTable(body, rows) {
    for (const cells of rows) {
      const tr = el('tr');
      for (const c of cells) tr.appendChild(el('td', '', c === null || c === undefined ? '–' : c));
      body.appendChild(tr);
    }
  }
  if (data.errors.length) {
    $('errors').hidden = false;
    $('error-count').textContent = String(data.errors.length);
    fillTable($('error-rows'), data.errors.map((e) => [e.file, e.code, e.message, e.line]));
  }
  if (data.problems.length) {
    $('problems').hidden = false;
    $('problem-count').textContent = String(data.problems.length);
    fillTable($('problem-rows'), data.problems.map((p) => [p.line, p.reason]));
  }

  $('title').textContent = data.title || data.source;
  const parts = [N + (N === 1 ? ' track' : ' tracks')];
  if (data.errors.length) parts.push(data.errors.length + (data.errors.length === 1 ? ' file' : ' files') + ' not analysed');
  if (data.problems.length) parts.push(data.problems.length + (data.problems.length === 1 ? ' line' : ' lines') + ' skipped');
  if (data.albums) parts.push(data.albums + ' album records (not shown)');
  if (data.invalid_utf8_lines) parts.push(data.invalid_utf8_lines + (data.invalid_utf8_lines === 1 ? ' line' : ' lines') + ' with invalid UTF-8 (shown as �)');
  parts.push('from ' + data.source);
  $('summary').textContent = parts.join(' · ');
  $('footer').textContent = 'Made by ' + data.generator + '. Self-contained: no network access.';
  if (N === 0) {
    $('empty').hidden = false;
    $('empty').textContent = data.errors.length || data.problems.length
      ? 'This file holds no analysed tracks; see the lists below.'
      : 'This file holds no track records.';
  }

  refilter();
  window.herscanReport = {
    state, sectorCenter, mixesFor,
    barCenter: (from) => { const b = hist.bars.find((x) => x.from === from); return b ? { x: b.x + b.w / 2, y: hist.plot.top + hist.plot.plotH - 4 } : null; },
    violations, loadMs: performance.now() - started,
  };
  document.body.dataset.ready = '1';
})();
