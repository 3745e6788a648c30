/**
 * @rtemem/mempool — DPDK's rte_mempool in shared memory: fixed-size object
 * pools with per-lcore caches in front of a swappable driver (rings in every
 * sync mode, stacks, or your own), shared by worker threads and processes.
 * Re-exports @rtemem/ring and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/ring';
export {
  Mempool,
  MempoolCache,
  type MempoolCreateOptions,
  MEMPOOL_F_NO_SPREAD,
  MEMPOOL_F_NO_CACHE_ALIGN,
  MEMPOOL_F_SP_PUT,
  MEMPOOL_F_SC_GET,
  MEMPOOL_F_NO_IOVA_CONTIG,
  MEMPOOL_CACHE_MAX_SIZE,
  MEMPOOL_NAMESIZE,
} from './mempool.js';
export { registerOps, findOps, opsNames, defaultRingOps, DEFAULT_RING_IMPL, type MempoolOps } from './ops.js';
