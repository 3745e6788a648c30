/**
 * @rtemem/ring — DPDK's rte_ring (MP/MC, SP/SC, RTS and HTS sync, numbers or
 * fixed-size elements, peek) and rte_stack (lock-based or lock-free), in
 * shared memory, across worker threads and processes. Rings also work
 * standalone in any SharedArrayBuffer (Ring.init / Ring.attach), with no EAL.
 * Re-exports @rtemem/memzone and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/memzone';
export { Ring } from './ring.js';
export {
  RING_F_SP_ENQ,
  RING_F_SC_DEQ,
  RING_F_EXACT_SZ,
  RING_F_MP_RTS_ENQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MC_HTS_DEQ,
  RING_SZ_MASK,
  RING_MZ_PREFIX,
  RING_NAMESIZE,
} from './geometry.js';
export { isOutput } from './check.js';
export type { ZcData } from './peek.js';
export type { HeadTail } from './inspect.js';
export { Stack, STACK_F_LF, STACK_MZ_PREFIX, STACK_NAMESIZE, STACK_LF_MAX } from './stack.js';
export { ringFlagNames, ringSyncNames } from './names.js';
