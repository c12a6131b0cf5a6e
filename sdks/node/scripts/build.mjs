#!/usr/bin/env node
// Builds the native addon from the Rust sources and puts it next to index.js as
// oauth4os.<platform>-<arch>[-<libc>].node (the file binding.js loads).
//
//   node scripts/build.mjs          build (release) and copy
//   node scripts/build.mjs --debug  dev profile
//   OAUTH4OS_SDK_PROFILE=NAME node scripts/build.mjs   that Cargo profile instead of release (the
//                                   SDK suites run with `sdk`, the build they share: Makefile sdk-build)
//   node scripts/build.mjs --auto   npm's `install` script: in a checkout of the repository build
//                                   (cargo is incremental, so this is quick when nothing changed);
//                                   in an installed tarball use the prebuilt addon it carries
// Building needs cargo on PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = path.resolve(HERE, '..');
const { addonFile } = createRequire(import.meta.url)('../binding.js');
const target = path.join(PKG, addonFile());
const args = new Set(process.argv.slice(2));

const manifest = path.resolve(PKG, '..', '..', 'bindings', 'node', 'Cargo.toml');
// ci/ is never packed: its presence tells a checkout from an installed tarball.
const checkout = fs.existsSync(path.join(PKG, 'ci', 'test.sh')) && fs.existsSync(manifest);
if (args.has('--auto') && !checkout && fs.existsSync(target)) process.exit(0);
if (!checkout) {
  process.stderr.write(
    `oauth4os: no prebuilt addon ${path.basename(target)} for this platform and no Rust sources `
      + `(${manifest}) to build it from\n`,
  );
  process.exit(1);
}

const cargoArgs = ['build', '--manifest-path', manifest, '-p', 'oauth4os-node', '--locked',
  '--message-format=json-render-diagnostics'];
cargoArgs.push('--profile', args.has('--debug') ? 'dev' : (process.env.OAUTH4OS_SDK_PROFILE || 'release'));
process.stderr.write(`oauth4os: building the native addon: cargo ${cargoArgs.join(' ')}\n`);
const run = spawnSync(process.env.CARGO || 'cargo', cargoArgs, {
  cwd: PKG,
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 * 1024 * 1024,
  encoding: 'utf8',
});
if (run.error) {
  process.stderr.write(`oauth4os: cannot run cargo (${run.error.message}); install Rust from https://rustup.rs\n`);
  process.exit(1);
}
if (run.status !== 0) process.exit(run.status ?? 1);

// The compiler-artifact message of the cdylib names the library file wherever the target dir is.
let built;
for (const line of run.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  const msg = JSON.parse(line);
  if (msg.reason === 'compiler-artifact' && msg.target?.name === 'oauth4os_node'
      && msg.target.kind.includes('cdylib')) {
    built = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
  }
}
if (!built) {
  process.stderr.write('oauth4os: cargo reported no cdylib for oauth4os-node\n');
  process.exit(1);
}
const tmp = `${target}.${process.pid}.tmp`;
fs.copyFileSync(built, tmp);
fs.renameSync(tmp, target);
process.stderr.write(`oauth4os: built ${path.relative(process.cwd(), target) || target}\n`);
