/**
 * What is in a heap: its statistics (lcore caches counted as free), DPDK's
 * text dump of them, and a full consistency walk (audit). Each takes the
 * heap's lock.
 *
 * @see malloc_heap_get_stats, malloc_heap_dump in lib/eal/common/malloc_heap.c; rte_malloc_dump_stats in rte_malloc.c (DPDK)
 */
import { hex, RteError } from '@rtemem/eal-hugepage';
import { checkElem } from './check.js';
import { freeListIndex, type HeapCore } from './elem.js';
import {
  EL_FL_NEXT,
  EL_FL_PREV,
  EL_NEXT,
  EL_PREV,
  ELEM_BUSY,
  ELEM_CACHED,
  ELEM_FREE,
  ELEM_HEADER_LEN,
  HEAP_KIND_UNUSED,
  HP_ALLOC_COUNT,
  HP_FIRST,
  HP_FREE_HEADS,
  HP_KIND,
  HP_LAST,
  HP_NAME,
  HP_NAME_LEN,
  HP_TOTAL,
  MAX_HEAPS,
  NUM_FREELISTS,
  SPAN,
} from './layout.js';
import type { LcoreCaches } from './lcore-cache.js';

/** Statistics of one heap. @see struct rte_malloc_socket_stats */
export interface SocketStats {
  /** Bytes of memory in the heap. */
  heapTotalBytes: number;
  /** Bytes in free elements (headers included), those held in lcore caches included. */
  heapFreeBytes: number;
  /** heapTotalBytes - heapFreeBytes */
  heapAllocBytes: number;
  /**
   * Bytes (header included) of the largest block the heap can hand out:
   * its largest free element once the blocks in lcore caches have merged
   * with their free neighbours, as a malloc or memzone reserve that needs
   * them reclaims them. A reserve of the biggest zone (`len` 0) gets at
   * most this minus the header. Never more than heapFreeBytes.
   */
  greatestFreeSize: number;
  /** Free elements, plus elements held in lcore caches. */
  freeCount: number;
  /** Blocks allocated and not freed. */
  allocCount: number;
  /** Of heapFreeBytes, the bytes (headers included) parked in lcore caches: freed, not yet merged. */
  cacheBytes: number;
  /** Of freeCount, the blocks parked in lcore caches. */
  cacheCount: number;
}

/** Statistics of heap `h`. @see malloc_heap_get_stats */
export function heapStats(c: HeapCore, caches: LcoreCaches, h: number): SocketStats {
  c.lock(h);
  try {
    let freeBytes = 0;
    let freeCount = 0;
    for (let idx = 0; idx < NUM_FREELISTS; idx++) {
      for (let e = c.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = c.f64(e, EL_FL_NEXT)) {
        freeBytes += c.size(e);
        freeCount++;
      }
    }
    const cacheCount = caches.countOf(h);
    const cacheBytes = caches.bytesOf(h);
    const total = c.hF64(h, HP_TOTAL);
    return {
      heapTotalBytes: total,
      heapFreeBytes: freeBytes + cacheBytes,
      heapAllocBytes: total - freeBytes - cacheBytes,
      greatestFreeSize: greatestRun(c, h),
      freeCount: freeCount + cacheCount,
      allocCount: c.hU32(h, HP_ALLOC_COUNT) - cacheCount,
      cacheBytes,
      cacheCount,
    };
  } finally {
    c.unlock(h);
  }
}

// The largest run of free and cached elements next to each other in
// memory (what one element becomes once the caches give their blocks
// back and they merge), in bytes with its one header. The caller holds the lock.
function greatestRun(c: HeapCore, h: number): number {
  let greatest = 0;
  let run = 0;
  let runEnd = -1;
  for (let e = c.hF64(h, HP_FIRST); e !== 0; e = c.f64(e, EL_NEXT)) {
    const st = c.state(e);
    if (st !== ELEM_FREE && st !== ELEM_CACHED) {
      run = 0;
      continue;
    }
    const size = c.size(e);
    // Elements merge only when they touch, within one list.
    run = run > 0 && e === runEnd && Math.floor(e / SPAN) === Math.floor((e - 1) / SPAN) ? run + size : size;
    runEnd = e + size;
    if (run > greatest) greatest = run;
  }
  return greatest;
}

/** Every heap's statistics, as DPDK prints them. @see rte_malloc_dump_stats */
export function dumpStats(c: HeapCore, caches: LcoreCaches): string {
  const lines: string[] = [];
  for (let h = 0; h < MAX_HEAPS; h++) {
    if (c.hU32(h, HP_KIND) === HEAP_KIND_UNUSED) continue;
    const s = heapStats(c, caches, h);
    lines.push(
      `Heap id:${h}`,
      `\tHeap name:${c.cfg.readString(c.heapOff(h) + HP_NAME, HP_NAME_LEN)}`,
      `\tHeap_size:${s.heapTotalBytes},`,
      `\tFree_size:${s.heapFreeBytes},`,
      `\tAlloc_size:${s.heapAllocBytes},`,
      `\tGreatest_free_size:${s.greatestFreeSize},`,
      `\tAlloc_count:${s.allocCount},`,
      `\tFree_count:${s.freeCount},`,
    );
  }
  return lines.join('\n');
}

/**
 * Walks every heap and throws EINVAL at the first inconsistency: element
 * links, headers, sizes against the heap total, free lists against element
 * states, two free neighbours left unmerged. DPDK has no such walk (its
 * closest is malloc_heap_dump).
 */
export function audit(c: HeapCore): void {
  c.refreshLists();
  for (let h = 0; h < MAX_HEAPS; h++) {
    if (c.hU32(h, HP_KIND) === HEAP_KIND_UNUSED) continue;
    c.lock(h);
    try {
      auditHeap(c, h);
    } finally {
      c.unlock(h);
    }
  }
}

function auditHeap(c: HeapCore, h: number): void {
  let bytes = 0;
  let free = 0;
  let busy = 0;
  let prev = 0;
  for (let e = c.hF64(h, HP_FIRST); e !== 0; e = c.f64(e, EL_NEXT)) {
    if (c.listOf(e) === undefined) continue; // external memory not attached in this thread
    checkElem(c, h, e);
    if (c.f64(e, EL_PREV) !== prev) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} has a wrong prev link`);
    const st = c.state(e);
    if (st === ELEM_FREE) {
      free++;
      if (c.nextAdjacent(e) && c.state(c.f64(e, EL_NEXT)) === ELEM_FREE) throw new RteError('EINVAL', `heap ${h}: free elements ${hex(e)} and its next were not merged`);
    } else if (st === ELEM_BUSY || st === ELEM_CACHED) busy++;
    else throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} has state ${st}`);
    bytes += c.size(e);
    prev = e;
  }
  if (c.hF64(h, HP_LAST) !== prev) throw new RteError('EINVAL', `heap ${h}: last element link is wrong`);
  if (bytes !== c.hF64(h, HP_TOTAL)) throw new RteError('EINVAL', `heap ${h}: elements hold ${bytes} bytes, the heap says ${c.hF64(h, HP_TOTAL)}`);
  if (busy !== c.hU32(h, HP_ALLOC_COUNT)) throw new RteError('EINVAL', `heap ${h}: ${busy} busy elements, alloc count says ${c.hU32(h, HP_ALLOC_COUNT)}`);
  let onLists = 0;
  for (let idx = 0; idx < NUM_FREELISTS; idx++) {
    let flPrev = 0;
    for (let e = c.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = c.f64(e, EL_FL_NEXT)) {
      if (c.state(e) !== ELEM_FREE) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} is on a free list but not free`);
      if (freeListIndex(c.size(e) - ELEM_HEADER_LEN) !== idx) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} is on the wrong free list`);
      if (c.f64(e, EL_FL_PREV) !== flPrev) throw new RteError('EINVAL', `heap ${h}: free list ${idx} has a wrong back link at ${hex(e)}`);
      flPrev = e;
      if (++onLists > free + 1) throw new RteError('EINVAL', `heap ${h}: free list ${idx} loops`);
    }
  }
  if (onLists !== free) throw new RteError('EINVAL', `heap ${h}: ${free} free elements but ${onLists} on the free lists`);
}
