// The API client: bearer tokens, automatic refresh, honest error messages.
//
// Tokens live in sessionStorage: per tab, gone when the tab closes, never
// sent by the browser on its own (so no CSRF surface, unlike cookies), and
// kept across a reload. What a script on the page could read is guarded by
// the Content-Security-Policy (script only from this origin) and by never
// rendering user text as markup.

const storageKey = 'numeneon.tokens';

// Refresh this long before the access token expires.
const refreshMargin = 60_000;

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let tokens = readTokens();
let refreshing = null;
let refreshTimer = 0;
const sessionListeners = new Set();
const refreshListeners = new Set();

// onRefresh calls fn(accessToken) after every successful refresh.
export function onRefresh(fn) {
  refreshListeners.add(fn);
}

function readTokens() {
  try {
    const t = JSON.parse(sessionStorage.getItem(storageKey));
    return t && typeof t.access === 'string' && typeof t.refresh === 'string' ? t : null;
  } catch {
    return null;
  }
}

// tokenExpiry returns the exp claim of a JWT in milliseconds (0 if unreadable).
export function tokenExpiry(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).exp * 1000 || 0;
  } catch {
    return 0;
  }
}

export function signedIn() {
  return tokens !== null;
}

// onSessionChange calls fn(signedIn, reason) when the user signs in, or when
// the session ends (logout, or a refresh the server refused).
export function onSessionChange(fn) {
  sessionListeners.add(fn);
}

function setTokens(pair) {
  // Always keep the refresh token the server answered with: under
  // REFRESH_ROTATION=strict the old one is revoked once used.
  tokens = { access: pair.access, refresh: pair.refresh };
  sessionStorage.setItem(storageKey, JSON.stringify(tokens));
  scheduleRefresh();
}

function endSession(reason) {
  const was = tokens !== null;
  tokens = null;
  sessionStorage.removeItem(storageKey);
  clearTimeout(refreshTimer);
  if (was) sessionListeners.forEach((fn) => fn(false, reason));
}

// scheduleRefresh renews the access token a minute before it expires. Timers
// are late after a laptop sleeps, so accessToken() checks the expiry too.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!tokens) return;
  const wait = Math.max(5_000, tokenExpiry(tokens.access) - Date.now() - refreshMargin);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

export function resumeSession() {
  if (tokens) scheduleRefresh();
}

// refresh trades the refresh token for a new pair. Concurrent callers share
// one request, so a rotated refresh token is never used twice. A refusal
// (401/403) ends the session; a network failure does not.
export function refresh() {
  if (!tokens) return Promise.reject(new ApiError(401, 'You are signed out.'));
  if (!refreshing) {
    const used = tokens.refresh;
    refreshing = send('POST', '/api/auth/token/refresh/', { refresh: used }, null)
      .then((pair) => {
        if (!tokens) throw new ApiError(401, 'You are signed out.');
        if (tokens.refresh === used) {
          setTokens(pair);
          refreshListeners.forEach((fn) => fn(pair.access));
        }
        return tokens.access;
      })
      .catch((err) => {
        if (err.status === 401 || err.status === 403) {
          endSession(err.status === 403 ? err.message : 'Your session has ended. Please log in again.');
        }
        throw err;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// accessToken returns a token valid for at least refreshMargin, refreshing
// first when needed.
export async function accessToken() {
  if (!tokens) throw new ApiError(401, 'You are signed out.');
  if (tokenExpiry(tokens.access) - Date.now() < refreshMargin) return refresh();
  return tokens.access;
}

// api calls an authenticated route; on 401 it refreshes once and retries.
export async function api(method, path, body) {
  const token = await accessToken();
  try {
    return await send(method, path, body, token);
  } catch (err) {
    if (err.status !== 401 || !tokens) throw err;
    return send(method, path, body, await refresh());
  }
}

export async function login(email, password) {
  setTokens(await send('POST', '/api/auth/login/', { email, password }, null));
  sessionListeners.forEach((fn) => fn(true));
}

export async function signup(fields) {
  await send('POST', '/api/auth/signup/', fields, null);
  await login(fields.email, fields.password);
}

// logout signs this login out on the server (every token of its family),
// then forgets the tokens even if the server could not be reached.
export async function logout() {
  const t = tokens;
  try {
    if (t) await send('POST', '/api/auth/logout/', { refresh: t.refresh }, null);
  } catch {
    // The tokens are forgotten here anyway; the access token runs out
    // within the hour.
  } finally {
    endSession('You have logged out.');
  }
}

async function send(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined && body !== null) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body == null ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res, data), data);
  return data;
}

// errorMessage says what the server said, in its words where it gave some.
function errorMessage(res, data) {
  if (res.status === 429) {
    const after = Number(res.headers.get('Retry-After'));
    return after > 0 ? `Too many attempts. Try again in ${after} s.` : 'Too many attempts. Try again shortly.';
  }
  if (data && typeof data === 'object') {
    for (const key of ['error', 'detail', 'message']) {
      if (typeof data[key] === 'string') return data[key];
    }
    const fields = Object.entries(data)
      .filter(([, v]) => Array.isArray(v))
      .map(([k, v]) => {
        const name = k.replace(/_/g, ' ');
        return `${name.charAt(0).toUpperCase() + name.slice(1)}: ${v.join(' ')}`;
      });
    if (fields.length) return fields.join(' ');
  }
  if (res.status >= 500) return `The server had a problem (${res.status}). Try again in a moment.`;
  return `The request failed (${res.status}).`;
}
