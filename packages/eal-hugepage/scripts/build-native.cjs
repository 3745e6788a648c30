'use strict';
// `pnpm --filter @rtemem/eal-hugepage build:native [-- --nodedir DIR]`:
// compiles the addon for the Node running this script (or for the Node whose
// headers are in DIR) and installs it as that ABI's tagged binary,
// prebuilds/<platform>-<arch>/@rtemem+eal-hugepage.abi<N>.node, which is the
// one the loader picks on that Node. Binaries of other ABIs stay, so one
// checkout serves Node 20, 22 and 24 at once (build once with each).
// Exits non-zero when the build fails or (for the running Node) the result
// does not load. --if-missing: do nothing when the running Node already has
// a binary that loads (what `pnpm bench --node 24` uses; after editing the
// C++ sources, build without it).
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, compile, describeAbi, headerVersion, nodedirForRunningNode, taggedPath, tryLoad } = require('./native-build.cjs');

const args = process.argv.slice(2);
if (args.includes('--if-missing')) {
  const file = path.join(ROOT, taggedPath(process.versions.modules));
  if (fs.existsSync(file) && tryLoad(file).ok) {
    console.log(`@rtemem/eal-hugepage: Node ${process.versions.node} (${describeAbi(Number(process.versions.modules))}) has its binary: ${file}`);
    process.exit(0);
  }
}
const i = args.indexOf('--nodedir');
let target;
if (i >= 0) {
  const dir = args[i + 1];
  const v = dir ? headerVersion(dir) : null;
  if (v === null) {
    console.error(`build-native: --nodedir ${dir ?? '(missing)'} has no Node headers (include/node/node_version.h)`);
    process.exit(2);
  }
  target = { nodedir: require('node:path').resolve(dir), version: v.version, abi: v.abi };
} else {
  const { nodedir, note } = nodedirForRunningNode();
  if (note) console.warn(`@rtemem/eal-hugepage: ${note}`);
  target = { nodedir, version: process.versions.node, abi: Number(process.versions.modules) };
}
console.log(`@rtemem/eal-hugepage: building the addon for Node ${target.version} (${describeAbi(target.abi)}) against ${target.nodedir ?? "node-gyp's downloaded headers"}`);
const r = compile({ ...target, stdio: process.env.RTEMEM_BUILD_VERBOSE === '1' ? 'inherit' : 'pipe' });
if (!r.ok) {
  console.error(r.log.split('\n').slice(-40).join('\n'));
  console.error(`@rtemem/eal-hugepage: the build for Node ${target.version} failed (node-gyp's output above)`);
  process.exit(1);
}
if (target.abi === Number(process.versions.modules)) {
  const l = tryLoad(r.file);
  if (!l.ok) {
    console.error(`@rtemem/eal-hugepage: built ${r.file} but it does not load: ${l.error}`);
    process.exit(1);
  }
}
console.log(`@rtemem/eal-hugepage: wrote ${r.file}`);
