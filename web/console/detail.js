// One meeting (GET /v1/meetings/{id}): its head and counts, the chart of time to co-host, what
// each granter did to prepare it, every participant with their grant and why, and the host link
// button (POST /v1/meetings/{id}/host-link).

import { nearestRank, timeChart, timesOf } from './chart.js';
import { $, el, setText, show } from './dom.js';
import * as words from './words.js';

const phaseLabel = {
  prepared: 'Prepared',
  prepare_failed: 'Prepare failed',
  finished: 'Finished',
  finish_failed: 'Finish failed',
  event_failed: 'Event failed',
};

const chartHeight = 118;

export class Detail {
  // api returns the current AdminAPI; onStop is called with an ApiError that ends the session
  // (a refused token, the admin API off).
  constructor(api, onStop) {
    this.api = api;
    this.onStop = onStop;
    this.id = '';
    this.data = null;
    this.rows = new Map();
    this.lastChart = '';
    this.hostLinksOff = '';
    $('host-link').addEventListener('click', () => this.mint());
    $('credential-copy').addEventListener('click', () => this.copy());
    $('credential-hide').addEventListener('click', () => this.hideCredential());
    new ResizeObserver(() => this.drawChart(true)).observe($('chart'));
  }

  // none shows the empty detail: no meeting chosen (or none at all).
  none(haveMeetings) {
    this.reset('');
    setText($('d-none-title'), haveMeetings ? 'Choose a meeting' : 'No meeting to show yet');
    setText($('d-none-text'), haveMeetings
      ? 'Its participants appear here: who is co-host, through which granter, how fast, and for everyone else, why not.'
      : 'When cohost hears of a meeting from Zoom, it appears in the list; choose it to see who got co-host.');
    show($('d-none'), true);
    show($('d-body'), false);
  }

  // missing says the ledger has no such meeting (404 meeting_not_found).
  missing(id, detail) {
    this.reset(id);
    setText($('d-none-title'), `No meeting ${words.meetingNumber(id)} in the ledger`);
    setText($('d-none-text'), detail || 'cohost records a meeting when a webhook about it arrives.');
    show($('d-none'), true);
    show($('d-body'), false);
  }

  // clear forgets the meeting shown (a session ended: nothing of it stays in the page).
  clear() {
    this.none(true);
    $('d-counts').replaceChildren();
    delete $('d-counts').dataset.key;
    $('prep').replaceChildren();
    delete $('prep').dataset.key;
    $('chart').replaceChildren();
    setText($('d-topic'), '');
    setText($('d-meta'), '');
    setText($('d-hostpage'), '');
    show($('d-hostpage'), false);
    setText($('d-announce'), '');
  }

  reset(id) {
    if (id === this.id) return;
    this.id = id;
    this.data = null;
    this.rows.clear();
    $('people').replaceChildren();
    this.lastChart = '';
    this.hideCredential();
    show($('host-link-note'), false);
  }

  render(d) {
    const m = d.meeting;
    this.reset(m.meeting_id);
    this.data = d;
    show($('d-none'), false);
    show($('d-body'), true);
    setText($('d-topic'), m.topic || `Meeting ${words.meetingNumber(m.meeting_id)}`);
    $('d-topic').dataset.status = m.status;
    setText($('d-meta'), meta(m));
    this.hostPage(m.host_page);
    this.hostLinkButton();
    this.counts(m.grants || {});
    this.drawChart(false);
    this.prep(Array.isArray(d.granters) ? d.granters : []);
    this.people(Array.isArray(d.participants) ? d.participants : []);
  }

  // hostPage says whether cohost's host page runs the meeting (absent when the host client is off):
  // "Live" in the meta line is Zoom's word, this line the page's.
  hostPage(hp) {
    const line = $('d-hostpage');
    if (!hp || typeof hp.summary !== 'string') {
      show(line, false);
      return;
    }
    setText(line, hp.summary);
    if (line.dataset.state !== hp.state) line.dataset.state = hp.state || '';
    show(line, true);
  }

  counts(g) {
    const key = JSON.stringify(g);
    const list = $('d-counts');
    if (list.dataset.key === key) return;
    // A change of the open meeting's counts is announced (not the first counts it shows).
    if (list.dataset.key && list.dataset.meeting === this.id) {
      setText($('d-announce'), `${this.data.meeting.topic || 'This meeting'}: ${words.states.map((s) => `${Number(g[s]) || 0} ${words.stateLabel[s].toLowerCase()}`).join(', ')}`);
    }
    list.dataset.key = key;
    list.dataset.meeting = this.id;
    list.replaceChildren(...words.states.map((s) => el('li', { class: 'chip', 'data-state': s, title: words.stateMeaning[s] },
      el('span', { class: 'chip-n' }, String(Number(g[s]) || 0)), el('span', { class: 'chip-label' }, words.stateLabel[s]))));
  }

  drawChart(resized) {
    const box = $('chart');
    const ps = this.data ? this.data.participants || [] : [];
    const times = timesOf(ps);
    const width = Math.floor(box.clientWidth);
    const key = `${width}|${JSON.stringify(times)}`;
    if (key === this.lastChart || (resized && !this.data) || width <= 0) return;
    this.lastChart = key;
    if (!times.length) {
      box.replaceChildren(el('p', { class: 'chart-empty' }, ps.length
        ? 'No grant yet. Each participant gets a bar once a granter has made them co-host.'
        : 'Nobody has joined yet.'));
      setText($('chart-sub'), '');
      return;
    }
    const { node } = timeChart(times, width, chartHeight);
    box.replaceChildren(node);
    const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
    setText($('chart-sub'), `${times.length} of ${words.people(ps.length)} · median ${words.duration(nearestRank(sorted, 50))}`);
  }

  prep(gs) {
    const key = JSON.stringify(gs);
    const list = $('prep');
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...gs.map((g) => el('li', { class: 'prep-item', 'data-state': g.state, 'data-granter': g.granter },
      el('p', { class: 'prep-line' },
        el('span', { class: 'prep-granter' }, g.granter === 'cohost' ? 'cohost (engine)' : g.granter),
        el('span', { class: 'badge', 'data-phase': g.state }, phaseLabel[g.state] || g.state)),
      el('p', { class: 'prep-detail' }, g.detail || '',
        g.at ? el('span', { class: 'prep-at', title: words.fullTime(g.at) }, `${g.detail ? ' · ' : ''}${words.when(g.at)}`) : null))));
    show($('prep-none'), gs.length === 0);
  }

  people(ps) {
    const body = $('people');
    const next = new Map();
    const rows = ps.map((p) => {
      const k = `${p.meeting_uuid}\u0000${p.key}`;
      const tr = this.rows.get(k) || newRow();
      fillRow(tr, p);
      next.set(k, tr);
      return tr;
    });
    for (const [k, tr] of this.rows) if (!next.has(k)) tr.remove();
    rows.forEach((tr, i) => {
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    this.rows = next;
    setText($('people-count'), ps.length ? words.people(ps.length) : '');
    show($('people-none'), ps.length === 0);
    show($('people-table'), ps.length > 0);
  }

  // The host link button: it mints a link, copies it and shows it as the credential it is.
  hostLinkButton() {
    const btn = $('host-link');
    if (this.hostLinksOff) {
      btn.setAttribute('aria-disabled', 'true');
      btn.setAttribute('aria-describedby', 'host-link-note');
      this.note(this.hostLinksOff);
    } else {
      btn.removeAttribute('aria-disabled');
      btn.removeAttribute('aria-describedby');
    }
  }

  note(text) {
    setText($('host-link-note'), text);
    show($('host-link-note'), !!text);
  }

  async mint() {
    const btn = $('host-link');
    if (this.hostLinksOff) {
      this.note(this.hostLinksOff);
      return;
    }
    if (btn.dataset.busy) return;
    const id = this.id;
    btn.dataset.busy = '1';
    setText(btn, 'Making a link…');
    this.note('');
    try {
      const link = await this.api().hostLink(id);
      if (this.id !== id) return;
      this.showCredential(link);
      await this.copy();
    } catch (err) {
      if (this.id !== id) return;
      if (err.refused || err.off) {
        this.onStop(err);
        return;
      }
      if (err.code === 'host_client_disabled') {
        this.hostLinksOff = words.hostLinkProblem(err);
        this.hostLinkButton();
        return;
      }
      this.note(words.hostLinkProblem(err));
    } finally {
      delete btn.dataset.busy;
      setText(btn, 'Host link');
    }
  }

  showCredential(link) {
    $('credential-url').value = link.url;
    setText($('credential-expiry'), `Works for meeting ${words.meetingNumber(link.meeting_id)} until ${words.fullTime(link.expires_at)} (${words.until(link.expires_at)}). Anyone who holds it can start the meeting until then; DELETE /v1/meetings/${link.meeting_id}/host-link revokes it.`);
    setText($('credential-status'), '');
    show($('credential'), true);
  }

  hideCredential() {
    $('credential-url').value = '';
    setText($('credential-expiry'), '');
    setText($('credential-status'), '');
    show($('credential'), false);
  }

  async copy() {
    const input = $('credential-url');
    const url = input.value;
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      setText($('credential-status'), 'Copied to the clipboard.');
      $('credential-status').dataset.tone = 'ok';
    } catch {
      // No clipboard (an insecure origin, or the browser refused): the link is there to copy.
      input.focus();
      input.select();
      setText($('credential-status'), 'Not copied: the browser refused the clipboard. The link is selected above; copy it with Ctrl+C (⌘C).');
      $('credential-status').dataset.tone = 'warn';
    }
  }
}

function meta(m) {
  const parts = [`Meeting ${words.meetingNumber(m.meeting_id)}`];
  const status = words.statusLabel[m.status] || m.status;
  if (m.status === 'started' && m.started_at) parts.push(`${status} since ${words.when(m.started_at)}`);
  else if (m.status === 'ended' && m.ended_at) parts.push(`Ended ${words.when(m.ended_at)}`);
  else if (m.status === 'scheduled' && m.start_time) parts.push(`Scheduled for ${words.when(m.start_time)}`);
  else parts.push(status);
  if (m.host_email) parts.push(`host ${m.host_email}`);
  return parts.join(' · ');
}

function newRow() {
  const tr = el('tr', { class: 'p-row' },
    el('td', { class: 'c-name' }, el('span', { class: 'p-name' }), el('span', { class: 'p-sub' })),
    el('td', { class: 'c-state' }, el('span', { class: 'badge p-state' })),
    el('td', { class: 'c-granter p-granter' }),
    el('td', { class: 'c-why' }, el('p', { class: 'p-summary' }), el('p', { class: 'p-detail' }), el('p', { class: 'p-code' }, el('code', {}))),
    el('td', { class: 'c-time p-time' }),
    el('td', { class: 'c-tries p-tries' }));
  return tr;
}

function fillRow(tr, p) {
  const q = (sel) => tr.querySelector(sel);
  const set = (k, v) => {
    if (tr.dataset[k] !== v) tr.dataset[k] = v;
  };
  set('key', p.key || '');
  set('state', p.state || '');
  set('reason', p.reason || '');
  setText(q('.p-name'), p.name || 'Unnamed participant');
  const sub = [p.email || (p.signed_in ? 'signed in' : 'guest')];
  if (p.left_at && !p.present) sub.push(`left ${words.when(p.left_at)}`);
  setText(q('.p-sub'), sub.join(' · '));
  const badge = q('.p-state');
  if (badge.dataset.state !== p.state) badge.dataset.state = p.state;
  setText(badge, words.stateLabel[p.state] || p.state);
  setText(q('.p-granter'), p.granter || '—');
  setText(q('.p-summary'), p.summary || '');
  // The summary already quotes a failure's detail; other details are shown on their own.
  const detail = p.detail && !(p.summary || '').includes(p.detail) ? p.detail : '';
  setText(q('.p-detail'), detail);
  show(q('.p-detail'), !!detail);
  setText(q('.p-code code'), p.reason || '');
  show(q('.p-code'), !!p.reason);
  if (p.reason_text) q('.p-code').title = p.reason_text;
  const t = words.timeToCoHost(p);
  const cell = q('.p-time');
  setText(cell, t ? words.duration(t.ms) : '—');
  if (t) {
    cell.dataset.ms = String(t.ms);
    cell.dataset.stage = t.stage;
    cell.title = t.stage === 'confirmed' ? 'from the join cohost saw to Zoom confirming the role' : 'from the join cohost saw to the grant; Zoom has not confirmed a role change';
  } else {
    delete cell.dataset.ms;
    delete cell.dataset.stage;
    cell.removeAttribute('title');
  }
  setText(q('.p-tries'), String(p.attempts || 0));
}
