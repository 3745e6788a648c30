/**
 * Finding room in one heap: the first free element that holds a block (a
 * bounded first pass, then DPDK's full scan), the element offering the
 * biggest block, and carving the block out of what was found. Runs with
 * the heap's lock held.
 *
 * @see find_suitable_element, find_biggest_element, heap_alloc in lib/eal/common/malloc_heap.c (DPDK)
 */
import { alignCeil, alignFloor } from '@rtemem/eal-hugepage';
import { freeListIndex, type HeapCore } from './elem.js';
import { EL_FL_NEXT, EL_SIZE, ELEM_HEADER_LEN, ELEM_OVERHEAD, HP_FREE_HEADS, NUM_FREELISTS, SPAN } from './layout.js';

/** Elements looked at per free list in the first, bounded pass of a search. */
const SCAN_LIMIT = 32;

/**
 * The first free element of heap `h`, from the size's class up, that can
 * hold the block. With `hintOnly`, an element of another page size is the
 * fallback.
 *
 * A first pass looks at no more than SCAN_LIMIT elements of each class
 * before moving up (every element of a higher class holds a plain request
 * of a lower one), so a long list of almost-fitting elements costs a
 * bounded time; only when that finds nothing does a second pass scan every
 * list in full, as DPDK does, so memory that can hold the block is always
 * found. @see find_suitable_element
 */
export function findSuitable(c: HeapCore, h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
  if (align === 64 && bound === 0 && !contig && pageSizes === null) {
    const e = findPlain(c, h, size + ELEM_OVERHEAD, SCAN_LIMIT);
    return e !== 0 ? e : findPlain(c, h, size + ELEM_OVERHEAD, 0x7fffffff);
  }
  let alt = 0;
  for (let idx = freeListIndex(size); idx < NUM_FREELISTS; idx++) {
    for (let e = c.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = c.f64(e, EL_FL_NEXT)) {
      if (c.size(e) < size + ELEM_OVERHEAD || c.startPoint(e, size, align, bound, contig) === 0) continue;
      if (c.pageSizeOk(e, pageSizes)) return e;
      if (alt === 0) alt = e;
    }
  }
  return hintOnly ? alt : 0;
}

// First fit for a 64-aligned, unbounded block: an element fits when it is
// `need` bytes or more. Looks at `limit` elements per class at most.
function findPlain(c: HeapCore, h: number, need: number, limit: number): number {
  const cfg = c.cfg.f64;
  const heads = (c.heapOff(h) + HP_FREE_HEADS) >> 3;
  const lists = c.lists;
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
 * The free element of heap `h` offering the largest aligned block, and that
 * block's size (a multiple of 64). @see find_biggest_element
 */
export function findBiggest(c: HeapCore, h: number, align: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): { elem: number; size: number } {
  let best = 0;
  let bestSize = 0;
  for (let idx = 0; idx < NUM_FREELISTS; idx++) {
    for (let e = c.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = c.f64(e, EL_FL_NEXT)) {
      if (!hintOnly && !c.pageSizeOk(e, pageSizes)) continue;
      const dataStart = alignCeil(e + ELEM_HEADER_LEN, align);
      const dataEnd = e + c.size(e);
      if (dataStart >= dataEnd) continue;
      let cur = dataEnd - dataStart;
      if (contig) cur = c.maxContig(e, align);
      if (cur > bestSize) {
        bestSize = cur;
        best = e;
      }
    }
  }
  return { elem: best, size: alignFloor(bestSize, 64) };
}

/** Finds room in heap `h` and carves the block: its data address, or 0 when the heap has none. @see heap_alloc */
export function heapAlloc(c: HeapCore, h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
  const e = findSuitable(c, h, size, align, bound, contig, pageSizes, hintOnly);
  return e === 0 ? 0 : c.alloc(h, e, size, align, bound, contig);
}
