/**
 * Short copies between a caller's bytes and the shared memory of a list,
 * without `TypedArray.prototype.set`.
 *
 * Why: V8 copies a `set` into (or out of) a SharedArrayBuffer with its
 * relaxed, word-by-word memmove behind a C call, a fixed ~15-25 ns here
 * whatever the length; a packet header of 64 bytes is 8 stores. When
 * source and destination sit at the same offset modulo 8, the copy is a
 * few bytes up to an 8-byte boundary, then Float64Array element moves
 * (four per loop turn), then the last bytes. Measured on the 2-vCPU VM
 * (node 20, one process, interleaved, best of 15): the loop alone, 64 B
 * 10.7 ns against set's 17.2, 128 B 16.5 against 19.5, 256 B 28.6 against
 * 24.1; Mbuf.write of 64 B, 10.5 ns against 15.7 with set; readInto of
 * 64 B (byte loop before) 30 ns against 200; `pnpm bench mbuf` "write
 * 64 B: inline stores vs set", 1.35-1.6x faster than set. Above
 * {@link INLINE_COPY_MAX} bytes, with offsets that differ modulo 8 (byte
 * stores are ~2 ns each) beyond {@link BYTE_COPY_MAX}, `set` does it
 * (when it needs no subarray: that would be garbage); source and
 * destination in one buffer (they may overlap) take `copyWithin`.
 *
 * Float64 moves keep every bit: a Float64Array element read and stored
 * straight into another Float64Array is never canonicalised (signalling
 * NaNs included) by V8's interpreter, Sparkplug, Maglev or TurboFan on
 * Node 20, 22 and 24 — checked by test/copy.test.ts after tier-up. (A
 * double stored in a JS array would be, which is why nothing here keeps
 * one.)
 *
 * The caller's array is seen as a Float64Array over its buffer through a
 * one-entry cache keyed by the array itself (reading a typed array's
 * `buffer` is a builtin call, ~13 ns on Node 20, more than the copy), so a
 * loop writing from one payload reads its buffer and makes a view once. A
 * fresh subarray per call misses the cache: one `buffer` read, and no new
 * view while it is over the cached buffer. The cache keeps the last array
 * (and its buffer) alive until another takes its place.
 */

/** Above this many bytes `set` copies (its fixed cost is then the cheaper). */
export const INLINE_COPY_MAX = 192;
/** Offsets that differ modulo 8: byte stores up to this many bytes, else `set`. */
export const BYTE_COPY_MAX = 16;

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

/**
 * One caller's array as 8-byte words: the array, its buffer, a Float64Array
 * over the whole buffer, the array's byte offset in it, and whether the
 * buffer is shared (then it may be the destination's own memory). Reading
 * `buffer` and `byteOffset` costs a builtin call each (~13 and ~8 ns on
 * Node 20): they are read once per array, not per copy.
 */
class Words {
  view: Uint8Array = EMPTY_U8;
  buf: ArrayBufferLike | null = null;
  f64: Float64Array = EMPTY_F64;
  base = 0;
  shared = false;

  /**
   * Makes this entry `a`'s. False, the entry unchanged, when `a` cannot be
   * cached: not a Uint8Array, or over a resizable or growable buffer (its
   * length may change under a cached view).
   */
  load(a: Uint8Array): boolean {
    if (!(a instanceof Uint8Array)) return false;
    const buf = a.buffer as ArrayBufferLike & { resizable?: boolean; growable?: boolean };
    if (buf.resizable === true || buf.growable === true) return false;
    // The same buffer as the last array (a subarray of it): its words already.
    if (buf !== this.buf) {
      this.f64 = new Float64Array(buf, 0, Math.floor(buf.byteLength / 8));
      this.buf = buf;
      this.shared = buf instanceof SharedArrayBuffer;
    }
    this.base = a.byteOffset;
    this.view = a;
    return true;
  }
}

/**
 * One thread's copier (held by the mbuf core): a one-entry cache of the
 * last source array and one of the last destination array, so that a loop
 * copying from (or into) one array reads its buffer and makes its
 * Float64Array once.
 */
export class ByteCopier {
  readonly #src = new Words();
  readonly #dst = new Words();

  /**
   * Copies `len` bytes of `src` from its index `from` to byte `at` of `du8`,
   * `df64` being the Float64Array over the same buffer (both views start at
   * its byte 0, as a list's do). The caller has checked that both ranges
   * are in bounds. Any array-like that is not a Uint8Array is copied
   * element by element (converted to bytes as `set` would). Makes no JS
   * object, except a Float64Array when `src`'s buffer is a new one.
   */
  toShared(du8: Uint8Array, df64: Float64Array, at: number, src: Uint8Array, from: number, len: number): void {
    const w = this.#src;
    if (src === w.view && len <= INLINE_COPY_MAX && !w.shared && ((w.base + from - at) & 7) === 0) words(du8, at, df64, at, src, from, w.f64, w.base + from, len);
    else this.#toSharedSlow(du8, df64, at, src, from, len);
  }

  /**
   * {@link ByteCopier.toShared} of all of `src` (from its index 0), into a
   * list's views: what Mbuf.write's fast path calls. Kept small so V8
   * inlines it there and still has inlining budget for the allocation and
   * free around it (a bigger one left mempool put and the cursor's `at`
   * as calls in an alloc + append + write + free loop).
   */
  whole(du8: Uint8Array, df64: Float64Array, at: number, src: Uint8Array, len: number): void {
    const w = this.#src;
    if (src === w.view && len <= INLINE_COPY_MAX && ((w.base - at) & 7) === 0 && !w.shared) words(du8, at, df64, at, src, 0, w.f64, w.base, len);
    else this.#toSharedSlow(du8, df64, at, src, 0, len);
  }

  #toSharedSlow(du8: Uint8Array, df64: Float64Array, at: number, src: Uint8Array, from: number, len: number): void {
    const w = this.#src;
    if (src !== w.view && !w.load(src)) {
      for (let i = 0; i < len; i++) du8[at + i] = src[from + i]!;
      return;
    }
    const so = w.base + from;
    if (w.shared && w.buf === du8.buffer) {
      // The same memory: the ranges may overlap (memmove semantics).
      du8.copyWithin(at, so, so + len);
      return;
    }
    const whole = from === 0 && len === src.length;
    if (((so - at) & 7) !== 0) {
      // Offsets that differ modulo 8: bytes when short, else set (or bytes
      // for part of src: a subarray would be garbage).
      if (len > BYTE_COPY_MAX && whole) du8.set(src, at);
      else for (let i = 0; i < len; i++) du8[at + i] = src[from + i]!;
      return;
    }
    if (len > INLINE_COPY_MAX && whole) du8.set(src, at);
    else words(du8, at, df64, at, src, from, w.f64, so, len);
  }

  /**
   * Copies `len` bytes from byte `at` of `su8` (`sf64` the Float64Array
   * over the same buffer, both from its byte 0) into Uint8Array `dst` from
   * its index `to`. Bounds checked by the caller. Makes no JS object, except
   * a Float64Array when `dst`'s buffer is a new one.
   */
  fromShared(su8: Uint8Array, sf64: Float64Array, at: number, dst: Uint8Array, to: number, len: number): void {
    const w = this.#dst;
    if (dst !== w.view && !w.load(dst)) {
      for (let i = 0; i < len; i++) dst[to + i] = su8[at + i]!;
      return;
    }
    const dOff = w.base + to;
    if (w.shared && w.buf === su8.buffer) {
      su8.copyWithin(dOff, at, at + len);
      return;
    }
    if (((dOff - at) & 7) !== 0) {
      // A set would need a subarray of the shared bytes (garbage): bytes.
      for (let i = 0; i < len; i++) dst[to + i] = su8[at + i]!;
      return;
    }
    words(dst, to, w.f64, dOff, su8, at, sf64, at, len);
  }
}

/**
 * The copy for offsets equal modulo 8: `len` bytes from index `s` of `su8`
 * to index `d` of `du8`. Byte moves index the typed arrays; word moves
 * index the buffers, where the source starts at byte `sPos` (`sf64` covers
 * its buffer from byte 0) and the destination at byte `dPos` (likewise
 * `df64`). Bytes up to the 8-byte boundary, 8-byte words four per turn,
 * then the last bytes.
 */
function words(du8: Uint8Array, d: number, df64: Float64Array, dPos: number, su8: Uint8Array, s: number, sf64: Float64Array, sPos: number, len: number): void {
  let i = 0;
  const head = Math.min((8 - (sPos & 7)) & 7, len);
  for (; i < head; i++) du8[d + i] = su8[s + i]!;
  let dw = (dPos + i) >> 3;
  let sw = (sPos + i) >> 3;
  const n = (len - i) >> 3;
  const end4 = dw + (n & ~3);
  for (; dw < end4; dw += 4, sw += 4) {
    df64[dw] = sf64[sw]!;
    df64[dw + 1] = sf64[sw + 1]!;
    df64[dw + 2] = sf64[sw + 2]!;
    df64[dw + 3] = sf64[sw + 3]!;
  }
  const end = dw + (n & 3);
  for (; dw < end; dw++, sw++) df64[dw] = sf64[sw]!;
  for (i += n << 3; i < len; i++) du8[d + i] = su8[s + i]!;
}
