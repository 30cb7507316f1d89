// What the console says, in plain words: states, durations, times, and every answer of the admin
// API that stops it, with what to do about it.

// The grant states of the admin API (AdminParticipant.state), in the order the console lists them.
export const states = ['confirmed', 'granted', 'pending', 'skipped', 'failed'];

export const stateLabel = {
  confirmed: 'Co-host',
  granted: 'Granted',
  pending: 'Pending',
  skipped: 'Skipped',
  failed: 'Failed',
};

// What each state means, for the legend's tooltips and the chips.
export const stateMeaning = {
  confirmed: 'Zoom confirmed the co-host role',
  granted: 'a granter succeeded; Zoom has not confirmed a role change (co-host abilities, or waiting for Zoom)',
  pending: 'in scope, not granted yet',
  skipped: 'deliberately not made co-host',
  failed: 'tried, and it did not work',
};

export const statusLabel = {
  scheduled: 'Scheduled',
  started: 'Live',
  ended: 'Ended',
  deleted: 'Deleted',
};

// duration renders milliseconds for people: 850 ms, 1.2 s, 14 s, 2 min 5 s.
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 0) return `${Math.round(ms)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60000) return `${Math.round(ms / 1000)} s`;
  const min = Math.floor(ms / 60000);
  const s = Math.round((ms % 60000) / 1000);
  if (min >= 60) return `${Math.floor(min / 60)} h ${min % 60} min`;
  return s ? `${min} min ${s} s` : `${min} min`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// when renders an RFC 3339 time briefly: the time today, else the day and the time.
export function when(iso, now = new Date()) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return sameDay(d, now) ? timeFmt.format(d) : `${dayFmt.format(d)}, ${timeFmt.format(d)}`;
}

export function fullTime(iso) {
  const d = new Date(iso);
  return !iso || Number.isNaN(d.getTime()) ? '' : fullFmt.format(d);
}

export function clock(d) {
  return clockFmt.format(d);
}

// until says how long is left before an RFC 3339 time: "in 4 h 58 min".
export function until(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'already expired';
  const min = Math.round(ms / 60000);
  if (min < 60) return `in ${min} min`;
  return `in ${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

// meetingNumber groups a Zoom meeting id as Zoom shows it: 857 4606 5432.
export function meetingNumber(id) {
  const s = String(id || '');
  if (/^\d{11}$/.test(s)) return `${s.slice(0, 3)} ${s.slice(3, 7)} ${s.slice(7)}`;
  if (/^\d{10}$/.test(s)) return `${s.slice(0, 3)} ${s.slice(3, 6)} ${s.slice(6)}`;
  if (/^\d{9}$/.test(s)) return `${s.slice(0, 3)} ${s.slice(3, 6)} ${s.slice(6)}`;
  return s;
}

export function people(n) {
  return `${n} ${n === 1 ? 'person' : 'people'}`;
}

// timeToCoHost is what the "to co-host" column shows for a participant: Zoom's confirmation if
// it came, else the grant (co-host abilities through permissions, or a role Zoom has not
// confirmed yet); {ms, stage} or null.
export function timeToCoHost(p) {
  if (typeof p.time_to_confirm_ms === 'number') return { ms: p.time_to_confirm_ms, stage: 'confirmed' };
  if (typeof p.time_to_grant_ms === 'number') return { ms: p.time_to_grant_ms, stage: 'granted' };
  return null;
}

// Screens that replace the console: each {title, text} says what happened and what to do.

export function refused(detail) {
  return `cohostd refused the token${detail ? `: ${detail}` : ''}. Mint a new one with cohostd admin-token and paste it below.`;
}

// trouble is the banner for an error that passes: the data shown stays, the console retries.
export function trouble(err, retryMs) {
  const again = `Trying again in ${duration(retryMs)}.`;
  if (err.network) return `cohostd cannot be reached from this browser (the network, or cohostd is restarting). ${again}`;
  switch (err.code) {
    case 'unavailable':
      return `cohost's database cannot be reached, so the admin API cannot read the ledger (cohostd: “${err.detail || 'unavailable'}”). Grants are delayed, not lost. ${again}`;
    case 'internal':
      return `cohostd could not read the ledger; its log has the cause (“${err.detail || 'internal'}”). ${again}`;
    case 'malformed':
      return `cohostd's answer was not the admin API's (HTTP ${err.status}; a proxy in between?). ${again}`;
  }
  return `cohostd answered ${err.status}${err.code ? ` ${err.code}` : ''}${err.detail ? `: ${err.detail}` : ''}. ${again}`;
}

// hostLinkProblem says why no host link was made.
export function hostLinkProblem(err) {
  switch (err.code) {
    case 'host_client_disabled':
      return `Host links are off on this cohostd: ${err.detail || 'the host-client granter is not in COHOST_GRANTERS'}.`;
    case 'public_url_unset':
      return `No host link: ${err.detail || 'COHOST_PUBLIC_URL is not set'}.`;
    case 'meeting_unknown_to_zoom':
      return `Zoom does not know this meeting in the account: ${err.detail}`;
    case 'host_not_in_account':
      return `The meeting's host is not a user of the account cohost is installed for: ${err.detail}`;
  }
  if (err.network) return 'No host link: cohostd cannot be reached. Try again in a moment.';
  return `No host link: cohostd answered ${err.status}${err.code ? ` ${err.code}` : ''}${err.detail ? ` (${err.detail})` : ''}.`;
}
