'use strict';
// Install step of @rtemem/eal-hugepage: makes sure there is a native binary
// for the Node that runs the install. The package ships one per supported
// Node ABI (prebuilds/<platform>-<arch>/@rtemem+eal-hugepage.abi<N>.node);
// when none is for this Node, or it does not load, it compiles one with
// node-gyp against this Node's headers and installs it under this Node's tag
// (scripts/native-build.cjs), next to the others.
//
// A failed build does not fail the install: the package still works with
// the `sab` backend. It is said loudly, here and at run time (a process
// warning and nativeLoadError()). RTEMEM_REQUIRE_NATIVE=1 fails the install
// instead (CI), RTEMEM_SKIP_NATIVE=1 skips the addon on purpose.
const path = require('node:path');
const { ROOT, compile, describeAbi, nodedirForRunningNode, presentBinaries, taggedPath, tryLoad } = require('./native-build.cjs');

const here = `Node ${process.versions.node} (ABI ${process.versions.modules}, ${process.platform}-${process.arch})`;

if (process.env.RTEMEM_SKIP_NATIVE === '1') {
  console.warn(`@rtemem/eal-hugepage: RTEMEM_SKIP_NATIVE=1, no native addon for ${here} (sab backend only)`);
  process.exit(0);
}

const abi = Number(process.versions.modules);
const file = path.join(ROOT, taggedPath(abi));
const fromSource = process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source');
let why = '';
if (!fromSource && require('node:fs').existsSync(file)) {
  const l = tryLoad(file);
  if (l.ok) {
    console.log(`@rtemem/eal-hugepage: using the prebuilt native addon for ${here}`);
    process.exit(0);
  }
  why = `the prebuilt binary for this ABI does not load (${l.error}); `;
} else if (!fromSource) {
  const others = presentBinaries().map((b) => describeAbi(b.abi));
  why = others.length > 0 ? `the package has prebuilt binaries for ${others.join('; ')}, none for this Node; ` : '';
}

const { nodedir, note } = nodedirForRunningNode();
if (note) console.warn(`@rtemem/eal-hugepage: ${note}`);
console.log(`@rtemem/eal-hugepage: ${why}building the native addon for ${here} with node-gyp`);
const r = compile({ nodedir, stdio: 'pipe' });
let error = null;
if (!r.ok) {
  // The compiler's own complaint: the last lines that say "error".
  const lines = r.log.split('\n').filter((l) => /error|not found|ENOENT/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  error = `node-gyp failed: ${lines.slice(-4).join(' | ').trim() || 'see its output above'}`;
  if (process.env.RTEMEM_BUILD_VERBOSE === '1' || process.env.RTEMEM_REQUIRE_NATIVE === '1') console.error(r.log);
} else {
  const l = tryLoad(r.file);
  if (l.ok) {
    console.log(`@rtemem/eal-hugepage: built ${path.relative(ROOT, r.file)}`);
    process.exit(0);
  }
  error = `the binary built does not load: ${l.error}`;
}

const bar = '!'.repeat(78);
console.warn(
  [
    bar,
    `@rtemem/eal-hugepage: WARNING: the native addon could not be built for ${here}.`,
    `  ${why}${error}`,
    "  Without it only the 'sab' backend works: no hugepages, no /dev/shm memory, no",
    "  secondary processes, no physical addresses; Eal.init({ backend: 'auto' }) falls",
    '  back to sab and nativeLoadError() says why.',
    '  To fix: install python3, make and g++ and run `npm rebuild @rtemem/eal-hugepage`',
    '  (RTEMEM_BUILD_VERBOSE=1 shows the compiler output), or use Node 20, 22 or 24,',
    '  for which the package ships prebuilt binaries.',
    bar,
  ].join('\n'),
);
process.exit(process.env.RTEMEM_REQUIRE_NATIVE === '1' ? 1 : 0);
