/**
 * rte_ring with its head/tail moves in WebAssembly: the API and the shared
 * layout of @rtemem/ring's Ring (a ring made by one is used by the other,
 * and by `rtemem info`), the compare-and-swaps and waits as wasm atomics
 * (single instructions) instead of JS Atomics calls. Rings live in a
 * WebAssembly memory: an EAL's memseg lists are such memories, and
 * standalone rings take a `WebAssembly.Memory` (or its buffer).
 *
 * JavaScript still copies elements between the caller's arrays and the
 * slots (WebAssembly cannot reach a JS array); single objects of SP/SC and
 * MP/MC rings of numbers go in and out in one wasm call.
 *
 * @see lib/ring/rte_ring.c, rte_ring.h, rte_ring_elem.h, rte_ring_peek_zc.h in DPDK
 */
import { type Eal, ENOBUFS, type Memzone, Memzones, RteError, SOCKET_ID_ANY, type WasmMemory, wasmMemoryOf } from '@rtemem/memzone';
import { getNumbers, getWords, putNumbers, putWords } from './copy.js';
import { WasmCore } from './core.js';
import {
  HT_HEAD,
  HT_INFLIGHT,
  HT_TAIL,
  RING_CONS,
  RING_HDR_CONS_HTD,
  RING_HDR_FLAGS,
  RING_HDR_GEN,
  RING_HDR_MAGIC,
  RING_HDR_NAME,
  RING_HDR_PROD_HTD,
  RING_HDR_STATE,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_NAME_LEN,
  RING_PROD,
  RING_STATE_FREED,
  RING_STATE_LIVE,
  SYNC_MT,
  SYNC_MT_HTS,
  SYNC_MT_RTS,
  SYNC_ST,
  RING_HDR_CAPACITY,
  RING_HDR_CONS_SYNC,
  RING_HDR_ESIZE,
  RING_HDR_MASK,
  RING_HDR_PROD_SYNC,
  RING_HDR_SIZE,
} from './layout.js';
import { ringExports } from './module.js';

// The flags, names and zero-copy descriptor are @rtemem/ring's: the two
// implementations share them as they share the layout (one definition).
import {
  isOutput,
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  RING_MZ_PREFIX,
  RING_NAMESIZE,
  RING_SZ_MASK,
  type ZcData,
} from '@rtemem/ring';

const RING_F_MASK = 0x7f;
const PROD_FLAGS = RING_F_SP_ENQ | RING_F_MP_RTS_ENQ | RING_F_MP_HTS_ENQ;
const CONS_FLAGS = RING_F_SC_DEQ | RING_F_MC_RTS_DEQ | RING_F_MC_HTS_DEQ;
const SYNC_NAMES = ['MP/MC', 'SP/SC', 'RTS', 'HTS'];

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a frozen or sealed Array';
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? 'a bigint' : String(v);
  return (v as object).constructor?.name ?? 'an object';
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

const WA_MEMORY = (globalThis as unknown as { WebAssembly: { Memory: abstract new (...a: never[]) => WasmMemory } }).WebAssembly.Memory;

function isMemory(v: unknown): v is WasmMemory {
  return v instanceof WA_MEMORY;
}

/** The buffer and the wasm offset of its byte 0, for a Memory or a buffer of an EAL's list. */
function resolveBuffer(where: SharedArrayBuffer | WasmMemory, what: string): { sab: SharedArrayBuffer; memory: WasmMemory; offset: number } {
  if (isMemory(where)) {
    const sab = where.buffer;
    if (!(sab instanceof SharedArrayBuffer)) throw new RteError('EINVAL', `${what}: the WebAssembly.Memory must be shared ({ shared: true })`);
    return { sab, memory: where, offset: 0 };
  }
  if (!(where instanceof SharedArrayBuffer)) throw new RteError('EINVAL', `${what}: a WasmRing lives in a shared WebAssembly.Memory (or the buffer of an EAL's memseg list)`);
  const wm = wasmMemoryOf(where);
  if (wm === undefined) {
    throw new RteError(
      'ENOTSUP',
      `${what}: this SharedArrayBuffer is not a WebAssembly memory's: pass the WebAssembly.Memory itself, or use @rtemem/ring's Ring (RTEMEM_WASM_MEMORY=0 turns the EAL's memories off)`,
    );
  }
  return { sab: where, memory: wm.memory, offset: wm.offset };
}

// What the JS side of a ring handle needs from a buffer: views made once per buffer per thread.
interface Views {
  i32: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
}
const viewCache = new WeakMap<SharedArrayBuffer, Views>();
function viewsOf(sab: SharedArrayBuffer): Views {
  let v = viewCache.get(sab);
  if (v === undefined) {
    v = { i32: new Int32Array(sab, 0, sab.byteLength >>> 2), u32: new Uint32Array(sab, 0, sab.byteLength >>> 2), f64: new Float64Array(sab, 0, Math.floor(sab.byteLength / 8)) };
    viewCache.set(sab, v);
  }
  return v;
}

function unfinished(what: 'enqueue' | 'dequeue'): RteError {
  return new RteError('EBUSY', `a started ${what} on this single-${what === 'enqueue' ? 'producer' : 'consumer'} ring is not finished: call ${what === 'enqueue' ? 'enqueueFinish' : 'dequeueFinish'} first`);
}

/**
 * A handle on a ring in shared memory, run by WebAssembly. Same API,
 * semantics and layout as @rtemem/ring's `Ring`.
 *
 * @example
 * ```ts
 * import { WasmRing } from '@rtemem/ring-wasm';
 * const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
 * const ring = WasmRing.init(memory, 0, 'jobs', 1024);   // no EAL needed
 * ring.enqueue(42);                                      // 0
 * ring.dequeue();                                        // 42
 * // in a worker it was posted to: WasmRing.attach(memory, 0)
 * ```
 * @see rte_ring
 */
export class WasmRing {
  readonly #r: WasmCore;
  readonly #sab: SharedArrayBuffer;
  readonly #mz: Memzone | null;
  readonly #eal: Eal | null;
  readonly #memory: WasmMemory;
  // Slot index of the claim a peek (start/finish) holds open.
  #peekProdIdx = 0;
  #peekConsIdx = 0;
  #slots: Float64Array | null = null;
  #slotsU32: Uint32Array | null = null;

  private constructor(sab: SharedArrayBuffer, memory: WasmMemory, wasmOffset: number, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    const v = viewsOf(sab);
    this.#r = new WasmCore(v.i32, v.u32, v.f64, byteOffset, wasmOffset, ringExports(memory));
    this.#sab = sab;
    this.#memory = memory;
    this.#mz = mz;
    this.#eal = eal;
  }

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
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0) {
      throw new RteError('EINVAL', `ring offset ${String(byteOffset)} must be a non-negative multiple of 64`);
    }
    const bytes = bytesFor(g.size, esize);
    if (byteOffset + bytes > where.sab.byteLength) {
      throw new RteError('EINVAL', `a ring of ${g.size} x ${esize} bytes needs ${bytes} bytes at offset ${byteOffset}; the buffer has ${where.sab.byteLength}`);
    }
    writeHeader(where.sab, byteOffset, name, flags, esize, g);
    return new WasmRing(where.sab, where.memory, where.offset, byteOffset, null, null);
  }

  /** A handle on the ring another thread initialised at `byteOffset`. Throws EINVAL when there is none. */
  static attach(memory: WasmMemory | SharedArrayBuffer, byteOffset: number): WasmRing {
    const where = resolveBuffer(memory, 'WasmRing.attach');
    const sab = where.sab;
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0 || byteOffset + RING_HEADER_BYTES > sab.byteLength) {
      throw new RteError('EINVAL', 'WasmRing.attach needs the memory and the 64-byte aligned offset the ring was initialised at');
    }
    const u32 = new Uint32Array(sab, byteOffset, RING_HEADER_BYTES >> 2);
    if (Atomics.load(u32, RING_HDR_MAGIC >> 2) !== RING_MAGIC || u32[RING_HDR_STATE >> 2] !== RING_STATE_LIVE) {
      throw new RteError('EINVAL', `no live ring at offset ${byteOffset} of that memory`);
    }
    return new WasmRing(sab, where.memory, where.offset, byteOffset, null, null);
  }

  /** Creates a ring of numbers in a memzone `RG_<name>`. @see rte_ring_create */
  static create(eal: Eal, name: string, count: number, socket: number = SOCKET_ID_ANY, flags = 0): WasmRing {
    return WasmRing.createElem(eal, name, 8, count, socket, flags);
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
    return new WasmRing(list.sab, wm.memory, wm.offset, off, mz, eal);
  }

  /** The ring created under `name` by any thread or process (by either implementation), or null. @see rte_ring_lookup */
  static lookup(eal: Eal, name: string): WasmRing | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= RING_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(RING_MZ_PREFIX + name);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined) return null;
    const off = mz.addr - list.baseAddr;
    if (Atomics.load(list.u32, (off + RING_HDR_MAGIC) >> 2) !== RING_MAGIC || list.u32[(off + RING_HDR_STATE) >> 2] !== RING_STATE_LIVE) return null;
    const wm = wasmMemoryOf(list.sab);
    if (wm === undefined) throw new RteError('ENOTSUP', `ring ${name} is in memory that is no WebAssembly memory: use @rtemem/ring's Ring`);
    return new WasmRing(list.sab, wm.memory, wm.offset, off, mz, eal);
  }

  /** Frees a ring made by create (its memzone goes back to the heap). @see rte_ring_free */
  free(): void {
    if (this.#mz === null || this.#eal === null) {
      throw new RteError('EINVAL', 'this ring was not created with WasmRing.create: free its memory yourself');
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

  get name(): string {
    const r = this.#r;
    const bytes = new Uint8Array(this.#sab, r.base + RING_HDR_NAME, RING_NAME_LEN);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? RING_NAME_LEN : end)).toString('utf8');
  }

  /** @see rte_ring_get_size */
  get size(): number {
    return this.#r.size;
  }

  /** @see rte_ring_get_capacity */
  get capacity(): number {
    return this.#r.capacity;
  }

  get esize(): number {
    return this.#r.esize;
  }

  get flags(): number {
    return this.#r.u32[(this.#r.base + RING_HDR_FLAGS) >> 2]!;
  }

  get memzone(): Memzone | null {
    return this.#mz;
  }

  /** The WebAssembly memory the ring lives in. */
  get memory(): WasmMemory {
    return this.#memory;
  }

  /* ------------------------------------------------------------------ *
   * Moves (WebAssembly) and their checks
   * ------------------------------------------------------------------ */

  // A move of the producer head in the ring's sync mode (or a forced one).
  // An HTS side waits in wasm for the operation in progress: one this very
  // handle started would never finish, so that is refused first.
  #moveProd(n: number, fixed: boolean, sync: number): number {
    const r = this.#r;
    if (sync === SYNC_MT_HTS && r.peekProd >= 0) throw new RteError('EBUSY', 'a started enqueue on this handle is not finished: call enqueueFinish first');
    const move = sync === r.prodSync ? r.moveProd : r.forcedMove(true, sync);
    const m = r.claim(move(r.woff, n, fixed ? 1 : 0));
    if (m < 0) throw unfinished('enqueue');
    return m;
  }

  #moveCons(n: number, fixed: boolean, sync: number): number {
    const r = this.#r;
    if (sync === SYNC_MT_HTS && r.peekCons >= 0) throw new RteError('EBUSY', 'a started dequeue on this handle is not finished: call dequeueFinish first');
    const move = sync === r.consSync ? r.moveCons : r.forcedMove(false, sync);
    const m = r.claim(move(r.woff, n, fixed ? 1 : 0));
    if (m < 0) throw unfinished('dequeue');
    return m;
  }

  #endProd(sync: number, idx: number, m: number): void {
    const r = this.#r;
    (sync === r.prodSync ? r.endProd : r.forcedEnd(true, sync))(r.woff, idx, m);
  }

  #endCons(sync: number, idx: number, m: number): void {
    const r = this.#r;
    (sync === r.consSync ? r.endCons : r.forcedEnd(false, sync))(r.woff, idx, m);
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

  #checkOut(out: number[] | Float64Array, n: number): void {
    if (this.#r.esize !== 8) throw new RteError('EINVAL', `this ring holds ${this.#r.esize}-byte elements: use the *Elem calls`);
    if (!isOutput(out)) throw new RteError('EINVAL', `the output must be a number[] or a Float64Array, not ${describe(out)}`);
    if (!((n | 0) === n && n >= 0) || (n > out.length && !Array.isArray(out))) {
      throw new RteError('EINVAL', `n must be a whole number of elements that fit the output (${out.length}), not ${String(n)}`);
    }
  }

  #enq(objs: ArrayLike<number>, n: number, fixed: boolean, sync: number, freeSpace?: Uint32Array): number {
    this.#checkNumbers(objs, n);
    if (freeSpace !== undefined) checkOutValue(freeSpace);
    else if (n === 0) return 0;
    const r = this.#r;
    const m = this.#moveProd(n, fixed, sync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    putNumbers(r, idx, objs, m);
    this.#endProd(sync, idx, m);
    if (r.copyError !== null) this.#copyFailed();
    return m;
  }

  #copyFailed(): never {
    const e = this.#r.copyError;
    this.#r.copyError = null;
    throw new RteError('EINVAL', `an object to enqueue is not a number (${e instanceof Error ? e.message : String(e)}): its slots went in as NaN`);
  }

  #deq(out: number[] | Float64Array, n: number, fixed: boolean, sync: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    if (available !== undefined) checkOutValue(available);
    else if (n === 0) return 0;
    const r = this.#r;
    const m = this.#moveCons(n, fixed, sync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    getNumbers(r, idx, out, m);
    this.#endCons(sync, idx, m);
    return m;
  }

  // Bulk/burst of a Float64Array on an SP/SC or MP/MC side: the checks in
  // one go, one wasm call to claim, the copy, one wasm call to publish. The
  // move returns an i32 ((count << log2(size)) | slot index): a small
  // integer wherever the call is not inlined, where a double would be a
  // heap number per call.
  #enqF64(objs: Float64Array, n: number, fixed: boolean): number {
    const r = this.#r;
    const v = r.moveProd(r.woff, n, fixed ? 1 : 0);
    if (v <= 0) return v === 0 ? 0 : this.#enqF64Odd(objs, v);
    const idx = v & r.mask;
    const m = v >>> r.shift;
    putNumbers(r, idx, objs, m);
    r.endProd(r.woff, idx, m);
    return m;
  }

  // A claim too big to pack (-1), or a peek open (-16).
  #enqF64Odd(objs: Float64Array, v: number): number {
    const r = this.#r;
    const m = r.claim(v);
    if (m < 0) throw unfinished('enqueue');
    putNumbers(r, r.idx, objs, m);
    r.endProd(r.woff, r.idx, m);
    return m;
  }

  #deqF64(out: Float64Array, n: number, fixed: boolean): number {
    const r = this.#r;
    const v = r.moveCons(r.woff, n, fixed ? 1 : 0);
    if (v <= 0) return v === 0 ? 0 : this.#deqF64Odd(out, v);
    const idx = v & r.mask;
    const m = v >>> r.shift;
    getNumbers(r, idx, out, m);
    r.endCons(r.woff, idx, m);
    return m;
  }

  #deqF64Odd(out: Float64Array, v: number): number {
    const r = this.#r;
    const m = r.claim(v);
    if (m < 0) throw unfinished('dequeue');
    getNumbers(r, r.idx, out, m);
    r.endCons(r.woff, r.idx, m);
    return m;
  }

  /**
   * Enqueues one number. Returns 0, or -ENOBUFS when the ring is full.
   * SP/SC and MP/MC rings do it in one wasm call. @see rte_ring_enqueue
   */
  enqueue(obj: number): number {
    const enq1 = this.#r.enq1;
    if (typeof obj === 'number' && enq1 !== null) {
      const rc = enq1(this.#r.woff, obj);
      if (rc !== -16) return rc;
      throw unfinished('enqueue');
    }
    return this.#enqueueSlow(obj);
  }

  #enqueueSlow(obj: number): number {
    const r = this.#r;
    if (r.esize !== 8) this.#checkNumbers([], 0);
    if (typeof obj !== 'number') throw new RteError('EINVAL', `enqueue takes a number, not a ${typeof obj}`);
    const sync = r.prodSync;
    if (this.#moveProd(1, true, sync) === 0) return -ENOBUFS;
    const idx = r.idx;
    r.f64[r.slotF64 + idx] = obj;
    this.#endProd(sync, idx, 1);
    return 0;
  }

  /** Dequeues one number, or undefined when the ring is empty. @see rte_ring_dequeue */
  dequeue(): number | undefined {
    const deq1 = this.#r.deq1;
    if (deq1 !== null) {
      const v = deq1(this.#r.woff);
      // NaN: empty, a peek open, or a NaN that was in the ring; the instance says which.
      if (v === v) return v;
      return this.#dequeueMiss(v);
    }
    return this.#dequeueSlow();
  }

  #dequeueMiss(v: number): number | undefined {
    const st = this.#r.x.status();
    if (st === 0) return v;
    if (st === -16) throw unfinished('dequeue');
    return undefined;
  }

  #dequeueSlow(): number | undefined {
    const r = this.#r;
    if (r.esize !== 8) this.#checkNumbers([], 0);
    const sync = r.consSync;
    if (this.#moveCons(1, true, sync) === 0) return undefined;
    const idx = r.idx;
    const obj = r.f64[r.slotF64 + idx]!;
    this.#endCons(sync, idx, 1);
    return obj;
  }

  /** Enqueues all `n` numbers or none: returns n or 0. @see rte_ring_enqueue_bulk */
  enqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined && r.enq1 !== null && n !== 0) return this.#enqF64(objs, n, true);
    return this.#enq(objs, n, true, r.prodSync, freeSpace);
  }

  /** Enqueues as many of `n` numbers as fit: returns 0..n. @see rte_ring_enqueue_burst */
  enqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined && r.enq1 !== null && n !== 0) return this.#enqF64(objs, n, false);
    return this.#enq(objs, n, false, r.prodSync, freeSpace);
  }

  /** Dequeues `n` numbers into `out` or none: returns n or 0. @see rte_ring_dequeue_bulk */
  dequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined && r.deq1 !== null && n !== 0) return this.#deqF64(out, n, true);
    return this.#deq(out, n, true, r.consSync, available);
  }

  /** Dequeues up to `n` numbers into `out`: returns 0..n. @see rte_ring_dequeue_burst */
  dequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined && r.deq1 !== null && n !== 0) return this.#deqF64(out, n, false);
    return this.#deq(out, n, false, r.consSync, available);
  }

  /** @see rte_ring_mp_enqueue_bulk */
  mpEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, this.#forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBulk'), freeSpace);
  }

  /** @see rte_ring_sp_enqueue_bulk */
  spEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, this.#forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBulk'), freeSpace);
  }

  /** @see rte_ring_mc_dequeue_bulk */
  mcDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, this.#forced(this.#r.consSync, SYNC_MT, 'mcDequeueBulk'), available);
  }

  /** @see rte_ring_sc_dequeue_bulk */
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
    if (freeSpace !== undefined) checkOutValue(freeSpace);
    else if (n === 0) return 0;
    const r = this.#r;
    const sync = r.prodSync;
    const m = this.#moveProd(n, fixed, sync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    putWords(r, idx, src, m);
    this.#endProd(sync, idx, m);
    return m;
  }

  #deqElem(dst: Uint32Array, n: number, fixed: boolean, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    if (available !== undefined) checkOutValue(available);
    else if (n === 0) return 0;
    const r = this.#r;
    const sync = r.consSync;
    const m = this.#moveCons(n, fixed, sync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    getWords(r, idx, dst, m);
    this.#endCons(sync, idx, m);
    return m;
  }

  /** @see rte_ring_enqueue_bulk_elem */
  enqueueBulkElem(src: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    return this.#enqElem(src, n, true, freeSpace);
  }

  /** @see rte_ring_dequeue_bulk_elem */
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

  #startProd(n: number, fixed: boolean, what: string, freeSpace: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.prodSync, what);
    if (r.peekProd >= 0) throw new RteError('EBUSY', 'an enqueue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (freeSpace !== undefined) checkOutValue(freeSpace);
    else if (n === 0) return 0;
    const m = this.#moveProd(n, fixed, r.prodSync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m !== 0) {
      r.peekProd = m;
      this.#peekProdIdx = r.idx;
    }
    return m;
  }

  #startCons(n: number, fixed: boolean, what: string, available: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.consSync, what);
    if (r.peekCons >= 0) throw new RteError('EBUSY', 'a dequeue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (available !== undefined) checkOutValue(available);
    else if (n === 0) return 0;
    const m = this.#moveCons(n, fixed, r.consSync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m !== 0) {
      r.peekCons = m;
      this.#peekConsIdx = r.idx;
    }
    return m;
  }

  /** @see rte_ring_enqueue_bulk_start */
  enqueueBulkStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, true, 'enqueueBulkStart', freeSpace);
  }

  /** @see rte_ring_enqueue_burst_start */
  enqueueBurstStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, false, 'enqueueBurstStart', freeSpace);
  }

  #checkFinishProd(n: number, what: string): number {
    const r = this.#r;
    if (r.peekProd < 0) throw new RteError('EINVAL', `${what} without an enqueue start`);
    if (!((n | 0) === n && n >= 0 && n <= r.peekProd)) throw new RteError('EINVAL', `${what}(${String(n)}) after claiming ${r.peekProd}`);
    return this.#peekProdIdx;
  }

  /** @see rte_ring_enqueue_finish */
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
    const idx = this.#checkFinishProd(n, 'enqueueFinish');
    putNumbers(r, idx, objs, n);
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
    if (r.copyError !== null) this.#copyFailed();
  }

  /** @see rte_ring_enqueue_elem_finish */
  enqueueElemFinish(src: Uint32Array, n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueElemFinish without an enqueue start');
    this.#checkWords(src, n);
    const idx = this.#checkFinishProd(n, 'enqueueElemFinish');
    putWords(r, idx, src, n);
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
  }

  /** @see rte_ring_dequeue_bulk_start */
  dequeueBulkStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    const m = this.#startCons(n, true, 'dequeueBulkStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsIdx, out, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_start */
  dequeueBurstStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    this.#checkOut(out, n);
    const m = this.#startCons(n, false, 'dequeueBurstStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsIdx, out, m);
    return m;
  }

  /** @see rte_ring_dequeue_bulk_elem_start */
  dequeueBulkElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    const m = this.#startCons(n, true, 'dequeueBulkElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsIdx, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_elem_start */
  dequeueBurstElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    this.#checkWords(dst, n);
    const m = this.#startCons(n, false, 'dequeueBurstElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsIdx, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_finish */
  dequeueFinish(n: number): void {
    const r = this.#r;
    if (r.peekCons < 0 && n === 0) return;
    if (r.peekCons < 0) throw new RteError('EINVAL', 'dequeueFinish without a dequeue start');
    if (!((n | 0) === n && n >= 0 && n <= r.peekCons)) throw new RteError('EINVAL', `dequeueFinish(${String(n)}) after starting ${r.peekCons}`);
    r.x.finish_cons(r.woff, n);
    r.peekCons = -1;
  }

  #fillZc(zc: ZcData, idx: number, m: number): void {
    const r = this.#r;
    const n1 = idx + m <= r.size ? m : r.size - idx;
    zc.ptr1 = idx;
    zc.n1 = n1;
    zc.ptr2 = 0;
    zc.n2 = m - n1;
  }

  /** @see rte_ring_enqueue_zc_bulk_start */
  enqueueZcBulkStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, true, 'enqueueZcBulkStart', freeSpace);
    this.#fillZc(zc, this.#peekProdIdx, m);
    return m;
  }

  /** @see rte_ring_enqueue_zc_burst_start */
  enqueueZcBurstStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, false, 'enqueueZcBurstStart', freeSpace);
    this.#fillZc(zc, this.#peekProdIdx, m);
    return m;
  }

  /** @see rte_ring_enqueue_zc_finish */
  enqueueZcFinish(n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    this.#checkFinishProd(n, 'enqueueZcFinish');
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
  }

  /** @see rte_ring_dequeue_zc_bulk_start */
  dequeueZcBulkStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, true, 'dequeueZcBulkStart', available);
    this.#fillZc(zc, this.#peekConsIdx, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_burst_start */
  dequeueZcBurstStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, false, 'dequeueZcBurstStart', available);
    this.#fillZc(zc, this.#peekConsIdx, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_finish */
  dequeueZcFinish(n: number): void {
    this.dequeueFinish(n);
  }

  /** The ring's slots as numbers (esize 8: slot i is `slots[i]`). */
  get slots(): Float64Array {
    const r = this.#r;
    return (this.#slots ??= new Float64Array(this.#sab, r.slotF64 * 8, Math.floor((r.size * r.esize) / 8)));
  }

  /** The ring's slots as 32-bit words: slot i starts at word `i * esize / 4`. */
  get slotsU32(): Uint32Array {
    const r = this.#r;
    return (this.#slotsU32 ??= new Uint32Array(this.#sab, r.slotU32 * 4, (r.size * r.esize) >> 2));
  }

  /* ------------------------------------------------------------------ *
   * State (control path: JS Atomics on the shared header)
   * ------------------------------------------------------------------ */

  #word(side: number, field: number): number {
    return (this.#r.base + side + field) >> 2;
  }

  /** @see rte_ring_count */
  count(): number {
    const r = this.#r;
    const c = (Atomics.load(r.i32, this.#word(RING_PROD, HT_TAIL)) - Atomics.load(r.i32, this.#word(RING_CONS, HT_TAIL))) & r.mask;
    return c > r.capacity ? r.capacity : c;
  }

  /** @see rte_ring_free_count */
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
    return Atomics.load(r.i32, this.#word(RING_PROD, HT_TAIL)) === Atomics.load(r.i32, this.#word(RING_CONS, HT_TAIL));
  }

  /** @see rte_ring_get_prod_htd_max */
  get prodHtdMax(): number {
    if (this.#r.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    return this.#r.u32[(this.#r.base + RING_HDR_PROD_HTD) >> 2]!;
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
    return this.#r.u32[(this.#r.base + RING_HDR_CONS_HTD) >> 2]!;
  }

  /** @see rte_ring_set_cons_htd_max */
  set consHtdMax(v: number) {
    if (this.#r.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.#r.u32[(this.#r.base + RING_HDR_CONS_HTD) >> 2] = v;
  }

  /** Empties the ring (not thread-safe). Bumps the ring's generation, so JS Ring handles drop their cached tails. @see rte_ring_reset */
  reset(): void {
    const r = this.#r;
    for (const side of [RING_PROD, RING_CONS]) for (const f of [HT_HEAD, HT_TAIL, HT_INFLIGHT]) Atomics.store(r.i32, this.#word(side, f), 0);
    Atomics.add(r.i32, (r.base + RING_HDR_GEN) >> 2, 1);
    r.peekProd = -1;
    r.peekCons = -1;
  }

  /** Head, tail and in-flight count of both sides, as unsigned 32-bit counters. */
  headTail(): { prodHead: number; prodTail: number; consHead: number; consTail: number; prodInFlight: number; consInFlight: number } {
    const r = this.#r;
    const u = (side: number, f: number) => Atomics.load(r.i32, this.#word(side, f)) >>> 0;
    return {
      prodHead: u(RING_PROD, HT_HEAD),
      prodTail: u(RING_PROD, HT_TAIL),
      consHead: u(RING_CONS, HT_HEAD),
      consTail: u(RING_CONS, HT_TAIL),
      prodInFlight: u(RING_PROD, HT_INFLIGHT),
      consInFlight: u(RING_CONS, HT_INFLIGHT),
    };
  }

  /** The ring's state in DPDK's dump format (the same text as Ring.dump). @see rte_ring_dump */
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

  /** Recovery after a thread died between claiming and finishing; as Ring.recover. Not thread-safe. */
  recover(poison = Number.NaN): { published: number; released: number } {
    const r = this.#r;
    const i32 = r.i32;
    const ph = Atomics.load(i32, this.#word(RING_PROD, HT_HEAD));
    const pt = Atomics.load(i32, this.#word(RING_PROD, HT_TAIL));
    const published = (ph - pt) >>> 0;
    for (let k = 0; k < published; k++) {
      const slot = (pt + k) & r.mask;
      if (r.esize === 8) r.f64[r.slotF64 + slot] = poison;
      else r.u32.fill(0xffffffff, r.slotU32 + slot * r.words, r.slotU32 + (slot + 1) * r.words);
    }
    Atomics.store(i32, this.#word(RING_PROD, HT_TAIL), ph);
    Atomics.store(i32, this.#word(RING_PROD, HT_INFLIGHT), 0);
    const ch = Atomics.load(i32, this.#word(RING_CONS, HT_HEAD));
    const released = (ch - Atomics.load(i32, this.#word(RING_CONS, HT_TAIL))) >>> 0;
    Atomics.store(i32, this.#word(RING_CONS, HT_TAIL), ch);
    Atomics.store(i32, this.#word(RING_CONS, HT_INFLIGHT), 0);
    r.peekProd = -1;
    r.peekCons = -1;
    return { published, released };
  }

  /** Byte offset of this ring in its buffer. */
  get byteOffset(): number {
    return this.#r.base;
  }

  /** The buffer holding this ring (the list's, for a ring of an EAL). */
  get buffer(): SharedArrayBuffer {
    return this.#sab;
  }
}

function writeHeader(buffer: SharedArrayBuffer, off: number, name: string, flags: number, esize: number, g: Geometry): void {
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
  u32[RING_HDR_PROD_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_CONS_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_STATE >> 2] = RING_STATE_LIVE;
  Atomics.store(new Int32Array(buffer, off, RING_HEADER_BYTES >> 2), RING_HDR_MAGIC >> 2, RING_MAGIC);
}
