// Shared by the tests: paths, the conformance vectors and the environment ci/test.sh sets up.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(PKG, '..', '..');

export const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'core', 'conformance', 'vectors.json'), 'utf8'));

/** A variable ci/test.sh exports; a missing one fails the test rather than skipping it. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through sdks/node/ci/test.sh`);
  return v;
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
