/**
 * What a ring is and what it holds, read from its shared header: the base of
 * the class chain that makes {@link WasmRing} (see ring.ts). Properties,
 * counts, the RTS head-tail distance, reset, head/tail, dump and recovery
 * (control path: JS Atomics on the header). It also holds the handle state
 * the whole chain shares: the thread's view of the ring (core.ts), its
 * buffer, Memory and memzone.
 *
 * @see lib/ring/rte_ring.h (rte_ring_count, rte_ring_free_count, rte_ring_get_size, rte_ring_get_capacity),
 * rte_ring.c (rte_ring_reset, rte_ring_dump), rte_ring_rts.h (htd_max) in DPDK
 */
import { type Eal, type Memzone, RteError, type WasmMemory } from '@rtemem/memzone';
import { WasmCore } from './core.js';
import { viewsOf } from './memory.js';
import { ringExports } from './module.js';
import {
  dumpText,
  type HeadTail,
  HT_HEAD,
  HT_INFLIGHT,
  HT_TAIL,
  readName,
  recoverRing,
  RING_CONS,
  RING_HDR_CONS_HTD,
  RING_HDR_FLAGS,
  RING_HDR_GEN,
  RING_HDR_PROD_HTD,
  RING_PROD,
  SYNC_MT_RTS,
} from './shared.js';

/**
 * A ring's properties, counts, dump and recovery: the first class of the
 * chain that makes {@link WasmRing}.
 */
export class WasmRingInfo {
  /** This thread's view of the ring (core.ts). @internal */
  protected readonly core: WasmCore;
  /** The EAL of a ring made by create or found by lookup, else null. @internal */
  protected readonly eal: Eal | null;
  readonly #sab: SharedArrayBuffer;
  readonly #mz: Memzone | null;
  readonly #memory: WasmMemory;

  /** @internal */
  protected constructor(sab: SharedArrayBuffer, memory: WasmMemory, wasmOffset: number, byteOffset: number, mz: Memzone | null, eal: Eal | null) {
    const v = viewsOf(sab);
    this.core = new WasmCore(v.i32, v.u32, v.f64, byteOffset, wasmOffset, ringExports(memory));
    this.#sab = sab;
    this.#memory = memory;
    this.#mz = mz;
    this.eal = eal;
  }

  /* ------------------------------------------------------------------ *
   * Properties
   * ------------------------------------------------------------------ */

  get name(): string {
    return readName(this.#sab, this.core.base);
  }

  /** @see rte_ring_get_size */
  get size(): number {
    return this.core.size;
  }

  /** @see rte_ring_get_capacity */
  get capacity(): number {
    return this.core.capacity;
  }

  get esize(): number {
    return this.core.esize;
  }

  get flags(): number {
    return this.core.u32[(this.core.base + RING_HDR_FLAGS) >> 2]!;
  }

  get memzone(): Memzone | null {
    return this.#mz;
  }

  /** The WebAssembly memory the ring lives in. */
  get memory(): WasmMemory {
    return this.#memory;
  }

  /* ------------------------------------------------------------------ *
   * State (control path: JS Atomics on the shared header)
   * ------------------------------------------------------------------ */

  #word(side: number, field: number): number {
    return (this.core.base + side + field) >> 2;
  }

  /** @see rte_ring_count */
  count(): number {
    const r = this.core;
    const c = (Atomics.load(r.i32, this.#word(RING_PROD, HT_TAIL)) - Atomics.load(r.i32, this.#word(RING_CONS, HT_TAIL))) & r.mask;
    return c > r.capacity ? r.capacity : c;
  }

  /** @see rte_ring_free_count */
  freeCount(): number {
    return this.capacity - this.count();
  }

  /** @see rte_ring_full */
  isFull(): boolean {
    return this.freeCount() === 0;
  }

  /** @see rte_ring_empty */
  isEmpty(): boolean {
    const r = this.core;
    return Atomics.load(r.i32, this.#word(RING_PROD, HT_TAIL)) === Atomics.load(r.i32, this.#word(RING_CONS, HT_TAIL));
  }

  /** @see rte_ring_get_prod_htd_max */
  get prodHtdMax(): number {
    if (this.core.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    return this.core.u32[(this.core.base + RING_HDR_PROD_HTD) >> 2]!;
  }

  /** @see rte_ring_set_prod_htd_max */
  set prodHtdMax(v: number) {
    if (this.core.prodSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the producer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.core.u32[(this.core.base + RING_HDR_PROD_HTD) >> 2] = v;
  }

  /** @see rte_ring_get_cons_htd_max */
  get consHtdMax(): number {
    if (this.core.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    return this.core.u32[(this.core.base + RING_HDR_CONS_HTD) >> 2]!;
  }

  /** @see rte_ring_set_cons_htd_max */
  set consHtdMax(v: number) {
    if (this.core.consSync !== SYNC_MT_RTS) throw new RteError('EINVAL', 'the consumer is not RTS');
    if (!Number.isInteger(v) || v < 0 || v > this.capacity) throw new RteError('EINVAL', `htd_max must be 0..${this.capacity}`);
    this.core.u32[(this.core.base + RING_HDR_CONS_HTD) >> 2] = v;
  }

  /** Empties the ring (not thread-safe). Bumps the ring's generation, so JS Ring handles drop their cached tails. @see rte_ring_reset */
  reset(): void {
    const r = this.core;
    for (const side of [RING_PROD, RING_CONS]) for (const f of [HT_HEAD, HT_TAIL, HT_INFLIGHT]) Atomics.store(r.i32, this.#word(side, f), 0);
    Atomics.add(r.i32, (r.base + RING_HDR_GEN) >> 2, 1);
    r.peekProd = -1;
    r.peekCons = -1;
  }

  /** Head, tail and in-flight count of both sides, as unsigned 32-bit counters. */
  headTail(): HeadTail {
    const r = this.core;
    const u = (side: number, f: number) => Atomics.load(r.i32, this.#word(side, f)) >>> 0;
    return {
      prodHead: u(RING_PROD, HT_HEAD),
      prodTail: u(RING_PROD, HT_TAIL),
      consHead: u(RING_CONS, HT_HEAD),
      consTail: u(RING_CONS, HT_TAIL),
      prodInFlight: u(RING_PROD, HT_INFLIGHT),
      consInFlight: u(RING_CONS, HT_INFLIGHT),
    };
  }

  /** The ring's state in DPDK's dump format (the same text as Ring.dump). @see rte_ring_dump */
  dump(): string {
    return dumpText(this, this.core);
  }

  /** Recovery after a thread died between claiming and finishing; as Ring.recover. Not thread-safe. */
  recover(poison = Number.NaN): { published: number; released: number } {
    const words = {
      ph: this.#word(RING_PROD, HT_HEAD),
      pt: this.#word(RING_PROD, HT_TAIL),
      pInf: this.#word(RING_PROD, HT_INFLIGHT),
      ch: this.#word(RING_CONS, HT_HEAD),
      ct: this.#word(RING_CONS, HT_TAIL),
      cInf: this.#word(RING_CONS, HT_INFLIGHT),
    };
    return recoverRing(this.core, words, poison);
  }

  /** Byte offset of this ring in its buffer. */
  get byteOffset(): number {
    return this.core.base;
  }

  /** The buffer holding this ring (the list's, for a ring of an EAL). */
  get buffer(): SharedArrayBuffer {
    return this.#sab;
  }
}
