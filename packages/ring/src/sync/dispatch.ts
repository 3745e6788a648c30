/**
 * Which sync mode moves a head and ends a move: the switch on a side's
 * sync type that the general paths (RTS and HTS rings, element rings, the
 * free_space / available out values, peek) take. The SP/SC and MP/MC fast
 * paths of rings of numbers call st.ts and mt.ts directly.
 *
 * @see the switch on prod.sync_type / cons.sync_type in rte_ring_elem.h
 * (rte_ring_enqueue_bulk_elem, rte_ring_dequeue_bulk_elem) in DPDK
 */
import { RteError } from '@rtemem/eal-hugepage';
import type { RingCore } from '../core.js';
import { SYNC_NAMES } from '../geometry.js';
import { SYNC_MT, SYNC_MT_HTS, SYNC_MT_RTS, SYNC_ST } from '../layout.js';
import { htsFinish, htsMoveConsHead, htsMoveProdHead } from './hts.js';
import { mtMoveConsHead, mtMoveProdHead, mtUpdateTail } from './mt.js';
import { rtsLeave, rtsMoveConsHead, rtsMoveProdHead } from './rts.js';
import { stMoveConsHead, stMoveProdHead, stUpdateTail } from './st.js';

/** Claims up to `n` (exactly `n` when `fixed`) slots for the producer: returns the claim. */
export function moveProd(r: RingCore, sync: number, n: number, fixed: boolean): number {
  switch (sync) {
    case SYNC_ST:
      return stMoveProdHead(r, n, fixed);
    case SYNC_MT:
      return mtMoveProdHead(r, n, fixed);
    case SYNC_MT_RTS:
      return rtsMoveProdHead(r, n, fixed);
    default:
      return htsMoveProdHead(r, n, fixed);
  }
}

/** Publishes the `n` slots the producer claimed from `oldHead`. */
export function endProd(r: RingCore, sync: number, oldHead: number, n: number): void {
  switch (sync) {
    case SYNC_ST:
      stUpdateTail(r, r.pt, oldHead, n);
      return;
    case SYNC_MT:
      mtUpdateTail(r, r.pt, oldHead, n);
      return;
    case SYNC_MT_RTS:
      rtsLeave(r, r.ph, r.pt, r.pInf);
      return;
    default:
      htsFinish(r, r.ph, r.pt, oldHead, n);
  }
}

/** Claims up to `n` (exactly `n` when `fixed`) elements for the consumer: returns the claim. */
export function moveCons(r: RingCore, sync: number, n: number, fixed: boolean): number {
  switch (sync) {
    case SYNC_ST:
      return stMoveConsHead(r, n, fixed);
    case SYNC_MT:
      return mtMoveConsHead(r, n, fixed);
    case SYNC_MT_RTS:
      return rtsMoveConsHead(r, n, fixed);
    default:
      return htsMoveConsHead(r, n, fixed);
  }
}

/** Releases the `n` slots the consumer claimed from `oldHead`. */
export function endCons(r: RingCore, sync: number, oldHead: number, n: number): void {
  switch (sync) {
    case SYNC_ST:
      stUpdateTail(r, r.ct, oldHead, n);
      return;
    case SYNC_MT:
      mtUpdateTail(r, r.ct, oldHead, n);
      return;
    case SYNC_MT_RTS:
      rtsLeave(r, r.ch, r.ct, r.cInf);
      return;
    default:
      htsFinish(r, r.ch, r.ct, oldHead, n);
  }
}

// The classic MP/SP/MC/SC calls force a sync type; on an RTS or HTS side
// that would corrupt the ring, so they are refused.
export function forced(ringSync: number, want: number, what: string): number {
  if (ringSync === SYNC_MT_RTS || ringSync === SYNC_MT_HTS) {
    throw new RteError('EINVAL', `${what} on a ring created with ${SYNC_NAMES[ringSync]} sync would corrupt it: use the generic calls`);
  }
  return want;
}
