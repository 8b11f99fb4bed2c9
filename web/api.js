// The console's client of the hub's REST API (docs/api.md). Every call sends the bearer token
// kept in sessionStorage (it lives as long as the browser tab, and is never written to a
// cookie or localStorage). Failures are thrown as ApiError: `kind` is "network" when the hub
// could not be reached, "http" when it answered with an error (status, code and the hub's
// message, which says what to do).
//
// URLs are relative to the page, so the console also works behind a reverse proxy that serves
// the hub under a path prefix.

const kTokenKey = 'strata.console.token';

export function storedToken() {
  return sessionStorage.getItem(kTokenKey) || '';
}

export function storeToken(token) {
  sessionStorage.setItem(kTokenKey, token);
}

export function forgetToken() {
  sessionStorage.removeItem(kTokenKey);
}

// A token as pasted: surrounding white space removed. Returns "" when what is left cannot be a
// header value (spaces or non-ASCII inside: a bad paste), so that the caller can say so
// instead of letting fetch() fail with an obscure TypeError.
export function cleanToken(text) {
  const t = String(text || '').trim();
  return /^[\x21-\x7e]+$/.test(t) ? t : '';
}

export class ApiError extends Error {
  constructor({kind, status = 0, code = '', message, requiredRole = '', role = '', url = ''}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;  // "network" | "http"
    this.status = status;
    this.code = code;
    this.requiredRole = requiredRole;
    this.role = role;
    this.url = url;
  }
}

// GET api/v1/<path>?<params>; resolves to the parsed JSON body. `params` values that are
// undefined, null or "" are left out. `token` overrides the stored one (the login check).
export async function get(path, params = {}, {token, signal} = {}) {
  const url = new URL('api/v1/' + path, document.baseURI);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const bearer = token !== undefined ? token : storedToken();
  let res;
  try {
    res = await fetch(url, {
      headers: {Authorization: 'Bearer ' + bearer, Accept: 'application/json'},
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError({
      kind: 'network',
      message: `cannot reach the hub at ${url.origin} (${e && e.message ? e.message : e}): ` +
          'check the network, and that the hub is running',
      url: url.pathname,
    });
  }
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = body && typeof body.error === 'object' && body.error ? body.error : {};
    throw new ApiError({
      kind: 'http',
      status: res.status,
      code: err.code || 'http_' + res.status,
      message: err.message || `the hub answered ${res.status} ${res.statusText} to ` +
          `${url.pathname}` + (text && !body ? `: ${text.slice(0, 200)}` : ''),
      requiredRole: err.required_role || '',
      role: err.role || '',
      url: url.pathname,
    });
  }
  if (body === null) {
    throw new ApiError({
      kind: 'http',
      status: res.status,
      code: 'bad_response',
      message: `the hub answered ${url.pathname} with something that is not JSON; is this ` +
          'address a Strata hub?',
      url: url.pathname,
    });
  }
  return body;
}

// The API path of one asset: the asset path is one URL segment, with its '/' as %2F.
export function assetApiPath(asset) {
  return 'assets/' + encodeURIComponent(asset);
}
