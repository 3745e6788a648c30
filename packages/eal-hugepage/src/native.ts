/**
 * Loads the native addon (prebuilt or built on install, through
 * node-gyp-build) and says clearly why when it cannot.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WasmMemory } from './wasm-memory.js';

/** ABI of the addon this build expects (kAbi in src/native/addon.cc). */
const NATIVE_ABI = 3;

/** The addon's functions; each returns a negated errno on failure. */
export interface NativeAddon {
  abi: number;
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

function packageRoot(): string {
  // src/native.ts in tests, dist/index.{js,cjs} when built: both one level down.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
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
  try {
    const require = createRequire(import.meta.url);
    const gypBuild = require('node-gyp-build') as (dir: string) => NativeAddon;
    const loaded = gypBuild(packageRoot());
    if (loaded.abi !== NATIVE_ABI) {
      loadError = `the loaded addon has ABI ${loaded.abi}, this package expects ${NATIVE_ABI}: rebuild it with \`pnpm --filter @rtemem/eal-hugepage build:native\``;
      return;
    }
    addon = loaded;
  } catch (e) {
    loadError = loadFailureMessage((e as Error).message);
  }
}

/**
 * What to tell the user when node-gyp-build threw `message`: no binary at
 * all ("No native build was found"), or one that exists but did not load.
 */
export function loadFailureMessage(message: string): string {
  const first = message.split('\n')[0] ?? '';
  const fix = '`npm rebuild @rtemem/eal-hugepage` (runs node-gyp rebuild; needs python3, make, g++)';
  if (/No native build was found/i.test(first)) {
    return `no prebuilt binary for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules}) and no local build; build one with ${fix}`;
  }
  return `the native binary was found but failed to load (${first}); rebuild it for this Node and system with ${fix}`;
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

/** Why the addon did not load, or null when it did. */
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
