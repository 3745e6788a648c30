/**
 * Shared-memory layout of a ring: the same as @rtemem/ring's src/layout.ts
 * (the layout is the contract between the two implementations; a test
 * holds them equal). Offsets are bytes from the
 * start of the structure (64-byte aligned in its buffer). Values are plain
 * literals (derived ones with their formula in a comment) so that the
 * bundler inlines them in hot paths; functions come after all constants.
 *
 * ```
 * ring
 *   0     line 0: name, flags, size, mask, capacity, esize, magic, htd_max
 *   128   producer: head, tail, in-flight count (RTS)   (own line, one line gap)
 *   256   consumer: head, tail, in-flight count (RTS)
 *   384   slots: size x esize bytes
 * ```
 *
 * @see struct rte_ring in DPDK lib/ring/rte_ring_core.h
 */

/* ------------------------------------------------------------------ *
 * Ring
 * ------------------------------------------------------------------ */

export const RING_MAGIC = 0x474e4952; // 'RING'
export const RING_HDR_NAME = 0; // 32 B utf-8, NUL padded
export const RING_NAME_LEN = 32;
export const RING_HDR_FLAGS = 32; // u32 RING_F_* as created
export const RING_HDR_SIZE = 36; // u32 slots (a power of two)
export const RING_HDR_MASK = 40; // u32 size - 1
export const RING_HDR_CAPACITY = 44; // u32 usable slots
export const RING_HDR_ESIZE = 48; // u32 bytes per element (a multiple of 4)
export const RING_HDR_MAGIC = 52; // u32 RING_MAGIC once initialised
export const RING_HDR_PROD_HTD = 56; // u32 RTS: producer head-tail distance limit
export const RING_HDR_CONS_HTD = 60; // u32 RTS: consumer head-tail distance limit
export const RING_HDR_PROD_SYNC = 64; // u32 SYNC_* of the producer side
export const RING_HDR_CONS_SYNC = 68; // u32 SYNC_* of the consumer side
export const RING_HDR_STATE = 72; // u32 RING_STATE_* (live / freed)
export const RING_HDR_GEN = 76; // u32 bumped when counters move back (reset): drops every handle's cached tails

/** Producer head/tail, on its own cache line (with a line of gap from line 0). */
export const RING_PROD = 128;
/** Consumer head/tail, on its own cache line. */
export const RING_CONS = 256;
export const HT_HEAD = 0; // i32 free-running head counter (masked only to index a slot)
export const HT_TAIL = 4; // i32 free-running tail counter
export const HT_INFLIGHT = 8; // i32 RTS: operations between head move and tail update
/** First slot. */
export const RING_SLOTS = 384;
export const RING_HEADER_BYTES = 384;

/** Sync types of one side. @see enum rte_ring_sync_type */
export const SYNC_MT = 0; // multi-thread: CAS on head, wait for the tail
export const SYNC_ST = 1; // single thread
export const SYNC_MT_RTS = 2; // relaxed tail sync
export const SYNC_MT_HTS = 3; // head/tail serialised

export const RING_STATE_LIVE = 1;
export const RING_STATE_FREED = 2;

/** Free-running counter modulus: 2 ** 32. */
export const COUNTER_MOD = 4294967296;
