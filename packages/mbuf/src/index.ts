/**
 * @rtemem/mbuf — DPDK's packet buffers in shared memory: pktmbuf pools over
 * any mempool driver, and functions on mbuf addresses (fields with DPDK
 * 22.11's offsets, data, chains, clones, copies, external buffers, dynamic
 * fields and flags). Re-exports @rtemem/mempool and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/mempool';
export { PktmbufPool, type PktmbufExtmem } from './pool.js';
export { Mbuf } from './mbuf.js';
export { MBUF_FIELD } from './fields.js';
export {
  PKTMBUF_HEADROOM,
  MBUF_DEFAULT_DATAROOM,
  MBUF_DEFAULT_BUF_SIZE,
  MBUF_HEADER_SIZE,
  MBUF_PORT_INVALID,
  MBUF_MAX_NB_SEGS,
  MBUF_PRIV_ALIGN,
  MBUF_F_EXTERNAL_BIT,
  MBUF_F_INDIRECT_BIT,
} from './layout.js';
export * from './ol-flags.js';
export * from './ptype.js';
