/**
 * What every mbuf method works on (`this.core` in the class chain of
 * mbuf.ts): one thread's view of the mbufs of an EAL handle. Two list
 * cursors (mbuf headers, and the bytes of buffers), the mempool of the last
 * mbuf freed, the batch freeBulk is filling, the error a free callback
 * left for the end of a free, and the dynamic field registry. Shared state
 * stays in shared memory; this holds handles onto it and per-thread
 * scratch.
 */
import { type Eal, hex, ListCursor, RteError } from '@rtemem/eal-hugepage';
import { Mempool } from '@rtemem/mempool';
import { ByteCopier } from './copy.js';
import { DynRegistry } from './dyn.js';
import { FREE_BATCH, MBUF_HEADER_SIZE } from './layout.js';

/** One thread's mbuf state for one EAL handle. */
export class MbufCore {
  // Fields set once in the constructor are `declare`d (no class-field
  // initialiser storing undefined first): V8 then keeps them constant
  // fields, which it can fold in hot paths.
  declare readonly eal: Eal;
  /** Mbuf headers: `k.at(m)` guarantees a whole header at the offset. */
  declare readonly k: ListCursor;
  /** Bytes of buffers, external buffers and their shared info. */
  declare readonly b: ListCursor;
  /** The mempool of the last mbuf given back (free's fast path compares its pool field to this). */
  lastPoolAddr = -1;
  lastPool: Mempool | null = null;
  /** freeBulk: mbufs waiting for one putBulk to pool `pendingPool`. */
  readonly pending = new Float64Array(FREE_BATCH);
  pendingN = 0;
  pendingPool = 0;
  /** A free callback's error, thrown once the free in progress is done. */
  deferred: unknown = null;
  /** Copies between callers' bytes and shared memory without TypedArray.set (copy.ts). */
  readonly cp = new ByteCopier();
  /** IOVA words for stores into an mbuf. */
  readonly iova = new Uint32Array(2);
  #dyn: DynRegistry | null = null;

  constructor(eal: Eal) {
    this.eal = eal;
    this.k = new ListCursor(eal, MBUF_HEADER_SIZE, 'an mbuf address');
    this.b = new ListCursor(eal, 0, 'an address');
  }

  /**
   * The mempool whose header is at `poolAddr` (an mbuf's pool field).
   * Throws EINVAL, "bad mbuf pool", when no live mempool is there.
   */
  mempool(poolAddr: number): Mempool {
    if (poolAddr === this.lastPoolAddr && this.lastPool !== null) return this.lastPool;
    const mp = Mempool.atAddress(this.eal, poolAddr);
    if (mp === null) throw new RteError('EINVAL', `mbuf pool ${hex(poolAddr)} is not a live mempool (bad mbuf pool)`);
    this.lastPoolAddr = poolAddr;
    this.lastPool = mp;
    return mp;
  }

  /** The dynamic field and flag registry (made on first use: it takes a config area). */
  registry(): DynRegistry {
    this.#dyn ??= new DynRegistry(this.eal);
    return this.#dyn;
  }

  /** Throws the error a free callback left during the free just done, if any. */
  throwDeferred(): void {
    const e = this.deferred;
    if (e !== null) {
      this.deferred = null;
      throw e;
    }
  }
}
