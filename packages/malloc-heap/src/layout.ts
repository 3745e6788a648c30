/**
 * Shared-memory layout of the malloc heap: the heap area in the config
 * region (heap descriptors and per-lcore caches) and the header of every
 * malloc element in the lists. All offsets are bytes.
 *
 * ```
 * config area "malloc_heap"
 *   0        area header (init state, heap count, next external socket id)
 *   64       MAX_HEAPS heap descriptors of 256 B   (lock on its own line)
 *   8256     MAX_LCORE lcore caches of 320 B
 *
 * element (in list memory, 64-byte aligned)
 *   0   prev | 8 next | 16 free-list prev | 24 free-list next / cache link
 *   32  size | 36 state | 40 pad | 44 heap | 48 magic | 52 free-list index
 *   64  data ...
 * ```
 *
 * Values are plain literals (derived ones with their formula in a comment)
 * so that the bundler inlines them in hot paths.
 *
 * @see struct malloc_heap, struct malloc_elem in DPDK
 */

/** Bytes of address space per memseg list: LIST_SPAN of @rtemem/eal-hugepage, as a literal the bundler can inline (a test checks they agree). */
export const SPAN = 1073741824;

/** Name of the heap's area in the config region. */
export const HEAP_AREA_NAME = 'malloc_heap';

/** Heaps per EAL: one per socket plus external heaps. @see RTE_MAX_HEAPS */
export const MAX_HEAPS = 32;
/** Free lists per heap. @see RTE_HEAP_NUM_FREELISTS */
export const NUM_FREELISTS = 13;
/** Socket ids of external heaps start here. @see EXTERNAL_HEAP_MIN_SOCKET_ID */
export const EXTERNAL_HEAP_MIN_SOCKET_ID = 256;
/** Longest heap name, in bytes, NUL excluded. @see RTE_HEAP_NAME_MAX_LEN */
export const HEAP_NAME_MAX_LEN = 31;

/* Area header, 0..63 */
export const HA_INIT = 0; // i32 HA_STATE_*
export const HA_NEXT_EXT_SOCKET = 4; // u32 next external socket id
export const HA_STATE_NONE = 0;
export const HA_STATE_BUSY = 1;
export const HA_STATE_READY = 2;

/* Heap descriptors */
export const HEAPS_OFF = 64;
export const HEAP_BYTES = 256;
export const HP_LOCK = 0; // lock words (see eal-hugepage lock.ts), alone on line 0
export const HP_NAME = 64; // 32 B utf-8, NUL padded
export const HP_NAME_LEN = 32;
export const HP_SOCKET = 96; // i32 socket id (>= EXTERNAL_HEAP_MIN_SOCKET_ID for external heaps)
export const HP_KIND = 100; // u32 HEAP_KIND_*
export const HP_TOTAL = 104; // f64 bytes of memory in the heap
export const HP_ALLOC_COUNT = 112; // u32 elements handed out (busy or in an lcore cache)
export const HP_FIRST = 120; // f64 address of the lowest element
export const HP_LAST = 128; // f64 address of the highest element
export const HP_FREE_HEADS = 136; // NUM_FREELISTS x f64 heads of the free lists

export const HEAP_KIND_UNUSED = 0;
export const HEAP_KIND_SOCKET = 1;
export const HEAP_KIND_EXTERNAL = 2;

/*
 * Per-lcore caches of free small elements (which DPDK does not have): the
 * owner lcore pops and pushes without the heap lock. Bin b holds elements of
 * exactly (b + 1) * 64 data bytes, as an intrusive LIFO linked through the
 * elements' EL_FL_NEXT; bytes held follow from the counts.
 */
export const CACHES_OFF = 8256; // HEAPS_OFF + MAX_HEAPS * HEAP_BYTES
export const LCACHE_BYTES = 1088;
export const LC_HEAP = 0; // i32 heap index the cache serves, -1 when unset
// The owner's fast path takes no lock: it sets LC_BUSY (a plain store) for
// the length of one pop or push and backs off while LC_CLOSED is set. A
// thread reclaiming the cache sets LC_CLOSED (atomic), runs a system-wide
// barrier (membarrier) so that a BUSY of an operation already under way is
// visible, waits for BUSY to clear, and then owns the cache until it clears
// LC_CLOSED. @see Heap.cacheReclaim
export const LC_BUSY = 4; // i32 1 while the owner is inside a pop or push
export const LC_CLOSED = 8; // i32 1 while another thread empties the cache
export const LC_BINS = 64; // CACHE_BINS x { head f64, count u32, pad u32 }
export const LC_BIN_BYTES = 16;
export const LC_BIN_HEAD = 0;
export const LC_BIN_COUNT = 8;
/** Bins of 64-byte size classes: data sizes 64, 128, ... 4096. */
export const CACHE_BINS = 64;
/** Largest request served by the lcore caches. */
export const CACHE_MAX_SIZE = 4096; // CACHE_BINS * 64
/** Bytes a bin may hold before frees go back to the heap (at least 4, at most 64 elements). */
export const CACHE_BIN_BUDGET = 32768;



/*
 * Undo journals, one per heap, in their own config area: a locked
 * operation records the old value of every word it changes before changing
 * it, so that a waiter who takes the lock over from a dead process (or the
 * holder itself, when the operation throws half way) can put every word
 * back and find the heap exactly as it was before that operation began.
 *
 * journal of heap h, at h * JOURNAL_BYTES
 *   0   u32 entries in use (0: no operation in progress)
 *   8   f64 grow intent: address of pages being added (0: none)
 *   16  f64 grow intent: bytes of those pages
 *   64  JOURNAL_ENTRIES x { u32 list index (0: the config), u32 byte offset * 2
 *       (+ 1 for an f64 word), f64 old value }
 */
export const JOURNAL_AREA_NAME = 'malloc_heap_journal';
export const J_COUNT = 0;
export const J_GROW_ADDR = 8;
export const J_GROW_LEN = 16;
export const J_ENTRIES = 64;
/** Words one operation may change (the largest, a grow, changes about 130). */
export const JOURNAL_ENTRIES = 512;
export const JOURNAL_BYTES = 8256; // J_ENTRIES + JOURNAL_ENTRIES * 16
export const JOURNAL_AREA_BYTES = 264192; // MAX_HEAPS * JOURNAL_BYTES

/* Element header */
export const ELEM_HEADER_LEN = 64; // @see MALLOC_ELEM_HEADER_LEN
export const ELEM_OVERHEAD = 64; // header, no trailer: @see MALLOC_ELEM_OVERHEAD
export const MIN_DATA_SIZE = 64; // @see MIN_DATA_SIZE
/** A remainder this large becomes an element of its own. */
export const MIN_SPLIT = 128; // ELEM_OVERHEAD + MIN_DATA_SIZE

export const EL_PREV = 0; // f64 address of the previous element in memory order (0: none)
export const EL_NEXT = 8; // f64 next element in memory order (0: none)
export const EL_FL_PREV = 16; // f64 previous element in the free list (0: head)
export const EL_FL_NEXT = 24; // f64 next element in the free list; the link while in an lcore cache
export const EL_SIZE = 32; // u32 bytes of the element, header included (a multiple of 64)
export const EL_STATE = 36; // u32 ELEM_*
export const EL_PAD = 40; // u32 outer element: bytes to the inner PAD header; inner: back to the outer
export const EL_HEAP = 44; // u32 heap index
export const EL_MAGIC = 48; // u32 ELEM_MAGIC while the header is live, 0 once merged away
export const EL_FL_INDEX = 52; // u32 free list the element is on (while FREE)

export const ELEM_MAGIC = 0x454d5452; // 'RTME'
export const ELEM_FREE = 0; // @see ELEM_FREE
export const ELEM_BUSY = 1; // @see ELEM_BUSY
export const ELEM_PAD = 2; // @see ELEM_PAD
export const ELEM_CACHED = 3; // free, but held by an lcore cache

/* Functions last: a declaration before a constant stops the bundler from inlining it. */

/** Elements bin `b` may hold. */
export function cacheBinLimit(b: number): number {
  return Math.max(4, Math.min(64, Math.floor(CACHE_BIN_BUDGET / ((b + 2) * 64))));
}

/** Bytes of the whole area. */
export function heapAreaBytes(maxLcore: number): number {
  return CACHES_OFF + maxLcore * LCACHE_BYTES;
}
