/**
 * Relaxed tail sync (RTS): heads move by compare-and-swap, but no thread
 * waits for the ones before it. Each operation is counted in flight from
 * before its head move until its elements are copied; whoever brings the
 * count back to zero moves the tail up to the head (only ever forward), so
 * the tail catches up whenever the side is quiet. A head may run ahead of
 * its tail by at most htd_max (capacity / 8 by default); a thread that
 * would exceed it waits.
 *
 * DPDK packs (position, count) into one 64-bit word for a double CAS; JS
 * can do 64-bit atomics only through BigInt (slow, and garbage on every
 * call), so the same rule is kept with 32-bit atomics: an in-flight counter
 * and a compare-and-swap that only moves the tail forward.
 *
 * @see rte_ring_rts_elem_pvt.h in DPDK
 */
import { backoff, type RingCore } from '../core.js';

function waitDistance(r: RingCore, head: number, tail: number, max: number): number {
  let oh = Atomics.load(r.i32, head);
  for (let spins = 0; ((oh - Atomics.load(r.i32, tail)) >>> 0) > max; spins++) {
    backoff(spins);
    oh = Atomics.load(r.i32, head);
  }
  return oh;
}

/** Leaves the in-flight set; the last one out moves the tail to the head. */
export function rtsLeave(r: RingCore, head: number, tail: number, inflight: number): void {
  const i32 = r.i32;
  if (Atomics.sub(i32, inflight, 1) !== 1) return;
  const h = Atomics.load(i32, head);
  // Everyone who moved the head up to h entered before that move; a zero
  // count read after reading h means they have all finished.
  if (Atomics.load(i32, inflight) !== 0) return;
  for (;;) {
    const t = Atomics.load(i32, tail);
    if (((h - t) | 0) <= 0) return; // someone published as far already
    if (Atomics.compareExchange(i32, tail, t, h) === t) return;
  }
}

function rtsMove(r: RingCore, n: number, fixed: boolean, prod: boolean): number {
  const i32 = r.i32;
  const head = prod ? r.ph : r.ch;
  const tail = prod ? r.pt : r.ct;
  const inflight = prod ? r.pInf : r.cInf;
  const max = prod ? r.prodHtdMax() : r.consHtdMax();
  for (;;) {
    const oh = waitDistance(r, head, tail, max);
    const avail = prod ? r.freeEntries(oh, n) : r.usedEntries(oh, n);
    const m = n <= avail ? n : fixed ? 0 : avail;
    r.entries = avail;
    r.oldHead = oh;
    if (m <= 0) return 0;
    Atomics.add(i32, inflight, 1);
    if (Atomics.compareExchange(i32, head, oh, (oh + m) | 0) === oh) return m;
    rtsLeave(r, head, tail, inflight);
  }
}

export function rtsMoveProdHead(r: RingCore, n: number, fixed: boolean): number {
  return rtsMove(r, n, fixed, true);
}

export function rtsMoveConsHead(r: RingCore, n: number, fixed: boolean): number {
  return rtsMove(r, n, fixed, false);
}
