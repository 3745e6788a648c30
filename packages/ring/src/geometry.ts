/**
 * What a ring is made of before it exists: the RING_F_* flags, the checks
 * rte_ring_init and rte_ring_get_memsize_elem make on count, flags, esize
 * and name, the size in bytes, and writing a fresh header.
 *
 * @see lib/ring/rte_ring.c (rte_ring_get_memsize_elem, rte_ring_init) and RING_F_* in rte_ring_core.h in DPDK
 */
import { alignCeil, alignPow2, CACHE_LINE_SIZE, hex, isPowerOfTwo, RteError } from '@rtemem/eal-hugepage';
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
  RING_NAME_LEN,
  RING_STATE_FREED,
  RING_STATE_LIVE,
  SYNC_MT,
  SYNC_MT_HTS,
  SYNC_MT_RTS,
  SYNC_ST,
} from './layout.js';

/** Single-producer enqueue. @see RING_F_SP_ENQ */
export const RING_F_SP_ENQ = 0x1;
/** Single-consumer dequeue. @see RING_F_SC_DEQ */
export const RING_F_SC_DEQ = 0x2;
/** `count` is the capacity; the ring is sized to the next power of two above it. @see RING_F_EXACT_SZ */
export const RING_F_EXACT_SZ = 0x4;
/** Multi-producer RTS enqueue. @see RING_F_MP_RTS_ENQ */
export const RING_F_MP_RTS_ENQ = 0x8;
/** Multi-consumer RTS dequeue. @see RING_F_MC_RTS_DEQ */
export const RING_F_MC_RTS_DEQ = 0x10;
/** Multi-producer HTS enqueue. @see RING_F_MP_HTS_ENQ */
export const RING_F_MP_HTS_ENQ = 0x20;
/** Multi-consumer HTS dequeue. @see RING_F_MC_HTS_DEQ */
export const RING_F_MC_HTS_DEQ = 0x40;
/** Largest ring size. @see RTE_RING_SZ_MASK */
export const RING_SZ_MASK = 0x7fffffff;
/** Memzone names of rings start with this. @see RTE_RING_MZ_PREFIX */
export const RING_MZ_PREFIX = 'RG_';
/** Longest ring name in bytes (memzone names are 31 bytes at most). @see RTE_RING_NAMESIZE */
export const RING_NAMESIZE = 29;

const RING_F_MASK = 0x7f;
/** Names of the sync modes, by SYNC_* value (for messages and dumps). */
export const SYNC_NAMES = ['MP/MC', 'SP/SC', 'RTS', 'HTS'];

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

// A ring's name: a non-empty string shorter than RING_NAMESIZE bytes.
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a ring name must be a non-empty string');
  if (Buffer.byteLength(name) >= RING_NAMESIZE) {
    throw new RteError('ENAMETOOLONG', `ring name ${JSON.stringify(name)} is longer than ${RING_NAMESIZE - 1} bytes`);
  }
  return name;
}

/** What geometry() finds: slots, capacity and each side's SYNC_* mode. */
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
    throw new RteError('EINVAL', `unsupported ring flags ${hex(Number(flags))}: use RING_F_* values`);
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
    return { size: alignPow2(count + 1), capacity: count, prodSync, consSync };
  }
  if (!isPowerOfTwo(count) || count > RING_SZ_MASK) {
    throw new RteError('EINVAL', `ring count ${count} must be a power of two up to ${RING_SZ_MASK} (or pass RING_F_EXACT_SZ)`);
  }
  return { size: count, capacity: count - 1, prodSync, consSync };
}

// Bytes of a ring of `size` slots of `esize` bytes, header included. @see rte_ring_get_memsize_elem
export function bytesFor(size: number, esize: number): number {
  return alignCeil(RING_HEADER_BYTES + size * esize, CACHE_LINE_SIZE);
}

/** Writes a fresh header at byte `off` of `buffer`, the magic last. @see rte_ring_init */
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
  // RTS: a head may run capacity/8 ahead of its tail by default. @see HTD_MAX_DEF
  u32[RING_HDR_PROD_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_CONS_HTD >> 2] = Math.floor(g.capacity / 8);
  u32[RING_HDR_STATE >> 2] = RING_STATE_LIVE;
  Atomics.store(new Int32Array(buffer, off, RING_HEADER_BYTES >> 2), RING_HDR_MAGIC >> 2, RING_MAGIC);
}

/**
 * Refuses a byte offset that is no place for a ring of `g.size` x `esize`
 * bytes in `buffer` (init's checks after the arguments'). Throws EINVAL.
 */
export function checkPlace(buffer: SharedArrayBuffer, byteOffset: unknown, esize: number, g: Geometry): void {
  if (!Number.isInteger(byteOffset) || (byteOffset as number) < 0 || (byteOffset as number) % 64 !== 0) {
    throw new RteError('EINVAL', `ring offset ${String(byteOffset)} must be a non-negative multiple of 64`);
  }
  const bytes = bytesFor(g.size, esize);
  if ((byteOffset as number) + bytes > buffer.byteLength) {
    throw new RteError('EINVAL', `a ring of ${g.size} x ${esize} bytes needs ${bytes} bytes at offset ${byteOffset as number}; the buffer has ${buffer.byteLength}`);
  }
}

/**
 * True when a live ring's header is at byte `off` of the buffer `u32` views
 * (from its start): the magic, read with acquire (it pairs with the store
 * that ends writeHeader), and the state.
 */
export function isLiveRing(u32: Uint32Array, off: number): boolean {
  return Atomics.load(u32, (off + RING_HDR_MAGIC) >> 2) === RING_MAGIC && u32[(off + RING_HDR_STATE) >> 2] === RING_STATE_LIVE;
}

/** True when `off` is a 64-byte aligned offset with room for a header in a buffer of `byteLength` bytes. */
export function isHeaderPlace(byteLength: number, off: unknown): boolean {
  return Number.isInteger(off) && (off as number) >= 0 && (off as number) % 64 === 0 && (off as number) + RING_HEADER_BYTES <= byteLength;
}

/**
 * Marks the ring at byte `base` freed before its memzone goes back: the
 * state, then the magic cleared with a release store, so that a lookup
 * racing the free finds no ring. @see rte_ring_free
 */
export function markFreed(u32: Uint32Array, i32: Int32Array, base: number): void {
  const w = base >> 2;
  u32[w + (RING_HDR_STATE >> 2)] = RING_STATE_FREED;
  Atomics.store(i32, w + (RING_HDR_MAGIC >> 2), 0);
}

/** The name in the header of the ring at byte `base` of `buffer`. */
export function readName(buffer: ArrayBufferLike, base: number): string {
  const bytes = new Uint8Array(buffer, base + RING_HDR_NAME, RING_NAME_LEN);
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? RING_NAME_LEN : end)).toString('utf8');
}
