/**
 * Moving elements in and out of the slots, wrapping at the end of the ring.
 * Rings of esize 8 keep numbers in Float64 slots (one store per element);
 * element rings copy esize/4 32-bit words per element. The number copies
 * are unrolled by 8: V8 runs them about twice as fast that way.
 *
 * @see __rte_ring_enqueue_elems, __rte_ring_dequeue_elems in DPDK rte_ring_elem_pvt.h
 */
import type { RingCore } from './core.js';

/**
 * What the copies read of a thread's view of a ring: RingCore here, and
 * @rtemem/ring-wasm's WasmCore, which compiles this file in from source
 * (each package gets its own copy of the functions, so each stays
 * monomorphic on its own core's shape).
 */
export type Slots = Pick<RingCore, 'f64' | 'u32' | 'slotF64' | 'slotU32' | 'mask' | 'size' | 'words' | 'copyError'>;

function toSlots(f: Float64Array, at: number, objs: ArrayLike<number>, from: number, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const d = at + i;
    const s = from + i;
    f[d] = objs[s]!;
    f[d + 1] = objs[s + 1]!;
    f[d + 2] = objs[s + 2]!;
    f[d + 3] = objs[s + 3]!;
    f[d + 4] = objs[s + 4]!;
    f[d + 5] = objs[s + 5]!;
    f[d + 6] = objs[s + 6]!;
    f[d + 7] = objs[s + 7]!;
  }
  for (; i < n; i++) f[at + i] = objs[from + i]!;
}

function fromSlots(f: Float64Array, at: number, out: number[] | Float64Array, to: number, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const s = at + i;
    const d = to + i;
    out[d] = f[s]!;
    out[d + 1] = f[s + 1]!;
    out[d + 2] = f[s + 2]!;
    out[d + 3] = f[s + 3]!;
    out[d + 4] = f[s + 4]!;
    out[d + 5] = f[s + 5]!;
    out[d + 6] = f[s + 6]!;
    out[d + 7] = f[s + 7]!;
  }
  for (; i < n; i++) out[to + i] = f[at + i]!;
}

/**
 * Copies objs[0..n) into the slots from counter `head`. Never throws: the
 * slots are claimed, and a side whose claim is never published waits
 * forever. An element that is no number (a bigint, a symbol, an object
 * whose valueOf throws) poisons the whole claim with NaN and is left in
 * r.copyError, for the caller to throw once the claim is published.
 */
export function putNumbers(r: Slots, head: number, objs: ArrayLike<number>, n: number): void {
  const idx = head & r.mask;
  try {
    if (idx + n <= r.size) {
      toSlots(r.f64, r.slotF64 + idx, objs, 0, n);
    } else {
      const first = r.size - idx;
      toSlots(r.f64, r.slotF64 + idx, objs, 0, first);
      toSlots(r.f64, r.slotF64, objs, first, n - first);
    }
  } catch (e) {
    for (let i = 0; i < n; i++) r.f64[r.slotF64 + ((head + i) & r.mask)] = Number.NaN;
    r.copyError = e;
  }
}

/** Copies n elements from the slots from counter `head` into out[0..n). */
export function getNumbers(r: Slots, head: number, out: number[] | Float64Array, n: number): void {
  const idx = head & r.mask;
  if (idx + n <= r.size) {
    fromSlots(r.f64, r.slotF64 + idx, out, 0, n);
  } else {
    const first = r.size - idx;
    fromSlots(r.f64, r.slotF64 + idx, out, 0, first);
    fromSlots(r.f64, r.slotF64, out, first, n - first);
  }
}

/** Copies n elements of r.words words each from src into the slots from counter `head`. */
export function putWords(r: Slots, head: number, src: Uint32Array, n: number): void {
  const u = r.u32;
  const w = r.words;
  const idx = head & r.mask;
  const first = idx + n <= r.size ? n : r.size - idx;
  const base = r.slotU32 + idx * w;
  const a = first * w;
  for (let i = 0; i < a; i++) u[base + i] = src[i]!;
  const b = n * w;
  const wrapped = r.slotU32 - a;
  for (let i = a; i < b; i++) u[wrapped + i] = src[i]!;
}

/** Copies n elements of r.words words each from the slots from counter `head` into dst. */
export function getWords(r: Slots, head: number, dst: Uint32Array, n: number): void {
  const u = r.u32;
  const w = r.words;
  const idx = head & r.mask;
  const first = idx + n <= r.size ? n : r.size - idx;
  const base = r.slotU32 + idx * w;
  const a = first * w;
  for (let i = 0; i < a; i++) dst[i] = u[base + i]!;
  const b = n * w;
  const wrapped = r.slotU32 - a;
  for (let i = a; i < b; i++) dst[i] = u[wrapped + i]!;
}
