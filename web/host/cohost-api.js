// The host page protocol's two routes (api/hostpage.go): start and sync. The link's secret
// travels only in the Authorization header; no URL, console line or error message carries it.

// ApiError is a failed request: an ErrorResponse from cohostd (status, code, detail) or no
// answer at all (network true, code 'network').
export class ApiError extends Error {
  constructor({ status = 0, code = '', detail = '', network = false }) {
    super(network ? 'cohost cannot be reached' : `cohost answered ${status}${code ? ` ${code}` : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = network ? 'network' : code;
    this.detail = detail;
    this.network = network;
  }

  // retryable: the same request may succeed later (no answer, an answer that is not JSON, or a
  // server-side failure).
  get retryable() {
    return this.network || this.code === 'malformed' || this.status >= 500;
  }

  // linkRefused: cohostd no longer accepts this page's link for this meeting.
  get linkRefused() {
    return this.status === 401 || this.status === 403;
  }
}

// How long a request may take before the page treats it as unanswered.
const requestTimeoutMs = 20000;

export class CohostAPI {
  constructor(prefix, meetingId, secret) {
    this.base = `${prefix}/meetings/${encodeURIComponent(meetingId)}`;
    // Kept in a closure so that the object prints without it.
    const auth = `Bearer ${secret}`;
    this.post = (path, body) => post(this.base + path, auth, body);
  }

  // start: POST …/start → HostStartResponse.
  start() {
    return this.post('/start', {});
  }

  // sync: POST …/sync with a HostSyncRequest → HostSyncResponse.
  sync(body) {
    return this.post('/sync', body);
  }
}

async function post(url, auth, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), requestTimeoutMs);
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: auth, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      signal: ctl.signal,
    });
  } catch {
    throw new ApiError({ network: true });
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = data && typeof data.error === 'string' ? data.error : '';
    const detail = data && typeof data.detail === 'string' ? data.detail : '';
    throw new ApiError({ status: res.status, code, detail });
  }
  if (!data || typeof data !== 'object') {
    // A proxy's page or a truncated body: as good as no answer.
    throw new ApiError({ status: res.status, code: 'malformed', detail: 'the answer was not JSON' });
  }
  return data;
}
