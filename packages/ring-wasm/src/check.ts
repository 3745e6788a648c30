/**
 * Argument checks and error messages every part of a WasmRing shares: the
 * optional free_space / available out value, the zero-copy descriptor, the
 * sync-mode names of messages and dumps, the EBUSY of an unfinished peek.
 *
 * @see lib/ring/rte_ring.h, rte_ring_peek.h, rte_ring_peek_zc.h in DPDK
 */
import { RteError } from '@rtemem/memzone';

/** Sync-mode names by SYNC_* value (layout.ts), for messages and dumps. */
export const SYNC_NAMES = ['MP/MC', 'SP/SC', 'RTS', 'HTS'];

export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a frozen or sealed Array';
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? 'a bigint' : String(v);
  return (v as object).constructor?.name ?? 'an object';
}

// The optional free_space / available argument: checked before anything moves.
export function checkOutValue(v: unknown): void {
  if (!(v instanceof Uint32Array) || v.length < 1) {
    throw new RteError('EINVAL', 'the free_space / available argument must be a Uint32Array of at least one element (reuse one: no garbage)');
  }
}

export function checkZc(zc: unknown): void {
  if (zc === null || typeof zc !== 'object') {
    throw new RteError('EINVAL', 'a zero-copy start needs a ZcData object ({ ptr1, n1, ptr2, n2 }) to write into');
  }
}

export function unfinished(what: 'enqueue' | 'dequeue'): RteError {
  return new RteError('EBUSY', `a started ${what} on this single-${what === 'enqueue' ? 'producer' : 'consumer'} ring is not finished: call ${what === 'enqueue' ? 'enqueueFinish' : 'dequeueFinish'} first`);
}
