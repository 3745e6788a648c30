/**
 * The heap lock and its undo journal: every locked heap operation records
 * the old value of each word it changes before changing it, so that a
 * waiter who takes the lock over from a dead process (or the holder itself,
 * when the operation throws half way) puts every word back and finds the
 * heap exactly as it was before that operation began. Layout in layout.ts
 * (`J_*`, `JE_*`).
 *
 * DPDK has no such journal: a process that dies holding a heap's spinlock
 * leaves the heap locked for good. Its lock is `struct malloc_heap`'s
 * `lock` (taken in malloc_heap.c around every operation), which this
 * mirrors.
 *
 * @see lib/eal/common/malloc_heap.c (heap->lock) in DPDK
 */
import { type ConfigRegion, type Eal, lockAcquire, lockRelease, MAX_LCORE, type MemsegListMap, RteError } from '@rtemem/eal-hugepage';
import type { Memory } from '@rtemem/memseg';
import { HEAP_BYTES, HEAPS_OFF, HP_LOCK, J_COUNT, J_ENTRIES, J_GROW_ADDR, J_GROW_LEN, JE_BYTES, JE_CODE, JE_LIST, JE_OLD, JOURNAL_BYTES, JOURNAL_ENTRIES, MAX_HEAPS } from './layout.js';

/** u32 words of a journal entry. */
const JE_WORDS = JE_BYTES >> 2;

/**
 * Test hook, called after every journaled write with the number of writes
 * the current locked operation has made (crash tests stop a process there).
 */
let faultHook: ((writes: number) => void) | null = null;

/** @internal Sets (or clears, with null) the crash-test hook. */
export function setHeapFaultHook(fn: ((writes: number) => void) | null): void {
  faultHook = fn;
}

/** The lcore id a lock records for the calling thread (-1: none). */
export function lockLcore(eal: Eal): number {
  const lc = eal.lcoreId();
  return lc < MAX_LCORE ? lc : -1;
}

/**
 * One thread's view of the heaps' shared state (the config region, the
 * memseg lists it has mapped) and of the heap locks and journals: the
 * stores every locked operation makes go through here.
 */
export class Journal {
  readonly eal: Eal;
  readonly cfg: ConfigRegion;
  readonly memory: Memory;
  /** Offset of the heap area in the config. */
  readonly area: number;
  /** List views by list index (refreshed when external memory is attached). */
  readonly lists: (MemsegListMap | undefined)[] = [];
  /** Offset of the journal area in the config. */
  readonly journal: number;
  // The journal of the operation in progress: u32 index of its count word
  // (0: not journaling), u32 index of entry 0, entries written.
  #jCount = 0;
  #jEntries = 0;
  #jn = 0;
  #recovered = 0;
  // One callback per heap, made once: taking a lock allocates nothing.
  readonly #onRecover: (() => void)[];

  constructor(eal: Eal, memory: Memory, area: number, journal: number) {
    this.eal = eal;
    this.cfg = eal.config;
    this.memory = memory;
    this.area = area;
    this.journal = journal;
    this.#onRecover = Array.from({ length: MAX_HEAPS }, (_, h) => () => {
      this.#recovered += this.rollback(h) > 0 ? 1 : 0;
    });
    this.refreshLists();
  }

  /** Re-reads which lists this thread has mapped (the array is updated in place: handles keep it). */
  refreshLists(): void {
    this.lists.length = 0;
    for (const d of this.eal.listDescriptors()) this.lists[d.index] = this.eal.list(d.index);
  }

  /** Offset in the config of heap `h`'s descriptor. */
  heapOff(h: number): number {
    return this.area + HEAPS_OFF + h * HEAP_BYTES;
  }

  /* ---- the heap lock ---- */

  /**
   * Takes heap `h`'s lock and starts journaling. A waiter that takes the
   * lock over from a dead process first rolls back what that process left
   * half done, so the heap is as it was before its last operation began.
   */
  lock(h: number): void {
    // Memory events raised under the lock wait until it is let go (mem-event.ts in eal-hugepage).
    this.eal.memEvents.hold();
    lockAcquire(this.cfg.i32, this.heapOff(h) + HP_LOCK, this.eal.pid, lockLcore(this.eal), this.#onRecover[h]);
    this.begin(h);
  }

  /** Ends the journal (rolling back an operation that threw before its commit) and releases the lock. */
  unlock(h: number): void {
    try {
      this.end(h);
    } finally {
      lockRelease(this.cfg.i32, this.heapOff(h) + HP_LOCK);
      this.eal.memEvents.release();
    }
  }

  /** Operations of dead processes rolled back when a lock was taken over from them. */
  get recoveries(): number {
    return this.#recovered;
  }

  /* ---- the journal ---- */

  /** Starts journaling an operation on heap `h` (the caller holds its lock). */
  begin(h: number): void {
    const off = this.journal + h * JOURNAL_BYTES;
    this.#jCount = (off + J_COUNT) >> 2;
    this.#jEntries = (off + J_ENTRIES) >> 2;
    this.#jn = 0;
  }

  /** The operation so far is complete: forget its old values. */
  commit(): void {
    if (this.#jCount === 0) return;
    this.cfg.f64[((this.#jCount << 2) - J_COUNT + J_GROW_LEN) >> 3] = 0;
    this.cfg.u32[this.#jCount] = 0;
    this.#jn = 0;
  }

  /** Ends the journaled operation: one that did not commit (it threw half way) is rolled back. */
  end(h: number): void {
    if (this.#jCount === 0) return;
    this.#jCount = 0;
    if (this.cfg.u32[(this.journal + h * JOURNAL_BYTES + J_COUNT) >> 2] !== 0) this.rollback(h);
  }

  /** Records that pages [addr, addr+len) are being added to the heap (freed again on rollback). */
  growIntent(addr: number, len: number): void {
    if (this.#jCount === 0) return;
    const off = (this.#jCount << 2) - J_COUNT;
    this.cfg.f64[(off + J_GROW_ADDR) >> 3] = addr;
    this.cfg.f64[(off + J_GROW_LEN) >> 3] = len;
  }

  /**
   * Puts back every word the unfinished operation on heap `h` changed, last
   * first, and gives back pages it was adding. Returns the words restored.
   * Runs with the lock held: by a waiter that took it from a dead owner, or
   * by the holder whose operation threw.
   */
  rollback(h: number): number {
    const off = this.journal + h * JOURNAL_BYTES;
    const cfg = this.cfg;
    const n = Math.min(cfg.u32[(off + J_COUNT) >> 2]!, JOURNAL_ENTRIES);
    const ent = off + J_ENTRIES;
    this.refreshLists();
    for (let i = n - 1; i >= 0; i--) {
      const j = ent + i * JE_BYTES;
      const li = cfg.u32[(j + JE_LIST) >> 2]!;
      const code = cfg.u32[(j + JE_CODE) >> 2]!;
      const old = cfg.f64[(j + JE_OLD) >> 3]!;
      const at = code >>> 1;
      const wide = (code & 1) === 1;
      const view = li === 0 ? cfg : this.lists[li];
      // A list this process lacks (external memory of the dead process) is gone with it.
      if (view === undefined) continue;
      if (wide) view.f64[at >> 3] = old;
      else view.u32[at >> 2] = old;
    }
    cfg.u32[(off + J_COUNT) >> 2] = 0;
    const growLen = cfg.f64[(off + J_GROW_LEN) >> 3]!;
    if (growLen !== 0) {
      cfg.f64[(off + J_GROW_LEN) >> 3] = 0;
      this.memory.freePages(cfg.f64[(off + J_GROW_ADDR) >> 3]!, growLen);
    }
    return n;
  }

  // Journaled stores: each records where (list index, 0 for the config;
  // byte offset * 2 + 1 for an f64) and the old value before the word
  // changes. The entry is complete before the count covers it, and the
  // count before the word changes: plain stores, which the compiler and x86
  // keep in program order (a process killed in between leaves either no
  // entry or an entry for a word not yet changed; both roll back right).
  // Written out in each (no shared helper taking the old value) so that no
  // double is ever boxed: the heap's paths allocate nothing. `j` is the u32
  // index of the entry (JE_LIST; JE_CODE is j + 1, JE_OLD the f64 at j / 2 + 1).

  /** Journaled store of the f64 at byte `o` of list `m`. */
  w64(m: MemsegListMap, o: number, v: number): void {
    const c = this.#jCount;
    if (c !== 0) {
      const n = this.#jn;
      if (n >= JOURNAL_ENTRIES) this.#overflow();
      const u = this.cfg.u32;
      const j = this.#jEntries + JE_WORDS * n;
      u[j + (JE_LIST >> 2)] = m.index;
      u[j + (JE_CODE >> 2)] = (o << 1) | 1;
      this.cfg.f64[(j + (JE_OLD >> 2)) >> 1] = m.f64[o >> 3]!;
      this.#jn = n + 1;
      u[c] = n + 1;
      if (faultHook !== null) faultHook(n + 1);
    }
    m.f64[o >> 3] = v;
  }

  /** Journaled store of the u32 at byte `o` of list `m`. */
  w32(m: MemsegListMap, o: number, v: number): void {
    const c = this.#jCount;
    if (c !== 0) {
      const n = this.#jn;
      if (n >= JOURNAL_ENTRIES) this.#overflow();
      const u = this.cfg.u32;
      const j = this.#jEntries + JE_WORDS * n;
      u[j + (JE_LIST >> 2)] = m.index;
      u[j + (JE_CODE >> 2)] = o << 1;
      this.cfg.f64[(j + (JE_OLD >> 2)) >> 1] = m.u32[o >> 2]!;
      this.#jn = n + 1;
      u[c] = n + 1;
      if (faultHook !== null) faultHook(n + 1);
    }
    m.u32[o >> 2] = v;
  }

  /** Journaled store of the f64 at byte `off` of the config. */
  c64(off: number, v: number): void {
    const c = this.#jCount;
    const f = this.cfg.f64;
    if (c !== 0) {
      const n = this.#jn;
      if (n >= JOURNAL_ENTRIES) this.#overflow();
      const u = this.cfg.u32;
      const j = this.#jEntries + JE_WORDS * n;
      u[j + (JE_LIST >> 2)] = 0;
      u[j + (JE_CODE >> 2)] = (off << 1) | 1;
      f[(j + (JE_OLD >> 2)) >> 1] = f[off >> 3]!;
      this.#jn = n + 1;
      u[c] = n + 1;
      if (faultHook !== null) faultHook(n + 1);
    }
    f[off >> 3] = v;
  }

  /** Journaled store of the u32 at byte `off` of the config. */
  c32(off: number, v: number): void {
    const c = this.#jCount;
    const u = this.cfg.u32;
    if (c !== 0) {
      const n = this.#jn;
      if (n >= JOURNAL_ENTRIES) this.#overflow();
      const j = this.#jEntries + JE_WORDS * n;
      u[j + (JE_LIST >> 2)] = 0;
      u[j + (JE_CODE >> 2)] = off << 1;
      this.cfg.f64[(j + (JE_OLD >> 2)) >> 1] = u[off >> 2]!;
      this.#jn = n + 1;
      u[c] = n + 1;
      if (faultHook !== null) faultHook(n + 1);
    }
    u[off >> 2] = v;
  }

  #overflow(): never {
    throw new RteError('EOVERFLOW', `a heap operation changed more than ${JOURNAL_ENTRIES} words (a bug in the heap)`);
  }
}
