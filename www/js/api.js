// Talking to the registry: every call carries the session's token, and a 401 that names a
// Bearer challenge fetches a token for the scopes it asks for (the Docker token flow), then
// retries once.
//
// The token and the scopes it was asked for live in sessionStorage (this tab only). The password
// stays in memory: after a reload, a call needing a scope the token lacks asks for the password
// again (through the hook given to onReauthenticate). Without a /token endpoint (404) the
// registry has no access control: calls go out bare.

const STORE = sessionStorage;
const MAX_SCOPES = 40;

const session = {
  token: STORE.getItem("token"),
  scopes: JSON.parse(STORE.getItem("scopes") ?? "[]"),
  user: STORE.getItem("user"),
  /** Basic credentials while this page lives; never stored. */
  credentials: null,
  /** "unknown", "present" or "absent": whether GET /token exists. */
  tokenEndpoint: "unknown",
};

const listeners = new Set();
let inFlight = 0;
let reauthenticate = null;
let reauthenticating = null;

/** An error answer: the HTTP status and the first OCI error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }

  get needsSignIn() {
    return this.status === 401 || (this.status === 403 && !session.user);
  }
}

/**
 * `hook(user)` asks the signed-in user for the password again and resolves once answered or
 * cancelled; it is called when the page lost the password (a reload) and needs a new token.
 */
export function onReauthenticate(hook) {
  reauthenticate = hook;
}

/** The credentials for a token request: asks for the password again if it was lost. */
async function credentials() {
  if (session.credentials || !session.user || !reauthenticate) return session.credentials;
  reauthenticating ??= reauthenticate(session.user).finally(() => {
    reauthenticating = null;
  });
  await reauthenticating;
  return session.credentials;
}

/** Called with the session whenever it changes, and on in-flight request counts. */
export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener(state());
}

/** What the page shows about the session. */
export function state() {
  return {
    user: session.user,
    tokenEndpoint: session.tokenEndpoint,
    busy: inFlight > 0,
  };
}

function save(token, scopes, user) {
  session.token = token;
  session.scopes = scopes;
  session.user = user;
  for (const [key, value] of [["token", token], ["user", user]]) {
    if (value) STORE.setItem(key, value);
    else STORE.removeItem(key);
  }
  STORE.setItem("scopes", JSON.stringify(scopes));
  changed();
}

function basic(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** Asks /token for `scopes`, with the session's credentials if any. */
async function requestToken(scopes, service, credentials = session.credentials) {
  const query = new URLSearchParams();
  if (service) query.set("service", service);
  for (const scope of scopes) query.append("scope", scope);
  const headers = credentials ? { authorization: credentials } : {};
  const response = await fetch(`/token?${query}`, { headers, cache: "no-store" });
  if (response.status === 404) {
    session.tokenEndpoint = "absent";
    changed();
    return null;
  }
  session.tokenEndpoint = "present";
  if (!response.ok) throw await errorOf(response);
  const body = await response.json();
  return body.token ?? body.access_token ?? null;
}

/** Learns whether the registry has a token endpoint; answers the current state. */
export async function probe() {
  if (session.tokenEndpoint !== "unknown") return state();
  try {
    const token = await requestToken(session.scopes, undefined, null);
    // An anonymous token is worth keeping only for an anonymous session.
    if (token && !session.user) save(token, session.scopes, null);
  } catch {
    session.tokenEndpoint = "present";
  }
  changed();
  return state();
}

/**
 * Makes sure the session's token was asked for `wanted` (it grants what the caller may have of
 * them): one token request when any is new.
 */
export async function ensureScopes(wanted) {
  if (session.tokenEndpoint !== "present") return;
  const missing = wanted.filter((scope) => !session.scopes.includes(scope));
  if (!missing.length) return;
  const basic = await credentials();
  if (session.user && !basic) return;
  const scopes = [...new Set([...session.scopes, ...missing])].slice(-MAX_SCOPES);
  try {
    const token = await requestToken(scopes, undefined, basic);
    if (token) save(token, scopes, session.user);
  } catch {
    // The calls themselves will say what is refused.
  }
}

/** Signs in: a token for the catalog (and administration, for administrators) with these
 * credentials. Throws ApiError when refused. */
export async function signIn(username, password) {
  const credentials = basic(username, password);
  const kept = username === session.user ? session.scopes : [];
  const scopes = [...new Set(["registry:catalog:*", "registry:admin:*", ...kept])].slice(-MAX_SCOPES);
  const token = await requestToken(scopes, undefined, credentials);
  if (token === null) {
    throw new ApiError(404, "UNSUPPORTED", "This registry has no accounts: everyone sees the same.");
  }
  session.credentials = credentials;
  save(token, scopes, username);
}

export function signOut() {
  session.credentials = null;
  save(null, [], null);
}

/** `Bearer realm="…",service="…",scope="…"` as an object, or null for another scheme. */
function parseChallenge(header) {
  const match = /^\s*Bearer\s+(.*)$/i.exec(header ?? "");
  if (!match) return null;
  const params = {};
  for (const [, key, value] of match[1].matchAll(/(\w+)="([^"]*)"/g)) params[key] = value;
  return params;
}

/**
 * A fetch with the session's token. On a Bearer challenge (401, or 403 for a token lacking a
 * scope the caller may have) one retry, with a token asked for the challenge's scopes too.
 */
export async function request(path, init = {}) {
  inFlight += 1;
  changed();
  try {
    const send = () => {
      const headers = new Headers(init.headers ?? {});
      if (session.token) headers.set("authorization", `Bearer ${session.token}`);
      return fetch(path, { ...init, headers, cache: "no-store" });
    };
    let response = await send();
    if (![401, 403].includes(response.status) || session.tokenEndpoint === "absent") {
      return response;
    }

    const challenge = parseChallenge(response.headers.get("www-authenticate"));
    if (!challenge) return response;
    const basic = await credentials();
    // Signed in, but the password was not given again: an anonymous token would sign out.
    if (session.user && !basic) return response;
    const wanted = (challenge.scope ?? "").split(" ").filter(Boolean);
    const scopes = [...new Set([...session.scopes, ...wanted])].slice(-MAX_SCOPES);
    let token;
    try {
      token = await requestToken(scopes, challenge.service, basic);
    } catch {
      return response;
    }
    if (!token || token === session.token) return response;
    save(token, scopes, session.user);
    response = await send();
    return response;
  } finally {
    inFlight -= 1;
    changed();
  }
}

async function errorOf(response) {
  let code = "";
  let message = "";
  try {
    const body = await response.json();
    const first = body.errors?.[0];
    code = first?.code ?? "";
    message = first?.message ?? "";
  } catch {
    // Not the OCI envelope: the status says enough.
  }
  return new ApiError(response.status, code, message || `${response.status} ${response.statusText}`);
}

/** GETs JSON; throws ApiError for an error answer. */
export async function getJSON(path, init = {}) {
  const response = await request(path, init);
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** Sends `method` to `path`; throws ApiError unless the answer is a success. */
export async function send(method, path) {
  const response = await request(path, { method });
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** A repository name or reference in a URL path, each `/`-separated part escaped. */
export function pathOf(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}
