/**
 * Loads the native addon, the binary built for the running Node's ABI, and
 * says clearly why when it cannot.
 *
 * The addon calls V8's C++ API, so each binary is good for one Node major
 * (one NODE_MODULE_VERSION, "ABI": 115 Node 20, 127 Node 22, 137 Node 24).
 * Every binary, shipped in the package or compiled on this machine, sits
 * under its ABI tag in prebuilds/<platform>-<arch>/ (see
 * scripts/native-build.cjs), and this loader takes only the one tagged with
 * the running Node's ABI. It does not use node-gyp-build's default order,
 * which loads build/Release/*.node first whatever Node built it: one
 * checkout or node_modules is used by several Nodes, and a Node 20 binary
 * loaded by Node 24 would run its V8 calls on the wrong object layouts. The
 * binary itself refuses to initialise on another Node major
 * (src/native/addon.cc), and the loader checks what it reports.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { WasmMemory } from './wasm-memory.js';

/** ABI of the addon's function table that this build expects (kAbi in src/native/addon.cc). */
const NATIVE_ABI = 3;

/** The addon's functions; each returns a negated errno on failure. */
export interface NativeAddon {
  abi: number;
  /** NODE_MODULE_VERSION of the Node the binary was compiled for. */
  nodeAbi: number;
  /** That Node's version. */
  nodeVersion: string;
  mapFile(fd: number, length: number, offset: number): SharedArrayBuffer | number;
  release(buffer: SharedArrayBuffer): number;
  addressOf(buffer: SharedArrayBuffer | ArrayBuffer): bigint;
  populate(buffer: SharedArrayBuffer, offset: number, length: number): number;
  fallocate(fd: number, punch: boolean, offset: number, length: number, node: number): number;
  flock(fd: number, op: number): number;
  memfdCreate(name: string, hugePageSize: number): number;
  virt2phys(va: bigint): bigint | null;
  pagemapRange(buffer: SharedArrayBuffer, offset: number, length: number, pageSize: number): BigInt64Array | number;
  pageNode(buffer: SharedArrayBuffer, offset: number): number;
  currentNode(): number;
  membarrier(): number;
  wasmMemoryMap(memory: WasmMemory, byteOffset: number, length: number, fd: number, fileOffset: number): number;
  wasmMemoryView(memory: WasmMemory, byteOffset: number, length: number): SharedArrayBuffer | number;
  setAffinity(cpus: number[]): number;
  getAffinity(): number[] | number;
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

let addon: NativeAddon | null = null;
let loadError: string | null = null;
let tried = false;

/** Node majors by ABI, for messages (Node's doc/abi_version_registry.json). */
const NODE_OF_ABI: Record<number, number> = { 115: 20, 120: 21, 127: 22, 131: 23, 137: 24, 141: 25, 147: 26 };

/** "ABI 137, Node 24" */
export function describeAbi(abi: number): string {
  const major = NODE_OF_ABI[abi];
  return major === undefined ? `ABI ${abi}` : `ABI ${abi}, Node ${major}`;
}

/** What to run to get a binary for this Node. */
const FIX =
  'build one for this Node with `npm rebuild @rtemem/eal-hugepage` (or `pnpm rebuild @rtemem/eal-hugepage`; needs python3, make and g++), ' +
  'or run a Node the package ships binaries for (20, 22, 24); in the rtemem repository: `pnpm --filter @rtemem/eal-hugepage build:native`';

function packageRoot(): string {
  // src/native.ts in tests, dist/index.{js,cjs} when built: both one level down.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

interface GypTags {
  file: string;
  abi?: string;
}
interface GypTuple {
  name: string;
}
/** The prebuild-matching helpers of node-gyp-build, which define prebuildify's naming. */
interface GypBuildHelpers {
  parseTags(file: string): GypTags | undefined;
  matchTags(runtime: string, abi: string): (t: GypTags | undefined) => boolean;
  compareTags(runtime: string): (a: GypTags, b: GypTags) => number;
  parseTuple(name: string): GypTuple | undefined;
  matchTuple(platform: string, arch: string): (t: GypTuple | undefined) => boolean;
  compareTuples(a: GypTuple, b: GypTuple): number;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The binaries under `root`/prebuilds for this platform and arch:
 * `file` is the one tagged with `abi` (null if none), `abis` every ABI
 * present. Only ABI-tagged files count: an untagged or `napi` binary would
 * claim a compatibility this addon does not have.
 */
export function findBinary(root: string, abi: string = process.versions.modules): { file: string | null; abis: number[] } {
  const require = createRequire(import.meta.url);
  const gyp = require('node-gyp-build/node-gyp-build.js') as GypBuildHelpers;
  const tuples = listDir(join(root, 'prebuilds')).map((n) => gyp.parseTuple(n));
  const match = gyp.matchTuple(process.platform, process.arch);
  const tuple = tuples.filter((t): t is GypTuple => t !== undefined && match(t)).sort(gyp.compareTuples)[0];
  if (tuple === undefined) return { file: null, abis: [] };
  const dir = join(root, 'prebuilds', tuple.name);
  const tagged = listDir(dir)
    .map((f) => gyp.parseTags(f))
    .filter((t): t is GypTags & { abi: string } => t !== undefined && t.abi !== undefined && /^\d+$/.test(t.abi));
  const abis = [...new Set(tagged.map((t) => Number(t.abi)))].sort((a, b) => a - b);
  const winner = tagged.filter((t) => t.abi === abi && gyp.matchTags('node', abi)(t)).sort(gyp.compareTags('node'))[0];
  return { file: winner === undefined ? null : join(dir, winner.file), abis };
}

/** Why there is no binary for this Node: which ones there are, and what to do. */
export function missingBinaryMessage(abis: number[], hasGypOutput: boolean): string {
  const here = `Node ${process.versions.node} (ABI ${process.versions.modules}) on ${process.platform}-${process.arch}`;
  const have = abis.length === 0 ? 'the package has no native binary at all (no prebuilt one, and none was compiled at install)' : `the package has native binaries for ${abis.map(describeAbi).join('; ')} only`;
  const gyp = hasGypOutput ? ' (build/Release/rtemem.node, a plain node-gyp build, is not loaded: it is not tagged with the Node it was built for)' : '';
  return `no native addon for ${here}: ${have}${gyp}; ${FIX}`;
}

/** What to tell the user when loading `file` threw `message`. */
export function loadFailureMessage(message: string, file: string): string {
  const first = message.split('\n')[0] ?? '';
  return `the native binary ${file} for Node ${process.versions.node} (ABI ${process.versions.modules}) did not load (${first}); ${FIX}`;
}

/**
 * Loads the binary for this Node from the package at `root`: the addon, or
 * why not. Exported for tests (a package root of their own).
 */
export function loadAddon(root: string): { addon: NativeAddon | null; error: string | null } {
  const { file, abis } = findBinary(root);
  if (file === null) return { addon: null, error: missingBinaryMessage(abis, existsSync(join(root, 'build', 'Release', 'rtemem.node'))) };
  let loaded: NativeAddon;
  try {
    const require = createRequire(import.meta.url);
    loaded = require(file) as NativeAddon;
  } catch (e) {
    return { addon: null, error: loadFailureMessage((e as Error).message, file) };
  }
  if (loaded.abi !== NATIVE_ABI) {
    return {
      addon: null,
      error: `the native binary ${file} has function table ${String(loaded.abi)}, this package expects ${NATIVE_ABI} (a binary from another version of @rtemem/eal-hugepage); ${FIX}`,
    };
  }
  if (loaded.nodeAbi !== Number(process.versions.modules)) {
    return {
      addon: null,
      error: `the native binary ${file} was built for Node ${loaded.nodeVersion} (${describeAbi(loaded.nodeAbi)}), not for this Node ${process.versions.node} (ABI ${process.versions.modules}); ${FIX}`,
    };
  }
  return { addon: loaded, error: null };
}

function load(): void {
  tried = true;
  if (process.platform !== 'linux') {
    loadError = `the native addon supports Linux only (this is ${process.platform})`;
    return;
  }
  if (process.env.RTEMEM_NO_NATIVE === '1') {
    loadError = 'disabled by RTEMEM_NO_NATIVE=1';
    return;
  }
  const r = loadAddon(packageRoot());
  addon = r.addon;
  loadError = r.error;
  // Loud, once per process: without the addon `auto` quietly becomes `sab`
  // (no hugepages, no secondary processes). RTEMEM_NO_NATIVE=1 says that is meant.
  if (loadError !== null && isMainThread) {
    process.emitWarning(
      `${loadError}. Until then only the 'sab' backend works (no hugepages, no /dev/shm memory, no secondary processes); set RTEMEM_NO_NATIVE=1 to run without the addon on purpose.`,
      { code: 'RTEMEM_NO_NATIVE_ADDON' },
    );
  }
}

/**
 * True when the native addon loaded: the hugetlbfs and anonymous backends,
 * secondary processes and physical addresses need it; the sab backend does not.
 *
 * @example
 * ```ts
 * import { nativeAvailable, nativeLoadError } from '@rtemem/eal-hugepage';
 * if (!nativeAvailable()) console.warn(nativeLoadError());
 * ```
 */
export function nativeAvailable(): boolean {
  if (!tried) load();
  return addon !== null;
}

/**
 * Why the addon did not load, or null when it did: which Node and ABI this
 * is, which binaries the package has, and what to run to get one.
 */
export function nativeLoadError(): string | null {
  if (!tried) load();
  return loadError;
}

/** The addon, or null. */
export function native(): NativeAddon | null {
  if (!tried) load();
  return addon;
}

/**
 * The physical address of a process virtual address, from
 * /proc/self/pagemap; null when unknown (not root, page not present, or no
 * addon).
 *
 * @see rte_mem_virt2phy
 */
export function virt2phys(va: bigint): bigint | null {
  const n = native();
  if (n === null || typeof va !== 'bigint' || va < 0n) return null;
  return n.virt2phys(va);
}
