/**
 * Shared-memory layout of the memzone table: one config area (DPDK's
 * `mcfg->memzones` fbarray) holding a header and MAX_MEMZONE entries. All
 * offsets are bytes from the start of the area.
 *
 * ```
 * config area "memzone"
 *   0        header line 0: the table lock (owner pid, owner lcore)
 *   64       header line 1: live count, next serial, index tombstones
 *   128      MAX_MEMZONE entries of 128 B
 *   327808   used-slot bitmap: MAX_MEMZONE bits (80 u32), padded to 384 B
 *   328192   name index: MZ_INDEX_SLOTS u32 words, open addressing
 *
 * entry
 *   0   name (32 B utf-8, NUL padded)
 *   32  addr f64 | 40 len f64 | 48 hugepage size f64
 *   56  iova lo u32 | 60 iova hi u32
 *   64  socket i32 | 68 flags u32 | 72 state u32 | 76 serial u32 | 80 name hash u32
 *   84  unused up to 128
 * ```
 *
 * An entry is 128 bytes, two cache lines, rather than the 64 of DPDK's
 * `struct rte_memzone`: name, addr, len, iova, socket and flags already take
 * 64, and the table also needs a state (so that a reserve cut short by a
 * dying process can be repaired), a serial (so that a stale handle never
 * frees a newer zone in the same slot) and the name's hash (so that lookup
 * compares 2560 words, not 2560 strings).
 *
 * The name index finds a zone in a probe or two instead of a scan of the
 * table (DPDK scans: rte_memzone_lookup walks every entry): each word is 0
 * (empty), MZI_TOMBSTONE (a freed zone's word, skipped by lookups, reused by
 * inserts), or the name hash's high 16 bits and the slot + 1 in the low 16.
 * The bitmap finds a free slot in 80 words. Both change only under the lock,
 * and a waiter that takes the lock over from a dead process rebuilds them
 * from the entries.
 *
 * Values are plain literals (derived ones with their formula in a comment)
 * so that the bundler inlines them.
 *
 * @see struct rte_memzone, rte_eal_memzone_init in DPDK
 */

/** Name of the memzone table's area in the config region. */
export const MEMZONE_AREA_NAME = 'memzone';

/** Bytes of a zone name, NUL included: names are at most 31 bytes of utf-8. @see RTE_MEMZONE_NAMESIZE */
export const MEMZONE_NAMESIZE = 32;
/** Zones an EAL can hold at once. @see RTE_MAX_MEMZONE */
export const MAX_MEMZONE = 2560;

/* Header, 0..127 */
export const MZ_LOCK = 0; // lock words (see eal-hugepage lock.ts), alone on line 0
export const MZ_COUNT = 64; // u32 live zones (entries in state MZS_LIVE)
export const MZ_NEXT_SERIAL = 68; // u32 serial the next reserve stamps on its entry (never 0)
export const MZ_TOMBSTONES = 72; // u32 tombstones in the name index (rebuilt past MZI_MAX_TOMBSTONES)
export const MZ_HEADER_BYTES = 128;

/* Entries */
export const MZ_ENTRIES = 128; // MZ_HEADER_BYTES
export const MZ_ENTRY_BYTES = 128;
export const MZE_NAME = 0; // 32 B utf-8, NUL padded
export const MZE_NAME_LEN = 32; // MEMZONE_NAMESIZE
export const MZE_ADDR = 32; // f64 rtemem address of the zone (0 while reserving before the heap answered)
export const MZE_LEN = 40; // f64 bytes of the zone (a multiple of 64)
export const MZE_HUGEPAGE_SZ = 48; // f64 page size of the memory under the zone
export const MZE_IOVA_LO = 56; // u32 low word of the zone's IOVA (both words 0xffffffff: BAD_IOVA)
export const MZE_IOVA_HI = 60; // u32 high word of the zone's IOVA
export const MZE_SOCKET = 64; // i32 socket of the heap the zone came from
export const MZE_FLAGS = 68; // u32 MEMZONE_* flags the zone was reserved with
export const MZE_STATE = 72; // u32 MZS_*
export const MZE_SERIAL = 76; // u32 serial of this reservation (handles carry it)
export const MZE_HASH = 80; // u32 FNV-1a hash of the name's utf-8 bytes

/* Entry states */
export const MZS_FREE = 0; // slot unused
export const MZS_RESERVING = 1; // taken by a reserve in progress (the lock holder's)
export const MZS_LIVE = 2; // a zone

/* Used-slot bitmap: bit i of word i >> 5 set while slot i is not MZS_FREE */
export const MZ_USED = 327808; // MZ_ENTRIES + MAX_MEMZONE * MZ_ENTRY_BYTES
export const MZ_USED_WORDS = 80; // MAX_MEMZONE / 32

/* Name index */
export const MZ_INDEX = 328192; // MZ_USED + 384
export const MZ_INDEX_SLOTS = 4096; // a power of two, MAX_MEMZONE at most 62.5% full
export const MZI_TOMBSTONE = 0xffffffff;
/** Past this many tombstones, a free rebuilds the index (probes stay short). */
export const MZI_MAX_TOMBSTONES = 1024;

/** Bytes of the whole area. */
export const MEMZONE_AREA_BYTES = 344576; // MZ_INDEX + MZ_INDEX_SLOTS * 4

/* Functions last: a declaration before a constant stops the bundler from inlining it. */

/** Byte offset, in the area, of entry `i`. */
export function entryOffset(i: number): number {
  return MZ_ENTRIES + i * MZ_ENTRY_BYTES;
}
