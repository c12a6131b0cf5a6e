// What an attacker, a confused client or a buggy agent sends to /mcp: raw HTTP, since no SDK
// would send most of it. Every answer is a clear OAuth or JSON-RPC error, never a 5xx, and
// changes nothing: the tap proves OpenSearch received no request for any refused call.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import {
  BASE,
  MCP,
  PRM,
  SECRET,
  bearerParams,
  clientToken,
  docCount,
  rawMcp,
  tapMark,
  tapSince,
  toolCall,
  tokenRequest,
} from '../lib.mjs';

let reader; // read:mcp-logs-*, bound to /mcp
let secretCount;
let hiddenCount;

before(async () => {
  reader = await clientToken('mcp-reader', { resource: MCP(), scope: 'read:mcp-logs-*' });
  secretCount = await docCount('mcp-secret');
  hiddenCount = await docCount('.mcp-hidden');
});

/** Asserts a 401 challenge pointing at the /mcp metadata, with `error` when a token was shown. */
function assertChallenge(res, { error } = {}) {
  assert.equal(res.status, 401, res.text);
  const p = bearerParams(res.headers.get('www-authenticate'));
  assert.equal(p.resource_metadata, PRM());
  assert.equal(p.error, error, res.headers.get('www-authenticate'));
  assert.equal(res.json?.jsonrpc, '2.0', `a JSON-RPC error body: ${res.text}`);
  assert.ok(res.json?.error, res.text);
}

/** Asserts the MCP step-up answer: 403 insufficient_scope naming the scope, JSON-RPC error body. */
function assertInsufficient(res, scope) {
  assert.equal(res.status, 403, res.text);
  const p = bearerParams(res.headers.get('www-authenticate'));
  assert.equal(p.error, 'insufficient_scope');
  assert.equal(p.resource_metadata, PRM());
  if (scope) assert.equal(p.scope, scope, res.headers.get('www-authenticate'));
  assert.ok(p.scope, 'names the scope needed');
  assert.equal(res.json?.jsonrpc, '2.0', res.text);
  assert.ok(res.json?.error, res.text);
}

test('discovery: no token → 401 with resource_metadata; the RFC 9728 and RFC 8414 documents', async () => {
  const res = await rawMcp(undefined, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assertChallenge(res);

  const prm = await (await fetch(PRM())).json();
  assert.equal(prm.resource, MCP());
  // The proxy's own issuer first (the one the SDKs use), then the tenants' providers.
  assert.deepEqual(prm.authorization_servers, [BASE(), process.env.MCP_E2E_OIDC_ISSUER]);
  assert.deepEqual(prm.bearer_methods_supported, ['header']);
  assert.ok(Array.isArray(prm.scopes_supported) && prm.scopes_supported.length > 0, JSON.stringify(prm));
  assert.ok(prm.resource_documentation, JSON.stringify(prm));
  // The root document keeps describing the OpenSearch front.
  const root = await (await fetch(`${BASE()}/.well-known/oauth-protected-resource`)).json();
  assert.equal(root.resource, BASE());

  const as = await (await fetch(`${BASE()}/.well-known/oauth-authorization-server`)).json();
  assert.equal(as.issuer, BASE());
  assert.equal(as.token_endpoint, `${BASE()}/oauth/token`);
  assert.ok(as.code_challenge_methods_supported.includes('S256'));
});

test('initialize negotiates each supported protocol version, statelessly', async () => {
  for (const version of ['2025-03-26', '2025-06-18', '2025-11-25']) {
    const res = await rawMcp(reader, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    }, { headers: { 'mcp-protocol-version': version } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.headers.get('mcp-session-id'), null, 'stateless: no session');
    assert.equal(res.json.result.protocolVersion, version);
    assert.ok(res.json.result.capabilities.tools, res.text);
  }
  // A version it does not know: it answers with one it supports (the client then decides).
  const other = await rawMcp(reader, {
    jsonrpc: '2.0',
    id: 2,
    method: 'initialize',
    params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  }, { headers: { 'mcp-protocol-version': '2025-06-18' } });
  assert.equal(other.status, 200, other.text);
  assert.ok(['2025-06-18', '2025-11-25', '2025-03-26'].includes(other.json.result.protocolVersion), other.text);
});

test('a malformed, forged or foreign token → 401 invalid_token', async () => {
  const tools = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
  assertChallenge(await rawMcp('not-a-jwt', tools), { error: 'invalid_token' });
  // Unsigned (alg none), claiming to be the proxy's own token for /mcp.
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const forged = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: BASE(), aud: MCP(), sub: 'mcp-reader', client_id: 'mcp-reader', scope: 'read:*', iat: now, exp: now + 300, jti: 'forged' })}.`;
  assertChallenge(await rawMcp(forged, tools), { error: 'invalid_token' });

  // Tokens of the tenant's OpenID provider: for another resource, and for the OpenSearch front.
  const idpToken = async (resource) => {
    const res = await fetch(`${process.env.MCP_E2E_OIDC_ISSUER}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('agent-a:secret-a').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'read:logs-*' }),
    });
    const body = await res.json();
    assert.ok(body.access_token, JSON.stringify(body));
    return body.access_token;
  };
  assertChallenge(await rawMcp(await idpToken('http://127.0.0.1:9/elsewhere'), tools), { error: 'invalid_token' });
  assertChallenge(await rawMcp(await idpToken(BASE()), tools), { error: 'invalid_token' });
  // The tenant is one of the metadata's authorization_servers: its token for /mcp itself is accepted.
  const forMcp = await rawMcp(await idpToken(MCP()), tools);
  assert.equal(forMcp.status, 200, forMcp.text);
});

test('audience confusion, both ways', async () => {
  // A token for the OpenSearch front (aud = <base>) is refused at /mcp.
  const front = await clientToken('mcp-reader', { scope: 'read:mcp-logs-*' });
  const mark = tapMark();
  assertChallenge(await rawMcp(front, toolCall('search', { index: 'mcp-logs-app' })), { error: 'invalid_token' });
  // ... while it works on the front.
  const ok = await fetch(`${BASE()}/mcp-logs-app/_count`, { headers: { authorization: `Bearer ${front}` } });
  assert.equal(ok.status, 200, await ok.text());

  // A /mcp token is refused on the OpenSearch front.
  const onFront = await fetch(`${BASE()}/mcp-logs-app/_search`, { headers: { authorization: `Bearer ${reader}` } });
  assert.equal(onFront.status, 401, await onFront.text());
  assert.equal(bearerParams(onFront.headers.get('www-authenticate')).error, 'invalid_token');
  const seen = tapSince(mark, { catalog: false });
  assert.deepEqual(seen.map((r) => r.url), ['/mcp-logs-app/_count'], 'only the front token reached OpenSearch, once');

  // RFC 8707: `resource` with a trailing slash names the same resource.
  const slashed = await clientToken('mcp-reader', { resource: `${MCP()}/`, scope: 'read:mcp-logs-*' });
  const listed = await rawMcp(slashed, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assert.equal(listed.status, 200, listed.text);
  // A resource the authorization server does not serve gets no token at all.
  const other = await tokenRequest('mcp-reader', SECRET(), { grant_type: 'client_credentials', resource: `${BASE()}/not-mcp` });
  assert.equal(other.status, 400, JSON.stringify(other.body));
  assert.equal(other.body.error, 'invalid_target');
});

test('tool arguments that try to escape the scope → 403, OpenSearch untouched, nothing leaked', async () => {
  const escapes = [
    ['search', { index: 'mcp-logs-app,mcp-secret' }],
    ['search', { index: 'mcp-secret' }],
    ['search', { index: '_all' }],
    ['search', { index: '*' }],
    ['search', { index: '.*' }],
    ['search', { index: '.mcp-hidden' }],
    ['search', { index: 'mcp-logs-*,.mcp-*' }],
    ['count', { index: 'mcp-*' }],
    ['get_mappings', { index: 'mcp-secret' }],
    ['aggregate', { index: '*', aggs: { s: { terms: { field: 'secret.keyword' } } } }],
    ['list_indices', { index: '*' }],
    ['cluster_health', {}],
    ['delete_by_query', { index: 'mcp-secret', query: { match_all: {} } }],
    ['delete_by_query', { index: 'mcp-logs-app', query: { match_all: {} } }],
    ['create_index', { index: 'mcp-logs-evil' }],
  ];
  for (const [name, args] of escapes) {
    const mark = tapMark();
    const res = await rawMcp(reader, toolCall(name, args));
    assertInsufficient(res);
    assert.ok(!res.text.includes('the-mcp-secret-value') && !res.text.includes('the-hidden-mcp-value'), res.text);
    assert.deepEqual(tapSince(mark, { catalog: false }), [], `${name} ${JSON.stringify(args)} reached OpenSearch`);
  }
  // The needed scope is named precisely.
  assertInsufficient(await rawMcp(reader, toolCall('search', { index: 'mcp-secret' })), 'read:mcp-secret');
  assertInsufficient(await rawMcp(reader, toolCall('create_index', { index: 'mcp-logs-evil' })), 'manage:mcp-logs-evil');
  assert.equal(await docCount('mcp-secret'), secretCount);
  assert.equal(await docCount('.mcp-hidden'), hiddenCount);
  assert.equal(await docCount('mcp-logs-app'), 3);
});

test('index arguments that are not index names: refused before OpenSearch, never a 5xx', async () => {
  for (const index of ['../_cluster', '../_cluster/settings', 'mcp-logs-app/../mcp-secret', 'mcp-logs-app/_doc/1', '', 'MCP-LOGS-APP', 'mcp-logs-app?pretty', '%2e%2e%2f_cluster']) {
    const mark = tapMark();
    const res = await rawMcp(reader, toolCall('search', { index }));
    assert.ok(res.status < 500, `${index}: ${res.status} ${res.text}`);
    // Either the scope check refuses it (403) or it is not a valid argument (-32602).
    if (res.status === 403) assertInsufficient(res);
    else {
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.error?.code === -32602 || res.json.result?.isError === true, `${index}: ${res.text}`);
    }
    assert.ok(!res.text.includes('the-mcp-secret-value'), res.text);
    assert.deepEqual(tapSince(mark, { catalog: false }), [], `${JSON.stringify(index)} reached OpenSearch`);
  }
  assert.equal(await docCount('mcp-secret'), secretCount);
});

test('JSON-RPC protocol errors: batch, unknown method, unknown tool, bad params, parse error, GET', async () => {
  const mark = tapMark();
  const batch = await rawMcp(reader, [
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    toolCall('search', { index: 'mcp-logs-app' }),
  ]);
  assert.ok(batch.status < 500, batch.text);
  const batchError = Array.isArray(batch.json) ? batch.json[0]?.error : batch.json?.error;
  assert.equal(batchError?.code, -32600, batch.text);

  const unknownMethod = await rawMcp(reader, { jsonrpc: '2.0', id: 2, method: 'resources/nope' });
  assert.equal(unknownMethod.status, 200, unknownMethod.text);
  assert.equal(unknownMethod.json.error.code, -32601);
  assert.equal(unknownMethod.json.id, 2);

  const unknownTool = await rawMcp(reader, toolCall('drop_cluster', { index: 'mcp-logs-app' }));
  assert.equal(unknownTool.status, 200, unknownTool.text);
  assert.equal(unknownTool.json.error.code, -32602, unknownTool.text);

  const badParams = await rawMcp(reader, toolCall('search', { index: 42 }));
  assert.equal(badParams.status, 200, badParams.text);
  assert.equal(badParams.json.error.code, -32602, badParams.text);
  const missing = await rawMcp(reader, toolCall('count', {}));
  assert.equal(missing.json.error.code, -32602, missing.text);

  const parse = await rawMcp(reader, '{"jsonrpc":"2.0","id":1,"method":');
  assert.ok(parse.status < 500, parse.text);
  assert.equal(parse.json.error.code, -32700, parse.text);

  const note = await rawMcp(reader, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(note.status, 202, note.text);

  const ping = await rawMcp(reader, { jsonrpc: '2.0', id: 9, method: 'ping' });
  assert.deepEqual(ping.json, { jsonrpc: '2.0', id: 9, result: {} });

  const get = await fetch(MCP(), { headers: { authorization: `Bearer ${reader}`, accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
  assert.deepEqual(tapSince(mark, { catalog: false }), [], 'no protocol error reached OpenSearch');
});

test('oversized bodies and arguments: 413 or a JSON-RPC error, OpenSearch untouched', async () => {
  const mark = tapMark();
  const huge = toolCall('search', { index: 'mcp-logs-app', query: { match: { message: 'x'.repeat(1_100_000) } } });
  const res = await rawMcp(reader, huge);
  assert.equal(res.status, 413, res.text.slice(0, 300));
  assert.ok(res.json?.error?.code <= -32600 && res.json.error.code >= -32603, res.text.slice(0, 300));
  assert.deepEqual(tapSince(mark, { catalog: false }), [], 'an oversized body never reaches OpenSearch');
  // Under the body cap, a result size past what the tool allows is refused or capped, never a 5xx.
  const capMark = tapMark();
  const tooMany = await rawMcp(reader, toolCall('search', { index: 'mcp-logs-app', size: 1_000_000_000 }));
  assert.ok(tooMany.status < 500, tooMany.text);
  if (tooMany.json.error) {
    assert.equal(tooMany.json.error.code, -32602, tooMany.text);
    assert.deepEqual(tapSince(capMark, { catalog: false }), [], 'refused arguments never reach OpenSearch');
  } else {
    assert.ok(tooMany.json.result, tooMany.text);
  }
});

test('a revoked token is refused at once', async () => {
  const { body } = await tokenRequest('mcp-reader', SECRET(), { grant_type: 'client_credentials', resource: MCP(), scope: 'read:mcp-logs-*' });
  const token = body.access_token;
  const first = await rawMcp(token, toolCall('count', { index: 'mcp-logs-app' }));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.result.structuredContent.count, 3);

  const revoke = await fetch(`${BASE()}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`mcp-reader:${SECRET()}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  assert.equal(revoke.status, 200, await revoke.text());
  const mark = tapMark();
  assertChallenge(await rawMcp(token, toolCall('count', { index: 'mcp-logs-app' })), { error: 'invalid_token' });
  assertChallenge(await rawMcp(token, { jsonrpc: '2.0', id: 1, method: 'tools/list' }), { error: 'invalid_token' });
  assert.deepEqual(tapSince(mark, { catalog: false }), []);
});
