#!/usr/bin/env node
// Access-token verification: oauth4os (Rust core through the addon) vs jose, ES256 and RS256.
//   cold:   a new token every call, keys already loaded (oauth4os with its verified-token cache off)
//   cached: the same token again (oauth4os serves it from its verified-token cache; jose has none)
// Not a test. Run after building the addon in release mode (npm run build):
//   node sdks/node/bench/verify.mjs [--time-ms 1500]
import crypto from 'node:crypto';

import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { Bench } from 'tinybench';
import oauth4os from 'oauth4os';

const timeArg = process.argv.indexOf('--time-ms');
const TIME = timeArg === -1 ? 1500 : Number(process.argv[timeArg + 1]);
const ISS = 'https://idp.bench.test';
const AUD = 'https://proxy.bench.test';
const TOKENS = 20000; // more than any run uses, so "cold" never repeats a token

function keyPair(alg) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${alg.toLowerCase()}-1`;
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), alg, use: 'sig', kid } };
}

const algs = ['ES256', 'RS256'];
const pairs = Object.fromEntries(algs.map((a) => [a, keyPair(a)]));
const jwks = { keys: algs.map((a) => pairs[a].jwk) };

async function mint(alg, i) {
  return new SignJWT({ scope: 'read:logs-*', client_id: 'bench', jti: `j-${alg}-${i}` })
    .setProtectedHeader({ alg, kid: pairs[alg].jwk.kid, typ: 'at+jwt' })
    .setIssuer(ISS).setAudience(AUD).setSubject('bench').setIssuedAt().setExpirationTime('1h')
    .sign(pairs[alg].privateKey);
}

const opts = { issuer: ISS, audience: AUD, algorithms: algs, requiredTyp: 'at+jwt' };
const coldVerifier = oauth4os.Verifier.fromJwks(jwks, { ...opts, cacheCapacity: 0 });
const cachedVerifier = oauth4os.Verifier.fromJwks(jwks, opts);
const joseKeys = createLocalJWKSet(jwks);
const joseOpts = { issuer: ISS, audience: AUD, algorithms: algs, typ: 'at+jwt' };

const rows = [];
for (const alg of algs) {
  const tokens = [];
  for (let i = 0; i < TOKENS; i += 1) tokens.push(await mint(alg, i));
  const one = tokens[0];
  // Sanity: both accept the tokens and agree on the subject.
  const a = await coldVerifier.verify(one);
  const b = (await jwtVerify(one, joseKeys, joseOpts)).payload;
  if (a.sub !== b.sub) throw new Error('the verifiers disagree');
  await cachedVerifier.verify(one);

  let n = 0;
  const next = () => { n = (n + 1) % TOKENS; return tokens[n]; };
  const bench = new Bench({ time: TIME, warmupTime: 200 });
  const tasks = {
    'cold|oauth4os verify()': () => coldVerifier.verify(next()),
    'cold|oauth4os verifySync()': () => coldVerifier.verifySync(next()),
    'cold|jose jwtVerify()': () => jwtVerify(next(), joseKeys, joseOpts),
    'cached|oauth4os verify()': () => cachedVerifier.verify(one),
    'cached|oauth4os verifySync()': () => cachedVerifier.verifySync(one),
    'cached|jose jwtVerify()': () => jwtVerify(one, joseKeys, joseOpts),
  };
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  if (n === 0) throw new Error('no iterations ran');
  const med = {};
  for (const t of bench.tasks) {
    const [mode, impl] = t.name.split('|');
    med[t.name] = t.result.latency.p50 * 1000;
    rows.push({ alg, mode, impl, 'median µs': Number(med[t.name].toFixed(2)), samples: t.result.latency.samplesCount });
  }
  for (const mode of ['cold', 'cached']) {
    for (const api of ['verify()', 'verifySync()']) {
      const r = med[`${mode}|jose jwtVerify()`] / med[`${mode}|oauth4os ${api}`];
      rows.push({ alg, mode, impl: `speed-up of oauth4os ${api} over jose`, 'median µs': `${r.toFixed(2)}x` });
    }
  }
}
console.table(rows);
console.log(`node ${process.version} ${process.arch}; tinybench, ${TIME} ms per task; medians from the same run`);
