/**
 * Growing a socket heap by pages when nothing fits, and giving whole free
 * pages back to the OS. Runs with the heap's lock held. Memory reserved at
 * init (SEG_F_DO_NOT_FREE) never goes back; `legacyMem` and the `sab`
 * backend never grow (Heap decides).
 *
 * Pages leave the heap for good (the journal is committed) before they are
 * given back to the OS, so that a rollback never puts back memory that is
 * gone; pages being added are recorded as a grow intent, so that a
 * rollback gives them back.
 *
 * @see try_expand_heap_primary, malloc_heap_free (its page release) in lib/eal/common/malloc_heap.c (DPDK)
 */
import { alignCeil, alignFloor, SEG_F_DO_NOT_FREE, segState } from '@rtemem/eal-hugepage';
import type { HeapCore } from './elem.js';
import { heapAlloc } from './find.js';
import { EL_FL_NEXT, ELEM_HEADER_LEN, HP_FREE_HEADS, HP_SOCKET, MIN_SPLIT, NUM_FREELISTS } from './layout.js';

/**
 * Adds pages of size `page` to heap `h` for a block of `size` bytes and
 * allocates it from them (from memory of `pageSizes`, null: any): its data
 * address, or 0 (the pages given back) when it still does not fit or no
 * pages of that size are left. @see try_expand_heap_primary
 */
export function grow(c: HeapCore, h: number, size: number, align: number, bound: number, contig: boolean, page: number, pageSizes: readonly number[] | null): number {
  // With a bound the block may have to move below a boundary: leave room for that.
  const bytes = alignCeil(Math.max(ELEM_HEADER_LEN, align) + size + (bound !== 0 ? size : 0), page);
  const addr = c.memory.allocPages(c.hU32(h, HP_SOCKET), bytes / page, contig, page);
  if (addr === 0) return 0;
  // A rollback (this process dying before the commit) gives the pages back.
  c.growIntent(addr, bytes);
  c.refreshLists();
  const merged = c.addMemory(h, addr, bytes);
  const p = heapAlloc(c, h, size, align, bound, contig, pageSizes, false);
  if (p !== 0) return p;
  c.flRemove(h, merged);
  if (c.hide(h, merged, addr, bytes)) {
    // Out of the heap for good before the pages go.
    c.commit();
    c.memory.freePages(addr, bytes);
  } else {
    c.flInsert(h, merged);
  }
  return 0;
}

/**
 * Gives whole free pages of merged free element `e` back to the OS,
 * keeping `retainBytes` of them, at least one page when not 0 (so a heap
 * hovering at a page boundary does not map and unmap a page on every
 * call). Returns the bytes released.
 * @see malloc_heap_free
 */
export function releasePages(c: HeapCore, h: number, e: number, retainBytes: number): number {
  const list = c.listOf(e)!;
  const page = list.pageSize;
  // Counted in pages of this list's size: lists of several sizes share a heap.
  const retain = retainBytes === 0 ? 0 : Math.max(1, Math.floor(retainBytes / page));
  const size = c.size(e);
  if (size < page) return 0;
  const end = e + size;
  let start = alignCeil(e, page);
  let stop = alignFloor(end, page);
  // Pages reserved at init never go back: start after the last of them.
  for (let a = start; a < stop; a += page) {
    const seg = Math.floor((a - list.baseAddr) / page);
    if ((segState(c.cfg, list, seg) & SEG_F_DO_NOT_FREE) !== 0) start = a + page;
  }
  let n = (stop - start) / page;
  if (n <= 0) return 0;
  const before = start - e;
  const after = end - stop;
  if (before !== 0 && before < MIN_SPLIT) {
    if (n === 1) return 0;
    start += page;
    n--;
  }
  if (after !== 0 && after < MIN_SPLIT) {
    if (n === 1) return 0;
    stop -= page;
    n--;
  }
  if (n <= retain) return 0;
  start += retain * page;
  n -= retain;
  const len = n * page;
  c.flRemove(h, e);
  if (!c.hide(h, e, start, len)) {
    c.flInsert(h, e);
    return 0;
  }
  // Out of the heap for good before the pages go: a rollback after this
  // point would put back memory that no longer exists.
  c.commit();
  c.memory.freePages(start, len);
  return len;
}

/** Gives every whole free page of heap `h` back to the OS (none retained). Returns the bytes released. DPDK has no trim: @see malloc_trim(3) of glibc */
export function trimHeap(c: HeapCore, h: number): number {
  let released = 0;
  for (let again = true; again; ) {
    again = false;
    for (let idx = 0; idx < NUM_FREELISTS && !again; idx++) {
      for (let e = c.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = c.f64(e, EL_FL_NEXT)) {
        const n = releasePages(c, h, e, 0);
        c.commit();
        if (n > 0) {
          released += n;
          again = true; // the free lists changed: start over
          break;
        }
      }
    }
  }
  return released;
}
