/**
 * rte_ring in shared memory: a fixed-size FIFO of numbers (esize 8) or of
 * fixed-size elements, with multi- or single-producer/consumer, RTS and HTS
 * sync, usable from every thread and process that maps the memory. This is
 * the facade, and the enqueue/dequeue data path. Its methods come from a
 * chain of classes, one concept per file, each extending the one before (as
 * Mempool's and Mbuf's):
 *
 * ```
 * base.ts   RingBase   create / init / attach / lookup / free, properties, counts, reset, dump, recover
 * peek.ts   RingPeek   peek (start/finish) and zero copy, SP/SC and HTS only
 * ring.ts   Ring       enqueue / dequeue: single, bulk, burst, forced MP/SP/MC/SC, elements of any esize
 * ```
 *
 * The data path stays here, in the class that is made, with its own copy of
 * the core it reads (`#r`): it is the hot path, written for V8 to inline
 * whole. The header view is in core.ts, moving elements in copy.ts, the
 * sync modes in sync/*.ts (sync/dispatch.ts picks one), the argument checks
 * in check.ts, flags and sizes in geometry.ts, every offset in layout.ts.
 *
 * @see lib/ring/rte_ring.h, rte_ring_elem.h in DPDK
 */
import { type Eal, ENOBUFS, RteError } from '@rtemem/eal-hugepage';
import type { Memzone } from '@rtemem/memzone';
import { setRingMaker } from './base.js';
import { checkNumbers, checkOut, checkOutValue, checkWords, copyFailed } from './check.js';
import { getNumbers, getWords, putNumbers, putWords } from './copy.js';
import type { RingCore } from './core.js';
import { SYNC_MT, SYNC_ST } from './layout.js';
import { RingPeek } from './peek.js';
import { endCons, endProd, forced, moveCons, moveProd } from './sync/dispatch.js';
import { mtDequeue, mtDequeueOne, mtEnqueue, mtEnqueueOne } from './sync/mt.js';
import { stDequeue, stDequeueOne, stEnqueue, stEnqueueOne } from './sync/st.js';

/**
 * A handle on a ring in shared memory. Handles are cheap and per thread;
 * the ring itself lives in its buffer, so every handle (in any thread or
 * process) sees the same ring.
 *
 * @example
 * ```ts
 * import { Ring } from '@rtemem/ring';
 * const buf = new SharedArrayBuffer(Ring.memsize(1024));
 * const ring = Ring.init(buf, 0, 'jobs', 1024);   // no EAL needed
 * ring.enqueue(42);                                // 0
 * ring.dequeue();                                  // 42
 * // in a worker: Ring.attach(buf, 0)
 * ```
 * @see rte_ring
 */
export class Ring extends RingPeek {
  /* The data path's own reference to the core: a private field of the class that is made, as
   * before the split, so the hot methods read nothing through the base classes. */
  readonly #r: RingCore;

  private constructor(buffer: SharedArrayBuffer, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    super(buffer, byteOffset, mz, eal);
    this.#r = this.core;
  }

  static {
    setRingMaker((buffer, byteOffset, mz, eal) => new Ring(buffer, byteOffset, mz, eal));
  }

  /* ------------------------------------------------------------------ *
   * Numbers (esize 8)
   * ------------------------------------------------------------------ */

  #enq(objs: ArrayLike<number>, n: number, fixed: boolean, sync: number, freeSpace?: Uint32Array): number {
    checkNumbers(this.#r, objs, n);
    const r = this.#r;
    let m: number;
    if (freeSpace !== undefined) {
      // The out value wants the free entries the head move saw: the general
      // path, whose moves record them, after a fresh look at the other tail.
      checkOutValue(freeSpace);
      r.cachedConsTail = Atomics.load(r.i32, r.ct);
      m = moveProd(r, sync, n, fixed);
      freeSpace[0] = r.entries - m;
      if (m === 0) return 0;
      const oh = r.oldHead;
      putNumbers(r, oh, objs, m);
      endProd(r, sync, oh, m);
    } else if (sync === SYNC_ST) m = stEnqueue(r, objs, n, fixed);
    else if (sync === SYNC_MT) m = mtEnqueue(r, objs, n, fixed);
    else {
      if (n === 0) return 0;
      m = moveProd(r, sync, n, fixed);
      if (m === 0) return 0;
      const oh = r.oldHead;
      putNumbers(r, oh, objs, m);
      endProd(r, sync, oh, m);
    }
    if (r.copyError !== null) copyFailed(r);
    return m;
  }

  #deq(out: number[] | Float64Array, n: number, fixed: boolean, sync: number, available?: Uint32Array): number {
    checkOut(this.#r, out, n);
    const r = this.#r;
    if (available !== undefined) {
      checkOutValue(available);
      r.cachedProdTail = Atomics.load(r.i32, r.pt);
      const m = moveCons(r, sync, n, fixed);
      available[0] = r.entries - m;
      if (m === 0) return 0;
      const oh = r.oldHead;
      getNumbers(r, oh, out, m);
      endCons(r, sync, oh, m);
      return m;
    }
    if (sync === SYNC_ST) return stDequeue(r, out, n, fixed);
    if (sync === SYNC_MT) return mtDequeue(r, out, n, fixed);
    if (n === 0) return 0;
    const m = moveCons(r, sync, n, fixed);
    if (m === 0) return 0;
    const oh = r.oldHead;
    getNumbers(r, oh, out, m);
    endCons(r, sync, oh, m);
    return m;
  }

  /**
   * Enqueues one number (a non-negative safe integer: an address, index or
   * handle). Returns 0, or -ENOBUFS when the ring is full. @see rte_ring_enqueue
   */
  enqueue(obj: number): number {
    // Kept small so V8 inlines it: a number into an SP/SC or MP/MC ring of
    // numbers, else the general path.
    if (typeof obj === 'number') {
      const r = this.#r;
      const sync = r.numProdSync;
      if (sync === SYNC_ST) return stEnqueueOne(r, obj) ? 0 : -ENOBUFS;
      if (sync === SYNC_MT) return mtEnqueueOne(r, obj) ? 0 : -ENOBUFS;
    }
    return this.#enqueueSlow(obj);
  }

  #enqueueSlow(obj: number): number {
    const r = this.#r;
    if (r.esize !== 8) checkNumbers(r, [], 0);
    // Checked before a slot is claimed: a store that threw after would leave it claimed for good.
    if (typeof obj !== 'number') throw new RteError('EINVAL', `enqueue takes a number, not a ${typeof obj}`);
    // RTS or HTS (SP/SC and MP/MC rings of numbers took the fast path).
    const sync = r.prodSync;
    if (moveProd(r, sync, 1, true) === 0) return -ENOBUFS;
    const oh = r.oldHead;
    r.f64[r.slotF64 + (oh & r.mask)] = obj;
    endProd(r, sync, oh, 1);
    return 0;
  }

  /** Dequeues one number, or undefined when the ring is empty. @see rte_ring_dequeue */
  dequeue(): number | undefined {
    const r = this.#r;
    const sync = r.numConsSync;
    if (sync === SYNC_ST) return stDequeueOne(r);
    if (sync === SYNC_MT) return mtDequeueOne(r);
    return this.#dequeueSlow();
  }

  #dequeueSlow(): number | undefined {
    const r = this.#r;
    if (r.esize !== 8) checkNumbers(r, [], 0);
    // RTS or HTS.
    const sync = r.consSync;
    if (moveCons(r, sync, 1, true) === 0) return undefined;
    const oh = r.oldHead;
    const obj = r.f64[r.slotF64 + (oh & r.mask)]!;
    endCons(r, sync, oh, 1);
    return obj;
  }

  /** Enqueues all `n` numbers or none: returns n or 0. @see rte_ring_enqueue_bulk */
  enqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined) {
      // The common case checked in one go: a Float64Array cannot fail the copy.
      // In each of the four bulk/burst calls itself, not in #enq/#deq: moved
      // there it measured ~0.3-1 ns/object slower (V8 inlines less).
      if (r.numProdSync === SYNC_ST) return stEnqueue(r, objs, n, true);
      if (r.numProdSync === SYNC_MT) return mtEnqueue(r, objs, n, true);
    }
    return this.#enq(objs, n, true, r.prodSync, freeSpace);
  }

  /** Enqueues as many of `n` numbers as fit: returns 0..n. @see rte_ring_enqueue_burst */
  enqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    const r = this.#r;
    if (objs instanceof Float64Array && n >>> 0 === n && n <= objs.length && freeSpace === undefined) {
      if (r.numProdSync === SYNC_ST) return stEnqueue(r, objs, n, false);
      if (r.numProdSync === SYNC_MT) return mtEnqueue(r, objs, n, false);
    }
    return this.#enq(objs, n, false, r.prodSync, freeSpace);
  }

  /** Dequeues `n` numbers into `out` or none: returns n or 0. @see rte_ring_dequeue_bulk */
  dequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined) {
      if (r.numConsSync === SYNC_ST) return stDequeue(r, out, n, true);
      if (r.numConsSync === SYNC_MT) return mtDequeue(r, out, n, true);
    }
    return this.#deq(out, n, true, r.consSync, available);
  }

  /** Dequeues up to `n` numbers into `out`: returns 0..n. @see rte_ring_dequeue_burst */
  dequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    const r = this.#r;
    if (out instanceof Float64Array && n >>> 0 === n && n <= out.length && available === undefined) {
      if (r.numConsSync === SYNC_ST) return stDequeue(r, out, n, false);
      if (r.numConsSync === SYNC_MT) return mtDequeue(r, out, n, false);
    }
    return this.#deq(out, n, false, r.consSync, available);
  }

  /** Multi-producer bulk enqueue whatever the flags. @see rte_ring_mp_enqueue_bulk */
  mpEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBulk'), freeSpace);
  }

  /** Single-producer bulk enqueue whatever the flags. @see rte_ring_sp_enqueue_bulk */
  spEnqueueBulk(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, true, forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBulk'), freeSpace);
  }

  /** Multi-consumer bulk dequeue whatever the flags. @see rte_ring_mc_dequeue_bulk */
  mcDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, forced(this.#r.consSync, SYNC_MT, 'mcDequeueBulk'), available);
  }

  /** Single-consumer bulk dequeue whatever the flags. @see rte_ring_sc_dequeue_bulk */
  scDequeueBulk(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, true, forced(this.#r.consSync, SYNC_ST, 'scDequeueBulk'), available);
  }

  /** @see rte_ring_mp_enqueue_burst */
  mpEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, forced(this.#r.prodSync, SYNC_MT, 'mpEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_sp_enqueue_burst */
  spEnqueueBurst(objs: ArrayLike<number>, n: number = objs.length, freeSpace?: Uint32Array): number {
    return this.#enq(objs, n, false, forced(this.#r.prodSync, SYNC_ST, 'spEnqueueBurst'), freeSpace);
  }

  /** @see rte_ring_mc_dequeue_burst */
  mcDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, forced(this.#r.consSync, SYNC_MT, 'mcDequeueBurst'), available);
  }

  /** @see rte_ring_sc_dequeue_burst */
  scDequeueBurst(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    return this.#deq(out, n, false, forced(this.#r.consSync, SYNC_ST, 'scDequeueBurst'), available);
  }

  /* ------------------------------------------------------------------ *
   * Elements of any esize
   * ------------------------------------------------------------------ */

  #enqElem(src: Uint32Array, n: number, fixed: boolean, freeSpace?: Uint32Array): number {
    checkWords(this.#r, src, n);
    if (freeSpace !== undefined) {
      checkOutValue(freeSpace);
      this.#r.cachedConsTail = Atomics.load(this.#r.i32, this.#r.ct);
    } else if (n === 0) return 0;
    const sync = this.#r.prodSync;
    const m = moveProd(this.#r, sync, n, fixed);
    if (freeSpace !== undefined) freeSpace[0] = this.#r.entries - m;
    if (m === 0) return 0;
    const oh = this.#r.oldHead;
    putWords(this.#r, oh, src, m);
    endProd(this.#r, sync, oh, m);
    return m;
  }

  #deqElem(dst: Uint32Array, n: number, fixed: boolean, available?: Uint32Array): number {
    checkWords(this.#r, dst, n);
    if (available !== undefined) {
      checkOutValue(available);
      this.#r.cachedProdTail = Atomics.load(this.#r.i32, this.#r.pt);
    } else if (n === 0) return 0;
    const sync = this.#r.consSync;
    const m = moveCons(this.#r, sync, n, fixed);
    if (available !== undefined) available[0] = this.#r.entries - m;
    if (m === 0) return 0;
    const oh = this.#r.oldHead;
    getWords(this.#r, oh, dst, m);
    endCons(this.#r, sync, oh, m);
    return m;
  }

  /** Enqueues n elements (esize/4 words each) from `src`, all or none. @see rte_ring_enqueue_bulk_elem */
  enqueueBulkElem(src: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    return this.#enqElem(src, n, true, freeSpace);
  }

  /** Dequeues n elements into `dst`, all or none. @see rte_ring_dequeue_bulk_elem */
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
