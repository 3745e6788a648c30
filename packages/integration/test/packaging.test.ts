/**
 * What npm users get. Every publishable package (packages/* that is not
 * private, so new ones are covered without editing this file) is packed with
 * `pnpm pack`, as `pnpm publish` would, and the tarballs are checked:
 * manifest fields, README and LICENSE, `publint --strict`, and
 * `@arethetypeswrong/cli` (strict profile: node10, node16 from CJS and from
 * ESM, bundler). Then @rtemem/ring alone, with its dependency tarballs, is
 * installed into a fresh npm project and used from ESM and CJS; and again
 * with no C++ compiler on PATH, with and without a prebuilt addon for the
 * running Node. CI runs this file on Node 20, 22 and 24: each must find its
 * own binary in the one tarball.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import {
  ROOT,
  buildAll,
  nodeHeadersDir,
  pack,
  publishablePackages,
  removeTemps,
  run,
  runOk,
  tempDir,
  which,
  type PackageJson,
  type WorkspacePackage,
} from './support.js';

const require = createRequire(import.meta.url);
const ATTW = join(dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const LAYERS = ['eal-hugepage', 'memseg', 'malloc-heap', 'memzone', 'ring', 'mempool', 'mbuf', 'port'].map((d) => `@rtemem/${d}`);
/** The Node majors the packages support (engines) and ship a native binary for, with their ABIs. */
const SUPPORTED_NODES = { 20: 115, 22: 127, 24: 137 } as const;
const ROOT_ENGINES = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

const packages = publishablePackages();

interface Packed {
  pkg: WorkspacePackage;
  tarball: string;
  /** The unpacked tarball's `package/` directory. */
  dir: string;
  /** The package.json as published (workspace: ranges already replaced). */
  json: PackageJson;
  /** Every path in the tarball, relative to `package/`. */
  files: string[];
}

const packed = new Map<string, Packed>();
let packDir = '';

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function get(name: string): Packed {
  const p = packed.get(name);
  if (p === undefined) throw new Error(`${name} was not packed`);
  return p;
}

beforeAll(() => {
  buildAll();
  packDir = tempDir('packs');
  for (const pkg of packages) {
    const tarball = pack(pkg, packDir);
    const out = join(packDir, 'unpacked', pkg.dir);
    mkdirSync(out, { recursive: true });
    runOk('tar', ['-xzf', tarball, '-C', out]);
    const dir = join(out, 'package');
    packed.set(pkg.json.name, {
      pkg,
      tarball,
      dir,
      json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson,
      files: listFiles(dir),
    });
  }
}, 600_000);

afterAll(() => removeTemps());

/** The types extension that goes with a JS file: TypeScript reads the module format of .d.cts / .d.mts / .d.ts like that of .cjs / .mjs / .js. */
function typesExtFor(jsFile: string): string {
  if (jsFile.endsWith('.cjs')) return '.d.cts';
  if (jsFile.endsWith('.mjs')) return '.d.mts';
  return '.d.ts';
}

describe('the publishable packages', () => {
  it('are every layer (and whatever else is not private), all private helpers excluded', () => {
    const names = packages.map((p) => p.json.name);
    for (const layer of LAYERS) expect(names).toContain(layer);
    expect(names).not.toContain('@rtemem/testkit');
    expect(names).not.toContain('@rtemem/integration');
  });
});

describe.each(packages.map((p) => [p.json.name, p] as const))('%s as packed', (name, pkg) => {
  it('has files, sideEffects: false, engines, license, and no workspace: ranges', () => {
    const { json } = get(name);
    expect(json.files, 'an explicit "files" list').toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
    expect(json.sideEffects).toBe(false);
    expect(json.license).toBe('BSD-3-Clause');
    // One Node range for every package: the root's (require() of the ES module build needs 20.19 / 22.12),
    // naming each supported major, with a prebuilt binary for each (below).
    expect(json.engines?.node).toBe(ROOT_ENGINES);
    expect(ROOT_ENGINES).toBe(Object.keys(SUPPORTED_NODES).map((m) => `^${m}.${{ 20: 19, 22: 12, 24: 0 }[m]}.0`).join(' || '));
    expect(json.version).toBe(pkg.json.version);
    for (const field of ['dependencies', 'devDependencies'] as const) {
      for (const [dep, range] of Object.entries(json[field] ?? {})) {
        expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
      }
    }
    // Each @rtemem dependency is a caret range on that package's current version.
    for (const [dep, range] of Object.entries(json.dependencies ?? {})) {
      const ws = packages.find((p) => p.json.name === dep);
      if (ws !== undefined) expect(range, `dependencies.${dep}`).toBe(`^${ws.json.version}`);
    }
  });

  it('exports "." as import/require -> { types, default }, types first, each file in the tarball', () => {
    const { json, files } = get(name);
    const dot = json.exports?.['.'] as Record<string, Record<string, string>> | undefined;
    expect(dot, 'exports["."]').toBeDefined();
    for (const cond of ['import', 'require'] as const) {
      const entry = dot?.[cond];
      expect(entry, `exports["."].${cond}`).toBeDefined();
      if (entry === undefined) continue;
      expect(Object.keys(entry), `exports["."].${cond} condition order`).toEqual(['types', 'default']);
      const js = entry.default ?? '';
      const types = entry.types ?? '';
      expect(files, `exports["."].${cond}.default ${js}`).toContain(js.replace(/^\.\//, ''));
      expect(files, `exports["."].${cond}.types ${types}`).toContain(types.replace(/^\.\//, ''));
      expect(types.endsWith(typesExtFor(js)), `${types} types ${js}`).toBe(true);
    }
    expect(dot?.import?.default).not.toBe(dot?.require?.default);
    for (const field of ['main', 'module', 'types'] as const) {
      const f = json[field];
      if (f !== undefined) expect(files, `"${field}": ${f}`).toContain(f.replace(/^\.\//, ''));
    }
    if (json.bin !== undefined) {
      const bins = typeof json.bin === 'string' ? [json.bin] : Object.values(json.bin);
      for (const b of bins) expect(files, `bin ${b}`).toContain(b.replace(/^\.\//, ''));
    }
  });

  it('ships dist, README and LICENSE, and no tests or TypeScript sources', () => {
    const { files } = get(name);
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(files.some((f) => f.startsWith('dist/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('test/') || /(^|\/)src\/.*\.ts$/.test(f) || f.startsWith('node_modules/'))).toEqual([]);
  });

  it('has a README with the package name, an install line, an example and a DPDK API table', () => {
    const { dir, json } = get(name);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const esc = name.replace(/[/@-]/g, '\\$&');
    expect(readme.split('\n')[0], 'title').toMatch(new RegExp(`^# ${esc}\\b`));
    expect(readme, 'an install line').toMatch(new RegExp(`npm (install|i)( -g)? ${esc}\\b`));
    const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
    const hasExample =
      blocks.some((b) => /^(ts|js|typescript|javascript|mjs|cjs)$/.test(b[1] ?? '') && (b[2] ?? '').includes(name)) ||
      (json.bin !== undefined && blocks.some((b) => b[1] === 'sh' && Object.keys(typeof json.bin === 'string' ? {} : json.bin ?? {}).some((c) => (b[2] ?? '').includes(c))));
    expect(hasExample, 'a code example that uses the package').toBe(true);
    if (json.bin === undefined) {
      // A library: its API table names the DPDK function each call mirrors.
      expect(readme, 'an API table with a DPDK column').toMatch(/^\|[^\n]*\bDPDK\b[^\n]*\|\s*\n\|[\s|:-]+\|\s*$/m);
    } else {
      // A command: a table of what it does, and the DPDK tools it stands for.
      expect(readme, 'a table').toMatch(/^\|[^\n]*\|\s*\n\|[\s|:-]+\|\s*$/m);
      expect(readme, 'what in DPDK it mirrors').toMatch(/\bDPDK\b|\bdpdk-/);
    }
  });

  it('has the BSD-3-Clause LICENSE of the repository', () => {
    const { dir } = get(name);
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });

  it('passes publint --strict', async () => {
    const { tarball } = get(name);
    const buf = readFileSync(tarball);
    const { messages, pkg: manifest } = await publint({
      pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
      strict: true,
      level: 'warning',
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, manifest) ?? m.code}`)).toEqual([]);
  });

  it('passes @arethetypeswrong/cli (strict profile: node10, node16 CJS and ESM, bundler)', () => {
    const { tarball } = get(name);
    const r = run(process.execPath, [ATTW, tarball, '--format', 'json', '--profile', 'strict', '--no-definitely-typed'], { cwd: packDir });
    const report = JSON.parse(r.stdout) as { analysis: { types: { kind: string } }; problems?: unknown };
    expect(report.analysis.types.kind).toBe('included');
    expect(report.problems ?? {}, r.output).toEqual({});
    expect(r.status, r.output).toBe(0);
  });
});

describe('the checks themselves', () => {
  it('publint and attw reject a package whose CJS entry gets ESM types and whose types condition comes last', async () => {
    const dir = tempDir('broken');
    const p = join(dir, 'package');
    mkdirSync(p);
    writeFileSync(
      join(p, 'package.json'),
      JSON.stringify({
        name: 'broken-pkg',
        version: '1.0.0',
        type: 'module',
        exports: { '.': { import: './index.js', require: './index.cjs', types: './index.d.ts' } },
      }),
    );
    writeFileSync(join(p, 'index.js'), 'export const x = 1;\n');
    writeFileSync(join(p, 'index.cjs'), 'exports.x = 1;\n');
    writeFileSync(join(p, 'index.d.ts'), 'export declare const x: number;\n');
    const tgz = join(dir, 'broken.tgz');
    runOk('tar', ['-czf', tgz, '-C', dir, 'package']);
    const buf = readFileSync(tgz);
    const { messages } = await publint({ pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) }, strict: true, level: 'warning' });
    expect(messages.map((m) => m.code)).toContain('EXPORTS_TYPES_SHOULD_BE_FIRST');
    const r = run(process.execPath, [ATTW, tgz, '--format', 'json', '--profile', 'strict', '--no-definitely-typed'], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/FalseESM|FalseCJS|"kind":\s*"False/);
  });
});

/* ------------------------------------------------------------------------ *
 * Install only what you need
 * ------------------------------------------------------------------------ */

/** Names of the @rtemem packages that `name` needs, itself included, from the packed manifests. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(get(name).json.dependencies ?? {})) if (packed.has(dep)) closure(dep, seen);
  return seen;
}

/** Finds an installed package from `fromDir` the way Node does (walking up node_modules), on real paths. */
function findInstalled(fromDir: string, dep: string): string {
  let d = realpathSync(fromDir);
  for (;;) {
    const c = join(d, 'node_modules', dep);
    if (existsSync(join(c, 'package.json'))) return realpathSync(c);
    const up = dirname(d);
    if (up === d) throw new Error(`${dep} is not installed anywhere above ${fromDir}`);
    d = up;
  }
}

/**
 * Tarballs of the third-party dependencies (node-addon-api, node-gyp-build,
 * and theirs), packed from the copies pnpm installed: the fresh project
 * installs with --offline, so no registry is needed and the versions are
 * the lockfile's.
 */
function vendorExternals(names: Set<string>, dest: string, npmEnv: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  const queue: { dep: string; from: string; range: string }[] = [];
  for (const n of names) {
    for (const [dep, range] of Object.entries(get(n).json.dependencies ?? {})) {
      if (!packed.has(dep)) queue.push({ dep, from: get(n).pkg.path, range });
    }
  }
  while (queue.length > 0) {
    const { dep, from, range } = queue.shift()!;
    if (out.has(dep)) continue;
    const dir = findInstalled(from, dep);
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    if (/^\d+\.\d+\.\d+$/.test(range)) expect(json.version, `${dep} pinned at ${range}`).toBe(range);
    const r = runOk('npm', ['pack', dir, '--ignore-scripts', '--pack-destination', dest, '--json'], { cwd: dest, env: npmEnv });
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string }[];
    out.set(dep, join(dest, info[0]!.filename));
    for (const [sub, subRange] of Object.entries(json.dependencies ?? {})) queue.push({ dep: sub, from: dir, range: subRange });
  }
  return out;
}

/** process.env without what pnpm or npm put there for the running script, so the child npm is a plain one. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const ESM_SCRIPT = `
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { Ring, Eal, RteError, nativeAvailable, nativeLoadError, RING_F_SP_ENQ, RING_F_SC_DEQ } from '@rtemem/ring';

// Standalone: a ring in a plain SharedArrayBuffer, no EAL.
const buf = new SharedArrayBuffer(Ring.memsize(1024));
const ring = Ring.init(buf, 0, 'esm', 1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
const enqueued = ring.enqueueBulk([1, 2, 3, 4, 5]);
// A CommonJS worker attaches to the same ring and drains it.
const worker = await new Promise((resolve, reject) => {
  const w = new Worker(new URL('./worker.cjs', import.meta.url), { workerData: buf });
  w.once('message', resolve);
  w.once('error', reject);
});
// The sab backend: an EAL without native code.
const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
const sab = eal.backend;
const named = Ring.create(eal, 'named', 64);
named.enqueue(9);
const namedOut = named.dequeue();
eal.cleanup();
// The anonymous backend needs the addon.
let anonymous;
try {
  const e = Eal.init({ backend: 'anonymous', memory: 4 << 20, filePrefix: 'pkgtest' + process.pid });
  anonymous = e.backend;
  e.cleanup();
} catch (e) {
  anonymous = (e instanceof RteError ? e.code + ': ' : 'not RteError: ') + e.message;
}
// The binary this process really loaded, from its memory map.
const addonPath = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).find((f) => f?.endsWith('.node') && f.includes('eal-hugepage')) ?? null;
console.log(JSON.stringify({
  resolved: import.meta.resolve('@rtemem/ring'),
  enqueued, worker, left: ring.count(), sab, namedOut, anonymous,
  native: nativeAvailable(), loadError: nativeLoadError(), addonPath,
}));
`;

const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Ring } = require('@rtemem/ring');
const ring = Ring.attach(workerData, 0);
const out = [];
const n = ring.dequeueBurst(out, 32);
parentPort.postMessage({ n, out, name: ring.name, resolved: require.resolve('@rtemem/ring') });
`;

const CJS_SCRIPT = `
const { Ring, Eal, nativeAvailable } = require('@rtemem/ring');
const buf = new SharedArrayBuffer(Ring.memsize(16));
const ring = Ring.init(buf, 0, 'cjs', 16);
const enqueued = ring.enqueueBulk([7, 8, 9]);
const first = ring.dequeue();
const again = Ring.attach(buf, 0);
const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
const sab = eal.backend;
eal.cleanup();
// The CommonJS entry is the ES module build: import() gives the very same classes.
import('@rtemem/ring').then((esm) => {
  const sameInstance = esm.Ring === Ring && esm.Eal === Eal;
  console.log(JSON.stringify({ resolved: require.resolve('@rtemem/ring'), enqueued, first, count: again.count(), sab, native: nativeAvailable(), sameInstance }));
});
`;

// TypeScript users: both module systems under node16 resolution, with full checking of the shipped .d.ts files.
const TS_ESM = `
import { Ring, Eal, nativeAvailable } from '@rtemem/ring';
const ring: Ring = Ring.init(new SharedArrayBuffer(Ring.memsize(8)), 0, 'ts', 8);
const n: number = ring.enqueueBulk([1]);
const eal: Eal = Eal.init({ backend: 'sab' });
const ok: boolean = nativeAvailable();
export { n, eal, ok };
`;
const TS_CJS = `
import ringPkg = require('@rtemem/ring');
const ring: ringPkg.Ring = ringPkg.Ring.init(new SharedArrayBuffer(ringPkg.Ring.memsize(8)), 0, 'ts', 8);
export const n: number = ring.enqueueBulk([1]);
`;

interface EsmReport {
  resolved: string;
  enqueued: number;
  worker: { n: number; out: number[]; name: string; resolved: string };
  left: number;
  sab: string;
  namedOut: number;
  anonymous: string;
  native: boolean;
  loadError: string | null;
  addonPath: string | null;
}

describe('install only @rtemem/ring into a fresh npm project', () => {
  const ring = '@rtemem/ring';
  const eal = '@rtemem/eal-hugepage';
  let base = '';
  let vendored = new Map<string, string>();
  let noPrebuildTarball = '';
  let npmEnv: NodeJS.ProcessEnv = {};
  let noCompilerPath = '';
  const headers = nodeHeadersDir();

  beforeAll(() => {
    base = tempDir('install');
    npmEnv = cleanEnv({
      npm_config_cache: join(base, 'npm-cache'),
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      // node-gyp compiles against this Node's headers instead of downloading them.
      ...(headers !== null ? { npm_config_nodedir: headers } : {}),
    });
    const vendor = join(base, 'vendor');
    mkdirSync(vendor);
    vendored = vendorExternals(closure(ring), vendor, npmEnv);

    // The addon's tarball without the binary for this Node, as a Node the
    // package has no prebuild for (a newer major) sees it: the other ABIs' stay.
    const re = join(base, 'repack');
    mkdirSync(re);
    runOk('tar', ['-xzf', get(eal).tarball, '-C', re]);
    rmSync(join(re, 'package', 'prebuilds', `${process.platform}-${process.arch}`, `@rtemem+eal-hugepage.abi${process.versions.modules}.node`));
    noPrebuildTarball = join(base, 'eal-hugepage-no-prebuild-for-this-node.tgz');
    runOk('tar', ['-czf', noPrebuildTarball, '-C', re, 'package']);

    // A PATH with node, npm, python3 and sh, and no compiler or make.
    const bin = join(base, 'no-compiler-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const npm = which('npm');
    if (npm === null) throw new Error('npm is not on PATH');
    symlinkSync(realpathSync(npm), join(bin, 'npm'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const py = run('python3', ['-c', 'import sys; print(sys.executable)']);
    if (py.status === 0 && py.stdout.trim() !== '') symlinkSync(py.stdout.trim(), join(bin, 'python3'));
    noCompilerPath = bin;
  }, 300_000);

  function install(label: string, opts: { ealTarball?: string; path?: string }): { dir: string; output: string } {
    const dir = join(base, label);
    mkdirSync(dir);
    const overrides: Record<string, string> = {};
    for (const n of closure(ring)) {
      if (n === ring) continue;
      overrides[n] = `file:${n === eal && opts.ealTarball !== undefined ? opts.ealTarball : get(n).tarball}`;
    }
    for (const [dep, tgz] of vendored) overrides[dep] = `file:${tgz}`;
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `consumer-${label}`, version: '1.0.0', private: true, dependencies: { [ring]: `file:${get(ring).tarball}` }, overrides }, null, 2),
    );
    writeFileSync(join(dir, 'esm.mjs'), ESM_SCRIPT);
    writeFileSync(join(dir, 'worker.cjs'), WORKER_SCRIPT);
    writeFileSync(join(dir, 'cjs.cjs'), CJS_SCRIPT);
    const env = opts.path !== undefined ? { ...npmEnv, PATH: opts.path } : npmEnv;
    const npm = opts.path !== undefined ? join(opts.path, 'npm') : 'npm';
    const r = run(npm, ['install', '--offline', '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: dir, env, timeout: 300_000 });
    expect(r.status, r.output).toBe(0);
    return { dir, output: r.output };
  }

  function esm(dir: string): EsmReport {
    const r = runOk(process.execPath, ['esm.mjs'], { cwd: dir, env: cleanEnv({}) });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as EsmReport;
  }

  function cjs(dir: string): { resolved: string; enqueued: number; first: number; count: number; sab: string; native: boolean; sameInstance: boolean } {
    const r = runOk(process.execPath, ['cjs.cjs'], { cwd: dir, env: cleanEnv({}) });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ReturnType<typeof cjs>;
  }

  function installedRtemem(dir: string): string[] {
    return readdirSync(join(dir, 'node_modules', '@rtemem')).map((d) => `@rtemem/${d}`).sort();
  }

  function expectRingWorks(dir: string): EsmReport {
    const e = esm(dir);
    expect(e.resolved).toMatch(/node_modules\/@rtemem\/ring\/dist\/index\.js$/);
    expect(e.enqueued).toBe(5);
    expect(e.worker).toMatchObject({ n: 5, out: [1, 2, 3, 4, 5], name: 'esm' });
    expect(e.worker.resolved).toMatch(/node_modules\/@rtemem\/ring\/dist\/index\.cjs$/);
    expect(e.left).toBe(0);
    expect(e.sab).toBe('sab');
    expect(e.namedOut).toBe(9);
    const c = cjs(dir);
    expect(c.resolved).toMatch(/node_modules\/@rtemem\/ring\/dist\/index\.cjs$/);
    expect(c).toMatchObject({ enqueued: 3, first: 7, count: 2, sab: 'sab', sameInstance: true });
    expect(c.native).toBe(e.native);
    return e;
  }

  const modules = process.versions.modules;
  const prebuildRe = new RegExp(`/prebuilds/${process.platform}-${process.arch}/[^/]*\\.abi${modules}\\.node$`);

  const tuple = `${process.platform}-${process.arch}`;
  const otherAbis = Object.values(SUPPORTED_NODES).filter((a) => String(a) !== modules);

  it('ships one prebuilt addon per supported Node ABI (Node 20, 22, 24) in the eal-hugepage tarball, this Node among them', () => {
    const files = get(eal).files.filter((f) => f.startsWith('prebuilds/'));
    expect(files).toEqual(Object.values(SUPPORTED_NODES).map((abi) => `prebuilds/${tuple}/@rtemem+eal-hugepage.abi${abi}.node`));
    expect(Object.values(SUPPORTED_NODES).map(String)).toContain(modules);
    expect(get(eal).files).toEqual(expect.arrayContaining(['binding.gyp', 'scripts/install.cjs', 'scripts/native-build.cjs', 'src/native/addon.cc']));
    expect(get(eal).files.some((f) => f.startsWith('build/'))).toBe(false);
  });

  it('each shipped binary for another Node refuses to initialise on this one, naming both Nodes, and does not crash it', () => {
    for (const abi of otherAbis) {
      const file = join(get(eal).dir, 'prebuilds', tuple, `@rtemem+eal-hugepage.abi${abi}.node`);
      const r = run(process.execPath, ['-e', `require(${JSON.stringify(file)})`]);
      expect(r.status, r.output).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`this @rtemem/eal-hugepage binary was built for Node \\d+\\.\\d+\\.\\d+ \\(ABI ${abi}\\) and cannot run on Node ${process.versions.node.replace(/\./g, '\\.')}: build one for this Node`),
      );
    }
    // And this Node's own says which Node it was built for.
    const own = run(process.execPath, ['-e', `const a = require(${JSON.stringify(join(get(eal).dir, 'prebuilds', tuple, `@rtemem+eal-hugepage.abi${modules}.node`))}); console.log(a.nodeAbi, a.nodeVersion)`]);
    expect(own.status, own.output).toBe(0);
    expect(own.stdout.trim()).toMatch(new RegExp(`^${modules} ${process.versions.node.split('.')[0]}\\.`));
  });

  it('installs ring and exactly the layers below it; ESM, CJS, a CJS worker and TypeScript use it; the prebuild loads', () => {
    const { dir } = install('default', {});
    expect(installedRtemem(dir)).toEqual([...closure(ring)].sort());
    expect(installedRtemem(dir)).not.toContain('@rtemem/mempool');
    const ealDir = join(dir, 'node_modules', '@rtemem', 'eal-hugepage');
    expect(existsSync(join(ealDir, 'build')), 'nothing was compiled: the prebuild was used').toBe(false);
    const e = expectRingWorks(dir);
    expect(e.native).toBe(true);
    expect(e.loadError).toBeNull();
    expect(e.addonPath).toMatch(prebuildRe);
    expect(e.anonymous).toBe('anonymous');

    // TypeScript consumers, node16 resolution, ESM and CJS, checking the shipped .d.ts too.
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules', '@types', 'node')), join(dir, 'node_modules', '@types', 'node'));
    writeFileSync(join(dir, 'use.mts'), TS_ESM);
    writeFileSync(join(dir, 'use.cts'), TS_CJS);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022'], strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['use.mts', 'use.cts'],
      }),
    );
    const tsc = run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir });
    expect(tsc.status, tsc.output).toBe(0);
  });

  it('installs with no C++ compiler on PATH: the prebuild loads, nothing is compiled', () => {
    // The PATH really has no toolchain.
    const probe = run('sh', ['-c', 'command -v g++ || command -v c++ || command -v gcc || command -v cc || command -v make'], {
      env: { PATH: noCompilerPath },
    });
    expect(probe.status, probe.output).not.toBe(0);
    const { dir } = install('no-compiler', { path: noCompilerPath });
    expect(existsSync(join(dir, 'node_modules', '@rtemem', 'eal-hugepage', 'build'))).toBe(false);
    const e = expectRingWorks(dir);
    expect(e.native).toBe(true);
    expect(e.addonPath).toMatch(prebuildRe);
  });

  const here = `Node ${process.versions.node} (ABI ${modules}`;
  const others = otherAbis.map((a) => `ABI ${a}, Node ${Object.entries(SUPPORTED_NODES).find(([, v]) => v === a)![0]}`).join('; ');

  it('installs with no compiler and no prebuild for this Node: the install succeeds but warns loudly, sab works, the loader and the warning say which Node and what to do', () => {
    const { dir, output } = install('no-compiler-no-prebuild', { path: noCompilerPath, ealTarball: noPrebuildTarball });
    const ealDir = join(dir, 'node_modules', '@rtemem', 'eal-hugepage');
    expect(readdirSync(join(ealDir, 'prebuilds', tuple)).sort()).toEqual(otherAbis.map((a) => `@rtemem+eal-hugepage.abi${a}.node`).sort());
    expect(existsSync(join(ealDir, 'build', 'Release', 'rtemem.node'))).toBe(false);
    expect(output).toContain(`WARNING: the native addon could not be built for ${here}, ${tuple})`);
    expect(output).toContain(`the package has prebuilt binaries for ${others}, none for this Node`);
    expect(output).toContain('npm rebuild @rtemem/eal-hugepage');
    const e = expectRingWorks(dir);
    expect(e.native).toBe(false);
    expect(e.addonPath).toBeNull();
    expect(e.loadError).toContain(`no native addon for ${here}) on ${tuple}: the package has native binaries for ${others} only`);
    expect(e.loadError).toContain('npm rebuild @rtemem/eal-hugepage');
    expect(e.anonymous).toMatch(/^ENOTSUP: the anonymous backend needs the native addon, which did not load: no native addon for Node /);
    // The same, once, as a process warning when the addon is first needed.
    const r = runOk(process.execPath, ['esm.mjs'], { cwd: dir, env: cleanEnv({}) });
    expect(r.stderr.match(/RTEMEM_NO_NATIVE_ADDON/g) ?? []).toHaveLength(1);
    // With RTEMEM_REQUIRE_NATIVE=1 (CI) the same install fails instead.
    const strict = join(base, 'no-compiler-strict');
    mkdirSync(strict);
    writeFileSync(join(strict, 'package.json'), readFileSync(join(dir, 'package.json'), 'utf8'));
    const s = run(join(noCompilerPath, 'npm'), ['install', '--offline', '--foreground-scripts', '--no-audit', '--no-fund'], {
      cwd: strict,
      env: { ...npmEnv, PATH: noCompilerPath, RTEMEM_REQUIRE_NATIVE: '1' },
      timeout: 300_000,
    });
    expect(s.status, s.output).not.toBe(0);
    expect(s.output).toContain(`WARNING: the native addon could not be built for ${here}`);
  }, 600_000); // two npm installs

  const toolchain = ['g++', 'make', 'python3'].every((c) => which(c) !== null);
  it.skipIf(!toolchain || headers === null)(
    'without a prebuild for this Node but with a compiler, the install builds one that loads, tagged next to the others (skipped without g++, make, python3 and Node headers)',
    () => {
      const { dir, output } = install('source-build', { ealTarball: noPrebuildTarball });
      expect(output).toContain(`building the native addon for ${here}, ${tuple}) with node-gyp`);
      const ealDir = join(dir, 'node_modules', '@rtemem', 'eal-hugepage');
      expect(readdirSync(join(ealDir, 'prebuilds', tuple)).sort()).toEqual(Object.values(SUPPORTED_NODES).map((a) => `@rtemem+eal-hugepage.abi${a}.node`).sort());
      expect(existsSync(join(ealDir, 'build')), 'the build ran in a scratch directory').toBe(false);
      const e = expectRingWorks(dir);
      expect(e.native).toBe(true);
      expect(e.loadError).toBeNull();
      expect(e.addonPath).toMatch(prebuildRe);
      expect(e.addonPath).toContain('node_modules/@rtemem/eal-hugepage/prebuilds/');
      expect(e.anonymous).toBe('anonymous');
    },
    // An npm install that compiles the addon: minutes on a loaded machine.
    600_000,
  );
});
