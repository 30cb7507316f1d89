// The host page's DOM: header, banner, message card, panel and the End confirmation. Text goes
// in with textContent only, never as HTML, and nothing here sets inline styles, so the page
// runs under a CSP without 'unsafe-inline' for its own code.

import { connectionText, noMatch, rowBadge, summary, waitingRoom } from './words.js';

const $ = (id) => document.getElementById(id);

export class View {
  constructor() {
    this.body = document.body;
    this.lastPanel = '';
    this.lastSummary = '';
    this.bannerKind = '';
    this.rowNodes = new Map();
    this.messageAction = null;
    $('message-action').addEventListener('click', () => {
      if (this.messageAction) this.messageAction();
    });
    $('find').addEventListener('input', () => this.filter());
  }

  phase(p) {
    this.body.dataset.phase = p;
  }

  topic(t) {
    if (!t) return;
    $('topic').textContent = t;
    document.title = `${t} · cohost host`;
  }

  // connection shows the connection state in the header; text overrides the usual words.
  connection(state, text) {
    $('conn').dataset.conn = state;
    $('conn-text').textContent = text || connectionText[state] || state;
  }

  idle(title, text) {
    $('stage-idle-title').textContent = title;
    $('stage-idle-text').textContent = text;
  }

  buttons({ leave, end }) {
    $('leave').disabled = !leave;
    $('end').disabled = !end;
  }

  onLeave(fn) {
    $('leave').addEventListener('click', fn);
  }

  onEnd(fn) {
    $('end').addEventListener('click', fn);
  }

  // banner shows a non-blocking line above the meeting; kind lets clearBanner remove only its own.
  banner(kind, text) {
    const el = $('banner');
    this.bannerKind = kind;
    if (el.textContent !== text) el.textContent = text;
    el.dataset.kind = kind;
    el.hidden = false;
  }

  clearBanner(kind) {
    if (kind && this.bannerKind !== kind) return;
    const el = $('banner');
    el.hidden = true;
    el.textContent = '';
    this.bannerKind = '';
  }

  // message shows a card in the meeting area: errors as an alert, the rest as a status. action,
  // if given, is run by the card's button, labelled msg.retry.
  message(msg, action) {
    const card = $('message');
    card.setAttribute('role', msg.tone === 'error' ? 'alert' : 'status');
    card.dataset.tone = msg.tone;
    $('message-title').textContent = msg.title;
    $('message-text').textContent = msg.text || '';
    $('message-advice').textContent = msg.advice || '';
    $('message-advice').hidden = !msg.advice;
    const btn = $('message-action');
    this.messageAction = action && msg.retry ? action : null;
    btn.hidden = !this.messageAction;
    btn.textContent = msg.retry || '';
    card.hidden = false;
  }

  clearMessage() {
    $('message').hidden = true;
    this.messageAction = null;
  }

  // confirmEnd asks whether to end the meeting for everyone; it resolves true or false.
  confirmEnd() {
    const dlg = $('confirm-end');
    return new Promise((resolve) => {
      const done = (yes) => {
        $('confirm-end-yes').removeEventListener('click', onYes);
        $('confirm-end-cancel').removeEventListener('click', onNo);
        dlg.removeEventListener('close', onClose);
        if (dlg.open) dlg.close();
        resolve(yes);
      };
      const onYes = () => done(true);
      const onNo = () => done(false);
      // Escape closes the dialog by itself. The close event is queued, so the one of an earlier
      // close can arrive after the dialog was opened again: only a closed dialog answers no.
      const onClose = () => {
        if (!dlg.open) done(false);
      };
      $('confirm-end-yes').addEventListener('click', onYes);
      $('confirm-end-cancel').addEventListener('click', onNo);
      dlg.addEventListener('close', onClose);
      dlg.showModal();
    });
  }

  // panel renders a HostPanel. Rows are updated in place, keyed by participant, so that the live
  // region announces what changed rather than the whole list.
  panel(p) {
    const key = JSON.stringify(p);
    if (key === this.lastPanel) return;
    this.lastPanel = key;
    this.body.dataset.panel = 'shown';
    if (p.topic) this.topic(p.topic);
    const counts = p.counts || {};
    for (const k of ['cohost', 'pending', 'skipped', 'failed']) {
      const text = String(Number(counts[k]) || 0);
      if ($(`count-${k}`).textContent !== text) $(`count-${k}`).textContent = text;
    }
    const rows = Array.isArray(p.rows) ? p.rows.filter((r) => r && typeof r === 'object') : [];
    // The host is nobody waiting: counts.total leaves them out.
    const total = Number(counts.total) || 0;
    $('total').textContent = `${total} ${total === 1 ? 'person' : 'people'}`;
    $('total').hidden = total === 0;
    const notice = typeof p.notice === 'string' ? p.notice : '';
    $('notice').textContent = notice;
    $('notice').hidden = !notice;
    const held = Number(counts.waiting_room) || 0;
    setText($('waiting'), held ? waitingRoom(held) : '');
    $('waiting').hidden = !held;
    this.rows(rows);
    $('empty').hidden = rows.some((r) => r.state !== 'host');
    const s = summary(counts);
    if (s !== this.lastSummary) {
      this.lastSummary = s;
      $('summary').textContent = s;
    }
  }

  // rows puts each row in its section (HostPanelRow.group), in the order cohostd sent them. Row
  // nodes are kept by participant and moved, not rebuilt.
  rows(rows) {
    const seen = new Map();
    const next = new Map();
    const byGroup = new Map(groups.map((g) => [g, []]));
    for (const r of rows) {
      let k = r.user_id ? `u${r.user_id}` : `n${r.name || ''}`;
      const n = (seen.get(k) || 0) + 1;
      seen.set(k, n);
      if (n > 1) k += `#${n}`;
      const li = this.rowNodes.get(k) || newRow();
      fillRow(li, r);
      next.set(k, li);
      (byGroup.get(r.group) || byGroup.get('other')).push(li);
    }
    for (const [k, li] of this.rowNodes) if (!next.has(k)) li.remove();
    for (const [g, nodes] of byGroup) {
      const list = groupList(g);
      nodes.forEach((li, i) => {
        if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
      });
      while (list.children.length > nodes.length) list.lastElementChild.remove();
      if (g !== 'host') setText($(`group-${g}`).querySelector('.group-n'), String(nodes.length));
    }
    this.rowNodes = next;
    this.filter();
  }

  // filter shows the rows whose name holds what the search box holds, and the sections that
  // still show one.
  filter() {
    const q = $('find').value.trim().toLowerCase();
    let shown = 0;
    for (const li of this.rowNodes.values()) {
      const hide = q !== '' && !li.querySelector('.row-name').textContent.toLowerCase().includes(q);
      if (li.hidden !== hide) li.hidden = hide;
      if (!hide) shown++;
    }
    for (const g of groups) {
      if (g === 'host') continue;
      const section = $(`group-${g}`);
      const any = [...section.querySelectorAll('li')].some((li) => !li.hidden);
      if (section.hidden === any) section.hidden = !any;
    }
    setText($('no-match'), q && shown === 0 ? noMatch($('find').value.trim()) : '');
    $('no-match').hidden = !(q && shown === 0);
  }
}

// The panel's sections, in order (api.HostGroup*).
const groups = ['host', 'attention', 'line', 'waiting', 'cohost', 'other'];

function groupList(g) {
  return g === 'host' ? $('group-host') : $(`group-${g}`).querySelector('ul');
}

function newRow() {
  const li = document.createElement('li');
  li.className = 'row';
  // Focusable, so that the keyboard reaches every participant and the whole sentence shows.
  li.tabIndex = 0;
  const avatar = document.createElement('span');
  avatar.className = 'avatar';
  avatar.setAttribute('aria-hidden', 'true');
  const body = document.createElement('div');
  body.className = 'row-body';
  const line = document.createElement('p');
  line.className = 'row-line';
  const name = document.createElement('span');
  name.className = 'row-name';
  const badge = document.createElement('span');
  badge.className = 'badge';
  line.append(name, badge);
  const text = document.createElement('p');
  text.className = 'row-text';
  const state = document.createElement('span');
  state.className = 'row-state visually-hidden';
  const why = document.createElement('span');
  why.className = 'row-why';
  text.append(state, why);
  body.append(line, text);
  li.append(avatar, body);
  return li;
}

function setText(el, t) {
  if (el.textContent !== t) el.textContent = t;
}

function fillRow(li, r) {
  const state = typeof r.state === 'string' ? r.state : '';
  const name = String(r.name || 'Unnamed participant');
  if (li.dataset.state !== state) li.dataset.state = state;
  const place = Number(r.place) > 0 ? String(r.place) : '';
  if (li.dataset.place !== place) li.dataset.place = place;
  setText(li.querySelector('.avatar'), initials(name));
  setText(li.querySelector('.row-name'), name);
  setText(li.querySelector('.badge'), r.waiting_room && state === 'pending' ? rowBadge.waiting_room : rowBadge[state] || state);
  // The sentence is cohostd's, word for word (the console shows the same). Its leading state
  // ("pending: ") repeats the badge, so it is there for screen readers and copy, not for the eye.
  const sentence = r.text ? String(r.text) : '';
  const m = /^(pending|co-host|granted[^:]*|not co-host[^:]*): /.exec(sentence);
  const text = li.querySelector('.row-text');
  setText(text.querySelector('.row-state'), m ? m[0] : '');
  setText(text.querySelector('.row-why'), m ? sentence.slice(m[0].length) : sentence);
  text.hidden = !sentence;
  if (text.title !== sentence) text.title = sentence;
}

// initials for the avatar: the first letters of the first and last words, or a sign for a name
// without letters (a masked phone number).
function initials(name) {
  const words = name.split(/\s+/).filter((w) => /\p{L}/u.test(w));
  if (words.length === 0) return '#';
  const first = (w) => (w.match(/[\p{L}\p{N}]/u) || ['#'])[0].toUpperCase();
  return words.length === 1 ? first(words[0]) : first(words[0]) + first(words[words.length - 1]);
}
