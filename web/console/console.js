// cohost's operator console: "did this participant get co-host, and if not, why?" without curl.
// It reads the admin API with an admin token the operator pastes once, and keeps up by polling:
// every few seconds it asks again with If-None-Match, and redraws only what changed. Polling, not
// server-sent events, because any replica answers the admin API and none of them knows when
// another one changed the ledger; a poll reads the database, which every replica shares.
//
// Views (body[data-view]): loading → signin (no token, or a refused one) | off (the admin API is
// off) | console.

import { AdminAPI, ApiError } from './admin-api.js';
import { Detail } from './detail.js';
import { $, setText, show } from './dom.js';
import { MeetingList } from './meetings.js';
import { Totals } from './totals.js';
import * as words from './words.js';

const app = $('app');
const apiBase = app.dataset.apiBase || '/v1';
const pollMs = Math.max(200, Number(app.dataset.pollMs) || 3000);
const adminOff = app.dataset.adminOff || '';
const maxRetryMs = 30000;

// The token is kept in this tab's sessionStorage: a reload keeps the console open, another tab
// or a closed browser does not have it.
const tokenKey = 'cohost.console.admin-token';

let api = null;
// epoch changes whenever the session does (sign-in, sign-out), so that an answer to a request
// of an earlier session is dropped.
let epoch = 0;
let timer = 0;
let failures = 0;
let inflight = false;
let again = false;
// focusList: the operator just signed in with the form, whose field is now gone; the first
// list shown takes the focus, so that the keyboard goes on from there.
let focusList = false;

const meetings = new MeetingList();
const totals = new Totals();
const detail = new Detail(() => api, (err) => stopWith(err));

function readToken() {
  try {
    return sessionStorage.getItem(tokenKey) || '';
  } catch {
    return '';
  }
}

function keepToken(t) {
  try {
    sessionStorage.setItem(tokenKey, t);
  } catch {
    // Storage is off: the console works until the tab is reloaded.
  }
}

function dropToken() {
  try {
    sessionStorage.removeItem(tokenKey);
  } catch {
    // Nothing was kept.
  }
}

function view(name) {
  document.body.dataset.view = name;
  show($('gate'), name === 'signin' || name === 'off');
  show($('signin'), name === 'signin');
  show($('off'), name === 'off');
  show($('console'), name === 'console');
  show($('forget'), name === 'console');
}

function status(kind, text) {
  $('status').dataset.status = kind;
  setText($('status-text'), text);
}

function banner(text) {
  setText($('banner'), text);
  show($('banner'), !!text);
}

function stop() {
  epoch++;
  clearTimeout(timer);
  timer = 0;
  if (api) {
    // Names and emails of the ended session leave the page with it.
    meetings.clear();
    detail.clear();
    totals.clear();
  }
  api = null;
  banner('');
}

function showOff(detail) {
  stop();
  view('off');
  setText($('off-detail'), `cohostd says: “${detail || 'set COHOST_ADMIN_SECRET to enable the admin API'}”`);
  status('off', 'Admin API off');
}

// signIn asks for a token; refusedDetail, when given, is why cohostd refused the last one.
function signIn(refusedDetail) {
  stop();
  view('signin');
  const refused = $('signin-refused');
  setText(refused, refusedDetail === undefined ? '' : words.refused(refusedDetail));
  show(refused, refusedDetail !== undefined);
  show($('signin-problem'), false);
  $('token').value = '';
  $('token').setAttribute('aria-invalid', refusedDetail === undefined ? 'false' : 'true');
  status('idle', 'Not signed in');
  $('token').focus();
}

// stopWith ends the session on an answer that no retry changes.
function stopWith(err) {
  if (err.off) {
    dropToken();
    showOff(err.detail);
    return;
  }
  dropToken();
  signIn(err.detail || '');
}

function open(token) {
  stop();
  api = new AdminAPI(apiBase, token);
  failures = 0;
  view('console');
  status('busy', 'Loading…');
  tick();
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const problem = $('signin-problem');
  const token = $('token').value.trim().replace(/^bearer\s+/i, '');
  let why = '';
  if (!token) why = 'Paste the token that cohostd admin-token printed.';
  else if (/\s/.test(token)) why = 'That is more than one token: a token has no spaces. Paste only the line cohostd admin-token printed.';
  setText(problem, why);
  show(problem, !!why);
  if (why) {
    $('token').setAttribute('aria-invalid', 'true');
    $('token').focus();
    return;
  }
  keepToken(token);
  $('token').value = '';
  focusList = true;
  open(token);
});

$('forget').addEventListener('click', () => {
  dropToken();
  signIn();
});

// selected is the meeting of the address (#/meetings/{id}), or ''.
function selected() {
  const m = /^#\/meetings\/(\d{1,20})$/.exec(location.hash);
  return m ? m[1] : '';
}

window.addEventListener('hashchange', () => {
  if (!api) return;
  meetings.select(selected());
  tick();
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && api) tick();
});

// tick reads the admin API once, unless a read is under way (then it reads again right after).
async function tick() {
  if (inflight) {
    again = true;
    return;
  }
  inflight = true;
  try {
    await poll();
  } finally {
    inflight = false;
    if (again) {
      again = false;
      tick();
    }
  }
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(tick, ms);
}

async function poll() {
  clearTimeout(timer);
  if (!api) return;
  // A hidden tab does not poll; showing it again reads at once.
  if (document.hidden) {
    status('paused', 'Paused while this tab is hidden');
    return;
  }
  const my = epoch;
  const client = api;
  try {
    const [list, summary] = await Promise.all([client.meetings(), client.summary()]);
    if (my !== epoch) return;
    const id = selected();
    if (list.changed || !meetings.loaded) meetings.render(list.data.meetings || [], id);
    if (focusList) {
      focusList = false;
      if (!meetings.focus()) $('detail').focus();
    }
    if (summary.changed) totals.render(summary.data);
    if (id) {
      try {
        const d = await client.meeting(id);
        if (my !== epoch) return;
        if (d.changed || detail.id !== id || !detail.data) detail.render(d.data);
      } catch (err) {
        if (my !== epoch) return;
        if (!(err instanceof ApiError) || err.code !== 'meeting_not_found') throw err;
        detail.missing(id, err.detail);
      }
    } else {
      detail.none((list.data.meetings || []).length > 0);
    }
    failures = 0;
    banner('');
    status('live', `Live · checked ${words.clock(new Date())}`);
    schedule(pollMs);
  } catch (err) {
    if (my !== epoch) return;
    if (!(err instanceof ApiError)) throw err;
    if (err.refused || err.off) {
      stopWith(err);
      return;
    }
    failures++;
    const wait = Math.min(maxRetryMs, pollMs * 2 ** Math.min(failures - 1, 5));
    banner(words.trouble(err, wait) + (meetings.loaded ? ' What is shown is as last read.' : ''));
    status('trouble', err.code === 'unavailable' ? 'Database unavailable' : 'Not up to date');
    schedule(wait);
  }
}

if (adminOff) {
  showOff(adminOff);
} else {
  const token = readToken();
  if (token) open(token);
  else signIn();
}
