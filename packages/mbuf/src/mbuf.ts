/**
 * The Mbuf facade: DPDK's rte_pktmbuf_* functions on mbuf addresses, for
 * one EAL handle. Its methods come from a chain of classes, one concept
 * per file, each extending the one before:
 *
 * ```
 * fields.ts    MbufFields    header fields, offload flags, refcnt, reset
 * fields-more.ts MbufMoreFields tx_offload lengths, outer VLAN, timesync, fdir, private area
 * extbuf.ts    MbufExtbuf    external buffers and their shared info
 * indirect.ts  MbufIndirect  attach, detach
 * free.ts      MbufFree      free, freeSeg, freeBulk
 * data.ts      MbufData      mtod, append/prepend/adj/trim, chain, read/write, linearize
 * clone.ts     MbufClone     clone, copy
 * debug.ts     MbufDebug     check, sanityCheck, dump
 * mbuf.ts      Mbuf          Mbuf.of, dynamic fields and flags (dyn.ts)
 * ```
 *
 * all over one core (core.ts: the thread's list cursors and scratch).
 *
 * Why a chain and not a facade that hands each call to a module function:
 * V8 inlines an inherited method into the caller with nothing left of the
 * call, and every method reaches the header cursor by the same path
 * (`this.core.k`), so consecutive calls on one Mbuf share one decode.
 * Handing off to module functions reloads and checks each function from
 * the module's context at every call and breaks that sharing: measured on
 * the hot paths against the code before the split (one process, both
 * builds, minimum of 60 runs each), 6 field accesses took 1.35-1.5x the
 * time, append + reset 1.25-1.4x, alloc + append + write + free
 * 1.1-1.3x; as a chain, 0.99x, 1.0x and 1.0-1.1x.
 *
 * @see lib/mbuf/rte_mbuf.h, rte_mbuf.c in DPDK
 */
import type { Eal } from '@rtemem/eal-hugepage';
import { MbufCore } from './core.js';
import { MbufDebug } from './debug.js';

const facades = new WeakMap<Eal, Mbuf>();

/**
 * Mbuf functions for one EAL handle. No per-packet JS objects: every call
 * reads the list's cached typed arrays at the mbuf's offset.
 *
 * @example
 * ```ts
 * import { Eal, Mbuf, PktmbufPool } from '@rtemem/mbuf';
 * const eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
 * const pool = PktmbufPool.create(eal, 'p', 1024);
 * const mb = Mbuf.of(eal);
 * const m = pool.alloc();
 * mb.append(m, 4);
 * mb.write(m, 0, Uint8Array.of(1, 2, 3, 4));   // 0
 * mb.pktLen(m) === 4;
 * mb.free(m);
 * eal.cleanup();
 * ```
 * @see rte_mbuf
 */
export class Mbuf extends MbufDebug {
  /** The EAL handle these functions work in. */
  declare readonly eal: Eal;

  private constructor(eal: Eal) {
    super(new MbufCore(eal));
    this.eal = eal;
  }

  /** The facade of an EAL handle (one per handle). @see rte_mbuf */
  static of(eal: Eal): Mbuf {
    let m = facades.get(eal);
    if (m === undefined) {
      m = new Mbuf(eal);
      facades.set(eal, m);
    }
    return m;
  }

  /* Dynamic fields and flags (dyn.ts): names registered in shared memory. */

  /** Offset of dynamic field `name` in every mbuf. @see rte_mbuf_dynfield_register */
  dynfieldRegister(name: string, size: number, align: number): number {
    return this.core.registry().fieldRegister(name, size, align);
  }
  /** Bit of dynamic flag `name` in the offload flags. @see rte_mbuf_dynflag_register */
  dynflagRegister(name: string): number {
    return this.core.registry().flagRegister(name);
  }
  /** @see rte_mbuf_dynfield_lookup */
  dynfieldLookup(name: string): number {
    return this.core.registry().fieldLookup(name);
  }
  /** @see rte_mbuf_dynflag_lookup */
  dynflagLookup(name: string): number {
    return this.core.registry().flagLookup(name);
  }
}
