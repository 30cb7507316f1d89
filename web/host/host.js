// cohost's host page: the host runs the meeting from here instead of Zoom's start_url. It reads the
// host link's secret, asks cohostd to start the meeting (api/hostpage.go), starts it as host in
// Zoom's Web Meeting SDK, and then syncs: it reports what the SDK shows, renders the panel cohostd
// computes and calls makeCoHost when cohostd says so. The page never decides who is promoted.
//
// Phases (body[data-phase]): loading → starting → joining → live → done, or done at once with a
// message when something stops it. The connection it reports is the SDK's (joining before the
// join resolves), or left/ended after the host's Leave or End.

import { ApiError, CohostAPI } from './cohost-api.js';
import { Meeting, sdkLoaded } from './meeting.js';
import { SyncLoop, backoff } from './sync.js';
import { View } from './view.js';
import * as words from './words.js';

const app = document.getElementById('app');
const meetingId = app.dataset.meetingId || '';
const apiPrefix = app.dataset.apiPrefix || '/host/api/v1';
const sdkAssetPath = app.dataset.sdkAssetPath || '';
const view = new View();

// The secret is kept per meeting in this tab's sessionStorage, so that a reload works without
// it in the address bar and another tab or a closed browser does not keep it.
const storageKey = `cohost.host-link.${meetingId}`;

// takeSecret returns the link's secret: from the address's fragment, which it then removes from
// the address bar (it would otherwise stay in the history and in screenshots), or, on a reload,
// from sessionStorage.
function takeSecret() {
  if (location.hash.length > 1) {
    let secret = location.hash.slice(1);
    try {
      secret = decodeURIComponent(secret);
    } catch {
      // Not percent-encoded after all: use it as it is.
    }
    history.replaceState(history.state, '', location.pathname + location.search);
    secret = secret.trim();
    try {
      sessionStorage.setItem(storageKey, secret);
    } catch {
      // Storage is off: the page works, a reload then needs the link again.
    }
    return secret;
  }
  try {
    return sessionStorage.getItem(storageKey) || '';
  } catch {
    return '';
  }
}

// Opening another host link in this tab changes only the fragment, which does not reload the
// page: start over with the new secret.
window.addEventListener('hashchange', () => {
  if (location.hash.length > 1) {
    takeSecret();
    location.reload();
  }
});

function finish(msg, action) {
  view.phase('done');
  view.buttons({ leave: false, end: false });
  view.idle('', '');
  view.message(msg, action);
}

const reload = () => location.reload();

// startMeeting asks cohostd for what the join needs. While cohostd is unavailable or unreachable
// it tries again with backoff (or at once, from the message's button); other errors end the page.
async function startMeeting(api) {
  view.phase('starting');
  view.connection('starting');
  for (let attempt = 1; ; attempt++) {
    let err;
    try {
      const start = await api.start();
      if (validStart(start)) {
        view.clearMessage();
        return start;
      }
      err = new ApiError({ status: 200, code: 'malformed', detail: 'the answer lacks what the join needs' });
    } catch (e) {
      err = e instanceof ApiError ? e : new ApiError({ code: 'malformed', detail: String(e) });
    }
    const msg = words.startError(err, meetingId);
    if (err.network || err.code === 'unavailable' || err.code === 'malformed' || (err.status >= 500 && err.code !== 'zoom_failed')) {
      const wait = backoff(attempt);
      msg.advice = `${msg.advice} Next try in ${Math.max(1, Math.round(wait / 1000))} s.`;
      view.connection('starting', 'Waiting for cohost…');
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, wait);
        view.message(msg, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      continue;
    }
    view.connection('stopped', msg.title);
    finish(msg, msg.retry ? reload : null);
    return null;
  }
}

function validStart(s) {
  return (
    s &&
    typeof s.signature === 'string' &&
    s.signature !== '' &&
    typeof s.zak === 'string' &&
    typeof s.session_id === 'string' &&
    s.session_id !== '' &&
    (typeof s.meeting_number === 'number' || typeof s.meeting_number === 'string')
  );
}

// run starts the meeting in the SDK and keeps it in step with cohostd until the page's work ends.
async function run(api, start) {
  view.topic(start.topic);
  view.phase('joining');
  view.connection('joining');
  view.idle('Starting the meeting…', "Zoom's meeting view opens here.");
  const meeting = new Meeting(document.getElementById('zoom-root'), document.querySelector('.stage'), sdkAssetPath);
  let joined = false;
  let leaveOnceJoined = false;
  let over = false;

  const leaveQuietly = async () => {
    try {
      await meeting.leave();
    } catch {
      // leaveMeeting resolves even when not joined; if Zoom refuses, the page can do no more.
    }
  };

  const loop = new SyncLoop({
    api,
    meeting,
    sessionId: start.session_id,
    syncMs: start.sync_ms,
    hooks: {
      panel: (p) => view.panel(p),
      trouble: (err) => {
        view.banner('sync', err.retryable ? words.lostContact : `cohost could not use the page's report (${err.code || err.status}) — retrying…`);
      },
      recovered: () => view.clearBanner('sync'),
      stopped: (info) => {
        view.clearBanner('sync');
        if (over) return;
        over = true;
        switch (info.kind) {
          case 'stop':
            view.connection(info.why === 'ended' ? 'ended' : 'stopped', info.why === 'superseded' ? 'Running in another tab' : undefined);
            finish(words.stopped(info.why), info.why === 'ended' ? null : reload);
            break;
          case 'link':
            // cohostd no longer accepts this page: it must not go on hosting in cohost's name.
            if (joined) leaveQuietly();
            else leaveOnceJoined = true;
            view.connection('left', 'You left the meeting');
            finish(words.linkLostDuringMeeting(info.err, meetingId));
            break;
          case 'over':
            view.connection('ended');
            finish(words.meetingOverDuringMeeting());
            break;
          default:
            // closed: the last report is delivered; the message is already shown.
            break;
        }
      },
    },
  });

  const onEvent = (name, payload) => {
    if (name === 'connection-change' && payload && typeof payload === 'object') {
      loop.sdkConnection(payload.state);
      if (!over && joined) {
        if (payload.state === 'Closed') {
          view.connection('Closed', words.closedByZoom(payload.reason));
          view.buttons({ leave: false, end: false });
          view.idle(words.closedByZoom(payload.reason), 'Waiting for cohost to confirm…');
        } else if (payload.state === 'Connected' || payload.state === 'Reconnecting' || payload.state === 'Fail') {
          view.connection(payload.state);
          view.buttons({ leave: payload.state !== 'Fail', end: payload.state === 'Connected' });
        }
      }
    }
    loop.nudge();
  };

  try {
    await meeting.init(onEvent);
  } catch (e) {
    over = true;
    // One sync tells cohostd that this page cannot run the meeting.
    loop.start();
    loop.close('Fail');
    view.connection('Fail');
    finish(words.initFailed(e), reload);
    return;
  }
  loop.start();

  try {
    await meeting.join(start);
  } catch (e) {
    if (over) return;
    over = true;
    loop.close('Fail');
    view.connection('Fail');
    finish(words.joinRefused(e), reload);
    return;
  }
  joined = true;
  if (leaveOnceJoined) {
    await leaveQuietly();
    return;
  }
  if (over) return;
  if (loop.connection === 'joining') loop.sdkConnection('Connected');
  view.phase('live');
  view.connection(loop.connection === 'Connected' ? 'Connected' : loop.connection);
  view.idle('The meeting is running', "Zoom's meeting view is shown here. Everyone who joins is made a co-host; the panel shows each person's state.");
  view.buttons({ leave: true, end: loop.connection === 'Connected' });
  loop.nudge(0);

  view.onLeave(async () => {
    if (over) return;
    // From here on the SDK's Closed is the host's own leaving, not Zoom closing the meeting.
    over = true;
    view.buttons({ leave: false, end: false });
    await leaveQuietly();
    loop.close('left');
    view.connection('left');
    finish(words.youLeft(), reload);
  });

  view.onEnd(async () => {
    if (over) return;
    if (!(await view.confirmEnd()) || over) return;
    view.buttons({ leave: false, end: false });
    try {
      await meeting.end();
    } catch (e) {
      view.banner('end', `Zoom did not end the meeting: ${words.sdkText(e)}. Try again, or end it from Zoom's controls.`);
      view.buttons({ leave: true, end: true });
      return;
    }
    view.clearBanner('end');
    over = true;
    loop.close('ended');
    view.connection('ended');
    finish(words.youEnded());
  });
}

async function main() {
  const secret = takeSecret();
  if (!secret) {
    view.connection('stopped', 'Host link incomplete');
    finish(words.noLink(meetingId));
    return;
  }
  // Before start: asking cohostd to start would take over from a page already running the
  // meeting elsewhere, for a page that cannot run it.
  if (!sdkLoaded()) {
    view.connection('stopped', 'Meeting SDK missing');
    finish(words.sdkMissing(), reload);
    return;
  }
  const api = new CohostAPI(apiPrefix, meetingId, secret);
  const start = await startMeeting(api);
  if (start) await run(api, start);
}

main();
