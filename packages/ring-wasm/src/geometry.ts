/**
 * A ring's shape before it exists: its name, its flags and their sync
 * modes, its size and capacity for a count (exact or a power of two), the
 * bytes it takes, and the header an init writes.
 *
 * @see lib/ring/rte_ring.c (rte_ring_get_memsize_elem, rte_ring_init) and rte_ring.h in DPDK
 */
import { RteError } from '@rtemem/memzone';
// The flags and names are @rtemem/ring's: the two implementations share them
// as they share the layout (one definition).
import {
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  RING_NAMESIZE,
  RING_SZ_MASK,
} from '@rtemem/ring';
import {
  RING_HDR_CAPACITY,
  RING_HDR_CONS_HTD,
  RING_HDR_CONS_SYNC,
  RING_HDR_ESIZE,
  RING_HDR_FLAGS,
  RING_HDR_MAGIC,
  RING_HDR_MASK,
  RING_HDR_NAME,
  RING_HDR_PROD_HTD,
  RING_HDR_PROD_SYNC,
  RING_HDR_SIZE,
  RING_HDR_STATE,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_STATE_LIVE,
  SYNC_MT,
  SYNC_MT_HTS,
  SYNC_MT_RTS,
  SYNC_ST,
} from './layout.js';

const RING_F_MASK = 0x7f;

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function align32pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function syncOf(flags: number, single: number, rts: number, hts: number): number {
  switch (flags & (single | rts | hts)) {
    case 0:
      return SYNC_MT;
    case single:
      return SYNC_ST;
    case rts:
      return SYNC_MT_RTS;
    case hts:
      return SYNC_MT_HTS;
    default:
      return -1;
  }
}

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a ring name must be a non-empty string');
  if (Buffer.byteLength(name) >= RING_NAMESIZE) {
    throw new RteError('ENAMETOOLONG', `ring name ${JSON.stringify(name)} is longer than ${RING_NAMESIZE - 1} bytes`);
  }
  return name;
}

export interface Geometry {
  size: number;
  capacity: number;
  prodSync: number;
  consSync: number;
}

// Validates count, flags and esize as rte_ring_init and
// rte_ring_get_memsize_elem do. Throws EINVAL.
export function geometry(count: unknown, flags: unknown, esize: unknown): Geometry {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || (flags & ~RING_F_MASK) !== 0 || flags > RING_F_MASK) {
    throw new RteError('EINVAL', `unsupported ring flags 0x${Number(flags).toString(16)}: use RING_F_* values`);
  }
  const prodSync = syncOf(flags, RING_F_SP_ENQ, RING_F_MP_RTS_ENQ, RING_F_MP_HTS_ENQ);
  const consSync = syncOf(flags, RING_F_SC_DEQ, RING_F_MC_RTS_DEQ, RING_F_MC_HTS_DEQ);
  if (prodSync < 0 || consSync < 0) {
    throw new RteError('EINVAL', 'ring flags name more than one producer or consumer sync mode: pick at most one of each');
  }
  if (typeof esize !== 'number' || !Number.isInteger(esize) || esize <= 0 || esize % 4 !== 0 || esize > 65536) {
    throw new RteError('EINVAL', `element size ${String(esize)} is not a positive multiple of 4`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) {
    throw new RteError('EINVAL', `ring count ${String(count)} must be a positive integer`);
  }
  if ((flags & RING_F_EXACT_SZ) !== 0) {
    if (count > RING_SZ_MASK - 1) throw new RteError('EINVAL', `ring count ${count} exceeds ${RING_SZ_MASK - 1}`);
    return { size: align32pow2(count + 1), capacity: count, prodSync, consSync };
  }
  if (!isPow2(count) || count > RING_SZ_MASK) {
    throw new RteError('EINVAL', `ring count ${count} must be a power of two up to ${RING_SZ_MASK} (or pass RING_F_EXACT_SZ)`);
  }
  return { size: count, capacity: count - 1, prodSync, consSync };
}

// Bytes of a ring of `size` slots: the header and the slots, in whole cache lines.
export function bytesFor(size: number, esize: number): number {
  return Math.ceil((RING_HEADER_BYTES + size * esize) / 64) * 64;
}

/** Writes the header of a new ring at `off` (the magic last, so attach and lookup see a whole ring). */
export function writeHeader(buffer: SharedArrayBuffer, off: number, name: string, flags: number, esize: number, g: Geometry): void {
  const u8 = new Uint8Array(buffer, off, RING_HEADER_BYTES);
  const u32 = new Uint32Array(buffer, off, RING_HEADER_BYTES >> 2);
  u8.fill(0);
  u8.set(Buffer.from(name, 'utf8'), RING_HDR_NAME);
  u32[RING_HDR_FLAGS >> 2] = flags;
  u32[RING_HDR_SIZE >> 2] = g.size;
  u32[RING_HDR_MASK >> 2] = g.size - 1;
  u32[RING_HDR_CAPACITY >> 2] = g.capacity;
  u32[RING_HDR_ESIZE >> 2] = esize;
  u32[RING_HDR_PROD_SYNC >> 2] = g.prodSync;
  u32[RING_HDR_CONS_SYNC >> 2] = g.consSync;
  u32[RING_HDR_PROD_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_CONS_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_STATE >> 2] = RING_STATE_LIVE;
  Atomics.store(new Int32Array(buffer, off, RING_HEADER_BYTES >> 2), RING_HDR_MAGIC >> 2, RING_MAGIC);
}
