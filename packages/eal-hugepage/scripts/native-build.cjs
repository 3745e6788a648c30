'use strict';
// Compiling the native addon for one Node ABI, shared by the install step
// (scripts/install.cjs), `pnpm build:native` (scripts/build-native.cjs) and
// the pack step (scripts/prebuild.cjs).
//
// The addon calls V8's C++ API (v8::SharedArrayBuffer::NewBackingStore, see
// src/native/mapping.cc), so a binary is good for one Node major only: its
// NODE_MODULE_VERSION, "ABI" here (115 is Node 20, 127 Node 22, 137 Node 24).
// Every binary therefore lives under its ABI tag, prebuildify's naming,
//
//   prebuilds/<platform>-<arch>/@rtemem+eal-hugepage.abi<N>.node
//
// whether the package shipped it or this machine compiled it, and the loader
// (src/native.ts) loads only the one tagged with the running Node's ABI.
// node-gyp's own output, build/Release/rtemem.node, is never loaded: one
// checkout (or one node_modules) is used by several Nodes, and a binary there
// says nothing about which Node it is for.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const NAME = '@rtemem+eal-hugepage';

/** Where the binary for `abi` lives, relative to the package root. */
function taggedPath(abi, platform = process.platform, arch = process.arch) {
  return path.join('prebuilds', `${platform}-${arch}`, `${NAME}.abi${abi}.node`);
}

/** { version, major, abi } of the Node whose headers are in `prefix`/include/node, or null. */
function headerVersion(prefix) {
  let text;
  try {
    text = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
  } catch {
    return null;
  }
  const num = (name) => {
    const m = new RegExp(`#define ${name} (\\d+)`).exec(text);
    return m === null ? null : Number(m[1]);
  };
  const major = num('NODE_MAJOR_VERSION');
  const minor = num('NODE_MINOR_VERSION');
  const patch = num('NODE_PATCH_VERSION');
  const abi = num('NODE_MODULE_VERSION');
  if (major === null || minor === null || patch === null || abi === null) return null;
  return { version: `${major}.${minor}.${patch}`, major, abi };
}

/**
 * The headers to compile against for the Node running this script:
 * { nodedir, note }. npm_config_nodedir when it holds this Node's ABI; else
 * this Node's own install prefix when it has include/node (official builds,
 * distro packages, nvm and the registry's node-linux-* packages do); else
 * null, and node-gyp downloads the headers itself. `note` says why a
 * configured nodedir was not used: a global `nodedir=/usr` in npmrc written
 * for the system's Node 20 would otherwise build a Node 24 addon against
 * Node 20's V8 headers.
 */
function nodedirForRunningNode(env = process.env) {
  const abi = Number(process.versions.modules);
  let note = null;
  const configured = env.npm_config_nodedir;
  if (configured) {
    const v = headerVersion(configured);
    if (v !== null && v.abi === abi) return { nodedir: configured, note };
    note =
      v === null
        ? `npm's nodedir ${configured} has no Node headers (include/node/node_version.h)`
        : `npm's nodedir ${configured} has the headers of Node ${v.version} (ABI ${v.abi}), not of this Node ${process.versions.node} (ABI ${abi})`;
  }
  const own = path.join(path.dirname(process.execPath), '..');
  const v = headerVersion(own);
  if (v !== null && v.abi === abi) return { nodedir: own, note: note && `${note}: using ${own} instead` };
  return { nodedir: null, note: note && `${note}: node-gyp will fetch this Node's headers` };
}

/**
 * node-gyp's CLI: the package's own (a devDependency in the repository), else
 * the one npm or pnpm runs install scripts with (npm_config_node_gyp), else
 * `node-gyp` on PATH.
 */
function nodeGypCommand(env = process.env) {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] })];
  } catch {
    // not installed next to this package: a consumer's install
  }
  if (env.npm_config_node_gyp && fs.existsSync(env.npm_config_node_gyp)) return [process.execPath, env.npm_config_node_gyp];
  return ['node-gyp'];
}

/**
 * Compiles the addon against the headers in `nodedir` (null: node-gyp's
 * default for the running Node) and installs it as the tagged binary of
 * that ABI. Runs in a scratch copy of the sources, so that a build never
 * rewrites files that a running process has loaded, and two builds (two
 * Nodes) never share a build directory; the result is renamed into place.
 * Returns { ok, file, abi, log } (log: node-gyp's output, for messages).
 */
function compile({ nodedir = null, version = null, abi = Number(process.versions.modules), stdio = 'inherit', strip = false } = {}) {
  const env = { ...process.env };
  if (nodedir) nodedir = path.resolve(nodedir);
  if (nodedir) env.npm_config_nodedir = nodedir;
  else delete env.npm_config_nodedir;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rtemem-native-'));
  const out = path.join(ROOT, taggedPath(abi));
  let log = '';
  try {
    for (const f of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(ROOT, f), path.join(scratch, f));
    fs.cpSync(path.join(ROOT, 'src', 'native'), path.join(scratch, 'src', 'native'), { recursive: true });
    // binding.gyp finds node-addon-api's headers with require() from the build dir.
    const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [ROOT] }));
    fs.mkdirSync(path.join(scratch, 'node_modules'));
    fs.symlinkSync(addonApi, path.join(scratch, 'node_modules', 'node-addon-api'), 'dir');
    const [cmd, ...pre] = nodeGypCommand(env);
    const args = [...pre, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : []), ...(version ? [`--target=${version}`] : [])];
    const r = spawnSync(cmd, args, { cwd: scratch, env, encoding: 'utf8', stdio: stdio === 'inherit' ? 'inherit' : 'pipe', maxBuffer: 64 << 20 });
    log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error.message) : ''}`;
    const built = path.join(scratch, 'build', 'Release', 'rtemem.node');
    if (r.status !== 0 || !fs.existsSync(built)) return { ok: false, file: out, abi, log };
    if (strip) spawnSync('strip', ['--strip-unneeded', built], { stdio: 'ignore' });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // A rename: a process that has the old file loaded keeps its mapping.
    const tmp = `${out}.${process.pid}.tmp`;
    fs.copyFileSync(built, tmp);
    fs.renameSync(tmp, out);
    return { ok: true, file: out, abi, log };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Loads `file` in a child process of the running Node; { ok, error }.
 * A child, because a binary that crashes or throws while loading must not
 * take the install with it.
 */
function tryLoad(file) {
  const code = `const a = require(${JSON.stringify(file)}); if (a.nodeAbi !== Number(process.versions.modules)) { throw new Error('built for ABI ' + a.nodeAbi) }`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true, error: null };
  const lines = `${r.stderr ?? ''}`.split('\n').filter((l) => /Error|error:/.test(l));
  return { ok: false, error: (lines[0] ?? `exit ${r.status}`).trim() };
}

/** The tagged binaries present for this platform: [{ abi, file }]. */
function presentBinaries() {
  const dir = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((f) => ({ f, m: /\.abi(\d+)\.node$/.exec(f) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ abi: Number(x.m[1]), file: path.join(dir, x.f) }))
    .sort((a, b) => a.abi - b.abi);
}

/** Node majors by ABI, for messages (from Node's doc/abi_version_registry.json). */
const NODE_OF_ABI = { 115: 20, 120: 21, 127: 22, 131: 23, 137: 24, 141: 25, 147: 26 };

function describeAbi(abi) {
  return NODE_OF_ABI[abi] !== undefined ? `ABI ${abi}, Node ${NODE_OF_ABI[abi]}` : `ABI ${abi}`;
}

module.exports = { ROOT, NAME, taggedPath, headerVersion, nodedirForRunningNode, nodeGypCommand, compile, tryLoad, presentBinaries, describeAbi, NODE_OF_ABI };
