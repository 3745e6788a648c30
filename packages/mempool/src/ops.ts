/**
 * Mempool drivers ("ops"): where a pool keeps the objects its caches do not
 * hold. A driver is a JS object registered by name in every thread and
 * process that uses it; the pool records only the name in shared memory, so
 * registration order never matters (unlike DPDK's ops index).
 *
 * Built in: rings in every sync mode and stacks, as DPDK's
 * drivers/mempool/ring and drivers/mempool/stack; and the same rings run by
 * @rtemem/ring-wasm (`ring_*_wasm`: same ring layout, head/tail moves in
 * WebAssembly).
 *
 * @see rte_mempool_ops, rte_mempool_register_ops in DPDK
 */
import { alignPow2, ENOBUFS, ENOENT, RteError, wasmMemoryOf } from '@rtemem/eal-hugepage';
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
import { WasmRing } from '@rtemem/ring-wasm';
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
 * Which ring implementation the default drivers use (a pool created without
 * `ops`): the wasm ring, which the mempool benchmark measured faster
 * (bench/suites/mempool.mjs, "no cache" cases: its peers are both
 * drivers), unless `RTEMEM_RING_IMPL=js`. Where a pool's ring is not in a
 * WebAssembly memory the wasm drivers run the JS ring on it (same layout).
 */
export const DEFAULT_RING_IMPL: 'js' | 'wasm' = process.env.RTEMEM_RING_IMPL === 'js' ? 'js' : 'wasm';

/** The default driver of a pool with these SP_PUT / SC_GET choices. */
export function defaultRingOps(sp: boolean, sc: boolean): string {
  const base = sp && sc ? 'ring_sp_sc' : sp ? 'ring_sp_mc' : sc ? 'ring_mp_sc' : 'ring_mp_mc';
  return DEFAULT_RING_IMPL === 'wasm' ? `${base}_wasm` : base;
}

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

/** The driver `name` that pool `pool` records, as registered in this thread; ENOENT when it is not. */
export function resolveOps(name: string, pool: string): MempoolOps {
  const ops = findOps(name);
  if (ops === undefined) {
    throw new RteError('ENOENT', `mempool ${pool} uses driver ${JSON.stringify(name)}, which is not registered in this thread: call registerOps() here too`);
  }
  return ops;
}

/**
 * The driver a pool created with `flags` gets unless told otherwise:
 * ring_mp_mc, or ring_sp_* / ring_*_sc for SP_PUT / SC_GET, on the ring
 * implementation DEFAULT_RING_IMPL names.
 */
export function defaultOpsName(flags: number): string {
  return defaultRingOps((flags & MEMPOOL_F_SP_PUT) !== 0, (flags & MEMPOOL_F_SC_GET) !== 0);
}

/** Names of the drivers registered in this thread. */
export function opsNames(): string[] {
  return [...registry.keys()];
}

/* ------------------------------------------------------------------ *
 * Ring drivers
 * ------------------------------------------------------------------ */

// The per-handle Ring of a pool, attached from pool_data on first use: a
// JS Ring, or for the wasm drivers a WasmRing wherever the ring's memory is
// a WebAssembly memory (every EAL list unless RTEMEM_WASM_MEMORY=0; an
// external heap's is not, and gets the JS Ring on the same layout).
function ringOf(mp: Mempool, wasm: boolean): Ring {
  let r = mp.opsState as Ring | undefined;
  if (r === undefined) {
    const list = mp.eal.listOf(mp.poolData);
    if (list === undefined) throw new RteError('EINVAL', `mempool ${mp.name}: its driver's ring is not mapped here`);
    const off = mp.poolData - list.baseAddr;
    r = wasm && wasmMemoryOf(list.sab) !== undefined ? (WasmRing.attach(list.sab, off) as unknown as Ring) : Ring.attach(list.sab, off);
    mp.opsState = r;
  }
  return r;
}

function ringOps(name: string, flags: number, wasm = false): MempoolOps {
  return {
    name,
    alloc(mp) {
      // The ring is made the same way for both implementations (the layout is theirs in common).
      const ring = Ring.create(mp.eal, MEMPOOL_MZ_PREFIX + mp.name, alignPow2(mp.size + 1), mp.socketId, flags);
      mp.poolData = ring.memzone!.addr;
      mp.opsState = undefined;
    },
    free(mp) {
      const r = Ring.lookup(mp.eal, MEMPOOL_MZ_PREFIX + mp.name);
      r?.free();
      mp.opsState = undefined;
    },
    enqueue(mp, objs, n) {
      // One object (an uncached put) takes the ring's single-object path.
      if (n === 1) return ringOf(mp, wasm).enqueue(objs[0]!) === 0 ? 0 : -ENOBUFS;
      return ringOf(mp, wasm).enqueueBulk(objs, n) === n ? 0 : -ENOBUFS;
    },
    dequeue(mp, out, n) {
      if (n === 1) {
        const obj = ringOf(mp, wasm).dequeue();
        if (obj === undefined) return -ENOENT;
        out[0] = obj;
        return 0;
      }
      return ringOf(mp, wasm).dequeueBulk(out, n) === n ? 0 : -ENOENT;
    },
    getCount(mp) {
      return ringOf(mp, wasm).count();
    },
    dequeueOne(mp) {
      return ringOf(mp, wasm).dequeue() ?? 0;
    },
    enqueueOne(mp, obj) {
      return ringOf(mp, wasm).enqueue(obj);
    },
    recover(mp) {
      // The ring publishes the dead putter's slots as NaN and releases the
      // dead getter's; then the NaNs go: every object left is whole.
      const r = ringOf(mp, wasm);
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
  ringOps('ring_mp_mc_wasm', 0, true),
  ringOps('ring_sp_sc_wasm', RING_F_SP_ENQ | RING_F_SC_DEQ, true),
  ringOps('ring_mp_sc_wasm', RING_F_SC_DEQ, true),
  ringOps('ring_sp_mc_wasm', RING_F_SP_ENQ, true),
  ringOps('ring_mt_rts_wasm', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ, true),
  ringOps('ring_mt_hts_wasm', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ, true),
  stackOps('stack', 0),
  stackOps('lf_stack', STACK_F_LF),
]) {
  registerOps(ops);
}
