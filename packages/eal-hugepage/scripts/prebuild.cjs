'use strict';
// Pack step of @rtemem/eal-hugepage (`prepack`): builds the prebuilt addon
// that the tarball ships, prebuilds/<platform>-<arch>/@rtemem+eal-hugepage.abi<N>.node,
// with prebuildify for the Node that runs this script. node-gyp-build loads it
// at run time (and scripts/install.cjs finds it at install, so no compiler is
// needed); without it, install falls back to a source build.
//
// Tagged with the Node ABI (abi115 for Node 20), not `napi`: the addon calls
// V8's C++ API directly (v8::SharedArrayBuffer::NewBackingStore, see
// src/native/mapping.cc), whose ABI changes with every Node major, so a
// `napi`-tagged binary would claim a compatibility it does not have.
// node-gyp-build only picks an abi-tagged binary on the matching Node ABI and
// falls back to build/ or a source build elsewhere.
//
// The build runs in a scratch copy so that the package's own build/ (what
// tests and the demo load in this checkout) is not rebuilt under them.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');

if (process.env.RTEMEM_SKIP_PREBUILD === '1') {
  console.warn('@rtemem/eal-hugepage: RTEMEM_SKIP_PREBUILD=1, packing without a prebuilt addon');
  process.exit(0);
}

const env = { ...process.env };
// Compile against the headers of the Node that runs this, when it has them
// (an official or distro install puts them in <prefix>/include/node): no
// header download, and the ABI matches by construction.
if (!env.npm_config_nodedir) {
  const prefix = path.join(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rtemem-prebuild-'));
let status = 1;
try {
  for (const f of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(root, f), path.join(scratch, f));
  fs.cpSync(path.join(root, 'src', 'native'), path.join(scratch, 'src', 'native'), { recursive: true });
  // binding.gyp finds node-addon-api's headers with require() from the build dir.
  const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
  fs.mkdirSync(path.join(scratch, 'node_modules'));
  fs.symlinkSync(addonApi, path.join(scratch, 'node_modules', 'node-addon-api'), 'dir');
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
  // Our pinned node-gyp, by path: not whichever one PATH has first.
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const r = spawnSync(
    process.execPath,
    [bin, '--no-napi', '--strip', '--target', `node@${process.versions.node}`, '--node-gyp', nodeGyp, '--out', root],
    { cwd: scratch, env, stdio: 'inherit' },
  );
  status = r.status ?? 1;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
if (status !== 0) {
  console.error('@rtemem/eal-hugepage: prebuildify failed; the package would ship without a prebuilt addon (set RTEMEM_SKIP_PREBUILD=1 to pack it anyway)');
  process.exit(status);
}
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
for (const f of fs.readdirSync(dir)) console.log(`@rtemem/eal-hugepage: prebuilt ${path.join('prebuilds', `${process.platform}-${process.arch}`, f)}`);
