// The package itself: version, generated types, error classes, panics, TypeScript.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import oauth4os from 'oauth4os';
import { PKG, ROOT } from './support.mjs';

const { native, fromNative } = oauth4os[Symbol.for('oauth4os.private')];
const prefix = native._errorPrefix();

test('package.json, the addon and the workspace carry one version', () => {
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const ws = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(cargo);
  assert.ok(ws, 'workspace version not found in Cargo.toml');
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  assert.equal(pkg.version, ws[1]);
  assert.equal(native.version(), ws[1]);
  assert.equal(oauth4os.version, ws[1]);
});

test('native.d.ts is what napi-rs generates from the current binding', () => {
  const fresh = path.join(PKG, 'build', 'native.d.ts');
  assert.ok(fs.existsSync(fresh), 'build/native.d.ts missing: ci/test.sh generates it with `napi build --dts`');
  assert.equal(
    fs.readFileSync(path.join(PKG, 'native.d.ts'), 'utf8'),
    fs.readFileSync(fresh, 'utf8'),
    'native.d.ts is stale: copy build/native.d.ts over it',
  );
});

const pascal = (code) => code.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
// `invalid_token` → `InvalidTokenError`; `server_error` → `ServerError` (never `ErrorError`).
const className = (code) => (code.endsWith('_error') ? pascal(code) : `${pascal(code)}Error`);

test('every core error code has its own OAuth4osError subclass, and no class is stale', () => {
  const codes = native.errorCodes();
  assert.equal(codes.length, 23);
  assert.deepEqual([...oauth4os.errorCodes], codes);
  assert.deepEqual(Object.keys(oauth4os.errorClasses).sort(), [...codes].sort());
  const seen = new Set();
  for (const code of codes) {
    const Class = oauth4os.errorClasses[code];
    assert.ok(Class, `no class for core code ${code}`);
    assert.notEqual(Class, oauth4os.OAuth4osError, code);
    assert.ok(Class.prototype instanceof oauth4os.OAuth4osError, code);
    assert.equal(Class.name, className(code));
    assert.equal(Class.code, code);
    assert.equal(new Class('m').code, code, 'a class made by hand has its code');
    assert.equal(oauth4os[Class.name], Class, `${Class.name} is exported`);
    assert.ok(!seen.has(Class), `${code} shares a class`);
    seen.add(Class);
    // The native error of that code becomes that class, with every field.
    const e = fromNative(new Error(`${prefix}${JSON.stringify({
      code, reason: 'r', message: 'm', help: 'h', retry_after: 3, scope: 's',
    })}`));
    assert.ok(e instanceof Class && e instanceof Error);
    assert.deepEqual(
      [e.name, e.code, e.reason, e.message, e.help, e.retryAfter, e.scope],
      [Class.name, code, 'r', 'm', 'h', 3, 's'],
    );
  }
});

test('configuration errors are ConfigError naming the field, never echoing a value', () => {
  assert.throws(
    () => new oauth4os.Client({ tokenUrl: 'http://127.0.0.1:1/t', clientId: 'a', clientSecret: 'hunter2-secret', bogusOption: 'x' }),
    (e) => e instanceof oauth4os.ConfigError && e.reason === 'bad_config'
      && e.message.includes('bogus_option') && !e.message.includes('hunter2'),
  );
  assert.throws(
    () => new oauth4os.Client({ tokenUrl: 'http://127.0.0.1:1/t', clientId: 'a', clientSecret: 987654321 }),
    (e) => e instanceof oauth4os.ConfigError && !e.message.includes('987654321'),
  );
  assert.throws(
    () => new oauth4os.Client({ clientId: 'a', clientSecret: 's' }),
    (e) => e instanceof oauth4os.ConfigError && e.reason === 'missing_token_endpoint',
  );
  assert.throws(
    () => new oauth4os.Verifier({ issuer: 'http://127.0.0.1:1' }),
    (e) => e instanceof oauth4os.ConfigError && e.message.includes('audiences'),
  );
  assert.throws(
    () => oauth4os.Verifier.fromJwks({ keys: [] }, { issuer: 'http://i', audience: '' }),
    (e) => e instanceof oauth4os.ConfigError && e.reason === 'missing_audience' && typeof e.help === 'string',
  );
});

test('an unreachable token endpoint is a NetworkError', async () => {
  const c = new oauth4os.Client({ tokenUrl: 'http://127.0.0.1:9/oauth/token', clientId: 'a', clientSecret: 'b' });
  await assert.rejects(c.token(), (e) => e instanceof oauth4os.NetworkError && e.code === 'network');
  assert.equal(c.stats().tokenRequests, 1);
});

test('a Rust panic is a JS InternalError on the sync and the async path; the process lives on', async () => {
  let caught;
  try {
    native.__testPanicSync();
  } catch (e) {
    caught = fromNative(e);
  }
  assert.ok(caught instanceof oauth4os.InternalError, `sync: ${caught}`);
  await assert.rejects(
    native.__testPanicAsync().catch((e) => { throw fromNative(e); }),
    (e) => e instanceof oauth4os.InternalError && e.code === 'internal',
  );
  assert.equal(oauth4os.scopes.normalize('read:a read:a'), 'read:a');
  // In a process of its own: both panics, then it carries on and exits normally.
  const script = `
    const o = require(${JSON.stringify(PKG)});
    const { native: n, fromNative } = o[Symbol.for('oauth4os.private')];
    try { n.__testPanicSync(); } catch (e) { console.log('sync', fromNative(e).code); }
    n.__testPanicAsync().catch((e) => { console.log('async', fromNative(e).code); console.log('alive'); });
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, RUST_BACKTRACE: '0' } });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.signal, null);
  assert.deepEqual(child.stdout.trim().split('\n'), ['sync internal', 'async internal', 'alive']);
});

function tsc(project) {
  return spawnSync(process.execPath, [path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
    encoding: 'utf8',
    cwd: PKG,
  });
}

test('index.d.ts type-checks against the typed usage file, and catches misuse', () => {
  const ok = tsc(path.join(PKG, 'types', 'tsconfig.json'));
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // The same setup with a wrong option name must fail: the check is real.
  const dir = path.join(PKG, 'build', 'tsc-misuse');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bad.ts'), "import { Client } from 'oauth4os';\nnew Client({ clientID: 'x' });\n");
  const cfg = JSON.parse(fs.readFileSync(path.join(PKG, 'types', 'tsconfig.json'), 'utf8'));
  cfg.files = ['bad.ts'];
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(cfg));
  const bad = tsc(dir);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /clientID/);
});

test('errorReasons and decide are the core\'s, converted', () => {
  assert.deepEqual([...oauth4os.errorReasons], native.errorReasons());
  assert.ok(['revoked', 'expired', 'insufficient_scope'].every((r) => oauth4os.errorReasons.includes(r)));
  const claims = { iss: 'i', aud: ['a'], exp: 1, client_id: 'bot', scope: 'read:logs-*' };
  const ok = oauth4os.decide(claims, 'GET', '/logs-1/_search?q=x');
  assert.equal(ok.decision, 'allow');
  assert.deepEqual(ok.accesses, [{ action: 'read', index: 'logs-1', scope: 'read:logs-*' }]);
  assert.deepEqual(ok.policies, ['oauth4os/scopes']);
  assert.equal(ok.scopes, 'read:logs-*');
  assert.equal(ok.error, undefined);
  assert.deepEqual(oauth4os.decide(JSON.stringify(claims), 'GET', '/logs-1/_search'), { ...ok });
  const denied = oauth4os.decide(claims, 'POST', '/metrics/_search', { body: {} });
  assert.equal(denied.decision, 'deny');
  assert.deepEqual([denied.error.code, denied.error.reason, denied.error.scope], ['insufficient_scope', 'insufficient_scope', 'read:metrics']);
  const forbid = { 'deny.cedar': 'forbid(principal, action, resource);' };
  assert.equal(oauth4os.decide(claims, 'GET', '/logs-1/_search', { policies: forbid }).error.code, 'access_denied');
  assert.throws(() => oauth4os.decide('{}', 'GET', '/'), oauth4os.InvalidRequestError);
});
