/**
 * Peek and zero copy, on SP/SC and HTS sides only: an enqueue or dequeue in
 * two steps (start claims the slots, finish publishes or releases them),
 * copying through arrays (peek) or letting the caller read and write the
 * slots in place (zero copy). The second class of the chain that makes
 * {@link Ring} (see ring.ts).
 *
 * @see lib/ring/rte_ring_peek.h, rte_ring_peek_elem_pvt.h, rte_ring_peek_zc.h in DPDK
 */
import { type Eal, RteError } from '@rtemem/eal-hugepage';
import type { Memzone } from '@rtemem/memzone';
import { RingBase } from './base.js';
import { checkNumbers, checkOut, checkOutValue, checkWords, checkZc, copyFailed } from './check.js';
import { getNumbers, getWords, putNumbers, putWords } from './copy.js';
import type { RingCore } from './core.js';
import { SYNC_NAMES } from './geometry.js';
import { SYNC_MT_HTS, SYNC_ST } from './layout.js';
import type { Ring } from './ring.js';
import { moveCons, moveProd } from './sync/dispatch.js';
import { htsFinish } from './sync/hts.js';
import { stUpdateTail } from './sync/st.js';

/**
 * Where a zero-copy start's elements lie: `n1` slots from slot index
 * `ptr1`, then `n2` from `ptr2` (0) when they wrap past the end of the ring.
 * Indexes are slots: `ring.slots[ptr]` on esize 8 rings, word
 * `ptr * esize / 4` of `ring.slotsU32` on any. Pass the same object every
 * time: it is written, never kept. @see struct rte_ring_zc_data
 */
export interface ZcData {
  ptr1: number;
  n1: number;
  ptr2: number;
  n2: number;
}

/**
 * Peek and zero copy: the second class of the chain that makes {@link Ring}.
 */
export class RingPeek extends RingBase {
  /* The peek and zero-copy paths' own reference to the core (a private field, as in Ring). */
  readonly #r: RingCore;
  // Counter at which this handle's started enqueue / dequeue begins.
  #peekProdHead = 0;
  #peekConsHead = 0;
  #slots: Float64Array | null = null;
  #slotsU32: Uint32Array | null = null;

  /** @internal */
  protected constructor(buffer: SharedArrayBuffer, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    super(buffer, byteOffset, mz, eal);
    this.#r = this.core;
  }

  #checkPeek(sync: number, what: string): void {
    if (sync !== SYNC_ST && sync !== SYNC_MT_HTS) {
      throw new RteError('EINVAL', `${what} needs a single-thread or HTS ${what.startsWith('enq') ? 'producer' : 'consumer'}; this ring's is ${SYNC_NAMES[sync]}`);
    }
  }

  // Claims up to n free slots for a peek or zero-copy enqueue; everything
  // is checked before the head moves. Returns the claim (0 when none).
  #startProd(n: number, fixed: boolean, what: string, freeSpace: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.prodSync, what);
    if (r.peekProd >= 0) throw new RteError('EBUSY', 'an enqueue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (freeSpace !== undefined) {
      checkOutValue(freeSpace);
      r.cachedConsTail = Atomics.load(r.i32, r.ct);
    } else if (n === 0) return 0;
    const m = moveProd(r, r.prodSync, n, fixed);
    if (freeSpace !== undefined) freeSpace[0] = r.entries - m;
    if (m !== 0) {
      r.peekProd = m;
      this.#peekProdHead = r.oldHead;
    }
    return m;
  }

  #startCons(n: number, fixed: boolean, what: string, available: Uint32Array | undefined): number {
    const r = this.#r;
    this.#checkPeek(r.consSync, what);
    if (r.peekCons >= 0) throw new RteError('EBUSY', 'a dequeue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (available !== undefined) {
      checkOutValue(available);
      r.cachedProdTail = Atomics.load(r.i32, r.pt);
    } else if (n === 0) return 0;
    const m = moveCons(r, r.consSync, n, fixed);
    if (available !== undefined) available[0] = r.entries - m;
    if (m !== 0) {
      r.peekCons = m;
      this.#peekConsHead = r.oldHead;
    }
    return m;
  }

  /**
   * Starts an enqueue of `n` elements: claims the slots (all or none),
   * returns n or 0. Finish it with {@link Ring.enqueueFinish} (numbers) or
   * {@link Ring.enqueueElemFinish} (any esize). @see rte_ring_enqueue_bulk_start
   */
  enqueueBulkStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, true, 'enqueueBulkStart', freeSpace);
  }

  /** Starts an enqueue of as many of `n` elements as fit: returns 0..n. @see rte_ring_enqueue_burst_start */
  enqueueBurstStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, false, 'enqueueBurstStart', freeSpace);
  }

  #checkFinishProd(n: number, what: string): number {
    const r = this.#r;
    if (r.peekProd < 0) throw new RteError('EINVAL', `${what} without an enqueue start`);
    if (!((n | 0) === n && n >= 0 && n <= r.peekProd)) throw new RteError('EINVAL', `${what}(${String(n)}) after claiming ${r.peekProd}`);
    return this.#peekProdHead;
  }

  /**
   * Finishes the started enqueue with the first `n` (<= claimed) numbers of
   * `objs`; the rest of the claim is given back. @see rte_ring_enqueue_finish
   */
  enqueueFinish(objs: ArrayLike<number>, n: number): void {
    const r = this.#r;
    // A start that got nothing leaves nothing to finish: finish(0) after it is fine, as in DPDK.
    if (r.peekProd < 0 && n === 0) return;
    // finish(0) moves no element: it cancels the claim on a ring of any esize
    // (the way out after a finish that threw, which would otherwise block the side).
    if (n === 0 && r.peekProd >= 0) {
      this.enqueueZcFinish(0);
      return;
    }
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueFinish without an enqueue start');
    checkNumbers(r, objs, n);
    const oh = this.#checkFinishProd(n, 'enqueueFinish');
    putNumbers(r, oh, objs, n);
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
    if (r.copyError !== null) copyFailed(r);
  }

  /**
   * Finishes the started enqueue with the first `n` (<= claimed) elements
   * of `src` (esize/4 words each), on a ring of any esize.
   * @see rte_ring_enqueue_elem_finish
   */
  enqueueElemFinish(src: Uint32Array, n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueElemFinish without an enqueue start');
    checkWords(this.#r, src, n);
    const oh = this.#checkFinishProd(n, 'enqueueElemFinish');
    putWords(r, oh, src, n);
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
  }

  /**
   * Starts a dequeue of `n` numbers: copies them into `out` without taking
   * them off the ring (all or none), returns n or 0. Finish with
   * {@link Ring.dequeueFinish}. @see rte_ring_dequeue_bulk_start
   */
  dequeueBulkStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    checkOut(this.#r, out, n);
    const m = this.#startCons(n, true, 'dequeueBulkStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsHead, out, m);
    return m;
  }

  /** Starts a dequeue of up to `n` numbers: returns 0..n. @see rte_ring_dequeue_burst_start */
  dequeueBurstStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    checkOut(this.#r, out, n);
    const m = this.#startCons(n, false, 'dequeueBurstStart', available);
    if (m !== 0) getNumbers(this.#r, this.#peekConsHead, out, m);
    return m;
  }

  /** Starts a dequeue of `n` elements of any esize into `dst`, all or none. @see rte_ring_dequeue_bulk_elem_start */
  dequeueBulkElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    checkWords(this.#r, dst, n);
    const m = this.#startCons(n, true, 'dequeueBulkElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsHead, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_elem_start */
  dequeueBurstElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    checkWords(this.#r, dst, n);
    const m = this.#startCons(n, false, 'dequeueBurstElemStart', available);
    if (m !== 0) getWords(this.#r, this.#peekConsHead, dst, m);
    return m;
  }

  /** Takes `n` (<= started) of the started elements off the ring; the rest stay. @see rte_ring_dequeue_finish */
  dequeueFinish(n: number): void {
    const r = this.#r;
    if (r.peekCons < 0 && n === 0) return;
    if (r.peekCons < 0) throw new RteError('EINVAL', 'dequeueFinish without a dequeue start');
    if (!((n | 0) === n && n >= 0 && n <= r.peekCons)) throw new RteError('EINVAL', `dequeueFinish(${String(n)}) after starting ${r.peekCons}`);
    this.#finishPeek(r.consSync, r.ch, r.ct, this.#peekConsHead, n);
    r.peekCons = -1;
  }

  // Where a claim of m slots from counter `head` lies in the slots: one run,
  // or two when it wraps. @see __rte_ring_get_elem_addr
  #fillZc(zc: ZcData, head: number, m: number): void {
    const r = this.#r;
    const idx = head & r.mask;
    const n1 = idx + m <= r.size ? m : r.size - idx;
    zc.ptr1 = idx;
    zc.n1 = n1;
    zc.ptr2 = 0;
    zc.n2 = m - n1;
  }

  /**
   * Zero-copy enqueue: claims `n` slots (all or none) and says where they
   * are in {@link Ring.slots} / {@link Ring.slotsU32}: `zc.n1` slots from
   * `zc.ptr1`, then `zc.n2` from `zc.ptr2` (0) when the claim wraps. Write
   * the elements there, then {@link Ring.enqueueZcFinish}. Returns n or 0.
   * SP/SC and HTS producers only (EINVAL otherwise).
   * @see rte_ring_enqueue_zc_bulk_start
   */
  enqueueZcBulkStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, true, 'enqueueZcBulkStart', freeSpace);
    this.#fillZc(zc, this.#peekProdHead, m);
    return m;
  }

  /** Zero-copy enqueue of as many of `n` as fit: returns 0..n. @see rte_ring_enqueue_zc_burst_start */
  enqueueZcBurstStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, false, 'enqueueZcBurstStart', freeSpace);
    this.#fillZc(zc, this.#peekProdHead, m);
    return m;
  }

  /**
   * Publishes the first `n` (<= claimed) slots written after a zero-copy
   * start; the rest of the claim is given back. @see rte_ring_enqueue_zc_finish
   */
  enqueueZcFinish(n: number): void {
    const r = this.#r;
    if (r.peekProd < 0 && n === 0) return;
    const oh = this.#checkFinishProd(n, 'enqueueZcFinish');
    this.#finishPeek(r.prodSync, r.ph, r.pt, oh, n);
    r.peekProd = -1;
  }

  /**
   * Zero-copy dequeue: finds `n` elements (all or none) and says where they
   * are, without copying or taking them off the ring; read them, then
   * {@link Ring.dequeueZcFinish}. Returns n or 0. SP/SC and HTS consumers only.
   * @see rte_ring_dequeue_zc_bulk_start
   */
  dequeueZcBulkStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, true, 'dequeueZcBulkStart', available);
    this.#fillZc(zc, this.#peekConsHead, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_burst_start */
  dequeueZcBurstStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, false, 'dequeueZcBurstStart', available);
    this.#fillZc(zc, this.#peekConsHead, m);
    return m;
  }

  /** Takes the first `n` (<= started) elements off the ring. @see rte_ring_dequeue_zc_finish */
  dequeueZcFinish(n: number): void {
    this.dequeueFinish(n);
  }

  /**
   * The ring's slots as numbers (a view, made once per handle): on esize 8
   * rings, slot i is `slots[i]`, what {@link ZcData} indexes.
   */
  get slots(): Float64Array {
    const r = this.#r;
    return (this.#slots ??= new Float64Array(r.f64.buffer, r.slotF64 * 8, Math.floor((r.size * r.esize) / 8)));
  }

  /** The ring's slots as 32-bit words (any esize): slot i starts at word `i * esize / 4`. */
  get slotsU32(): Uint32Array {
    const r = this.#r;
    return (this.#slotsU32 ??= new Uint32Array(r.u32.buffer, r.slotU32 * 4, (r.size * r.esize) >> 2));
  }

  #finishPeek(sync: number, head: number, tail: number, oldHead: number, n: number): void {
    const r = this.#r;
    if (sync === SYNC_MT_HTS) {
      htsFinish(r, head, tail, oldHead, n);
      return;
    }
    // Single thread: give back what was claimed but not used, then publish.
    r.i32[head] = (oldHead + n) | 0;
    stUpdateTail(r, tail, oldHead, n);
  }
}
