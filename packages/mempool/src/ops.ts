/**
 * Mempool drivers ("ops"): where a pool keeps the objects its caches do not
 * hold. A driver is a JS object registered by name in every thread and
 * process that uses it; the pool records only the name in shared memory, so
 * registration order never matters (unlike DPDK's ops index).
 *
 * Built in: rings in every sync mode and stacks, as DPDK's
 * drivers/mempool/ring and drivers/mempool/stack.
 *
 * @see rte_mempool_ops, rte_mempool_register_ops in DPDK
 */
import { alignPow2, ENOBUFS, ENOENT, RteError } from '@rtemem/eal-hugepage';
import {
  Ring,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  Stack,
  STACK_F_LF,
} from '@rtemem/ring';
import type { Mempool } from './mempool.js';
import { MEMPOOL_F_SC_GET, MEMPOOL_F_SP_PUT, MEMPOOL_MZ_PREFIX } from './layout.js';

/**
 * A driver, as DPDK's rte_mempool_ops: one JS object per driver name.
 * `enqueue` and `dequeue` move all `n` objects or none.
 */
export interface MempoolOps {
  name: string;
  /** Sets up the driver's shared state for `mp` (e.g. a Ring) and records it in `mp.poolData`. */
  alloc(mp: Mempool): void;
  /** Releases the driver's shared state. */
  free(mp: Mempool): void;
  /** Stores objs[0..n): 0, or a negated errno. */
  enqueue(mp: Mempool, objs: ArrayLike<number>, n: number): number;
  /** Takes n objects into out: 0, or -ENOENT when there are fewer. */
  dequeue(mp: Mempool, out: number[] | Float64Array, n: number): number;
  /** Objects the driver holds. */
  getCount(mp: Mempool): number;
  /** Optional: one object, or 0 when empty (an uncached get without an array). */
  dequeueOne?(mp: Mempool): number;
  /** Optional: stores one object: 0, or a negated errno. */
  enqueueOne?(mp: Mempool, obj: number): number;
  /**
   * Optional: makes the driver's state whole after a process died in the
   * middle of an enqueue or dequeue (called with every other user stopped).
   * Returns the objects given up: claimed by a dying putter (lost with it)
   * or by a dying getter (handed to it).
   */
  recover?(mp: Mempool): { dropped: number; released: number };
}

const registry = new Map<string, MempoolOps>();

/**
 * Registers a driver in this thread (do it in every thread and process that
 * uses pools of it). Throws EINVAL for a malformed driver, EEXIST for a name
 * taken by another driver object. @see rte_mempool_register_ops
 */
export function registerOps(ops: MempoolOps): void {
  if (ops === null || typeof ops !== 'object' || typeof ops.name !== 'string' || ops.name.length === 0 || Buffer.byteLength(ops.name) > 31) {
    throw new RteError('EINVAL', 'a mempool driver needs a name of 1 to 31 bytes');
  }
  for (const fn of ['alloc', 'free', 'enqueue', 'dequeue', 'getCount'] as const) {
    if (typeof ops[fn] !== 'function') throw new RteError('EINVAL', `mempool driver ${ops.name} has no ${fn} function`);
  }
  const have = registry.get(ops.name);
  if (have !== undefined && have !== ops) throw new RteError('EEXIST', `a mempool driver named ${ops.name} is registered already`);
  registry.set(ops.name, ops);
}

/** The driver named `name` in this thread, or undefined. */
export function findOps(name: string): MempoolOps | undefined {
  return registry.get(name);
}

/** The driver a pool created with `flags` gets unless told otherwise: ring_mp_mc, or ring_sp_* / ring_*_sc for SP_PUT / SC_GET. */
export function defaultOpsName(flags: number): string {
  const sp = (flags & MEMPOOL_F_SP_PUT) !== 0;
  const sc = (flags & MEMPOOL_F_SC_GET) !== 0;
  return sp && sc ? 'ring_sp_sc' : sp ? 'ring_sp_mc' : sc ? 'ring_mp_sc' : 'ring_mp_mc';
}

/** Names of the drivers registered in this thread. */
export function opsNames(): string[] {
  return [...registry.keys()];
}

/* ------------------------------------------------------------------ *
 * Ring drivers
 * ------------------------------------------------------------------ */

// The per-handle Ring of a pool, attached from pool_data on first use.
function ringOf(mp: Mempool): Ring {
  let r = mp.opsState as Ring | undefined;
  if (r === undefined) {
    const list = mp.eal.listOf(mp.poolData);
    if (list === undefined) throw new RteError('EINVAL', `mempool ${mp.name}: its driver's ring is not mapped here`);
    r = Ring.attach(list.sab, mp.poolData - list.baseAddr);
    mp.opsState = r;
  }
  return r;
}

function ringOps(name: string, flags: number): MempoolOps {
  return {
    name,
    alloc(mp) {
      const ring = Ring.create(mp.eal, MEMPOOL_MZ_PREFIX + mp.name, alignPow2(mp.size + 1), mp.socketId, flags);
      mp.poolData = ring.memzone!.addr;
      mp.opsState = ring;
    },
    free(mp) {
      const r = Ring.lookup(mp.eal, MEMPOOL_MZ_PREFIX + mp.name);
      r?.free();
      mp.opsState = undefined;
    },
    enqueue(mp, objs, n) {
      // One object (an uncached put) takes the ring's single-object path.
      if (n === 1) return ringOf(mp).enqueue(objs[0]!) === 0 ? 0 : -ENOBUFS;
      return ringOf(mp).enqueueBulk(objs, n) === n ? 0 : -ENOBUFS;
    },
    dequeue(mp, out, n) {
      if (n === 1) {
        const obj = ringOf(mp).dequeue();
        if (obj === undefined) return -ENOENT;
        out[0] = obj;
        return 0;
      }
      return ringOf(mp).dequeueBulk(out, n) === n ? 0 : -ENOENT;
    },
    getCount(mp) {
      return ringOf(mp).count();
    },
    dequeueOne(mp) {
      return ringOf(mp).dequeue() ?? 0;
    },
    enqueueOne(mp, obj) {
      return ringOf(mp).enqueue(obj);
    },
    recover(mp) {
      // The ring publishes the dead putter's slots as NaN and releases the
      // dead getter's; then the NaNs go: every object left is whole.
      const r = ringOf(mp);
      const fixed = r.recover(Number.NaN);
      if (fixed.published !== 0) {
        const all: number[] = [];
        r.dequeueBurst(all, r.capacity);
        const objs = all.filter((o) => !Number.isNaN(o));
        if (objs.length > 0) r.enqueueBulk(objs, objs.length);
      }
      return { dropped: fixed.published, released: fixed.released };
    },
  };
}

/* ------------------------------------------------------------------ *
 * Stack drivers
 * ------------------------------------------------------------------ */

function stackOf(mp: Mempool): Stack {
  let s = mp.opsState as Stack | undefined;
  if (s === undefined) {
    const found = Stack.lookup(mp.eal, MEMPOOL_MZ_PREFIX + mp.name);
    if (found === null) throw new RteError('EINVAL', `mempool ${mp.name}: its driver's stack is gone`);
    s = found;
    mp.opsState = s;
  }
  return s;
}

function stackOps(name: string, flags: number): MempoolOps {
  return {
    name,
    alloc(mp) {
      const stack = Stack.create(mp.eal, MEMPOOL_MZ_PREFIX + mp.name, mp.size, mp.socketId, flags);
      mp.poolData = stack.memzone.addr;
      mp.opsState = stack;
    },
    free(mp) {
      Stack.lookup(mp.eal, MEMPOOL_MZ_PREFIX + mp.name)?.free();
      mp.opsState = undefined;
    },
    enqueue(mp, objs, n) {
      return stackOf(mp).push(objs, n) === n ? 0 : -ENOBUFS;
    },
    dequeue(mp, out, n) {
      return stackOf(mp).pop(out, n) === n ? 0 : -ENOENT;
    },
    getCount(mp) {
      return stackOf(mp).count();
    },
  };
}

for (const ops of [
  ringOps('ring_mp_mc', 0),
  ringOps('ring_sp_sc', RING_F_SP_ENQ | RING_F_SC_DEQ),
  ringOps('ring_mp_sc', RING_F_SC_DEQ),
  ringOps('ring_sp_mc', RING_F_SP_ENQ),
  ringOps('ring_mt_rts', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ),
  ringOps('ring_mt_hts', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ),
  stackOps('stack', 0),
  stackOps('lf_stack', STACK_F_LF),
]) {
  registerOps(ops);
}
