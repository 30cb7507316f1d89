// The admin API (api/admin.openapi.yaml) as the console reads it. The admin token travels only
// in the Authorization header: no URL, console line or error message carries it.
//
// Reads revalidate: each GET sends back the ETag of the last answer to the same path as
// If-None-Match, and a 304 returns that answer again, marked unchanged, so that a poll of an
// unchanged ledger costs no body and no re-rendering.

// ApiError is a failed request: an ErrorResponse of cohostd (status, code, detail), an answer
// that is not JSON (code 'malformed'), or no answer at all (network true, code 'network').
export class ApiError extends Error {
  constructor({ status = 0, code = '', detail = '', network = false }) {
    super(network ? 'cohostd cannot be reached' : `cohostd answered ${status}${code ? ` ${code}` : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = network ? 'network' : code;
    this.detail = detail;
    this.network = network;
  }

  // refused: the token is not accepted (401); a new one is needed.
  get refused() {
    return this.status === 401;
  }

  // off: the admin API is off on this cohostd (COHOST_ADMIN_SECRET unset).
  get off() {
    return this.status === 404 && this.code === 'admin_api_disabled';
  }

  // passing: the same request may succeed later (no answer, a proxy's page, a server failure).
  get passing() {
    return this.network || this.code === 'malformed' || this.status >= 500;
  }
}

// How long a request may take before the console treats it as unanswered.
const requestTimeoutMs = 15000;

export class AdminAPI {
  constructor(base, token) {
    this.base = base;
    // Kept in a closure so that the object prints without it.
    const auth = `Bearer ${token}`;
    this.send = (method, path, headers, body) => send(method, this.base + path, auth, headers, body);
    // path → {etag, data} of the last 200 answer.
    this.cache = new Map();
  }

  // get reads a path; it resolves {data, changed}, changed false when cohostd answered 304.
  async get(path) {
    const last = this.cache.get(path);
    const headers = last ? { 'If-None-Match': last.etag } : {};
    const { status, data, etag } = await this.send('GET', path, headers);
    if (status === 304 && last) return { data: last.data, changed: false };
    if (status === 304) throw new ApiError({ status, code: 'malformed', detail: 'a 304 without an earlier answer' });
    if (etag) this.cache.set(path, { etag, data });
    return { data, changed: true };
  }

  meetings() {
    return this.get('/meetings?limit=100');
  }

  meeting(id) {
    return this.get(`/meetings/${encodeURIComponent(id)}`);
  }

  summary() {
    return this.get('/summary?window=1h');
  }

  // hostLink mints a host link: {url, expires_at, meeting_id, account_id}.
  async hostLink(id) {
    const { data } = await this.send('POST', `/meetings/${encodeURIComponent(id)}/host-link`, { 'Content-Type': 'application/json' }, '{}');
    return data;
  }
}

async function send(method, url, auth, headers, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), requestTimeoutMs);
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: { ...headers, Authorization: auth, Accept: 'application/json' },
      body,
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
  if (res.status === 304) return { status: 304, data: null, etag: res.headers.get('ETag') };
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = data && typeof data.error === 'string' ? data.error : res.status >= 500 ? 'malformed' : '';
    const detail = data && typeof data.detail === 'string' ? data.detail : '';
    throw new ApiError({ status: res.status, code, detail });
  }
  if (!data || typeof data !== 'object') {
    // A proxy's page or a truncated body: as good as no answer.
    throw new ApiError({ status: res.status, code: 'malformed', detail: 'the answer was not JSON' });
  }
  return { status: res.status, data, etag: res.headers.get('ETag') };
}
