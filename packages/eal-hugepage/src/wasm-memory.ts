/**
* Memseg lists as WebAssembly memories: a list's SharedArrayBuffer is (a
 * view into) a shared `WebAssembly.Memory`, so WebAssembly code (the
 * @rtemem/ring-wasm ring) works on the very memory every other layer uses.
 *
 * JavaScript cannot make a Memory over memory that exists; it can make a
 * shared Memory whose initial size is its maximum, which V8 reserves once
 * (with guard regions around it, 64 KiB aligned), never moves or grows, and
 * unmaps once, whole, when the last Memory or buffer that refers to it is
 * collected. The file backends then map the list's file over the Memory's
 * pages (MAP_FIXED, the addon's wasmMemoryMap): the Memory is the mapping,
 * and posting it to a worker shares it. A secondary process maps the same
 * file into a Memory of its own. The sab backend needs no file: the Memory's
 * buffer is the list.
 *
 * A hugetlbfs file can only be mapped at an address aligned to its page
 * size, which V8 does not promise: such a Memory gets one hugepage more than
 * the list, the file goes at the first aligned address in it, and the list's
 * buffer is a view from there (`offset` > 0), holding the Memory alive.
 *
 * Set RTEMEM_WASM_MEMORY=0 to map lists as plain SharedArrayBuffers (as
 * before); WebAssembly code then has no memory to run on.
 */
import { fromErrno } from './errors.js';
import { mapListFile } from './memseg-list.js';
import { native } from './native.js';

/**
 * A shared `WebAssembly.Memory` (typed here: Node 20's lib types have no
 * WebAssembly namespace without the DOM lib).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

interface WasmMemoryConstructor {
  new (descriptor: { initial: number; maximum: number; shared: boolean }): WasmMemory;
}

const MemoryCtor = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } }).WebAssembly.Memory;

const WASM_PAGE = 65536;
/** Most pages a 32-bit WebAssembly memory can have (4 GiB). */
export const WASM_MAX_PAGES = 65536;

/** Where a list's bytes are in a WebAssembly memory. */
export interface WasmListMemory {
  memory: WasmMemory;
  /** Byte offset of the list's byte 0 in `memory`. */
  offset: number;
}

// Per thread: the Memory behind each list buffer this thread has.
const registry = new WeakMap<SharedArrayBuffer, WasmListMemory>();

/** False when RTEMEM_WASM_MEMORY=0 asks for plain SharedArrayBuffers. */
export function wasmMemoryEnabled(): boolean {
  return process.env.RTEMEM_WASM_MEMORY !== '0';
}

/**
 * The WebAssembly memory a list buffer lives in, and where in it, or
 * undefined for a buffer that is not in one (external memory, or
 * RTEMEM_WASM_MEMORY=0).
 */
export function wasmMemoryOf(sab: SharedArrayBuffer): WasmListMemory | undefined {
  return registry.get(sab);
}

/** Records that `sab` is `memory` from byte `offset` (a worker attaching does this for what it was posted). */
export function registerWasmMemory(sab: SharedArrayBuffer, memory: WasmMemory, offset: number): void {
  registry.set(sab, { memory, offset });
}

function newMemory(bytes: number): WasmMemory | null {
  const pages = Math.ceil(bytes / WASM_PAGE);
  if (pages > WASM_MAX_PAGES) return null;
  try {
    return new MemoryCtor({ initial: pages, maximum: pages, shared: true });
  } catch {
    // Out of address space for wasm memories: the plain way still works.
    return null;
  }
}

/** A list of the sab backend: the buffer of a new shared Memory (a plain SharedArrayBuffer when disabled). */
export function sabListBuffer(length: number): SharedArrayBuffer {
  const memory = wasmMemoryEnabled() ? newMemory(length) : null;
  if (memory === null) return new SharedArrayBuffer(length);
  const sab = memory.buffer as SharedArrayBuffer;
  registry.set(sab, { memory, offset: 0 });
  return sab;
}

/**
 * Maps a list file in this process over a new shared Memory (the list's
 * buffer is memory.buffer, or a view at a hugepage boundary in it). Falls
 * back to a plain mapping (mapListFile) when disabled, without the addon's
 * service, or when V8 has no address space left for another Memory.
 * Throws like mapListFile.
 */
export function mapListBuffer(fd: number, length: number, pageSize: number, what: string): SharedArrayBuffer {
  const n = native();
  if (!wasmMemoryEnabled() || n === null || typeof n.wasmMemoryMap !== 'function') return mapListFile(fd, length, what);
  // V8 aligns a Memory to 64 KiB: larger pages may need room to align.
  const slack = pageSize > WASM_PAGE ? pageSize : 0;
  const memory = newMemory(length + slack);
  if (memory === null) return mapListFile(fd, length, what);
  const base = n.addressOf(memory.buffer as SharedArrayBuffer);
  const misalign = Number(base % BigInt(Math.max(pageSize, WASM_PAGE)));
  const offset = misalign === 0 ? 0 : pageSize - misalign;
  const r = n.wasmMemoryMap(memory, offset, length, fd, 0);
  if (r < 0) throw fromErrno(r, `cannot map ${what} (${length} bytes) over a WebAssembly memory`);
  let sab: SharedArrayBuffer;
  if (offset === 0) {
    sab = memory.buffer as SharedArrayBuffer;
  } else {
    const view = n.wasmMemoryView(memory, offset, length);
    if (typeof view === 'number') throw fromErrno(view, `cannot make a view of ${what}`);
    sab = view;
  }
  registry.set(sab, { memory, offset });
  return sab;
}
