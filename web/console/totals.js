// The band of the last hour's totals (GET /v1/summary): joins by state, time to co-host,
// meetings live, and the most frequent reasons for not being co-host.

import { outcomeBar } from './chart.js';
import { $, el, setText, show } from './dom.js';
import { duration, stateLabel, stateMeaning, states } from './words.js';

const maxReasons = 3;

export class Totals {
  constructor() {
    this.last = '';
  }

  clear() {
    this.render({ grants: {}, reasons: [], time_to_grant: {}, time_to_confirm: {}, meetings_live: 0 });
    setText($('tot-total'), '–');
    setText($('tot-live'), '–');
    this.last = '';
  }

  render(s) {
    const key = JSON.stringify(s);
    if (key === this.last) return;
    this.last = key;
    const g = s.grants || {};
    const total = Number(g.total) || 0;
    setText($('tot-total'), String(total));
    outcomeBar($('tot-bar'), g);
    setText($('tot-bar-title'), total
      ? `${total} joins in the last hour: ${states.map((k) => `${Number(g[k]) || 0} ${stateLabel[k].toLowerCase()}`).join(', ')}`
      : 'No joins in the last hour');
    $('tot-legend').replaceChildren(...states.map((k) => el('li', { class: 'legend-item', 'data-state': k, title: stateMeaning[k] },
      el('span', { class: 'legend-dot', 'aria-hidden': 'true' }),
      `${stateLabel[k]} `, el('strong', {}, String(Number(g[k]) || 0)))));

    const c = s.time_to_confirm || {};
    const gr = s.time_to_grant || {};
    if (c.count > 0) {
      setText($('tot-p50'), duration(c.p50_ms));
      setText($('tot-time-sub'), `median of ${c.count} · p90 ${duration(c.p90_ms)} · max ${duration(c.max_ms)}`);
    } else if (gr.count > 0) {
      // Only co-host abilities (permissions) or grants Zoom has not confirmed yet.
      setText($('tot-p50'), duration(gr.p50_ms));
      setText($('tot-time-sub'), `median to grant, of ${gr.count}; no role confirmed yet`);
    } else {
      setText($('tot-p50'), '–');
      setText($('tot-time-sub'), 'no grant in the last hour yet');
    }
    setText($('tot-live'), String(Number(s.meetings_live) || 0));

    const reasons = Array.isArray(s.reasons) ? s.reasons.slice(0, maxReasons) : [];
    $('tot-reasons').replaceChildren(...reasons.map((r) => el('li', { class: 'reason', 'data-state': r.state, 'data-reason': r.reason, title: r.reason_text },
      el('span', { class: 'reason-count' }, String(r.count)),
      el('span', { class: 'reason-text' }, sentence(r.reason_text || r.reason)))));
    show($('tot-reasons-none'), reasons.length === 0);
  }
}

function sentence(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : '';
}
