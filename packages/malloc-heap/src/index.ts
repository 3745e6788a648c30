/**
 * @rtemem/malloc-heap — DPDK's malloc heap in shared memory: one heap per
 * NUMA socket plus external heaps, malloc/zmalloc/calloc/realloc/free,
 * statistics, and lock-free per-lcore caches for small blocks.
 * Re-exports @rtemem/memseg and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/memseg';
export { Heap } from './heap.js';
export type { AllocOptions } from './placement.js';
export type { SocketStats } from './stats.js';
export { MAX_HEAPS, NUM_FREELISTS, EXTERNAL_HEAP_MIN_SOCKET_ID, HEAP_NAME_MAX_LEN, CACHE_MAX_SIZE, ELEM_HEADER_LEN } from './layout.js';
export { freeListIndex } from './elem.js';
export { setHeapFaultHook } from './journal.js';
