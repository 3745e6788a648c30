'use strict';
// Install step of @rtemem/eal-hugepage: load a prebuilt addon or build it
// from source with node-gyp. A failed build never fails the install: the
// package still works with the `sab` backend and nativeAvailable() says why.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (process.env.RTEMEM_SKIP_NATIVE === '1') {
  console.warn('@rtemem/eal-hugepage: RTEMEM_SKIP_NATIVE=1, not building the native addon (sab backend only)');
  process.exit(0);
}
const bin = require.resolve('node-gyp-build/bin.js');
const r = spawnSync(process.execPath, [bin], { cwd: root, stdio: 'inherit', env: process.env });
if (r.status !== 0) {
  console.warn(
    '@rtemem/eal-hugepage: the native addon could not be built (a C++ toolchain, python3 and make are needed).\n' +
      "  Only the 'sab' backend will be available; nativeAvailable() returns false and explains why.",
  );
}
process.exit(0);
