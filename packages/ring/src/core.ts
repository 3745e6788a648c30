/**
 * What every sync mode works on: one thread's view of a ring's shared
 * header (word indexes into an Int32Array over the ring's buffer), plus
 * per-handle scratch and caches. Sync modes (sync/*.ts) move heads and
 * update tails; copy.ts moves the elements.
 */
import {
  HT_HEAD,
  HT_INFLIGHT,
  HT_TAIL,
  RING_CONS,
  RING_HDR_CAPACITY,
  RING_HDR_CONS_HTD,
  RING_HDR_CONS_SYNC,
  RING_HDR_ESIZE,
  RING_HDR_GEN,
  RING_HDR_MASK,
  RING_HDR_PROD_HTD,
  RING_HDR_PROD_SYNC,
  RING_HDR_SIZE,
  RING_PROD,
  RING_SLOTS,
} from './layout.js';

/**
 * Publishing a tail: on x86 (TSO) every store is a release store, so a plain
 * typed-array store after the element stores publishes them, as DPDK's C
 * does there; elsewhere, or with RTEMEM_RING_STRICT_ATOMICS=1, Atomics.store.
 * Readers always read the other side's tail with Atomics.load when they
 * wait on it, so no wait loop can be hoisted by the compiler.
 */
export const PLAIN_RELEASE = (process.arch === 'x64' || process.arch === 'ia32') && process.env.RTEMEM_RING_STRICT_ATOMICS !== '1';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Spins a while, then sleeps a microsecond at a time: the thread we wait for may have lost its core. */
export function backoff(spins: number): void {
  if (spins > 64) Atomics.wait(sleepCell, 0, 0, spins > 4096 ? 0.05 : 0.001);
}

/** One thread's view of a ring. */
export class RingCore {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** Byte offset of the ring in its buffer. */
  readonly base: number;
  readonly size: number;
  readonly mask: number;
  readonly capacity: number;
  readonly esize: number;
  /** esize / 4 */
  readonly words: number;
  /** Word indexes of the producer's and consumer's head, tail and in-flight count. */
  readonly ph: number;
  readonly pt: number;
  readonly pInf: number;
  readonly ch: number;
  readonly ct: number;
  readonly cInf: number;
  /** f64 index of slot 0 (esize 8) and u32 index of slot 0. */
  readonly slotF64: number;
  readonly slotU32: number;
  readonly prodSync: number;
  readonly consSync: number;
  /**
   * prodSync / consSync when the ring holds numbers (esize 8), else -1: the
   * one test the single-object calls make before their fast path.
   */
  readonly numProdSync: number;
  readonly numConsSync: number;

  /** Head before the last move (set by the sync modes' moveHead). */
  oldHead = 0;
  /** Free (producer) or used (consumer) entries seen by the last move, before it. */
  entries = 0;
  /**
   * This handle's last sight of the other sides' tails. Tails only move
   * forward, so a cached tail is at or behind the truth and only ever shows
   * less room than there is; reading the real one (a cache line the other
   * side keeps writing) is left for when the cached one shows too little.
   * reset() moves tails back: it bumps the ring's generation, which every
   * call compares (a line nobody writes in steady state: a cheap read).
   */
  cachedConsTail = 0;
  cachedProdTail = 0;
  cachedGen = 0;
  readonly genWord: number;

  /** What made the last copy into the slots fail (see putNumbers), or null. */
  copyError: unknown = null;

  /** A peek (start/finish) in progress: elements claimed, or -1. */
  peekProd = -1;
  peekCons = -1;

  constructor(buffer: SharedArrayBuffer, base: number) {
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    this.f64 = new Float64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.base = base;
    const w = base >> 2;
    this.size = this.u32[w + (RING_HDR_SIZE >> 2)]!;
    this.mask = this.u32[w + (RING_HDR_MASK >> 2)]!;
    this.capacity = this.u32[w + (RING_HDR_CAPACITY >> 2)]!;
    this.esize = this.u32[w + (RING_HDR_ESIZE >> 2)]!;
    this.words = this.esize >> 2;
    this.ph = w + ((RING_PROD + HT_HEAD) >> 2);
    this.pt = w + ((RING_PROD + HT_TAIL) >> 2);
    this.pInf = w + ((RING_PROD + HT_INFLIGHT) >> 2);
    this.ch = w + ((RING_CONS + HT_HEAD) >> 2);
    this.ct = w + ((RING_CONS + HT_TAIL) >> 2);
    this.cInf = w + ((RING_CONS + HT_INFLIGHT) >> 2);
    this.slotF64 = (base + RING_SLOTS) >> 3;
    this.slotU32 = (base + RING_SLOTS) >> 2;
    this.prodSync = this.u32[w + (RING_HDR_PROD_SYNC >> 2)]!;
    this.consSync = this.u32[w + (RING_HDR_CONS_SYNC >> 2)]!;
    this.numProdSync = this.esize === 8 ? this.prodSync : -1;
    this.numConsSync = this.esize === 8 ? this.consSync : -1;
    this.genWord = w + (RING_HDR_GEN >> 2);
    this.cachedGen = Atomics.load(this.i32, this.genWord);
    this.cachedConsTail = Atomics.load(this.i32, this.ct);
    this.cachedProdTail = Atomics.load(this.i32, this.pt);
  }

  /** RTS head-tail distance limits (read each time: they can be changed). */
  prodHtdMax(): number {
    return this.u32[(this.base + RING_HDR_PROD_HTD) >> 2]!;
  }

  consHtdMax(): number {
    return this.u32[(this.base + RING_HDR_CONS_HTD) >> 2]!;
  }

  /**
   * Free entries for the producer at head `oh`: from the cached consumer
   * tail when that shows room for `n` (and is sane and current); else the
   * real tail, by a plain load first (on x86 as good as an acquire load) and,
   * when that still shows too little, by Atomics.load — which the compiler
   * can never hoist out of a caller's retry loop.
   */
  freeEntries(oh: number, n: number): number {
    let free = (this.capacity + this.cachedConsTail - oh) | 0;
    if (free >= n && free <= this.capacity && this.i32[this.genWord] === this.cachedGen) return free;
    // Inline (V8 inlines this whole method): the plain re-read, enough
    // whenever the other side has moved on since the last look.
    this.cachedGen = this.i32[this.genWord]!;
    this.cachedConsTail = this.i32[this.ct]!;
    free = (this.capacity + this.cachedConsTail - oh) | 0;
    return free >= n ? free : this.acquireConsTail(oh);
  }

  acquireConsTail(oh: number): number {
    this.cachedGen = Atomics.load(this.i32, this.genWord);
    this.cachedConsTail = Atomics.load(this.i32, this.ct);
    return (this.capacity + this.cachedConsTail - oh) | 0;
  }

  /** Used entries for the consumer at head `oh`, read like freeEntries. */
  usedEntries(oh: number, n: number): number {
    let used = (this.cachedProdTail - oh) | 0;
    if (used >= n && used <= this.capacity && this.i32[this.genWord] === this.cachedGen) return used;
    this.cachedGen = this.i32[this.genWord]!;
    this.cachedProdTail = this.i32[this.pt]!;
    used = (this.cachedProdTail - oh) | 0;
    return used >= n ? used : this.acquireProdTail(oh);
  }

  acquireProdTail(oh: number): number {
    this.cachedGen = Atomics.load(this.i32, this.genWord);
    this.cachedProdTail = Atomics.load(this.i32, this.pt);
    return (this.cachedProdTail - oh) | 0;
  }
}
