/** Any NUMA socket. @see SOCKET_ID_ANY in rte_memory.h */
export const SOCKET_ID_ANY = -1;
/** The lcore id of a thread that has no lcore. @see LCORE_ID_ANY in rte_lcore.h */
export const LCORE_ID_ANY = 0xffffffff;
/** Lcore ids are 0 .. MAX_LCORE-1. @see RTE_MAX_LCORE */
export const MAX_LCORE = 128;
/** IOVA of memory whose physical address is unknown. @see RTE_BAD_IOVA */
export const BAD_IOVA = -1n;
/** Cache line size assumed by every shared layout. @see RTE_CACHE_LINE_SIZE */
export const CACHE_LINE_SIZE = 64;
