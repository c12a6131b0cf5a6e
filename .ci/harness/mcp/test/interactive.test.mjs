// The MCP TypeScript SDK as an interactive agent (Claude Code, an IDE): a public client with
// authorization code + PKCE. The user's sign-in is followed headlessly through the proxy's
// /oauth/authorize, the tenant's real OpenID provider (login and consent) and the proxy's own
// consent page; the SDK then finishes with the code as an app does (`transport.finishAuth`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UnauthorizedError, auth } from '@modelcontextprotocol/sdk/client/auth.js';

import {
  HeadlessProvider,
  MCP,
  PRM,
  bearerParams,
  claims,
  connect,
  createPublicClient,
  env,
  hitsOf,
  os,
  rawMcp,
  tapMark,
  tapSince,
  toolCall,
  unique,
} from '../lib.mjs';

/** connect(), expecting the SDK to stop at the redirect; then finishAuth and connect again. */
async function signInAndConnect(provider) {
  const first = await connect(provider, { connectNow: false });
  const stopped = await first.client.connect(first.transport).then(() => undefined, (e) => e);
  assert.ok(stopped instanceof UnauthorizedError, `the SDK sends the user to sign in, and stops: ${stopped?.stack ?? 'connected'}`);
  assert.ok(provider.code, `the sign-in came back with a code: ${JSON.stringify(provider.authorizations.at(-1)?.back)}`);
  await first.transport.finishAuth(provider.code);
  await first.client.close();
  const second = await connect(provider);
  return { ...second, firstCalls: first.calls };
}

/** An SDK step to a token with `scope` only (as an app asking for less than everything). */
async function authorizeWith(provider, scope) {
  const rec = [];
  const fetchFn = async (url, init) => {
    const res = await fetch(url, init);
    rec.push(`${init?.method ?? 'GET'} ${new URL(String(url)).pathname} ${res.status}`);
    return res;
  };
  assert.equal(await auth(provider, { serverUrl: MCP(), scope, fetchFn }), 'REDIRECT');
  assert.ok(provider.code, JSON.stringify(provider.authorizations.at(-1)?.back));
  assert.equal(await auth(provider, { serverUrl: MCP(), authorizationCode: provider.code, fetchFn }), 'AUTHORIZED');
  return rec;
}

/** The scopes the /mcp metadata lists: what the SDK asks for when nothing narrower is known. */
async function scopesSupported() {
  const prm = await (await fetch(PRM())).json();
  return prm.scopes_supported;
}

test('a pre-registered public client: authorization code + PKCE through the real OpenID provider', async () => {
  // Allowed every scope the metadata lists: the SDK asks for exactly those (see the next test).
  const all = await scopesSupported();
  const clientId = await createPublicClient({ scopes: all });
  const provider = new HeadlessProvider({ clientId, user: 'alice' });
  const { client, calls, firstCalls } = await signInAndConnect(provider);
  try {
    // What the SDK sent to /oauth/authorize.
    const { url, back } = provider.authorizations[0];
    assert.equal(url.origin + url.pathname, `${new URL(MCP()).origin}/oauth/authorize`);
    assert.equal(url.searchParams.get('client_id'), clientId);
    assert.equal(url.searchParams.get('resource'), MCP());
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(url.searchParams.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/, 'a loopback redirect, any port');
    // The user really went through the tenant's OpenID provider.
    assert.ok(back.pages.some((p) => p.includes(env('OIDC_ISSUER'))), back.pages.join('\n'));
    assert.equal(back.iss, new URL(MCP()).origin, 'RFC 9207 iss in the redirect');

    // The code was redeemed with the verifier and no secret.
    const tokenCall = firstCalls.find((c) => c.url.endsWith('/oauth/token'));
    assert.equal(tokenCall.status, 200);
    assert.equal(tokenCall.form.grant_type, 'authorization_code');
    assert.equal(tokenCall.form.client_id, clientId);
    assert.ok(tokenCall.form.code_verifier);
    assert.equal(tokenCall.form.client_secret, undefined);
    assert.equal(tokenCall.form.resource, MCP());

    const c = claims(provider.tokens().access_token);
    assert.equal(c.aud, MCP());
    assert.equal(c.client_id ?? c.azp, clientId);
    assert.deepEqual(c.scope.split(' ').sort(), [...all].sort());
    assert.equal(url.searchParams.get('scope'), all.join(' '), 'the SDK asked for the metadata\'s scopes_supported');
    assert.ok(calls.every((x) => x.status < 400), JSON.stringify(calls));

    const found = await client.callTool({ name: 'search', arguments: { index: 'mcp-logs-web', query: { match: { level: 'error' } } } });
    assert.ok(!found.isError, JSON.stringify(found));
    assert.deepEqual(hitsOf(found).map((h) => h.message), ['502 from upstream']);

    // Bound to /mcp: the same token is refused on the OpenSearch front.
    const front = await fetch(`${new URL(MCP()).origin}/mcp-logs-web/_search`, { headers: { authorization: `Bearer ${provider.tokens().access_token}` } });
    assert.equal(front.status, 401, await front.text());
  } finally {
    await client.close();
  }
});

test('a public client allowed less than scopes_supported signs in with the SDK defaults and gets the part it may hold', async () => {
  // The TypeScript (and Python) SDK asks for the whole `scopes_supported` of the resource's metadata
  // (the MCP scope selection strategy) when the 401 names no scope; the authorization server may
  // grant less than asked (RFC 6749 §3.3) and says so in the token response's `scope`.
  const clientId = await createPublicClient({ scopes: ['read:mcp-logs-*'] });
  const provider = new HeadlessProvider({ clientId, user: 'carol' });
  const { client } = await signInAndConnect(provider);
  try {
    assert.equal(provider.authorizations[0].url.searchParams.get('scope'), (await scopesSupported()).join(' '));
    assert.equal(claims(provider.tokens().access_token).scope, 'read:mcp-logs-*');
    assert.equal(provider.tokens().scope, 'read:mcp-logs-*', 'the token response names the narrower scope');
    const counted = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-app' } });
    assert.equal(counted.structuredContent.count, 3, JSON.stringify(counted));
  } finally {
    await client.close();
  }
});

test('a public client may not redeem its code without the PKCE verifier', async () => {
  const clientId = await createPublicClient({ scopes: ['read:mcp-logs-*'] });
  const provider = new HeadlessProvider({ clientId });
  assert.equal(await auth(provider, { serverUrl: MCP(), scope: 'read:mcp-logs-*' }), 'REDIRECT');
  const res = await fetch(`${new URL(MCP()).origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: provider.code,
      client_id: clientId,
      redirect_uri: provider.redirectUrl,
      resource: MCP(),
    }),
  });
  const body = await res.json();
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error, 'invalid_grant', JSON.stringify(body));
});

test('dynamic registration through the SDK (RFC 7591), then the same sign-in', async () => {
  // The app asks for the scope it needs (auth()'s `scope`): registration and sign-in both use it.
  const provider = new HeadlessProvider({ user: 'bob' });
  const walk = await authorizeWith(provider, 'read:mcp-logs-*');
  assert.ok(walk.includes('POST /oauth/register 201'), walk.join('\n'));
  const info = provider.clientInformation();
  assert.ok(info.client_id, JSON.stringify(info));
  assert.equal(info.client_secret, undefined, 'a public client gets no secret');
  assert.equal(info.token_endpoint_auth_method, 'none');
  assert.equal(info.scope, 'read:mcp-logs-*');
  assert.equal(provider.authorizations[0].url.searchParams.get('client_id'), info.client_id);
  const c = claims(provider.tokens().access_token);
  assert.equal(c.aud, MCP());
  assert.equal(c.scope, 'read:mcp-logs-*');
  const { client } = await connect(provider);
  try {
    const counted = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-web' } });
    assert.equal(counted.structuredContent.count, 2, JSON.stringify(counted));
  } finally {
    await client.close();
  }
});

test('dynamic registration with the SDK defaults (as Claude Code does): registered within the ceiling, signs in with that', async () => {
  // Nothing but the server URL: the SDK registers asking for scopes_supported (narrowed to the
  // registration's scope_ceiling), then authorizes asking for scopes_supported again.
  const provider = new HeadlessProvider({ user: 'dave' });
  const { client, firstCalls } = await signInAndConnect(provider);
  try {
    const reg = firstCalls.find((x) => x.url.endsWith('/oauth/register'));
    assert.equal(reg?.status, 201, JSON.stringify(firstCalls));
    assert.equal(reg.json.token_endpoint_auth_method, 'none');
    assert.equal(provider.clientInformation().scope, 'read:mcp-logs-*', 'narrowed to the ceiling');
    assert.equal(claims(provider.tokens().access_token).scope, 'read:mcp-logs-*');
    const counted = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-web' } });
    assert.equal(counted.structuredContent.count, 2, JSON.stringify(counted));
  } finally {
    await client.close();
  }
});

test('step-up: a read-only token calling create_index is re-authorized with the wider scope the client is allowed', async () => {
  const index = unique('mcp-logs-stepup');
  // No refresh token kept: the SDK would refresh instead, and a refresh cannot widen a scope.
  const clientId = await createPublicClient({ scopes: ['read:mcp-logs-*', 'manage:mcp-logs-*'], grantTypes: ['authorization_code'] });
  const provider = new HeadlessProvider({ clientId, keepRefreshToken: false });
  await authorizeWith(provider, 'read:mcp-logs-*');
  const readOnly = provider.tokens().access_token;
  assert.equal(claims(readOnly).scope, 'read:mcp-logs-*');

  // What the SDK sees: 403 insufficient_scope naming the scope.
  const raw = await rawMcp(readOnly, toolCall('create_index', { index }));
  assert.equal(raw.status, 403, raw.text);
  const challenge = bearerParams(raw.headers.get('www-authenticate'));
  assert.equal(challenge.error, 'insufficient_scope');
  assert.equal(challenge.scope, `manage:${index}`);

  const { client, transport } = await connect(provider);
  try {
    const mark = tapMark();
    // The SDK answers the 403 by authorizing again with the challenge's scope.
    await assert.rejects(client.callTool({ name: 'create_index', arguments: { index } }), UnauthorizedError);
    assert.equal(provider.authorizations.length, 2);
    assert.equal(provider.authorizations[1].url.searchParams.get('scope'), `manage:${index}`);
    assert.deepEqual(tapSince(mark, { catalog: false }), [], 'nothing reached OpenSearch before the step-up');
    assert.equal((await os('HEAD', `/${index}`)).status, 404);

    await transport.finishAuth(provider.code);
    const wider = claims(provider.tokens().access_token);
    assert.equal(wider.scope, `manage:${index}`);
    assert.equal(wider.aud, MCP());
    const created = await client.callTool({ name: 'create_index', arguments: { index, settings: { number_of_shards: 1, number_of_replicas: 0 } } });
    assert.ok(!created.isError, JSON.stringify(created));
    assert.equal((await os('HEAD', `/${index}`)).status, 200, 'the index exists in OpenSearch');
  } finally {
    await client.close();
    await os('DELETE', `/${index}`);
  }
});

test('step-up beyond what the client is allowed is refused, and nothing is created', async () => {
  const index = unique('mcp-logs-denied');
  const clientId = await createPublicClient({ scopes: ['read:mcp-logs-*'], grantTypes: ['authorization_code'] });
  const provider = new HeadlessProvider({ clientId, keepRefreshToken: false });
  await authorizeWith(provider, 'read:mcp-logs-*');
  const { client } = await connect(provider);
  try {
    const mark = tapMark();
    const err = await client.callTool({ name: 'create_index', arguments: { index } }).then(
      (r) => assert.fail(`create_index succeeded: ${JSON.stringify(r)}`),
      (e) => e,
    );
    assert.equal(provider.authorizations.length, 2, 'the SDK tried to step up');
    assert.equal(provider.authorizations[1].url.searchParams.get('scope'), `manage:${index}`);
    assert.equal(err.oauthError, 'invalid_scope', `${err}`);
    assert.equal(claims(provider.tokens().access_token).scope, 'read:mcp-logs-*', 'still the read-only token');
    assert.deepEqual(tapSince(mark, { catalog: false }), []);
    assert.equal((await os('HEAD', `/${index}`)).status, 404);
    // The read-only token still reads.
    const found = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-app' } });
    assert.equal(found.structuredContent.count, 3);
  } finally {
    await client.close();
  }
});
