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
 * This file is the facade and the enqueue/dequeue data path. WasmRing's
 * methods come from a chain of classes, one concept per file, each
 * extending the one before (as Mempool's and Mbuf's):
 *
 * ```
 * info.ts   WasmRingInfo   properties, counts, htd_max, reset, dump, recover
 * setup.ts  WasmRingSetup  memsize / init / attach / create / lookup / free
 * moves.ts  WasmRingMoves  head/tail moves in the sync mode or a forced one
 * peek.ts   WasmRingPeek   peek and zero copy (SP/SC and HTS), slots
 * ring.ts   WasmRing       enqueue / dequeue: single, bulk, burst, forced MP/SP/MC/SC, *Elem
 * ```
 *
 * The hot paths stay here, in the class that is made, with the core in a
 * private field of their own (`#r`): single objects and Float64Array
 * bulk/burst call the instance directly, with no call between them and it
 * (see "Between the two only 32-bit integers cross" in the README). The
 * thread's view of a ring is in core.ts, the
 * instance in module.ts; the layout, geometry, argument checks and copies
 * are @rtemem/ring's (shared.ts); where a ring lives in memory.ts.
 *
 * @see lib/ring/rte_ring.c, rte_ring.h, rte_ring_elem.h in DPDK
 */
import { type Eal, ENOBUFS, type Memzone, RteError, type WasmMemory } from '@rtemem/memzone';
import { unfinished } from './check.js';
import type { WasmCore } from './core.js';
import { WasmRingPeek } from './peek.js';
import { setRingMaker } from './setup.js';
import { checkNumbers, checkOut, checkWords, copyFailed, getNumbers, getWords, putNumbers, putWords, SYNC_MT, SYNC_ST } from './shared.js';

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
export class WasmRing extends WasmRingPeek {
  // The hot paths' own reference to the core (a private field of the class
  // that is made, read as before the split: see the top of the file).
  readonly #r: WasmCore;

  private constructor(sab: SharedArrayBuffer, memory: WasmMemory, wasmOffset: number, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    super(sab, memory, wasmOffset, byteOffset, mz, eal);
    this.#r = this.core;
  }

  static {
    setRingMaker((sab, memory, wasmOffset, byteOffset, mz, eal) => new WasmRing(sab, memory, wasmOffset, byteOffset, mz, eal));
  }

  /* ------------------------------------------------------------------ *
   * Numbers (esize 8)
   * ------------------------------------------------------------------ */

  #enq(objs: ArrayLike<number>, n: number, fixed: boolean, sync: number, freeSpace?: Uint32Array): number {
    checkNumbers(this.core, objs, n);
    if (freeSpace !== undefined) this.core.fresh(freeSpace);
    else if (n === 0) return 0;
    const r = this.#r;
    const m = this.moveProd(n, fixed, sync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    putNumbers(r, idx, objs, m);
    this.endProd(sync, idx, m);
    if (r.copyError !== null) copyFailed(this.core);
    return m;
  }

  #deq(out: number[] | Float64Array, n: number, fixed: boolean, sync: number, available?: Uint32Array): number {
    checkOut(this.core, out, n);
    if (available !== undefined) this.core.fresh(available);
    else if (n === 0) return 0;
    const r = this.#r;
    const m = this.moveCons(n, fixed, sync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    getNumbers(r, idx, out, m);
    this.endCons(sync, idx, m);
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
    if (r.esize !== 8) checkNumbers(this.core, [], 0);
    if (typeof obj !== 'number') throw new RteError('EINVAL', `enqueue takes a number, not a ${typeof obj}`);
    const sync = r.prodSync;
    if (this.moveProd(1, true, sync) === 0) return -ENOBUFS;
    const idx = r.idx;
    r.f64[r.slotF64 + idx] = obj;
    this.endProd(sync, idx, 1);
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
    if (r.esize !== 8) checkNumbers(this.core, [], 0);
    const sync = r.consSync;
    if (this.moveCons(1, true, sync) === 0) return undefined;
    const idx = r.idx;
    const obj = r.f64[r.slotF64 + idx]!;
    this.endCons(sync, idx, 1);
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
    return this.#enq(objs, n, true, this.forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBulk'), freeSpace);
  }

  /** @see rte_ring_sp_enqueue_bulk */
  spEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, this.forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBulk'), freeSpace);
  }

  /** @see rte_ring_mc_dequeue_bulk */
  mcDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, this.forced(this.#r.consSync, SYNC_MT, 'mcDequeueBulk'), available);
  }

  /** @see rte_ring_sc_dequeue_bulk */
  scDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, this.forced(this.#r.consSync, SYNC_ST, 'scDequeueBulk'), available);
  }

  /** @see rte_ring_mp_enqueue_burst */
  mpEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, this.forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_sp_enqueue_burst */
  spEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, this.forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_mc_dequeue_burst */
  mcDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, this.forced(this.#r.consSync, SYNC_MT, 'mcDequeueBurst'), available);
  }

  /** @see rte_ring_sc_dequeue_burst */
  scDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, this.forced(this.#r.consSync, SYNC_ST, 'scDequeueBurst'), available);
  }

  /* ------------------------------------------------------------------ *
   * Elements of any esize
   * ------------------------------------------------------------------ */

  #enqElem(src: Uint32Array, n: number, fixed: boolean, freeSpace?: Uint32Array): number {
    checkWords(this.core, src, n);
    if (freeSpace !== undefined) this.core.fresh(freeSpace);
    else if (n === 0) return 0;
    const r = this.#r;
    const sync = r.prodSync;
    const m = this.moveProd(n, fixed, sync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    putWords(r, idx, src, m);
    this.endProd(sync, idx, m);
    return m;
  }

  #deqElem(dst: Uint32Array, n: number, fixed: boolean, available?: Uint32Array): number {
    checkWords(this.core, dst, n);
    if (available !== undefined) this.core.fresh(available);
    else if (n === 0) return 0;
    const r = this.#r;
    const sync = r.consSync;
    const m = this.moveCons(n, fixed, sync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m === 0) return 0;
    const idx = r.idx;
    getWords(r, idx, dst, m);
    this.endCons(sync, idx, m);
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
}
