// chart.js — the dashboard's charts as SVG drawn by the page: horizontal bars (one value per
// label), a histogram (counts per bucket), stacked bars (several parts per label) and lines
// (several series over the same labels, e.g. weeks). Every bar carries data-label and
// data-value and a <title> tooltip, and its value is written beside it, so the numbers are
// readable without hovering (and testable); every point of a line carries data-series,
// data-label and data-value.
import { svg, h } from './dom.js';

const ROW = 22;
const LABEL_W = 150;
const VALUE_W = 70;

function truncate(s, n) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// items: [{label, value, text?, cls?}] (value null: no bar, text "—"); max: the scale's end.
export function barChart({ items, max, width = 560, caption, valueText }) {
  const top = max || Math.max(1, ...items.map((i) => i.value || 0));
  const plotW = width - LABEL_W - VALUE_W;
  const height = Math.max(1, items.length) * ROW + 8;
  const root = svg('svg', { class: 'chart bars', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption || '' });
  items.forEach((it, i) => {
    const y = 4 + i * ROW;
    const w = it.value === null || it.value === undefined ? 0 : Math.max(it.value > 0 ? 2 : 0, (it.value / top) * plotW);
    const shown = it.text ?? (valueText ? valueText(it.value) : String(it.value ?? '—'));
    root.appendChild(svg('g', { class: 'bar ' + (it.cls || ''), 'data-label': it.label, 'data-value': it.value ?? '' },
      svg('title', {}, it.label + ': ' + shown),
      svg('text', { x: LABEL_W - 6, y: y + 15, class: 'label', 'text-anchor': 'end' }, truncate(it.label, 22)),
      svg('rect', { x: LABEL_W, y: y + 3, width: plotW, height: ROW - 8, class: 'track' }),
      svg('rect', { x: LABEL_W, y: y + 3, width: w.toFixed(1), height: ROW - 8, class: 'fill' }),
      svg('text', { x: LABEL_W + plotW + 6, y: y + 15, class: 'value' }, shown)));
  });
  return figure(root, caption);
}

// buckets: [{label, count}] drawn as columns with the count above each.
export function histogram({ buckets, width = 560, height = 180, caption }) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const n = Math.max(1, buckets.length);
  const colW = (width - 20) / n;
  const plotH = height - 40;
  const root = svg('svg', { class: 'chart histogram', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption || '' });
  root.appendChild(svg('line', { x1: 10, x2: width - 10, y1: 16 + plotH, y2: 16 + plotH, class: 'axis' }));
  buckets.forEach((b, i) => {
    const x = 10 + i * colW;
    const hgt = (b.count / max) * plotH;
    root.appendChild(svg('g', { class: 'bar', 'data-label': b.label, 'data-value': b.count },
      svg('title', {}, b.label + ': ' + b.count),
      svg('rect', { x: (x + 4).toFixed(1), y: (16 + plotH - hgt).toFixed(1), width: (colW - 8).toFixed(1), height: hgt.toFixed(1), class: 'fill' }),
      svg('text', { x: (x + colW / 2).toFixed(1), y: (12 + plotH - hgt).toFixed(1), class: 'value', 'text-anchor': 'middle' }, String(b.count)),
      svg('text', { x: (x + colW / 2).toFixed(1), y: height - 8, class: 'label', 'text-anchor': 'middle' }, b.label)));
  });
  return figure(root, caption);
}

// items: [{label, parts: [{name, value}]}]; series: [{name, label, cls}] in stacking order.
export function stackedBars({ items, series, width = 560, caption }) {
  const totals = items.map((it) => it.parts.reduce((a, p) => a + (p.value || 0), 0));
  const top = Math.max(1, ...totals);
  const plotW = width - LABEL_W - VALUE_W;
  const height = Math.max(1, items.length) * ROW + 8;
  const root = svg('svg', { class: 'chart stacked', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption || '' });
  items.forEach((it, i) => {
    const y = 4 + i * ROW;
    const g = svg('g', { class: 'bar', 'data-label': it.label, 'data-value': totals[i] },
      svg('text', { x: LABEL_W - 6, y: y + 15, class: 'label', 'text-anchor': 'end' }, truncate(it.label, 22)));
    let x = LABEL_W;
    for (const s of series) {
      const part = it.parts.find((p) => p.name === s.name);
      const v = part ? part.value || 0 : 0;
      if (!v) continue;
      const w = (v / top) * plotW;
      g.appendChild(svg('rect', { x: x.toFixed(1), y: y + 3, width: w.toFixed(1), height: ROW - 8, class: 'part ' + s.cls, 'data-series': s.name, 'data-value': v },
        svg('title', {}, it.label + ' — ' + s.label + ': ' + v)));
      x += w;
    }
    g.appendChild(svg('text', { x: LABEL_W + plotW + 6, y: y + 15, class: 'value' }, String(totals[i])));
    root.appendChild(g);
  });
  const legend = h('ul', { class: 'legend' }, series.map((s) => h('li', {}, h('span', { class: 'swatch ' + s.cls }), s.label)));
  return figure(root, caption, legend);
}

// labels: the x axis (e.g. weeks); series: [{name, label, cls, values: [number|null per
// label]}]; the y scale runs from min to max with a line at 0 when 0 is inside. A null value
// breaks the line (a week without answers is not a week at zero).
export function lineChart({ labels, series, min = 0, max = 100, width = 560, height = 220, caption, valueText }) {
  const left = 44;
  const right = 32; // room for the last label, centred on its point
  const top = 12;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const xOf = (i) => left + (labels.length > 1 ? i * step : plotW / 2);
  const yOf = (v) => top + plotH - ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * plotH;
  const text = (v) => (valueText ? valueText(v) : String(v));
  const root = svg('svg', { class: 'chart lines', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption || '' });
  const ticks = [min, max];
  if (min < 0 && max > 0) ticks.splice(1, 0, 0);
  else ticks.splice(1, 0, (min + max) / 2);
  for (const v of ticks) {
    root.appendChild(svg('line', { x1: left, x2: width - right, y1: yOf(v).toFixed(1), y2: yOf(v).toFixed(1), class: v === 0 && min < 0 ? 'axis zero' : 'grid' }));
    root.appendChild(svg('text', { x: left - 6, y: (yOf(v) + 4).toFixed(1), class: 'value', 'text-anchor': 'end' }, text(v)));
  }
  // at most about 12 labels on the x axis: every k-th one (the last always)
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((l, i) => {
    if (i % every && i !== labels.length - 1) return;
    root.appendChild(svg('text', { x: xOf(i).toFixed(1), y: height - 12, class: 'label', 'text-anchor': 'middle' }, truncate(l, 10)));
  });
  for (const s of series) {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      d += (pen ? ' L' : ' M') + xOf(i).toFixed(1) + ' ' + yOf(v).toFixed(1);
      pen = true;
    });
    const g = svg('g', { class: 'series ' + (s.cls || ''), 'data-series': s.name });
    if (d) g.appendChild(svg('path', { d: d.trim(), class: 'line' }));
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      g.appendChild(svg('g', { class: 'point', 'data-series': s.name, 'data-label': labels[i], 'data-value': v },
        svg('title', {}, s.label + ' · ' + labels[i] + ': ' + text(v)),
        svg('circle', { cx: xOf(i).toFixed(1), cy: yOf(v).toFixed(1), r: 4 })));
    });
    root.appendChild(g);
  }
  const legend = h('ul', { class: 'legend' }, series.map((s) => h('li', {}, h('span', { class: 'swatch ' + s.cls }), s.label)));
  return figure(root, caption, legend);
}

function figure(chart, caption, extra) {
  return h('figure', { class: 'chart-box' }, caption ? h('figcaption', {}, caption) : null, chart, extra || null);
}
