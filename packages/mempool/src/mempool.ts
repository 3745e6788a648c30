/**
 * rte_mempool in shared memory: a fixed set of equal-sized objects with
 * per-lcore caches in front of a swappable driver, shared by every thread
 * and process of an EAL. This is the facade, and the get/put data path.
 * Its methods come from a chain of classes, one concept per file, each
 * extending the one before (as Mbuf's, see @rtemem/mbuf's mbuf.ts):
 *
 * ```
 * info.ts     MempoolInfo   header properties, counts, stats, iteration, audit, dump
 * setup.ts    MempoolSetup  create / lookup / walk / free, driver, populate, recover
 * mempool.ts  Mempool       get / put / bulk / generic get and put, user caches
 * ```
 *
 * The data path stays here, in the class that is made, with its own copies
 * of what it reads: it is the hot path, written for V8 to inline whole (see
 * "Get and put" below). The header view is in core.ts, the cache rule in
 * cache.ts, a pool's life in create.ts, populating in populate.ts, cookies,
 * audit and dump in debug.ts, drivers in ops.ts, every offset in layout.ts.
 *
 * @see lib/mempool/rte_mempool.c, rte_mempool.h in DPDK
 */
import { CACHE_LINE_SIZE, type Eal, RteError } from '@rtemem/eal-hugepage';
import { Heap } from '@rtemem/malloc-heap';
import type { Memzone } from '@rtemem/memzone';
import { cacheFlush, getThrough, LcoreCaches, MempoolCache, type ObjCache, popTop, pushAt, putThrough, refused, userCache } from './cache.js';
import { badObject, checkIn, checkOut, int } from './check.js';
import { setHandleMaker } from './create.js';
import { checkPut } from './debug.js';
import { cacheBytes, MEMPOOL_CACHE_MAX_SIZE } from './layout.js';
import { MempoolSetup } from './setup.js';

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
export class Mempool extends MempoolSetup {
  /* The data path's own copies (one load fewer per call than through the core). */
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #lcore: Uint32Array;
  readonly #cacheSize: number;
  readonly #half: number;
  /** Lcores with a cache: MAX_LCORE, or 0 when the pool has none. */
  readonly #nCaches: number;
  readonly #debug: boolean;
  /** Debug or stats: every call takes the slow path, where they are checked and counted. */
  readonly #noFast: boolean;
  /* get/put fast path: the lcore whose cache it serves (-1: none yet, or no
   * cache), the u32 index of that cache's length, the f64 index of its objects. */
  #fastLc = -1;
  #fastLen = 0;
  #fastObjs = 0;
  readonly #caches: LcoreCaches;
  /** Scratch for single-object driver calls: no garbage. */
  readonly #one = new Float64Array(1);

  private constructor(eal: Eal, mz: Memzone) {
    super(eal, mz);
    const core = this.core;
    this.#caches = new LcoreCaches(core);
    this.#u32 = core.u32;
    this.#f64 = core.f64;
    this.#lcore = eal.lcoreCell;
    this.#cacheSize = core.cacheSize;
    this.#half = Math.max(1, core.cacheSize >> 1);
    this.#nCaches = core.nCaches;
    this.#debug = core.debug;
    this.#noFast = this.#debug || this.counter !== null;
  }

  static {
    setHandleMaker((eal, mz) => new Mempool(eal, mz));
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
    const r = getThrough(this, this.ops, this.#arm(this.#lcore[0]!), out, n);
    if (this.counter !== null) this.counter.get(r === 0, n);
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
    if (this.counter !== null) this.counter.put(n);
    putThrough(this, this.ops, this.#arm(this.#lcore[0]!), objs, n);
  }

  #getSlow(lc: number): number {
    const obj = this.#getOne(lc);
    if (this.counter !== null) this.counter.get(obj !== 0, 1);
    return obj;
  }

  #getOne(lc: number): number {
    // Uncached, straight to a driver that takes single objects (checked first:
    // arming is for the cached path).
    if (lc >= this.#nCaches && !this.#debug) {
      const ops = this.ops;
      if (ops.dequeueOne !== undefined) return ops.dequeueOne(this);
    }
    const one = this.#one;
    return getThrough(this, this.ops, this.#arm(lc), one, 1) === 0 ? one[0]! : 0;
  }

  #putSlow(obj: number, lc: number): void {
    if (!(typeof obj === 'number' && obj > 0)) badObject(this, obj, 0);
    if (this.counter !== null) this.counter.put(1);
    if (lc >= this.#nCaches && !this.#debug) {
      const ops = this.ops;
      if (ops.enqueueOne !== undefined) {
        if (ops.enqueueOne(this, obj) !== 0) refused(this, 1);
        return;
      }
    }
    if (this.#debug) checkPut(this, obj);
    const one = this.#one;
    one[0] = obj;
    putThrough(this, this.ops, this.#arm(lc), one, 1);
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
    const r = getThrough(this, this.ops, userCache(this, cache), out, n);
    if (this.counter !== null) this.counter.get(r === 0, n);
    return r;
  }

  /** Puts through `cache` (null: straight to the driver). @see rte_mempool_generic_put */
  genericPut(objs: ArrayLike<number>, n: number, cache: MempoolCache | null): void {
    const c = userCache(this, cache);
    checkIn(this, objs, n);
    if (this.counter !== null) this.counter.put(n);
    putThrough(this, this.ops, c, objs, n);
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
    if (cacheFlush(this, this.ops, cache.objCache) !== 0) refused(this, cache.length);
  }
}
