/**
 * What a pool is and what it holds, read from its header: the base of the
 * class chain that makes {@link Mempool} (see mempool.ts). Header
 * properties, counts (available, in use, per-lcore cache fill),
 * statistics, iteration over objects and memory, an object's IOVA and
 * owner, audit and dump. It also holds the handle state the whole chain
 * shares: the header view (core.ts), the driver and the statistics counter.
 *
 * @see lib/mempool/rte_mempool.c (rte_mempool_avail_count, rte_mempool_in_use_count,
 * rte_mempool_obj_iter, rte_mempool_mem_iter, rte_mempool_audit, rte_mempool_dump) and rte_mempool.h in DPDK
 */
import { type Eal, MAX_LCORE } from '@rtemem/eal-hugepage';
import type { Memzone } from '@rtemem/memzone';
import { PoolCore } from './core.js';
import { audit, dump } from './debug.js';
import { isObjectOf, objectIova } from './element.js';
import {
  MP_ELT_SIZE,
  MP_FLAGS,
  MP_HEADER_SIZE,
  MP_NAME,
  MP_NAME_LEN,
  MP_OPS_NAME,
  MP_OPS_NAME_LEN,
  MP_PRIV_OFF,
  MP_PRIV_SIZE,
  MP_SIZE,
  MP_SOCKET,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_FREED,
  MP_STATS,
  MP_STATS_OFF,
  MP_TRAILER_SIZE,
} from './layout.js';
import type { Mempool } from './mempool.js';
import { type MempoolOps, resolveOps } from './ops.js';
import { memIter, objIter } from './populate.js';
import { countedOps, type MempoolStats, StatsCounter } from './stats.js';

/**
 * A pool's header properties, counts, statistics, iteration and checks:
 * the first class of the chain that makes {@link Mempool}.
 */
export class MempoolInfo {
  /** The EAL handle this pool handle belongs to. */
  readonly eal: Eal;
  /** The memzone MP_<name> holding the header, caches and private area. */
  readonly memzone: Memzone;
  /** Per-handle state of the driver (e.g. its Ring handle); drivers may use it. */
  opsState: unknown = undefined;

  /** One handle's view of the header (core.ts). @internal */
  protected readonly core: PoolCore;
  /** The driver as the data path calls it (counted when the pool has stats). @internal */
  protected ops: MempoolOps;
  /** The driver itself: populating and freeing. @internal */
  protected baseOps: MempoolOps;
  /** Statistics counter, null for a pool without stats. @internal */
  protected readonly counter: StatsCounter | null;
  /* Read by `debug`, which the uncached bulk path asks on every call. */
  readonly #debug: boolean;

  /** @internal */
  protected constructor(eal: Eal, mz: Memzone) {
    this.eal = eal;
    this.memzone = mz;
    const list = eal.listOf(mz.addr)!;
    const core = new PoolCore(list, mz.addr - list.baseAddr);
    this.core = core;
    this.#debug = core.debug;
    this.counter = core.word(MP_STATS) !== 0 ? new StatsCounter(list.u32, core.base + core.word(MP_STATS_OFF), eal.lcoreCell) : null;
    this.baseOps = resolveOps(this.opsName, this.name);
    this.ops = countedOps(this.baseOps, this.counter);
  }

  /**
   * This handle as the Mempool it is (Mempool, the end of the chain, is
   * the only class of it that is ever made), for the helpers and drivers
   * that take one. @internal
   */
  protected get mp(): Mempool {
    return this as unknown as Mempool;
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  get name(): string {
    return this.core.list.readString(this.core.base + MP_NAME, MP_NAME_LEN);
  }
  /** Objects in the pool. */
  get size(): number {
    return this.core.word(MP_SIZE);
  }
  get cacheSize(): number {
    return this.core.cacheSize;
  }
  get eltSize(): number {
    return this.core.word(MP_ELT_SIZE);
  }
  get headerSize(): number {
    return this.core.word(MP_HEADER_SIZE);
  }
  get trailerSize(): number {
    return this.core.word(MP_TRAILER_SIZE);
  }
  get privateDataSize(): number {
    return this.core.word(MP_PRIV_SIZE);
  }
  get flags(): number {
    return this.core.word(MP_FLAGS);
  }
  get socketId(): number {
    return this.core.list.i32[(this.core.base + MP_SOCKET) >> 2]!;
  }
  /** The driver's name. */
  get opsName(): string {
    return this.core.list.readString(this.core.base + MP_OPS_NAME, MP_OPS_NAME_LEN);
  }
  /** True when cookies are checked on every get and put. */
  get debug(): boolean {
    return this.#debug;
  }

  /** Address of the pool's private area (privateDataSize bytes). @see rte_mempool_get_priv */
  privateData(): number {
    return this.memzone.addr + this.core.word(MP_PRIV_OFF);
  }

  /* ------------------------------------------------------------------ *
   * Counts, iteration, checks
   * ------------------------------------------------------------------ */

  /** Objects in the driver and in every lcore cache. @see rte_mempool_avail_count */
  availCount(): number {
    const state = this.core.word(MP_STATE);
    const n = (state >= MP_STATE_ALLOCATED && state !== MP_STATE_FREED ? this.ops.getCount(this.mp) : 0) + this.core.cached();
    return n > this.size ? this.size : n;
  }

  /**
   * Objects in each lcore's cache, indexed by lcore id (MAX_LCORE entries;
   * all 0 for a pool without caches). A snapshot: each lcore may be
   * changing its own. @see rte_mempool_dump (cache_count)
   */
  cacheCounts(): Uint32Array {
    const core = this.core;
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
    return this.counter === null ? null : this.counter.read();
  }

  /** Zeroes the statistics (no-op without stats); counting goes on. rtemem's: DPDK has no reset. @see rte_mempool_dump */
  resetStats(): void {
    this.counter?.reset();
  }

  /** Calls `fn(obj, idx)` for every object; returns how many. @see rte_mempool_obj_iter */
  objIter(fn: (obj: number, idx: number) => void): number {
    return objIter(this.mp, this.core, fn);
  }

  /** Calls `fn(addr, len, iova)` per memory chunk, in order; returns how many. @see rte_mempool_mem_iter */
  memIter(fn: (addr: number, len: number, iova: bigint) => void): number {
    return memIter(this.core, fn);
  }

  /** The IOVA of object `obj` (BAD_IOVA when unknown). @see rte_mempool_virt2iova */
  virt2iova(obj: number): bigint {
    return objectIova(this.mp, obj);
  }

  /** True when `obj` is the address of one of this pool's objects (checks its header). */
  isObject(obj: number): boolean {
    return isObjectOf(this.mp, obj);
  }

  /**
   * Checks the pool and throws EINVAL at the first inconsistency: cache
   * lengths, counts, and (in debug mode) every object's cookies.
   * @see rte_mempool_audit
   */
  audit(): void {
    audit(this.mp, this.core, this.ops);
  }

  /** The pool's header, driver, caches per lcore and counts. @see rte_mempool_dump */
  dump(): string {
    return dump(this.mp, this.core, this.ops);
  }
}
