// zoomsim's simulated Web Meeting SDK, Component View: window.ZoomMtgEmbedded with the surface and
// the shapes of @zoom/meetingsdk 6.2.0 (see meetingsdk/SURFACE.md in cohost's repository), backed
// by the simulator that served this file. It calls only the origin it was loaded from (fetch,
// EventSource and sendBeacon), evaluates no strings and adds no inline code or styles, so it runs
// under a CSP that allows that origin in script-src and connect-src.
(function () {
  'use strict';
  if (typeof window.ZoomMtgEmbedded !== 'undefined') return;

  const VERSION = '6.2.0';
  const script = document.currentScript;
  // The endpoints sit beside the script: <origin>/sdk/v1/…
  const api = new URL('v1/', script ? script.src : location.href).href;

  const EVENTS = ['user-added', 'user-updated', 'user-removed', 'connection-change'];

  // The bundle hands getAttendeeslist()/getCurrentUser() a normalised copy of Zoom's raw
  // attributes: some renamed (bCoHost → isCoHost, bGuest → isGuest, userGUID → userGuid and
  // participantUUID), some doubled under a v4 name (displayName → userName, bHold → isHold,
  // bVideoOn → video). Event listeners get the raw attributes.
  function normalize(raw) {
    const p = {
      userId: raw.userId,
      displayName: raw.displayName,
      userName: raw.displayName,
      audio: raw.audio,
      isHost: !!raw.isHost,
      avatar: raw.avatar,
      bRaiseHand: raw.bRaiseHand,
      bHold: raw.bHold,
      isHold: raw.bHold,
      bVideoOn: raw.bVideoOn,
      video: raw.bVideoOn,
      sharerOn: raw.sharerOn,
      sharePause: raw.sharerPause,
      feedback: raw.feedback,
      bLocalRecord: raw.bLocalRecord,
      strPronoun: raw.strPronoun,
      pronoun: raw.strPronoun,
      audioConnectionStatus: raw.audioConnectionStatus,
      audioStatus: raw.audioConnectionStatus,
      bVideoConnect: raw.bVideoConnect,
      isVideoConnect: raw.bVideoConnect,
      customerKey: raw.userIdentity,
      userKey: raw.userIdentity,
      isSpeakerOnly: raw.isSpeakerOnly,
      isBotUser: raw.bBotUser,
      userGuid: raw.userGUID,
      participantUUID: raw.userGUID,
      isGuest: raw.bGuest,
      isOriginalHost: !!raw.bOriginalHost,
      isCoHost: !!raw.bCoHost,
      muted: raw.isSpeakerOnly || raw.audio === '' ? undefined : raw.muted,
      isPhoneUser: raw.userType === 5,
    };
    if (p.isPhoneUser) {
      if (raw.phoneNumber) p.phoneNumber = raw.phoneNumber;
      p.dialType = raw.callInVendor !== undefined ? 'dial in' : 'dial out';
    }
    return p;
  }

  function post(path, body) {
    return fetch(api + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
      cache: 'no-store',
      credentials: 'omit',
    }).then((r) => r.json());
  }

  function decodeSignature(sig) {
    // As the bundle does: the payload of the JWT, base64url, for appKey.
    const part = sig.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(window.atob(part).split('').map((c) => '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2)).join('')));
  }

  class EmbeddedClient {
    constructor() {
      let events = null; // the event names on/off accept; set by init, as in the bundle
      let root = null;
      let unloadLeave = false;
      let session = null; // {id, userId, timeoutMs}
      let source = null;
      let joined = false;
      let self = null;
      const roster = new Map(); // userId → raw attributes
      const listeners = new Map();
      const updateWaiters = new Set();

      const emit = (name, payload) => {
        for (const cb of Array.from(listeners.get(name) || [])) {
          try {
            cb(payload);
          } catch (e) {
            setTimeout(() => { throw e; });
          }
        }
      };

      const closeStream = () => {
        if (source) source.close();
        source = null;
      };

      const apply = (name, payload) => {
        if (name === 'user-added') {
          for (const a of payload) {
            roster.set(a.userId, Object.assign({}, a));
            if (session && a.userId === session.userId) self = roster.get(a.userId);
          }
        } else if (name === 'user-updated') {
          for (const d of payload) {
            const cur = roster.get(d.userId);
            if (cur) Object.assign(cur, d);
          }
          for (const w of Array.from(updateWaiters)) w(payload);
        } else if (name === 'user-removed') {
          for (const a of payload) roster.delete(a.userId);
        } else if (name === 'connection-change') {
          if (payload.state === 'Connected') joined = true;
          if (payload.state === 'Closed') {
            joined = false;
            session = null;
            self = null;
            roster.clear();
            closeStream();
            for (const w of Array.from(updateWaiters)) w(null);
          }
        }
        emit(name, payload);
      };

      this.init = (opts) => {
        opts = opts || {};
        if (!opts.zoomAppRoot) {
          return Promise.reject({ type: 'INIT_MEETING_FAILED', reason: 'zoomAppRoot cannot be falsy', errorCode: -1 });
        }
        root = opts.zoomAppRoot;
        if (root.style && root.style.display !== 'flex') root.style.display = 'flex';
        unloadLeave = !!opts.leaveOnPageUnload;
        events = EVENTS.slice();
        return Promise.resolve('');
      };

      this.on = (event, callback) => {
        if (typeof callback !== 'function') {
          console.warn('Callback should be a function');
          return;
        }
        // Before init the bundle's list is undefined, and on() throws this TypeError.
        if (events === null) throw new TypeError("Cannot read properties of undefined (reading 'includes')");
        if (!events.includes(event)) return;
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event).add(callback);
      };

      this.off = (event, callback) => {
        if (typeof callback !== 'function') {
          console.warn('Callback should be a function');
          return;
        }
        if (events === null) throw new TypeError("Cannot read properties of undefined (reading 'includes')");
        const set = listeners.get(event);
        if (set) set.delete(callback);
      };

      this.join = async (args) => {
        args = args || {};
        const claims = decodeSignature(args.signature);
        if (!claims.appKey) console.warn('The appKey is required to be included in the signature. Please check your signature and appKey. https://developers.zoom.us/docs/meeting-sdk/auth/');
        if (claims.sdkKey) console.warn('The sdkKey will be deprecated in the signature after v5.0.0, please use appKey:sdkKey or appKey:clientId in your signature.');
        if (!claims.appKey && !claims.sdkKey) throw new Error('appKey can not empty in the signature');
        if (!root) throw new Error('zoomAppRoot must be defined');
        if (!args.userName) throw new Error('userName cannot be empty');
        if (args.zak && args.obfToken) throw new Error('zak and obfToken are mutually exclusive. Please provide only one.');
        if (session || joined) {
          throw { type: 'INVALID_OPERATION', reason: 'Duplicated join operation', errorCode: 5012 };
        }
        let res;
        try {
          res = await post('join', {
            signature: args.signature,
            meetingNumber: String(args.meetingNumber),
            password: args.password || '',
            userName: args.userName,
            userEmail: args.userEmail || '',
            zak: args.zak || '',
            tk: args.tk || '',
            customerKey: args.customerKey || '',
          });
        } catch (e) {
          res = { type: 'JOIN_MEETING_FAILED', reason: 'connection error', errorCode: -3000 };
        }
        if (!res.session) {
          const err = { type: res.type || 'JOIN_MEETING_FAILED', reason: res.reason, errorCode: res.errorCode };
          emit('connection-change', { state: 'Fail', reason: err.reason, errorCode: err.errorCode });
          throw err;
        }
        session = { id: res.session, userId: res.userId, timeoutMs: res.makeCoHostTimeoutMs };
        const leaveURL = api + 'sessions/' + encodeURIComponent(res.session) + '/leave';
        if (unloadLeave) {
          window.addEventListener('pagehide', () => {
            if (session) navigator.sendBeacon(leaveURL);
          }, { once: true });
        }
        return new Promise((resolve, reject) => {
          let settled = false;
          const es = new EventSource(api + 'sessions/' + encodeURIComponent(res.session) + '/events');
          source = es;
          es.onmessage = (m) => {
            let ev;
            try {
              ev = JSON.parse(m.data);
            } catch (e) {
              return;
            }
            apply(ev.event, ev.payload);
            if (!settled && joined && self) {
              settled = true;
              resolve('');
            }
            if (!settled && ev.event === 'connection-change' && ev.payload.state === 'Closed') {
              settled = true;
              reject({ type: 'JOIN_MEETING_FAILED', reason: 'connection error', errorCode: -3000 });
            }
          };
        });
      };

      this.getCurrentUser = () => (joined && self ? normalize(self) : null);

      this.getAttendeeslist = () => {
        if (!joined || !self || self.bHold) return [];
        return Array.from(roster.values()).filter((a) => !a.bHold).map(normalize);
      };

      this.makeCoHost = async (userId) => {
        if (!session) {
          // Nothing to reach: the bundle finds no such user in an empty roster.
          throw { type: 'INVALID_PARAMETERS', reason: 'no matching user' };
        }
        const s = session;
        const started = Date.now();
        let res;
        try {
          res = await post('sessions/' + encodeURIComponent(s.id) + '/cohost', { userId: userId });
        } catch (e) {
          throw { type: 'OPERATION_TIMEOUT', errorCode: 1 };
        }
        if (res.error) throw res.error;
        // Zoom made the change and the roster has it, or will in a moment: settle when this page's
        // roster shows it, as the bundle does.
        const shows = () => {
          const a = roster.get(userId);
          return a && a.bCoHost === true;
        };
        if (shows()) return '';
        return new Promise((resolve, reject) => {
          const left = Math.max(0, s.timeoutMs - (Date.now() - started));
          const done = (ok, err) => {
            clearTimeout(timer);
            updateWaiters.delete(waiter);
            ok ? resolve('') : reject(err);
          };
          const waiter = (payload) => {
            if (payload === null) return done(false, { type: 'IMPROPER_MEETING_STATE', reason: 'closed', errorCode: 5002 });
            const d = payload.find((x) => x.userId === userId && x.bCoHost !== undefined);
            if (!d) return;
            d.bCoHost === true ? done(true) : done(false, { type: 'INTERNAL_ERROR', errorCode: 2 });
          };
          const timer = setTimeout(() => done(false, { type: 'OPERATION_TIMEOUT', errorCode: 1 }), left);
          updateWaiters.add(waiter);
        });
      };

      this.leaveMeeting = async () => {
        // leaveMeeting(userId) would first make userId host; host transfer is not simulated.
        if (!session) return '';
        const s = session;
        try {
          await post('sessions/' + encodeURIComponent(s.id) + '/leave');
        } catch (e) {
          // Leaving needs no answer: the stream's end does the rest.
        }
        if (session === s) apply('connection-change', { state: 'Closed' });
        return '';
      };

      this.endMeeting = async () => {
        if (!session) throw { type: 'INSUFFICIENT_PRIVILEGES', reason: 'only host can do the operation', errorCode: 5007 };
        const s = session;
        const res = await post('sessions/' + encodeURIComponent(s.id) + '/end');
        if (res.error) throw res.error;
        if (session === s) apply('connection-change', { state: 'Closed' });
        return '';
      };
    }
  }

  let client;
  window.ZoomMtgEmbedded = {
    VERSION: VERSION,
    createClient() {
      if (!client) client = new EmbeddedClient();
      return client;
    },
    destroyClient() {
      client = undefined;
    },
  };
})();
