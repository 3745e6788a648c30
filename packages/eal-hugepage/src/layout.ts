/**
 * Shared-memory layout of the config region (DPDK's rte_mem_config) and of
 * rtemem addresses. Every offset used by this package is named here; all
 * offsets are bytes from the start of the config region unless noted.
 *
 * Values are plain literals (derived ones with their formula in a comment):
 * the bundler then inlines them at every use instead of leaving a variable
 * load in hot paths.
 *
 * ```
 * 0       header (magic, version, size, owner, primary, backend, lists)
 * 256     locks (one 64-byte line each)
 * 512     lcore table        MAX_LCORE x 32 B
 * 4608    memseg list table  MAX_LISTS x 128 B
 * 8704    area directory     MAX_AREAS x 64 B
 * 10752   page size table    MAX_PAGE_SIZES x 256 B
 * 16384   areas              named regions owned by the upper layers
 * ...     segment tables     one 16-byte entry per page of every list
 * ```
 */

/* ------------------------------------------------------------------ *
 * Addresses
 * ------------------------------------------------------------------ */

/**
 * Bytes of rtemem address space per memseg list: address = list * LIST_SPAN
 * + offset, lists numbered from 1, so 0 is NULL. 2**30 rather than 2**32 keeps
 * every address of list 1 below 2**31, a V8 small integer: address arithmetic
 * in hot paths stays in int32 and returned addresses never need a heap box.
 */
export const LIST_SPAN = 1073741824; // 2 ** 30
/** log2(LIST_SPAN) */
export const LIST_SPAN_LOG2 = 30;
/** LIST_SPAN - 1: the offset bits of an address below 2**32 (`addr & LIST_OFFSET_MASK`). */
export const LIST_OFFSET_MASK = 0x3fffffff;
/** Memseg lists per config. */
export const MAX_LISTS = 32;

/* ------------------------------------------------------------------ *
 * Header, 0..255
 * ------------------------------------------------------------------ */

/** 'RTEM' little-endian. */
export const CONFIG_MAGIC = 0x4d455452;
/** Bumped whenever any layout below (or an upper layer's area layout) changes. */
export const CONFIG_VERSION = 4; // 3: shared external memory (ML_F_EXT_SHARED, ML_EXT_PID/FD/START); 4: several page sizes (HDR_PAGE_SIZE_COUNT, PAGE_SIZE_TABLE)

export const HDR_MAGIC = 0; // u32 CONFIG_MAGIC
export const HDR_VERSION = 4; // u32 CONFIG_VERSION
export const HDR_SIZE = 8; // u32 bytes in the whole config region
export const HDR_OWNER_UID = 12; // u32 effective uid of the primary
export const HDR_PRIMARY_PID = 16; // i32 pid of the primary
export const HDR_STATE = 20; // i32 CONFIG_STATE_*
export const HDR_PRIMARY_START = 24; // f64 primary's start time (/proc/pid/stat field 22), against pid reuse
export const HDR_BACKEND = 32; // u32 BACKEND_CODE_*
export const HDR_FLAGS = 36; // u32 CONFIG_F_*
export const HDR_LIST_COUNT = 40; // u32 lists in the memseg list table
export const HDR_PAGE_SIZE = 48; // f64 the EAL's smallest page size (eal.pageSize); every size is in PAGE_SIZE_TABLE
export const HDR_MEMORY = 56; // f64 bytes preallocated at init
export const HDR_AREAS_OFF = 64; // u32 start of the areas region
export const HDR_AREAS_SIZE = 68; // u32 bytes in the areas region
export const HDR_AREAS_USED = 72; // u32 bump pointer inside the areas region
export const HDR_PAGE_SIZE_COUNT = 76; // u32 entries in PAGE_SIZE_TABLE (1..MAX_PAGE_SIZES)
export const HDR_PAGE_DIR = 128; // 128 B utf-8, NUL padded: directory of the list files of HDR_PAGE_SIZE
export const HDR_PAGE_DIR_LEN = 128;
export const HEADER_BYTES = 256;

export const CONFIG_STATE_INIT = 0;
export const CONFIG_STATE_READY = 1;
export const CONFIG_STATE_CLOSED = 2;

export const BACKEND_CODE_HUGETLBFS = 1;
export const BACKEND_CODE_ANONYMOUS = 2;
export const BACKEND_CODE_SAB = 3;

export const CONFIG_F_LEGACY_MEM = 0x1;
export const CONFIG_F_IN_MEMORY = 0x2;

/* ------------------------------------------------------------------ *
 * Locks, 256..511: one cache line each. A lock is two i32 words: the
 * owner's pid (0 = free) and the owner's lcore id, for dead-owner recovery
 * and for dumps. See lock.ts.
 * ------------------------------------------------------------------ */

/** Guards the area directory and the lcore table. */
export const LOCK_CONFIG = 256;
/** Guards segment state: page allocation and release. */
export const LOCK_MEMSEG = 320;
export const LOCK_WORD_OWNER = 0; // i32 pid, 0 when free
export const LOCK_WORD_LCORE = 4; // i32 lcore id of the owner (-1: none)
export const LOCK_BYTES = 8;

/* ------------------------------------------------------------------ *
 * Lcore table, 512..4607: MAX_LCORE entries of 32 bytes.
 * ------------------------------------------------------------------ */

export const LCORE_TABLE = 512;
export const LCORE_ENTRY_BYTES = 32;
export const LC_STATE = 0; // i32 LCORE_STATE_*
export const LC_PID = 4; // i32 owning process
export const LC_THREAD = 8; // i32 worker_threads threadId (0: the main thread)
export const LC_SOCKET = 12; // i32 NUMA socket the thread ran on when it registered
export const LC_START = 16; // f64 owning process's start time, against pid reuse
export const LC_ROLE = 24; // i32 LCORE_ROLE_*
/**
 * i32 launch state of a worker lcore (LCORE_STATE_WAIT / RUNNING / FINISHED,
 * launch.ts); 0 (WAIT) for every other role. In shared memory so that
 * `rtemem info`, in another process, sees what each lcore is doing.
 */
export const LC_LAUNCH = 28;

export const LCORE_STATE_FREE = 0;
export const LCORE_STATE_USED = 1;
export const LCORE_ROLE_MAIN = 0; // the primary's main thread (lcore 0)
export const LCORE_ROLE_THREAD = 1; // a thread that called threadRegister()
export const LCORE_ROLE_SECONDARY = 2; // a secondary process's main thread
export const LCORE_ROLE_WORKER = 3; // a worker lcore reserved by EalOptions.lcores: launch() runs work on it

/* ------------------------------------------------------------------ *
 * Memseg list table, 4608..8703: MAX_LISTS entries of 128 bytes.
 * ------------------------------------------------------------------ */

export const LIST_TABLE = 4608;
export const LIST_ENTRY_BYTES = 128;
export const ML_INDEX = 0; // u32 list index (1-based), 0 = unused entry
export const ML_SOCKET = 4; // i32 NUMA socket
export const ML_PAGE_SIZE = 8; // f64 bytes per page (segment)
export const ML_N_SEGS = 16; // u32 segments in the list
export const ML_SEG_TABLE = 20; // u32 offset of the list's segment table
export const ML_USED_SEGS = 24; // u32 segments currently backed by memory
export const ML_FLAGS = 28; // u32 ML_F_*
export const ML_LENGTH = 32; // f64 bytes of address space (n_segs * page_size)
export const ML_EXT_VA = 40; // f64 external lists: virtual address of the registering thread's buffer (0: unknown); ML_F_EXT_SHARED lists: a random id of the registration
export const ML_EXT_PID = 48; // i32 ML_F_EXT_SHARED lists: pid of the process holding the memfd
export const ML_EXT_FD = 52; // i32 ML_F_EXT_SHARED lists: the memfd's number in that process
export const ML_EXT_START = 56; // f64 ML_F_EXT_SHARED lists: that process's start time, against pid reuse
export const ML_FILE = 64; // 64 B utf-8 file name in the page directory ('' for sab / in-memory); for ML_F_EXT_SHARED lists the name the memory is registered under
export const ML_FILE_LEN = 64;

/**
 * The list is external memory (a user's SharedArrayBuffer added to an
 * external heap): every page counts as backed, IOVAs are unknown, and each
 * thread attaches the buffer itself. @see rte_memseg_list.external
 */
export const ML_F_EXTERNAL = 0x1;
/**
 * External memory in a memfd, registered under a name (ML_FILE) that any
 * thread or process maps through /proc/<ML_EXT_PID>/fd/<ML_EXT_FD> (see
 * extmem-shared.ts). Always with ML_F_EXTERNAL.
 */
export const ML_F_EXT_SHARED = 0x2;

/* ------------------------------------------------------------------ *
 * Area directory, 8704..10751: MAX_AREAS entries of 64 bytes. An area is a
 * named region of the config that an upper layer owns (heap lists, memzone
 * table, ...); the first caller creates it zero-filled.
 * ------------------------------------------------------------------ */

export const AREA_DIR = 8704;
export const MAX_AREAS = 32;
export const AREA_ENTRY_BYTES = 64;
export const AREA_NAME = 0; // 32 B utf-8, NUL padded
export const AREA_NAME_LEN = 32;
export const AREA_OFF = 32; // u32 offset of the area
export const AREA_SIZE = 36; // u32 bytes

/* ------------------------------------------------------------------ *
 * Page size table, 10752..12799: MAX_PAGE_SIZES entries of 256 bytes, one
 * per page size the EAL has memseg lists of, smallest first. A list's file
 * is in the directory of its page size's entry (each hugepage size has a
 * hugetlbfs mount of its own). @see struct hugepage_info in DPDK
 * ------------------------------------------------------------------ */

export const PAGE_SIZE_TABLE = 10752;
export const MAX_PAGE_SIZES = 8;
export const PAGE_SIZE_ENTRY_BYTES = 256;
export const PS_PAGE_SIZE = 0; // f64 bytes per page
export const PS_DIR = 128; // 128 B utf-8, NUL padded: directory of this size's list files ('' for sab / in-memory)
export const PS_DIR_LEN = 128;

export const AREAS_START = 16384;
/** Default bytes for all areas together. */
export const AREAS_DEFAULT_SIZE = 8388608; // 8 MiB

/* ------------------------------------------------------------------ *
 * Segment tables: one 16-byte entry per page (DPDK's rte_memseg), in list
 * order after the areas.
 * ------------------------------------------------------------------ */

export const SEG_ENTRY_BYTES = 16;
export const SEG_STATE = 0; // u32 SEG_F_* bits; 0 = no memory behind the page
export const SEG_IOVA_LO = 8; // u32 low half of the physical address
export const SEG_IOVA_HI = 12; // u32 high half; both 0xffffffff = BAD_IOVA

/** The page has memory behind it. */
export const SEG_F_USED = 0x1;
/** Allocated at init (or legacy mode): never given back to the OS. @see RTE_MEMSEG_FLAG_DO_NOT_FREE */
export const SEG_F_DO_NOT_FREE = 0x2;
