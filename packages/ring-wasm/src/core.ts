/**
 * One thread's view of a ring for the WebAssembly implementation: the
 * ring's geometry read once from its shared header, typed arrays over its
 * buffer for the copies JavaScript does (elements come from and go to JS
 * arrays, which WebAssembly cannot reach), and the instance functions of
 * this ring's sync modes.
 */
import type { RingExports } from './module.js';
import {
  checkOutValue,
  RING_HDR_CAPACITY,
  RING_HDR_CONS_SYNC,
  RING_HDR_ESIZE,
  RING_HDR_MASK,
  RING_HDR_PROD_SYNC,
  RING_HDR_SIZE,
  RING_SLOTS,
  SYNC_MT,
  SYNC_MT_HTS,
  SYNC_MT_RTS,
  SYNC_ST,
} from './shared.js';

type Move = (r: number, n: number, fixed: number) => number;
type End = (r: number, idx: number, m: number) => void;
type Enq1 = (r: number, obj: number) => number;
type Deq1 = (r: number) => number;

const SUFFIX: Record<number, string> = { [SYNC_MT]: 'mt', [SYNC_ST]: 'st', [SYNC_MT_RTS]: 'rts', [SYNC_MT_HTS]: 'hts' };

export class WasmCore {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** Byte offset of the ring in its buffer (what JS indexes with). */
  readonly base: number;
  /** Byte offset of the ring in the WebAssembly memory (what wasm indexes with). */
  readonly woff: number;
  readonly size: number;
  readonly mask: number;
  readonly capacity: number;
  readonly esize: number;
  readonly words: number;
  readonly slotF64: number;
  readonly slotU32: number;
  /** log2(size): how far a move's result shifts the count (see claim()). */
  readonly shift: number;
  readonly prodSync: number;
  readonly consSync: number;
  readonly x: RingExports;
  readonly moveProd: Move;
  readonly endProd: End;
  readonly moveCons: Move;
  readonly endCons: End;
  /** Single-object calls of an SP/SC or MP/MC side of a ring of numbers, else null. */
  readonly enq1: Enq1 | null;
  readonly deq1: Deq1 | null;

  /** Slot index (old head & mask) of the last move (see claim()). */
  idx = 0;
  /** What made the last copy into the slots fail (see putNumbers), or null. */
  copyError: unknown = null;
  /** A peek (start/finish) in progress: elements claimed, or -1. */
  peekProd = -1;
  peekCons = -1;

  constructor(i32: Int32Array, u32: Uint32Array, f64: Float64Array, base: number, wasmOffset: number, x: RingExports) {
    this.i32 = i32;
    this.u32 = u32;
    this.f64 = f64;
    this.base = base;
    this.woff = wasmOffset + base;
    const w = base >> 2;
    this.size = u32[w + (RING_HDR_SIZE >> 2)]!;
    this.mask = u32[w + (RING_HDR_MASK >> 2)]!;
    this.capacity = u32[w + (RING_HDR_CAPACITY >> 2)]!;
    this.esize = u32[w + (RING_HDR_ESIZE >> 2)]!;
    this.words = this.esize >> 2;
    this.slotF64 = (base + RING_SLOTS) >> 3;
    this.slotU32 = (base + RING_SLOTS) >> 2;
    this.shift = 31 - Math.clz32(this.size);
    this.prodSync = u32[w + (RING_HDR_PROD_SYNC >> 2)]!;
    this.consSync = u32[w + (RING_HDR_CONS_SYNC >> 2)]!;
    this.x = x;
    // This thread's cached tails may be of a ring freed where this one is now.
    x.forget(this.woff);
    this.moveProd = x[`move_prod_${SUFFIX[this.prodSync]}`] as Move;
    this.endProd = x[`end_prod_${SUFFIX[this.prodSync]}`] as End;
    this.moveCons = x[`move_cons_${SUFFIX[this.consSync]}`] as Move;
    this.endCons = x[`end_cons_${SUFFIX[this.consSync]}`] as End;
    const numbers = this.esize === 8;
    this.enq1 = !numbers ? null : this.prodSync === SYNC_ST ? x.enq1_st : this.prodSync === SYNC_MT ? x.enq1_mt : null;
    this.deq1 = !numbers ? null : this.consSync === SYNC_ST ? x.deq1_st : this.consSync === SYNC_MT ? x.deq1_mt : null;
  }

  /**
   * Checks an out value (free_space / available) and has the next move read
   * the other side's real tail: the out value says what the move saw, not
   * what this thread's cached tail showed.
   */
  fresh(out: Uint32Array): void {
    checkOutValue(out);
    this.x.forget(this.woff);
  }

  /**
   * Unpacks what a move returned ((count << log2(size)) | slot index, an
   * i32 below 2**30; see scripts/ring.wat.mjs): sets idx, returns the
   * count, or -16 (EBUSY: a single-thread side with a peek open).
   */
  claim(v: number): number {
    if (v > 0) {
      this.idx = v & this.mask;
      return v >>> this.shift;
    }
    if (v === 0) return 0;
    if (v === -1) {
      // Too many to pack: the instance kept them.
      this.idx = this.x.last_head() & this.mask;
      return this.x.last_count();
    }
    return -16;
  }

  /** Move functions of a forced sync mode (the mp/sp/mc/sc calls). */
  forcedMove(prod: boolean, sync: number): Move {
    return this.x[`move_${prod ? 'prod' : 'cons'}_${SUFFIX[sync]}`] as Move;
  }

  forcedEnd(prod: boolean, sync: number): End {
    return this.x[`end_${prod ? 'prod' : 'cons'}_${SUFFIX[sync]}`] as End;
  }
}
