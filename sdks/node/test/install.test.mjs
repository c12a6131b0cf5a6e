// Installation as users do it: the packed tarball and the source folder, each in a fresh project.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { PKG } from './support.mjs';

const { addonFile } = createRequire(import.meta.url)('../binding.js');
const addon = addonFile();

const npm = (args, cwd, extraEnv = {}) => spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
  cwd, encoding: 'utf8', env: { ...process.env, ...extraEnv },
});

function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth4os-node-install-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  return dir;
}

// Loads the installed package from the consumer project, as CommonJS and as ESM.
function loads(dir) {
  const cjs = execFileSync(process.execPath, ['-e', `
    const o = require('oauth4os');
    console.log(o.version, o.scopes.normalize('read:b read:a'), new o.InvalidTokenError('x') instanceof o.OAuth4osError);
  `], { cwd: dir, encoding: 'utf8' });
  assert.equal(cjs.trim(), '0.1.0 read:a read:b true');
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { classify, InvalidTokenError, OAuth4osError } from 'oauth4os';
    console.log(classify('GET', '/logs-a/_search').endpoint, new InvalidTokenError('x') instanceof OAuth4osError);
  `], { cwd: dir, encoding: 'utf8' });
  assert.equal(esm.trim(), 'search true');
}

test('npm pack: the tarball holds the addon and the sources only, and installs and loads', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth4os-node-pack-'));
  try {
    const packed = npm(['pack', '--json', '--pack-destination', out], PKG);
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout);
    const files = info.files.map((f) => f.path).sort();
    assert.ok(files.includes(addon), `no ${addon} in ${files}`);
    for (const f of ['index.js', 'index.d.ts', 'native.d.ts', 'binding.js', 'package.json', 'README.md', 'scripts/build.mjs']) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    assert.ok(!files.some((f) => /^(test|node_modules|build|ci|bench)\//.test(f)), `${files}`);
    const dir = project();
    try {
      const inst = npm(['install', path.join(out, info.filename)], dir);
      assert.equal(inst.status, 0, inst.stderr);
      const installed = path.join(dir, 'node_modules', 'oauth4os');
      assert.ok(!fs.lstatSync(installed).isSymbolicLink());
      assert.ok(fs.existsSync(path.join(installed, addon)), 'the prebuilt addon is installed');
      loads(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('npm install <folder>: the install script builds the addon with cargo, then it loads', () => {
  const dir = project();
  try {
    // From a checkout the install script always runs cargo (quick here: ci/test.sh built it already).
    const before = fs.statSync(path.join(PKG, addon)).mtimeMs;
    const inst = npm(['install', PKG, '--foreground-scripts'], dir);
    assert.equal(inst.status, 0, inst.stderr);
    assert.match(inst.stdout + inst.stderr, /building the native addon: cargo build/);
    assert.match(inst.stdout + inst.stderr, /oauth4os: built /);
    assert.ok(fs.statSync(path.join(PKG, addon)).mtimeMs > before, 'the addon was not replaced');
    loads(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
