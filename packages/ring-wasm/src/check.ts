/**
 * The EBUSY of a move on a single-thread side with a peek open (the wasm
 * moves report it as -16; the rest of the checks are ring's, in shared.ts).
 *
 * @see lib/ring/rte_ring_peek.h in DPDK
 */
import { RteError } from '@rtemem/memzone';

export function unfinished(what: 'enqueue' | 'dequeue'): RteError {
  return new RteError('EBUSY', `a started ${what} on this single-${what === 'enqueue' ? 'producer' : 'consumer'} ring is not finished: call ${what === 'enqueue' ? 'enqueueFinish' : 'dequeueFinish'} first`);
}
