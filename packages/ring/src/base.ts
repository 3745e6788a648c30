/**
 * A ring's life and state as a handle shows it: creating, initialising,
 * attaching, finding and freeing rings; the header's properties; counts,
 * RTS limits, reset, dump and recovery. The base of the class chain that
 * makes {@link Ring} (see ring.ts).
 *
 * @see lib/ring/rte_ring.c (rte_ring_create_elem, rte_ring_init, rte_ring_lookup, rte_ring_free,
 * rte_ring_reset, rte_ring_dump) and rte_ring.h (rte_ring_count, rte_ring_free_count, ...) in DPDK
 */
import { type Eal, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { type Memzone, Memzones } from '@rtemem/memzone';
import { RingCore } from './core.js';
import { bytesFor, checkName, checkPlace, geometry, isHeaderPlace, isLiveRing, markFreed, readName, RING_MZ_PREFIX, RING_NAMESIZE, writeHeader } from './geometry.js';
import { dumpText, type HeadTail, recoverRing } from './inspect.js';
import { RING_HDR_CONS_HTD, RING_HDR_FLAGS, RING_HDR_PROD_HTD, RING_HEADER_BYTES, SYNC_MT_RTS } from './layout.js';
import type { Ring } from './ring.js';

type RingMaker = (buffer: SharedArrayBuffer, byteOffset: number, mz: Memzone | null, eal: Eal | null) => Ring;

// Makes the handle the factories return; set by ring.ts (Ring's constructor is private).
let makeRing: RingMaker;

/** @internal Called once by ring.ts with a maker of Ring handles. */
export function setRingMaker(make: RingMaker): void {
  makeRing = make;
}

/**
 * Creating and finding rings, their properties and state: the first class
 * of the chain that makes {@link Ring}.
 */
export class RingBase {
  /** One thread's view of the ring's header (core.ts). @internal */
  protected readonly core: RingCore;
  readonly #mz: Memzone | null;
  readonly #eal: Eal | null;

  /** @internal */
  protected constructor(buffer: SharedArrayBuffer, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    this.core = new RingCore(buffer, byteOffset);
    this.#mz = mz;
    this.#eal = eal;
  }

  /* ------------------------------------------------------------------ *
   * Creating and finding rings
   * ------------------------------------------------------------------ */

  /**
   * Bytes a ring of `count` slots (a power of two) of `esize` bytes needs.
   * For RING_F_EXACT_SZ pass the next power of two above the count. Throws
   * EINVAL for a bad count or esize. @see rte_ring_get_memsize_elem
   */
  static memsize(count: number, esize = 8): number {
    geometry(count, 0, esize);
    return bytesFor(count, esize);
  }

  /**
   * Initialises a ring at `byteOffset` (a multiple of 64) of any
   * SharedArrayBuffer — no EAL and no native code needed. Throws EINVAL for
   * bad arguments or a buffer too small, ENAMETOOLONG for a long name.
   * @see rte_ring_init
   */
  static init(buffer: SharedArrayBuffer, byteOffset: number, name: string, count: number, flags = 0, esize = 8): Ring {
    checkName(name);
    const g = geometry(count, flags, esize);
    if (!(buffer instanceof SharedArrayBuffer)) throw new RteError('EINVAL', 'a ring lives in a SharedArrayBuffer');
    checkPlace(buffer, byteOffset, esize, g);
    writeHeader(buffer, byteOffset, name, flags, esize, g);
    return makeRing(buffer, byteOffset, null, null);
  }

  /**
   * A handle on the ring another thread initialised at `byteOffset` of
   * `buffer`. Throws EINVAL when there is no live ring there.
   */
  static attach(buffer: SharedArrayBuffer, byteOffset: number): Ring {
    if (!(buffer instanceof SharedArrayBuffer) || !isHeaderPlace(buffer.byteLength, byteOffset)) {
      throw new RteError('EINVAL', 'Ring.attach needs the SharedArrayBuffer and the 64-byte aligned offset the ring was initialised at');
    }
    if (!isLiveRing(new Uint32Array(buffer, byteOffset, RING_HEADER_BYTES >> 2), 0)) throw new RteError('EINVAL', `no live ring at offset ${byteOffset} of that buffer`);
    return makeRing(buffer, byteOffset, null, null);
  }

  /**
   * Creates a ring of numbers in a memzone named `RG_<name>`, found by
   * `Ring.lookup` in every thread and process. Throws EINVAL (bad count or
   * flags), ENAMETOOLONG, EEXIST (name taken), ENOMEM.
   * @see rte_ring_create
   */
  static create(eal: Eal, name: string, count: number, socket: number = SOCKET_ID_ANY, flags = 0): Ring {
    return RingBase.createElem(eal, name, 8, count, socket, flags);
  }

  /** Creates a ring of `esize`-byte elements (a multiple of 4). @see rte_ring_create_elem */
  static createElem(eal: Eal, name: string, esize: number, count: number, socket: number = SOCKET_ID_ANY, flags = 0): Ring {
    checkName(name);
    const g = geometry(count, flags, esize);
    const mz = Memzones.of(eal).reserve(RING_MZ_PREFIX + name, bytesFor(g.size, esize), socket, 0, 64);
    const list = eal.listOf(mz.addr)!;
    const off = mz.addr - list.baseAddr;
    writeHeader(list.sab, off, name, flags, esize, g);
    return makeRing(list.sab, off, mz, eal);
  }

  /** The ring created under `name` by any thread or process, or null. @see rte_ring_lookup */
  static lookup(eal: Eal, name: string): Ring | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= RING_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(RING_MZ_PREFIX + name);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined) return null;
    const off = mz.addr - list.baseAddr;
    if (!isLiveRing(list.u32, off)) return null;
    return makeRing(list.sab, off, mz, eal);
  }

  /**
   * Frees a ring made by Ring.create (its memzone goes back to the heap).
   * Throws EINVAL for a ring made by Ring.init. @see rte_ring_free
   */
  free(): void {
    if (this.#mz === null || this.#eal === null) {
      throw new RteError('EINVAL', 'this ring was not created with Ring.create: free its buffer yourself');
    }
    markFreed(this.core.u32, this.core.i32, this.core.base);
    Memzones.of(this.#eal).free(this.#mz);
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  /** The ring's name. */
  get name(): string {
    return readName(this.core.i32.buffer, this.core.base);
  }

  /** Slots (a power of two). @see rte_ring_get_size */
  get size(): number {
    return this.core.size;
  }

  /** Elements it can hold (size - 1, or the exact count). @see rte_ring_get_capacity */
  get capacity(): number {
    return this.core.capacity;
  }

  /** Bytes per element. */
  get esize(): number {
    return this.core.esize;
  }

  /** The RING_F_* flags it was created with. */
  get flags(): number {
    return this.core.u32[(this.core.base + RING_HDR_FLAGS) >> 2]!;
  }

  /** The memzone of a ring made by Ring.create, else null. */
  get memzone(): Memzone | null {
    return this.#mz;
  }

  /* ------------------------------------------------------------------ *
   * State
   * ------------------------------------------------------------------ */

  /** Elements in the ring. @see rte_ring_count */
  count(): number {
    const r = this.core;
    const c = (Atomics.load(r.i32, r.pt) - Atomics.load(r.i32, r.ct)) & r.mask;
    return c > r.capacity ? r.capacity : c;
  }

  /** Free slots. @see rte_ring_free_count */
  freeCount(): number {
    return this.capacity - this.count();
  }

  /** @see rte_ring_full */
  isFull(): boolean {
    return this.freeCount() === 0;
  }

  /** @see rte_ring_empty */
  isEmpty(): boolean {
    const r = this.core;
    return Atomics.load(r.i32, r.pt) === Atomics.load(r.i32, r.ct);
  }

  /** The RTS head/tail distance limit of the producer; EINVAL for other rings. @see rte_ring_get_prod_htd_max */
  get prodHtdMax(): number {
    if (this.core.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    return this.core.prodHtdMax();
  }

  /** @see rte_ring_set_prod_htd_max */
  set prodHtdMax(v: number) {
    if (this.core.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.core.u32[(this.core.base + RING_HDR_PROD_HTD) >> 2] = v;
  }

  /** @see rte_ring_get_cons_htd_max */
  get consHtdMax(): number {
    if (this.core.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    return this.core.consHtdMax();
  }

  /** @see rte_ring_set_cons_htd_max */
  set consHtdMax(v: number) {
    if (this.core.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.core.u32[(this.core.base + RING_HDR_CONS_HTD) >> 2] = v;
  }

  /**
   * Empties the ring: heads and tails back to 0. Not thread-safe: nobody
   * may use the ring meanwhile. @see rte_ring_reset
   */
  reset(): void {
    const r = this.core;
    for (const w of [r.ph, r.pt, r.pInf, r.ch, r.ct, r.cInf]) Atomics.store(r.i32, w, 0);
    // Tails went back: every handle drops its cached view of them.
    Atomics.add(r.i32, r.genWord, 1);
    r.cachedConsTail = 0;
    r.cachedProdTail = 0;
    r.cachedGen = Atomics.load(r.i32, r.genWord);
    r.peekProd = -1;
    r.peekCons = -1;
  }

  /** Head, tail and in-flight count of both sides, as unsigned 32-bit counters. */
  headTail(): HeadTail {
    const r = this.core;
    const u = (w: number) => Atomics.load(r.i32, w) >>> 0;
    return { prodHead: u(r.ph), prodTail: u(r.pt), consHead: u(r.ch), consTail: u(r.ct), prodInFlight: u(r.pInf), consInFlight: u(r.cInf) };
  }

  /**
   * The ring's state in DPDK's dump format, plus sync modes and, when a
   * side's head is ahead of its tail with nothing moving, a note: an MP/MC
   * thread that died between moving the head and publishing leaves exactly
   * that (see {@link Ring.recover}). @see rte_ring_dump
   */
  dump(): string {
    return dumpText(this, this.core);
  }

  /**
   * Recovery after a thread died between claiming slots and finishing (its
   * side's head is ahead of its tail for good, and later threads of that
   * side wait forever for it). Call it once every live user of the ring has
   * stopped: slots claimed by producers but never published are filled with
   * `poison` (words of all ones on element rings) and published, so
   * consumers see them and can skip them; slots claimed by consumers but
   * never released are released. Returns the number of slots fixed on each
   * side. Not thread-safe.
   */
  recover(poison = Number.NaN): { published: number; released: number } {
    return recoverRing(this.core, this.core, poison);
  }

  /** Byte offset of this ring in its buffer (with {@link Ring.buffer}, what Ring.attach needs). */
  get byteOffset(): number {
    return this.core.base;
  }

  /** The buffer holding this ring. */
  get buffer(): SharedArrayBuffer {
    return this.core.i32.buffer as SharedArrayBuffer;
  }
}
