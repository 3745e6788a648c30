/**
 * Shared-memory layout of an mbuf (DPDK 22.11, x86_64 rte_mbuf), of the
 * pktmbuf pool's private area, of external-buffer shared info, and of the
 * dynamic field/flag registry. Values are plain literals so the bundler
 * inlines them in the hot paths; functions come after all constants.
 *
 * ```
 * mbuf (128 B, two cache lines)
 *   0  buf_addr  8 buf_iova  16 data_off  18 refcnt  20 nb_segs  22 port
 *   24 ol_flags  32 packet_type  36 pkt_len  40 data_len  42 vlan_tci
 *   44 hash      52 vlan_tci_outer  54 buf_len  56 pool
 *   64 next      72 tx_offload  80 shinfo  88 priv_size  90 timesync  92 dynfield1[9]
 * then the private area (priv_size), then headroom + data room.
 * ```
 * Pointers (buf_addr, pool, next, shinfo) hold rtemem addresses as f64;
 * 64-bit integers (buf_iova, ol_flags, hash, tx_offload) are two u32 halves,
 * the low half first (OFF_X), the high half 4 bytes on (OFF_X_HI).
 * Addresses are decoded by @rtemem/eal-hugepage's ListCursor: no address
 * constant is copied here.
 *
 * @see struct rte_mbuf in DPDK lib/mbuf/rte_mbuf_core.h
 */

export const MBUF_HEADER_SIZE = 128;
export const OFF_BUF_ADDR = 0; // f64 rtemem address of the buffer
export const OFF_BUF_IOVA = 8; // u32 x 2: physical address of the buffer (all ones: unknown)
export const OFF_BUF_IOVA_HI = 12; // OFF_BUF_IOVA + 4: its high half
export const OFF_DATA_OFF = 16; // u16 data offset in the buffer
export const OFF_REFCNT = 18; // u16 reference count (atomic when shared)
export const OFF_NB_SEGS = 20; // u16 segments (first segment)
export const OFF_PORT = 22; // u16 input port
export const OFF_OL_FLAGS = 24; // u32 x 2 offload flags
export const OFF_OL_FLAGS_HI = 28; // OFF_OL_FLAGS + 4: its high half (bits 32..63)
export const OFF_PACKET_TYPE = 32; // u32
export const OFF_PKT_LEN = 36; // u32 total length of all segments
export const OFF_DATA_LEN = 40; // u16 length of this segment's data
export const OFF_VLAN_TCI = 42; // u16
export const OFF_HASH = 44; // u32 x 2: the hash union (rss in the low half)
export const OFF_HASH_HI = 48; // OFF_HASH + 4: its high half
export const OFF_FDIR_HASH = 44; // u16 hash.fdir.hash (the low half of hash.fdir.lo)
export const OFF_FDIR_ID = 46; // u16 hash.fdir.id (the high half of hash.fdir.lo)
export const OFF_VLAN_TCI_OUTER = 52; // u16
export const OFF_BUF_LEN = 54; // u16 buffer length
export const OFF_POOL = 56; // f64 address of the mempool header
export const OFF_NEXT = 64; // f64 next segment (0: last)
export const OFF_TX_OFFLOAD = 72; // u32 x 2: l2/l3/l4 lengths, tso_segsz, outer lengths
export const OFF_TX_OFFLOAD_HI = 76; // OFF_TX_OFFLOAD + 4: its high half
export const OFF_SHINFO = 80; // f64 external buffer shared info (0: none)
export const OFF_PRIV_SIZE = 88; // u16
export const OFF_TIMESYNC = 90; // u16
export const OFF_DYNFIELD1 = 92; // 9 x u32: the dynamic field area
export const DYNFIELD1_BYTES = 36;

/*
 * tx_offload bit-fields, from bit 0 of the 64-bit word (little-endian: the
 * low u32 at OFF_TX_OFFLOAD holds bits 0..31, OFF_TX_OFFLOAD_HI bits 32..63).
 * @see RTE_MBUF_L2_LEN_BITS ... RTE_MBUF_OUTL2_LEN_OFS in rte_mbuf_core.h
 */
export const TX_L2_LEN_BITS = 7; // bits 0..6
export const TX_L3_LEN_BITS = 9; // bits 7..15
export const TX_L3_LEN_OFS = 7;
export const TX_L4_LEN_BITS = 8; // bits 16..23
export const TX_L4_LEN_OFS = 16;
export const TX_TSO_SEGSZ_BITS = 16; // bits 24..39: 8 in the low word, 8 in the high
export const TX_TSO_SEGSZ_OFS = 24;
export const TX_OUTL3_LEN_BITS = 9; // bits 40..48 (8..16 of the high word)
export const TX_OUTL3_LEN_OFS_HI = 8;
export const TX_OUTL2_LEN_BITS = 7; // bits 49..55 (17..23 of the high word)
export const TX_OUTL2_LEN_OFS_HI = 17;

/** refcnt, nb_segs and data_len are 16 bits: their largest value. */
export const U16_MAX = 0xffff;
/** nb_segs = 1 and port = MBUF_PORT_INVALID as one u32 at OFF_NB_SEGS (little-endian). */
export const NB_SEGS_1_PORT_INVALID = 0xffff0001;

/** The length `copy` takes when none is given: the rest of the packet. @see UINT32_MAX in rte_pktmbuf_copy */
export const COPY_ALL = 0xffffffff;
/** freeBulk gives mbufs back to their pool in batches of up to this many. */
export const FREE_BATCH = 64;

/** Default headroom. @see RTE_PKTMBUF_HEADROOM */
export const PKTMBUF_HEADROOM = 128;
/** @see RTE_MBUF_DEFAULT_DATAROOM */
export const MBUF_DEFAULT_DATAROOM = 2048;
/** @see RTE_MBUF_DEFAULT_BUF_SIZE */
export const MBUF_DEFAULT_BUF_SIZE = 2176; // MBUF_DEFAULT_DATAROOM + PKTMBUF_HEADROOM
/** @see RTE_MBUF_PORT_INVALID */
export const MBUF_PORT_INVALID = 0xffff;
/** @see RTE_MBUF_MAX_NB_SEGS */
export const MBUF_MAX_NB_SEGS = 0xffff;
/** The private area of an mbuf is a multiple of this. @see RTE_MBUF_PRIV_ALIGN */
export const MBUF_PRIV_ALIGN = 8;

/* Offload flag bits in the high half (bit - 32). @see RTE_MBUF_F_INDIRECT, RTE_MBUF_F_EXTERNAL */
export const F_HI_EXTERNAL = 0x20000000; // bit 61: the buffer is external
export const F_HI_INDIRECT = 0x40000000; // bit 62: the mbuf is a clone of another (indirect)
export const F_HI_NOT_DIRECT = 0x60000000; // F_HI_INDIRECT | F_HI_EXTERNAL: the mbuf does not own its buffer
/** @see RTE_MBUF_F_EXTERNAL */
export const MBUF_F_EXTERNAL_BIT = 61;
/** @see RTE_MBUF_F_INDIRECT */
export const MBUF_F_INDIRECT_BIT = 62;
/** First and last offload flag bits free for dynamic flags. @see RTE_MBUF_F_FIRST_FREE */
export const DYNFLAG_FIRST = 23;
export const DYNFLAG_LAST = 40;

/* Pktmbuf pool private area (the mempool's private data). @see struct rte_pktmbuf_pool_private */
export const PP_DATA_ROOM = 0; // u16 mbuf_data_room_size
export const PP_PRIV_SIZE = 2; // u16 mbuf_priv_size
export const PP_FLAGS = 4; // u32 flags
export const PP_MAGIC = 8; // u32 PKTMBUF_POOL_MAGIC: this mempool holds mbufs
export const PKTMBUF_POOL_MAGIC = 0x4655424d; // 'MBUF'
export const PP_BYTES = 16;
/** Pool flag: the mbufs' buffers are pinned external memory. @see RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF */
export const PKTMBUF_POOL_F_PINNED_EXT_BUF = 1;

/* External buffer shared info (at the end of the buffer). @see struct rte_mbuf_ext_shared_info */
export const SHINFO_REFCNT = 0; // u32 references (atomic)
export const SHINFO_CB = 4; // u32 free callback id (per thread registry)
export const SHINFO_OPAQUE = 8; // f64 opaque value given to the callback
export const SHINFO_BYTES = 16;
export const SHINFO_ALIGN = 8; // shared info starts on this boundary (its f64 opaque)
/**
 * The free callback id of a pinned external buffer's shared info: no user
 * function, but "put the mbuf at opaque back in its pool" (ids from the
 * registry count up from 1 and never reach it). @see rte_pktmbuf_free_pinned_extmem
 */
export const SHINFO_CB_PINNED = 0xffffffff;

/* Dynamic field and flag registry (config area "mbuf_dyn"). @see rte_mbuf_dyn.c */
export const DYN_AREA_NAME = 'mbuf_dyn';
export const DYN_LOCK = 0; // lock words
export const DYN_INIT = 8; // i32 1 once initialised
export const DYN_FREE = 16; // 128 B: per mbuf byte, 1 when free for dynamic fields
export const DYN_FREE_FLAGS_LO = 144; // u32: free flag bits 0..31
export const DYN_FREE_FLAGS_HI = 148; // u32: free flag bits 32..63
export const DYN_CB_NEXT = 152; // u32 next free-callback id (unique across threads and processes)
export const DYN_FIELDS = 192; // MAX_DYN_FIELDS entries of DYN_ENTRY_BYTES
export const DYN_FLAGS = 5312; // DYN_FIELDS + MAX_DYN_FIELDS * DYN_ENTRY_BYTES
export const MAX_DYN_FIELDS = 64;
export const MAX_DYN_FLAGS = 64;
export const DYN_ENTRY_BYTES = 80;
export const DYN_E_NAME = 0; // 64 B utf-8
export const DYN_NAME_LEN = 64; // @see RTE_MBUF_DYN_NAMESIZE
export const DYN_E_VALUE = 64; // u32 offset (field) or bit number (flag)
export const DYN_E_SIZE = 68; // u32 field size
export const DYN_E_ALIGN = 72; // u32 field alignment
export const DYN_E_USED = 76; // u32 1: entry in use
export const DYN_AREA_BYTES = 10432; // DYN_FLAGS + MAX_DYN_FLAGS * DYN_ENTRY_BYTES
