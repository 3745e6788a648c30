/**
 * @rtemem/mempool — DPDK's rte_mempool in shared memory: fixed-size object
 * pools with per-lcore caches in front of a swappable driver (rings in every
 * sync mode, stacks, or your own), shared by worker threads and processes.
 * Re-exports @rtemem/ring and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/ring';
export { Mempool } from './mempool.js';
export type { MempoolCreateOptions } from './setup.js';
export { MempoolCache } from './cache.js';
export type { MempoolStats, MempoolLcoreStats } from './stats.js';
export {
  MEMPOOL_F_NO_SPREAD,
  MEMPOOL_F_NO_CACHE_ALIGN,
  MEMPOOL_F_SP_PUT,
  MEMPOOL_F_SC_GET,
  MEMPOOL_F_NO_IOVA_CONTIG,
  MEMPOOL_CACHE_MAX_SIZE,
  MEMPOOL_NAMESIZE,
  MEMPOOL_MZ_PREFIX,
} from './layout.js';
export { registerOps, findOps, opsNames, defaultRingOps, DEFAULT_RING_IMPL, type MempoolOps } from './ops.js';
