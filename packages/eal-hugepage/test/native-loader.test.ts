/**
 * The native loader on the Node that runs the tests (CI runs them on Node 20,
 * 22 and 24): one binary per Node ABI, picked by its tag; nothing else is
 * loaded, whatever lies in build/; and when there is no binary for this Node,
 * a message and a process warning that say which Node, which ABI, and what
 * to run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAbi, findBinary, loadAddon, missingBinaryMessage, native, nativeAvailable, nativeLoadError } from '../src/native.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ABI = process.versions.modules;
const TUPLE = `${process.platform}-${process.arch}`;
const NAME = '@rtemem+eal-hugepage';
const required = process.env.RTEMEM_REQUIRE_HUGEPAGES === '1';
const here = `Node ${process.versions.node} (ABI ${ABI})`;

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A package root with these files (path -> content; a Buffer or the path of a file to copy). */
function fakeRoot(files: Record<string, string | { copy: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'rtemem-loader-'));
  temps.push(root);
  for (const [p, c] of Object.entries(files)) {
    const full = join(root, p);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof c === 'string') writeFileSync(full, c);
    else copyFileSync(c.copy, full);
  }
  return root;
}

/** The real binary for this Node, as the loader found it. */
function realBinary(): string {
  const { file } = findBinary(PKG);
  if (file === null) throw new Error(`no binary for ${here} in ${PKG}: ${nativeLoadError()}`);
  return file;
}

const haveNative = nativeAvailable() || required;

describe(`the addon loaded on ${here}`, () => {
  it.skipIf(!haveNative)(
    `was built for this Node: its ABI and major are the running Node's${haveNative ? '' : ` [skipped: ${nativeLoadError()}]`}`,
    () => {
      expect(nativeLoadError()).toBeNull();
      const a = native();
      expect(a).not.toBeNull();
      expect(a!.nodeAbi).toBe(Number(ABI));
      expect(a!.nodeVersion.split('.')[0]).toBe(process.versions.node.split('.')[0]);
      expect(realBinary()).toBe(join(PKG, 'prebuilds', TUPLE, `${NAME}.abi${ABI}.node`));
    },
  );
});

describe('findBinary', () => {
  it("picks the binary tagged with this Node's ABI, never an untagged, napi, other-libc, other-platform or other-ABI one", () => {
    const others = ['115', '127', '137'].filter((a) => a !== ABI);
    const files: Record<string, string> = {
      [`prebuilds/${TUPLE}/rtemem.node`]: 'x',
      [`prebuilds/${TUPLE}/${NAME}.napi.node`]: 'x',
      [`prebuilds/${TUPLE}/${NAME}.abi${ABI}.musl.node`]: 'x',
      [`prebuilds/${TUPLE}/${NAME}.abi${ABI}.node`]: 'x',
      [`prebuilds/${TUPLE}/${NAME}.abi${ABI}.node.sha256`]: 'x',
      [`prebuilds/sunos-sparc/${NAME}.abi${ABI}.node`]: 'x',
      [`build/Release/rtemem.node`]: 'x',
    };
    for (const a of others) files[`prebuilds/${TUPLE}/${NAME}.abi${a}.node`] = 'x';
    const root = fakeRoot(files);
    const r = findBinary(root);
    expect(r.file).toBe(join(root, 'prebuilds', TUPLE, `${NAME}.abi${ABI}.node`));
    expect(r.abis).toEqual([...new Set([...others, ABI])].map(Number).sort((a, b) => a - b));
    // The same tree asked for another ABI gives that one's file.
    expect(findBinary(root, others[0]).file).toBe(join(root, 'prebuilds', TUPLE, `${NAME}.abi${others[0]}.node`));
    expect(findBinary(root, '1').file).toBeNull();
  });

  it('finds nothing, and no ABIs, in a package with no prebuilds', () => {
    expect(findBinary(fakeRoot({ 'package.json': '{}' }))).toEqual({ file: null, abis: [] });
  });
});

describe('when there is no binary for this Node', () => {
  it('the message names this Node, its ABI and platform, the ABIs there are, and what to run', () => {
    const m = missingBinaryMessage([115, 137], false);
    expect(m).toContain(`no native addon for ${here} on ${TUPLE}`);
    expect(m).toContain('binaries for ABI 115, Node 20; ABI 137, Node 24 only');
    expect(m).toContain('npm rebuild @rtemem/eal-hugepage');
    expect(m).toContain('pnpm --filter @rtemem/eal-hugepage build:native');
    expect(m).toMatch(/python3, make and g\+\+/);
    expect(m).not.toContain('build/Release');
    expect(missingBinaryMessage([], true)).toMatch(/no native binary at all .*build\/Release\/rtemem\.node, a plain node-gyp build, is not loaded/);
    expect(describeAbi(127)).toBe('ABI 127, Node 22');
    expect(describeAbi(999)).toBe('ABI 999');
  });

  it.skipIf(!haveNative)(
    `does not load build/Release/rtemem.node, even a good one: only tagged binaries are loaded${haveNative ? '' : ' [skipped: no binary]'}`,
    () => {
      // What node-gyp-build would load first, whatever Node built it.
      const root = fakeRoot({ 'build/Release/rtemem.node': { copy: realBinary() }, [`prebuilds/${TUPLE}/${NAME}.abi1.node`]: 'x' });
      const r = loadAddon(root);
      expect(r.addon).toBeNull();
      expect(r.error).toContain(`no native addon for ${here}`);
      expect(r.error).toContain('binaries for ABI 1 only');
      expect(r.error).toContain('build/Release/rtemem.node, a plain node-gyp build, is not loaded');
    },
  );

  it('a tagged file that is not a loadable binary: the error names the file, the loader error and the fix', () => {
    const root = fakeRoot({ [`prebuilds/${TUPLE}/${NAME}.abi${ABI}.node`]: 'not an ELF file' });
    const r = loadAddon(root);
    expect(r.addon).toBeNull();
    expect(r.error).toContain(`the native binary ${join(root, 'prebuilds', TUPLE, `${NAME}.abi${ABI}.node`)} for ${here} did not load (`);
    expect(r.error).toMatch(/invalid ELF header|file too short/);
    expect(r.error).toContain('npm rebuild @rtemem/eal-hugepage');
  });

  it.skipIf(!haveNative)(`a copy of this Node's binary under its tag loads and works${haveNative ? '' : ' [skipped: no binary]'}`, () => {
    const root = fakeRoot({ [`prebuilds/${TUPLE}/${NAME}.abi${ABI}.node`]: { copy: realBinary() } });
    const r = loadAddon(root);
    expect(r.error).toBeNull();
    expect(r.addon!.nodeAbi).toBe(Number(ABI));
    const sab = new SharedArrayBuffer(64);
    expect(typeof r.addon!.addressOf(sab)).toBe('bigint');
  });
});

describe('a process whose package has no binary for its Node (built dist, child process)', () => {
  /** dist/ and package.json of this package, alone in a temp dir: no prebuilds. */
  function barePackage(): string {
    const dist = join(PKG, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error(`build first: ${dist} is missing (pnpm build)`);
    const root = fakeRoot({});
    cpSync(join(PKG, 'dist'), join(root, 'dist'), { recursive: true });
    copyFileSync(join(PKG, 'package.json'), join(root, 'package.json'));
    mkdirSync(join(root, 'node_modules'));
    const require = createRequire(import.meta.url);
    symlinkSync(dirname(require.resolve('node-gyp-build/package.json')), join(root, 'node_modules', 'node-gyp-build'), 'dir');
    return root;
  }

  const script = `
    import { Eal, RteError, nativeAvailable, nativeLoadError } from './dist/index.js';
    const out = { available: nativeAvailable(), error: nativeLoadError() };
    try { Eal.init({ backend: 'anonymous', memory: 4 << 20, filePrefix: 'loader' + process.pid }).cleanup(); out.anonymous = 'ok'; }
    catch (e) { out.anonymous = { rte: e instanceof RteError, code: e.code, message: e.message }; }
    const eal = Eal.init({ memory: 4 << 20, filePrefix: 'loaderauto' + process.pid });
    out.auto = eal.backend;
    eal.cleanup();
    console.log(JSON.stringify(out));
  `;

  function runIn(root: string, env: NodeJS.ProcessEnv = {}): { out: Record<string, unknown>; stderr: string } {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    return { out: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>, stderr: r.stderr };
  }

  it('warns once on stderr, nativeLoadError() and the RteError of a native backend say which Node and what to do, auto falls back to sab', () => {
    const { out, stderr } = runIn(barePackage());
    expect(out.available).toBe(false);
    expect(out.error).toContain(`no native addon for ${here} on ${TUPLE}`);
    expect(out.error).toContain('npm rebuild @rtemem/eal-hugepage');
    expect(out.anonymous).toMatchObject({ rte: true, code: 'ENOTSUP' });
    expect((out.anonymous as { message: string }).message).toContain(`the anonymous backend needs the native addon, which did not load: no native addon for ${here}`);
    expect(out.auto).toBe('sab');
    const warnings = stderr.split('\n').filter((l) => l.includes('RTEMEM_NO_NATIVE_ADDON'));
    expect(warnings, stderr).toHaveLength(1);
    expect(warnings[0]).toContain(`no native addon for ${here}`);
    expect(warnings[0]).toContain("only the 'sab' backend works");
  });

  it('says nothing on stderr when RTEMEM_NO_NATIVE=1 asks for no addon', () => {
    const { out, stderr } = runIn(barePackage(), { RTEMEM_NO_NATIVE: '1' });
    expect(out).toMatchObject({ available: false, error: 'disabled by RTEMEM_NO_NATIVE=1', auto: 'sab' });
    expect(stderr).not.toContain('RTEMEM_NO_NATIVE_ADDON');
  });
});
