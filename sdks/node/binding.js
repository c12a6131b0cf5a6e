'use strict';
// Loads the native addon built for this platform (see scripts/build.mjs).
const path = require('node:path');

/** The addon's file name for this platform, e.g. `oauth4os.linux-x64-gnu.node`. */
function addonFile() {
  let abi = '';
  if (process.platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    abi = report && !report.header?.glibcVersionRuntime ? '-musl' : '-gnu';
  }
  return `oauth4os.${process.platform}-${process.arch}${abi}.node`;
}

function load() {
  const file = path.join(__dirname, addonFile());
  try {
    return require(file);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `oauth4os: the native addon ${addonFile()} is missing; build it with \`npm run build\` `
          + '(needs cargo) or install a package that ships it',
      );
    }
    throw err;
  }
}

module.exports = { addonFile, load };
