/**
 * The name index of the memzone table, in shared memory: an open-addressing
 * hash table of MZ_INDEX_SLOTS u32 words that finds a zone by its name in a
 * probe or two, where DPDK's rte_memzone_lookup scans every entry. A word
 * is 0 (empty), MZI_TOMBSTONE (a freed zone's word: lookups skip it,
 * inserts reuse it), or the name hash's high 16 bits and the slot + 1 (see
 * layout.ts). Callers hold the table's lock; the words change only under it.
 * The index is made again from the entries by the table (table.ts) when
 * tombstones pile up or after a dead owner.
 *
 * Plain functions over the table's views, so that lookup's path has no
 * more calls than when they were methods of the facade.
 *
 * @see rte_memzone_lookup, memzone_lookup_thread_unsafe in lib/eal/common/eal_common_memzone.c (DPDK)
 */
import {
  entryOffset,
  MZ_INDEX,
  MZ_INDEX_SLOTS,
  MZ_TOMBSTONES,
  MZE_HASH,
  MZE_NAME,
  MZE_NAME_LEN,
  MZE_STATE,
  MZI_HASH_SHIFT,
  MZI_MAX_TOMBSTONES,
  MZI_SLOT_MASK,
  MZI_TOMBSTONE,
  MZS_LIVE,
} from './layout.js';

/** The name index's word for slot `slot` of a zone whose name hash is `hash`. */
export function indexWord(slot: number, hash: number): number {
  return (((hash >>> MZI_HASH_SHIFT) << MZI_HASH_SHIFT) | (slot + 1)) >>> 0;
}

/**
 * Slot of the live zone whose name is the first `n` bytes of `name` (hash
 * `hash`), or -1, in the table whose area starts at byte `area` of the
 * config views `u32` and `u8`.
 */
export function indexFind(u32: Uint32Array, u8: Uint8Array, area: number, name: Uint8Array, n: number, hash: number): number {
  const index = (area + MZ_INDEX) >> 2;
  const hi = hash >>> MZI_HASH_SHIFT;
  for (let probe = 0, k = hash & (MZ_INDEX_SLOTS - 1); probe < MZ_INDEX_SLOTS; probe++, k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
    const word = u32[index + k]!;
    if (word === 0) return -1;
    if (word === MZI_TOMBSTONE || word >>> MZI_HASH_SHIFT !== hi) continue;
    const slot = (word & MZI_SLOT_MASK) - 1;
    const e = area + entryOffset(slot);
    if (u32[(e + MZE_HASH) >> 2] !== hash || u32[(e + MZE_STATE) >> 2] !== MZS_LIVE) continue;
    if (n < MZE_NAME_LEN && u8[e + MZE_NAME + n] !== 0) continue;
    let k2 = 0;
    while (k2 < n && u8[e + MZE_NAME + k2] === name[k2]) k2++;
    if (k2 === n) return slot;
  }
  return -1;
}

/** Adds live slot `slot` (name hash `hash`) to the index, in the first empty or tombstone word of its probe. */
export function indexInsert(u32: Uint32Array, area: number, slot: number, hash: number): void {
  const index = (area + MZ_INDEX) >> 2;
  for (let k = hash & (MZ_INDEX_SLOTS - 1); ; k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
    const word = u32[index + k]!;
    if (word === 0 || word === MZI_TOMBSTONE) {
      if (word === MZI_TOMBSTONE) u32[(area + MZ_TOMBSTONES) >> 2] = u32[(area + MZ_TOMBSTONES) >> 2]! - 1;
      u32[index + k] = indexWord(slot, hash);
      return;
    }
  }
}

/**
 * Turns slot `slot`'s word (name hash `hash`) into a tombstone. Returns
 * true when the tombstones now pass MZI_MAX_TOMBSTONES: the caller then
 * makes the index again from the entries.
 */
export function indexRemove(u32: Uint32Array, area: number, slot: number, hash: number): boolean {
  const index = (area + MZ_INDEX) >> 2;
  const word = indexWord(slot, hash);
  for (let probe = 0, k = hash & (MZ_INDEX_SLOTS - 1); probe < MZ_INDEX_SLOTS; probe++, k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
    const w = u32[index + k]!;
    if (w === 0) return false;
    if (w !== word) continue;
    u32[index + k] = MZI_TOMBSTONE;
    const tombs = u32[(area + MZ_TOMBSTONES) >> 2]! + 1;
    u32[(area + MZ_TOMBSTONES) >> 2] = tombs;
    return tombs > MZI_MAX_TOMBSTONES;
  }
  return false;
}
