/**
 * rte_mempool in shared memory: a fixed set of equal-sized objects with
 * per-lcore caches in front of a swappable driver, shared by every thread
 * and process of an EAL. This is the facade: creating, finding and freeing
 * pools, the get/put data path, counts. The header is in core.ts, the
 * cache rule in cache.ts, populating in populate.ts, cookies, audit and
 * dump in debug.ts, drivers in ops.ts, every offset in layout.ts.
 *
 * @see lib/mempool/rte_mempool.c, rte_mempool.h in DPDK
 */
import { CACHE_LINE_SIZE, type Eal, MAX_LCORE, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { Heap } from '@rtemem/malloc-heap';
import type { Memzone } from '@rtemem/memzone';
import { cacheFlush, getThrough, LcoreCaches, MempoolCache, type ObjCache, popTop, pushAt, putThrough, refused, userCache } from './cache.js';
import { badObject, checkCreate, checkIn, checkOut, int } from './check.js';
import { PoolCore } from './core.js';
import { freePool, handleFor, lookupPool, poolAt, populateNew, setHandleMaker, walkPools, writeHeader } from './create.js';
import { audit, checkPut, dump } from './debug.js';
import { isObjectOf, objectIova } from './element.js';
import {
  cacheBytes,
  MEMPOOL_CACHE_MAX_SIZE,
  MEMPOOL_F_NO_CACHE_ALIGN,
  MP_ELT_SIZE,
  MP_FLAGS,
  MP_HEADER_SIZE,
  MP_NAME,
  MP_NAME_LEN,
  MP_OPS_NAME,
  MP_OPS_NAME_LEN,
  MP_POOL_DATA,
  MP_PRIV_OFF,
  MP_PRIV_SIZE,
  MP_SIZE,
  MP_SOCKET,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_EMPTY,
  MP_STATE_FREED,
  MP_STATS,
  MP_STATS_OFF,
  MP_TRAILER_SIZE,
} from './layout.js';
import { defaultOpsName, findOps, type MempoolOps } from './ops.js';
import { memIter, objIter, populateAnon, populateDefault, populateIova, populateVirt } from './populate.js';
import { countingOps, type MempoolStats, StatsCounter } from './stats.js';

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
  /** Count gets and puts per lcore in shared memory, see stats() (default: RTEMEM_MEMPOOL_STATS=1). @see RTE_LIBRTE_MEMPOOL_STATS */
  stats?: boolean;
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

  readonly #core: PoolCore;
  /** The driver as the data path calls it (counted when the pool has stats). */
  #ops: MempoolOps;
  /** The driver itself: populating and freeing. */
  #baseOps: MempoolOps;
  /** Statistics counter, null for a pool without stats. */
  readonly #stats: StatsCounter | null;
  /** Debug or stats: every call takes the slow path, where they are checked and counted. */
  readonly #noFast: boolean;
  /* The data path's own copies (one load fewer per call than through #core). */
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #lcore: Uint32Array;
  readonly #cacheSize: number;
  readonly #half: number;
  /** Lcores with a cache: MAX_LCORE, or 0 when the pool has none. */
  readonly #nCaches: number;
  readonly #debug: boolean;
  /* get/put fast path: the lcore whose cache it serves (-1: none yet, or no
   * cache), the u32 index of that cache's length, the f64 index of its objects. */
  #fastLc = -1;
  #fastLen = 0;
  #fastObjs = 0;
  readonly #caches: LcoreCaches;
  /** Scratch for single-object driver calls: no garbage. */
  readonly #one = new Float64Array(1);

  private constructor(eal: Eal, mz: Memzone) {
    this.eal = eal;
    this.memzone = mz;
    const list = eal.listOf(mz.addr)!;
    const core = new PoolCore(list, mz.addr - list.baseAddr);
    this.#core = core;
    this.#caches = new LcoreCaches(core);
    this.#u32 = list.u32;
    this.#f64 = list.f64;
    this.#lcore = eal.lcoreCell;
    this.#cacheSize = core.cacheSize;
    this.#half = Math.max(1, core.cacheSize >> 1);
    this.#nCaches = core.nCaches;
    this.#debug = core.debug;
    this.#stats = core.word(MP_STATS) !== 0 ? new StatsCounter(list.u32, core.base + core.word(MP_STATS_OFF), eal.lcoreCell) : null;
    this.#noFast = this.#debug || this.#stats !== null;
    this.#baseOps = Mempool.#resolveOps(this.opsName, this.name);
    this.#ops = this.#counted(this.#baseOps);
  }

  #counted(ops: MempoolOps): MempoolOps {
    return this.#stats === null ? ops : countingOps(ops, this.#stats);
  }

  static #resolveOps(name: string, pool: string): MempoolOps {
    const ops = findOps(name);
    if (ops === undefined) {
      throw new RteError('ENOENT', `mempool ${pool} uses driver ${JSON.stringify(name)}, which is not registered in this thread: call registerOps() here too`);
    }
    return ops;
  }

  static {
    setHandleMaker((eal, mz) => new Mempool(eal, mz));
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
    stats = process.env.RTEMEM_MEMPOOL_STATS === '1',
  ): Mempool {
    checkCreate(name, n, eltSize, cacheSize, privateDataSize, flags);
    const cacheAlign = (flags & MEMPOOL_F_NO_CACHE_ALIGN) === 0;
    const mz = writeHeader(eal, { name, n, eltSize, cacheSize, privateDataSize, socket, flags, cacheAlign, debug, stats: stats === true, opsName: defaultOpsName(flags) });
    return handleFor(eal, mz);
  }

  /**
   * Creates and populates a pool of `n` objects of `eltSize` bytes with
   * per-lcore caches of `cacheSize` (0: none). objInit runs for every object,
   * poolInit once before. On failure nothing stays reserved.
   * @see rte_mempool_create
   */
  static create(eal: Eal, name: string, n: number, eltSize: number, cacheSize = 0, privateDataSize = 0, opts: MempoolCreateOptions = {}): Mempool {
    const debug = opts.debug ?? process.env.RTEMEM_MEMPOOL_DEBUG === '1';
    const stats = opts.stats ?? process.env.RTEMEM_MEMPOOL_STATS === '1';
    return populateNew(Mempool.createEmpty(eal, name, n, eltSize, cacheSize, privateDataSize, opts.socket ?? SOCKET_ID_ANY, opts.flags ?? 0, debug, stats), opts);
  }

  /** The pool created under `name` by any thread or process, or null. @see rte_mempool_lookup */
  static lookup(eal: Eal, name: string): Mempool | null {
    return lookupPool(eal, name);
  }

  /**
   * The pool whose header is at `addr` (the memzone address, as an mbuf's
   * pool field holds it), or null when no live pool is there.
   */
  static atAddress(eal: Eal, addr: number): Mempool | null {
    return poolAt(eal, addr);
  }

  /** Calls `fn` for every pool of the EAL. @see rte_mempool_walk */
  static walk(eal: Eal, fn: (mp: Mempool) => void): void {
    walkPools(eal, fn);
  }

  /** Frees the pool: its driver, its chunks and its header zone. @see rte_mempool_free */
  free(): void {
    freePool(this, this.#core, this.#baseOps);
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
    if (this.#core.word(MP_STATE) !== MP_STATE_EMPTY) throw new RteError('EEXIST', `mempool ${this.name} already set up its driver`);
    if (typeof name !== 'string' || Buffer.byteLength(name) >= MP_OPS_NAME_LEN) throw new RteError('EINVAL', 'a driver name is a string of 1 to 31 bytes');
    const ops = Mempool.#resolveOps(name, this.name);
    this.#core.list.writeString(this.#core.base + MP_OPS_NAME, MP_OPS_NAME_LEN, name);
    this.#baseOps = ops;
    this.#ops = this.#counted(ops);
  }

  /** The driver's shared state address (rte_mempool pool_data), set by the driver's alloc. */
  get poolData(): number {
    return this.#f64[(this.#core.base + MP_POOL_DATA) >> 3]!;
  }

  set poolData(addr: number) {
    this.#f64[(this.#core.base + MP_POOL_DATA) >> 3] = addr;
  }

  /**
   * Sets up the driver and adds all objects, in as few chunk memzones as
   * memory allows (MP_<name>_<i>). Returns the number of objects added.
   * Throws EEXIST when already populated, ENOMEM when memory runs out (the
   * chunks reserved so far are given back). @see rte_mempool_populate_default
   */
  populateDefault(): number {
    return populateDefault(this, this.#core, this.#baseOps);
  }

  /**
   * Adds the objects that fit in your memory [addr, addr+len), memory the
   * EAL maps, as one chunk (it stays yours); call again until the pool is
   * full. Returns the objects added. EINVAL (memory not the EAL's, or the
   * pool's), ENOSPC (full), ENOMEM (64 chunks). See populate.ts.
   * @see rte_mempool_populate_virt
   */
  populateVirt(addr: number, len: number): number {
    return populateVirt(this, this.#core, this.#baseOps, addr, len);
  }

  /** populateVirt with the chunk's IOVA given (BAD_IOVA: unknown); it must agree with the EAL's where known. @see rte_mempool_populate_iova */
  populateIova(addr: number, iova: bigint, len: number): number {
    return populateIova(this, this.#core, this.#baseOps, addr, iova, len);
  }

  /** Fills an empty pool from EAL heap blocks of its own (no memzone; freed with it). EINVAL once it has chunks. @see rte_mempool_populate_anon */
  populateAnon(): number {
    return populateAnon(this, this.#core, this.#baseOps);
  }

  /** Calls `fn(addr, len, iova)` per memory chunk, in order; returns how many. @see rte_mempool_mem_iter */
  memIter(fn: (addr: number, len: number, iova: bigint) => void): number {
    return memIter(this.#core, fn);
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  get name(): string {
    return this.#core.list.readString(this.#core.base + MP_NAME, MP_NAME_LEN);
  }
  /** Objects in the pool. */
  get size(): number {
    return this.#core.word(MP_SIZE);
  }
  get cacheSize(): number {
    return this.#cacheSize;
  }
  get eltSize(): number {
    return this.#core.word(MP_ELT_SIZE);
  }
  get headerSize(): number {
    return this.#core.word(MP_HEADER_SIZE);
  }
  get trailerSize(): number {
    return this.#core.word(MP_TRAILER_SIZE);
  }
  get privateDataSize(): number {
    return this.#core.word(MP_PRIV_SIZE);
  }
  get flags(): number {
    return this.#core.word(MP_FLAGS);
  }
  get socketId(): number {
    return this.#core.list.i32[(this.#core.base + MP_SOCKET) >> 2]!;
  }
  /** The driver's name. */
  get opsName(): string {
    return this.#core.list.readString(this.#core.base + MP_OPS_NAME, MP_OPS_NAME_LEN);
  }
  /** True when cookies are checked on every get and put. */
  get debug(): boolean {
    return this.#debug;
  }

  /** Address of the pool's private area (privateDataSize bytes). @see rte_mempool_get_priv */
  privateData(): number {
    return this.memzone.addr + this.#core.word(MP_PRIV_OFF);
  }

  /* ------------------------------------------------------------------ *
   * Get and put
   *
   * get, put, getBulk and putBulk each hold, inline, the plain case of the
   * cache rule for this lcore's cache: cacheGet without a refill, cachePut
   * without a flush (cache.ts). It is the one copy of that algorithm kept
   * on purpose: V8 inlines these calls whole into the caller's loop only
   * while they are this small. Through cacheGet/cachePut instead (armed
   * with the lcore's ObjCache), get+put of 1 went from 8.5 to 35.7 ns and
   * get+put bulk 32 from 4.2 to 6.1 ns/object (medians of 10 alternating
   * runs each, same machine and session; against a JS array free list in
   * the same process, 1.83x -> 0.42x and 3.78x -> 2.53x). Everything else
   * (refills, flushes, uncached and user-cache calls) goes through cache.ts.
   * ------------------------------------------------------------------ */

  /** One object, or 0 when none is left. @see rte_mempool_get */
  get(): number {
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
    checkOut(out, n);
    const r = getThrough(this, this.#ops, this.#arm(this.#lcore[0]!), out, n);
    if (this.#stats !== null) this.#stats.get(r === 0, n);
    return r;
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
    checkIn(this, objs, n);
    if (this.#stats !== null) this.#stats.put(n);
    putThrough(this, this.#ops, this.#arm(this.#lcore[0]!), objs, n);
  }

  #getSlow(lc: number): number {
    const obj = this.#getOne(lc);
    if (this.#stats !== null) this.#stats.get(obj !== 0, 1);
    return obj;
  }

  #getOne(lc: number): number {
    // Uncached, straight to a driver that takes single objects (checked first:
    // arming is for the cached path).
    if (lc >= this.#nCaches && !this.#debug) {
      const ops = this.#ops;
      if (ops.dequeueOne !== undefined) return ops.dequeueOne(this);
    }
    const one = this.#one;
    return getThrough(this, this.#ops, this.#arm(lc), one, 1) === 0 ? one[0]! : 0;
  }

  #putSlow(obj: number, lc: number): void {
    if (!(typeof obj === 'number' && obj > 0)) badObject(this, obj, 0);
    if (this.#stats !== null) this.#stats.put(1);
    if (lc >= this.#nCaches && !this.#debug) {
      const ops = this.#ops;
      if (ops.enqueueOne !== undefined) {
        if (ops.enqueueOne(this, obj) !== 0) refused(this, 1);
        return;
      }
    }
    if (this.#debug) checkPut(this, obj);
    const one = this.#one;
    one[0] = obj;
    putThrough(this, this.#ops, this.#arm(lc), one, 1);
  }

  // Lcore lc's cache (null: none), with the fast paths of get/put armed
  // for it when it has one and the pool is not in debug mode.
  #arm(lc: number): ObjCache | null {
    const c = this.#caches.of(lc);
    if (c !== null && !this.#noFast) {
      this.#fastLc = lc;
      this.#fastLen = c.lenWord;
      this.#fastObjs = c.objs;
    } else {
      this.#fastLc = -1;
    }
    return c;
  }

  /**
   * Gets through `cache` (null: straight from the driver). For threads
   * without an lcore, with a cache from {@link Mempool.cacheCreate}.
   * @see rte_mempool_generic_get
   */
  genericGet(out: number[] | Float64Array, n: number, cache: MempoolCache | null): number {
    checkOut(out, n);
    const r = getThrough(this, this.#ops, userCache(this, cache), out, n);
    if (this.#stats !== null) this.#stats.get(r === 0, n);
    return r;
  }

  /** Puts through `cache` (null: straight to the driver). @see rte_mempool_generic_put */
  genericPut(objs: ArrayLike<number>, n: number, cache: MempoolCache | null): void {
    const c = userCache(this, cache);
    checkIn(this, objs, n);
    if (this.#stats !== null) this.#stats.put(n);
    putThrough(this, this.#ops, c, objs, n);
  }

  /**
   * A cache of `size` objects for a thread without an lcore, in shared
   * memory (from the heap). @see rte_mempool_cache_create
   */
  cacheCreate(size: number): MempoolCache {
    int(size, 'cache size', 1, MEMPOOL_CACHE_MAX_SIZE);
    const addr = Heap.of(this.eal).zmalloc(cacheBytes(size), CACHE_LINE_SIZE, this.socketId);
    if (addr === 0) throw new RteError('ENOMEM', `no memory for a mempool cache of ${size} objects`);
    return new MempoolCache(this, addr, size);
  }

  /** Gives everything in `cache` back to the driver. @see rte_mempool_cache_flush */
  cacheFlush(cache: MempoolCache): void {
    cache.check(this);
    if (cacheFlush(this, this.#ops, cache.objCache) !== 0) refused(this, cache.length);
  }

  /* ------------------------------------------------------------------ *
   * Counts, iteration, checks
   * ------------------------------------------------------------------ */

  /** Objects in the driver and in every lcore cache. @see rte_mempool_avail_count */
  availCount(): number {
    const state = this.#core.word(MP_STATE);
    const n = (state >= MP_STATE_ALLOCATED && state !== MP_STATE_FREED ? this.#ops.getCount(this) : 0) + this.#core.cached();
    return n > this.size ? this.size : n;
  }

  /**
   * Objects in each lcore's cache, indexed by lcore id (MAX_LCORE entries;
   * all 0 for a pool without caches). A snapshot: each lcore may be
   * changing its own. @see rte_mempool_dump (cache_count)
   */
  cacheCounts(): Uint32Array {
    const core = this.#core;
    const out = new Uint32Array(MAX_LCORE);
    for (let lc = 0; lc < core.nCaches; lc++) out[lc] = core.cacheLen(lc);
    return out;
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

  /** Statistics summed over every lcore, thread and process; null without `stats`. @see rte_mempool_dump, RTE_LIBRTE_MEMPOOL_STATS */
  stats(): MempoolStats | null {
    return this.#stats === null ? null : this.#stats.read();
  }

  /** Zeroes the statistics (no-op without stats); counting goes on. rtemem's: DPDK has no reset. @see rte_mempool_dump */
  resetStats(): void {
    this.#stats?.reset();
  }

  /** Calls `fn(obj, idx)` for every object; returns how many. @see rte_mempool_obj_iter */
  objIter(fn: (obj: number, idx: number) => void): number {
    return objIter(this, this.#core, fn);
  }

  /** The IOVA of object `obj` (BAD_IOVA when unknown). @see rte_mempool_virt2iova */
  virt2iova(obj: number): bigint {
    return objectIova(this, obj);
  }

  /** True when `obj` is the address of one of this pool's objects (checks its header). */
  isObject(obj: number): boolean {
    return isObjectOf(this, obj);
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
    const state = this.#core.word(MP_STATE);
    if (state < MP_STATE_ALLOCATED || state === MP_STATE_FREED) return { dropped: 0, released: 0 };
    return this.#ops.recover?.(this) ?? { dropped: 0, released: 0 };
  }

  /**
   * Checks the pool and throws EINVAL at the first inconsistency: cache
   * lengths, counts, and (in debug mode) every object's cookies.
   * @see rte_mempool_audit
   */
  audit(): void {
    audit(this, this.#core, this.#ops);
  }

  /** The pool's header, driver, caches per lcore and counts. @see rte_mempool_dump */
  dump(): string {
    return dump(this, this.#core, this.#ops);
  }
}
