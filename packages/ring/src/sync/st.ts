/**
 * Single-producer / single-consumer sync: one thread moves its side's head
 * with a plain store, then publishes the tail.
 *
 * @see __rte_ring_move_prod_head (is_sp), __rte_ring_update_tail in DPDK
 * lib/ring/rte_ring_c11_pvt.h
 */
import { RteError } from '@rtemem/eal-hugepage';
import { getNumbers, putNumbers } from '../copy.js';
import { PLAIN_RELEASE, type RingCore } from '../core.js';

// With one thread per side, a head ahead of its tail at the start of an
// operation is a peek (enqueueBulkStart / dequeueBulkStart) not finished:
// going on would publish the peeked slots unwritten, then move the tail
// back. Refused instead. (A plain load of a word only this side writes.)
function unfinished(what: string): RteError {
  return new RteError('EBUSY', `a started ${what} on this single-${what === 'enqueue' ? 'producer' : 'consumer'} ring is not finished: call ${what === 'enqueue' ? 'enqueueFinish' : 'dequeueFinish'} first`);
}

/** Claims up to `n` free slots; returns how many (0 or n when `fixed`). Sets r.oldHead. */
export function stMoveProdHead(r: RingCore, n: number, fixed: boolean): number {
  const oh = r.i32[r.ph]!;
  if (oh !== r.i32[r.pt]) throw unfinished('enqueue');
  const free = r.freeEntries(oh, n);
  r.entries = free;
  const m = n <= free ? n : fixed ? 0 : free;
  r.oldHead = oh;
  if (m !== 0) r.i32[r.ph] = (oh + m) | 0;
  return m;
}

/** Claims up to `n` used slots. Sets r.oldHead. */
export function stMoveConsHead(r: RingCore, n: number, fixed: boolean): number {
  const oh = r.i32[r.ch]!;
  if (oh !== r.i32[r.ct]) throw unfinished('dequeue');
  const used = r.usedEntries(oh, n);
  r.entries = used;
  const m = n <= used ? n : fixed ? 0 : used;
  r.oldHead = oh;
  if (m !== 0) r.i32[r.ch] = (oh + m) | 0;
  return m;
}

/** Publishes `n` slots after `oldHead` on the side whose tail is word `tail`. */
export function stUpdateTail(r: RingCore, tail: number, oldHead: number, n: number): void {
  // Pairs with the other side's Atomics.load of this tail (freeEntries / usedEntries).
  if (PLAIN_RELEASE) r.i32[tail] = (oldHead + n) | 0;
  else Atomics.store(r.i32, tail, (oldHead + n) | 0);
}

/* Whole operations on numbers (esize 8): the hot paths, with nothing between move, copy and publish. */

/** Enqueues n numbers (all or none when `fixed`); returns how many. */
export function stEnqueue(r: RingCore, objs: ArrayLike<number>, n: number, fixed: boolean): number {
  const i32 = r.i32;
  const oh = i32[r.ph]!;
  if (oh !== i32[r.pt]) throw unfinished('enqueue');
  const free = r.freeEntries(oh, n);
  const m = n <= free ? n : fixed ? 0 : free;
  if (m === 0) return 0;
  putNumbers(r, oh, objs, m);
  const nh = (oh + m) | 0;
  i32[r.ph] = nh;
  if (PLAIN_RELEASE) i32[r.pt] = nh;
  else Atomics.store(i32, r.pt, nh);
  return m;
}

/** Dequeues n numbers into out (all or none when `fixed`); returns how many. */
export function stDequeue(r: RingCore, out: number[] | Float64Array, n: number, fixed: boolean): number {
  const i32 = r.i32;
  const oh = i32[r.ch]!;
  if (oh !== i32[r.ct]) throw unfinished('dequeue');
  const used = r.usedEntries(oh, n);
  const m = n <= used ? n : fixed ? 0 : used;
  if (m === 0) return 0;
  getNumbers(r, oh, out, m);
  const nh = (oh + m) | 0;
  i32[r.ch] = nh;
  if (PLAIN_RELEASE) i32[r.ct] = nh;
  else Atomics.store(i32, r.ct, nh);
  return m;
}

/** Enqueues one number; false when full. */
export function stEnqueueOne(r: RingCore, obj: number): boolean {
  const i32 = r.i32;
  const oh = i32[r.ph]!;
  if (oh !== i32[r.pt]) throw unfinished('enqueue');
  if (r.freeEntries(oh, 1) < 1) return false;
  r.f64[r.slotF64 + (oh & r.mask)] = obj;
  const nh = (oh + 1) | 0;
  i32[r.ph] = nh;
  if (PLAIN_RELEASE) i32[r.pt] = nh;
  else Atomics.store(i32, r.pt, nh);
  return true;
}

/** Dequeues one number; undefined when empty. */
export function stDequeueOne(r: RingCore): number | undefined {
  const i32 = r.i32;
  const oh = i32[r.ch]!;
  if (oh !== i32[r.ct]) throw unfinished('dequeue');
  if (r.usedEntries(oh, 1) < 1) return undefined;
  const obj = r.f64[r.slotF64 + (oh & r.mask)]!;
  const nh = (oh + 1) | 0;
  i32[r.ch] = nh;
  if (PLAIN_RELEASE) i32[r.ct] = nh;
  else Atomics.store(i32, r.ct, nh);
  return obj;
}
