// End to end: the package against the real proxy (authorization server + resource proxy), the real
// OpenSearch behind it and the real OpenID provider, from the test-peer harness (see ci/test.sh).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import oauth4os from 'oauth4os';
import { dropIndices, peer, seedIndices, sleep } from './support.mjs';

const {
  Client, Verifier, InvalidTokenError, InvalidClientError, InvalidScopeError,
  InsufficientScopeError, UnauthorizedClientError,
} = oauth4os;

const proxy = peer('PROXY_URL');
const oidc = peer('OIDC_ISSUER');
const secret = peer('CLIENT_SECRET');

before(seedIndices);
after(dropIndices);

const agent = (extra = {}) => new Client({
  issuer: proxy, clientId: 'node-agent', clientSecret: secret, scope: 'read:node-logs-*', baseUrl: proxy, ...extra,
});

async function metric(name, labels) {
  const text = await (await fetch(`${proxy}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
  return line ? Number(line.trim().split(/\s+/).pop()) : 0;
}
const tokenRequestsAtProxy = () => metric('oauth4os_requests_total', ['route="oauth"', 'status="200"']);

async function oidcStats(reset = false) {
  const r = await fetch(`${oidc}/__test/${reset ? 'reset' : 'stats'}`, { method: reset ? 'POST' : 'GET' });
  return r.json();
}

describe('against the proxy', () => {
  test('token: discovered endpoint, cached, verifiable through the published JWKS', async () => {
    const c = agent();
    const t = await c.token();
    assert.equal(t.tokenType, 'Bearer');
    assert.equal(t.scope, 'read:node-logs-*');
    assert.ok(t.expiresIn > 0);
    assert.equal((await c.token()).accessToken, t.accessToken);
    assert.equal(c.stats().tokenRequests, 1);
    const v = new Verifier({ issuer: proxy, audience: proxy, requiredTyp: 'at+jwt' });
    const claims = await v.verify(t.accessToken);
    assert.equal(claims.client_id, 'node-agent');
    assert.equal(claims.scope, 'read:node-logs-*');
    assert.deepEqual(await v.verify(t.accessToken), claims);
    const forged = `${t.accessToken.slice(0, -6)}AAAAAA`;
    await assert.rejects(v.verify(forged), (e) => e instanceof InvalidTokenError && e.reason === 'bad_signature');
  });

  test('search and request reach OpenSearch through the proxy', async () => {
    const c = agent();
    const found = await c.search('node-logs-*', { query: { match: { level: 'error' } } });
    assert.equal(found.hits.total.value, 1);
    assert.equal(found.hits.hits[0]._source.message, 'disk full');
    const r = await c.request('GET', '/node-logs-1/_count');
    assert.equal(r.status, 200);
    assert.equal(r.json().count, 2);
    assert.match(r.headers['content-type'], /json/);
    const posted = await c.request('POST', '/node-logs-1/_count', { query: { match: { level: 'info' } } });
    assert.equal(posted.json().count, 1);
  });

  test('the token is renewed automatically when it expires (3 s lifetime)', async () => {
    const c = agent({ clientId: 'node-short' });
    const first = await c.token();
    assert.equal(first.expiresIn, 3);
    assert.equal((await c.search('node-logs-1', {})).hits.total.value, 2);
    await sleep(3500);
    // The first token has expired (checked without clock-skew leeway)...
    const strict = new Verifier({ issuer: proxy, audience: proxy, leeway: 0 });
    await assert.rejects(strict.verify(first.accessToken), (e) => e instanceof InvalidTokenError && e.reason === 'expired');
    // ...and the client renews on its own and carries on.
    assert.equal((await c.search('node-logs-1', {})).hits.total.value, 2);
    const second = await c.token();
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal(c.stats().tokenRequests, 2);
  });

  test('revoke: a client holding the revoked token gets InvalidTokenError', async () => {
    const owner = agent();
    const token = await owner.accessToken();
    const holder = new Client({ accessToken: token, baseUrl: proxy });
    assert.equal((await holder.search('node-logs-1', {})).hits.total.value, 2);
    await owner.revoke(token);
    await assert.rejects(holder.search('node-logs-1', {}), (e) => e instanceof InvalidTokenError
      && e.code === 'invalid_token' && e.reason === 'revoked' && !e.message.includes(token));
    // The owner forgot it and acquires a new one.
    assert.notEqual(await owner.accessToken(), token);
  });

  test('a token revoked with POST /oauth/revoke reaches the user as reason `revoked`', async () => {
    const token = await agent().accessToken();
    const holder = new Client({ accessToken: token, baseUrl: proxy });
    assert.equal((await holder.request('GET', '/node-logs-1/_count')).status, 200);
    const r = await fetch(`${proxy}/oauth/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`node-agent:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    assert.equal(r.status, 200);
    await assert.rejects(holder.request('GET', '/node-logs-1/_count'), (e) => {
      assert.ok(e instanceof InvalidTokenError, e);
      assert.equal(e.constructor, oauth4os.errorClasses.invalid_token);
      assert.deepEqual([e.code, e.reason], ['invalid_token', 'revoked']);
      assert.ok(oauth4os.errorReasons.includes(e.reason));
      assert.ok(!e.message.includes(token) && !String(e.help).includes(token));
      return true;
    });
  });

  test('a request beyond the token\'s scopes names the scope needed', async () => {
    const c = agent();
    await assert.rejects(c.search('node-secret', {}), (e) => {
      assert.ok(e instanceof InsufficientScopeError, e);
      assert.deepEqual([e.code, e.reason, e.scope], ['insufficient_scope', 'insufficient_scope', 'read:node-secret']);
      return true;
    });
    await assert.rejects(c.request('PUT', '/node-logs-1/_doc/x', { a: 1 }), (e) => e instanceof InsufficientScopeError
      && e.scope === 'write:node-logs-1');
    // The offline decision agrees with the proxy.
    const d = oauth4os.decide({ iss: proxy, aud: [proxy], exp: 1, scope: 'read:node-logs-*' }, 'POST', '/node-secret/_search');
    assert.equal(d.decision, 'deny');
    assert.deepEqual([d.error.code, d.error.scope], ['insufficient_scope', 'read:node-secret']);
  });

  test('a wrong secret is InvalidClientError, and the secret is not in the error', async () => {
    const c = agent({ clientSecret: 'wrong-secret-value' });
    await assert.rejects(c.token(), (e) => e instanceof InvalidClientError && e.code === 'invalid_client'
      && !JSON.stringify({ m: e.message, h: e.help }).includes('wrong-secret-value'));
  });

  test('a scope outside the client\'s is InvalidScopeError', async () => {
    await assert.rejects(agent({ scope: 'read:node-secret' }).token(), (e) => e instanceof InvalidScopeError);
  });

  test('an index outside the token\'s scope is InsufficientScopeError', async () => {
    const c = agent();
    await assert.rejects(c.search('node-secret', {}), (e) => e instanceof InsufficientScopeError
      && e.code === 'insufficient_scope');
    await assert.rejects(c.search('node-logs-1,node-secret', {}), InsufficientScopeError);
  });

  test('token exchange surfaces the server\'s OAuth error as its class', async () => {
    // The proxy's clients may not use token exchange: RFC 6749 `unauthorized_client`.
    const c = agent();
    await assert.rejects(c.exchange(await c.accessToken(), { scope: 'read:node-logs-1' }), (e) => e instanceof UnauthorizedClientError
      && e.code === 'unauthorized_client');
  });

  test('100 concurrent callers share one token request (client stats and the proxy\'s /metrics)', async () => {
    const c = agent();
    const before = await tokenRequestsAtProxy();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.accessToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(c.stats().tokenRequests, 1);
    assert.equal(await tokenRequestsAtProxy(), before + 1);
  });

  test('@opensearch-project/opensearch works through the proxy with the SDK\'s token, and not without', async () => {
    const token = await agent().accessToken();
    const os = new OpenSearchClient({ node: proxy, headers: { authorization: `Bearer ${token}` } });
    const r = await os.search({ index: 'node-logs-*', body: { query: { match: { level: 'error' } } } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.hits.total.value, 1);
    const anonymous = new OpenSearchClient({ node: proxy });
    await assert.rejects(anonymous.search({ index: 'node-logs-*', body: {} }), (e) => e.meta?.statusCode === 401);
  });
});

describe('against the OpenID provider', () => {
  const provider = (extra = {}) => new Client({
    issuer: oidc, clientId: 'agent-a', clientSecret: 'secret-a', scope: 'read:node-logs-*',
    resource: proxy, baseUrl: proxy, ...extra,
  });

  test('100 concurrent callers share one token request (client stats and the provider\'s count)', async () => {
    await oidcStats(true);
    const c = provider();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.accessToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(c.stats().tokenRequests, 1);
    assert.equal((await oidcStats()).token_requests, 1);
  });

  test('its tokens verify through discovery and are accepted by the proxy as a tenant', async () => {
    const c = provider();
    const token = await c.accessToken();
    const v = new Verifier({ issuer: oidc, audience: proxy, requiredTyp: 'at+jwt', algorithms: ['ES256', 'RS256'] });
    const claims = await v.verify(token);
    assert.equal(claims.client_id, 'agent-a');
    assert.deepEqual(claims.aud, [proxy]);
    const found = await c.search('node-logs-*', { query: { match: { level: 'error' } } });
    assert.equal(found.hits.total.value, 1);
    await assert.rejects(c.search('node-secret', {}), InsufficientScopeError);
    const wrongAudience = new Verifier({ issuer: oidc, audience: 'http://elsewhere.test' });
    await assert.rejects(wrongAudience.verify(token), (e) => e instanceof InvalidTokenError && e.reason === 'wrong_audience');
  });

  test('a wrong client secret at the provider is InvalidClientError', async () => {
    await assert.rejects(provider({ clientSecret: 'nope' }).token(), InvalidClientError);
  });
});

test('the README quick start runs as written (with this deployment\'s names)', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { spawnSync } = await import('node:child_process');
  const { PKG } = await import('./support.mjs');
  const readme = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8');
  const block = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'no js block under "## Quick start"');
  const code = block[1]
    .replaceAll('http://localhost:8443', proxy)
    .replaceAll("'my-agent'", "'node-agent'")
    .replaceAll("'secret'", JSON.stringify(secret))
    .replaceAll('logs-*', 'node-logs-*');
  const dir = path.join(PKG, 'build');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'quickstart.mjs');
  fs.writeFileSync(file, code);
  const run = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), ['found 1 error(s)', 'refused: insufficient_scope']);
});
