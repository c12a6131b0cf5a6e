#!/usr/bin/env node
// Test-only OpenID provider for the oauth4os integration tests.
//
//   node .ci/harness/oidc/server.mjs [--port N] [--ttl SECONDS] [--keys FILE] [--extra-scopes "a b"]
//
// Listens on 127.0.0.1 only. When ready it prints exactly one line of JSON on
// stdout ({"issuer":"http://127.0.0.1:PORT","port":PORT}); everything else goes
// to stderr. See .ci/README.md.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// oidc-provider prints notices with console.info; stdout is reserved for the
// single "ready" line, so route every console channel to stderr.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_RESOURCE = 'http://127.0.0.1:8443';
const BASE_SCOPES = [
  'openid',
  'offline_access',
  'read:logs-*',
  'write:logs-*',
  'read:metrics-*',
  'admin:*',
  'monitor:*',
];
const CLIENTS = [
  ['ci-client', 'ci-secret'],
  ['agent-a', 'secret-a'],
  ['agent-b', 'secret-b'],
];

function usage(code) {
  const text = 'usage: node server.mjs [--port N] [--ttl SECONDS] [--keys FILE] [--extra-scopes "s1 s2"]\n'
    + '  --port N            listen on 127.0.0.1:N (default 0 = any free port)\n'
    + '  --ttl SECONDS       access token lifetime (default 300)\n'
    + '  --keys FILE         load the signing JWKS from FILE, or create it there if missing\n'
    + '  --extra-scopes S    space-separated scopes added to the built-in list\n';
  (code === 0 ? process.stdout : process.stderr).write(text);
  process.exit(code);
}

function fail(message, code = 1) {
  process.stderr.write(`oidc: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { port: 0, ttl: 300, keys: undefined, extraScopes: [] };
  for (let i = 0; i < argv.length; i += 1) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      i += 1;
      if (i >= argv.length) fail(`${arg} needs a value`, 64);
      return argv[i];
    };
    switch (arg) {
      case '--port': {
        const v = next();
        if (!/^\d+$/.test(v) || Number(v) > 65535) fail(`--port: not a port number: ${v}`, 64);
        opts.port = Number(v);
        break;
      }
      case '--ttl': {
        const v = next();
        if (!/^\d+$/.test(v) || Number(v) < 1) fail(`--ttl: not a positive integer: ${v}`, 64);
        opts.ttl = Number(v);
        break;
      }
      case '--keys':
        opts.keys = path.resolve(next());
        break;
      case '--extra-scopes':
        opts.extraScopes.push(...next().split(/\s+/).filter(Boolean));
        break;
      case '-h':
      case '--help':
        usage(0);
        break;
      default:
        process.stderr.write(`oidc: unknown argument: ${arg}\n`);
        usage(64);
    }
  }
  return opts;
}

// ---- signing keys --------------------------------------------------------

// RFC 7638 JWK thumbprint, used as the kid.
function thumbprint(jwk) {
  const members = jwk.kty === 'EC'
    ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function generateKeys() {
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return [
    { ...ec, alg: 'ES256', use: 'sig', kid: thumbprint(ec) },
    { ...rsa, alg: 'RS256', use: 'sig', kid: thumbprint(rsa) },
  ];
}

function checkKeys(keys, file) {
  if (!Array.isArray(keys)) fail(`${file}: expected a JWKS object {"keys":[...]}`);
  const es = keys.find((k) => k.kty === 'EC' && k.crv === 'P-256' && k.d);
  const rs = keys.find((k) => k.kty === 'RSA' && k.d);
  if (!es || !rs) fail(`${file}: needs one private EC P-256 key and one private RSA key`);
  for (const [k, alg] of [[es, 'ES256'], [rs, 'RS256']]) {
    if (!k.kid) k.kid = thumbprint(k);
    if (!k.alg) k.alg = alg;
    if (!k.use) k.use = 'sig';
  }
  return [es, rs];
}

function loadOrCreateKeys(file) {
  if (!file) return generateKeys();
  if (fs.existsSync(file)) {
    let parsed;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      fail(`${file}: cannot read keys: ${err.message}`);
    }
    process.stderr.write(`oidc: loaded signing keys from ${file}\n`);
    return checkKeys(parsed?.keys, file);
  }
  const keys = generateKeys();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  process.stderr.write(`oidc: wrote new signing keys to ${file}\n`);
  return keys;
}

// ---- main ----------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));

if (!fs.existsSync(path.join(HERE, 'node_modules', 'oidc-provider', 'package.json'))) {
  fail('node_modules is missing: run `npm ci --prefix .ci/harness/oidc` first', 2);
}
let Provider;
try {
  ({ default: Provider } = await import('oidc-provider'));
} catch (err) {
  fail(`cannot load oidc-provider (${err.message}): run \`npm ci --prefix .ci/harness/oidc\` first`, 2);
}

const keys = loadOrCreateKeys(opts.keys);
const scopes = [...new Set([...BASE_SCOPES, ...opts.extraScopes])];
const stats = { token_requests: 0, jwks_requests: 0 };
let handler; // the provider's request listener, set once the provider exists

function sendJson(res, status, body, extraHeaders = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(data),
    ...extraHeaders,
  });
  res.end(data);
}

const server = http.createServer((req, res) => {
  let pathname;
  try {
    ({ pathname } = new URL(req.url, 'http://127.0.0.1'));
  } catch {
    sendJson(res, 400, { error: 'invalid_request' });
    return;
  }

  if (pathname === '/__test/stats') {
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
    return sendJson(res, 200, stats);
  }
  if (pathname === '/__test/reset') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
    stats.token_requests = 0;
    stats.jwks_requests = 0;
    return sendJson(res, 200, stats);
  }

  if (req.method === 'POST' && pathname === '/token') stats.token_requests += 1;
  else if (req.method === 'GET' && pathname === '/jwks') stats.jwks_requests += 1;

  if (!handler) return sendJson(res, 503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' });
  return handler(req, res);
});

server.on('error', (err) => fail(`cannot listen on 127.0.0.1:${opts.port}: ${err.message}`));

// Listen first, then build the provider from the port actually bound: no race.
await new Promise((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

function resourceServerInfo(_ctx, resourceIndicator) {
  const alg = /\/rs256$/.test(resourceIndicator) ? 'RS256' : 'ES256';
  return {
    scope: scopes.join(' '),
    audience: resourceIndicator,
    accessTokenTTL: opts.ttl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg } },
  };
}

const tokenTTL = (_ctx, token) => token?.resourceServer?.accessTokenTTL ?? opts.ttl;

const provider = new Provider(issuer, {
  clients: CLIENTS.map(([id, secret]) => ({
    client_id: id,
    client_secret: secret,
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
    ...(id === 'ci-client'
      ? {
        grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        application_type: 'native', // loopback redirect: any port is accepted
        // The second is oauth4os-proxy's own sign-in callback (GET /oauth/callback).
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/oauth/callback'],
      }
      : {
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }),
  })),
  jwks: { keys },
  scopes,
  claims: { openid: ['sub'] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  findAccount: (_ctx, accountId) => ({
    accountId,
    claims: () => ({ sub: accountId }),
  }),
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: resourceServerInfo,
    },
  },
  ttl: {
    AccessToken: tokenTTL,
    ClientCredentials: tokenTTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 86400,
    Grant: 86400,
    Interaction: 3600,
    Session: 86400,
  },
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc: server_error: ${err.stack || err}\n`));

handler = provider.callback();

let closing = false;
function shutdown(signal) {
  if (closing) return;
  closing = true;
  process.stderr.write(`oidc: ${signal}, shutting down\n`);
  setTimeout(() => process.exit(0), 3000).unref();
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

process.stderr.write(`oidc: ready at ${issuer} (ttl ${opts.ttl}s, kids ${keys.map((k) => `${k.alg}=${k.kid}`).join(', ')})\n`);
process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
