/**
 * Mempool statistics, DPDK's RTE_LIBRTE_MEMPOOL_STATS as a run-time option
 * (`Mempool.create(..., { stats: true })`): counters in the pool's header
 * zone, one slot per lcore plus one shared by every thread without an lcore
 * (layout.ts), so that every thread and process counts into, and reads,
 * the same figures. An lcore's slot is only written by its lcore (plain
 * stores); the shared slot with Atomics. A pool without statistics has no
 * slots and its data path never comes here: its get/put fast paths are the
 * same code as before statistics existed.
 *
 * @see struct rte_mempool_debug_stats, RTE_MEMPOOL_STAT_ADD in DPDK rte_mempool.h
 */
import { LCORE_ID_ANY, MAX_LCORE } from '@rtemem/eal-hugepage';
import {
  ST_COUNTERS,
  ST_GET_COMMON_BULK,
  ST_GET_COMMON_OBJS,
  ST_GET_FAIL_BULK,
  ST_GET_FAIL_OBJS,
  ST_GET_SUCCESS_BULK,
  ST_GET_SUCCESS_OBJS,
  ST_PUT_BULK,
  ST_PUT_COMMON_BULK,
  ST_PUT_COMMON_OBJS,
  ST_PUT_OBJS,
  STATS_SLOT_BYTES,
  STATS_SLOTS,
} from './layout.js';
import type { Mempool } from './mempool.js';
import type { MempoolOps } from './ops.js';

/** One lcore's share of a pool's traffic (LCORE_ID_ANY: every thread without an lcore). */
export interface MempoolLcoreStats {
  lcore: number;
  putObjs: number;
  getSuccessObjs: number;
}

/**
 * A pool's statistics, summed over every lcore (and the threads without
 * one), as `rte_mempool_dump` prints them. Objects put back by populating
 * are not counted: only the traffic of get and put calls.
 * @see struct rte_mempool_debug_stats
 */
export interface MempoolStats {
  /** Put calls (put, putBulk, genericPut). */
  putBulk: number;
  /** Objects put. */
  putObjs: number;
  /** Enqueues on the driver (cache flushes, uncached puts). */
  putCommonPoolBulk: number;
  putCommonPoolObjs: number;
  /** Successful dequeues from the driver (cache refills, uncached gets). */
  getCommonPoolBulk: number;
  getCommonPoolObjs: number;
  /** Get calls served, and their objects. */
  getSuccessBulk: number;
  getSuccessObjs: number;
  /** Get calls refused (nothing left), and the objects asked for. */
  getFailBulk: number;
  getFailObjs: number;
  /** Lcores (and LCORE_ID_ANY) with any traffic, by lcore id. */
  perLcore: MempoolLcoreStats[];
}

const TWO32 = 4294967296;

/** One handle's counter of a pool's statistics slots. @internal */
export class StatsCounter {
  readonly #u32: Uint32Array;
  /** Byte offset (in the list) of slot 0. */
  readonly #base: number;
  readonly #lcore: Uint32Array;

  constructor(u32: Uint32Array, base: number, lcoreCell: Uint32Array) {
    this.#u32 = u32;
    this.#base = base;
    this.#lcore = lcoreCell;
  }

  /** Adds n to counter `field` (ST_*) of this thread's slot. */
  add(field: number, n: number): void {
    const lc = this.#lcore[0]!;
    const u32 = this.#u32;
    if (lc < MAX_LCORE) {
      const w = (this.#base + lc * STATS_SLOT_BYTES + field) >> 2;
      const v = u32[w]! + n;
      if (v >= TWO32) {
        u32[w] = v - TWO32;
        u32[w + 1] = u32[w + 1]! + 1;
      } else {
        u32[w] = v;
      }
    } else {
      const w = (this.#base + MAX_LCORE * STATS_SLOT_BYTES + field) >> 2;
      // Atomics.add wraps the low word; the one call that wrapped it carries.
      if (Atomics.add(u32, w, n) + n >= TWO32) Atomics.add(u32, w + 1, 1);
    }
  }

  /** A put call of n objects. */
  put(n: number): void {
    this.add(ST_PUT_BULK, 1);
    this.add(ST_PUT_OBJS, n);
  }

  /** A get call of n objects, served (ok) or refused. */
  get(ok: boolean, n: number): void {
    this.add(ok ? ST_GET_SUCCESS_BULK : ST_GET_FAIL_BULK, 1);
    this.add(ok ? ST_GET_SUCCESS_OBJS : ST_GET_FAIL_OBJS, n);
  }

  #read(slot: number, field: number): number {
    const w = (this.#base + slot * STATS_SLOT_BYTES + field) >> 2;
    return Atomics.load(this.#u32, w + 1) * TWO32 + Atomics.load(this.#u32, w);
  }

  /** The sums over every slot, and the slots with traffic. */
  read(): MempoolStats {
    const s: MempoolStats = {
      putBulk: 0,
      putObjs: 0,
      putCommonPoolBulk: 0,
      putCommonPoolObjs: 0,
      getCommonPoolBulk: 0,
      getCommonPoolObjs: 0,
      getSuccessBulk: 0,
      getSuccessObjs: 0,
      getFailBulk: 0,
      getFailObjs: 0,
      perLcore: [],
    };
    for (let slot = 0; slot < STATS_SLOTS; slot++) {
      const r = (f: number) => this.#read(slot, f);
      const put = r(ST_PUT_OBJS);
      const got = r(ST_GET_SUCCESS_OBJS);
      s.putBulk += r(ST_PUT_BULK);
      s.putObjs += put;
      s.putCommonPoolBulk += r(ST_PUT_COMMON_BULK);
      s.putCommonPoolObjs += r(ST_PUT_COMMON_OBJS);
      s.getCommonPoolBulk += r(ST_GET_COMMON_BULK);
      s.getCommonPoolObjs += r(ST_GET_COMMON_OBJS);
      s.getSuccessBulk += r(ST_GET_SUCCESS_BULK);
      s.getSuccessObjs += got;
      s.getFailBulk += r(ST_GET_FAIL_BULK);
      s.getFailObjs += r(ST_GET_FAIL_OBJS);
      let any = false;
      for (let f = 0; f < ST_COUNTERS && !any; f++) any = r(f * 8) !== 0;
      if (any) s.perLcore.push({ lcore: slot < MAX_LCORE ? slot : LCORE_ID_ANY, putObjs: put, getSuccessObjs: got });
    }
    return s;
  }

  /** Zeroes every slot (each word atomically; counting may go on meanwhile). */
  reset(): void {
    const w0 = this.#base >> 2;
    for (let w = w0; w < w0 + (STATS_SLOTS * STATS_SLOT_BYTES) / 4; w++) Atomics.store(this.#u32, w, 0);
  }
}

/** The driver as a pool's data path calls it: `ops` itself, or counted when the pool has statistics. */
export function countedOps(ops: MempoolOps, st: StatsCounter | null): MempoolOps {
  return st === null ? ops : countingOps(ops, st);
}

/**
 * `ops` with its enqueues and dequeues counted as the common pool's
 * (put_common_pool_*, get_common_pool_*); everything else is `ops`' own.
 * Only pools with statistics use it.
 * @see rte_mempool_ops_enqueue_bulk, rte_mempool_ops_dequeue_bulk in DPDK rte_mempool.h
 */
export function countingOps(ops: MempoolOps, st: StatsCounter): MempoolOps {
  const w = Object.create(ops) as MempoolOps;
  // The driver's own calls run on the driver itself (a class instance with
  // private fields would not accept the wrapper as `this`).
  w.alloc = ops.alloc.bind(ops);
  w.free = ops.free.bind(ops);
  w.getCount = ops.getCount.bind(ops);
  if (ops.recover !== undefined) w.recover = ops.recover.bind(ops);
  w.enqueue = (mp: Mempool, objs: ArrayLike<number>, n: number): number => {
    const r = ops.enqueue(mp, objs, n);
    if (r === 0) {
      st.add(ST_PUT_COMMON_BULK, 1);
      st.add(ST_PUT_COMMON_OBJS, n);
    }
    return r;
  };
  w.dequeue = (mp: Mempool, out: number[] | Float64Array, n: number): number => {
    const r = ops.dequeue(mp, out, n);
    if (r === 0) {
      st.add(ST_GET_COMMON_BULK, 1);
      st.add(ST_GET_COMMON_OBJS, n);
    }
    return r;
  };
  if (ops.enqueueOne !== undefined) {
    const one = ops.enqueueOne.bind(ops);
    w.enqueueOne = (mp: Mempool, obj: number): number => {
      const r = one(mp, obj);
      if (r === 0) {
        st.add(ST_PUT_COMMON_BULK, 1);
        st.add(ST_PUT_COMMON_OBJS, 1);
      }
      return r;
    };
  }
  if (ops.dequeueOne !== undefined) {
    const one = ops.dequeueOne.bind(ops);
    w.dequeueOne = (mp: Mempool): number => {
      const obj = one(mp);
      if (obj !== 0) {
        st.add(ST_GET_COMMON_BULK, 1);
        st.add(ST_GET_COMMON_OBJS, 1);
      }
      return obj;
    };
  }
  return w;
}
