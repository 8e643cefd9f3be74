// The one session per nation, and every API call of the page.
//
// One login per page load or nation switch: concurrent callers share the pending login
// (the old `token()` let four pollers log in in parallel). The token is never logged and
// never put in a URL: HTTP calls carry `Authorization: Bearer`, the WebSocket carries it as
// a subprotocol (`bearer.<token>` beside `biac.v1`), so a failed socket's console line (the
// browser prints the URL) holds no credential.

const sessions = new Map(); // nation -> { token, expiresAt }
const pending = new Map(); // nation -> Promise<token>
export const info = { logins: 0, byNation: new Map() }; // nation -> { user, expires }

// The demo's credentials: account `analyst-<nation>` / "demo"; an older server without the
// account has the API token `demo-<nation>`.
const demoToken = (nation) => `demo-${nation.toLowerCase()}`;

async function login(nation) {
  info.logins += 1;
  try {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ user: `analyst-${nation.toLowerCase()}`, password: 'demo' }),
      cache: 'no-store',
    });
    if (res.ok) {
      const b = await res.json();
      sessions.set(nation, { token: b.token, expiresAt: Date.now() + b.expires_in_s * 1000 });
      info.byNation.set(nation, { nation, user: b.user, expires: b.expires });
      return b.token;
    }
    // The server answered but has no such account (an older server): its demo API token,
    // kept like a session so that the next call does not log in again.
    sessions.set(nation, { token: demoToken(nation), expiresAt: Date.now() + 5 * 60_000 });
  } catch {
    // the server is unreachable: the caller's request will fail and say so
  }
  return demoToken(nation);
}

export function token(nation) {
  const s = sessions.get(nation);
  if (s && s.expiresAt - Date.now() > 60_000) return Promise.resolve(s.token);
  if (!pending.has(nation)) {
    sessions.delete(nation);
    const p = login(nation).finally(() => pending.delete(nation));
    pending.set(nation, p);
  }
  return pending.get(nation);
}

/** Forget `nation`'s session if it is still `tok` (the server refused it: it restarted). */
export function drop(nation, tok) {
  if (sessions.get(nation)?.token === tok) sessions.delete(nation);
}

export class AuthError extends Error {
  constructor(status) {
    super(`not authorized (${status})`);
    this.auth = true;
  }
}

/**
 * `path` as `nation`. `isCurrent()` false when the answer arrives means the view moved on
 * (nation switch): the call rejects with an AbortError instead of returning stale data.
 */
export async function api(path, { nation, isCurrent = () => true, signal, method = 'GET', body } = {}, retried = false) {
  const stale = () => new DOMException('stale', 'AbortError');
  const tok = await token(nation);
  if (!isCurrent()) throw stale();
  const headers = { Authorization: `Bearer ${tok}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, cache: 'no-store', signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!isCurrent()) throw stale();
  if (res.status === 401 && !retried) {
    // a session ends early when the server restarts: log in again, once
    drop(nation, tok);
    return api(path, { nation, isCurrent, signal, method, body }, true);
  }
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status);
  if (!res.ok) throw new Error(`${path.split('?')[0]}: HTTP ${res.status}`);
  const out = res.status === 204 ? null : await res.json();
  if (!isCurrent()) throw stale();
  return out;
}

/** A WebSocket to /api/v1/ws authenticated by subprotocol (no token in the URL). */
export async function openSocket(nation) {
  const tok = await token(nation);
  const url = new URL('/api/v1/ws', document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocket(url.href, ['biac.v1', `bearer.${tok}`]);
}
