// What the host page says, in plain words: every error cohostd or Zoom can answer, with what to
// do about it. A message is {title, text, advice, tone}; tone 'error' is announced as an alert,
// 'info' as a status.

const newLink = (meetingId) =>
  `ask your cohost operator for a new host link: they can print one with “cohostd host-link ${meetingId}” or create one with cohost's admin API.`;
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// The page was opened without the link's secret (the part after “#”) and has none stored.
export function noLink(meetingId) {
  return {
    tone: 'error',
    title: 'This host link is incomplete',
    text: `The address has no secret part (the text after “#”), so cohost cannot tell that you host meeting ${meetingId}. Links lose it when they are shortened or copied in part.`,
    advice: `Open the whole host link again, exactly as you received it. ${cap(newLink(meetingId))}`,
  };
}

// window.ZoomMtgEmbedded is missing after the SDK's scripts: they were blocked or unreachable.
export function sdkMissing() {
  return {
    tone: 'error',
    title: "Zoom's Meeting SDK did not load",
    text: "The page could not load Zoom's Web Meeting SDK, so it cannot start the meeting. The SDK's scripts were blocked or could not be reached.",
    advice: 'Check your internet connection and whether a browser extension or a network filter blocks them, then reload the page. If it keeps happening, ask your cohost operator to check COHOST_MEETING_SDK_URL.',
  };
}

// An ErrorResponse (or a failure to reach cohostd) when the page asks to start the meeting.
// err is an ApiError (cohost-api.js).
export function startError(err, meetingId) {
  const detail = err.detail ? ` cohost says: “${err.detail}”` : '';
  switch (err.code) {
    case 'link_missing':
    case 'link_invalid':
      return {
        tone: 'error',
        title: 'This host link is not valid',
        text: 'cohost did not issue this link, or part of it changed when it was copied.',
        advice: `Open the host link again exactly as you received it. ${cap(newLink(meetingId))}`,
      };
    case 'link_expired':
      return {
        tone: 'error',
        title: 'This host link has expired',
        text: "Host links work for a limited time, until a few hours after the meeting's scheduled end, and this one is past it.",
        advice: cap(newLink(meetingId)),
      };
    case 'link_revoked':
      return {
        tone: 'error',
        title: 'This host link was revoked',
        text: "The meeting's host links were withdrawn, so this one no longer starts the meeting.",
        advice: `If you should still host this meeting, ${newLink(meetingId)}`,
      };
    case 'link_other_meeting':
      return {
        tone: 'error',
        title: 'This host link is for another meeting',
        text: `The link's secret belongs to a different meeting than meeting ${meetingId} in the address.`,
        advice: 'Open the host link exactly as you received it, without changing the meeting number in the address.',
      };
    case 'zoom_failed':
      return {
        tone: 'error',
        title: 'Zoom did not let cohost start the meeting',
        text: err.detail ? `Zoom refused what starting the meeting needs: ${err.detail}` : 'Zoom refused or failed to give cohost what starting the meeting needs (the meeting or your sign-in token).',
        advice: 'Try again in a minute. If it keeps failing, send this message to your cohost operator.',
        retry: 'Try again',
      };
    case 'too_many_starts':
      return {
        tone: 'error',
        title: 'This meeting was started too often just now',
        text: `cohost asks Zoom for your sign-in token at each start, so it allows a few starts a minute per meeting.${detail}`,
        advice: 'Wait the time above, then reload this page once. If another tab or person keeps reloading the host link, close it.',
        retry: 'Reload',
      };
    case 'rate_limited':
      return {
        tone: 'error',
        title: "Zoom's rate limit is reached",
        text: `Zoom asks cohost to slow down for this account, so the meeting cannot start this moment.${detail}`,
        advice: 'Try again in a minute.',
        retry: 'Try again',
      };
    case 'meeting_over':
      return {
        tone: 'info',
        title: 'This meeting is over',
        text: 'The meeting has ended or was deleted in Zoom, so this link no longer starts it.',
        advice: "To host another meeting, open that meeting's host link.",
      };
    case 'unavailable':
      return {
        tone: 'error',
        title: 'cohost is briefly unavailable',
        text: 'cohost cannot reach its database right now, so it cannot start the meeting yet.',
        advice: 'The page tries again by itself.',
        retry: 'Try again now',
      };
    case 'network':
      return {
        tone: 'error',
        title: 'cohost cannot be reached',
        text: 'The page could not contact cohost to start the meeting.',
        advice: 'Check your internet connection. The page tries again by itself.',
        retry: 'Try again now',
      };
    case 'bad_request':
      return {
        tone: 'error',
        title: "cohost could not read the page's request",
        text: `The request to start the meeting was refused as malformed.${detail}`,
        advice: 'Reload the page. If it happens again, tell your cohost operator.',
        retry: 'Reload',
      };
    default:
      return {
        tone: 'error',
        title: 'cohost could not start the meeting',
        text: `cohost answered ${err.status || 'with an error'}${err.code ? ` (${err.code})` : ''}.${detail}`,
        advice: 'Reload the page. If it happens again, tell your cohost operator.',
        retry: 'Reload',
      };
  }
}

// What to do after Zoom refused the join, by Zoom's error code (meetingsdk/SURFACE.md lists them).
const joinAdvice = {
  3705: "Reload the page to get a new signature. If it happens again, the cohost server's clock may be wrong: tell your cohost operator.",
  3712: "cohost's Meeting SDK credentials do not match its Zoom app. Tell your cohost operator (ZOOM_SDK_KEY and ZOOM_SDK_SECRET).",
  3706: 'The signature was made for another meeting number. Tell your cohost operator.',
  3708: 'The signature does not carry the host role. Tell your cohost operator.',
  3610: 'The meeting may have been deleted in Zoom. Check it in Zoom, or ask your cohost operator.',
  3004: "The meeting's passcode may have changed in Zoom. Reload the page; if it happens again, tell your cohost operator.",
  3003: "Zoom did not accept your sign-in token (ZAK) as the meeting host's. Reload the page; if it happens again, tell your cohost operator.",
  3008: 'Reload the page in a moment.',
  5012: 'Reload the page.',
  200: 'Reload the page in a moment. If it keeps failing, tell your cohost operator the code above.',
};

// Zoom refused client.join. e is the SDK's rejection: {type, reason, errorCode}, or an Error the
// SDK threw before asking Zoom.
export function joinRefused(e) {
  if (e && e.errorCode === 5001) {
    return {
      tone: 'error',
      title: "Zoom's meeting files could not load",
      text: `The meeting could not start: ${e.reason || 'dependent assets are not accessible'} (Zoom error 5001).`,
      advice: "The Meeting SDK could not load its media files from Zoom's CDN (source.zoom.us). Check whether a firewall, proxy or browser extension blocks it, then reload the page.",
      retry: 'Reload',
    };
  }
  if (e && e.errorCode === -3000) {
    return {
      tone: 'error',
      title: 'Zoom cannot be reached',
      text: `The meeting could not start: ${e.reason || 'connection error'} (Zoom error -3000).`,
      advice: 'Check your internet connection and whether a firewall or proxy blocks zoom.us, then reload the page.',
      retry: 'Reload',
    };
  }
  if (e && e.errorCode !== undefined && e.errorCode !== null) {
    return {
      tone: 'error',
      title: 'Zoom refused to start the meeting',
      text: `Zoom refused to start the meeting: ${e.reason || e.type || 'no reason given'} (Zoom error ${e.errorCode})`,
      advice: joinAdvice[e.errorCode] || 'Reload the page to try again. If it keeps failing, tell your cohost operator the code above.',
      retry: 'Reload',
    };
  }
  return {
    tone: 'error',
    title: "Zoom's Meeting SDK could not start the meeting",
    text: `The Meeting SDK stopped before asking Zoom: ${sdkText(e)}`,
    advice: 'Reload the page. If it happens again, tell your cohost operator this message.',
    retry: 'Reload',
  };
}

// client.init rejected.
export function initFailed(e) {
  return {
    tone: 'error',
    title: "Zoom's Meeting SDK could not start",
    text: `The Meeting SDK refused to initialise: ${sdkText(e)}`,
    advice: 'Reload the page. If it happens again, tell your cohost operator this message.',
    retry: 'Reload',
  };
}

// One line for an SDK rejection or exception.
export function sdkText(e) {
  if (!e) return 'no reason given';
  if (e instanceof Error) return e.message || e.name;
  const parts = [e.reason || e.type || 'no reason given'];
  if (e.errorCode !== undefined && e.errorCode !== null) parts.push(`(Zoom error ${e.errorCode})`);
  return parts.join(' ');
}

// Why the page's work stopped during the meeting: a stop action, or cohostd no longer accepting
// the link. left says whether the page left the meeting because of it.
export function stopped(why) {
  switch (why) {
    case 'ended':
      return {
        tone: 'info',
        title: 'The meeting has ended.',
        text: 'Zoom reports that the meeting is over, so cohost has stopped. You can close this page.',
        advice: '',
      };
    case 'superseded':
      return {
        tone: 'info',
        title: 'This meeting is now run from another tab or browser; this page stopped.',
        text: 'The host link was opened somewhere else, and cohost makes joiners co-host from there now.',
        advice: 'To run the meeting from here again, reload this page; the other one then stops.',
        retry: 'Run it from here',
      };
    case 'closed':
      return {
        tone: 'info',
        title: 'This page is no longer in the meeting.',
        text: 'Zoom closed the page\'s connection to the meeting, so cohost no longer makes joiners co-host from here. The meeting may go on without this page.',
        advice: 'To run the meeting from here again, reload this page.',
        retry: 'Reload',
      };
    default:
      return {
        tone: 'info',
        title: 'cohost stopped this page',
        text: `cohost asked the page to stop${why ? ` (${why})` : ''}.`,
        advice: 'Reload the page to start again.',
        retry: 'Reload',
      };
  }
}

// cohostd answered a sync with 401 or 403: the page has left the meeting.
export function linkLostDuringMeeting(err, meetingId) {
  const why = {
    link_revoked: ['This host link was revoked', "The meeting's host links were withdrawn while the meeting ran."],
    link_expired: ['This host link has expired', "The link's time ran out while the meeting ran."],
    link_other_meeting: ['This host link is for another meeting', 'cohost no longer accepts this link for this meeting.'],
  }[err.code] || ['This host link is no longer accepted', 'cohost stopped accepting the link while the meeting ran.'];
  return {
    tone: 'error',
    title: why[0],
    text: `${why[1]} You have left the meeting, which goes on for everyone else; cohost no longer makes joiners co-host from this page.`,
    advice: `If you should keep hosting, ${newLink(meetingId)}`,
  };
}

export function meetingOverDuringMeeting() {
  return {
    tone: 'info',
    title: 'The meeting has ended.',
    text: 'cohost reports that the meeting is over, so the page has stopped. You can close it.',
    advice: '',
  };
}

export function youLeft() {
  return {
    tone: 'info',
    title: 'You left the meeting',
    text: 'The meeting goes on without you, and cohost no longer makes new joiners co-host from this page.',
    advice: 'To host it again, rejoin from here.',
    retry: 'Rejoin as host',
  };
}

export function youEnded() {
  return {
    tone: 'info',
    title: 'You ended the meeting for everyone',
    text: 'The meeting is closed in Zoom. You can close this page.',
    advice: '',
  };
}

// Zoom closed the meeting view by itself (connection-change Closed with a reason).
export function closedByZoom(reason) {
  switch (reason) {
    case 'ended by host':
      return 'The meeting has ended';
    case 'kicked by host':
      return 'You were removed from the meeting';
    case 'duplicated session':
      return 'You joined the meeting somewhere else';
    default:
      return reason ? `Disconnected (${reason})` : 'Disconnected from the meeting';
  }
}

// The header's connection line.
export const connectionText = {
  loading: 'Opening the host link…',
  starting: 'Getting the meeting ready…',
  joining: 'Joining as host…',
  Connected: 'Live · you are the host',
  Reconnecting: 'Reconnecting to Zoom…',
  Closed: 'Disconnected from the meeting',
  Fail: 'Could not connect to Zoom',
  left: 'You left the meeting',
  ended: 'Meeting ended',
  stopped: 'Stopped',
};

// Badges of panel rows, by HostPanelRow.State.
export const rowBadge = {
  cohost: 'Co-host',
  granted: 'Co-host abilities',
  promoting: 'Making co-host…',
  pending: 'Pending',
  skipped: 'Skipped',
  failed: 'Failed',
  host: 'Host · you',
  waiting_room: 'Waiting room',
};

export function summary(counts) {
  const c = counts || {};
  const n = (k) => Number(c[k]) || 0;
  const plural = (k, one, many) => `${n(k)} ${n(k) === 1 ? one : many}`;
  const parts = [plural('cohost', 'co-host', 'co-hosts'), `${n('pending')} pending`];
  if (n('waiting_room')) parts.push(`${n('waiting_room')} in the waiting room`);
  if (n('granted')) parts.push(`${n('granted')} with co-host abilities`);
  parts.push(`${n('skipped')} skipped`, `${n('failed')} failed`);
  return `${parts.join(', ')}.`;
}

// waitingRoom is the panel's line about the waiting room: Zoom holds them until the host admits
// them, and the page cannot make them co-host before.
export function waitingRoom(n) {
  return `${n} in the waiting room: admit them in Zoom's participant panel.`;
}

export function noMatch(q) {
  return `Nobody here is called “${q}”.`;
}

export const lostContact = 'Lost contact with cohost — retrying… The meeting goes on; new joiners are made co-host once cohost answers again.';
