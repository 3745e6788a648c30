/**
 * Shared-memory layout of a mempool: the pool header with its chunk table,
 * one cache per possible lcore and the private area, all in the memzone
 * `MP_<name>`; the objects in chunk memzones `MP_<name>_<i>`. Values are
 * plain literals (derived ones with their formula in a comment, and a test
 * that they agree) so that the bundler inlines them in hot paths; the
 * functions come after all constants.
 *
 * ```
 * MP_<name>
 *   0      header line: magic, sizes, flags, state, ops name, pool data
 *   256    chunk table: MAX_CHUNKS x 48 B (address, length, IOVA, objects, owner)
 *   3328   lcore caches: MAX_LCORE (of @rtemem/eal-hugepage) x cacheStride(cacheSize)
 *   ...    statistics (pools created with stats): MAX_LCORE + 1 slots x 128 B
 *   ...    private area (privateDataSize bytes)
 *
 * element (in a chunk): header | object (eltSize) | trailer
 *   header: pool address (f64), IOVA (2 x u32), cookie (2 x u32, debug)
 *   trailer: cookie (2 x u32, debug)
 * ```
 *
 * A user cache (rte_mempool_cache_create) is laid out as an lcore cache, in
 * a heap block of cacheBytes(size).
 *
 * @see struct rte_mempool, struct rte_mempool_objhdr in DPDK rte_mempool.h
 */
import { alignCeil, CACHE_LINE_SIZE } from '@rtemem/eal-hugepage';

/* ------------------------------------------------------------------ *
 * Public constants (DPDK's values), recorded in the header
 * ------------------------------------------------------------------ */

/** Do not spread objects over memory channels (accepted; rtemem never pads for spreading). @see RTE_MEMPOOL_F_NO_SPREAD */
export const MEMPOOL_F_NO_SPREAD = 0x1;
/** Objects 8-byte aligned instead of cache-line aligned. @see RTE_MEMPOOL_F_NO_CACHE_ALIGN */
export const MEMPOOL_F_NO_CACHE_ALIGN = 0x2;
/** Single-producer put: the ring_sp_* drivers. @see RTE_MEMPOOL_F_SP_PUT */
export const MEMPOOL_F_SP_PUT = 0x4;
/** Single-consumer get: the ring_*_sc drivers. @see RTE_MEMPOOL_F_SC_GET */
export const MEMPOOL_F_SC_GET = 0x8;
/** Objects need not be IOVA-contiguous. @see RTE_MEMPOOL_F_NO_IOVA_CONTIG */
export const MEMPOOL_F_NO_IOVA_CONTIG = 0x20;
/** The MEMPOOL_F_* bits a pool may be created with. */
export const MEMPOOL_F_VALID = 0x2f; // NO_SPREAD | NO_CACHE_ALIGN | SP_PUT | SC_GET | NO_IOVA_CONTIG
/** Largest per-lcore cache. @see RTE_MEMPOOL_CACHE_MAX_SIZE */
export const MEMPOOL_CACHE_MAX_SIZE = 512;
/** Longest pool name in bytes plus one (the driver's ring is named MP_<name>). @see RTE_MEMPOOL_NAMESIZE */
export const MEMPOOL_NAMESIZE = 26;

/* ------------------------------------------------------------------ *
 * Pool header zone MP_<name>
 * ------------------------------------------------------------------ */

export const MEMPOOL_MAGIC = 0x4c4f4f50; // 'POOL'
/** Memzone names of pools start with this. @see RTE_MEMPOOL_MZ_PREFIX */
export const MEMPOOL_MZ_PREFIX = 'MP_';

/* Header, 0..255 */
export const MP_MAGIC = 0; // u32 MEMPOOL_MAGIC
export const MP_STATE = 4; // u32 MP_STATE_*
export const MP_SIZE = 8; // u32 objects
export const MP_CACHE_SIZE = 12; // u32 objects per lcore cache
export const MP_ELT_SIZE = 16; // u32 object bytes
export const MP_HEADER_SIZE = 20; // u32 bytes before each object
export const MP_TRAILER_SIZE = 24; // u32 bytes after each object
export const MP_PRIV_SIZE = 28; // u32 private area bytes
export const MP_FLAGS = 32; // u32 MEMPOOL_F_*
export const MP_SOCKET = 36; // i32 socket id asked for
export const MP_TOTAL_ELT = 40; // u32 header + object + trailer, aligned
export const MP_POPULATED = 44; // u32 objects added so far
export const MP_CHUNKS = 48; // u32 chunks in the chunk table
export const MP_DEBUG = 52; // u32 1: cookies are checked
export const MP_CACHE_STRIDE = 56; // u32 bytes per lcore cache
export const MP_STATS = 60; // u32 1: statistics are counted (RTE_LIBRTE_MEMPOOL_STATS at run time)
export const MP_POOL_DATA = 64; // f64 driver state address (rte_mempool pool_data)
export const MP_PRIV_OFF = 72; // u32 offset of the private area in this zone
export const MP_STATS_OFF = 76; // u32 offset of the statistics slots in this zone (0: none)
export const MP_NAME = 96; // 32 B utf-8, NUL padded
export const MP_NAME_LEN = 32;
export const MP_OPS_NAME = 128; // 32 B utf-8: the driver, found by name in every thread and process
export const MP_OPS_NAME_LEN = 32;
export const MP_HEADER_BYTES = 256;

export const MP_STATE_EMPTY = 1; // created, no objects
export const MP_STATE_ALLOCATED = 2; // driver allocated
export const MP_STATE_POPULATED = 3; // objects added
export const MP_STATE_FREED = 4;

/* Chunk table, 256..3327: the memory the pool was populated with (rte_mempool_memhdr). */
export const MP_CHUNK_TABLE = 256;
export const MAX_CHUNKS = 64;
export const CHUNK_BYTES = 48;
export const CHUNK_ADDR = 0; // f64 start of the memory given (elements from there, aligned up)
export const CHUNK_LEN = 8; // f64 bytes given
export const CHUNK_COUNT = 16; // u32 objects in the chunk
export const CHUNK_FIRST = 20; // u32 index of its first object
export const CHUNK_IOVA_LO = 24; // u32 IOVA of CHUNK_ADDR; both halves IOVA_UNKNOWN: unknown
export const CHUNK_IOVA_HI = 28; // u32
export const CHUNK_KIND = 32; // u32 CHUNK_KIND_*: who owns the memory, how it is given back
export const CHUNK_IOVA_GIVEN = 36; // u32 1: object IOVAs come from the chunk's IOVA (populateIova), not the EAL's
/** No chunk (an entry being filled, or cleared). */
export const CHUNK_KIND_NONE = 0;
/** Memzone MP_<name>_<i> of the pool's own (populateDefault): freed with the pool. */
export const CHUNK_KIND_ZONE = 1;
/** A heap block of the pool's own (populateAnon): freed with the pool. */
export const CHUNK_KIND_HEAP = 2;
/** The caller's memory (populateVirt, populateIova): left to the caller. */
export const CHUNK_KIND_USER = 3;

/* Lcore caches, from 3328: per lcore a length then the objects (a LIFO). */
export const MP_CACHES = 3328; // MP_CHUNK_TABLE + MAX_CHUNKS * CHUNK_BYTES
export const CACHE_LEN = 0; // u32 objects held
export const CACHE_OBJS = 64; // f64 objects, oldest first
/** Bytes per cached object (an f64 address). */
export const CACHE_OBJ_BYTES = 8;

/*
 * Statistics (pools created with { stats: true }): one slot per lcore, then
 * one shared by every thread without an lcore (updated with Atomics). Each
 * counter is two u32 words, low then high (a carry out of the low word adds
 * one to the high word), so that the shared slot can be counted atomically
 * without BigInts; a slot is 128 B so that lcores never share a line.
 */
export const STATS_SLOT_BYTES = 128;
/** Slots: MAX_LCORE lcores, then the shared one (its index is MAX_LCORE). */
export const STATS_SLOTS = 129; // MAX_LCORE + 1
export const STATS_BYTES = 16512; // STATS_SLOTS * STATS_SLOT_BYTES
export const ST_PUT_BULK = 0; // put calls
export const ST_PUT_OBJS = 8; // objects put
export const ST_PUT_COMMON_BULK = 16; // enqueues on the driver (the common pool)
export const ST_PUT_COMMON_OBJS = 24;
export const ST_GET_COMMON_BULK = 32; // successful dequeues from the driver
export const ST_GET_COMMON_OBJS = 40;
export const ST_GET_SUCCESS_BULK = 48; // get calls served
export const ST_GET_SUCCESS_OBJS = 56;
export const ST_GET_FAIL_BULK = 64; // get calls refused (-ENOENT / 0)
export const ST_GET_FAIL_OBJS = 72;
/** Counters per slot. */
export const ST_COUNTERS = 10;

/* Object header and trailer */
export const OBJ_POOL = 0; // f64 address of the pool's header zone
export const OBJ_IOVA_LO = 8; // u32
export const OBJ_IOVA_HI = 12; // u32; both IOVA_UNKNOWN (of @rtemem/eal-hugepage): unknown
export const OBJ_COOKIE_LO = 16; // u32 debug cookie
export const OBJ_COOKIE_HI = 20; // u32
/** Header bytes without debug cookies, before alignment. */
export const OBJ_HEADER_PLAIN = 16;
/** Header bytes with debug cookies, before alignment. */
export const OBJ_HEADER_DEBUG = 24;
/** Trailer bytes with debug cookies. */
export const OBJ_TRAILER_DEBUG = 8;
export const TRAILER_COOKIE_LO = 0; // u32 debug cookie, right after the object
export const TRAILER_COOKIE_HI = 4; // u32
/** Object alignment with MEMPOOL_F_NO_CACHE_ALIGN (else CACHE_LINE_SIZE). */
export const OBJ_ALIGN_MIN = 8;

/* Debug cookies, as DPDK's, split in 32-bit halves. @see RTE_MEMPOOL_HEADER_COOKIE1 */
export const COOKIE_FREE_LO = 0xdadd2e55; // 0xbadbadba_dadd2e55: object in the pool
export const COOKIE_FREE_HI = 0xbadbadba;
export const COOKIE_USED_LO = 0xdadd2e55; // 0xf2eef2ee_dadd2e55: object handed out
export const COOKIE_USED_HI = 0xf2eef2ee;
export const COOKIE_TRAILER_LO = 0xadbadbad; // 0xadd2e55b_adbadbad
export const COOKIE_TRAILER_HI = 0xadd2e55b;

/* ------------------------------------------------------------------ *
 * Functions (after every constant)
 * ------------------------------------------------------------------ */

/** Bytes of one cache of `size` objects: its length line, then the objects. */
export function cacheBytes(size: number): number {
  return CACHE_OBJS + size * CACHE_OBJ_BYTES;
}

/** Bytes from one lcore's cache to the next in MP_<name>: cacheBytes, rounded up to a cache line. */
export function cacheStride(cacheSize: number): number {
  return alignCeil(cacheBytes(cacheSize), CACHE_LINE_SIZE);
}
