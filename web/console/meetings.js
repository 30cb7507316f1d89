// The list of meetings (GET /v1/meetings), most recently updated first. Each is a link to the
// meeting (#/meetings/{id}); the arrow keys, Home and End move through the list, Enter opens.

import { $, el, setText, show } from './dom.js';
import { meetingNumber, people, stateLabel, states, statusLabel, when } from './words.js';

export class MeetingList {
  constructor() {
    this.list = $('meeting-list');
    this.nodes = new Map();
    this.loaded = false;
    this.list.addEventListener('keydown', (ev) => this.key(ev));
  }

  key(ev) {
    const links = [...this.list.querySelectorAll('a.m-link')];
    const i = links.indexOf(document.activeElement);
    let next = -1;
    switch (ev.key) {
      case 'ArrowDown':
        next = i < 0 ? 0 : Math.min(links.length - 1, i + 1);
        break;
      case 'ArrowUp':
        next = i < 0 ? 0 : Math.max(0, i - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = links.length - 1;
        break;
      default:
        return;
    }
    if (next >= 0 && links[next]) {
      ev.preventDefault();
      this.rove(links[next]);
      links[next].focus();
    }
  }

  // rove makes one link the list's single tab stop (the chosen meeting's, else the one last
  // moved to, else the first), so that Tab enters and leaves the list in one step and the arrow
  // keys move within it.
  rove(target) {
    const links = [...this.list.querySelectorAll('a.m-link')];
    const stop = target || links.find((a) => a.getAttribute('aria-current') === 'page') ||
      links.find((a) => a.tabIndex === 0) || links[0];
    for (const a of links) {
      const want = a === stop ? 0 : -1;
      if (a.tabIndex !== want) a.tabIndex = want;
    }
  }

  render(meetings, selected) {
    this.loaded = true;
    const next = new Map();
    const items = meetings.map((m) => {
      const li = this.nodes.get(m.meeting_id) || newItem(m.meeting_id);
      fillItem(li, m);
      next.set(m.meeting_id, li);
      return li;
    });
    for (const [id, li] of this.nodes) if (!next.has(id)) li.remove();
    items.forEach((li, i) => {
      if (this.list.children[i] !== li) this.list.insertBefore(li, this.list.children[i] || null);
    });
    this.nodes = next;
    this.select(selected);
    setText($('meetings-count'), meetings.length ? String(meetings.length) : '');
    show($('meetings-empty'), meetings.length === 0);
  }

  // clear forgets every meeting shown (a session ended: nothing of it stays in the page).
  clear() {
    this.list.replaceChildren();
    this.nodes.clear();
    this.loaded = false;
    setText($('meetings-count'), '');
    show($('meetings-empty'), false);
  }

  // focus puts the keyboard on the list's tab stop; false when the list is empty.
  focus() {
    const stop = this.list.querySelector('a.m-link[tabindex="0"]') || this.list.querySelector('a.m-link');
    if (!stop) return false;
    stop.focus();
    return true;
  }

  select(id) {
    let chosen = null;
    for (const [mid, li] of this.nodes) {
      const a = li.firstChild;
      if (mid === id) {
        a.setAttribute('aria-current', 'page');
        chosen = a;
      } else a.removeAttribute('aria-current');
    }
    // Keep the tab stop where the keyboard is while it is in the list.
    this.rove(this.list.contains(document.activeElement) ? document.activeElement : chosen);
  }
}

function newItem(id) {
  const a = el('a', { class: 'm-link', href: `#/meetings/${id}`, 'data-id': id },
    el('span', { class: 'm-line' }, el('span', { class: 'm-topic' }), el('span', { class: 'm-status' })),
    el('span', { class: 'm-meta' }),
    el('span', { class: 'm-counts' }));
  return el('li', { class: 'm-item' }, a);
}

function fillItem(li, m) {
  const a = li.firstChild;
  if (a.dataset.status !== m.status) a.dataset.status = m.status;
  setText(a.querySelector('.m-topic'), m.topic || `Meeting ${meetingNumber(m.meeting_id)}`);
  setText(a.querySelector('.m-status'), statusLabel[m.status] || m.status);
  setText(a.querySelector('.m-meta'), [meetingNumber(m.meeting_id), statusWhen(m)].filter(Boolean).join(' · '));
  const g = m.grants || {};
  const counts = a.querySelector('.m-counts');
  const key = JSON.stringify(g);
  if (counts.dataset.key === key) return;
  counts.dataset.key = key;
  const total = Number(g.total) || 0;
  if (!total) {
    counts.replaceChildren(el('span', { class: 'm-count m-count-none' }, 'nobody joined yet'));
    return;
  }
  counts.replaceChildren(el('span', { class: 'm-count m-count-total' }, people(total)),
    ...states.filter((s) => Number(g[s]) > 0).map((s) => el('span', { class: 'm-count', 'data-state': s },
      el('span', { class: 'legend-dot', 'aria-hidden': 'true' }), `${g[s]} ${stateLabel[s].toLowerCase()}`)));
}

// statusWhen says when the meeting started, ended or is due.
export function statusWhen(m) {
  switch (m.status) {
    case 'started':
      return m.started_at ? `live since ${when(m.started_at)}` : 'live';
    case 'ended':
      return m.ended_at ? `ended ${when(m.ended_at)}` : 'ended';
    case 'scheduled':
      return m.start_time ? `starts ${when(m.start_time)}` : 'not started';
    case 'deleted':
      return 'deleted in Zoom';
  }
  return '';
}
