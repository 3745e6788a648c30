/**
 * A memzone handle: a copy of one zone's table entry, taken when the handle
 * was made, and a view onto the zone's memory. The zone itself (the memory
 * and the entry) lives in shared memory; {@link Memzones} makes handles.
 *
 * @see struct rte_memzone in lib/eal/include/rte_memzone.h (DPDK)
 */
import { iovaFromWords, RteError } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import type { Memzones } from './memzone.js';
import { MZE_ADDR, MZE_FLAGS, MZE_HUGEPAGE_SZ, MZE_IOVA_HI, MZE_IOVA_LO, MZE_LEN, MZE_SERIAL, MZE_SOCKET, MZE_STATE, MZS_LIVE } from './layout.js';

// Let Memzones read a handle's private fields (and recognise a real handle)
// without making an object per call.
let ownerOfZone: (mz: unknown) => Memzones | null;
let serialOfZone: (mz: Memzone) => number;

/** @internal The Memzones that made `mz`, or null when `mz` is no handle. */
export function ownerOf(mz: unknown): Memzones | null {
  return ownerOfZone(mz);
}

/** @internal The serial of the reservation handle `mz` names. */
export function serialOf(mz: Memzone): number {
  return serialOfZone(mz);
}

/**
 * A handle onto one reserved zone. Its fields are a copy of the zone's
 * table entry, taken when the handle was made; the zone itself (the memory
 * and the entry) lives in shared memory, and any thread or process finds it
 * with {@link Memzones.lookup}.
 *
 * @example
 * ```ts
 * import { Eal, Memzones } from '@rtemem/memzone';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const mz = Memzones.of(eal).reserve('stats', 4096);
 * mz.bytes().fill(0);       // a view onto the zone, shared with every other view
 * mz.len === 4096 && mz.addr % 64 === 0;
 * eal.cleanup();
 * ```
 * @see struct rte_memzone
 */
export class Memzone {
  /** The zone's name (at most 31 bytes of utf-8). */
  readonly name: string;
  /** rtemem address of the zone's first byte. */
  readonly addr: number;
  /** Bytes of the zone: the requested length rounded up to 64. */
  readonly len: number;
  /** Page size of the memory holding the zone. */
  readonly hugepageSz: number;
  /** Socket of the heap the zone came from. */
  readonly socketId: number;
  /** The MEMZONE_* flags the zone was reserved with (DPDK stores 0 here). */
  readonly flags: number;
  /** Slot of the zone in the memzone table (0 .. MAX_MEMZONE-1). */
  readonly index: number;
  readonly #owner: Memzones;
  readonly #serial: number;
  readonly #u32: Uint32Array;
  readonly #entry: number;
  readonly #iovaLo: number;
  readonly #iovaHi: number;
  #view: Uint8Array | null = null;

  /** @internal Made by {@link Memzones}; a handle built any other way is not accepted by `free`. */
  constructor(owner: Memzones, index: number, entry: number, name: string) {
    const u32 = owner.eal.config.u32;
    const f64 = owner.eal.config.f64;
    this.name = name;
    this.addr = f64[(entry + MZE_ADDR) >> 3]!;
    this.len = f64[(entry + MZE_LEN) >> 3]!;
    this.hugepageSz = f64[(entry + MZE_HUGEPAGE_SZ) >> 3]!;
    this.socketId = owner.eal.config.i32[(entry + MZE_SOCKET) >> 2]!;
    this.flags = u32[(entry + MZE_FLAGS) >> 2]!;
    this.index = index;
    this.#owner = owner;
    this.#serial = u32[(entry + MZE_SERIAL) >> 2]!;
    this.#iovaLo = u32[(entry + MZE_IOVA_LO) >> 2]!;
    this.#iovaHi = u32[(entry + MZE_IOVA_HI) >> 2]!;
    this.#u32 = u32;
    this.#entry = entry;
  }

  static {
    ownerOfZone = (mz) => (typeof mz === 'object' && mz !== null && #owner in mz ? mz.#owner : null);
    serialOfZone = (mz) => mz.#serial;
  }

  /** IOVA (physical address) of the first byte; BAD_IOVA (-1n) when unknown. Made on access: a bigint. */
  get iova(): bigint {
    return iovaFromWords(this.#iovaLo, this.#iovaHi);
  }

  /** True while the zone this handle names has not been freed (by anyone, anywhere). */
  get live(): boolean {
    return Atomics.load(this.#u32, (this.#entry + MZE_STATE) >> 2) === MZS_LIVE && Atomics.load(this.#u32, (this.#entry + MZE_SERIAL) >> 2) === this.#serial;
  }

  /**
   * A view (never a copy) of the zone's `len` bytes; every thread and
   * process that looks the zone up sees the same memory. Throws EINVAL once
   * the zone has been freed (by anyone) or the EAL cleaned up.
   */
  bytes(): Uint8Array {
    if (!this.live) throw new RteError('EINVAL', `memzone ${this.name} was freed (or its EAL cleaned up): look it up again (lookup) or reserve it again`);
    if (this.#view === null) this.#view = Memory.of(this.#owner.eal).bytes(this.addr, this.len);
    return this.#view;
  }
}
