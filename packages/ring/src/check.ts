/**
 * The argument checks of the data-path calls, made before a head moves: a
 * check that failed after a claim would leave slots claimed for good, and
 * every later thread of that side waiting for them. Also what to throw when
 * a copy into the slots failed half way.
 *
 * @see the argument contract of rte_ring_enqueue_bulk, rte_ring_dequeue_bulk and their
 * _elem and peek forms in rte_ring.h, rte_ring_elem.h, rte_ring_peek.h in DPDK
 */
import { RteError } from '@rtemem/eal-hugepage';
import type { RingCore } from './core.js';

/** What the checks read of a thread's view of a ring (RingCore, or ring-wasm's WasmCore). */
export type Checked = Pick<RingCore, 'esize' | 'words' | 'copyError'>;

/**
 * True for what a dequeue, a pop or a mempool get may write numbers into: a
 * Float64Array (or another typed array of numbers), or an Array that can
 * grow (not frozen or sealed). Checked before anything moves.
 */
export function isOutput(out: unknown): boolean {
  if (out instanceof Float64Array) return true;
  if (Array.isArray(out)) return Object.isExtensible(out);
  return ArrayBuffer.isView(out) && !(out instanceof DataView) && !(out instanceof BigInt64Array) && !(out instanceof BigUint64Array);
}

/** How a refused argument is named in a message. */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a frozen or sealed Array';
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? 'a bigint' : String(v);
  return (v as object).constructor?.name ?? 'an object';
}

// The optional free_space / available argument: checked before anything moves.
export function checkOutValue(v: unknown): void {
  if (!(v instanceof Uint32Array) || v.length < 1) {
    throw new RteError('EINVAL', 'the free_space / available argument must be a Uint32Array of at least one element (reuse one: no garbage)');
  }
}

// A zero-copy start writes where the slots lie into the caller's object.
export function checkZc(zc: unknown): void {
  if (zc === null || typeof zc !== 'object') {
    throw new RteError('EINVAL', 'a zero-copy start needs a ZcData object ({ ptr1, n1, ptr2, n2 }) to write into');
  }
}

/** Numbers in, on a ring of numbers: `n` of `objs`. Throws EINVAL. */
export function checkNumbers(r: Checked, objs: ArrayLike<number>, n: number): void {
  if (r.esize !== 8) throw new RteError('EINVAL', `this ring holds ${r.esize}-byte elements: use the *Elem calls`);
  if (!((n | 0) === n && n >= 0 && n <= objs.length)) {
    throw new RteError('EINVAL', `n must be a whole number from 0 to the array's length (${objs.length}), not ${String(n)}`);
  }
}

// An output array may be a plain Array that grows; a typed array must have
// room. Anything else is refused before a head moves: a write that threw
// half way would leave the claimed slots unreleased, and every later
// consumer waiting for them.
export function checkOut(r: Checked, out: number[] | Float64Array, n: number): void {
  if (r.esize !== 8) throw new RteError('EINVAL', `this ring holds ${r.esize}-byte elements: use the *Elem calls`);
  if (!isOutput(out)) throw new RteError('EINVAL', `the output must be a number[] or a Float64Array, not ${describe(out)}`);
  if (!((n | 0) === n && n >= 0) || (n > out.length && !Array.isArray(out))) {
    throw new RteError('EINVAL', `n must be a whole number of elements that fit the output (${out.length}), not ${String(n)}`);
  }
}

/** Elements in or out of a ring of any esize: `n` elements of esize/4 words in `buf`. Throws EINVAL. */
export function checkWords(r: Checked, buf: Uint32Array, n: number): void {
  if (!(buf instanceof Uint32Array)) throw new RteError('EINVAL', 'element calls move 32-bit words: pass a Uint32Array');
  if (!((n | 0) === n && n >= 0 && n * r.words <= buf.length)) {
    throw new RteError('EINVAL', `n must be a whole number of ${r.esize}-byte elements that fit the array (${buf.length} words), not ${String(n)}`);
  }
}

// The slots were published as NaN (poison) so that the ring stays whole;
// the caller learns that its objects did not go in.
export function copyFailed(r: Checked): never {
  const e = r.copyError;
  r.copyError = null;
  throw new RteError('EINVAL', `an object to enqueue is not a number (${e instanceof Error ? e.message : String(e)}): its slots went in as NaN`);
}
