/**
 * Checks of what callers pass in: sizes, alignments, and addresses (is
 * this the data address of a live block of this EAL's heaps?), and of one
 * element's header against its neighbours. Each failure is an RteError
 * EINVAL whose message says what is wrong; nothing here changes the heap.
 *
 * @see malloc_elem_cookies_ok, rte_malloc_validate in lib/eal/common/rte_malloc.c, malloc_elem.h (DPDK)
 */
import { hex, isPowerOfTwo, ML_F_EXTERNAL, type MemsegListMap, RteError, SEG_F_USED, segState } from '@rtemem/eal-hugepage';
import type { HeapCore } from './elem.js';
import { EL_HEAP, EL_MAGIC, EL_NEXT, EL_PAD, EL_PREV, ELEM_BUSY, ELEM_CACHED, ELEM_FREE, ELEM_HEADER_LEN, ELEM_MAGIC, ELEM_PAD, HP_FIRST, HP_LAST, MIN_SPLIT, SPAN } from './layout.js';

/** Largest size or count accepted: beyond it a double is no longer exact. */
export const MAX_SIZE = 2 ** 52;

export function sizeError(what: string, v: unknown): RteError {
  return new RteError('EINVAL', `${what} must be a whole number of bytes from 0 to 2**52, not ${String(v)}`);
}

/** `v` as a size or count; throws EINVAL for anything but a whole number from 0 to MAX_SIZE. */
export function checkSize(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE) throw sizeError(what, v);
  return v;
}

/** `v` as an alignment; throws EINVAL for anything but 0 or a power of two up to MAX_SIZE. */
export function checkAlign(v: unknown): number {
  if (typeof v !== 'number' || v < 0 || v > MAX_SIZE || (v !== 0 && !isPowerOfTwo(v))) {
    throw new RteError('EINVAL', `alignment must be 0 or a power of two, not ${String(v)}`);
  }
  return v;
}

/**
 * The outer element of the block whose data starts at `addr` (the element
 * in front of a PAD header, for a padded block); throws EINVAL for
 * anything that cannot be one. `op` names the call in the message.
 */
export function elemOf(c: HeapCore, addr: number, op: string): number {
  if (typeof addr !== 'number' || !Number.isSafeInteger(addr) || addr <= 0 || addr % 64 !== 0) {
    throw new RteError('EINVAL', `${op}(${String(addr)}): not an address returned by malloc (those are positive multiples of 64)`);
  }
  const li = Math.floor(addr / SPAN);
  let list = c.lists[li];
  if (list === undefined && c.eal.list(li) !== undefined) {
    c.refreshLists();
    list = c.lists[li];
  }
  const off = addr - li * SPAN;
  if (list === undefined || off < ELEM_HEADER_LEN || off >= list.length) {
    throw new RteError('EINVAL', `${op}(${hex(addr)}): not heap memory of this EAL (attach external memory with attachMemory first)`);
  }
  let e = addr - ELEM_HEADER_LEN;
  if (!backed(c, list, e)) throw new RteError('EINVAL', `${op}(${hex(addr)}): not a block (the page has no memory)`);
  if (c.u32(e, EL_MAGIC) !== ELEM_MAGIC) {
    throw new RteError('EINVAL', `${op}(${hex(addr)}): no live block starts there (already freed, or not an address malloc returned)`);
  }
  if (c.state(e) === ELEM_PAD) {
    const pad = c.u32(e, EL_PAD);
    const outer = e - pad;
    if (pad === 0 || pad % 64 !== 0 || outer - list.baseAddr < 0 || c.u32(outer, EL_MAGIC) !== ELEM_MAGIC || c.u32(outer, EL_PAD) !== pad) {
      throw new RteError('EINVAL', `${op}(${hex(addr)}): corrupt padding header`);
    }
    e = outer;
  }
  return e;
}

// True when the page holding `e` has memory (reading it would not fault a page in).
function backed(c: HeapCore, list: MemsegListMap, e: number): boolean {
  if ((list.flags & ML_F_EXTERNAL) !== 0) return true;
  const seg = Math.floor((e - list.baseAddr) / list.pageSize);
  return (segState(c.cfg, list, seg) & SEG_F_USED) !== 0;
}

/** Throws EINVAL unless element `e` (of the block at `addr`) is a live busy block. */
export function checkBusy(c: HeapCore, e: number, addr: number, op: string): void {
  if (c.state(e) !== ELEM_BUSY || c.u32(e, EL_MAGIC) !== ELEM_MAGIC) throw stateError(c, addr, e, op);
}

/** The error for a block at `addr` that is not busy. */
export function stateError(c: HeapCore, addr: number, e: number, op: string): RteError {
  const s = c.state(e);
  const what = s === ELEM_FREE || s === ELEM_CACHED ? 'the block is already free (double free?)' : 'not a live block';
  return new RteError('EINVAL', `${op}(${hex(addr)}): ${what}`);
}

/**
 * Checks element `e` of heap `h`: its cookie, size and heap, and that its
 * neighbours link back to it (the next header is what an overrun would
 * clobber). The caller holds the lock. @see malloc_elem_cookies_ok
 */
export function checkElem(c: HeapCore, h: number, e: number): void {
  const fail = (why: string) => {
    throw new RteError('EINVAL', `heap element ${hex(e)}: ${why}`);
  };
  if (c.u32(e, EL_MAGIC) !== ELEM_MAGIC) fail('header cookie is corrupt');
  const size = c.size(e);
  const list = c.listOf(e)!;
  if (size < MIN_SPLIT || size % 64 !== 0 || e - list.baseAddr + size > list.length) fail(`size ${size} is corrupt`);
  if (c.u32(e, EL_HEAP) !== h) fail('heap index is corrupt');
  const next = c.f64(e, EL_NEXT);
  const prev = c.f64(e, EL_PREV);
  if (next !== 0) {
    if (next < e + size) fail(`overlaps the next element ${hex(next)}`);
    if (c.listOf(next) === undefined || c.u32(next, EL_MAGIC) !== ELEM_MAGIC) fail(`the next element's header at ${hex(next)} is corrupt (overrun?)`);
    if (c.f64(next, EL_PREV) !== e) fail(`the next element ${hex(next)} does not link back`);
  } else if (c.hF64(h, HP_LAST) !== e) fail("is not the heap's last element but has no next");
  if (prev !== 0) {
    if (c.f64(prev, EL_NEXT) !== e) fail(`the previous element ${hex(prev)} does not link to it`);
  } else if (c.hF64(h, HP_FIRST) !== e) fail("is not the heap's first element but has no previous");
}
