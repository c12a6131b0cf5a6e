// The MCP TypeScript SDK as a machine client: its own ClientCredentialsProvider discovers
// everything from the 401 (RFC 9728 → RFC 8414), gets a token bound to /mcp (RFC 8707) and
// calls the tools against the data the runner indexed in the real OpenSearch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

import { BASE, MCP, SECRET, claims, connect, hitsOf, os, sha256, tapMark, tapSince, unique } from '../lib.mjs';

const TOOLS = [
  'aggregate',
  'cluster_health',
  'count',
  'create_index',
  'delete_by_query',
  'explain_access',
  'get_mappings',
  'list_indices',
  'search',
];

test('client_credentials through the SDK: 401 → RFC 9728 → RFC 8414 → token for /mcp → search and count', async () => {
  const provider = new ClientCredentialsProvider({
    clientId: 'mcp-reader',
    clientSecret: SECRET(),
    scope: 'read:mcp-logs-*',
    expectedIssuer: BASE(),
  });
  const mark = tapMark();
  const { client, transport, calls } = await connect(provider);
  try {
    // The discovery chain, exactly as the SDK walked it.
    const walk = calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.status}`);
    assert.deepEqual(walk.slice(0, 5), [
      'POST /mcp 401',
      'GET /.well-known/oauth-protected-resource/mcp 200',
      'GET /.well-known/oauth-authorization-server 200',
      'POST /oauth/token 200',
      'POST /mcp 200',
    ], walk.join('\n'));
    const form = calls[3].form;
    assert.equal(form.grant_type, 'client_credentials');
    assert.equal(form.resource, MCP(), 'the token request names /mcp as the resource (RFC 8707)');
    assert.equal(form.scope, 'read:mcp-logs-*');

    const token = provider.tokens().access_token;
    const c = claims(token);
    assert.equal(c.aud, MCP(), `the token is bound to /mcp: ${JSON.stringify(c.aud)}`);
    assert.equal(c.iss, BASE());
    assert.equal(c.scope, 'read:mcp-logs-*');
    assert.ok(['2025-06-18', '2025-11-25', '2025-03-26'].includes(transport.protocolVersion), transport.protocolVersion);

    // tools/list: every tool, each with an object inputSchema, index arguments named `index`.
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.ok(t.description && t.description.length > 20, `${t.name} has a description an agent can act on`);
      if (t.name !== 'cluster_health' && t.name !== 'list_indices') {
        assert.ok(t.inputSchema.properties?.index, `${t.name} takes "index"`);
        assert.ok(t.inputSchema.required?.includes('index'), `${t.name} requires "index"`);
      }
    }

    // search: the two error documents of mcp-logs-app, from the real OpenSearch.
    const found = await client.callTool({
      name: 'search',
      arguments: { index: 'mcp-logs-app', query: { match: { level: 'error' } }, sort: [{ bytes: 'asc' }] },
    });
    assert.ok(!found.isError, JSON.stringify(found));
    assert.deepEqual(hitsOf(found).map((h) => h.message), ['disk full', 'timeout calling db']);
    assert.ok(found.content.some((c) => c.type === 'text' && c.text.includes('disk full')), 'a text content item too');

    // A wildcard within the scope: both log indices, three errors.
    const all = await client.callTool({
      name: 'search',
      arguments: { index: 'mcp-logs-*', query: { term: { level: 'error' } }, size: 10 },
    });
    assert.ok(!all.isError, JSON.stringify(all));
    assert.deepEqual(hitsOf(all).map((h) => h.message).sort(), ['502 from upstream', 'disk full', 'timeout calling db']);

    // count
    const counted = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-app' } });
    assert.ok(!counted.isError, JSON.stringify(counted));
    assert.equal(counted.structuredContent.count, 3);
    const errors = await client.callTool({ name: 'count', arguments: { index: 'mcp-logs-*', query: { term: { level: 'error' } } } });
    assert.equal(errors.structuredContent.count, 3);

    // No passthrough: OpenSearch got the calls, with the proxy's identity headers and never this token.
    const seen = tapSince(mark, { catalog: false });
    assert.ok(seen.some((r) => /\/mcp-logs-app\/_search/.test(r.url)), JSON.stringify(seen.map((r) => r.url)));
    assert.ok(seen.some((r) => /\/mcp-logs-app\/_count/.test(r.url)), JSON.stringify(seen.map((r) => r.url)));
    for (const r of tapSince(mark)) {
      assert.notEqual(r.authorization?.sha256, sha256(token), `the client's token reached OpenSearch: ${r.method} ${r.url}`);
      assert.ok(!r.headers.includes('mcp-protocol-version') && !r.headers.includes('mcp-session-id'), r.url);
    }
    for (const r of seen) {
      assert.ok(r.proxy_user, `x-proxy-user set on ${r.method} ${r.url}`);
      assert.match(r.proxy_roles ?? '', /mcp_logs_reader/, `the mapped roles on ${r.method} ${r.url}`);
    }
  } finally {
    await client.close();
  }
});

test('a tool error that is not about authorization is a tool result with isError', async () => {
  const provider = new ClientCredentialsProvider({
    clientId: 'mcp-reader',
    clientSecret: SECRET(),
    scope: 'read:mcp-logs-*',
    expectedIssuer: BASE(),
  });
  const { client } = await connect(provider);
  try {
    const missing = await client.callTool({ name: 'search', arguments: { index: 'mcp-logs-does-not-exist' } });
    assert.equal(missing.isError, true, JSON.stringify(missing));
    assert.ok(missing.content.some((c) => c.type === 'text' && /no such index|index_not_found|not found/i.test(c.text)), JSON.stringify(missing));
  } finally {
    await client.close();
  }
});

test('explain_access answers from the decision for any /mcp token, without calling OpenSearch', async () => {
  const provider = new ClientCredentialsProvider({
    clientId: 'mcp-reader',
    clientSecret: SECRET(),
    scope: 'read:mcp-logs-*',
    expectedIssuer: BASE(),
  });
  const { client } = await connect(provider);
  try {
    const mark = tapMark();
    const yes = await client.callTool({ name: 'explain_access', arguments: { index: 'mcp-logs-app', action: 'read' } });
    assert.ok(!yes.isError, JSON.stringify(yes));
    assert.equal(yes.structuredContent.allowed, true, JSON.stringify(yes.structuredContent));
    assert.match(JSON.stringify(yes.structuredContent), /read:mcp-logs-\*/, 'names the scope that decided');
    const no = await client.callTool({ name: 'explain_access', arguments: { index: 'mcp-secret', action: 'read' } });
    assert.ok(!no.isError, JSON.stringify(no));
    assert.equal(no.structuredContent.allowed, false, JSON.stringify(no.structuredContent));
    const write = await client.callTool({ name: 'explain_access', arguments: { index: 'mcp-logs-app', action: 'write' } });
    assert.equal(write.structuredContent.allowed, false, JSON.stringify(write.structuredContent));
    assert.deepEqual(tapSince(mark, { catalog: false }), [], 'explain_access never reaches OpenSearch');
  } finally {
    await client.close();
  }
});

test('aggregate, get_mappings, list_indices and cluster_health with an operations client', async () => {
  const provider = new ClientCredentialsProvider({
    clientId: 'mcp-ops',
    clientSecret: SECRET(),
    scope: 'read:mcp-logs-* monitor:*',
    expectedIssuer: BASE(),
  });
  const { client } = await connect(provider);
  try {
    const agg = await client.callTool({
      name: 'aggregate',
      arguments: { index: 'mcp-logs-*', aggs: { by_level: { terms: { field: 'level.keyword' } }, total: { sum: { field: 'bytes' } } } },
    });
    assert.ok(!agg.isError, JSON.stringify(agg));
    const aggs = agg.structuredContent.aggregations ?? agg.structuredContent;
    assert.equal(aggs.total.value, 150);
    const levels = Object.fromEntries(aggs.by_level.buckets.map((b) => [b.key, b.doc_count]));
    assert.deepEqual(levels, { error: 3, info: 2 });

    const mappings = await client.callTool({ name: 'get_mappings', arguments: { index: 'mcp-logs-app' } });
    assert.ok(!mappings.isError, JSON.stringify(mappings));
    assert.match(JSON.stringify(mappings.structuredContent), /"message"/);

    const listed = await client.callTool({ name: 'list_indices', arguments: { index: 'mcp-logs-*' } });
    assert.ok(!listed.isError, JSON.stringify(listed));
    const text = JSON.stringify(listed.structuredContent);
    assert.ok(text.includes('mcp-logs-app') && text.includes('mcp-logs-web'), text);
    assert.ok(!text.includes('mcp-secret'), `only what the pattern names: ${text}`);

    const health = await client.callTool({ name: 'cluster_health', arguments: {} });
    assert.ok(!health.isError, JSON.stringify(health));
    assert.ok(['green', 'yellow'].includes(health.structuredContent.status), JSON.stringify(health.structuredContent));
  } finally {
    await client.close();
  }
});

test('results are capped: size is lowered to the hit cap, and a result too large is cut with truncated: true', async () => {
  const provider = new ClientCredentialsProvider({
    clientId: 'mcp-reader',
    clientSecret: SECRET(),
    scope: 'read:mcp-logs-*',
    expectedIssuer: BASE(),
  });
  const { client } = await connect(provider);
  const big = unique('mcp-logs-zbig');
  try {
    // The runner's [mcp] max_hits = 4; five documents match.
    const capped = await client.callTool({ name: 'search', arguments: { index: 'mcp-logs-*', size: 50 } });
    assert.ok(!capped.isError, JSON.stringify(capped));
    assert.equal(hitsOf(capped).length, 4);
    assert.equal(capped.structuredContent.total, 5);
    assert.equal(capped.structuredContent.truncated, false);

    // Documents larger together than the result cap (256 KiB by default).
    assert.equal((await os('PUT', `/${big}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } })).status, 200);
    for (let i = 1; i <= 3; i += 1) {
      assert.equal((await os('PUT', `/${big}/_doc/${i}?refresh=true`, { level: 'debug', message: 'y'.repeat(120_000) })).status, 201);
    }
    const cut = await client.callTool({ name: 'search', arguments: { index: big, size: 3 } });
    assert.ok(!cut.isError, JSON.stringify(cut).slice(0, 300));
    assert.equal(cut.structuredContent.truncated, true);
    assert.ok(JSON.stringify(cut.structuredContent).length <= 262_144 + 1024, 'within the cap');
    assert.ok(hitsOf(cut).length < 3, 'fewer hits than found');
  } finally {
    await client.close();
    await os('DELETE', `/${big}`);
  }
});
