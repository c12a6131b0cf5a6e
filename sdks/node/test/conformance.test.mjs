// Replays core/conformance/vectors.json through the package: same results, same codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import oauth4os from 'oauth4os';
import { vectors } from './support.mjs';

const { Verifier, classify, scopes, OAuth4osError, errorClasses } = oauth4os;

function outcome(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    assert.ok(e instanceof OAuth4osError, `not an OAuth4osError: ${e}`);
    assert.ok(e instanceof errorClasses[e.code], `${e.code} has the wrong class ${e.name}`);
    return { ok: false, code: e.code, reason: e.reason };
  }
}

test('verification vectors: claims or code and reason, sync and async, then from the cache', async () => {
  const cases = vectors.verification;
  assert.ok(cases.length >= 30);
  const options = {
    issuer: vectors.verifier.issuer,
    audiences: vectors.verifier.audiences,
    algorithms: vectors.verifier.algorithms,
    leeway: vectors.verifier.leeway,
    requiredTyp: vectors.verifier.required_typ,
  };
  const fresh = () => Verifier.fromJwks(vectors.jwks, options);
  const syncVerifier = fresh();
  const asyncVerifier = fresh();
  let valid = 0;
  for (const c of cases) {
    const r = outcome(() => syncVerifier.verifySync(c.token, { now: vectors.now }));
    const got = r.ok ? { ok: true, claims: r.value } : { ok: false, code: r.code, reason: r.reason };
    assert.deepEqual(got, c.expect, `vector ${c.name}`);
    let viaPromise;
    try {
      viaPromise = { ok: true, claims: await asyncVerifier.verify(c.token, { now: vectors.now }) };
    } catch (e) {
      viaPromise = { ok: false, code: e.code, reason: e.reason };
    }
    assert.deepEqual(viaPromise, c.expect, `vector ${c.name} (verify)`);
    if (c.expect.ok) {
      valid += 1;
      // Again: the cached answer is the same.
      assert.deepEqual(syncVerifier.verifySync(c.token, { now: vectors.now }), c.expect.claims);
    }
  }
  assert.ok(valid >= 5, 'the vectors include valid tokens');
});

test('a verified token is no longer accepted once it expired, cache or not', () => {
  const v = Verifier.fromJwks(vectors.jwks, {
    issuer: vectors.verifier.issuer,
    audiences: vectors.verifier.audiences,
    requiredTyp: vectors.verifier.required_typ,
  });
  const good = vectors.verification.find((c) => c.name === 'valid_es256');
  const claims = v.verifySync(good.token, { now: vectors.now });
  assert.throws(
    () => v.verifySync(good.token, { now: claims.exp + vectors.verifier.leeway + 1 }),
    (e) => e instanceof oauth4os.InvalidTokenError && e.reason === 'expired',
  );
});

test('scope vectors: parse, allows, attenuate', () => {
  for (const c of vectors.scopes.parse) {
    const r = outcome(() => scopes.normalize(c.input));
    const got = r.ok
      ? { input: c.input, ok: true, normalized: r.value }
      : { input: c.input, ok: false, code: r.code, reason: r.reason };
    assert.deepEqual(got, c, `parse ${JSON.stringify(c.input)}`);
  }
  for (const c of vectors.scopes.allows) {
    assert.equal(scopes.allows(c.granted, c.action, c.target), c.allowed, JSON.stringify(c));
  }
  for (const c of vectors.scopes.attenuate) {
    const r = outcome(() => scopes.attenuate(c.requested, c.allowed));
    const got = r.ok
      ? { requested: c.requested, allowed: c.allowed, ok: true, granted: r.value }
      : { requested: c.requested, allowed: c.allowed, ok: false, code: r.code, reason: r.reason };
    assert.deepEqual(got, c, JSON.stringify(c));
  }
  assert.equal(scopes.isWithin('read:logs-2026.*', 'read:logs-*'), true);
  assert.equal(scopes.isWithin('read:*', 'read:logs-*'), false);
});

test('classification vectors: endpoint and accesses, or code and reason', () => {
  assert.ok(vectors.classification.length >= 30);
  for (const c of vectors.classification) {
    const path = c.query === null ? c.path : `${c.path}?${c.query}`;
    const r = outcome(() => classify(c.method, path, c.body));
    const got = r.ok ? { ok: true, ...r.value } : { ok: false, code: r.code, reason: r.reason };
    assert.deepEqual(got, c.expect, `${c.method} ${path}`);
  }
});
