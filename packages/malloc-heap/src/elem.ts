/**
 * Malloc elements and heaps in shared memory: free lists, split, join,
 * aligned placement within bounds, adding and hiding memory. Every method
 * here runs with the heap's lock held (see heap.ts), in any thread or
 * process.
 *
 * An element is a 64-byte header followed by its data; elements of a heap
 * are linked in address order (prev/next), free ones also on one of 13 free
 * lists by size. Allocation takes the first element that fits, searching
 * from the request's size class up, and places the block at the element's
 * end (DPDK's rule), splitting off what is left when it can hold a header
 * plus 64 bytes and padding otherwise.
 *
 * @see lib/eal/common/malloc_elem.c, malloc_heap.c in DPDK
 */
import { type ConfigRegion, type Eal, type MemsegListMap, RteError } from '@rtemem/memseg';
import type { Memory } from '@rtemem/memseg';
import {
  J_COUNT,
  J_ENTRIES,
  J_GROW_ADDR,
  J_GROW_LEN,
  JOURNAL_BYTES,
  JOURNAL_ENTRIES,
  EL_FL_INDEX,
  EL_FL_NEXT,
  EL_FL_PREV,
  EL_HEAP,
  EL_MAGIC,
  EL_NEXT,
  EL_PAD,
  EL_PREV,
  EL_SIZE,
  EL_STATE,
  ELEM_BUSY,
  ELEM_FREE,
  ELEM_HEADER_LEN,
  ELEM_MAGIC,
  ELEM_OVERHEAD,
  ELEM_PAD,
  HEAP_BYTES,
  HEAPS_OFF,
  HP_ALLOC_COUNT,
  HP_FIRST,
  HP_FREE_HEADS,
  HP_LAST,
  HP_TOTAL,
  MIN_SPLIT,
  SPAN,
  NUM_FREELISTS,
} from './layout.js';

/** Elements looked at per free list in the first, bounded pass of a search. */
const SCAN_LIMIT = 32;

/** Free list index of a data size. @see malloc_elem_free_list_index */
export function freeListIndex(size: number): number {
  if (size <= 256) return 0;
  // ceil(log2(size)), for sizes below 2**32 (an element never spans a list).
  const log2 = 32 - Math.clz32(size - 1);
  const index = (log2 - 8 + 1) >> 1;
  return index < NUM_FREELISTS - 1 ? index : NUM_FREELISTS - 1;
}

/**
 * Test hook, called after every journaled write with the number of writes
 * the current locked operation has made (crash tests stop a process there).
 */
let faultHook: ((writes: number) => void) | null = null;

/** @internal Sets (or clears, with null) the crash-test hook. */
export function setHeapFaultHook(fn: ((writes: number) => void) | null): void {
  faultHook = fn;
}

function floorAlign(x: number, a: number): number {
  return x - (x % a);
}

function ceilAlign(x: number, a: number): number {
  return floorAlign(x + a - 1, a);
}

/** Shared element and heap state, seen from one thread. */
export class HeapCore {
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

  constructor(eal: Eal, memory: Memory, area: number, journal: number) {
    this.eal = eal;
    this.cfg = eal.config;
    this.memory = memory;
    this.area = area;
    this.journal = journal;
    this.refreshLists();
  }

  /* ---- undo journal (see layout.ts) ---- */

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
    this.cfg.f64[((this.#jCount << 2) + J_GROW_LEN) >> 3] = 0;
    this.cfg.u32[this.#jCount] = 0;
    this.#jn = 0;
  }

  /**
   * Ends the journaled operation: one that did not commit (it threw half
   * way) is rolled back.
   */
  end(h: number): void {
    if (this.#jCount === 0) return;
    this.#jCount = 0;
    if (this.cfg.u32[(this.journal + h * JOURNAL_BYTES + J_COUNT) >> 2] !== 0) this.rollback(h);
  }

  /** Records that pages [addr, addr+len) are being added to the heap (freed again on rollback). */
  growIntent(addr: number, len: number): void {
    if (this.#jCount === 0) return;
    const off = this.#jCount << 2;
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
    const ent = (off + J_ENTRIES) >> 2;
    this.refreshLists();
    for (let i = n - 1; i >= 0; i--) {
      const j = ent + 4 * i;
      const li = cfg.u32[j]!;
      const code = cfg.u32[j + 1]!;
      const old = cfg.f64[(j >> 1) + 1]!;
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
  // double is ever boxed: the heap's paths allocate nothing.

  /** Journaled store of the f64 at byte `o` of list `m`. */
  w64(m: MemsegListMap, o: number, v: number): void {
    const c = this.#jCount;
    if (c !== 0) {
      const n = this.#jn;
      if (n >= JOURNAL_ENTRIES) this.#overflow();
      const u = this.cfg.u32;
      const j = this.#jEntries + 4 * n;
      u[j] = m.index;
      u[j + 1] = (o << 1) | 1;
      this.cfg.f64[(j >> 1) + 1] = m.f64[o >> 3]!;
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
      const j = this.#jEntries + 4 * n;
      u[j] = m.index;
      u[j + 1] = o << 1;
      this.cfg.f64[(j >> 1) + 1] = m.u32[o >> 2]!;
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
      const j = this.#jEntries + 4 * n;
      u[j] = 0;
      u[j + 1] = (off << 1) | 1;
      f[(j >> 1) + 1] = f[off >> 3]!;
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
      const j = this.#jEntries + 4 * n;
      u[j] = 0;
      u[j + 1] = off << 1;
      this.cfg.f64[(j >> 1) + 1] = u[off >> 2]!;
      this.#jn = n + 1;
      u[c] = n + 1;
      if (faultHook !== null) faultHook(n + 1);
    }
    u[off >> 2] = v;
  }

  #overflow(): never {
    throw new RteError('EOVERFLOW', `a heap operation changed more than ${JOURNAL_ENTRIES} words (a bug in the heap)`);
  }

  /** Re-reads which lists this thread has mapped (the array is updated in place: handles keep it). */
  refreshLists(): void {
    this.lists.length = 0;
    for (const d of this.eal.listDescriptors()) this.lists[d.index] = this.eal.list(d.index);
  }

  /* ---- heap descriptor fields (config region) ---- */

  heapOff(h: number): number {
    return this.area + HEAPS_OFF + h * HEAP_BYTES;
  }

  hF64(h: number, field: number): number {
    return this.cfg.f64[(this.heapOff(h) + field) >> 3]!;
  }

  hSetF64(h: number, field: number, v: number): void {
    this.c64(this.heapOff(h) + field, v);
  }

  hU32(h: number, field: number): number {
    return this.cfg.u32[(this.heapOff(h) + field) >> 2]!;
  }

  hSetU32(h: number, field: number, v: number): void {
    this.c32(this.heapOff(h) + field, v);
  }

  /* ---- element fields (list memory) ---- */

  /** The list mapping holding `a`, or undefined. */
  listOf(a: number): MemsegListMap | undefined {
    return this.lists[(a / SPAN) | 0];
  }

  f64(a: number, field: number): number {
    const li = (a / SPAN) | 0;
    return this.lists[li]!.f64[(a - li * SPAN + field) >> 3]!;
  }

  setF64(a: number, field: number, v: number): void {
    const li = (a / SPAN) | 0;
    this.w64(this.lists[li]!, a - li * SPAN + field, v);
  }

  u32(a: number, field: number): number {
    const li = (a / SPAN) | 0;
    return this.lists[li]!.u32[(a - li * SPAN + field) >> 2]!;
  }

  setU32(a: number, field: number, v: number): void {
    const li = (a / SPAN) | 0;
    this.w32(this.lists[li]!, a - li * SPAN + field, v);
  }

  size(e: number): number {
    return this.u32(e, EL_SIZE);
  }

  state(e: number): number {
    return this.u32(e, EL_STATE);
  }

  /** Writes a fresh FREE header (not linked anywhere). @see malloc_elem_init */
  init(e: number, h: number, size: number): void {
    const li = (e / SPAN) | 0;
    const m = this.lists[li]!;
    const o = e - li * SPAN;
    this.w64(m, o + EL_PREV, 0);
    this.w64(m, o + EL_NEXT, 0);
    this.w64(m, o + EL_FL_PREV, 0);
    this.w64(m, o + EL_FL_NEXT, 0);
    this.w32(m, o + EL_SIZE, size);
    this.w32(m, o + EL_STATE, ELEM_FREE);
    this.w32(m, o + EL_PAD, 0);
    this.w32(m, o + EL_HEAP, h);
    this.w32(m, o + EL_MAGIC, ELEM_MAGIC);
  }

  /* ---- free lists ---- */

  /** Puts a FREE element on the free list of its size. @see malloc_elem_free_list_insert */
  flInsert(h: number, e: number): void {
    const li = (e / SPAN) | 0;
    const m = this.lists[li]!;
    const o = e - li * SPAN;
    const idx = freeListIndex(m.u32[(o + EL_SIZE) >> 2]! - ELEM_HEADER_LEN);
    const hw = this.heapOff(h) + HP_FREE_HEADS + idx * 8;
    const head = this.cfg.f64[hw >> 3]!;
    this.w32(m, o + EL_STATE, ELEM_FREE);
    this.w32(m, o + EL_FL_INDEX, idx);
    this.w64(m, o + EL_FL_PREV, 0);
    this.w64(m, o + EL_FL_NEXT, head);
    if (head !== 0) this.setF64(head, EL_FL_PREV, e);
    this.c64(hw, e);
  }

  /** Takes an element off its free list. @see malloc_elem_free_list_remove */
  flRemove(h: number, e: number): void {
    const li = (e / SPAN) | 0;
    const m = this.lists[li]!;
    const o = e - li * SPAN;
    const f = m.f64;
    const prev = f[(o + EL_FL_PREV) >> 3]!;
    const next = f[(o + EL_FL_NEXT) >> 3]!;
    if (prev !== 0) this.setF64(prev, EL_FL_NEXT, next);
    else this.c64(this.heapOff(h) + HP_FREE_HEADS + m.u32[(o + EL_FL_INDEX) >> 2]! * 8, next);
    if (next !== 0) this.setF64(next, EL_FL_PREV, prev);
    this.w64(m, o + EL_FL_PREV, 0);
    this.w64(m, o + EL_FL_NEXT, 0);
  }

  /* ---- address-ordered element list ---- */

  /** Links a new element into the heap's address-ordered list. @see malloc_elem_insert */
  insert(h: number, e: number): void {
    const first = this.hF64(h, HP_FIRST);
    const last = this.hF64(h, HP_LAST);
    let prev = 0;
    let next = 0;
    if (first === 0) {
      this.hSetF64(h, HP_FIRST, e);
      this.hSetF64(h, HP_LAST, e);
    } else if (e < first) {
      next = first;
      this.hSetF64(h, HP_FIRST, e);
    } else if (e > last) {
      prev = last;
      this.hSetF64(h, HP_LAST, e);
    } else if (e - first < last - e) {
      prev = first;
      while (this.f64(prev, EL_NEXT) < e) prev = this.f64(prev, EL_NEXT);
      next = this.f64(prev, EL_NEXT);
    } else {
      next = last;
      while (this.f64(next, EL_PREV) > e) next = this.f64(next, EL_PREV);
      prev = this.f64(next, EL_PREV);
    }
    this.setF64(e, EL_PREV, prev);
    this.setF64(e, EL_NEXT, next);
    if (prev !== 0) this.setF64(prev, EL_NEXT, e);
    if (next !== 0) this.setF64(next, EL_PREV, e);
  }

  /** Unlinks an element from the address-ordered list. @see remove_elem */
  unlink(h: number, e: number): void {
    const prev = this.f64(e, EL_PREV);
    const next = this.f64(e, EL_NEXT);
    if (next !== 0) this.setF64(next, EL_PREV, prev);
    else this.hSetF64(h, HP_LAST, prev);
    if (prev !== 0) this.setF64(prev, EL_NEXT, next);
    else this.hSetF64(h, HP_FIRST, next);
    this.setF64(e, EL_PREV, 0);
    this.setF64(e, EL_NEXT, 0);
  }

  /** True when `e`'s next element starts right where `e` ends, in the same list. */
  nextAdjacent(e: number): boolean {
    const next = this.f64(e, EL_NEXT);
    return next !== 0 && next === e + this.size(e) && ((next / SPAN) | 0) === ((e / SPAN) | 0);
  }

  /** True when `e`'s previous element ends right where `e` starts, in the same list. */
  prevAdjacent(e: number): boolean {
    const prev = this.f64(e, EL_PREV);
    return prev !== 0 && prev + this.size(prev) === e && ((prev / SPAN) | 0) === ((e / SPAN) | 0);
  }

  /** Splits `e` at `at`: `e` keeps [e, at), a new FREE element gets the rest. @see split_elem */
  split(h: number, e: number, at: number): void {
    // `at` is inside `e`, so both are in one list.
    const li = (e / SPAN) | 0;
    const m = this.lists[li]!;
    const base = li * SPAN;
    const o = e - base;
    const a = at - base;
    const next = m.f64[(o + EL_NEXT) >> 3]!;
    const oldSize = at - e;
    this.w64(m, a + EL_PREV, e);
    this.w64(m, a + EL_NEXT, next);
    this.w64(m, a + EL_FL_PREV, 0);
    this.w64(m, a + EL_FL_NEXT, 0);
    this.w32(m, a + EL_SIZE, m.u32[(o + EL_SIZE) >> 2]! - oldSize);
    this.w32(m, a + EL_STATE, ELEM_FREE);
    this.w32(m, a + EL_PAD, 0);
    this.w32(m, a + EL_HEAP, h);
    this.w32(m, a + EL_MAGIC, ELEM_MAGIC);
    if (next !== 0) this.setF64(next, EL_PREV, at);
    else this.hSetF64(h, HP_LAST, at);
    this.w64(m, o + EL_NEXT, at);
    this.w32(m, o + EL_SIZE, oldSize);
    const pad = m.u32[(o + EL_PAD) >> 2]!;
    if (pad !== 0) this.w32(m, o + pad + EL_SIZE, oldSize - pad);
  }

  /** Joins `b` (adjacent, after `a`, same list) into `a`, erasing `b`'s header. @see join_elem */
  join(h: number, a: number, b: number): void {
    const li = (a / SPAN) | 0;
    const m = this.lists[li]!;
    const base = li * SPAN;
    const oa = a - base;
    const ob = b - base;
    const u = m.u32;
    const next = m.f64[(ob + EL_NEXT) >> 3]!;
    const size = u[(oa + EL_SIZE) >> 2]! + u[(ob + EL_SIZE) >> 2]!;
    this.w32(m, oa + EL_SIZE, size);
    if (next !== 0) this.setF64(next, EL_PREV, a);
    else this.hSetF64(h, HP_LAST, a);
    this.w64(m, oa + EL_NEXT, next);
    this.w32(m, ob + EL_MAGIC, 0);
    const pad = u[(oa + EL_PAD) >> 2]!;
    if (pad !== 0) this.w32(m, oa + pad + EL_SIZE, size - pad);
  }

  /** Merges `e` with free neighbours (taking them off their free lists). Returns the merged element. */
  joinAdjacentFree(h: number, e: number): number {
    const li = (e / SPAN) | 0;
    const m = this.lists[li]!;
    const base = li * SPAN;
    const o = e - base;
    const f = m.f64;
    const u = m.u32;
    const end = base + m.length;
    // Neighbours are adjacent when they touch `e` inside the same list.
    const next = f[(o + EL_NEXT) >> 3]!;
    if (next !== 0 && next === e + u[(o + EL_SIZE) >> 2]! && next < end && u[(next - base + EL_STATE) >> 2] === ELEM_FREE) {
      this.flRemove(h, next);
      this.join(h, e, next);
    }
    const prev = f[(o + EL_PREV) >> 3]!;
    if (prev !== 0 && prev >= base && prev + u[(prev - base + EL_SIZE) >> 2]! === e && u[(prev - base + EL_STATE) >> 2] === ELEM_FREE) {
      this.flRemove(h, prev);
      this.join(h, prev, e);
      return prev;
    }
    return e;
  }

  /* ---- placement ---- */

  /**
   * Where a block of `size` bytes aligned to `align`, not crossing a
   * multiple of `bound` (0: none), would start inside free element `e`,
   * placed as high as it fits: the new element's header address, or 0.
   * @see elem_start_pt
   */
  startPoint(e: number, size: number, align: number, bound: number, contig: boolean): number {
    let elemSize = this.size(e);
    while (elemSize >= size) {
      let end = e + elemSize;
      let data = floorAlign(end - size, align);
      if (bound !== 0 && Math.floor(data / bound) !== Math.floor((end - 1) / bound)) {
        end = floorAlign(end, bound);
        data = floorAlign(end - size, align);
        end = data + size;
        if (Math.floor((end - 1) / bound) !== Math.floor(data / bound)) return 0;
      }
      const start = data - ELEM_HEADER_LEN;
      if (start < e) return 0;
      if (contig && !this.memory.isIovaContig(data, end - data)) {
        elemSize -= align;
        continue;
      }
      return start;
    }
    return 0;
  }

  /** True when element `e` lies in pages of an accepted size. */
  pageSizeOk(e: number, pageSizes: readonly number[] | null): boolean {
    return pageSizes === null || pageSizes.includes(this.listOf(e)!.pageSize);
  }

  /**
   * The first free element, from the size's class up, that can hold the
   * block. With `hintOnly`, an element of another page size is the fallback.
   *
   * A first pass looks at no more than SCAN_LIMIT elements of each class
   * before moving up (every element of a higher class holds a plain request
   * of a lower one), so a long list of almost-fitting elements costs a
   * bounded time; only when that finds nothing does a second pass scan every
   * list in full, as DPDK does, so memory that can hold the block is always
   * found. @see find_suitable_element
   */
  findSuitable(h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    if (align === 64 && bound === 0 && !contig && pageSizes === null) {
      const e = this.#findPlain(h, size + ELEM_OVERHEAD, SCAN_LIMIT);
      return e !== 0 ? e : this.#findPlain(h, size + ELEM_OVERHEAD, 0x7fffffff);
    }
    let alt = 0;
    for (let idx = freeListIndex(size); idx < NUM_FREELISTS; idx++) {
      for (let e = this.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = this.f64(e, EL_FL_NEXT)) {
        if (this.size(e) < size + ELEM_OVERHEAD || this.startPoint(e, size, align, bound, contig) === 0) continue;
        if (this.pageSizeOk(e, pageSizes)) return e;
        if (alt === 0) alt = e;
      }
    }
    return hintOnly ? alt : 0;
  }

  // First fit for a 64-aligned, unbounded block: an element fits when it is
  // `need` bytes or more. Looks at `limit` elements per class at most.
  #findPlain(h: number, need: number, limit: number): number {
    const cfg = this.cfg.f64;
    const heads = (this.heapOff(h) + HP_FREE_HEADS) >> 3;
    const lists = this.lists;
    for (let idx = freeListIndex(need - ELEM_OVERHEAD); idx < NUM_FREELISTS; idx++) {
      let e = cfg[heads + idx]!;
      for (let n = 0; e !== 0 && n < limit; n++) {
        const li = (e / SPAN) | 0;
        const m = lists[li]!;
        const off = e - li * SPAN;
        if (m.u32[(off + EL_SIZE) >> 2]! >= need) return e;
        e = m.f64[(off + EL_FL_NEXT) >> 3]!;
      }
    }
    return 0;
  }

  /**
   * The free element offering the largest aligned block, and that block's
   * size. @see find_biggest_element
   */
  findBiggest(h: number, align: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): { elem: number; size: number } {
    let best = 0;
    let bestSize = 0;
    for (let idx = 0; idx < NUM_FREELISTS; idx++) {
      for (let e = this.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = this.f64(e, EL_FL_NEXT)) {
        if (!hintOnly && !this.pageSizeOk(e, pageSizes)) continue;
        const dataStart = ceilAlign(e + ELEM_HEADER_LEN, align);
        const dataEnd = e + this.size(e);
        if (dataStart >= dataEnd) continue;
        let cur = dataEnd - dataStart;
        if (contig) cur = this.maxContig(e, align);
        if (cur > bestSize) {
          bestSize = cur;
          best = e;
        }
      }
    }
    return { elem: best, size: floorAlign(bestSize, 64) };
  }

  /** The largest IOVA-contiguous, aligned data block inside free element `e`. @see malloc_elem_find_max_iova_contig */
  maxContig(e: number, align: number): number {
    const page = this.listOf(e)!.pageSize;
    const dataEnd = e + this.size(e);
    let start = ceilAlign(e + ELEM_HEADER_LEN, align);
    if (start >= dataEnd) return 0;
    let max = 0;
    let pageStart = floorAlign(start, page);
    while (pageStart < dataEnd) {
      const pageEnd = Math.min(pageStart + page, dataEnd);
      if (!this.memory.isIovaContig(start, pageEnd - start)) {
        start = ceilAlign(pageStart, align);
        if (start >= dataEnd) break;
      }
      max = Math.max(max, pageEnd - start);
      pageStart += page;
    }
    return max;
  }

  /**
   * Carves a block out of free element `e` (taking it off its free list).
   * Returns the data address. @see malloc_elem_alloc
   */
  alloc(h: number, e: number, size: number, align: number, bound: number, contig: boolean): number {
    const ne = this.startPoint(e, size, align, bound, contig);
    const before = ne - e;
    const after = this.size(e) - before - size - ELEM_OVERHEAD;
    this.flRemove(h, e);
    if (after >= MIN_SPLIT) {
      const rest = ne + size + ELEM_OVERHEAD;
      this.split(h, e, rest);
      this.flInsert(h, rest);
    }
    this.hSetU32(h, HP_ALLOC_COUNT, this.hU32(h, HP_ALLOC_COUNT) + 1);
    if (before < MIN_SPLIT) {
      // Too little in front to stand alone: the whole element is the
      // block, with an inner PAD header in front of the data pointing back.
      this.setU32(e, EL_STATE, ELEM_BUSY);
      this.setU32(e, EL_PAD, before);
      if (before > 0) {
        this.setU32(ne, EL_PAD, before);
        this.setU32(ne, EL_STATE, ELEM_PAD);
        this.setU32(ne, EL_SIZE, this.size(e) - before);
        this.setU32(ne, EL_HEAP, h);
        this.setU32(ne, EL_MAGIC, ELEM_MAGIC);
      }
      return ne + ELEM_HEADER_LEN;
    }
    this.split(h, e, ne);
    this.setU32(ne, EL_STATE, ELEM_BUSY);
    this.flInsert(h, e);
    return ne + ELEM_HEADER_LEN;
  }

  /**
   * Finds room and carves the block; 0 when the heap has none.
   * @see heap_alloc
   */
  heapAlloc(h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    const e = this.findSuitable(h, size, align, bound, contig, pageSizes, hintOnly);
    return e === 0 ? 0 : this.alloc(h, e, size, align, bound, contig);
  }

  /** Frees busy element `e`: merged with free neighbours and put on a free list. Returns the merged element. @see malloc_elem_free */
  free(h: number, e: number): number {
    const pad = this.u32(e, EL_PAD);
    if (pad !== 0) this.setU32(e + pad, EL_MAGIC, 0);
    this.setU32(e, EL_PAD, 0);
    this.setU32(e, EL_STATE, ELEM_FREE);
    const merged = this.joinAdjacentFree(h, e);
    this.flInsert(h, merged);
    this.hSetU32(h, HP_ALLOC_COUNT, this.hU32(h, HP_ALLOC_COUNT) - 1);
    return merged;
  }

  /** Adds [addr, addr+len) to heap `h` as free memory, merged with neighbours. @see malloc_heap_add_memory */
  addMemory(h: number, addr: number, len: number): number {
    this.init(addr, h, len);
    this.insert(h, addr);
    const merged = this.joinAdjacentFree(h, addr);
    this.flInsert(h, merged);
    this.hSetF64(h, HP_TOTAL, this.hF64(h, HP_TOTAL) + len);
    return merged;
  }

  /**
   * Takes [start, start+len) out of free element `e` (already off its free
   * list): what is left before and after stays free; the region belongs to
   * no element afterwards. Returns false (changing nothing) when a leftover
   * would be too small to be an element. @see malloc_elem_hide_region
   */
  hide(h: number, e: number, start: number, len: number): boolean {
    const end = start + len;
    const after = e + this.size(e) - end;
    const before = start - e;
    if ((after > 0 && after < MIN_SPLIT) || (before > 0 && before < MIN_SPLIT)) return false;
    let region = e;
    if (after > 0) {
      this.split(h, region, end);
      this.flInsert(h, end);
    }
    if (before > 0) {
      this.split(h, region, start);
      this.flInsert(h, region);
      region = start;
    }
    this.unlink(h, region);
    this.setU32(region, EL_MAGIC, 0);
    this.hSetF64(h, HP_TOTAL, this.hF64(h, HP_TOTAL) - len);
    return true;
  }

  /**
   * Resizes busy element `e` in place so it holds `size` data bytes:
   * shrinking splits the tail off as free memory, growing takes from a free
   * next neighbour. Returns false when it cannot. @see malloc_elem_resize
   */
  resize(h: number, e: number, size: number): boolean {
    const pad = this.u32(e, EL_PAD);
    const want = size + pad + ELEM_OVERHEAD;
    if (this.size(e) < want) {
      const next = this.f64(e, EL_NEXT);
      if (next === 0 || this.state(next) !== ELEM_FREE || !this.nextAdjacent(e)) return false;
      if (this.size(e) + this.size(next) < want) return false;
      this.flRemove(h, next);
      this.join(h, e, next);
    }
    if (this.size(e) - want >= MIN_SPLIT) {
      const rest = e + want;
      this.split(h, e, rest);
      this.flInsert(h, this.joinAdjacentFree(h, rest));
    }
    return true;
  }

  /** Data bytes a busy element offers. */
  usable(e: number): number {
    return this.size(e) - this.u32(e, EL_PAD) - ELEM_OVERHEAD;
  }
}
