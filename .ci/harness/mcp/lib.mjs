// Shared helpers of the /mcp end-to-end tests (node:test). The runner (.ci/harness/mcp.sh)
// starts the peers, the recording tap and a proxy with a configuration of its own, and hands
// everything over as MCP_E2E_* variables.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** A variable of the runner (`URL` for MCP_E2E_URL); a missing one fails the test. */
export function env(name) {
  const v = process.env[`MCP_E2E_${name}`];
  if (!v) throw new Error(`MCP_E2E_${name} is not set: run the tests through .ci/harness/mcp.sh`);
  return v;
}

export const BASE = () => env('URL');
export const MCP = () => `${BASE()}/mcp`;
export const PRM = () => `${BASE()}/.well-known/oauth-protected-resource/mcp`;
export const OS = () => env('OPENSEARCH_URL');
/** The secret of every confidential client of the runner's configuration. */
export const SECRET = () => env('CLIENT_SECRET');

export const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
export const unique = (prefix) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

/** The claims of a JWT (not verified: the proxy is the one that verifies). */
export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// ---- OAuth at the proxy, plain HTTP ------------------------------------------------

/** POST /oauth/token with HTTP Basic client authentication; answers {status, body}. */
export async function tokenRequest(clientId, secret, params) {
  const res = await fetch(`${BASE()}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: await res.json() };
}

/** A client_credentials access token; fails the test unless the proxy issues one. */
export async function clientToken(clientId, { scope, resource, secret = SECRET() } = {}) {
  const params = { grant_type: 'client_credentials' };
  if (scope) params.scope = scope;
  if (resource) params.resource = resource;
  const { status, body } = await tokenRequest(clientId, secret, params);
  assert.equal(status, 200, `token for ${clientId}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The admin API: `adminApi('POST', '/admin/clients', spec)` → {status, body}. */
export async function adminApi(method, path, body) {
  const token = await clientToken(env('ADMIN_CLIENT_ID'), { scope: 'oauth4os:admin', secret: env('ADMIN_CLIENT_SECRET') });
  const res = await fetch(`${BASE()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** A public client (no secret, PKCE) bound to /mcp, created through the admin API. */
export async function createPublicClient({ scopes, grantTypes = ['authorization_code', 'refresh_token'] }) {
  const { status, body } = await adminApi('POST', '/admin/clients', {
    client_id: unique('mcp-public'),
    scopes,
    grant_types: grantTypes,
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'],
    tenant: 'oidc',
    audiences: [MCP()],
  });
  assert.equal(status, 201, `create a public client: ${JSON.stringify(body)}`);
  assert.equal(body.client_secret, undefined, 'a public client has no secret');
  return body.client_id;
}

// ---- /mcp without an SDK (for what no SDK would send) ----------------------------

/** POST `body` (an object, or a string sent as is) to /mcp; answers {status, headers, json, text}. */
export async function rawMcp(token, body, { headers = {}, url = MCP() } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

let rpcId = 0;
/** A JSON-RPC `tools/call` as a raw request. */
export function toolCall(name, args) {
  rpcId += 1;
  return { jsonrpc: '2.0', id: rpcId, method: 'tools/call', params: { name, arguments: args } };
}

/** The auth-params of a `WWW-Authenticate: Bearer k="v", ...` header. */
export function bearerParams(header) {
  assert.ok(header, 'a WWW-Authenticate header');
  assert.match(header, /^Bearer\b/i);
  const out = {};
  for (const m of header.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)) out[m[1].toLowerCase()] = m[2];
  return out;
}

// ---- the real OpenSearch, directly (to check what the tools did) ------------------

export async function os(method, path, body) {
  const res = await fetch(`${OS()}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function docCount(index) {
  const { status, body } = await os('GET', `/${index}/_count`);
  assert.equal(status, 200, `count ${index}: ${JSON.stringify(body)}`);
  return body.count;
}

// ---- the tap: every request OpenSearch received through the proxy ---------------

/** The paths the proxy itself reads to resolve index names (its catalog), not a client's request. */
const CATALOG = [/^\/_resolve\/index\//, /^\/_ingest\/pipeline/, /^\/_settings\/index\.default_pipeline/, /^\/_index_template/];

export function tapMark() {
  return fs.readFileSync(env('TAP_LOG'), 'utf8').split('\n').filter(Boolean).length;
}

/** The requests OpenSearch received since `mark`; `{catalog: false}` leaves out catalog lookups. */
export function tapSince(mark, { catalog = true } = {}) {
  const all = fs.readFileSync(env('TAP_LOG'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const since = all.slice(mark);
  return catalog ? since : since.filter((r) => !(r.method === 'GET' && CATALOG.some((re) => re.test(r.url))));
}

// ---- MCP SDK clients -------------------------------------------------------------

/** A fetch that records each request's method, URL and status (and the token request's form). */
export function recordingFetch() {
  const calls = [];
  const f = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const res = await fetch(input, init);
    const entry = { method: init.method ?? 'GET', url, status: res.status };
    if (url.endsWith('/oauth/token') && init.body) entry.form = Object.fromEntries(new URLSearchParams(String(init.body)));
    if (url.endsWith('/oauth/register') && init.body) entry.json = JSON.parse(String(init.body));
    calls.push(entry);
    return res;
  };
  return { fetch: f, calls };
}

/** An SDK client connected to /mcp through `provider`; answers {client, transport, calls}. */
export async function connect(provider, { connectNow = true } = {}) {
  const rec = recordingFetch();
  const transport = new StreamableHTTPClientTransport(new URL(MCP()), { authProvider: provider, fetch: rec.fetch });
  const client = new Client({ name: 'oauth4os-mcp-e2e', version: '0.0.0' });
  if (connectNow) await client.connect(transport);
  return { client, transport, calls: rec.calls };
}

/** The hits of a `search` result's structured content, whichever shape: raw OpenSearch or flattened. */
export function hitsOf(result) {
  const sc = result.structuredContent;
  assert.ok(sc, `a structured result: ${JSON.stringify(result)}`);
  const hits = Array.isArray(sc.hits) ? sc.hits : sc.hits?.hits;
  assert.ok(Array.isArray(hits), `hits in ${JSON.stringify(sc)}`);
  return hits.map((h) => h._source ?? h.source ?? h);
}

// ---- a headless browser for the authorization-code flow --------------------------

/**
 * Follows an authorization URL like a user's browser, with no automatic redirects and one cookie
 * jar for 127.0.0.1 (cookies ignore ports): the proxy's /oauth/authorize, the tenant's real
 * OpenID provider (its login and consent forms), the proxy's /oauth/callback and its consent page,
 * until the redirect to `redirectUrl`, whose query it answers ({code, state, iss} or {error, ...}).
 * `consent` is what the user answers on the proxy's consent page.
 */
export async function followLogin(authorizationUrl, redirectUrl, { user = 'mcp-user', consent = 'approve' } = {}) {
  const jar = new Map();
  const send = async (url, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), ...(cookie ? { cookie } : {}) } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  };
  const post = (url, form) => send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const attr = (html, re) => {
    const m = html.match(re);
    return m ? m[1].replaceAll('&amp;', '&') : undefined;
  };
  const pages = [];
  let url = String(authorizationUrl);
  let page = await send(url);
  for (let step = 0; step < 16; step += 1) {
    pages.push(`${page.status} ${url}`);
    if (page.status >= 300 && page.status < 400 && page.location) {
      const next = new URL(page.location, url).href;
      if (next.startsWith(String(redirectUrl))) {
        return { ...Object.fromEntries(new URL(next).searchParams), pages };
      }
      url = next;
      page = await send(url);
      continue;
    }
    if (page.status !== 200) {
      throw new Error(`the sign-in stopped at ${url} with HTTP ${page.status}: ${page.body.slice(0, 500)}`);
    }
    const action = attr(page.body, /action="([^"]*)"/);
    if (!action) throw new Error(`no form at ${url}: ${page.body.slice(0, 500)}`);
    const target = new URL(action, url).href;
    if (/name="csrf"/.test(page.body) && /name="request"/.test(page.body)) {
      // The proxy's consent page.
      page = await post(target, {
        request: attr(page.body, /name="request" value="([^"]*)"/),
        csrf: attr(page.body, /name="csrf" value="([^"]*)"/),
        decision: consent,
      });
    } else if (/name="login"/.test(page.body)) {
      // The OpenID provider's login form (oidc-provider's development interactions).
      page = await post(target, { prompt: 'login', login: user, password: 'any' });
    } else {
      // The OpenID provider's own consent form.
      page = await post(target, { prompt: 'consent' });
    }
    url = target;
  }
  throw new Error(`the sign-in did not come back to ${redirectUrl}: ${pages.join(' → ')}`);
}

/**
 * An OAuthClientProvider of the MCP SDK for a public client whose user signs in headlessly:
 * `redirectToAuthorization` follows the login with `followLogin` and keeps what came back to the
 * redirect URI, so the test can hand the code to `transport.finishAuth()` as an app would.
 * With `clientId`, a pre-registered client; without, the SDK registers one (RFC 7591).
 */
export class HeadlessProvider {
  constructor({ clientId, port = 40000 + Math.floor(Math.random() * 9000), scope, keepRefreshToken = true, user } = {}) {
    this._redirect = `http://127.0.0.1:${port}/callback`;
    this._info = clientId ? { client_id: clientId } : undefined;
    this._scope = scope;
    this._keepRefresh = keepRefreshToken;
    this._user = user;
    this.authorizations = []; // each authorization URL the SDK opened, and what came back
  }

  get redirectUrl() {
    return this._redirect;
  }

  get clientMetadata() {
    return {
      client_name: 'oauth4os MCP end-to-end test',
      redirect_uris: [this._redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this._scope ? { scope: this._scope } : {}),
    };
  }

  clientInformation() {
    return this._info;
  }

  saveClientInformation(info) {
    this._info = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    // A client that keeps no refresh token authorizes again instead of refreshing.
    this._tokens = this._keepRefresh ? tokens : { ...tokens, refresh_token: undefined };
  }

  async redirectToAuthorization(url) {
    const back = await followLogin(url, this._redirect, { user: this._user });
    this.authorizations.push({ url: new URL(url), back });
    if (back.error) {
      const err = new Error(`authorization refused: ${back.error}: ${back.error_description ?? ''}`);
      err.oauthError = back.error;
      throw err;
    }
    this.code = back.code;
  }

  saveCodeVerifier(v) {
    this._verifier = v;
  }

  codeVerifier() {
    return this._verifier;
  }
}
