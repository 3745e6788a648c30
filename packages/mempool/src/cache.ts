/**
 * Object caches, as DPDK's struct rte_mempool_cache: a length word, then up
 * to `size` objects, a LIFO, in shared memory. Every lcore has one in the
 * pool's zone MP_<name> (for the pools created with a cache); a thread
 * without an lcore can make its own from the heap ({@link MempoolCache}).
 * Both go through the one algorithm here, current DPDK's without the old
 * 1.5x oversizing:
 *
 * - a get takes from the top; when the cache holds fewer than asked, it is
 *   first refilled by half a cache from the driver (or by exactly what is
 *   missing when the driver has less);
 * - a put goes onto the top; when that would overflow, the oldest half goes
 *   to the driver first;
 * - requests bigger than half a cache, and every request of a thread
 *   without a cache, go straight to the driver (getThrough / putThrough
 *   choose).
 *
 * Nothing allocates on these paths: a refill lands in the cache's scratch
 * and a flush leaves through its view, both made once per cache handle.
 * The pool's get/put/getBulk/putBulk inline the plain case of cacheGet and
 * cachePut for the lcore caches (see mempool.ts for why).
 *
 * @see rte_mempool_do_generic_get, rte_mempool_do_generic_put in DPDK rte_mempool.h;
 * rte_mempool_cache_create, rte_mempool_cache_flush in rte_mempool.c
 */
import { ENOENT, type MemsegListMap, RteError } from '@rtemem/eal-hugepage';
import { Heap } from '@rtemem/malloc-heap';
import type { PoolCore } from './core.js';
import { checkGot } from './debug.js';
import { CACHE_LEN, CACHE_OBJS } from './layout.js';
import type { Mempool } from './mempool.js';
import type { MempoolOps } from './ops.js';

/**
 * One handle's view of one cache in shared memory: an lcore's, or a user's
 * (held by its {@link MempoolCache}).
 * @internal
 */
export class ObjCache {
  /** @internal Word views of the memseg list the cache lies in. */
  readonly u32: Uint32Array;
  /** @internal */
  readonly f64: Float64Array;
  /** @internal u32 index of the length word. */
  readonly lenWord: number;
  /** @internal f64 index of the first (oldest) object. */
  readonly objs: number;
  /** @internal Objects it can hold. */
  readonly size: number;
  /** @internal How much one refill or flush moves: half a cache, at least 1. */
  readonly half: number;
  /** @internal A view over the objects: what a flush hands the driver. */
  readonly view: Float64Array;
  /** @internal Where a refill lands before it is copied above the cached objects. */
  readonly scratch: Float64Array;

  /** @internal The cache of `size` objects at byte offset `off` of `list`. */
  constructor(list: MemsegListMap, off: number, size: number) {
    this.u32 = list.u32;
    this.f64 = list.f64;
    this.lenWord = (off + CACHE_LEN) >> 2;
    this.objs = (off + CACHE_OBJS) >> 3;
    this.size = size;
    this.half = Math.max(1, size >> 1);
    this.view = new Float64Array(list.sab, off + CACHE_OBJS, size);
    this.scratch = new Float64Array(this.half);
  }
}

// The copies, unrolled by 8 (V8 runs them about twice as fast that way).

/**
 * Copies n objects from the top of a cache (f64 index `top` down) to out:
 * the newest first.
 * @internal
 */
export function popTop(f: Float64Array, top: number, out: number[] | Float64Array, n: number): void {
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
 * Copies objs[0..n) to f from `at` (objects already checked to be
 * addresses).
 * @internal
 */
export function pushUp(f: Float64Array, at: number, objs: ArrayLike<number>, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const d = at + i;
    f[d] = objs[i]!;
    f[d + 1] = objs[i + 1]!;
    f[d + 2] = objs[i + 2]!;
    f[d + 3] = objs[i + 3]!;
    f[d + 4] = objs[i + 4]!;
    f[d + 5] = objs[i + 5]!;
    f[d + 6] = objs[i + 6]!;
    f[d + 7] = objs[i + 7]!;
  }
  for (; i < n; i++) f[at + i] = objs[i]!;
}

/**
 * pushUp that also returns the smallest object (NaN when one is NaN), for
 * putBulk's fast path to check that every object is an address (> 0)
 * before it moves the cache's length: there, Math.min costs less than a
 * check of its own before the copy.
 * @internal
 */
export function pushAt(f: Float64Array, at: number, objs: ArrayLike<number>, n: number): number {
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

/**
 * A handle's views of a pool's lcore caches (in MP_<name>, one per lcore),
 * each made on its lcore's first use.
 * @internal
 */
export class LcoreCaches {
  readonly #core: PoolCore;
  readonly #views: (ObjCache | undefined)[] = [];

  constructor(core: PoolCore) {
    this.#core = core;
  }

  /** Lcore `lc`'s cache; null when it has none (no lcore, or a pool without caches). */
  of(lc: number): ObjCache | null {
    if (lc >= this.#core.nCaches) return null;
    let c = this.#views[lc];
    if (c === undefined) {
      c = new ObjCache(this.#core.list, this.#core.cacheOffset(lc), this.#core.cacheSize);
      this.#views[lc] = c;
    }
    return c;
  }
}

/**
 * Gets n objects through cache `c` when there is one and n is at most half
 * of it, else straight from the driver: 0, or -ENOENT (nothing moves then).
 * A debug pool checks each object's cookie.
 * @internal
 */
export function getThrough(mp: Mempool, ops: MempoolOps, c: ObjCache | null, out: number[] | Float64Array, n: number): number {
  let r: number;
  if (c !== null && n <= c.half) r = cacheGet(mp, ops, c, out, n);
  else if (n === 0) return 0;
  else r = ops.dequeue(mp, out, n) === 0 ? 0 : -ENOENT;
  if (r === 0 && mp.debug) for (let i = 0; i < n; i++) checkGot(mp, out[i]!);
  return r;
}

/**
 * Puts n objects (every one an address: the caller checked) through cache
 * `c` when there is one and n is at most half of it, else straight to the
 * driver. Throws ENOBUFS when the driver refuses them (nothing moves then).
 * @internal
 */
export function putThrough(mp: Mempool, ops: MempoolOps, c: ObjCache | null, objs: ArrayLike<number>, n: number): void {
  const r = c !== null && n <= c.half ? cachePut(mp, ops, c, objs, n) : n === 0 ? 0 : ops.enqueue(mp, objs, n);
  if (r !== 0) refused(mp, n);
}

/** The driver refused objects: only when more were put back than the pool holds. @internal */
export function refused(mp: Mempool, n: number): never {
  throw new RteError('ENOBUFS', `mempool ${mp.name}: the driver refused ${n === 1 ? 'an object' : 'objects'}: more were put back than the pool holds`);
}

/** The cache given to genericGet/genericPut, checked before anything moves (EINVAL). @internal */
export function userCache(mp: Mempool, cache: MempoolCache | null): ObjCache | null {
  if (cache === null) return null;
  if (!(cache instanceof MempoolCache)) throw new RteError('EINVAL', `a mempool cache comes from cacheCreate(), or is null: not ${typeof cache}`);
  cache.check(mp);
  return cache.objCache;
}

/**
 * Gets n (at most c.half) objects through cache `c`: 0, or -ENOENT when
 * the cache and the driver together hold fewer (nothing moves then).
 * @internal
 */
export function cacheGet(mp: Mempool, ops: MempoolOps, c: ObjCache, out: number[] | Float64Array, n: number): number {
  const f64 = c.f64;
  let len = c.u32[c.lenWord]!;
  if (len < n) {
    // Refill above what the cache holds: half a cache, or exactly what is
    // missing when the driver has less.
    const scratch = c.scratch;
    let want = c.half;
    if (ops.dequeue(mp, scratch, want) !== 0) {
      want = n - len;
      if (ops.dequeue(mp, scratch, want) !== 0) return -ENOENT;
    }
    const at = c.objs + len;
    for (let i = 0; i < want; i++) f64[at + i] = scratch[i]!;
    len += want;
  }
  popTop(f64, c.objs + len - 1, out, n);
  c.u32[c.lenWord] = len - n;
  return 0;
}

/**
 * Puts n (at most c.half) objects, every one an address (the caller
 * checked), through cache `c`: 0, or the driver's negated errno when it
 * refused the flush (nothing moves then).
 * @internal
 */
export function cachePut(mp: Mempool, ops: MempoolOps, c: ObjCache, objs: ArrayLike<number>, n: number): number {
  let len = c.u32[c.lenWord]!;
  if (len + n > c.size) {
    const half = c.half;
    const r = ops.enqueue(mp, c.view, half);
    if (r !== 0) return r;
    c.view.copyWithin(0, half, len);
    len -= half;
  }
  pushUp(c.f64, c.objs + len, objs, n);
  c.u32[c.lenWord] = len + n;
  return 0;
}

/**
 * Gives everything in cache `c` to the driver: 0, or the driver's negated
 * errno (the cache keeps its objects then).
 * @internal
 */
export function cacheFlush(mp: Mempool, ops: MempoolOps, c: ObjCache): number {
  const len = c.u32[c.lenWord]!;
  if (len === 0) return 0;
  const r = ops.enqueue(mp, c.view, len);
  if (r === 0) c.u32[c.lenWord] = 0;
  return r;
}

/**
 * A mempool cache owned by a thread without an lcore, in shared memory
 * (a heap block). Get and put through it with
 * {@link Mempool.genericGet} / {@link Mempool.genericPut}.
 * @see struct rte_mempool_cache, rte_mempool_cache_create
 */
export class MempoolCache {
  readonly #mp: Mempool;
  /** Address of the cache in shared memory. */
  readonly addr: number;
  /** Objects it can hold. */
  readonly size: number;
  /**
   * @internal This handle's view of the cache. Not a base class: the cache
   * algorithm then sees one kind of object for lcore and user caches alike
   * (as a subclass, genericGet+genericPut through a cache measured 13%
   * slower: V8's property accesses there became polymorphic).
   */
  readonly objCache: ObjCache;
  #freed = false;

  /** Use {@link Mempool.cacheCreate}: this wraps a block it allocated at `addr`. */
  constructor(mp: Mempool, addr: number, size: number) {
    const list = mp.eal.listOf(addr)!;
    this.#mp = mp;
    this.addr = addr;
    this.size = size;
    this.objCache = new ObjCache(list, addr - list.baseAddr, size);
  }

  /** Objects in the cache. */
  get length(): number {
    const c = this.objCache;
    return c.u32[c.lenWord]!;
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
