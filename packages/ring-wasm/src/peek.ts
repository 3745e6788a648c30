/**
 * Peek (two-phase enqueue and dequeue: start, then finish) and zero copy
 * (start hands out the claimed slots, the caller fills or reads them in
 * place, finish publishes), for SP/SC and HTS sides; and the slots as
 * typed arrays. The fourth class of the chain that makes {@link WasmRing}
 * (see ring.ts).
 *
 * @see lib/ring/rte_ring_peek.h, rte_ring_peek_zc.h in DPDK
 */
import { RteError } from '@rtemem/memzone';
import type { ZcData } from '@rtemem/ring';
import {
  checkNumbers,
  checkOut,
  checkWords,
  checkZc,
  copyFailed,
  getNumbers,
  getWords,
  putNumbers,
  putWords,
  SYNC_MT_HTS,
  SYNC_NAMES,
  SYNC_ST,
} from './shared.js';
import { WasmRingMoves } from './moves.js';

/**
 * Peek and zero-copy calls: the fourth class of the chain that makes
 * {@link WasmRing}.
 */
export class WasmRingPeek extends WasmRingMoves {
  // Slot index of the claim a peek (start/finish) holds open.
  #peekProdIdx = 0;
  #peekConsIdx = 0;
  #slots: Float64Array | null = null;
  #slotsU32: Uint32Array | null = null;

  /* ------------------------------------------------------------------ *
   * Peek and zero copy (SP/SC and HTS only)
   * ------------------------------------------------------------------ */

  #checkPeek(sync: number, what: string): void {
    if (sync !== SYNC_ST && sync !== SYNC_MT_HTS) {
      throw new RteError('EINVAL', `${what} needs a single-thread or HTS ${what.startsWith('enq') ? 'producer' : 'consumer'}; this ring's is ${SYNC_NAMES[sync]}`);
    }
  }

  #startProd(n: number, fixed: boolean, what: string, freeSpace: Uint32Array | undefined): number {
    const r = this.core;
    this.#checkPeek(r.prodSync, what);
    if (r.peekProd >= 0) throw new RteError('EBUSY', 'an enqueue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (freeSpace !== undefined) this.core.fresh(freeSpace);
    else if (n === 0) return 0;
    const m = this.moveProd(n, fixed, r.prodSync);
    if (freeSpace !== undefined) freeSpace[0] = r.x.entries() - m;
    if (m !== 0) {
      r.peekProd = m;
      this.#peekProdIdx = r.idx;
    }
    return m;
  }

  #startCons(n: number, fixed: boolean, what: string, available: Uint32Array | undefined): number {
    const r = this.core;
    this.#checkPeek(r.consSync, what);
    if (r.peekCons >= 0) throw new RteError('EBUSY', 'a dequeue started on this handle is not finished');
    if (!((n | 0) === n && n >= 0)) throw new RteError('EINVAL', `n must be a whole number, not ${String(n)}`);
    if (available !== undefined) this.core.fresh(available);
    else if (n === 0) return 0;
    const m = this.moveCons(n, fixed, r.consSync);
    if (available !== undefined) available[0] = r.x.entries() - m;
    if (m !== 0) {
      r.peekCons = m;
      this.#peekConsIdx = r.idx;
    }
    return m;
  }

  /** @see rte_ring_enqueue_bulk_start */
  enqueueBulkStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, true, 'enqueueBulkStart', freeSpace);
  }

  /** @see rte_ring_enqueue_burst_start */
  enqueueBurstStart(n: number, freeSpace?: Uint32Array): number {
    return this.#startProd(n, false, 'enqueueBurstStart', freeSpace);
  }

  #checkFinishProd(n: number, what: string): number {
    const r = this.core;
    if (r.peekProd < 0) throw new RteError('EINVAL', `${what} without an enqueue start`);
    if (!((n | 0) === n && n >= 0 && n <= r.peekProd)) throw new RteError('EINVAL', `${what}(${String(n)}) after claiming ${r.peekProd}`);
    return this.#peekProdIdx;
  }

  /** @see rte_ring_enqueue_finish */
  enqueueFinish(objs: ArrayLike<number>, n: number): void {
    const r = this.core;
    // A start that got nothing leaves nothing to finish: finish(0) after it is fine, as in DPDK.
    if (r.peekProd < 0 && n === 0) return;
    // finish(0) moves no element: it cancels the claim on a ring of any esize
    // (the way out after a finish that threw, which would otherwise block the side).
    if (n === 0 && r.peekProd >= 0) {
      this.enqueueZcFinish(0);
      return;
    }
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueFinish without an enqueue start');
    checkNumbers(this.core, objs, n);
    const idx = this.#checkFinishProd(n, 'enqueueFinish');
    putNumbers(r, idx, objs, n);
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
    if (r.copyError !== null) copyFailed(this.core);
  }

  /** @see rte_ring_enqueue_elem_finish */
  enqueueElemFinish(src: Uint32Array, n: number): void {
    const r = this.core;
    if (r.peekProd < 0 && n === 0) return;
    if (r.peekProd < 0) throw new RteError('EINVAL', 'enqueueElemFinish without an enqueue start');
    checkWords(this.core, src, n);
    const idx = this.#checkFinishProd(n, 'enqueueElemFinish');
    putWords(r, idx, src, n);
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
  }

  /** @see rte_ring_dequeue_bulk_start */
  dequeueBulkStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    checkOut(this.core, out, n);
    const m = this.#startCons(n, true, 'dequeueBulkStart', available);
    if (m !== 0) getNumbers(this.core, this.#peekConsIdx, out, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_start */
  dequeueBurstStart(out: number[] | Float64Array, n: number, available?: Uint32Array): number {
    checkOut(this.core, out, n);
    const m = this.#startCons(n, false, 'dequeueBurstStart', available);
    if (m !== 0) getNumbers(this.core, this.#peekConsIdx, out, m);
    return m;
  }

  /** @see rte_ring_dequeue_bulk_elem_start */
  dequeueBulkElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    checkWords(this.core, dst, n);
    const m = this.#startCons(n, true, 'dequeueBulkElemStart', available);
    if (m !== 0) getWords(this.core, this.#peekConsIdx, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_burst_elem_start */
  dequeueBurstElemStart(dst: Uint32Array, n: number, available?: Uint32Array): number {
    checkWords(this.core, dst, n);
    const m = this.#startCons(n, false, 'dequeueBurstElemStart', available);
    if (m !== 0) getWords(this.core, this.#peekConsIdx, dst, m);
    return m;
  }

  /** @see rte_ring_dequeue_finish */
  dequeueFinish(n: number): void {
    const r = this.core;
    if (r.peekCons < 0 && n === 0) return;
    if (r.peekCons < 0) throw new RteError('EINVAL', 'dequeueFinish without a dequeue start');
    if (!((n | 0) === n && n >= 0 && n <= r.peekCons)) throw new RteError('EINVAL', `dequeueFinish(${String(n)}) after starting ${r.peekCons}`);
    r.x.finish_cons(r.woff, n);
    r.peekCons = -1;
  }

  #fillZc(zc: ZcData, idx: number, m: number): void {
    const r = this.core;
    const n1 = idx + m <= r.size ? m : r.size - idx;
    zc.ptr1 = idx;
    zc.n1 = n1;
    zc.ptr2 = 0;
    zc.n2 = m - n1;
  }

  /** @see rte_ring_enqueue_zc_bulk_start */
  enqueueZcBulkStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, true, 'enqueueZcBulkStart', freeSpace);
    this.#fillZc(zc, this.#peekProdIdx, m);
    return m;
  }

  /** @see rte_ring_enqueue_zc_burst_start */
  enqueueZcBurstStart(n: number, zc: ZcData, freeSpace?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startProd(n, false, 'enqueueZcBurstStart', freeSpace);
    this.#fillZc(zc, this.#peekProdIdx, m);
    return m;
  }

  /** @see rte_ring_enqueue_zc_finish */
  enqueueZcFinish(n: number): void {
    const r = this.core;
    if (r.peekProd < 0 && n === 0) return;
    this.#checkFinishProd(n, 'enqueueZcFinish');
    r.x.finish_prod(r.woff, n);
    r.peekProd = -1;
  }

  /** @see rte_ring_dequeue_zc_bulk_start */
  dequeueZcBulkStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, true, 'dequeueZcBulkStart', available);
    this.#fillZc(zc, this.#peekConsIdx, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_burst_start */
  dequeueZcBurstStart(n: number, zc: ZcData, available?: Uint32Array): number {
    checkZc(zc);
    const m = this.#startCons(n, false, 'dequeueZcBurstStart', available);
    this.#fillZc(zc, this.#peekConsIdx, m);
    return m;
  }

  /** @see rte_ring_dequeue_zc_finish */
  dequeueZcFinish(n: number): void {
    this.dequeueFinish(n);
  }

  /** The ring's slots as numbers (esize 8: slot i is `slots[i]`). */
  get slots(): Float64Array {
    const r = this.core;
    return (this.#slots ??= new Float64Array(this.buffer, r.slotF64 * 8, Math.floor((r.size * r.esize) / 8)));
  }

  /** The ring's slots as 32-bit words: slot i starts at word `i * esize / 4`. */
  get slotsU32(): Uint32Array {
    const r = this.core;
    return (this.#slotsU32 ??= new Uint32Array(this.buffer, r.slotU32 * 4, (r.size * r.esize) >> 2));
  }
}
