// Zoom's Web Meeting SDK, Component View, as the host page uses it: only the functions and events
// of meetingsdk.Surface (createClient, init, join, on, getAttendeeslist, getCurrentUser,
// makeCoHost, leaveMeeting, endMeeting). Shapes and errors are those of meetingsdk/SURFACE.md.

export const sdkEvents = ['user-added', 'user-updated', 'user-removed', 'connection-change'];

// sdkLoaded reports whether the SDK's scripts defined window.ZoomMtgEmbedded.
export function sdkLoaded() {
  const z = window.ZoomMtgEmbedded;
  return !!z && typeof z.createClient === 'function';
}

// entry maps a Participant of getAttendeeslist()/getCurrentUser() to a HostRosterEntry, field by
// field. Event payloads are raw attribute deltas (bCoHost, userGUID, …), so the page never builds
// the roster from them; it re-reads the list.
export function entry(p) {
  return {
    user_id: Number(p.userId) || 0,
    participant_uuid: String(p.participantUUID ?? p.userGuid ?? p.userGUID ?? ''),
    user_name: String(p.userName ?? p.displayName ?? ''),
    is_host: !!p.isHost,
    is_co_host: !!p.isCoHost,
    is_hold: !!(p.isHold ?? p.bHold),
    is_phone_user: !!p.isPhoneUser,
    is_guest: !!p.isGuest,
  };
}

// sdkError turns a rejection into a HostSDKError: the SDK's {type, reason, errorCode}, or an
// exception's name and message.
export function sdkError(e) {
  if (e instanceof Error) return { type: e.name || 'Error', reason: e.message || '' };
  if (e && typeof e === 'object') {
    const out = { type: String(e.type || 'UNKNOWN') };
    if (e.reason !== undefined && e.reason !== null && e.reason !== '') out.reason = String(e.reason);
    if (typeof e.errorCode === 'number') out.error_code = e.errorCode;
    return out;
  }
  return { type: 'UNKNOWN', reason: String(e) };
}

// The toolbar the SDK draws below the video takes about this much height.
const toolbarPx = 72;

// videoSize fits the SDK's video (16:9) into the meeting area, so that Zoom's view sits in it
// rather than floating over the panel.
function videoSize(el) {
  const r = el.getBoundingClientRect();
  const w = Math.max(320, Math.floor(r.width) - 16);
  const h = Math.max(180, Math.floor(r.height) - toolbarPx - 16);
  const width = Math.min(w, Math.floor((h * 16) / 9));
  return { width, height: Math.floor((width * 9) / 16) };
}

export class Meeting {
  // assetPath is init's assetPath, or '' for the SDK's default (Zoom's CDN for its version).
  constructor(root, stage, assetPath) {
    this.root = root;
    this.stage = stage;
    this.assetPath = assetPath;
    this.client = null;
    // The makeCoHost call under way, or null: the page never has two in flight.
    this.pending = null;
    // Who Zoom holds in the waiting room, by user id: getAttendeeslist() leaves them out, and
    // user-added announces them with bHold (meetingsdk/SURFACE.md), so the page keeps them from
    // the events.
    this.held = new Map();
  }

  // track follows the waiting room in an SDK event's raw attributes (an array of users).
  track(name, payload) {
    const users = Array.isArray(payload) ? payload : payload && typeof payload === 'object' ? [payload] : [];
    for (const u of users) {
      const id = Number(u && u.userId);
      if (!Number.isSafeInteger(id) || id <= 0) continue;
      if (name === 'user-removed' || u.bHold === false) {
        this.held.delete(id);
      } else if (u.bHold === true) {
        this.held.set(id, { ...(this.held.get(id) || {}), ...u, bHold: true });
      } else if (name === 'user-updated' && this.held.has(id) && typeof u.displayName === 'string') {
        this.held.get(id).displayName = u.displayName;
      }
    }
  }

  // init creates the client, initialises it in the meeting area and listens to its events.
  // The options are chosen one by one (docs/host-client.md, "The SDK's options"):
  // - patchJsMedia false: the media module is the pinned version's, from assetPath, which the
  //   page's policy names and the tests load; true would fetch one that Zoom's join answer names,
  //   untested and from a host the policy may not allow.
  // - leaveOnPageUnload true: a reload or a closed tab leaves at once, so no ghost of the host
  //   stays in the roster while the next page load (which takes the meeting over) joins again.
  // - video: Zoom's view fits the meeting area and stays there (not resizable, not draggable, so
  //   it never floats over the panel), and opens in gallery view, the host seeing the room: the
  //   6.2.0 bundle would open ribbon view wherever it can show several videos (with
  //   SharedArrayBuffer, on the isolated page). It still switches to ribbon view while a share is
  //   shown, whatever the default.
  // - enforceVirtualBackground unset: with SharedArrayBuffer virtual backgrounds work without it;
  //   without, forcing them costs the host's CPU.
  async init(onEvent) {
    this.client = window.ZoomMtgEmbedded.createClient();
    const opts = {
      zoomAppRoot: this.root,
      language: 'en-US',
      patchJsMedia: false,
      leaveOnPageUnload: true,
      customize: {
        video: {
          isResizable: false,
          popper: { disableDraggable: true },
          viewSizes: { default: videoSize(this.stage) },
          defaultViewType: 'gallery',
        },
      },
    };
    if (this.assetPath) opts.assetPath = this.assetPath;
    await this.client.init(opts);
    // Only now: in 6.2.0 on() throws a TypeError before init, which sets the event list.
    for (const name of sdkEvents) {
      this.client.on(name, (payload) => {
        if (name !== 'connection-change') this.track(name, payload);
        onEvent(name, payload);
      });
    }
  }

  // join starts the meeting as its host with what cohostd's start answered.
  join(start) {
    const opts = {
      signature: start.signature,
      meetingNumber: String(start.meeting_number),
      password: start.password || '',
      userName: start.user_name || 'Host',
      zak: start.zak,
    };
    if (start.user_email) opts.userEmail = start.user_email;
    return this.client.join(opts);
  }

  // roster is getAttendeeslist() as HostRosterEntry values ([] before the join).
  // Those in the waiting room, whom the list leaves out, come after it with is_hold.
  roster() {
    if (!this.client) return [];
    let list = [];
    try {
      const got = this.client.getAttendeeslist();
      list = Array.isArray(got) ? got.filter((p) => p && typeof p === 'object').map(entry) : [];
    } catch {
      list = [];
    }
    const listed = new Set(list.map((e) => e.user_id));
    for (const [id, u] of this.held) {
      if (!listed.has(id)) list.push({ ...entry(u), is_hold: true });
    }
    return list;
  }

  // me is getCurrentUser() as a HostRosterEntry, or null before the join.
  me() {
    if (!this.client) return null;
    try {
      const p = this.client.getCurrentUser();
      return p && typeof p === 'object' ? entry(p) : null;
    } catch {
      return null;
    }
  }

  get promoting() {
    return this.pending !== null;
  }

  // makeCoHost calls client.makeCoHost(userId) and settles with {ok: true} or {ok: false, error}
  // once the SDK does; it never rejects. A call while another is in flight is refused without
  // reaching the SDK: the SDK resolves only when the roster shows the co-host, and one call at a
  // time is what keeps promotions within Zoom's pace.
  makeCoHost(userId) {
    if (this.pending) return Promise.reject(new Error('a makeCoHost call is already in flight'));
    const call = (async () => {
      try {
        await this.client.makeCoHost(userId);
        return { ok: true };
      } catch (e) {
        return { ok: false, error: sdkError(e) };
      }
    })();
    this.pending = call;
    return call.finally(() => {
      this.pending = null;
    });
  }

  leave() {
    return this.client ? this.client.leaveMeeting() : Promise.resolve('');
  }

  end() {
    return this.client.endMeeting();
  }
}
