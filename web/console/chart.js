// The charts, drawn as inline SVG: one bar per participant for a meeting's time to co-host, and
// the stacked bar of the last hour's outcomes. The SVG is sized in CSS pixels of its box (the
// caller passes the width), so its text is as large as the page's.

import { svg } from './dom.js';
import { duration, stateLabel, states, timeToCoHost } from './words.js';

// niceStep is a round step (1, 2 or 5 times a power of ten) that divides max into about n parts.
function niceStep(max, n) {
  const raw = max / n;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

// nearestRank is the p-th percentile of sorted values, as the admin API computes it.
export function nearestRank(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

// timesOf lists the participants that have a time to co-host, in join order (the API's order).
export function timesOf(participants) {
  const out = [];
  for (const p of participants) {
    const t = timeToCoHost(p);
    if (t) out.push({ name: p.name || 'Unnamed participant', key: p.key, ...t });
  }
  return out;
}

// timeChart draws the bars of times (timesOf) into an SVG width×height px, with the median and
// the 90th percentile as lines. It returns the SVG and a one-sentence summary for its label.
export function timeChart(times, width, height) {
  const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
  const p50 = nearestRank(sorted, 50);
  const p90 = nearestRank(sorted, 90);
  const slowest = sorted[sorted.length - 1];
  // One slow grant (a fall-back after the host page's wait, say) would flatten every other bar:
  // past three times the 90th percentile the axis stops, and taller bars are cut and labelled.
  const clip = sorted.length >= 4 && slowest > 3 * p90 ? p90 * 1.6 : 0;
  const top = Math.max(1, clip || slowest);
  const step = niceStep(top, 4);
  const yMax = Math.ceil(top / step) * step;
  const m = { left: 58, right: 82, top: clip ? 24 : 12, bottom: 28 };
  const w = Math.max(120, width - m.left - m.right);
  const h = Math.max(60, height - m.top - m.bottom);
  const y = (ms) => m.top + h - (Math.max(0, ms) / yMax) * h;
  const label = `${times.length} ${times.length === 1 ? 'participant' : 'participants'} with a time to co-host: median ${duration(p50)}, 90th percentile ${duration(p90)}, slowest ${duration(slowest)}`;

  const root = svg('svg', {
    class: 'chart-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
  });
  root.append(svg('title', {}, label));

  const grid = svg('g', { class: 'grid' });
  for (let v = 0; v <= yMax + step / 2; v += step) {
    grid.append(
      svg('line', { x1: m.left, x2: m.left + w, y1: y(v), y2: y(v) }),
      svg('text', { x: m.left - 8, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, duration(v)),
    );
  }
  root.append(grid);

  const slot = w / times.length;
  const bw = Math.max(1.5, Math.min(22, slot * 0.7));
  const bars = svg('g', { class: 'bars' });
  times.forEach((t, i) => {
    const x = m.left + slot * i + (slot - bw) / 2;
    const cut = t.ms > yMax;
    const top = y(Math.min(t.ms, yMax));
    bars.append(svg('rect', {
      class: `bar bar-${t.stage}`, x: x.toFixed(1), y: top.toFixed(1), width: bw.toFixed(1),
      height: Math.max(1, m.top + h - top).toFixed(1), rx: Math.min(3, bw / 3).toFixed(1), 'data-key': t.key,
    }, svg('title', {}, `${t.name}: ${duration(t.ms)} (${stateLabel[t.stage].toLowerCase()})`)));
    if (cut) {
      bars.append(
        svg('path', { class: 'bar-break', d: `M${x - 1},${top + 9} l${bw + 2},-4 M${x - 1},${top + 14} l${bw + 2},-4` }),
        svg('text', { class: 'bar-cut-label', x: (x + bw / 2).toFixed(1), y: top - 7, 'text-anchor': 'middle' }, duration(t.ms)),
      );
    }
  });
  root.append(bars);

  const mark = (v, cls, text, dy) => {
    root.append(
      svg('line', { class: `mark ${cls}`, x1: m.left, x2: m.left + w, y1: y(v), y2: y(v) }),
      svg('text', { class: `mark-label ${cls}`, x: m.left + w + 6, y: y(v) + dy, 'dominant-baseline': 'middle' }, text),
    );
  };
  // Labels of two close lines are moved apart so that both stay readable.
  const gap = y(p50) - y(p90);
  const apart = gap < 17 ? (17 - gap) / 2 : 0;
  mark(p90, 'mark-p90', `p90 ${duration(p90)}`, -apart);
  mark(p50, 'mark-p50', `p50 ${duration(p50)}`, apart);

  root.append(
    svg('line', { class: 'axis', x1: m.left, x2: m.left + w, y1: m.top + h, y2: m.top + h }),
    svg('text', { class: 'axis-label', x: m.left, y: height - 6 }, 'first to join'),
    svg('text', { class: 'axis-label', x: m.left + w, y: height - 6, 'text-anchor': 'end' }, 'last to join'),
  );
  return { node: root, label };
}

// outcomeBar fills the stacked bar of counts by state (an AdminGrantCounts) in a 300×10 box.
export function outcomeBar(node, counts) {
  const total = Number(counts.total) || 0;
  const parts = [];
  let x = 0;
  for (const s of states) {
    const n = Number(counts[s]) || 0;
    if (!n || !total) continue;
    const w = (n / total) * 300;
    parts.push(svg('rect', { class: `seg seg-${s}`, x: x.toFixed(2), y: 0, width: w.toFixed(2), height: 10 }));
    x += w;
  }
  if (!parts.length) parts.push(svg('rect', { class: 'seg seg-none', x: 0, y: 0, width: 300, height: 10 }));
  const title = node.querySelector('title');
  node.replaceChildren(title, ...parts);
}
