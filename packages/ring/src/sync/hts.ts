/**
 * Head/tail sync (HTS): one operation at a time per side. A thread may move
 * the head only while head and tail are equal (nobody in progress), and
 * moves the tail to the new head when done. That serialisation is what lets
 * HTS (like SP/SC) offer peek: start an operation, look at the elements,
 * and finish it with fewer.
 *
 * DPDK keeps head and tail in one 64-bit word; here the head moves by a
 * 32-bit compare-and-swap after head == tail was seen, which is equivalent:
 * the tail changes only when its owner finishes, and no one can own the side
 * while the head still has the value the CAS expects.
 *
 * @see rte_ring_hts_elem_pvt.h in DPDK
 */
import { RteError } from '@rtemem/eal-hugepage';
import { backoff, PLAIN_RELEASE, type RingCore } from '../core.js';

function htsMove(r: RingCore, n: number, fixed: boolean, prod: boolean): number {
  const i32 = r.i32;
  const head = prod ? r.ph : r.ch;
  const tail = prod ? r.pt : r.ct;
  for (let spins = 0; ; spins++) {
    const oh = Atomics.load(i32, head);
    if (Atomics.load(i32, tail) !== oh) {
      // Waiting for a peek this very handle started would wait forever.
      if ((prod ? r.peekProd : r.peekCons) >= 0) {
        throw new RteError('EBUSY', `a started ${prod ? 'enqueue' : 'dequeue'} on this handle is not finished: call ${prod ? 'enqueueFinish' : 'dequeueFinish'} first`);
      }
      backoff(spins);
      continue;
    }
    const avail = prod ? r.freeEntries(oh, n) : r.usedEntries(oh, n);
    const m = n <= avail ? n : fixed ? 0 : avail;
    r.entries = avail;
    r.oldHead = oh;
    if (m <= 0) return 0;
    if (Atomics.compareExchange(i32, head, oh, (oh + m) | 0) === oh) return m;
  }
}

export function htsMoveProdHead(r: RingCore, n: number, fixed: boolean): number {
  return htsMove(r, n, fixed, true);
}

export function htsMoveConsHead(r: RingCore, n: number, fixed: boolean): number {
  return htsMove(r, n, fixed, false);
}

/**
 * Ends an operation that claimed from `oldHead`, keeping `n` of its
 * elements: head and tail both become oldHead + n (head first, so that no
 * one sees them equal too early). @see __rte_ring_hts_set_head_tail
 */
export function htsFinish(r: RingCore, head: number, tail: number, oldHead: number, n: number): void {
  const pos = (oldHead + n) | 0;
  Atomics.store(r.i32, head, pos);
  if (PLAIN_RELEASE) r.i32[tail] = pos;
  else Atomics.store(r.i32, tail, pos);
}
