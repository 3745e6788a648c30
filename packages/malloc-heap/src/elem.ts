/**
 * Malloc elements in shared memory: header fields, free lists, the
 * address-ordered list, split and join, placement of an aligned block inside
 * a free element, and the element-level alloc, free, resize and hide. Every
 * method here runs with the heap's lock held (see journal.ts), in any thread
 * or process, and writes through the journal.
 *
 * An element is a 64-byte header followed by its data; elements of a heap
 * are linked in address order (prev/next), free ones also on one of 13 free
 * lists by size. A block is placed at the element's end (DPDK's rule),
 * splitting off what is left when it can hold a header plus 64 bytes and
 * padding otherwise. Finding the element is find.ts.
 *
 * @see lib/eal/common/malloc_elem.c in DPDK
 */
import type { MemsegListMap } from '@rtemem/eal-hugepage';
import { Journal } from './journal.js';
import {
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
  HP_ALLOC_COUNT,
  HP_FIRST,
  HP_FREE_HEADS,
  HP_LAST,
  HP_TOTAL,
  MIN_SPLIT,
  NUM_FREELISTS,
  SPAN,
} from './layout.js';

/** Free list index of a data size. @see malloc_elem_free_list_index */
export function freeListIndex(size: number): number {
  if (size <= 256) return 0;
  // ceil(log2(size)), for sizes below 2**32 (an element never spans a list).
  const log2 = 32 - Math.clz32(size - 1);
  const index = (log2 - 8 + 1) >> 1;
  return index < NUM_FREELISTS - 1 ? index : NUM_FREELISTS - 1;
}

/*
 * alignFloor/alignCeil of @rtemem/eal-hugepage (common.ts) divide in floating
 * point (Math.floor(x / a) * a); these use an integer remainder, which V8
 * keeps in int32 registers for the addresses of list 1. Kept for startPoint,
 * which every locked allocation calls: with the common helpers the bench's
 * "random 16..4096, 1000 live" churn took 4-10% more CPU time per step
 * (three interleaved A/B runs of 12 processes each, CPU time: 88 -> 97 ns),
 * with these it is as before (0.98-1.01). Exact for x >= 0 and a power of
 * two a, which is all the heap passes.
 */
function alignDown(x: number, a: number): number {
  return x - (x % a);
}

function alignUp(x: number, a: number): number {
  return alignDown(x + a - 1, a);
}

/**
 * Shared element and heap state, seen from one thread. It extends the
 * Journal (rather than holding one) so that each store is `this.w64(...)`
 * on one receiver: no extra load on the locked paths, which make a few
 * dozen stores per operation.
 */
export class HeapCore extends Journal {
  /* ---- heap descriptor fields (config region) ---- */

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
      let data = alignDown(end - size, align);
      if (bound !== 0 && Math.floor(data / bound) !== Math.floor((end - 1) / bound)) {
        end = alignDown(end, bound);
        data = alignDown(end - size, align);
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

  /** The largest IOVA-contiguous, aligned data block inside free element `e`. @see malloc_elem_find_max_iova_contig */
  maxContig(e: number, align: number): number {
    const page = this.listOf(e)!.pageSize;
    const dataEnd = e + this.size(e);
    let start = alignUp(e + ELEM_HEADER_LEN, align);
    if (start >= dataEnd) return 0;
    let max = 0;
    let pageStart = alignDown(start, page);
    while (pageStart < dataEnd) {
      const pageEnd = Math.min(pageStart + page, dataEnd);
      if (!this.memory.isIovaContig(start, pageEnd - start)) {
        start = alignUp(pageStart, align);
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
