#!/usr/bin/env node
// A recording pass-through in front of the real OpenSearch, for the /mcp end-to-end tests:
// the proxy's upstream is this tap, which forwards every request unchanged to OpenSearch and
// appends one JSON line per request to a log. The tests read the log to prove what OpenSearch
// saw (or did not see): no request at all for a refused tool call, never the client's bearer
// token (only its SHA-256 is written, never a token), and the identity headers the proxy set.
//
//   node tap.mjs --upstream http://127.0.0.1:PORT --log FILE
//
// Listens on 127.0.0.1, any free port; when ready prints one line {"url":"http://127.0.0.1:N"}.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

function fail(message) {
  process.stderr.write(`tap: ${message}\n`);
  process.exit(64);
}

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i === -1 || i + 1 >= args.length) fail(`${name} is required`);
  return args[i + 1];
};
const upstream = new URL(opt('--upstream'));
const logFile = opt('--log');
if (upstream.protocol !== 'http:') fail('--upstream must be http://');

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer((req, res) => {
  const auth = req.headers.authorization;
  fs.appendFileSync(logFile, `${JSON.stringify({
    method: req.method,
    url: req.url,
    // Which scheme, and a digest to compare with a token the test holds: never the value.
    authorization: auth === undefined ? null : { scheme: auth.split(' ')[0], sha256: sha256(auth.split(' ').slice(1).join(' ')) },
    headers: Object.keys(req.headers).sort(),
    proxy_user: req.headers['x-proxy-user'] ?? null,
    proxy_roles: req.headers['x-proxy-roles'] ?? null,
  })}\n`);
  const headers = { ...req.headers, host: upstream.host };
  const out = http.request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers,
    agent,
  }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (err) => {
    process.stderr.write(`tap: upstream error: ${err.message}\n`);
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"tap: upstream unreachable"}');
  });
  req.pipe(out);
});

server.on('error', (err) => fail(`cannot listen: ${err.message}`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
