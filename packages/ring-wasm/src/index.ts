/**
 * @rtemem/ring-wasm — DPDK's rte_ring with its head/tail moves in
 * WebAssembly atomics: the API and shared layout of @rtemem/ring's Ring
 * (rings of either implementation are the same rings), on an EAL's memseg
 * lists (WebAssembly memories) or on any shared WebAssembly.Memory.
 * Re-exports @rtemem/memzone and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/memzone';
export { WasmRing } from './ring.js';
// Shared with @rtemem/ring (defined and documented there).
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
  isOutput,
  type ZcData,
  type HeadTail,
} from '@rtemem/ring';
export { STRICT as WASM_RING_STRICT } from './module.js';
