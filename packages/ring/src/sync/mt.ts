/**
 * Multi-producer / multi-consumer sync: heads move by compare-and-swap;
 * each thread then waits for the threads that moved the head before it to
 * publish, and publishes in turn (tails move in head order).
 *
 * @see __rte_ring_move_prod_head, __rte_ring_update_tail in DPDK
 * lib/ring/rte_ring_c11_pvt.h
 */
import { getNumbers, putNumbers } from '../copy.js';
import { backoff, PLAIN_RELEASE, type RingCore } from '../core.js';

/** Claims up to `n` free slots by CAS on the producer head. Sets r.oldHead. */
export function mtMoveProdHead(r: RingCore, n: number, fixed: boolean): number {
  const i32 = r.i32;
  for (;;) {
    const oh = i32[r.ph]!;
    const free = r.freeEntries(oh, n);
    const m = n <= free ? n : fixed ? 0 : free;
    r.entries = free;
    r.oldHead = oh;
    if (m === 0) return 0;
    if (Atomics.compareExchange(i32, r.ph, oh, (oh + m) | 0) === oh) return m;
  }
}

/** Claims up to `n` used slots by CAS on the consumer head. Sets r.oldHead. */
export function mtMoveConsHead(r: RingCore, n: number, fixed: boolean): number {
  const i32 = r.i32;
  for (;;) {
    const oh = i32[r.ch]!;
    const used = r.usedEntries(oh, n);
    const m = n <= used ? n : fixed ? 0 : used;
    r.entries = used;
    r.oldHead = oh;
    if (m === 0) return 0;
    if (Atomics.compareExchange(i32, r.ch, oh, (oh + m) | 0) === oh) return m;
  }
}

/**
 * Waits until every thread that claimed slots before `oldHead` has
 * published, then publishes ours. `tail` is the side's tail word.
 */
export function mtUpdateTail(r: RingCore, tail: number, oldHead: number, n: number): void {
  const i32 = r.i32;
  if (i32[tail] !== oldHead) waitTail(i32, tail, oldHead);
  if (PLAIN_RELEASE) i32[tail] = (oldHead + n) | 0;
  else Atomics.store(i32, tail, (oldHead + n) | 0);
}

// Out of line: the wait loop, inlined, costs the uncontended path ~4 ns.
function waitTail(i32: Int32Array, tail: number, oldHead: number): void {
  for (let spins = 0; Atomics.load(i32, tail) !== oldHead; spins++) backoff(spins);
}

/* Whole operations on numbers (esize 8): the hot paths. */

/** Enqueues n numbers (all or none when `fixed`); returns how many. */
export function mtEnqueue(r: RingCore, objs: ArrayLike<number>, n: number, fixed: boolean): number {
  const m = mtMoveProdHead(r, n, fixed);
  if (m === 0) return 0;
  const oh = r.oldHead;
  putNumbers(r, oh, objs, m);
  mtUpdateTail(r, r.pt, oh, m);
  return m;
}

/** Dequeues n numbers into out (all or none when `fixed`); returns how many. */
export function mtDequeue(r: RingCore, out: number[] | Float64Array, n: number, fixed: boolean): number {
  const m = mtMoveConsHead(r, n, fixed);
  if (m === 0) return 0;
  const oh = r.oldHead;
  getNumbers(r, oh, out, m);
  mtUpdateTail(r, r.ct, oh, m);
  return m;
}

/** Enqueues one number; false when full. */
export function mtEnqueueOne(r: RingCore, obj: number): boolean {
  const i32 = r.i32;
  let oh: number;
  for (;;) {
    oh = i32[r.ph]!;
    if (r.freeEntries(oh, 1) < 1) return false;
    if (Atomics.compareExchange(i32, r.ph, oh, (oh + 1) | 0) === oh) break;
  }
  r.f64[r.slotF64 + (oh & r.mask)] = obj;
  mtUpdateTail(r, r.pt, oh, 1);
  return true;
}

/** Dequeues one number; undefined when empty. */
export function mtDequeueOne(r: RingCore): number | undefined {
  const i32 = r.i32;
  let oh: number;
  for (;;) {
    oh = i32[r.ch]!;
    if (r.usedEntries(oh, 1) < 1) return undefined;
    if (Atomics.compareExchange(i32, r.ch, oh, (oh + 1) | 0) === oh) break;
  }
  const obj = r.f64[r.slotF64 + (oh & r.mask)]!;
  mtUpdateTail(r, r.ct, oh, 1);
  return obj;
}
