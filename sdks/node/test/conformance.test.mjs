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

// How each scope operation of the vectors is replayed through the package.
const scopeOps = {
  parse: (c) => scopes.normalize(c.input),
  allows: (c) => scopes.allows(c.granted, c.action, c.target),
  covers: (c) => scopes.covers(c.granted, c.scope),
  is_within: (c) => scopes.isWithin(c.scopes, c.ceiling),
  attenuate: (c) => scopes.attenuate(c.requested, c.allowed),
};

test('scope vectors: parse, allows, covers, isWithin, attenuate', () => {
  let total = 0;
  for (const [op, run] of Object.entries(scopeOps)) {
    assert.ok(vectors.scopes[op].length > 0, `no ${op} cases`);
    for (const c of vectors.scopes[op]) {
      const r = outcome(() => run(c));
      const got = r.ok ? { ok: true, value: r.value } : { ok: false, code: r.code, reason: r.reason };
      assert.deepEqual(got, c.expect, `${op} ${JSON.stringify(c)}`);
      total += 1;
    }
  }
  assert.ok(total >= 60, `only ${total} scope cases`);
  assert.equal(scopes.isWithin('read:logs-2026.*', 'read:logs-*'), true);
  assert.equal(scopes.isWithin('read:*', 'read:logs-*'), false);
});

test('classification vectors: endpoint and accesses, or code and reason', () => {
  assert.ok(vectors.classification.length >= 90);
  for (const c of vectors.classification) {
    const path = c.query === null ? c.path : `${c.path}?${c.query}`;
    const r = outcome(() => classify(c.method, path, c.body));
    const got = r.ok ? { ok: true, ...r.value } : { ok: false, code: r.code, reason: r.reason };
    assert.deepEqual(got, c.expect, `${c.method} ${path}: ${c.why}`);
  }
});
