'use strict';
// Pack step of @rtemem/eal-hugepage (`prepack`, and `pnpm build:prebuild`):
// compiles the addon once per supported Node major and leaves exactly those
// binaries in prebuilds/<platform>-<arch>/@rtemem+eal-hugepage.abi<N>.node
// (prebuildify's naming), so that the tarball carries one per ABI. At
// install (scripts/install.cjs) and run time (src/native.ts) the one for the
// running Node's ABI is picked; no compiler is needed on those Nodes.
//
// Tagged with the Node ABI (abi115 for Node 20, abi127 for 22, abi137 for
// 24), not `napi`: the addon calls V8's C++ API directly
// (v8::SharedArrayBuffer::NewBackingStore, see src/native/mapping.cc), whose
// ABI changes with every Node major, so a `napi`-tagged binary would claim a
// compatibility it does not have.
//
// Each major compiles against its own headers, without running that Node:
// the running Node's when it is of that major, else npm's nodedir when it
// holds that major (the system's Node 20 in /usr here), else the registry's
// node-linux-<arch>@<major> package, fetched once into .cache/node/<major>
// by the repository's scripts/node-dist.mjs. RTEMEM_PREBUILD_NODES=20,24
// picks other majors. Binaries of other ABIs (a local build for a Node the
// package does not ship for) are removed, so the tarball holds the set above.
//
// A binary already there that is newer than every native source and
// binding.gyp (built by the install, `build:native` or an earlier pack) is
// kept rather than compiled again: three compiles per pack made packing
// slow enough to time out on a loaded machine. RTEMEM_PREBUILD_FRESH=1
// compiles all of them anyway.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, compile, describeAbi, headerVersion, taggedPath } = require('./native-build.cjs');

const SUPPORTED = ['20', '22', '24'];

if (process.env.RTEMEM_SKIP_PREBUILD === '1') {
  console.warn('@rtemem/eal-hugepage: RTEMEM_SKIP_PREBUILD=1, packing without prebuilt addons');
  process.exit(0);
}

const majors = (process.env.RTEMEM_PREBUILD_NODES ?? SUPPORTED.join(',')).split(',').map((s) => s.trim()).filter(Boolean);

function nodedirFor(major) {
  const own = path.join(path.dirname(process.execPath), '..');
  if (headerVersion(own)?.major === Number(major)) return own;
  const configured = process.env.npm_config_nodedir;
  if (configured && headerVersion(configured)?.major === Number(major)) return path.resolve(configured);
  const dist = path.join(ROOT, '..', '..', 'scripts', 'node-dist.mjs');
  if (!fs.existsSync(dist)) throw new Error(`no headers for Node ${major}: set npm_config_nodedir to them, or pack from the rtemem repository (scripts/node-dist.mjs fetches them)`);
  const r = spawnSync(process.execPath, [dist, major, '--nodedir', '--registry'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/node-dist.mjs ${major} failed`);
  return r.stdout.trim();
}

/** The newest modification time of what a binary is compiled from. */
function sourcesTime() {
  const files = [path.join(ROOT, 'binding.gyp'), ...fs.readdirSync(path.join(ROOT, 'src', 'native')).map((f) => path.join(ROOT, 'src', 'native', f))];
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}
const newest = sourcesTime();
const fresh = process.env.RTEMEM_PREBUILD_FRESH === '1';

const built = [];
for (const major of majors) {
  let nodedir;
  try {
    nodedir = nodedirFor(major);
  } catch (e) {
    console.error(`@rtemem/eal-hugepage: ${e.message}`);
    process.exit(1);
  }
  const v = headerVersion(nodedir);
  const existing = path.join(ROOT, taggedPath(v.abi));
  if (!fresh && fs.existsSync(existing) && fs.statSync(existing).mtimeMs >= newest) {
    console.log(`@rtemem/eal-hugepage: ${path.relative(ROOT, existing)} (${describeAbi(v.abi)}) is newer than the native sources: kept`);
    built.push(existing);
    continue;
  }
  console.log(`@rtemem/eal-hugepage: prebuilding for Node ${v.version} (${describeAbi(v.abi)}) against ${nodedir}`);
  const r = compile({ nodedir, version: v.version, abi: v.abi, stdio: 'pipe' });
  if (!r.ok) {
    console.error(r.log.split('\n').slice(-30).join('\n'));
    console.error(`@rtemem/eal-hugepage: the prebuild for Node ${v.version} failed; the package would ship without it (RTEMEM_SKIP_PREBUILD=1 packs anyway)`);
    process.exit(1);
  }
  built.push(path.join(ROOT, taggedPath(v.abi)));
}

const dir = path.join(ROOT, 'prebuilds');
for (const sub of fs.readdirSync(dir)) {
  for (const f of fs.readdirSync(path.join(dir, sub))) {
    const p = path.join(dir, sub, f);
    if (!built.includes(p)) fs.rmSync(p, { recursive: true, force: true });
  }
  if (fs.readdirSync(path.join(dir, sub)).length === 0) fs.rmdirSync(path.join(dir, sub));
}
for (const f of built) console.log(`@rtemem/eal-hugepage: prebuilt ${path.relative(ROOT, f)}`);
