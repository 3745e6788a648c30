/**
 * rte_mempool in shared memory: a fixed set of equal-sized objects with
 * per-lcore caches in front of a swappable driver, shared by every thread
 * and process of an EAL.
 *
 * Caches follow current DPDK (without the old 1.5x oversizing): a put that
 * would overflow the cache first flushes its oldest half to the driver; a
 * get the cache cannot serve refills it by half a cache; requests bigger
 * than half a cache go straight to the driver.
 *
 * @see lib/mempool/rte_mempool.c, rte_mempool.h in DPDK
 */
import {
  BAD_IOVA,
  type Eal,
  ENOENT,
  Heap,
  isOutput,
  Memory,
  type Memzone,
  Memzones,
  type MemsegListMap,
  RteError,
  SOCKET_ID_ANY,
} from '@rtemem/ring';
import {
  CACHE_LEN,
  CACHE_OBJS,
  CHUNK_ADDR,
  CHUNK_BYTES,
  CHUNK_COUNT,
  CHUNK_FIRST,
  COOKIE_FREE_HI,
  COOKIE_FREE_LO,
  COOKIE_TRAILER_HI,
  COOKIE_TRAILER_LO,
  COOKIE_USED_HI,
  COOKIE_USED_LO,
  LCORES,
  MAX_CHUNKS,
  MEMPOOL_MAGIC,
  MEMPOOL_MZ_PREFIX,
  MP_CACHE_SIZE,
  MP_CACHE_STRIDE,
  MP_CACHES,
  MP_CHUNK_TABLE,
  MP_CHUNKS,
  MP_DEBUG,
  MP_ELT_SIZE,
  MP_FLAGS,
  MP_HEADER_BYTES,
  MP_HEADER_SIZE,
  MP_MAGIC,
  MP_NAME,
  MP_NAME_LEN,
  MP_OPS_NAME,
  MP_OPS_NAME_LEN,
  MP_POOL_DATA,
  MP_POPULATED,
  MP_PRIV_OFF,
  MP_PRIV_SIZE,
  MP_SIZE,
  MP_SOCKET,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_EMPTY,
  MP_STATE_FREED,
  MP_STATE_POPULATED,
  MP_TOTAL_ELT,
  MP_TRAILER_SIZE,
  OBJ_COOKIE_HI,
  OBJ_COOKIE_LO,
  OBJ_HEADER_DEBUG,
  OBJ_HEADER_PLAIN,
  OBJ_IOVA_HI,
  OBJ_IOVA_LO,
  OBJ_POOL,
  OBJ_TRAILER_DEBUG,
} from './layout.js';
import { defaultRingOps, findOps, type MempoolOps } from './ops.js';

/** Do not spread objects over memory channels (accepted; rtemem never pads for spreading). @see RTE_MEMPOOL_F_NO_SPREAD */
export const MEMPOOL_F_NO_SPREAD = 0x1;
/** Objects 8-byte aligned instead of cache-line aligned. @see RTE_MEMPOOL_F_NO_CACHE_ALIGN */
export const MEMPOOL_F_NO_CACHE_ALIGN = 0x2;
/** Single-producer put: the ring_sp_* drivers. @see RTE_MEMPOOL_F_SP_PUT */
export const MEMPOOL_F_SP_PUT = 0x4;
/** Single-consumer get: the ring_*_sc drivers. @see RTE_MEMPOOL_F_SC_GET */
export const MEMPOOL_F_SC_GET = 0x8;
/** Objects need not be IOVA-contiguous. @see RTE_MEMPOOL_F_NO_IOVA_CONTIG */
export const MEMPOOL_F_NO_IOVA_CONTIG = 0x20;
/** Largest per-lcore cache. @see RTE_MEMPOOL_CACHE_MAX_SIZE */
export const MEMPOOL_CACHE_MAX_SIZE = 512;
/** Longest pool name in bytes plus one (the driver's ring is named MP_<name>). @see RTE_MEMPOOL_NAMESIZE */
export const MEMPOOL_NAMESIZE = 26;

const VALID_FLAGS = MEMPOOL_F_NO_SPREAD | MEMPOOL_F_NO_CACHE_ALIGN | MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET | MEMPOOL_F_NO_IOVA_CONTIG;
const IOVA_UNKNOWN = 0xffffffff;

/** Options of {@link Mempool.create}. */
export interface MempoolCreateOptions {
  socket?: number;
  flags?: number;
  /** Driver name; default from the flags (ring_mp_mc unless SP_PUT / SC_GET). */
  ops?: string;
  /** Called once per object after the pool is populated. @see rte_mempool_obj_cb_t */
  objInit?: (mp: Mempool, obj: number, idx: number) => void;
  /** Called once before the pool is populated. @see rte_mempool_ctor_t */
  poolInit?: (mp: Mempool) => void;
  /** Cookies in object headers and trailers, checked on every get and put (default: RTEMEM_MEMPOOL_DEBUG=1). */
  debug?: boolean;
}

function defaultOps(flags: number): string {
  const sp = (flags & MEMPOOL_F_SP_PUT) !== 0;
  const sc = (flags & MEMPOOL_F_SC_GET) !== 0;
  return defaultRingOps(sp, sc); // ring-wasm: the JS or the wasm ring, see ops.ts
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RteError('EINVAL', `${what} must be a whole number from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

const handles = new WeakMap<Eal, Map<number, Mempool>>();

// Cache copies, unrolled by 8 (V8 runs them about twice as fast that way).
// The cache is a LIFO: gets take from the top down.
function popTop(f: Float64Array, top: number, out: number[] | Float64Array, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const s = top - i;
    out[i] = f[s]!;
    out[i + 1] = f[s - 1]!;
    out[i + 2] = f[s - 2]!;
    out[i + 3] = f[s - 3]!;
    out[i + 4] = f[s - 4]!;
    out[i + 5] = f[s - 5]!;
    out[i + 6] = f[s - 6]!;
    out[i + 7] = f[s - 7]!;
  }
  for (; i < n; i++) out[i] = f[top - i]!;
}

/**
 * Copies objs[0..n) to f from `at`; returns the smallest (NaN when one is
 * NaN), for the caller to check that every object is an address (> 0)
 * before it moves the cache's length. Math.min costs less here than a
 * branch per object.
 */
function pushAt(f: Float64Array, at: number, objs: ArrayLike<number>, n: number): number {
  let lo = Infinity;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const d = at + i;
    const a = objs[i]!;
    const b = objs[i + 1]!;
    const c = objs[i + 2]!;
    const e = objs[i + 3]!;
    const g = objs[i + 4]!;
    const h = objs[i + 5]!;
    const j = objs[i + 6]!;
    const k = objs[i + 7]!;
    f[d] = a;
    f[d + 1] = b;
    f[d + 2] = c;
    f[d + 3] = e;
    f[d + 4] = g;
    f[d + 5] = h;
    f[d + 6] = j;
    f[d + 7] = k;
    lo = Math.min(lo, Math.min(Math.min(a, b), Math.min(c, e)), Math.min(Math.min(g, h), Math.min(j, k)));
  }
  for (; i < n; i++) {
    const v = objs[i]!;
    f[at + i] = v;
    lo = Math.min(lo, v);
  }
  return lo;
}

/** Index of the first object that is no address (a positive number), or -1. */
function firstBad(objs: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++) {
    const v = objs[i];
    if (!(typeof v === 'number' && v > 0)) return i;
  }
  return -1;
}

/**
 * A handle on a mempool in shared memory (one per pool per EAL handle).
 *
 * @example
 * ```ts
 * import { Eal, Mempool } from '@rtemem/mempool';
 * const eal = Eal.init({ backend: 'sab', memory: 16 << 20 });
 * const mp = Mempool.create(eal, 'bufs', 4096, 2048, 256);
 * const obj = mp.get();          // an rtemem address, or 0 when empty
 * mp.put(obj);
 * mp.availCount() === 4096;
 * eal.cleanup();
 * ```
 * @see rte_mempool
 */
export class Mempool {
  /** The EAL handle this pool handle belongs to. */
  readonly eal: Eal;
  /** The memzone MP_<name> holding the header, caches and private area. */
  readonly memzone: Memzone;
  /** Per-handle state of the driver (e.g. its Ring handle); drivers may use it. */
  opsState: unknown = undefined;

  readonly #list: MemsegListMap;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  /** Byte offset of the header in the zone's list. */
  readonly #base: number;
  readonly #lcore: Uint32Array;
  #ops: MempoolOps;
  readonly #cacheSize: number;
  readonly #half: number;
  /** Byte offset (in the list) of lcore 0's cache, and bytes per cache. */
  readonly #cache0: number;
  readonly #stride: number;
  readonly #debug: boolean;
  /* get/put fast path: the lcore whose cache it serves (-1: none yet, or no
   * cache), the u32 index of that cache's length, the f64 index of its objects. */
  #fastLc = -1;
  #fastLen = 0;
  #fastObjs = 0;
  /** Scratch for single-object driver calls and cache refills: no garbage. */
  readonly #one = new Float64Array(1);
  #scratch: Float64Array;
  /** A view of one lcore's cache objects, for flushing without a copy. */
  #flushView: Float64Array | null = null;
  #flushLcore = -1;

  private constructor(eal: Eal, mz: Memzone) {
    this.eal = eal;
    this.memzone = mz;
    const list = eal.listOf(mz.addr)!;
    this.#list = list;
    this.#u32 = list.u32;
    this.#f64 = list.f64;
    this.#base = mz.addr - list.baseAddr;
    this.#lcore = eal.lcoreCell;
    this.#cacheSize = this.#hdr(MP_CACHE_SIZE);
    this.#half = Math.max(1, this.#cacheSize >> 1);
    this.#stride = this.#hdr(MP_CACHE_STRIDE);
    this.#cache0 = this.#base + MP_CACHES;
    this.#debug = this.#hdr(MP_DEBUG) !== 0;
    this.#scratch = new Float64Array(Math.max(1, this.#cacheSize));
    this.#ops = Mempool.#resolveOps(this.opsName, this.name);
  }

  static #resolveOps(name: string, pool: string): MempoolOps {
    const ops = findOps(name);
    if (ops === undefined) {
      throw new RteError('ENOENT', `mempool ${pool} uses driver ${JSON.stringify(name)}, which is not registered in this thread: call registerOps() here too`);
    }
    return ops;
  }

  static #handle(eal: Eal, mz: Memzone): Mempool {
    let byAddr = handles.get(eal);
    if (byAddr === undefined) {
      byAddr = new Map();
      handles.set(eal, byAddr);
    }
    let mp = byAddr.get(mz.addr);
    // A handle is for one memzone: a new pool at a freed pool's address is another pool.
    if (mp === undefined || mp.memzone !== mz || mp.#hdr(MP_STATE) === MP_STATE_FREED) {
      mp = new Mempool(eal, mz);
      byAddr.set(mz.addr, mp);
    }
    return mp;
  }

  #hdr(field: number): number {
    return this.#u32[(this.#base + field) >> 2]!;
  }

  #setHdr(field: number, v: number): void {
    this.#u32[(this.#base + field) >> 2] = v;
  }

  /* ------------------------------------------------------------------ *
   * Creating, finding, freeing
   * ------------------------------------------------------------------ */

  /**
   * Creates an empty pool: header, caches and private area in memzone
   * MP_<name>, no objects yet; set a driver with setOpsByName (default from
   * the flags) and add objects with populateDefault. Throws EINVAL (bad n,
   * eltSize, cacheSize > 512 or > n, unknown flag), ENAMETOOLONG, EEXIST,
   * ENOMEM. @see rte_mempool_create_empty
   */
  static createEmpty(
    eal: Eal,
    name: string,
    n: number,
    eltSize: number,
    cacheSize: number,
    privateDataSize: number,
    socket: number = SOCKET_ID_ANY,
    flags = 0,
    debug = process.env.RTEMEM_MEMPOOL_DEBUG === '1',
  ): Mempool {
    if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) throw new RteError('EINVAL', 'a mempool name must be a non-empty string');
    if (Buffer.byteLength(name) >= MEMPOOL_NAMESIZE) {
      throw new RteError('ENAMETOOLONG', `mempool name ${JSON.stringify(name)} is longer than ${MEMPOOL_NAMESIZE - 1} bytes`);
    }
    int(n, 'n', 1, 0x7fffffff);
    int(eltSize, 'eltSize', 1, 0x3fffffff);
    int(cacheSize, 'cacheSize', 0, MEMPOOL_CACHE_MAX_SIZE);
    if (cacheSize > n) throw new RteError('EINVAL', `cacheSize ${cacheSize} is larger than the pool (${n} objects)`);
    int(privateDataSize, 'privateDataSize', 0, 0x3fffffff);
    int(flags, 'flags', 0, 0xffffffff);
    if ((flags & ~VALID_FLAGS) !== 0) throw new RteError('EINVAL', `unsupported mempool flags 0x${(flags & ~VALID_FLAGS).toString(16)}: use MEMPOOL_F_*`);
    const stride = cacheSize === 0 ? 64 : align(CACHE_OBJS + cacheSize * 8, 64);
    const privOff = MP_CACHES + LCORES * stride;
    const bytes = align(privOff + privateDataSize, 64);
    const mz = Memzones.of(eal).reserve(MEMPOOL_MZ_PREFIX + name, bytes, socket, 0, 64);
    const list = eal.listOf(mz.addr)!;
    const base = mz.addr - list.baseAddr;
    list.u8.fill(0, base, base + bytes);
    const u32 = list.u32;
    const set = (f: number, v: number) => (u32[(base + f) >> 2] = v);
    const cacheAlign = (flags & MEMPOOL_F_NO_CACHE_ALIGN) === 0 ? 64 : 8;
    const headerSize = align(debug ? OBJ_HEADER_DEBUG : OBJ_HEADER_PLAIN, cacheAlign);
    const trailerSize = debug ? OBJ_TRAILER_DEBUG : 0;
    set(MP_SIZE, n);
    set(MP_CACHE_SIZE, cacheSize);
    set(MP_ELT_SIZE, eltSize);
    set(MP_HEADER_SIZE, headerSize);
    set(MP_TRAILER_SIZE, trailerSize);
    set(MP_PRIV_SIZE, privateDataSize);
    set(MP_FLAGS, flags);
    list.i32[(base + MP_SOCKET) >> 2] = socket;
    set(MP_TOTAL_ELT, align(headerSize + eltSize + trailerSize, cacheAlign));
    set(MP_DEBUG, debug ? 1 : 0);
    set(MP_CACHE_STRIDE, stride);
    set(MP_PRIV_OFF, privOff);
    list.writeString(base + MP_NAME, MP_NAME_LEN, name);
    list.writeString(base + MP_OPS_NAME, MP_OPS_NAME_LEN, defaultOps(flags));
    set(MP_STATE, MP_STATE_EMPTY);
    Atomics.store(u32, (base + MP_MAGIC) >> 2, MEMPOOL_MAGIC);
    return Mempool.#handle(eal, mz);
  }

  /**
   * Creates and populates a pool of `n` objects of `eltSize` bytes with
   * per-lcore caches of `cacheSize` (0: none). objInit runs for every object,
   * poolInit once before. On failure nothing stays reserved.
   * @see rte_mempool_create
   */
  static create(eal: Eal, name: string, n: number, eltSize: number, cacheSize = 0, privateDataSize = 0, opts: MempoolCreateOptions = {}): Mempool {
    const mp = Mempool.createEmpty(eal, name, n, eltSize, cacheSize, privateDataSize, opts.socket ?? SOCKET_ID_ANY, opts.flags ?? 0, opts.debug ?? process.env.RTEMEM_MEMPOOL_DEBUG === '1');
    try {
      if (opts.ops !== undefined) mp.setOpsByName(opts.ops);
      opts.poolInit?.(mp);
      mp.populateDefault();
      if (opts.objInit) {
        const init = opts.objInit;
        mp.objIter((obj, idx) => init(mp, obj, idx));
      }
      return mp;
    } catch (e) {
      mp.free();
      throw e;
    }
  }

  /** The pool created under `name` by any thread or process, or null. @see rte_mempool_lookup */
  static lookup(eal: Eal, name: string): Mempool | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= MEMPOOL_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(MEMPOOL_MZ_PREFIX + name);
    if (mz === null || !Mempool.#isPool(eal, mz)) return null;
    return Mempool.#handle(eal, mz);
  }

  static #isPool(eal: Eal, mz: Memzone): boolean {
    const list = eal.listOf(mz.addr);
    if (list === undefined) return false;
    const base = mz.addr - list.baseAddr;
    if (mz.len < MP_HEADER_BYTES || Atomics.load(list.u32, (base + MP_MAGIC) >> 2) !== MEMPOOL_MAGIC) return false;
    const state = list.u32[(base + MP_STATE) >> 2]!;
    return state !== MP_STATE_FREED;
  }

  /**
   * The pool whose header is at `addr` (the memzone address, as an mbuf's
   * pool field holds it), or null when no live pool is there.
   */
  static atAddress(eal: Eal, addr: number): Mempool | null {
    const byAddr = handles.get(eal);
    const known = byAddr?.get(addr);
    if (known !== undefined && known.#hdr(MP_STATE) !== MP_STATE_FREED && Atomics.load(known.#u32, (known.#base + MP_MAGIC) >> 2) === MEMPOOL_MAGIC) return known;
    const list = eal.listOf(addr);
    if (list === undefined || !Memory.of(eal).isBacked(addr, MP_HEADER_BYTES)) return null;
    const base = addr - list.baseAddr;
    if (Atomics.load(list.u32, (base + MP_MAGIC) >> 2) !== MEMPOOL_MAGIC) return null;
    return Mempool.lookup(eal, list.readString(base + MP_NAME, MP_NAME_LEN));
  }

  /** Calls `fn` for every pool of the EAL. @see rte_mempool_walk */
  static walk(eal: Eal, fn: (mp: Mempool) => void): void {
    const zones: Memzone[] = [];
    Memzones.of(eal).walk((mz) => {
      if (mz.name.startsWith(MEMPOOL_MZ_PREFIX)) zones.push(mz);
    });
    for (const mz of zones) if (Mempool.#isPool(eal, mz)) fn(Mempool.#handle(eal, mz));
  }

  /** Frees the pool: its driver, its chunks and its header zone. @see rte_mempool_free */
  free(): void {
    const state = this.#hdr(MP_STATE);
    if (state === MP_STATE_FREED) return;
    if (state >= MP_STATE_ALLOCATED) this.#ops.free(this);
    const zones = Memzones.of(this.eal);
    for (let i = 0; i < this.#hdr(MP_CHUNKS); i++) {
      const mz = zones.lookup(`${MEMPOOL_MZ_PREFIX}${this.name}_${i}`);
      if (mz !== null) zones.free(mz);
    }
    this.#setHdr(MP_STATE, MP_STATE_FREED);
    Atomics.store(this.#u32, (this.#base + MP_MAGIC) >> 2, 0);
    zones.free(this.memzone);
  }

  /* ------------------------------------------------------------------ *
   * Driver and population
   * ------------------------------------------------------------------ */

  /**
   * Chooses the driver by name, before the pool is populated. Throws ENOENT
   * for a driver not registered in this thread, EEXIST once the driver has
   * been set up. @see rte_mempool_set_ops_byname
   */
  setOpsByName(name: string): void {
    if (this.#hdr(MP_STATE) !== MP_STATE_EMPTY) throw new RteError('EEXIST', `mempool ${this.name} already set up its driver`);
    if (typeof name !== 'string' || Buffer.byteLength(name) >= MP_OPS_NAME_LEN) throw new RteError('EINVAL', 'a driver name is a string of 1 to 31 bytes');
    const ops = Mempool.#resolveOps(name, this.name);
    this.#list.writeString(this.#base + MP_OPS_NAME, MP_OPS_NAME_LEN, name);
    this.#ops = ops;
  }

  /** The driver's shared state address (rte_mempool pool_data), set by the driver's alloc. */
  get poolData(): number {
    return this.#f64[(this.#base + MP_POOL_DATA) >> 3]!;
  }

  set poolData(addr: number) {
    this.#f64[(this.#base + MP_POOL_DATA) >> 3] = addr;
  }

  /**
   * Sets up the driver and adds all objects, in as few chunk memzones as
   * memory allows (MP_<name>_<i>). Returns the number of objects added.
   * Throws EEXIST when already populated, ENOMEM when memory runs out (the
   * chunks reserved so far are given back). @see rte_mempool_populate_default
   */
  populateDefault(): number {
    if (this.#hdr(MP_STATE) === MP_STATE_POPULATED) throw new RteError('EEXIST', `mempool ${this.name} is populated already`);
    if (this.#hdr(MP_STATE) === MP_STATE_EMPTY) {
      this.#ops.alloc(this);
      this.#setHdr(MP_STATE, MP_STATE_ALLOCATED);
    }
    const n = this.size;
    const total = this.#hdr(MP_TOTAL_ELT);
    const zones = Memzones.of(this.eal);
    let done = this.#hdr(MP_POPULATED);
    let chunk = this.#hdr(MP_CHUNKS);
    // One chunk for everything if memory allows; else halve the chunk until it fits.
    let per = n - done;
    const maxPer = Math.floor(0x3fffff00 / total);
    if (per > maxPer) per = maxPer;
    while (done < n) {
      if (chunk >= MAX_CHUNKS) this.#populateFailed(`more than ${MAX_CHUNKS} chunks needed`);
      const want = Math.min(per, n - done);
      let mz: Memzone;
      try {
        mz = zones.reserve(`${MEMPOOL_MZ_PREFIX}${this.name}_${chunk}`, want * total, this.socketId, 0, 64);
      } catch (e) {
        if ((e as RteError).code !== 'ENOMEM' || per === 1) this.#populateFailed((e as Error).message);
        per = Math.max(1, per >> 1);
        continue;
      }
      const placed = this.#fillChunk(mz, chunk, done, want);
      done += placed;
      chunk++;
      this.#setHdr(MP_CHUNKS, chunk);
      this.#setHdr(MP_POPULATED, done);
    }
    this.#setHdr(MP_STATE, MP_STATE_POPULATED);
    return done;
  }

  // Where element k of a chunk at `addr` (`len` bytes) goes: elements follow
  // each other, but one that would cross a page boundary moves to the next
  // page when IOVAs are known and those pages are not contiguous (unless the
  // pool allows that, NO_IOVA_CONTIG). Calls place(elementAddress) per
  // element up to `count`; returns how many fit.
  #layout(addr: number, len: number, count: number, place: (at: number) => void): number {
    const mem = Memory.of(this.eal);
    const pageSize = this.eal.listOf(addr)!.pageSize;
    const total = this.#hdr(MP_TOTAL_ELT);
    const contig = (this.flags & MEMPOOL_F_NO_IOVA_CONTIG) === 0;
    let placed = 0;
    let at = addr;
    const end = addr + len;
    while (placed < count && at + total <= end) {
      if (contig && Math.floor(at / pageSize) !== Math.floor((at + total - 1) / pageSize) && !mem.isIovaContig(at, total)) {
        at = Math.ceil((at + 1) / pageSize) * pageSize;
        continue;
      }
      place(at);
      placed++;
      at += total;
    }
    return placed;
  }

  // Lays out up to `count` elements in chunk memzone `mz`, writes their
  // headers and hands them to the driver. Returns the objects placed.
  #fillChunk(mz: Memzone, chunk: number, first: number, count: number): number {
    const mem = Memory.of(this.eal);
    const list = this.eal.listOf(mz.addr)!;
    const hs = this.headerSize;
    const elt = this.eltSize;
    const pool = this.memzone.addr;
    const objs = new Float64Array(Math.min(count, 4096));
    let batch = 0;
    const placed = this.#layout(mz.addr, mz.len, count, (at) => {
      const obj = at + hs;
      const off = at - list.baseAddr;
      list.f64[(off + OBJ_POOL) >> 3] = pool;
      const iova = mem.virt2iova(obj);
      list.u32[(off + OBJ_IOVA_LO) >> 2] = iova === BAD_IOVA ? IOVA_UNKNOWN : Number(iova & 0xffffffffn);
      list.u32[(off + OBJ_IOVA_HI) >> 2] = iova === BAD_IOVA ? IOVA_UNKNOWN : Number(iova >> 32n);
      if (this.#debug) {
        list.u32[(off + OBJ_COOKIE_LO) >> 2] = COOKIE_FREE_LO;
        list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_FREE_HI;
        const t = off + hs + elt;
        list.u32[t >> 2] = COOKIE_TRAILER_LO;
        list.u32[(t + 4) >> 2] = COOKIE_TRAILER_HI;
      }
      objs[batch++] = obj;
      if (batch === objs.length) {
        this.#enqueueOrFail(objs, batch);
        batch = 0;
      }
    });
    if (batch > 0) this.#enqueueOrFail(objs, batch);
    const e = this.#base + MP_CHUNK_TABLE + chunk * CHUNK_BYTES;
    this.#f64[(e + CHUNK_ADDR) >> 3] = mz.addr;
    this.#u32[(e + CHUNK_COUNT) >> 2] = placed;
    this.#u32[(e + CHUNK_FIRST) >> 2] = first;
    return placed;
  }

  #enqueueOrFail(objs: Float64Array, n: number): void {
    const r = this.#ops.enqueue(this, objs, n);
    if (r !== 0) this.#populateFailed(`the driver ${this.opsName} refused ${n} objects (${r})`);
  }

  #populateFailed(why: string): never {
    // Give back what was reserved; the pool stays created, empty.
    const zones = Memzones.of(this.eal);
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const mz = zones.lookup(`${MEMPOOL_MZ_PREFIX}${this.name}_${i}`);
      if (mz !== null) zones.free(mz);
    }
    if (this.#hdr(MP_STATE) >= MP_STATE_ALLOCATED) this.#ops.free(this);
    this.#setHdr(MP_CHUNKS, 0);
    this.#setHdr(MP_POPULATED, 0);
    this.#setHdr(MP_STATE, MP_STATE_EMPTY);
    throw new RteError('ENOMEM', `mempool ${this.name}: cannot populate ${this.size} objects of ${this.#hdr(MP_TOTAL_ELT)} bytes: ${why}`);
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  get name(): string {
    return this.#list.readString(this.#base + MP_NAME, MP_NAME_LEN);
  }
  /** Objects in the pool. */
  get size(): number {
    return this.#hdr(MP_SIZE);
  }
  get cacheSize(): number {
    return this.#cacheSize;
  }
  get eltSize(): number {
    return this.#hdr(MP_ELT_SIZE);
  }
  get headerSize(): number {
    return this.#hdr(MP_HEADER_SIZE);
  }
  get trailerSize(): number {
    return this.#hdr(MP_TRAILER_SIZE);
  }
  get privateDataSize(): number {
    return this.#hdr(MP_PRIV_SIZE);
  }
  get flags(): number {
    return this.#hdr(MP_FLAGS);
  }
  get socketId(): number {
    return this.#list.i32[(this.#base + MP_SOCKET) >> 2]!;
  }
  /** The driver's name. */
  get opsName(): string {
    return this.#list.readString(this.#base + MP_OPS_NAME, MP_OPS_NAME_LEN);
  }
  /** True when cookies are checked on every get and put. */
  get debug(): boolean {
    return this.#debug;
  }

  /** Address of the pool's private area (privateDataSize bytes). @see rte_mempool_get_priv */
  privateData(): number {
    return this.memzone.addr + this.#hdr(MP_PRIV_OFF);
  }

  /* ------------------------------------------------------------------ *
   * Get and put
   * ------------------------------------------------------------------ */

  /** One object, or 0 when none is left. @see rte_mempool_get */
  get(): number {
    // Kept small so V8 inlines it: the top of this lcore's cache, else the
    // slow path (which also arms #fastLc for the lcore when it has a cache).
    if (this.#lcore[0] === this.#fastLc) {
      const w = this.#fastLen;
      const len = this.#u32[w]!;
      if (len !== 0) {
        this.#u32[w] = len - 1;
        return this.#f64[this.#fastObjs + len - 1]!;
      }
    }
    return this.#getSlow(this.#lcore[0]!);
  }

  // Arms the fast paths of get/put for lcore `lc` when it uses a cache.
  #arm(lc: number): void {
    if (lc < LCORES && this.#cacheSize !== 0 && !this.#debug) {
      const b = this.#cache0 + lc * this.#stride;
      this.#fastLc = lc;
      this.#fastLen = (b + CACHE_LEN) >> 2;
      this.#fastObjs = (b + CACHE_OBJS) >> 3;
    } else {
      this.#fastLc = -1;
    }
  }

  #getSlow(lc: number): number {
    // Uncached, straight to a driver that takes single objects (checked first:
    // arming is for the cached path).
    if ((lc >= LCORES || this.#cacheSize === 0) && !this.#debug) {
      const ops = this.#ops;
      if (ops.dequeueOne !== undefined) return ops.dequeueOne(this);
    }
    this.#arm(lc);
    const one = this.#one;
    return this.#get(one, 1, lc) === 0 ? one[0]! : 0;
  }

  /** Puts one object back. @see rte_mempool_put */
  put(obj: number): void {
    if (this.#lcore[0] === this.#fastLc && obj > 0) {
      const w = this.#fastLen;
      const len = this.#u32[w]!;
      if (len < this.#cacheSize) {
        this.#f64[this.#fastObjs + len] = obj;
        this.#u32[w] = len + 1;
        return;
      }
    }
    this.#putSlow(obj, this.#lcore[0]!);
  }

  #putSlow(obj: number, lc: number): void {
    if (!(typeof obj === 'number' && obj > 0)) this.#badObject(obj, 0);
    if ((lc >= LCORES || this.#cacheSize === 0) && !this.#debug) {
      const ops = this.#ops;
      if (ops.enqueueOne !== undefined) {
        if (ops.enqueueOne(this, obj) !== 0) throw new RteError('ENOBUFS', `mempool ${this.name}: the driver refused an object: more were put back than the pool holds`);
        return;
      }
    }
    this.#arm(lc);
    if (this.#debug) this.#checkPut(obj);
    const one = this.#one;
    one[0] = obj;
    this.#put(one, 1, lc);
  }

  /**
   * Gets `n` objects into `out`, all or none: 0, or -ENOENT (objects may
   * sit in other lcores' caches). @see rte_mempool_get_bulk
   */
  getBulk(out: number[] | Float64Array, n: number): number {
    // The common case checked in one go: an armed cache (no debug) that
    // holds enough, into a Float64Array.
    if (this.#lcore[0] === this.#fastLc && out instanceof Float64Array && n >>> 0 === n && n <= out.length && n <= this.#half) {
      const w = this.#fastLen;
      const len = this.#u32[w]!;
      if (len >= n) {
        popTop(this.#f64, this.#fastObjs + len - 1, out, n);
        this.#u32[w] = len - n;
        return 0;
      }
    }
    if (!((n | 0) === n && n >= 0) || !isOutput(out) || (n > out.length && !Array.isArray(out))) this.#badN(out, n);
    const lc = this.#lcore[0]!;
    this.#arm(lc);
    return this.#get(out, n, lc);
  }

  /** Puts `n` objects back. @see rte_mempool_put_bulk */
  putBulk(objs: ArrayLike<number>, n: number = objs.length): void {
    if (this.#lcore[0] === this.#fastLc && objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && n <= this.#half) {
      const w = this.#fastLen;
      const len = this.#u32[w]!;
      // Written above the cache's length, which moves only when all are addresses.
      if (len + n <= this.#cacheSize && pushAt(this.#f64, this.#fastObjs + len, objs, n) > 0) {
        this.#u32[w] = len + n;
        return;
      }
    }
    if (!((n | 0) === n && n >= 0 && n <= objs.length)) this.#badN(objs, n);
    const bad = firstBad(objs, n);
    if (bad >= 0) this.#badObject(objs[bad], bad);
    if (this.#debug) for (let i = 0; i < n; i++) this.#checkPut(objs[i]!);
    const lc = this.#lcore[0]!;
    this.#arm(lc);
    this.#put(objs, n, lc);
  }

  // Objects are addresses: NaN, 0, a string or undefined would sit in the
  // pool and come out of a later get, in any thread.
  #badObject(v: unknown, at: number): never {
    const what = typeof v === 'number' ? String(v) : v === null ? 'null' : typeof v;
    throw new RteError('EINVAL', `mempool ${this.name}: objects are addresses (positive numbers), not ${what} (object ${at}): nothing was put`);
  }

  #badN(arr: ArrayLike<number>, n: number): never {
    if (!isOutput(arr) && (arr === null || typeof arr !== 'object' || !('length' in arr))) {
      throw new RteError('EINVAL', `objects go in a number[] or a Float64Array, not ${arr === null ? 'null' : typeof arr}`);
    }
    throw new RteError('EINVAL', `n must be a whole number of objects that fit the array (${arr.length}), not ${String(n)}`);
  }

  // Get through lcore `lc`'s cache (none when unregistered or without caches).
  #get(out: number[] | Float64Array, n: number, lc: number): number {
    if (lc < LCORES && this.#cacheSize !== 0 && n <= this.#half) {
      const r = this.#cacheGet(this.#cache0 + lc * this.#stride, out, n);
      if (r === 0 && this.#debug) for (let i = 0; i < n; i++) this.#checkGot(out[i]!);
      return r;
    }
    if (n === 0) return 0;
    const r = this.#ops.dequeue(this, out, n);
    if (r === 0 && this.#debug) for (let i = 0; i < n; i++) this.#checkGot(out[i]!);
    return r === 0 ? 0 : -ENOENT;
  }

  #put(objs: ArrayLike<number>, n: number, lc: number): void {
    if (lc < LCORES && this.#cacheSize !== 0 && n <= this.#half) {
      this.#cachePut(this.#cache0 + lc * this.#stride, objs, n, lc);
      return;
    }
    // Straight to the driver (the callers checked that every object is an address).
    if (n !== 0 && this.#ops.enqueue(this, objs, n) !== 0) {
      throw new RteError('ENOBUFS', `mempool ${this.name}: the driver refused ${n} objects: more were put back than the pool holds`);
    }
  }

  // From the cache at byte offset `b`: LIFO, refilled by half a cache from
  // the driver when short. 0 or -ENOENT.
  #cacheGet(b: number, out: number[] | Float64Array, n: number): number {
    const u32 = this.#u32;
    const f64 = this.#f64;
    let len = u32[(b + CACHE_LEN) >> 2]!;
    const objs = (b + CACHE_OBJS) >> 3;
    if (len < n) {
      // Refill by half a cache (or exactly what is missing when the driver
      // has less), appending above what the cache holds.
      const scratch = this.#scratch;
      let want = this.#half;
      if (this.#ops.dequeue(this, scratch, want) !== 0) {
        want = n - len;
        if (this.#ops.dequeue(this, scratch, want) !== 0) return -ENOENT;
      }
      for (let i = 0; i < want; i++) f64[objs + len + i] = scratch[i]!;
      len += want;
    }
    popTop(f64, objs + len - 1, out, n);
    u32[(b + CACHE_LEN) >> 2] = len - n;
    return 0;
  }

  // Into the cache at byte offset `b`; when it would overflow, its oldest
  // half goes to the driver first.
  #cachePut(b: number, objs: ArrayLike<number>, n: number, lc: number): void {
    const u32 = this.#u32;
    const f64 = this.#f64;
    let len = u32[(b + CACHE_LEN) >> 2]!;
    const at = (b + CACHE_OBJS) >> 3;
    if (len + n > this.#cacheSize) {
      const view = this.#cacheView(b, lc);
      const half = this.#half;
      if (this.#ops.enqueue(this, view, half) !== 0) {
        throw new RteError('ENOBUFS', `mempool ${this.name}: the driver refused objects: more were put back than the pool holds`);
      }
      view.copyWithin(0, half, len);
      len -= half;
    }
    pushAt(f64, at + len, objs, n);
    u32[(b + CACHE_LEN) >> 2] = len + n;
  }

  // A Float64Array over one cache's objects, made once per lcore per handle.
  #cacheView(b: number, lc: number): Float64Array {
    if (this.#flushLcore !== lc || this.#flushView === null) {
      this.#flushView = new Float64Array(this.#f64.buffer, this.#list.f64.byteOffset + b + CACHE_OBJS, this.#cacheSize);
      this.#flushLcore = lc;
    }
    return this.#flushView;
  }

  /**
   * Gets through `cache` (null: straight from the driver). For threads
   * without an lcore, with a cache from {@link Mempool.cacheCreate}.
   * @see rte_mempool_generic_get
   */
  genericGet(out: number[] | Float64Array, n: number, cache: MempoolCache | null): number {
    if (!((n | 0) === n && n >= 0) || !isOutput(out) || (n > out.length && !Array.isArray(out))) this.#badN(out, n);
    if (cache === null) return this.#get(out, n, 0xffffffff);
    cache.check(this);
    if (n > cache.size >> 1) return this.#get(out, n, 0xffffffff);
    return this.#userCacheGet(cache, out, n);
  }

  /** Puts through `cache` (null: straight to the driver). @see rte_mempool_generic_put */
  genericPut(objs: ArrayLike<number>, n: number, cache: MempoolCache | null): void {
    if (!((n | 0) === n && n >= 0 && n <= objs.length)) this.#badN(objs, n);
    const bad = firstBad(objs, n);
    if (bad >= 0) this.#badObject(objs[bad], bad);
    if (this.#debug) for (let i = 0; i < n; i++) this.#checkPut(objs[i]!);
    if (cache === null || n > cache.size >> 1) {
      this.#put(objs, n, 0xffffffff);
      return;
    }
    cache.check(this);
    this.#userCachePut(cache, objs, n);
  }

  #userCacheGet(cache: MempoolCache, out: number[] | Float64Array, n: number): number {
    const f64 = cache.f64;
    const lenWord = cache.lenWord;
    let len = cache.u32[lenWord]!;
    const objs = cache.objs;
    if (len < n) {
      const half = Math.max(1, cache.size >> 1);
      // Grown once to the largest user cache's half: no allocation in steady state.
      if (this.#scratch.length < half) this.#scratch = new Float64Array(half);
      const scratch = this.#scratch;
      let want = half;
      if (this.#ops.dequeue(this, scratch, want) !== 0) {
        want = n - len;
        if (this.#ops.dequeue(this, scratch, want) !== 0) return -ENOENT;
      }
      for (let i = 0; i < want; i++) f64[objs + len + i] = scratch[i]!;
      len += want;
    }
    for (let i = 0; i < n; i++) out[i] = f64[objs + len - 1 - i]!;
    cache.u32[lenWord] = len - n;
    if (this.#debug) for (let i = 0; i < n; i++) this.#checkGot(out[i]!);
    return 0;
  }

  #userCachePut(cache: MempoolCache, objs: ArrayLike<number>, n: number): void {
    const f64 = cache.f64;
    let len = cache.u32[cache.lenWord]!;
    const at = cache.objs;
    if (len + n > cache.size) {
      const half = Math.max(1, cache.size >> 1);
      if (this.#ops.enqueue(this, cache.view, half) !== 0) throw new RteError('ENOBUFS', `mempool ${this.name}: the driver refused objects`);
      cache.view.copyWithin(0, half, len);
      len -= half;
    }
    for (let i = 0; i < n; i++) f64[at + len + i] = objs[i]!;
    cache.u32[cache.lenWord] = len + n;
  }

  /**
   * A cache of `size` objects for a thread without an lcore, in shared
   * memory (from the heap). @see rte_mempool_cache_create
   */
  cacheCreate(size: number): MempoolCache {
    int(size, 'cache size', 1, MEMPOOL_CACHE_MAX_SIZE);
    const addr = Heap.of(this.eal).zmalloc(CACHE_OBJS + size * 8, 64, this.socketId === SOCKET_ID_ANY ? SOCKET_ID_ANY : this.socketId);
    if (addr === 0) throw new RteError('ENOMEM', `no memory for a mempool cache of ${size} objects`);
    return new MempoolCache(this, addr, size);
  }

  /** Gives everything in `cache` back to the driver. @see rte_mempool_cache_flush */
  cacheFlush(cache: MempoolCache): void {
    cache.check(this);
    const len = cache.u32[cache.lenWord]!;
    if (len !== 0 && this.#ops.enqueue(this, cache.view, len) !== 0) throw new RteError('ENOBUFS', `mempool ${this.name}: the driver refused objects`);
    cache.u32[cache.lenWord] = 0;
  }

  /* ------------------------------------------------------------------ *
   * Counts, iteration, checks
   * ------------------------------------------------------------------ */

  /** Objects in the driver and in every lcore cache. @see rte_mempool_avail_count */
  availCount(): number {
    let n = this.#hdr(MP_STATE) >= MP_STATE_ALLOCATED && this.#hdr(MP_STATE) !== MP_STATE_FREED ? this.#ops.getCount(this) : 0;
    if (this.#cacheSize !== 0) {
      for (let lc = 0; lc < LCORES; lc++) n += Atomics.load(this.#u32, (this.#cache0 + lc * this.#stride + CACHE_LEN) >> 2);
    }
    return n > this.size ? this.size : n;
  }

  /** Objects handed out. @see rte_mempool_in_use_count */
  inUseCount(): number {
    return this.size - this.availCount();
  }

  /** @see rte_mempool_full */
  isFull(): boolean {
    return this.availCount() === this.size;
  }

  /** @see rte_mempool_empty */
  isEmpty(): boolean {
    return this.availCount() === 0;
  }

  /** Calls `fn(obj, idx)` for every object; returns how many. @see rte_mempool_obj_iter */
  objIter(fn: (obj: number, idx: number) => void): number {
    const hs = this.headerSize;
    let n = 0;
    for (let c = 0; c < this.#hdr(MP_CHUNKS); c++) {
      const e = this.#base + MP_CHUNK_TABLE + c * CHUNK_BYTES;
      const count = this.#u32[(e + CHUNK_COUNT) >> 2]!;
      const first = this.#u32[(e + CHUNK_FIRST) >> 2]!;
      const addr = this.#f64[(e + CHUNK_ADDR) >> 3]!;
      const mz = Memzones.of(this.eal).lookup(`${MEMPOOL_MZ_PREFIX}${this.name}_${c}`);
      let i = 0;
      this.#layout(addr, mz?.len ?? count * this.#hdr(MP_TOTAL_ELT), count, (at) => {
        fn(at + hs, first + i);
        i++;
      });
      n += i;
    }
    return n;
  }

  /** The IOVA of object `obj` (BAD_IOVA when unknown). @see rte_mempool_virt2iova */
  virt2iova(obj: number): bigint {
    const list = this.eal.listOf(obj - this.headerSize);
    if (list === undefined) return BAD_IOVA;
    const off = obj - this.headerSize - list.baseAddr;
    const lo = list.u32[(off + OBJ_IOVA_LO) >> 2]!;
    const hi = list.u32[(off + OBJ_IOVA_HI) >> 2]!;
    if (lo === IOVA_UNKNOWN && hi === IOVA_UNKNOWN) return BAD_IOVA;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** True when `obj` is the address of one of this pool's objects (checks its header). */
  isObject(obj: number): boolean {
    if (typeof obj !== 'number' || !Number.isSafeInteger(obj) || obj <= 0) return false;
    const list = this.eal.listOf(obj - this.headerSize);
    if (list === undefined || !Memory.of(this.eal).isBacked(obj - this.headerSize, this.headerSize)) return false;
    const off = obj - this.headerSize - list.baseAddr;
    return off >= 0 && list.f64[(off + OBJ_POOL) >> 3] === this.memzone.addr;
  }

  #objError(obj: number, why: string): never {
    throw new RteError('EINVAL', `mempool ${this.name}: object 0x${obj.toString(16)} ${why}`);
  }

  // Debug: an object coming out of the pool must carry the in-pool cookie.
  #checkGot(obj: number): void {
    const list = this.eal.listOf(obj - this.headerSize)!;
    const off = obj - this.headerSize - list.baseAddr;
    if (list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_FREE_LO || list.u32[(off + OBJ_COOKIE_HI) >> 2] !== COOKIE_FREE_HI) {
      this.#objError(obj, 'came out of the pool with a bad header cookie (a put after free, or memory corruption)');
    }
    list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_USED_HI;
  }

  // Debug: an object going back must be this pool's, handed out, intact.
  #checkPut(obj: number): void {
    if (!this.isObject(obj)) this.#objError(obj, 'is not an object of this pool (a foreign pointer)');
    const list = this.eal.listOf(obj - this.headerSize)!;
    const off = obj - this.headerSize - list.baseAddr;
    const hi = list.u32[(off + OBJ_COOKIE_HI) >> 2];
    if (hi === COOKIE_FREE_HI) this.#objError(obj, 'is already in the pool (double put)');
    if (hi !== COOKIE_USED_HI || list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_USED_LO) this.#objError(obj, 'has a corrupt header cookie');
    const t = off + this.headerSize + this.eltSize;
    if (list.u32[t >> 2] !== COOKIE_TRAILER_LO || list.u32[(t + 4) >> 2] !== COOKIE_TRAILER_HI) {
      this.#objError(obj, `has a corrupt trailer cookie: something wrote past its ${this.eltSize} bytes`);
    }
    list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_FREE_HI;
  }

  /**
   * Makes the pool whole after a process died in the middle of a get or put
   * that reached the driver (its ring then shows slots claimed but never
   * published or released, see `Ring.dump`), which would make every later
   * get or put of that side wait for it forever. Call it once every other
   * user of the pool has stopped. The objects the dead process was putting
   * or getting are given up (as are those it held); every object left in the
   * pool is whole. Drivers without a recover step (stacks: their lock is
   * taken over from a dead owner, and their state changes by one store)
   * need nothing. Returns the objects given up.
   */
  recover(): { dropped: number; released: number } {
    if (this.#hdr(MP_STATE) < MP_STATE_ALLOCATED || this.#hdr(MP_STATE) === MP_STATE_FREED) return { dropped: 0, released: 0 };
    return this.#ops.recover?.(this) ?? { dropped: 0, released: 0 };
  }

  /**
   * Checks the pool and throws EINVAL at the first inconsistency: cache
   * lengths, counts, and (in debug mode) every object's cookies.
   * @see rte_mempool_audit
   */
  audit(): void {
    if (this.#hdr(MP_STATE) === MP_STATE_FREED) throw new RteError('EINVAL', `mempool ${this.name} was freed`);
    for (let lc = 0; lc < LCORES && this.#cacheSize !== 0; lc++) {
      const len = this.#u32[(this.#cache0 + lc * this.#stride + CACHE_LEN) >> 2]!;
      if (len > this.#cacheSize) throw new RteError('EINVAL', `mempool ${this.name}: lcore ${lc}'s cache holds ${len} objects, more than its size ${this.#cacheSize}`);
    }
    const driver = this.#ops.getCount(this);
    if (driver > this.size) throw new RteError('EINVAL', `mempool ${this.name}: the driver holds ${driver} objects, the pool has ${this.size}`);
    if (this.#hdr(MP_STATE) === MP_STATE_POPULATED && this.#hdr(MP_POPULATED) !== this.size) {
      throw new RteError('EINVAL', `mempool ${this.name}: ${this.#hdr(MP_POPULATED)} objects populated of ${this.size}`);
    }
    if (this.#debug) {
      this.objIter((obj) => {
        const list = this.eal.listOf(obj - this.headerSize)!;
        const off = obj - this.headerSize - list.baseAddr;
        const hi = list.u32[(off + OBJ_COOKIE_HI) >> 2];
        if (list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_FREE_LO || (hi !== COOKIE_FREE_HI && hi !== COOKIE_USED_HI)) this.#objError(obj, 'has a corrupt header cookie');
        const t = off + this.headerSize + this.eltSize;
        if (list.u32[t >> 2] !== COOKIE_TRAILER_LO || list.u32[(t + 4) >> 2] !== COOKIE_TRAILER_HI) this.#objError(obj, 'has a corrupt trailer cookie');
      });
    }
  }

  /** The pool's header, driver, caches per lcore and counts. @see rte_mempool_dump */
  dump(): string {
    const lines = [
      `mempool <${this.name}>@0x${this.memzone.addr.toString(16)}`,
      `  flags=${this.flags.toString(16)}`,
      `  socket_id=${this.socketId}`,
      `  pool_data=0x${this.poolData.toString(16)}`,
      `  ops=${this.opsName}`,
      `  nb_mem_chunks=${this.#hdr(MP_CHUNKS)}`,
      `  size=${this.size}`,
      `  populated_size=${this.#hdr(MP_POPULATED)}`,
      `  header_size=${this.headerSize}`,
      `  elt_size=${this.eltSize}`,
      `  trailer_size=${this.trailerSize}`,
      `  total_obj_size=${this.#hdr(MP_TOTAL_ELT)}`,
      `  private_data_size=${this.privateDataSize}`,
      `  debug=${this.#debug ? 1 : 0}`,
    ];
    let cached = 0;
    if (this.#cacheSize !== 0) {
      lines.push(`  cache_size=${this.#cacheSize}`);
      for (let lc = 0; lc < LCORES; lc++) {
        const len = this.#u32[(this.#cache0 + lc * this.#stride + CACHE_LEN) >> 2]!;
        if (len === 0) continue;
        lines.push(`    cache_count[${lc}]=${len}`);
        cached += len;
      }
      lines.push(`    total_cache_count=${cached}`);
    }
    const driver = this.#hdr(MP_STATE) >= MP_STATE_ALLOCATED ? this.#ops.getCount(this) : 0;
    lines.push(`  common_pool_count=${driver}`, `  avail_count=${Math.min(this.size, driver + cached)}`, `  in_use_count=${this.size - Math.min(this.size, driver + cached)}`);
    return lines.join('\n');
  }
}

/**
 * A mempool cache owned by a thread without an lcore, in shared memory.
 * @see struct rte_mempool_cache, rte_mempool_cache_create
 */
export class MempoolCache {
  readonly #mp: Mempool;
  /** Address of the cache in shared memory. */
  readonly addr: number;
  /** Objects it can hold. */
  readonly size: number;
  /** @internal */
  readonly u32: Uint32Array;
  /** @internal */
  readonly f64: Float64Array;
  /** @internal u32 index of the length word. */
  readonly lenWord: number;
  /** @internal f64 index of the first object. */
  readonly objs: number;
  /** @internal a view over the objects. */
  readonly view: Float64Array;
  #freed = false;

  constructor(mp: Mempool, addr: number, size: number) {
    this.#mp = mp;
    this.addr = addr;
    this.size = size;
    const list = mp.eal.listOf(addr)!;
    const off = addr - list.baseAddr;
    this.u32 = list.u32;
    this.f64 = list.f64;
    this.lenWord = (off + CACHE_LEN) >> 2;
    this.objs = (off + CACHE_OBJS) >> 3;
    this.view = new Float64Array(list.sab, off + CACHE_OBJS, size);
  }

  /** Objects in the cache. */
  get length(): number {
    return this.u32[this.lenWord]!;
  }

  /** @internal Throws EINVAL when used with another pool or after free. */
  check(mp: Mempool): void {
    if (this.#freed) throw new RteError('EINVAL', 'this mempool cache was freed');
    if (mp !== this.#mp && mp.memzone.addr !== this.#mp.memzone.addr) throw new RteError('EINVAL', `this cache belongs to mempool ${this.#mp.name}`);
  }

  /** Gives its objects back to the pool. @see rte_mempool_cache_flush */
  flush(): void {
    this.#mp.cacheFlush(this);
  }

  /** Flushes, then frees the cache's memory. @see rte_mempool_cache_free */
  free(): void {
    if (this.#freed) return;
    this.flush();
    this.#freed = true;
    Heap.of(this.#mp.eal).free(this.addr);
  }
}
