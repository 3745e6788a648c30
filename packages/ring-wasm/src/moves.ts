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
import { unfinished } from './check.js';
import { SYNC_MT_HTS, SYNC_MT_RTS, SYNC_NAMES } from './shared.js';
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
}
