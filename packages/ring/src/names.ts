/**
 * Names of a ring's flags and sync modes, for dumps and tools (rtemem
 * info): each RING_F_* bit's name without its prefix, and each side's sync
 * mode as DPDK's documentation names it.
 *
 * @see RING_F_* and enum rte_ring_sync_type in DPDK rte_ring_core.h
 */
import {
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
} from './geometry.js';

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [RING_F_SP_ENQ, 'SP_ENQ'],
  [RING_F_SC_DEQ, 'SC_DEQ'],
  [RING_F_EXACT_SZ, 'EXACT_SZ'],
  [RING_F_MP_RTS_ENQ, 'MP_RTS_ENQ'],
  [RING_F_MC_RTS_DEQ, 'MC_RTS_DEQ'],
  [RING_F_MP_HTS_ENQ, 'MP_HTS_ENQ'],
  [RING_F_MC_HTS_DEQ, 'MC_HTS_DEQ'],
];

/**
 * The names of the RING_F_* bits set in `flags`, lowest bit first, without
 * the `RING_F_` prefix (`['SP_ENQ', 'SC_DEQ']`); bits that are no ring flag
 * are left out.
 *
 * @example
 * ```ts
 * ringFlagNames(RING_F_SP_ENQ | RING_F_SC_DEQ); // ['SP_ENQ', 'SC_DEQ']
 * ```
 */
export function ringFlagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/**
 * How a ring created with `flags` syncs each side: producers `MP`, `SP`,
 * `MP RTS` or `MP HTS`; consumers `MC`, `SC`, `MC RTS` or `MC HTS`.
 *
 * @example
 * ```ts
 * ringSyncNames(RING_F_SP_ENQ | RING_F_MC_HTS_DEQ); // { prod: 'SP', cons: 'MC HTS' }
 * ```
 * @see rte_ring_get_prod_sync_type, rte_ring_get_cons_sync_type
 */
export function ringSyncNames(flags: number): { prod: string; cons: string } {
  return {
    prod: sideName(flags, RING_F_SP_ENQ, RING_F_MP_RTS_ENQ, RING_F_MP_HTS_ENQ, 'SP', 'MP'),
    cons: sideName(flags, RING_F_SC_DEQ, RING_F_MC_RTS_DEQ, RING_F_MC_HTS_DEQ, 'SC', 'MC'),
  };
}

function sideName(flags: number, single: number, rts: number, hts: number, one: string, many: string): string {
  if ((flags & single) !== 0) return one;
  if ((flags & rts) !== 0) return `${many} RTS`;
  if ((flags & hts) !== 0) return `${many} HTS`;
  return many;
}
