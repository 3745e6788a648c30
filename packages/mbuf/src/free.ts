/**
 * Giving mbufs back: one segment, a chain, or many chains batched into one
 * putBulk per pool. A segment goes back to its own pool when its last
 * reference drops, detached first when it is indirect or external.
 *
 * The fifth class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_pktmbuf_prefree_seg, rte_pktmbuf_free_seg, rte_pktmbuf_free,
 * rte_pktmbuf_free_bulk in DPDK lib/mbuf/rte_mbuf.h and rte_mbuf.c
 */
import { RteError } from '@rtemem/eal-hugepage';
import { MbufIndirect } from './indirect.js';
import { shinfoRefAdd } from './extbuf.js';
import { F_HI_EXTERNAL, F_HI_NOT_DIRECT, FREE_BATCH, OFF_NB_SEGS, OFF_NEXT, OFF_OL_FLAGS, OFF_OL_FLAGS_HI, OFF_POOL, OFF_REFCNT, OFF_SHINFO, U16_MAX } from './layout.js';

/** Freeing mbufs: {@link MbufIndirect} and rte_pktmbuf_free*. */
export class MbufFree extends MbufIndirect {
  /**
   * The segment to give back to its pool, or 0 while other references
   * remain: drops one reference, and on the last one detaches the segment
   * and resets next and nb_segs. @see rte_pktmbuf_prefree_seg
   */
  #prefree(m: number): number {
    const k = this.core.k;
    let o = k.at(m);
    const rc = (o + OFF_REFCNT) >> 1;
    if (k.u16[rc] === 1) {
      if ((k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_NOT_DIRECT) !== 0) {
        this.#detachDeferring(m);
        if (this.#pinnedKept(m)) return 0;
        o = k.at(m);
      }
    } else if (((Atomics.sub(k.u16, rc, 1) - 1) & U16_MAX) === 0) {
      if ((k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_NOT_DIRECT) !== 0) {
        this.#detachDeferring(m);
        const kept = this.#pinnedKept(m);
        o = k.at(m);
        if (kept) {
          Atomics.store(k.u16, rc, 1); // waits in its pinned state as a free leaves an mbuf
          return 0;
        }
      }
      Atomics.store(k.u16, rc, 1);
    } else {
      return 0;
    }
    k.f64[(o + OFF_NEXT) >> 3] = 0;
    k.u16[(o + OFF_NB_SEGS) >> 1] = 1;
    return m;
  }

  /**
   * For a segment with a pinned external buffer on its way back: clears its
   * flags, and true when clones still hold the buffer (the segment then
   * waits for the last one, whose detach puts it back); false when it can
   * go back now. @see __rte_pktmbuf_pinned_extbuf_decref
   */
  #pinnedKept(m: number): boolean {
    if (!this.hasPinnedExtbuf(m)) return false;
    const c = this.core;
    const k = c.k;
    const o = k.at(m);
    k.u32[(o + OFF_OL_FLAGS) >> 2] = 0;
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = F_HI_EXTERNAL;
    const shinfo = k.f64[(o + OFF_SHINFO) >> 3]!;
    if (this.extRefcnt(shinfo) === 1) return false;
    if (shinfoRefAdd(c.b, shinfo, -1) !== 0) return true;
    shinfoRefAdd(c.b, shinfo, 1); // the last holder after all: back to one reference, the segment goes
    return false;
  }

  // detach() that keeps a failing external free callback's error for the
  // end of the free, so every segment still goes back to its pool.
  #detachDeferring(m: number): void {
    try {
      this.detach(m);
    } catch (e) {
      this.core.deferred ??= e;
    }
  }

  /** Frees one segment (not the rest of its chain). @see rte_pktmbuf_free_seg */
  freeSeg(m: number): void {
    const c = this.core;
    if (this.#prefree(m) !== 0) {
      const k = c.k;
      const o = k.at(m);
      c.mempool(k.f64[(o + OFF_POOL) >> 3]!).put(m);
    }
    c.throwDeferred();
  }

  /** Frees a whole chain (free(0) does nothing). @see rte_pktmbuf_free */
  free(m: number): void {
    // Kept small so V8 inlines it: one direct segment nobody else references,
    // of the pool of the last mbuf freed; anything else takes #freeChain.
    if (m === 0) return;
    const c = this.core;
    const k = c.k;
    const o = k.at(m);
    if (
      k.f64[(o + OFF_NEXT) >> 3] === 0 &&
      k.u16[(o + OFF_REFCNT) >> 1] === 1 &&
      (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_NOT_DIRECT) === 0 &&
      k.f64[(o + OFF_POOL) >> 3] === c.lastPoolAddr
    ) {
      k.u16[(o + OFF_NB_SEGS) >> 1] = 1;
      c.lastPool!.put(m);
      return;
    }
    this.#freeChain(m);
  }

  #freeChain(m: number): void {
    const c = this.core;
    const k = c.k;
    while (m !== 0) {
      const next = k.f64[(k.at(m) + OFF_NEXT) >> 3]!;
      if (this.#prefree(m) !== 0) c.mempool(k.f64[(k.at(m) + OFF_POOL) >> 3]!).put(m);
      m = next;
    }
    c.throwDeferred();
  }

  /**
   * Frees `n` chains, batching the puts per pool. An address that is not an
   * mbuf throws EINVAL once the mbufs before it are freed (those after it
   * are left as they are). @see rte_pktmbuf_free_bulk
   */
  freeBulk(ms: ArrayLike<number>, n: number = ms.length): void {
    const c = this.core;
    const k = c.k;
    const pending = c.pending;
    // The batch's length lives in `np` on the fast path and in c.pendingN
    // while #freeBulkChain runs (np is -1 then): the catch below puts back
    // whichever holds it.
    let np = c.pendingN;
    let pool = c.pendingPool;
    let i = 0;
    try {
      for (; i < n; i++) {
        const m = ms[i]!;
        if (m === 0) continue;
        const o = k.at(m);
        // Fast path: one direct segment nobody else references, of the pool
        // being batched.
        if (
          k.f64[(o + OFF_NEXT) >> 3] === 0 &&
          k.u16[(o + OFF_REFCNT) >> 1] === 1 &&
          (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_NOT_DIRECT) === 0 &&
          k.f64[(o + OFF_POOL) >> 3] === pool &&
          np < FREE_BATCH
        ) {
          pending[np++] = m;
        } else {
          c.pendingN = np;
          np = -1;
          this.#freeBulkChain(m);
          np = c.pendingN;
          pool = c.pendingPool;
        }
      }
    } catch (e) {
      // What was batched before the bad address goes back to its pool.
      if (np >= 0) c.pendingN = np;
      this.#flushPending(c.pendingPool);
      if (e instanceof RteError) throw new RteError(e.code, `freeBulk: ms[${i}]: ${e.message} (ms[0..${i}) were freed, the rest not)`);
      throw e;
    }
    c.pendingN = np;
    // The pool stays the batch's: the next call's first mbuf takes the fast path.
    this.#flushPending(c.pendingPool);
    c.throwDeferred();
  }

  // A chain, segment by segment, into the batch (flushed when the pool changes or it is full).
  #freeBulkChain(m: number): void {
    const c = this.core;
    const k = c.k;
    while (m !== 0) {
      const next = k.f64[(k.at(m) + OFF_NEXT) >> 3]!;
      if (this.#prefree(m) !== 0) {
        const pool = k.f64[(k.at(m) + OFF_POOL) >> 3]!;
        if (pool !== c.pendingPool || c.pendingN === FREE_BATCH) this.#flushPending(pool);
        c.pending[c.pendingN++] = m;
      }
      m = next;
    }
  }

  // Puts the batch to its pool; the batch then belongs to `nextPool`.
  #flushPending(nextPool: number): void {
    const c = this.core;
    // Emptied first: a put that throws must not leave the batch to be put again.
    const n = c.pendingN;
    const poolAddr = c.pendingPool;
    c.pendingN = 0;
    c.pendingPool = nextPool;
    if (n !== 0) c.mempool(poolAddr).putBulk(c.pending, n);
  }
}
