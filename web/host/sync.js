// The sync loop of the host page protocol: report what the SDK shows (HostSyncRequest), render
// the panel cohostd computed, do the action it answers. It syncs every sync_ms, soon after any SDK
// event and right after a makeCoHost settles; it backs off while cohostd cannot be reached, and
// the meeting goes on meanwhile.

import { ApiError } from './cohost-api.js';

// Events come in bursts (a joiner is added, then updated); one sync reports a burst.
export const debounceMs = 150;
// Bounds on cohostd's sync_ms, so that a bad answer neither floods cohostd nor stalls the page.
const minSyncMs = 250;
const maxSyncMs = 60000;
const defaultSyncMs = 5000;
// Retry delays while cohostd cannot be reached: 1, 2, 4, 8, then 10 s, with ±20 % jitter so
// that the pages of many meetings do not come back in step.
const maxBackoffMs = 10000;
// The longest wait before a makeCoHost cohostd asks for (HostAction.delay_ms) that the page honours:
// the pace's interval is seconds, not minutes.
const maxDelayMs = 60000;

export function backoff(failures) {
  const base = Math.min(maxBackoffMs, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function syncInterval(ms, fallback) {
  return Number.isFinite(ms) && ms > 0 ? Math.min(maxSyncMs, Math.max(minSyncMs, ms)) : fallback;
}

export class SyncLoop {
  // api: CohostAPI; meeting: Meeting; hooks: {panel(p), trouble(err), recovered(), stopped(info)}.
  constructor({ api, meeting, sessionId, syncMs, hooks }) {
    this.api = api;
    this.meeting = meeting;
    this.sessionId = sessionId;
    this.syncMs = syncInterval(syncMs, defaultSyncMs);
    this.hooks = hooks;
    // HostSyncRequest.Connection: joining until the SDK says otherwise, left/ended once the host
    // pressed Leave or End (the SDK's later Closed does not replace them).
    this.connection = 'joining';
    // running → closing (left, ended or failed: deliver the last report, then stop) → stopped.
    this.state = 'idle';
    this.timer = null;
    this.dueAt = Infinity;
    this.inFlight = false;
    this.again = false;
    this.failures = 0;
    // The makeCoHost result not yet delivered: sent with every sync until one succeeds.
    this.result = null;
    // The call_id of the makeCoHost under way, and every call_id acted on, so that the same
    // call is never made twice and a second one never starts while one is in flight.
    this.callInFlight = null;
    this.callIDs = new Set();
  }

  start() {
    this.state = 'running';
    this.schedule(0);
  }

  // sdkConnection records a connection-change state.
  sdkConnection(state) {
    if (this.state === 'closing' || this.state === 'stopped') return;
    if (typeof state === 'string' && state) this.connection = state;
  }

  // nudge asks for a sync soon, after an SDK event.
  nudge(ms = debounceMs) {
    // While cohostd is away the backoff decides; its retry carries the latest state anyway. While
    // a makeCoHost runs, its result's report comes at once when it settles and carries the
    // latest roster too: a report in between would only hold that one up (a storm's events
    // otherwise keep a report in flight when the result comes).
    if (this.state === 'stopped' || this.state === 'idle' || this.failures > 0 || this.callInFlight !== null) return;
    this.schedule(ms);
  }

  // close ends the page's work: connection is the last state to report ('left', 'ended',
  // 'Fail'); the loop stops once cohostd has it and no makeCoHost result is left to deliver.
  close(connection) {
    if (this.state === 'stopped') return;
    this.connection = connection;
    this.state = 'closing';
    this.schedule(0);
  }

  stop(info) {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.timer = null;
    this.hooks.stopped(info);
  }

  // schedule arranges a sync in ms, unless one is already due sooner.
  schedule(ms) {
    if (this.state === 'stopped') return;
    const at = Date.now() + ms;
    if (this.timer !== null && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dueAt = Infinity;
      this.tick();
    }, ms);
  }

  async tick() {
    if (this.state === 'stopped') return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.again = false;
    const result = this.result;
    const body = { session_id: this.sessionId, connection: this.connection, roster: this.meeting.roster() };
    const me = this.meeting.me();
    if (me) body.me = me;
    if (result) body.result = result;
    let next = this.syncMs;
    let delivered = false;
    try {
      const res = await this.api.sync(body);
      delivered = true;
      if (result && this.result === result) this.result = null;
      if (this.failures > 0) {
        this.failures = 0;
        this.hooks.recovered();
      }
      this.syncMs = syncInterval(res.sync_ms, this.syncMs);
      next = this.syncMs;
      // A stop carries no panel worth showing (another tab holds the meeting, or it ended): the
      // last one stays, marked as last reported.
      const stop = res.action && res.action.kind === 'stop';
      // The action first: a makeCoHost starts before the panel is drawn, so that drawing a crowd's
      // panel overlaps the call instead of delaying it.
      this.act(res.action && typeof res.action === 'object' ? res.action : {});
      if (res.panel && typeof res.panel === 'object' && !stop) this.hooks.panel(res.panel);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError({ code: 'malformed', detail: String(e) });
      if (err.linkRefused) {
        this.stop({ kind: 'link', err });
      } else if (err.status === 410) {
        this.stop({ kind: 'over', err });
      } else {
        this.failures++;
        next = backoff(this.failures);
        this.hooks.trouble(err);
      }
    } finally {
      this.inFlight = false;
    }
    if (this.state === 'stopped') return;
    if (this.state === 'closing' && delivered && body.connection === this.connection && !this.callInFlight && !this.result) {
      this.stop({ kind: 'closed', connection: this.connection });
      return;
    }
    // A report asked for while this one ran goes next: at once when it carries a makeCoHost
    // result (its answer carries the next call, so a storm drains at cohostd's pace, not at the
    // round trip plus the debounce), else after the debounce.
    if (this.again && this.failures === 0) next = Math.min(next, this.result ? 0 : debounceMs);
    this.again = false;
    this.schedule(next);
  }

  act(action) {
    switch (action.kind) {
      case 'promote':
        this.promote(action);
        break;
      case 'stop':
        this.stop({ kind: 'stop', why: action.why || '' });
        break;
      default:
        // 'wait', or a kind this page does not know: nothing to do until the next sync.
        break;
    }
  }

  promote(action) {
    if (this.state !== 'running') return;
    const id = String(action.call_id || '');
    const userId = Number(action.user_id);
    if (!id || !Number.isSafeInteger(userId) || userId <= 0) return;
    // One call at a time, its result delivered before the next: cohostd asks again once it has
    // the result. The same call is never made twice.
    if (this.callInFlight !== null || this.result !== null || this.meeting.promoting || this.callIDs.has(id)) return;
    this.callIDs.add(id);
    this.callInFlight = id;
    // cohostd may ask for the call before the pace's interval is over: it starts when it is.
    const delay = Number(action.delay_ms);
    const wait = Number.isFinite(delay) && delay > 0 ? Math.min(delay, maxDelayMs) : 0;
    // A page stopped meanwhile (ended, taken over) makes no call and reports nothing: the call's
    // lease in cohostd runs out, and whoever holds the meeting then is asked again.
    const call = () => (this.state === 'running' ? this.meeting.makeCoHost(userId) : Promise.resolve(null));
    (wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)).then(call) : call()).then(
      (outcome) => {
        if (outcome === null) {
          this.callInFlight = null;
          return;
        }
        this.result = { call_id: id, ...outcome };
        this.callInFlight = null;
        // Report it at once, unless cohostd is away: then the backoff's retry carries it.
        if (this.failures === 0) this.schedule(0);
      },
      () => {
        // Refused by the page's own guard; cannot happen with the checks above.
        this.callInFlight = null;
      },
    );
  }
}
