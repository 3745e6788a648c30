/**
 * Per-lcore caches of free small blocks, which DPDK's heap does not have:
 * a registered lcore keeps blocks of up to CACHE_MAX_SIZE bytes it frees in
 * its own cache (64 exact size classes) and hands them out again without
 * the heap lock. Layout in layout.ts (`LC_*`, `CACHE_*`).
 *
 * Only the owner pops and pushes, with plain loads and stores. Another
 * thread that needs the blocks back (a malloc or memzone reserve that
 * found no room) reclaims the cache with the protocol below; the owner's
 * fast path stays lock-free:
 *
 * - the owner sets LC_BUSY (a plain store) for the length of one pop or
 *   push, and does nothing while LC_CLOSED is set;
 * - the reclaimer sets LC_CLOSED (atomic compare-and-exchange: one
 *   reclaimer per cache), runs a system-wide barrier (membarrier(2), see
 *   eal-hugepage `systemBarrier`) so that the BUSY store of an operation
 *   already under way is visible to it, waits for BUSY to clear, empties
 *   the cache into its heap, and clears LC_CLOSED.
 *
 * The blocks in a cache are not journaled: a process killed inside a pop
 * or push can strand that one block (it stays counted as allocated), never
 * corrupt the heap.
 *
 * @see lib/mempool/rte_mempool.h (the per-lcore cache idea) in DPDK
 */
import { type Eal, MAX_LCORE, MAX_LISTS, type MemsegListMap, processAlive, SEG_F_USED, systemBarrier } from '@rtemem/eal-hugepage';
import type { HeapCore } from './elem.js';
import {
  CACHE_BINS,
  CACHES_OFF,
  cacheBinLimit,
  EL_FL_NEXT,
  EL_HEAP,
  EL_MAGIC,
  EL_PAD,
  EL_SIZE,
  EL_STATE,
  ELEM_BUSY,
  ELEM_CACHED,
  ELEM_HEADER_LEN,
  ELEM_MAGIC,
  ELEM_OVERHEAD,
  HEAP_KIND_SOCKET,
  HP_KIND,
  LC_BIN_BYTES,
  LC_BIN_COUNT,
  LC_BIN_HEAD,
  LC_BINS,
  LC_BUSY,
  LC_CLOSED,
  LC_HEAP,
  LCACHE_BYTES,
  SEG_ENTRY_SHIFT,
  SPAN,
  SPAN_SHIFT,
} from './layout.js';

/** Something to wait on for a millisecond (never notified). */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** How long a reclaimer waits for an owner inside one pop or push before it gives up on that cache. */
const OWNER_WAIT_MS = 100;

/** Every lcore's cache, seen from one thread. */
export class LcoreCaches {
  readonly #eal: Eal;
  readonly #core: HeapCore;
  readonly #i32: Int32Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  /** Offset in the config of lcore 0's cache. */
  readonly #caches: number;
  /** The core's list array (updated in place). */
  readonly #lists: (MemsegListMap | undefined)[];
  readonly #binLimit: Int32Array;
  /** Per list index: bytes whose blocks may enter an lcore cache (0: none). */
  readonly #cacheLen = new Float64Array(MAX_LISTS + 1);
  /** Frees a busy block with the heap's lock (the heap's slow path). */
  readonly #release: (addr: number) => void;

  constructor(core: HeapCore, release: (addr: number) => void) {
    this.#eal = core.eal;
    this.#core = core;
    this.#i32 = core.cfg.i32;
    this.#u32 = core.cfg.u32;
    this.#f64 = core.cfg.f64;
    this.#caches = core.area + CACHES_OFF;
    this.#lists = core.lists;
    this.#binLimit = Int32Array.from({ length: CACHE_BINS }, (_, b) => cacheBinLimit(b));
    // External lists are never cached: they can leave the heap.
    for (const l of core.eal.lists) this.#cacheLen[l.index] = l.length;
    this.#release = release;
  }

  /** Marks every cache as serving no heap (the first handle, at initialisation). */
  initShared(): void {
    for (let lc = 0; lc < MAX_LCORE; lc++) this.#i32[(this.#caches + lc * LCACHE_BYTES + LC_HEAP) >> 2] = -1;
  }

  /**
   * Pops a block of bin `bin` from lcore `lc`'s cache: its data address, or
   * 0 when the bin is empty or the cache is being reclaimed (LC_CLOSED).
   * Only the owner calls it.
   */
  pop(lc: number, bin: number): number {
    const base = this.#caches + lc * LCACHE_BYTES;
    // Plain stores and loads: pairs with the barrier in reclaim.
    this.#i32[(base + LC_BUSY) >> 2] = 1;
    const b = base + LC_BINS + bin * LC_BIN_BYTES;
    const e = this.#i32[(base + LC_CLOSED) >> 2] === 0 ? this.#f64[(b + LC_BIN_HEAD) >> 3]! : 0;
    if (e === 0) {
      this.#i32[(base + LC_BUSY) >> 2] = 0;
      return 0;
    }
    // Integer ops for addresses below 2^32 (a float division costs more than the pop).
    const eu = e >>> 0;
    const li = eu === e ? eu >>> SPAN_SHIFT : Math.floor(e / SPAN);
    const m = this.#lists[li]!;
    const off = eu === e ? eu & (SPAN - 1) : e - li * SPAN;
    this.#f64[(b + LC_BIN_HEAD) >> 3] = m.f64[(off + EL_FL_NEXT) >> 3]!;
    this.#u32[(b + LC_BIN_COUNT) >> 2] = this.#u32[(b + LC_BIN_COUNT) >> 2]! - 1;
    m.u32[(off + EL_STATE) >> 2] = ELEM_BUSY;
    this.#i32[(base + LC_BUSY) >> 2] = 0;
    return e + ELEM_HEADER_LEN;
  }

  /**
   * Puts the block at `addr` (an int32 address of at least 64, as free()
   * checks) in lcore `lc`'s cache when it is a plain busy block of the
   * cache's heap and fits a bin with room; false otherwise. Kept small
   * enough for V8 to inline into Heap.free().
   */
  push(lc: number, addr: number): boolean {
    // `addr` is an int32 of at least 64: e is a small non-negative integer.
    const e = addr - ELEM_HEADER_LEN;
    const li = e >>> SPAN_SHIFT;
    const off = e & (SPAN - 1);
    // 0 for lists this thread lacks and external ones: never cached.
    if (!(off < this.#cacheLen[li]!)) return false;
    const m = this.#lists[li]!;
    const mu = m.u32;
    // Never read a header in a page without memory (a hugepage would be
    // faulted in): the segment's state word (segState, inlined) first.
    if ((this.#u32[(m.segTable + ((off >>> m.pageShift) << SEG_ENTRY_SHIFT)) >> 2]! & SEG_F_USED) === 0) return false;
    if (mu[(off + EL_MAGIC) >> 2] !== ELEM_MAGIC || mu[(off + EL_STATE) >> 2] !== ELEM_BUSY || mu[(off + EL_PAD) >> 2] !== 0) return false;
    // Bin b holds elements of (b + 1) * 64 data bytes: (size - ELEM_OVERHEAD) / 64 - 1.
    const bin = (mu[(off + EL_SIZE) >> 2]! >> 6) - 2;
    const base = this.#caches + lc * LCACHE_BYTES;
    const b = base + LC_BINS + bin * LC_BIN_BYTES;
    // Plain stores and loads: pairs with the barrier in reclaim.
    this.#i32[(base + LC_BUSY) >> 2] = 1;
    const count = this.#u32[(b + LC_BIN_COUNT) >> 2]!;
    // A bin past the last has no limit (undefined): the comparison fails.
    if (
      this.#i32[(base + LC_CLOSED) >> 2] !== 0 ||
      !(count < this.#binLimit[bin]!) ||
      (this.#i32[(base + LC_HEAP) >> 2] !== mu[(off + EL_HEAP) >> 2] && !this.#adopt(base, mu[(off + EL_HEAP) >> 2]!))
    ) {
      this.#i32[(base + LC_BUSY) >> 2] = 0;
      return false;
    }
    mu[(off + EL_STATE) >> 2] = ELEM_CACHED;
    m.f64[(off + EL_FL_NEXT) >> 3] = this.#f64[(b + LC_BIN_HEAD) >> 3]!;
    this.#f64[(b + LC_BIN_HEAD) >> 3] = e;
    this.#u32[(b + LC_BIN_COUNT) >> 2] = count + 1;
    this.#i32[(base + LC_BUSY) >> 2] = 0;
    return true;
  }

  // An empty cache switches to serving `heap` (a socket heap).
  #adopt(base: number, heap: number): boolean {
    if (this.#i32[(base + LC_HEAP) >> 2] !== -1 && this.#countAt(base) !== 0) return false;
    if (this.#core.hU32(heap, HP_KIND) !== HEAP_KIND_SOCKET) return false;
    this.#i32[(base + LC_HEAP) >> 2] = heap;
    return true;
  }

  // Elements in the cache at `base`.
  #countAt(base: number): number {
    let n = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) n += this.#u32[(base + LC_BINS + bin * LC_BIN_BYTES + LC_BIN_COUNT) >> 2]!;
    return n;
  }

  // Bytes (headers included) in the cache at `base`.
  #bytesAt(base: number): number {
    let bytes = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) bytes += this.#u32[(base + LC_BINS + bin * LC_BIN_BYTES + LC_BIN_COUNT) >> 2]! * ((bin + 1) * 64 + ELEM_OVERHEAD);
    return bytes;
  }

  /** Blocks parked in the caches that serve heap `h`. */
  countOf(h: number): number {
    let n = 0;
    for (let lc = 0; lc < MAX_LCORE; lc++) {
      const base = this.#caches + lc * LCACHE_BYTES;
      if (this.#i32[(base + LC_HEAP) >> 2] === h) n += this.#countAt(base);
    }
    return n;
  }

  /** Bytes (headers included) parked in the caches that serve heap `h`. */
  bytesOf(h: number): number {
    let n = 0;
    for (let lc = 0; lc < MAX_LCORE; lc++) {
      const base = this.#caches + lc * LCACHE_BYTES;
      if (this.#i32[(base + LC_HEAP) >> 2] === h) n += this.#bytesAt(base);
    }
    return n;
  }

  /** Gives every block in the calling lcore's cache back to its heap. Returns the number of blocks. */
  flush(): number {
    const lc = this.#eal.lcoreId();
    if (lc >= MAX_LCORE) return 0;
    let n = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) {
      for (let addr = this.pop(lc, bin); addr !== 0; addr = this.pop(lc, bin)) {
        this.#release(addr);
        n++;
      }
    }
    return n;
  }

  /**
   * Gives the blocks parked in every lcore's cache back to their heaps (the
   * calling lcore's by flush, every other one's by the protocol above).
   * Returns the number of blocks given back. A cache whose owner stays
   * inside one operation for over OWNER_WAIT_MS (a process stopped by a
   * debugger, say) is left alone, unless its owner is gone: a dead
   * process's or an unregistered lcore's cache is emptied.
   */
  reclaim(): number {
    let n = this.flush();
    const own = this.#eal.lcoreId();
    const closed: number[] = [];
    for (let lc = 0; lc < MAX_LCORE; lc++) {
      const base = this.#caches + lc * LCACHE_BYTES;
      if (lc === own || this.#countAt(base) === 0) continue;
      // Another thread reclaiming this cache right now has it.
      if (Atomics.compareExchange(this.#i32, (base + LC_CLOSED) >> 2, 0, 1) === 0) closed.push(lc);
    }
    if (closed.length === 0) return n;
    systemBarrier();
    for (const lc of closed) n += this.#reclaimOne(lc);
    return n;
  }

  // Empties the closed cache of lcore `lc` into its heap, then opens it.
  #reclaimOne(lc: number): number {
    const base = this.#caches + lc * LCACHE_BYTES;
    try {
      if (!this.#ownerLeft(lc, base)) return 0;
      let n = 0;
      for (let bin = 0; bin < CACHE_BINS; bin++) {
        const b = base + LC_BINS + bin * LC_BIN_BYTES;
        let e = this.#f64[(b + LC_BIN_HEAD) >> 3]!;
        this.#f64[(b + LC_BIN_HEAD) >> 3] = 0;
        this.#u32[(b + LC_BIN_COUNT) >> 2] = 0;
        while (e !== 0) {
          const li = Math.floor(e / SPAN);
          const m = this.#lists[li];
          const off = e - li * SPAN;
          // A process killed half way through a push can leave a link to a
          // block that is not cached: stop there (the rest is lost, as the
          // blocks of any process killed while it held them).
          if (m === undefined || m.u32[(off + EL_MAGIC) >> 2] !== ELEM_MAGIC || m.u32[(off + EL_STATE) >> 2] !== ELEM_CACHED) break;
          const next = m.f64[(off + EL_FL_NEXT) >> 3]!;
          m.u32[(off + EL_STATE) >> 2] = ELEM_BUSY;
          this.#release(e + ELEM_HEADER_LEN);
          n++;
          e = next;
        }
      }
      this.#i32[(base + LC_HEAP) >> 2] = -1;
      return n;
    } finally {
      Atomics.store(this.#i32, (base + LC_CLOSED) >> 2, 0);
    }
  }

  // True once the owner of the closed cache at `base` is outside any pop or
  // push (after the barrier, a BUSY of 0 is its last word), or is gone.
  #ownerLeft(lc: number, base: number): boolean {
    const deadline = Date.now() + OWNER_WAIT_MS;
    for (let spin = 0; Atomics.load(this.#i32, (base + LC_BUSY) >> 2) !== 0; spin++) {
      if (Date.now() > deadline) {
        const owner = this.#eal.lcores().find((c) => c.lcoreId === lc);
        return owner === undefined || !processAlive(owner.pid);
      }
      if (spin > 100) Atomics.wait(pauseCell, 0, 0, 1);
    }
    return true;
  }
}
