/**
 * rte_ring in shared memory: a fixed-size FIFO of numbers (esize 8) or of
 * fixed-size elements, with multi- or single-producer/consumer, RTS and HTS
 * sync, usable from every thread and process that maps the memory.
 *
 * @see lib/ring/rte_ring.c, rte_ring.h, rte_ring_elem.h in DPDK
 */
import { type Eal, ENOBUFS, type Memzone, Memzones, RteError, SOCKET_ID_ANY } from '@rtemem/memzone';
import { getNumbers, getWords, putNumbers, putWords } from './copy.js';
import { RingCore } from './core.js';
import {
  RING_HDR_CAPACITY,
  RING_HDR_CONS_HTD,
  RING_HDR_CONS_SYNC,
  RING_HDR_ESIZE,
  RING_HDR_FLAGS,
  RING_HDR_MAGIC,
  RING_HDR_MASK,
  RING_HDR_NAME,
  RING_HDR_PROD_HTD,
  RING_HDR_PROD_SYNC,
  RING_HDR_SIZE,
  RING_HDR_STATE,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_NAME_LEN,
  RING_STATE_FREED,
  RING_STATE_LIVE,
  SYNC_MT,
  SYNC_MT_HTS,
  SYNC_MT_RTS,
  SYNC_ST,
} from './layout.js';
import { htsFinish, htsMoveConsHead, htsMoveProdHead } from './sync/hts.js';
import { mtDequeue, mtDequeueOne, mtEnqueue, mtEnqueueOne, mtMoveConsHead, mtMoveProdHead, mtUpdateTail } from './sync/mt.js';
import { rtsLeave, rtsMoveConsHead, rtsMoveProdHead } from './sync/rts.js';
import { stDequeue, stDequeueOne, stEnqueue, stEnqueueOne, stMoveConsHead, stMoveProdHead, stUpdateTail } from './sync/st.js';

/** Single-producer enqueue. @see RING_F_SP_ENQ */
export const RING_F_SP_ENQ = 0x1;
/** Single-consumer dequeue. @see RING_F_SC_DEQ */
export const RING_F_SC_DEQ = 0x2;
/** `count` is the capacity; the ring is sized to the next power of two above it. @see RING_F_EXACT_SZ */
export const RING_F_EXACT_SZ = 0x4;
/** Multi-producer RTS enqueue. @see RING_F_MP_RTS_ENQ */
export const RING_F_MP_RTS_ENQ = 0x8;
/** Multi-consumer RTS dequeue. @see RING_F_MC_RTS_DEQ */
export const RING_F_MC_RTS_DEQ = 0x10;
/** Multi-producer HTS enqueue. @see RING_F_MP_HTS_ENQ */
export const RING_F_MP_HTS_ENQ = 0x20;
/** Multi-consumer HTS dequeue. @see RING_F_MC_HTS_DEQ */
export const RING_F_MC_HTS_DEQ = 0x40;
/** Largest ring size. @see RTE_RING_SZ_MASK */
export const RING_SZ_MASK = 0x7fffffff;
/** Memzone names of rings start with this. @see RTE_RING_MZ_PREFIX */
export const RING_MZ_PREFIX = 'RG_';
/** Longest ring name in bytes (memzone names are 31 bytes at most). @see RTE_RING_NAMESIZE */
export const RING_NAMESIZE = 29;

const RING_F_MASK = 0x7f;
const PROD_FLAGS = RING_F_SP_ENQ | RING_F_MP_RTS_ENQ | RING_F_MP_HTS_ENQ;
const CONS_FLAGS = RING_F_SC_DEQ | RING_F_MC_RTS_DEQ | RING_F_MC_HTS_DEQ;
const SYNC_NAMES = ['MP/MC', 'SP/SC', 'RTS', 'HTS'];

/**
 * True for what a dequeue, a pop or a mempool get may write numbers into: a
 * Float64Array (or another typed array of numbers), or an Array that can
 * grow (not frozen or sealed). Checked before anything moves.
 */
export function isOutput(out: unknown): boolean {
  if (out instanceof Float64Array) return true;
  if (Array.isArray(out)) return Object.isExtensible(out);
  return ArrayBuffer.isView(out) && !(out instanceof DataView) && !(out instanceof BigInt64Array) && !(out instanceof BigUint64Array);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a frozen or sealed Array';
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? 'a bigint' : String(v);
  return (v as object).constructor?.name ?? 'an object';
}

/**
 * Where a zero-copy start's elements lie: `n1` slots from slot index
 * `ptr1`, then `n2` from `ptr2` (0) when they wrap past the end of the ring.
 * Indexes are slots: `ring.slots[ptr]` on esize 8 rings, word
 * `ptr * esize / 4` of `ring.slotsU32` on any. Pass the same object every
 * time: it is written, never kept. @see struct rte_ring_zc_data
 */
export interface ZcData {
  ptr1: number;
  n1: number;
  ptr2: number;
  n2: number;
}

// The optional free_space / available argument: checked before anything moves.
function checkOutValue(v: unknown): void {
  if (!(v instanceof Uint32Array) || v.length < 1) {
    throw new RteError('EINVAL', 'the free_space / available argument must be a Uint32Array of at least one element (reuse one: no garbage)');
  }
}

function checkZc(zc: unknown): void {
  if (zc === null || typeof zc !== 'object') {
    throw new RteError('EINVAL', 'a zero-copy start needs a ZcData object ({ ptr1, n1, ptr2, n2 }) to write into');
  }
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function align32pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function syncOf(flags: number, single: number, rts: number, hts: number): number {
  switch (flags & (single | rts | hts)) {
    case 0:
      return SYNC_MT;
    case single:
      return SYNC_ST;
    case rts:
      return SYNC_MT_RTS;
    case hts:
      return SYNC_MT_HTS;
    default:
      return -1;
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a ring name must be a non-empty string');
  if (Buffer.byteLength(name) >= RING_NAMESIZE) {
    throw new RteError('ENAMETOOLONG', `ring name ${JSON.stringify(name)} is longer than ${RING_NAMESIZE - 1} bytes`);
  }
  return name;
}

interface Geometry {
  size: number;
  capacity: number;
  prodSync: number;
  consSync: number;
}

// Validates count, flags and esize as rte_ring_init and
// rte_ring_get_memsize_elem do. Throws EINVAL.
function geometry(count: unknown, flags: unknown, esize: unknown): Geometry {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || (flags & ~RING_F_MASK) !== 0 || flags > RING_F_MASK) {
    throw new RteError('EINVAL', `unsupported ring flags 0x${Number(flags).toString(16)}: use RING_F_* values`);
  }
  const prodSync = syncOf(flags, RING_F_SP_ENQ, RING_F_MP_RTS_ENQ, RING_F_MP_HTS_ENQ);
  const consSync = syncOf(flags, RING_F_SC_DEQ, RING_F_MC_RTS_DEQ, RING_F_MC_HTS_DEQ);
  if (prodSync < 0 || consSync < 0) {
    throw new RteError('EINVAL', 'ring flags name more than one producer or consumer sync mode: pick at most one of each');
  }
  if (typeof esize !== 'number' || !Number.isInteger(esize) || esize <= 0 || esize % 4 !== 0 || esize > 65536) {
    throw new RteError('EINVAL', `element size ${String(esize)} is not a positive multiple of 4`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) {
    throw new RteError('EINVAL', `ring count ${String(count)} must be a positive integer`);
  }
  if ((flags & RING_F_EXACT_SZ) !== 0) {
    if (count > RING_SZ_MASK - 1) throw new RteError('EINVAL', `ring count ${count} exceeds ${RING_SZ_MASK - 1}`);
    return { size: align32pow2(count + 1), capacity: count, prodSync, consSync };
  }
  if (!isPow2(count) || count > RING_SZ_MASK) {
    throw new RteError('EINVAL', `ring count ${count} must be a power of two up to ${RING_SZ_MASK} (or pass RING_F_EXACT_SZ)`);
  }
  return { size: count, capacity: count - 1, prodSync, consSync };
}

function bytesFor(size: number, esize: number): number {
  return Math.ceil((RING_HEADER_BYTES + size * esize) / 64) * 64;
}

/**
 * A handle on a ring in shared memory. Handles are cheap and per thread;
 * the ring itself lives in its buffer, so every handle (in any thread or
 * process) sees the same ring.
 *
 * @example
 * ```ts
 * import { Ring } from '@rtemem/ring';
 * const buf = new SharedArrayBuffer(Ring.memsize(1024));
 * const ring = Ring.init(buf, 0, 'jobs', 1024);   // no EAL needed
 * ring.enqueue(42);                                // 0
 * ring.dequeue();                                  // 42
 * // in a worker: Ring.attach(buf, 0)
 * ```
 * @see rte_ring
 */
export class Ring {
  readonly #r: RingCore;
  readonly #mz: Memzone | null;
  readonly #eal: Eal | null;
  // Counter at which this handle's started enqueue / dequeue begins.
  #peekProdHead = 0;
  #peekConsHead = 0;
  #slots: Float64Array | null = null;
  #slotsU32: Uint32Array | null = null;

  private constructor(buffer: SharedArrayBuffer, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    this.#r = new RingCore(buffer, byteOffset);
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
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0) {
      throw new RteError('EINVAL', `ring offset ${String(byteOffset)} must be a non-negative multiple of 64`);
    }
    const bytes = bytesFor(g.size, esize);
    if (byteOffset + bytes > buffer.byteLength) {
      throw new RteError('EINVAL', `a ring of ${g.size} x ${esize} bytes needs ${bytes} bytes at offset ${byteOffset}; the buffer has ${buffer.byteLength}`);
    }
    Ring.#write(buffer, byteOffset, name, flags, esize, g);
    return new Ring(buffer, byteOffset, null, null);
  }

  static #write(buffer: SharedArrayBuffer, off: number, name: string, flags: number, esize: number, g: Geometry): void {
    const u8 = new Uint8Array(buffer, off, RING_HEADER_BYTES);
    const u32 = new Uint32Array(buffer, off, RING_HEADER_BYTES >> 2);
    u8.fill(0);
    u8.set(Buffer.from(name, 'utf8'), RING_HDR_NAME);
    u32[RING_HDR_FLAGS >> 2] = flags;
    u32[RING_HDR_SIZE >> 2] = g.size;
    u32[RING_HDR_MASK >> 2] = g.size - 1;
    u32[RING_HDR_CAPACITY >> 2] = g.capacity;
    u32[RING_HDR_ESIZE >> 2] = esize;
    u32[RING_HDR_PROD_SYNC >> 2] = g.prodSync;
    u32[RING_HDR_CONS_SYNC >> 2] = g.consSync;
    // RTS: a head may run capacity/8 ahead of its tail by default. @see HTD_MAX_DEF
    u32[RING_HDR_PROD_HTD >> 2] = Math.floor(g.capacity / 8);
    u32[RING_HDR_CONS_HTD >> 2] = Math.floor(g.capacity / 8);
    u32[RING_HDR_STATE >> 2] = RING_STATE_LIVE;
    Atomics.store(new Int32Array(buffer, off, RING_HEADER_BYTES >> 2), RING_HDR_MAGIC >> 2, RING_MAGIC);
  }

  /**
   * A handle on the ring another thread initialised at `byteOffset` of
   * `buffer`. Throws EINVAL when there is no live ring there.
   */
  static attach(buffer: SharedArrayBuffer, byteOffset: number): Ring {
    if (!(buffer instanceof SharedArrayBuffer) || !Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0 || byteOffset + RING_HEADER_BYTES > buffer.byteLength) {
      throw new RteError('EINVAL', 'Ring.attach needs the SharedArrayBuffer and the 64-byte aligned offset the ring was initialised at');
    }
    const u32 = new Uint32Array(buffer, byteOffset, RING_HEADER_BYTES >> 2);
    if (Atomics.load(u32, RING_HDR_MAGIC >> 2) !== RING_MAGIC || u32[RING_HDR_STATE >> 2] !== RING_STATE_LIVE) {
      throw new RteError('EINVAL', `no live ring at offset ${byteOffset} of that buffer`);
    }
    return new Ring(buffer, byteOffset, null, null);
  }

  /**
   * Creates a ring of numbers in a memzone named `RG_<name>`, found by
   * `Ring.lookup` in every thread and process. Throws EINVAL (bad count or
   * flags), ENAMETOOLONG, EEXIST (name taken), ENOMEM.
   * @see rte_ring_create
   */
  static create(eal: Eal, name: string, count: number, socket: number = SOCKET_ID_ANY, flags = 0): Ring {
    return Ring.createElem(eal, name, 8, count, socket, flags);
  }

  /** Creates a ring of `esize`-byte elements (a multiple of 4). @see rte_ring_create_elem */
  static createElem(eal: Eal, name: string, esize: number, count: number, socket: number = SOCKET_ID_ANY, flags = 0): Ring {
    checkName(name);
    const g = geometry(count, flags, esize);
    const mz = Memzones.of(eal).reserve(RING_MZ_PREFIX + name, bytesFor(g.size, esize), socket, 0, 64);
    const list = eal.listOf(mz.addr)!;
    const off = mz.addr - list.baseAddr;
    Ring.#write(list.sab, off, name, flags, esize, g);
    return new Ring(list.sab, off, mz, eal);
  }

  /** The ring created under `name` by any thread or process, or null. @see rte_ring_lookup */
  static lookup(eal: Eal, name: string): Ring | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= RING_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(RING_MZ_PREFIX + name);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined) return null;
    const off = mz.addr - list.baseAddr;
    if (Atomics.load(list.u32, (off + RING_HDR_MAGIC) >> 2) !== RING_MAGIC || list.u32[(off + RING_HDR_STATE) >> 2] !== RING_STATE_LIVE) return null;
    return new Ring(list.sab, off, mz, eal);
  }

  /**
   * Frees a ring made by Ring.create (its memzone goes back to the heap).
   * Throws EINVAL for a ring made by Ring.init. @see rte_ring_free
   */
  free(): void {
    if (this.#mz === null || this.#eal === null) {
      throw new RteError('EINVAL', 'this ring was not created with Ring.create: free its buffer yourself');
    }
    const r = this.#r;
    const w = r.base >> 2;
    r.u32[w + (RING_HDR_STATE >> 2)] = RING_STATE_FREED;
    Atomics.store(r.i32, w + (RING_HDR_MAGIC >> 2), 0);
    Memzones.of(this.#eal).free(this.#mz);
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  /** The ring's name. */
  get name(): string {
    const r = this.#r;
    const bytes = new Uint8Array(r.i32.buffer, r.base + RING_HDR_NAME, RING_NAME_LEN);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? RING_NAME_LEN : end)).toString('utf8');
  }

  /** Slots (a power of two). @see rte_ring_get_size */
  get size(): number {
    return this.#r.size;
  }

  /** Elements it can hold (size - 1, or the exact count). @see rte_ring_get_capacity */
  get capacity(): number {
    return this.#r.capacity;
  }

  /** Bytes per element. */
  get esize(): number {
    return this.#r.esize;
  }

  /** The RING_F_* flags it was created with. */
  get flags(): number {
    return this.#r.u32[(this.#r.base + RING_HDR_FLAGS) >> 2]!;
  }

  /** The memzone of a ring made by Ring.create, else null. */
  get memzone(): Memzone | null {
    return this.#mz;
  }

  /* ------------------------------------------------------------------ *
   * Sync dispatch
   * ------------------------------------------------------------------ */

  #moveProd(sync: number, n: number, fixed: boolean): number {
    const r = this.#r;
    switch (sync) {
      case SYNC_ST:
        return stMoveProdHead(r, n, fixed);
      case SYNC_MT:
        return mtMoveProdHead(r, n, fixed);
      case SYNC_MT_RTS:
        return rtsMoveProdHead(r, n, fixed);
      default:
        return htsMoveProdHead(r, n, fixed);
    }
  }

  #endProd(sync: number, oldHead: number, n: number): void {
    const r = this.#r;
    switch (sync) {
      case SYNC_ST:
        stUpdateTail(r, r.pt, oldHead, n);
        return;
      case SYNC_MT:
        mtUpdateTail(r, r.pt, oldHead, n);
        return;
      case SYNC_MT_RTS:
        rtsLeave(r, r.ph, r.pt, r.pInf);
        return;
      default:
        htsFinish(r, r.ph, r.pt, oldHead, n);
    }
  }

  #moveCons(sync: number, n: number, fixed: boolean): number {
    const r = this.#r;
    switch (sync) {
      case SYNC_ST:
        return stMoveConsHead(r, n, fixed);
      case SYNC_MT:
        return mtMoveConsHead(r, n, fixed);
      case SYNC_MT_RTS:
        return rtsMoveConsHead(r, n, fixed);
      default:
        return htsMoveConsHead(r, n, fixed);
    }
  }

  #endCons(sync: number, oldHead: number, n: number): void {
    const r = this.#r;
    switch (sync) {
      case SYNC_ST:
        stUpdateTail(r, r.ct, oldHead, n);
        return;
      case SYNC_MT:
        mtUpdateTail(r, r.ct, oldHead, n);
        return;
      case SYNC_MT_RTS:
        rtsLeave(r, r.ch, r.ct, r.cInf);
        return;
      default:
        htsFinish(r, r.ch, r.ct, oldHead, n);
    }
  }

  // The classic MP/SP/MC/SC calls force a sync type; on an RTS or HTS side
  // that would corrupt the ring, so they are refused.
  #forced(ringSync: number, want: number, what: string): number {
    if (ringSync === SYNC_MT_RTS || ringSync === SYNC_MT_HTS) {
      throw new RteError('EINVAL', `${what} on a ring created with ${SYNC_NAMES[ringSync]} sync would corrupt it: use the generic calls`);
    }
    return want;
  }

  /* ------------------------------------------------------------------ *
   * Numbers (esize 8)
   * ------------------------------------------------------------------ */

  #checkNumbers(objs: ArrayLike<number>, n: number): void {
    if (this.#r.esize !== 8) throw new RteError('EINVAL', `this ring holds ${this.#r.esize}-byte elements: use the *Elem calls`);
    if (!((n | 0) === n && n >= 0 && n <= objs.length)) {
      throw new RteError('EINVAL', `n must be a whole number from 0 to the array's length (${objs.length}), not ${String(n)}`);
    }
  }

  // An output array may be a plain Array that grows; a typed array must have
  // room. Anything else is refused before a head moves: a write that threw
  // half way would leave the claimed slots unreleased, and every later
  // consumer waiting for them.
  #checkOut(out: number[] | Float64Array, n: number): void {
    if (this.#r.esize !== 8) throw new RteError('EINVAL', `this ring holds ${this.#r.esize}-byte elements: use the *Elem calls`);
    if (!isOutput(out)) throw new RteError('EINVAL', `the output must be a number[] or a Float64Array, not ${describe(out)}`);
    if (!((n | 0) === n && n >= 0) || (n > out.length && !Array.isArray(out))) {
      throw new RteError('EINVAL', `n must be a whole number of elements that fit the output (${out.length}), not ${String(n)}`);
    }
  }

  #enq(objs: ArrayLike<number>, n: number, fixed: boolean, sync: number, freeSpace?: Uint32Array): number {
    this.#checkNumbers(objs, n);
    const r = this.#r;
    let m: number;
    if (freeSpace !== undefined) {
      // The out value wants the free entries the head move saw: the general
      // path, whose moves record them, after a fresh look at the other tail.
      checkOutValue(freeSpace);
      r.cachedConsTail = Atomics.load(r.i32, r.ct);
      m = this.#moveProd(sync, n, fixed);
      freeSpace[0] = r.entries - m;
      if (m === 0) return 0;
      const oh = r.oldHead;
      putNumbers(r, oh, objs, m);
      this.#endProd(sync, oh, m);
    } else if (sync === SYNC_ST) m = stEnqueue(r, objs, n, fixed);
    else if (sync === SYNC_MT) m = mtEnqueue(r, objs, n, fixed);
    else {
      if (n === 0) return 0;
      m = this.#moveProd(sync, n, fixed);
      if (m === 0) return 0;
      const oh = r.oldHead;
      putNumbers(r, oh, objs, m);
      this.#endProd(sync, oh, m);
    }
    if (r.copyError !== null) this.#copyFailed();
    return m;
  }

  // The slots were published as NaN (poison) so that the ring stays whole;
  // the caller learns that its objects did not go in.
  #copyFailed(): never {
    const e = this.#r.copyError;
    this.#r.copyError = null;
    throw new RteError('EINVAL', `an object to enqueue is not a number (${e instanceof Error ? e.message : String(e)}): its slots went in as NaN`);
  }

  #deq(out: number[] | Float64Array, n: number, fixed: boolean, sync: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    const r = this.#r;
    if (available !== undefined) {
      checkOutValue(available);
      r.cachedProdTail = Atomics.load(r.i32, r.pt);
      const m = this.#moveCons(sync, n, fixed);
      available[0] = r.entries - m;
      if (m === 0) return 0;
      const oh = r.oldHead;
      getNumbers(r, oh, out, m);
      this.#endCons(sync, oh, m);
      return m;
    }
    if (sync === SYNC_ST) return stDequeue(r, out, n, fixed);
    if (sync === SYNC_MT) return mtDequeue(r, out, n, fixed);
    if (n === 0) return 0;
    const m = this.#moveCons(sync, n, fixed);
    if (m === 0) return 0;
    const oh = r.oldHead;
    getNumbers(r, oh, out, m);
    this.#endCons(sync, oh, m);
    return m;
  }

  /**
   * Enqueues one number (a non-negative safe integer: an address, index or
   * handle). Returns 0, or -ENOBUFS when the ring is full. @see rte_ring_enqueue
   */
  enqueue(obj: number): number {
    // Kept small so V8 inlines it: a number into an SP/SC or MP/MC ring of
    // numbers, else the general path.
    if (typeof obj === 'number') {
      const r = this.#r;
      const sync = r.numProdSync;
      if (sync === SYNC_ST) return stEnqueueOne(r, obj) ? 0 : -ENOBUFS;
      if (sync === SYNC_MT) return mtEnqueueOne(r, obj) ? 0 : -ENOBUFS;
    }
    return this.#enqueueSlow(obj);
  }

  #enqueueSlow(obj: number): number {
    const r = this.#r;
    if (r.esize !== 8) this.#checkNumbers([], 0);
    // Checked before a slot is claimed: a store that threw after would leave it claimed for good.
    if (typeof obj !== 'number') throw new RteError('EINVAL', `enqueue takes a number, not a ${typeof obj}`);
    // RTS or HTS (SP/SC and MP/MC rings of numbers took the fast path).
    const sync = r.prodSync;
    if (this.#moveProd(sync, 1, true) === 0) return -ENOBUFS;
    const oh = r.oldHead;
    r.f64[r.slotF64 + (oh & r.mask)] = obj;
    this.#endProd(sync, oh, 1);
    return 0;
  }

  /** Dequeues one number, or undefined when the ring is empty. @see rte_ring_dequeue */
  dequeue(): number | undefined {
    const r = this.#r;
    const sync = r.numConsSync;
    if (sync === SYNC_ST) return stDequeueOne(r);
    if (sync === SYNC_MT) return mtDequeueOne(r);
    return this.#dequeueSlow();
  }

  #dequeueSlow(): number | undefined {
    const r = this.#r;
    if (r.esize !== 8) this.#checkNumbers([], 0);
    // RTS or HTS.
    const sync = r.consSync;
    if (this.#moveCons(sync, 1, true) === 0) return undefined;
    const oh = r.oldHead;
    const obj = r.f64[r.slotF64 + (oh & r.mask)]!;
    this.#endCons(sync, oh, 1);
    return obj;
  }

  /** Enqueues all `n` numbers or none: returns n or 0. @see rte_ring_enqueue_bulk */
  enqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined) {
      // The common case checked in one go: a Float64Array cannot fail the copy.
      // In each of the four bulk/burst calls itself, not in #enq/#deq: moved
      // there it measured ~0.3-1 ns/object slower (V8 inlines less).
      if (r.numProdSync === SYNC_ST) return stEnqueue(r, objs, n, true);
      if (r.numProdSync === SYNC_MT) return mtEnqueue(r, objs, n, true);
    }
    return this.#enq(objs, n, true, r.prodSync, freeSpace);
  }

  /** Enqueues as many of `n` numbers as fit: returns 0..n. @see rte_ring_enqueue_burst */
  enqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined) {
      if (r.numProdSync === SYNC_ST) return stEnqueue(r, objs, n, false);
      if (r.numProdSync === SYNC_MT) return mtEnqueue(r, objs, n, false);
    }
    return this.#enq(objs, n, false, r.prodSync, freeSpace);
  }

  /** Dequeues `n` numbers into `out` or none: returns n or 0. @see rte_ring_dequeue_bulk */
  dequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined) {
      if (r.numConsSync === SYNC_ST) return stDequeue(r, out, n, true);
      if (r.numConsSync === SYNC_MT) return mtDequeue(r, out, n, true);
    }
    return this.#deq(out, n, true, r.consSync, available);
  }

  /** Dequeues up to `n` numbers into `out`: returns 0..n. @see rte_ring_dequeue_burst */
  dequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined) {
      if (r.numConsSync === SYNC_ST) return stDequeue(r, out, n, false);
      if (r.numConsSync === SYNC_MT) return mtDequeue(r, out, n, false);
    }
    return this.#deq(out, n, false, r.consSync, available);
  }

  /** Multi-producer bulk enqueue whatever the flags. @see rte_ring_mp_enqueue_bulk */
  mpEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, this.#forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBulk'), freeSpace);
  }

  /** Single-producer bulk enqueue whatever the flags. @see rte_ring_sp_enqueue_bulk */
  spEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, this.#forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBulk'), freeSpace);
  }

  /** Multi-consumer bulk dequeue whatever the flags. @see rte_ring_mc_dequeue_bulk */
  mcDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, this.#forced(this.#r.consSync, SYNC_MT, 'mcDequeueBulk'), available);
  }

  /** Single-consumer bulk dequeue whatever the flags. @see rte_ring_sc_dequeue_bulk */
  scDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, this.#forced(this.#r.consSync, SYNC_ST, 'scDequeueBulk'), available);
  }

  /** @see rte_ring_mp_enqueue_burst */
  mpEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, this.#forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_sp_enqueue_burst */
  spEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, this.#forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_mc_dequeue_burst */
  mcDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, this.#forced(this.#r.consSync, SYNC_MT, 'mcDequeueBurst'), available);
  }

  /** @see rte_ring_sc_dequeue_burst */
  scDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, this.#forced(this.#r.consSync, SYNC_ST, 'scDequeueBurst'), available);
  }

  /* ------------------------------------------------------------------ *
   * Elements of any esize
   * ------------------------------------------------------------------ */

  #checkWords(buf: Uint32Array, n: number): void {
    if (!(buf instanceof Uint32Array)) throw new RteError('EINVAL', 'element calls move 32-bit words: pass a Uint32Array');
    if (!((n | 0) === n && n >= 0 && n * this.#r.words <= buf.length)) {
      throw new RteError('EINVAL', `n must be a whole number of ${this.#r.esize}-byte elements that fit the array (${buf.length} words), not ${String(n)}`);
    }
  }

  #enqElem(src: Uint32Array, n: number, fixed: boolean, freeSpace?: Uint32Array): number {
    this.#checkWords(src, n);
    if (freeSpace !== undefined) {
      checkOutValue(freeSpace);
      this.#r.cachedConsTail = Atomics.load(this.#r.i32, this.#r.ct);
    } else if (n === 0) return 0;
    const sync = this.#r.prodSync;
    const m = this.#moveProd(sync, n, fixed);
    if (freeSpace !== undefined) freeSpace[0] = this.#r.entries - m;
    if (m === 0) return 0;
    const oh = this.#r.oldHead;
    putWords(this.#r, oh, src, m);
    this.#endProd(sync, oh, m);
    return m;
  }

  #deqElem(dst: Uint32Array, n: number, fixed: boolean, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    if (available !== undefined) {
      checkOutValue(available);
      this.#r.cachedProdTail = Atomics.load(this.#r.i32, this.#r.pt);
    } else if (n === 0) return 0;
    const sync = this.#r.consSync;
    const m = this.#moveCons(sync, n, fixed);
    if (available !== undefined) available[0] = this.#r.entries - m;
    if (m === 0) return 0;
    const oh = this.#r.oldHead;
    getWords(this.#r, oh, dst, m);
    this.#endCons(sync, oh, m);
    return m;
  }

  /** Enqueues n elements (esize/4 words each) from `src`, all or none. @see rte_ring_enqueue_bulk_elem */
  enqueueBulkElem(src: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    return this.#enqElem(src, n, true, freeSpace);
  }

  /** Dequeues n elements into `dst`, all or none. @see rte_ring_dequeue_bulk_elem */
  dequeueBulkElem(dst: Uint32Array, n: number, available?: Uint32Array): number {
    return this.#deqElem(dst, n, true, available);
  }

  /** @see rte_ring_enqueue_burst_elem */
  enqueueBurstElem(src: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    return this.#enqElem(src, n, false, freeSpace);
  }

  /** @see rte_ring_dequeue_burst_elem */
  dequeueBurstElem(dst: Uint32Array, n: number, available?: Uint32Array): number {
    return this.#deqElem(dst, n, false, available);
  }

  /* ------------------------------------------------------------------ *
   * Peek and zero copy (SP/SC and HTS only)
   * ------------------------------------------------------------------ */

  #checkPeek(sync: number, what: string): void {
    if (sync !== SYNC_ST && sync !== SYNC_MT_HTS) {
      throw new RteError('EINVAL', `${what} needs a single-thread or HTS ${what.startsWith('enq') ? 'producer' : 'consumer'}; this ring's is ${SYNC_NAMES[sync]}`);
    }
  }

  // Claims up to n free slots for a peek or zero-copy enqueue; everything
  // is checked before the head moves. Returns the claim (0 when none).
  #startProd(n: number, fixed: boolean, what: string, freeSpace: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.prodSync, what);
    if (r.peekProd >= 0) throw new RteError('EBUSY', 'an enqueue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (freeSpace !== undefined) {
      checkOutValue(freeSpace);
      r.cachedConsTail = Atomics.load(r.i32, r.ct);
    } else if (n === 0) return 0;
    const m = this.#moveProd(r.prodSync, n, fixed);
    if (freeSpace !== undefined) freeSpace[0] = r.entries - m;
    if (m !== 0) {
      r.peekProd = m;
      this.#peekProdHead = r.oldHead;
    }
    return m;
  }

  #startCons(n: number, fixed: boolean, what: string, available: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.consSync, what);
    if (r.peekCons >= 0) throw new RteError('EBUSY', 'a dequeue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (available !== undefined) {
      checkOutValue(available);
      r.cachedProdTail = Atomics.load(r.i32, r.pt);
    } else if (n === 0) return 0;
    const m = this.#moveCons(r.consSync, n, fixed);
    if (available !== undefined) available[0] = r.entries - m;
    if (m !== 0) {
      r.peekCons = m;
      this.#peekConsHead = r.oldHead;
    }
    return m;
  }

  /**
   * Starts an enqueue of `n` elements: claims the slots (all or none),
   * returns n or 0. Finish it with {@link Ring.enqueueFinish} (numbers) or
   * {@link Ring.enqueueElemFinish} (any esize). @see rte_ring_enqueue_bulk_start
   */
  enqueueBulkStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, true, 'enqueueBulkStart', freeSpace);
  }

  /** Starts an enqueue of as many of `n` elements as fit: returns 0..n. @see rte_ring_enqueue_burst_start */
  enqueueBurstStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, false, 'enqueueBurstStart', freeSpace);
  }

  #checkFinishProd(n: number, what: string): number {
    const r = this.#r;
    if (r.peekProd < 0) throw new RteError('EINVAL', `${what} without an enqueue start`);
    if (!((n | 0) === n && n >= 0 && n <= r.peekProd)) throw new RteError('EINVAL', `${what}(${String(n)}) after claiming ${r.peekProd}`);
    return this.#peekProdHead;
  }

  /**
   * Finishes the started enqueue with the first `n` (<= claimed) numbers of
   * `objs`; the rest of the claim is given back. @see rte_ring_enqueue_finish
   */
  enqueueFinish(objs: ArrayLike<number>, n: number): void {
    const r = this.#r;
    // A start that got nothing leaves nothing to finish: finish(0) after it is fine, as in DPDK.
    if (r.peekProd < 0 && n === 0) return;
    // finish(0) moves no element: it cancels the claim on a ring of any esize
    // (the way out after a finish that threw, which would otherwise block the side).
    if (n === 0 && r.peekProd >= 0) {
      this.enqueueZcFinish(0);
      return;
    }
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueFinish without an enqueue start');
    this.#checkNumbers(objs, n);
    const oh = this.#checkFinishProd(n, 'enqueueFinish');
    putNumbers(r, oh, objs, n);
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
    if (r.copyError !== null) this.#copyFailed();
  }

  /**
   * Finishes the started enqueue with the first `n` (<= claimed) elements
   * of `src` (esize/4 words each), on a ring of any esize.
   * @see rte_ring_enqueue_elem_finish
   */
  enqueueElemFinish(src: Uint32Array, n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueElemFinish without an enqueue start');
    this.#checkWords(src, n);
    const oh = this.#checkFinishProd(n, 'enqueueElemFinish');
    putWords(r, oh, src, n);
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
  }

  /**
   * Starts a dequeue of `n` numbers: copies them into `out` without taking
   * them off the ring (all or none), returns n or 0. Finish with
   * {@link Ring.dequeueFinish}. @see rte_ring_dequeue_bulk_start
   */
  dequeueBulkStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    const m = this.#startCons(n, true, 'dequeueBulkStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsHead, out, m);
    return m;
  }

  /** Starts a dequeue of up to `n` numbers: returns 0..n. @see rte_ring_dequeue_burst_start */
  dequeueBurstStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    const m = this.#startCons(n, false, 'dequeueBurstStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsHead, out, m);
    return m;
  }

  /** Starts a dequeue of `n` elements of any esize into `dst`, all or none. @see rte_ring_dequeue_bulk_elem_start */
  dequeueBulkElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    const m = this.#startCons(n, true, 'dequeueBulkElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsHead, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_elem_start */
  dequeueBurstElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    const m = this.#startCons(n, false, 'dequeueBurstElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsHead, dst, m);
    return m;
  }

  /** Takes `n` (<= started) of the started elements off the ring; the rest stay. @see rte_ring_dequeue_finish */
  dequeueFinish(n: number): void {
    const r = this.#r;
    if (r.peekCons < 0 && n === 0) return;
    if (r.peekCons < 0) throw new RteError('EINVAL', 'dequeueFinish without a dequeue start');
    if (!((n | 0) === n && n >= 0 && n <= r.peekCons)) throw new RteError('EINVAL', `dequeueFinish(${String(n)}) after starting ${r.peekCons}`);
    this.#finishPeek(r.consSync, r.ch, r.ct, this.#peekConsHead, n);
    r.peekCons = -1;
  }

  // Where a claim of m slots from counter `head` lies in the slots: one run,
  // or two when it wraps. @see __rte_ring_get_elem_addr
  #fillZc(zc: ZcData, head: number, m: number): void {
    const r = this.#r;
    const idx = head & r.mask;
    const n1 = idx + m <= r.size ? m : r.size - idx;
    zc.ptr1 = idx;
    zc.n1 = n1;
    zc.ptr2 = 0;
    zc.n2 = m - n1;
  }

  /**
   * Zero-copy enqueue: claims `n` slots (all or none) and says where they
   * are in {@link Ring.slots} / {@link Ring.slotsU32}: `zc.n1` slots from
   * `zc.ptr1`, then `zc.n2` from `zc.ptr2` (0) when the claim wraps. Write
   * the elements there, then {@link Ring.enqueueZcFinish}. Returns n or 0.
   * SP/SC and HTS producers only (EINVAL otherwise).
   * @see rte_ring_enqueue_zc_bulk_start
   */
  enqueueZcBulkStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, true, 'enqueueZcBulkStart', freeSpace);
    this.#fillZc(zc, this.#peekProdHead, m);
    return m;
  }

  /** Zero-copy enqueue of as many of `n` as fit: returns 0..n. @see rte_ring_enqueue_zc_burst_start */
  enqueueZcBurstStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, false, 'enqueueZcBurstStart', freeSpace);
    this.#fillZc(zc, this.#peekProdHead, m);
    return m;
  }

  /**
   * Publishes the first `n` (<= claimed) slots written after a zero-copy
   * start; the rest of the claim is given back. @see rte_ring_enqueue_zc_finish
   */
  enqueueZcFinish(n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    const oh = this.#checkFinishProd(n, 'enqueueZcFinish');
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
  }

  /**
   * Zero-copy dequeue: finds `n` elements (all or none) and says where they
   * are, without copying or taking them off the ring; read them, then
   * {@link Ring.dequeueZcFinish}. Returns n or 0. SP/SC and HTS consumers only.
   * @see rte_ring_dequeue_zc_bulk_start
   */
  dequeueZcBulkStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, true, 'dequeueZcBulkStart', available);
    this.#fillZc(zc, this.#peekConsHead, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_burst_start */
  dequeueZcBurstStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, false, 'dequeueZcBurstStart', available);
    this.#fillZc(zc, this.#peekConsHead, m);
    return m;
  }

  /** Takes the first `n` (<= started) elements off the ring. @see rte_ring_dequeue_zc_finish */
  dequeueZcFinish(n: number): void {
    this.dequeueFinish(n);
  }

  /**
   * The ring's slots as numbers (a view, made once per handle): on esize 8
   * rings, slot i is `slots[i]`, what {@link ZcData} indexes.
   */
  get slots(): Float64Array {
    const r = this.#r;
    return (this.#slots ??= new Float64Array(r.f64.buffer, r.slotF64 * 8, Math.floor((r.size * r.esize) / 8)));
  }

  /** The ring's slots as 32-bit words (any esize): slot i starts at word `i * esize / 4`. */
  get slotsU32(): Uint32Array {
    const r = this.#r;
    return (this.#slotsU32 ??= new Uint32Array(r.u32.buffer, r.slotU32 * 4, (r.size * r.esize) >> 2));
  }

  #finishPeek(sync: number, head: number, tail: number, oldHead: number, n: number): void {
    const r = this.#r;
    if (sync === SYNC_MT_HTS) {
      htsFinish(r, head, tail, oldHead, n);
      return;
    }
    // Single thread: give back what was claimed but not used, then publish.
    r.i32[head] = (oldHead + n) | 0;
    stUpdateTail(r, tail, oldHead, n);
  }

  /* ------------------------------------------------------------------ *
   * State
   * ------------------------------------------------------------------ */

  /** Elements in the ring. @see rte_ring_count */
  count(): number {
    const r = this.#r;
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
    const r = this.#r;
    return Atomics.load(r.i32, r.pt) === Atomics.load(r.i32, r.ct);
  }

  /** The RTS head/tail distance limit of the producer; EINVAL for other rings. @see rte_ring_get_prod_htd_max */
  get prodHtdMax(): number {
    if (this.#r.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    return this.#r.prodHtdMax();
  }

  /** @see rte_ring_set_prod_htd_max */
  set prodHtdMax(v: number) {
    if (this.#r.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.#r.u32[(this.#r.base + RING_HDR_PROD_HTD) >> 2] = v;
  }

  /** @see rte_ring_get_cons_htd_max */
  get consHtdMax(): number {
    if (this.#r.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    return this.#r.consHtdMax();
  }

  /** @see rte_ring_set_cons_htd_max */
  set consHtdMax(v: number) {
    if (this.#r.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.#r.u32[(this.#r.base + RING_HDR_CONS_HTD) >> 2] = v;
  }

  /**
   * Empties the ring: heads and tails back to 0. Not thread-safe: nobody
   * may use the ring meanwhile. @see rte_ring_reset
   */
  reset(): void {
    const r = this.#r;
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
  headTail(): { prodHead: number; prodTail: number; consHead: number; consTail: number; prodInFlight: number; consInFlight: number } {
    const r = this.#r;
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
    const r = this.#r;
    const ht = this.headTail();
    const lines = [
      `ring <${this.name}>@${r.base}`,
      `  flags=${this.flags.toString(16)}`,
      `  size=${r.size}`,
      `  capacity=${r.capacity}`,
      `  esize=${r.esize}`,
      `  prod sync=${SYNC_NAMES[r.prodSync]} cons sync=${SYNC_NAMES[r.consSync]}`,
      `  ct=${ht.consTail}`,
      `  ch=${ht.consHead}`,
      `  pt=${ht.prodTail}`,
      `  ph=${ht.prodHead}`,
      `  used=${this.count()}`,
      `  avail=${this.freeCount()}`,
    ];
    if (r.prodSync === SYNC_MT_RTS || r.consSync === SYNC_MT_RTS) lines.push(`  prod in flight=${ht.prodInFlight} cons in flight=${ht.consInFlight}`);
    const pending = (ht.prodHead - ht.prodTail) >>> 0;
    const cpending = (ht.consHead - ht.consTail) >>> 0;
    if (pending !== 0) lines.push(`  producer: ${pending} slots claimed but not yet published (head ahead of tail)`);
    if (cpending !== 0) lines.push(`  consumer: ${cpending} slots claimed but not yet released (head ahead of tail)`);
    return lines.join('\n');
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
    const r = this.#r;
    const i32 = r.i32;
    const ph = Atomics.load(i32, r.ph);
    const pt = Atomics.load(i32, r.pt);
    const published = (ph - pt) >>> 0;
    for (let k = 0; k < published; k++) {
      const slot = (pt + k) & r.mask;
      if (r.esize === 8) r.f64[r.slotF64 + slot] = poison;
      else r.u32.fill(0xffffffff, r.slotU32 + slot * r.words, r.slotU32 + (slot + 1) * r.words);
    }
    Atomics.store(i32, r.pt, ph);
    Atomics.store(i32, r.pInf, 0);
    const ch = Atomics.load(i32, r.ch);
    const released = (ch - Atomics.load(i32, r.ct)) >>> 0;
    Atomics.store(i32, r.ct, ch);
    Atomics.store(i32, r.cInf, 0);
    r.peekProd = -1;
    r.peekCons = -1;
    return { published, released };
  }

  /** Byte offset of this ring in its buffer (with {@link Ring.buffer}, what Ring.attach needs). */
  get byteOffset(): number {
    return this.#r.base;
  }

  /** The buffer holding this ring. */
  get buffer(): SharedArrayBuffer {
    return this.#r.i32.buffer as SharedArrayBuffer;
  }
}
