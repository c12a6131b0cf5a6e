// Shared by the tests: paths, the conformance vectors, and the test peers of the repository's
// harness (.ci/harness/peers.sh), which ci/test.sh runs the tests under.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(PKG, '..', '..');

export const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'core', 'conformance', 'vectors.json'), 'utf8'));

/** The harness's OAUTH4OS_TEST_* variables: the environment's, else those of its env file. */
function harnessEnv() {
  const found = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OAUTH4OS_TEST_')));
  const file = process.env.OAUTH4OS_TEST_ENV;
  if (file && fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      if (eq > 0 && key.startsWith('OAUTH4OS_TEST_') && !(key in found)) found[key] = line.slice(eq + 1);
    }
  }
  return found;
}

/** A variable of the harness (`PROXY_URL` for OAUTH4OS_TEST_PROXY_URL); a missing one fails the test. */
export function peer(name) {
  const v = harnessEnv()[`OAUTH4OS_TEST_${name}`];
  if (!v) throw new Error(`OAUTH4OS_TEST_${name} is not set: run the tests through sdks/node/ci/test.sh`);
  return v;
}

// This suite's documents in OpenSearch: `node-*` indices are the Node suite's own.
const SEED = {
  'node-logs-1': [
    { level: 'error', message: 'disk full', service: 'api' },
    { level: 'info', message: 'started', service: 'api' },
  ],
  'node-secret': [{ level: 'error', message: 'classified' }],
};

async function opensearch(method, urlPath, body) {
  const r = await fetch(`${peer('OPENSEARCH_URL')}${urlPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r;
}

/** Creates the suite's indices afresh (no replicas: the single node stays green). */
export async function seedIndices() {
  await dropIndices();
  for (const [index, docs] of Object.entries(SEED)) {
    const created = await opensearch('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    if (!created.ok) throw new Error(`creating ${index}: ${created.status} ${await created.text()}`);
    for (const [i, doc] of docs.entries()) {
      const put = await opensearch('PUT', `/${index}/_doc/${i + 1}?refresh=true`, doc);
      if (!put.ok) throw new Error(`indexing into ${index}: ${put.status} ${await put.text()}`);
    }
  }
}

/** Deletes the suite's indices (absent ones are fine). */
export async function dropIndices() {
  await opensearch('DELETE', `/${Object.keys(SEED).join(',')}?ignore_unavailable=true`);
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
