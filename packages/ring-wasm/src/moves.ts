/**
 * The moves of a ring's heads and tails, run by WebAssembly, in the ring's
 * sync mode or a forced one, and the checks of the arrays they copy:
 * numbers (esize 8) or 32-bit words. The third class of the chain that
 * makes {@link WasmRing} (see ring.ts): what the peek and zero-copy calls
 * (peek.ts) and the slow paths of the enqueue and dequeue calls (ring.ts)
 * share. The fast paths of ring.ts call the instance directly.
 *
 * @see lib/ring/rte_ring_elem_pvt.h (__rte_ring_do_enqueue_elem, __rte_ring_do_dequeue_elem),
 * rte_ring_generic_pvt.h, rte_ring_rts_elem_pvt.h, rte_ring_hts_elem_pvt.h in DPDK
 */
import { RteError } from '@rtemem/memzone';
import { isOutput } from '@rtemem/ring';
import { describe, SYNC_NAMES, unfinished } from './check.js';
import { SYNC_MT_HTS, SYNC_MT_RTS } from './layout.js';
import { WasmRingSetup } from './setup.js';

/**
 * Head/tail moves and array checks: the third class of the chain that
 * makes {@link WasmRing}.
 */
export class WasmRingMoves extends WasmRingSetup {
  /* ------------------------------------------------------------------ *
   * Moves (WebAssembly) and their checks
   * ------------------------------------------------------------------ */

  /**
   * A move of the producer head in the ring's sync mode (or a forced one):
   * the count claimed, its slot index in `core.idx`. An HTS side waits in
   * wasm for the operation in progress: one this very handle started would
   * never finish, so that is refused first. @internal
   */
  protected moveProd(n: number, fixed: boolean, sync: number): number {
    const r = this.core;
    if (sync === SYNC_MT_HTS && r.peekProd >= 0) throw new RteError('EBUSY', 'a started enqueue on this handle is not finished: call enqueueFinish first');
    const move = sync === r.prodSync ? r.moveProd : r.forcedMove(true, sync);
    const m = r.claim(move(r.woff, n, fixed ? 1 : 0));
    if (m < 0) throw unfinished('enqueue');
    return m;
  }

  /** The consumer's move, as moveProd. @internal */
  protected moveCons(n: number, fixed: boolean, sync: number): number {
    const r = this.core;
    if (sync === SYNC_MT_HTS && r.peekCons >= 0) throw new RteError('EBUSY', 'a started dequeue on this handle is not finished: call dequeueFinish first');
    const move = sync === r.consSync ? r.moveCons : r.forcedMove(false, sync);
    const m = r.claim(move(r.woff, n, fixed ? 1 : 0));
    if (m < 0) throw unfinished('dequeue');
    return m;
  }

  /** Publishes the producer's claim (the tail move) in `sync`. @internal */
  protected endProd(sync: number, idx: number, m: number): void {
    const r = this.core;
    (sync === r.prodSync ? r.endProd : r.forcedEnd(true, sync))(r.woff, idx, m);
  }

  /** Releases the consumer's claim in `sync`. @internal */
  protected endCons(sync: number, idx: number, m: number): void {
    const r = this.core;
    (sync === r.consSync ? r.endCons : r.forcedEnd(false, sync))(r.woff, idx, m);
  }

  /**
   * The classic MP/SP/MC/SC calls force a sync type; on an RTS or HTS side
   * that would corrupt the ring, so they are refused. @internal
   */
  protected forced(ringSync: number, want: number, what: string): number {
    if (ringSync === SYNC_MT_RTS || ringSync === SYNC_MT_HTS) {
      throw new RteError('EINVAL', `${what} on a ring created with ${SYNC_NAMES[ringSync]} sync would corrupt it: use the generic calls`);
    }
    return want;
  }

  /* ------------------------------------------------------------------ *
   * Checks of the arrays: numbers (esize 8) and 32-bit words
   * ------------------------------------------------------------------ */

  /** Checks a ring of numbers and `n` against the array to enqueue. @internal */
  protected checkNumbers(objs: ArrayLike<number>, n: number): void {
    if (this.core.esize !== 8) throw new RteError('EINVAL', `this ring holds ${this.core.esize}-byte elements: use the *Elem calls`);
    if (!((n | 0) === n && n >= 0 && n <= objs.length)) {
      throw new RteError('EINVAL', `n must be a whole number from 0 to the array's length (${objs.length}), not ${String(n)}`);
    }
  }

  /** Checks a ring of numbers, the output array and `n`. @internal */
  protected checkOut(out: number[] | Float64Array, n: number): void {
    if (this.core.esize !== 8) throw new RteError('EINVAL', `this ring holds ${this.core.esize}-byte elements: use the *Elem calls`);
    if (!isOutput(out)) throw new RteError('EINVAL', `the output must be a number[] or a Float64Array, not ${describe(out)}`);
    if (!((n | 0) === n && n >= 0) || (n > out.length && !Array.isArray(out))) {
      throw new RteError('EINVAL', `n must be a whole number of elements that fit the output (${out.length}), not ${String(n)}`);
    }
  }

  /** Throws what made the last copy into the slots fail (its slots went in as NaN). @internal */
  protected copyFailed(): never {
    const e = this.core.copyError;
    this.core.copyError = null;
    throw new RteError('EINVAL', `an object to enqueue is not a number (${e instanceof Error ? e.message : String(e)}): its slots went in as NaN`);
  }

  /** Checks the word array of an element call and `n` against it. @internal */
  protected checkWords(buf: Uint32Array, n: number): void {
    if (!(buf instanceof Uint32Array)) throw new RteError('EINVAL', 'element calls move 32-bit words: pass a Uint32Array');
    if (!((n | 0) === n && n >= 0 && n * this.core.words <= buf.length)) {
      throw new RteError('EINVAL', `n must be a whole number of ${this.core.esize}-byte elements that fit the array (${buf.length} words), not ${String(n)}`);
    }
  }
}
