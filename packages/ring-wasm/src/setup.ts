/**
 * A ring's life as its handle shows it: the memory a ring needs,
 * initialising one in a Memory or finding it there again, creating one in a
 * memzone, looking it up by name, freeing it. The second class of the
 * chain that makes {@link WasmRing} (see ring.ts); ring's geometry (shared.ts) checks the
 * arguments and writes the header, memory.ts resolves where a ring lives.
 *
 * @see lib/ring/rte_ring.c (rte_ring_get_memsize_elem, rte_ring_init, rte_ring_create_elem,
 * rte_ring_lookup, rte_ring_free) in DPDK
 */
import { type Eal, type Memzone, Memzones, RteError, SOCKET_ID_ANY, type WasmMemory, wasmMemoryOf } from '@rtemem/memzone';
import { RING_MZ_PREFIX, RING_NAMESIZE } from '@rtemem/ring';
import { WasmRingInfo } from './info.js';
import { resolveBuffer } from './memory.js';
import { bytesFor, checkName, checkPlace, geometry, isHeaderPlace, isLiveRing, markFreed, RING_HEADER_BYTES, writeHeader } from './shared.js';
import type { WasmRing } from './ring.js';

type RingMaker = (sab: SharedArrayBuffer, memory: WasmMemory, wasmOffset: number, byteOffset: number, mz: Memzone | null, eal: Eal | null) => WasmRing;

// WasmRing, the end of the chain and the only class of it that is made, sets
// this when it is defined (its constructor is private to it).
let make: RingMaker = () => {
  throw new RteError('EINVAL', 'WasmRing is not loaded');
};

/** Called once by WasmRing's static block. @internal */
export function setRingMaker(maker: RingMaker): void {
  make = maker;
}

/**
 * Creating, initialising, finding and freeing rings: the second class of
 * the chain that makes {@link WasmRing}.
 */
export class WasmRingSetup extends WasmRingInfo {
  /* ------------------------------------------------------------------ *
   * Creating and finding rings
   * ------------------------------------------------------------------ */

  /** Bytes a ring of `count` slots (a power of two) of `esize` bytes needs. @see rte_ring_get_memsize_elem */
  static memsize(count: number, esize = 8): number {
    geometry(count, 0, esize);
    return bytesFor(count, esize);
  }

  /**
   * Initialises a ring at `byteOffset` (a multiple of 64) of a shared
   * WebAssembly.Memory (or of an EAL list's buffer). Throws EINVAL for bad
   * arguments or a memory too small, ENAMETOOLONG for a long name, ENOTSUP
   * for a SharedArrayBuffer that is no WebAssembly memory's. @see rte_ring_init
   */
  static init(memory: WasmMemory | SharedArrayBuffer, byteOffset: number, name: string, count: number, flags = 0, esize = 8): WasmRing {
    checkName(name);
    const g = geometry(count, flags, esize);
    const where = resolveBuffer(memory, 'WasmRing.init');
    checkPlace(where.sab, byteOffset, esize, g);
    writeHeader(where.sab, byteOffset, name, flags, esize, g);
    return make(where.sab, where.memory, where.offset, byteOffset, null, null);
  }

  /** A handle on the ring another thread initialised at `byteOffset`. Throws EINVAL when there is none. */
  static attach(memory: WasmMemory | SharedArrayBuffer, byteOffset: number): WasmRing {
    const where = resolveBuffer(memory, 'WasmRing.attach');
    const sab = where.sab;
    if (!isHeaderPlace(sab.byteLength, byteOffset)) {
      throw new RteError('EINVAL', 'WasmRing.attach needs the memory and the 64-byte aligned offset the ring was initialised at');
    }
    if (!isLiveRing(new Uint32Array(sab, byteOffset, RING_HEADER_BYTES >> 2), 0)) throw new RteError('EINVAL', `no live ring at offset ${byteOffset} of that memory`);
    return make(sab, where.memory, where.offset, byteOffset, null, null);
  }

  /** Creates a ring of numbers in a memzone `RG_<name>`. @see rte_ring_create */
  static create(eal: Eal, name: string, count: number, socket: number = SOCKET_ID_ANY, flags = 0): WasmRing {
    return WasmRingSetup.createElem(eal, name, 8, count, socket, flags);
  }

  /**
   * Creates a ring of `esize`-byte elements. Throws EINVAL, ENAMETOOLONG,
   * EEXIST, ENOMEM as Ring.createElem, and ENOTSUP when the memzone landed
   * in memory that is no WebAssembly memory's (external memory, or
   * RTEMEM_WASM_MEMORY=0). @see rte_ring_create_elem
   */
  static createElem(eal: Eal, name: string, esize: number, count: number, socket: number = SOCKET_ID_ANY, flags = 0): WasmRing {
    checkName(name);
    const g = geometry(count, flags, esize);
    const mz = Memzones.of(eal).reserve(RING_MZ_PREFIX + name, bytesFor(g.size, esize), socket, 0, 64);
    const list = eal.listOf(mz.addr)!;
    const wm = wasmMemoryOf(list.sab);
    if (wm === undefined) {
      Memzones.of(eal).free(mz);
      throw new RteError('ENOTSUP', `memseg list ${list.index} is no WebAssembly memory (external memory, or RTEMEM_WASM_MEMORY=0): use @rtemem/ring's Ring there`);
    }
    const off = mz.addr - list.baseAddr;
    writeHeader(list.sab, off, name, flags, esize, g);
    return make(list.sab, wm.memory, wm.offset, off, mz, eal);
  }

  /** The ring created under `name` by any thread or process (by either implementation), or null. @see rte_ring_lookup */
  static lookup(eal: Eal, name: string): WasmRing | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= RING_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(RING_MZ_PREFIX + name);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined) return null;
    const off = mz.addr - list.baseAddr;
    if (!isLiveRing(list.u32, off)) return null;
    const wm = wasmMemoryOf(list.sab);
    if (wm === undefined) throw new RteError('ENOTSUP', `ring ${name} is in memory that is no WebAssembly memory: use @rtemem/ring's Ring`);
    return make(list.sab, wm.memory, wm.offset, off, mz, eal);
  }

  /** Frees a ring made by create (its memzone goes back to the heap). @see rte_ring_free */
  free(): void {
    if (this.memzone === null || this.eal === null) {
      throw new RteError('EINVAL', 'this ring was not created with WasmRing.create: free its memory yourself');
    }
    markFreed(this.core.u32, this.core.i32, this.core.base);
    Memzones.of(this.eal).free(this.memzone);
  }
}
