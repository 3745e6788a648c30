/**
 * The list cursor: one thread's way from an rtemem address (list *
 * LIST_SPAN + offset, see layout.ts) to the typed arrays of that list and
 * the offset in them. Every layer's hot path starts here: an mbuf field
 * read, a heap element header, a pool object.
 *
 * A cursor remembers the last list it decoded into. An address of that
 * list below 2**32 takes four integer operations and two compares (the
 * *hit path*, {@link ListCursor.at}); anything else takes the slow path
 * ({@link ListCursor.seek}): validate, switch the views to the address's
 * list, bound check. No JS object is made on either path.
 *
 * @see RTE_PTR_DIFF, rte_mem_virt2memseg_list in DPDK lib/eal (the job a C
 * pointer does by itself)
 */
import { hex } from './common.js';
import { RteError } from './errors.js';
import { LIST_OFFSET_MASK, LIST_SPAN, LIST_SPAN_LOG2 } from './layout.js';
import type { MemsegListMap } from './memseg-list.js';

/** Where a cursor finds a list by index: an {@link Eal} handle, or anything with its `list()`. */
export interface ListSource {
  list(index: number): MemsegListMap | undefined;
}

// Views of no list: what a cursor holds before its first address, so that
// every field always holds a typed array of its own kind (one hidden class,
// one field representation: the loads in `at` stay monomorphic).
const NO_BYTES = new SharedArrayBuffer(0);
/** The first list index (0 is NULL's). */
const FIRST_LIST = 1;

/** The list index of rtemem address `addr` (no check that it is mapped). */
export function listIndexOf(addr: number): number {
  const a = addr >>> 0;
  return a === addr ? a >>> LIST_SPAN_LOG2 : Math.floor(addr / LIST_SPAN);
}

/** The offset of rtemem address `addr` in its list (no check that it is mapped). */
export function listOffsetOf(addr: number): number {
  const a = addr >>> 0;
  return a === addr ? a & LIST_OFFSET_MASK : addr - Math.floor(addr / LIST_SPAN) * LIST_SPAN;
}

/**
 * Decodes rtemem addresses into a list's views and an offset, for one
 * thread. The views (`u8` ... `f64`) are the list's own
 * ({@link MemsegListMap}), never new ones; they are valid until the next
 * `at`, `seek` or `range` of this cursor. Fields are read-only for users.
 *
 * `reserve` is how many bytes must lie in the list from an offset that
 * `at` returns: with `reserve` 128, `at(m)` guarantees a 128-byte header at
 * the offset, so the caller's field reads never fall off the list's end.
 *
 * In a hot path (what @rtemem/mbuf does; measured there against its own
 * inline decodes, one process, both builds, minimum of 60 runs):
 * - Call `at` from methods of the object that holds the cursor, and reach
 *   the cursor by one path (`this.core.k` everywhere): V8 then drops the
 *   repeated hit tests of consecutive calls. Reached by two paths, or
 *   through module functions, a loop of 6 field accesses took 1.35-1.5x.
 * - Set the field holding the cursor once, in the constructor, with no
 *   class-field initialiser (TypeScript `declare`): V8 keeps it a constant
 *   field and folds the path (stored twice, undefined then the cursor:
 *   1.3-1.4x).
 * - A cursor starts on list 1, so that `seek` never runs in a program
 *   whose memory is all in list 1 and V8 compiles `at` without a call:
 *   once `seek` has run, every inlined `at` keeps a call, and the 6
 *   field accesses took 4x.
 * Addresses of 2**32 and above (lists 4 and up) always take `seek`.
 *
 * @example
 * ```ts
 * import { Eal, ListCursor } from '@rtemem/eal-hugepage';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const cur = new ListCursor(eal, 8, 'a counter address');
 * const addr = eal.lists[0]!.baseAddr + 64;
 * const o = cur.at(addr);          // 64: the offset, cur.f64 is list 1's
 * cur.f64[o >> 3] = 42;
 * eal.cleanup();
 * ```
 */
export class ListCursor {
  /** Bytes of the current list. */
  u8: Uint8Array = new Uint8Array(NO_BYTES);
  u16: Uint16Array = new Uint16Array(NO_BYTES);
  i32: Int32Array = new Int32Array(NO_BYTES);
  u32: Uint32Array = new Uint32Array(NO_BYTES);
  f64: Float64Array = new Float64Array(NO_BYTES);
  /** Index of the current list; -1 before the first address. */
  li = -1;
  /** rtemem address of byte 0 of the current list (li * LIST_SPAN; 0 before the first address). */
  base = 0;
  /** Highest offset `at` returns in the current list: its byte length minus `reserve` (-1: none). */
  lim = -1;
  // Set once in the constructor, `declare`d so that no class-field
  // initialiser stores undefined first (V8 keeps them constant fields).
  /** Bytes that must lie in the list from an offset `at` returns. */
  declare readonly reserve: number;
  /** What an address is, for error messages ("an mbuf address"). */
  declare readonly what: string;
  readonly #src: ListSource;

  /**
   * A cursor over the lists of `src` (an {@link Eal} handle). Throws EINVAL
   * for a `reserve` that is not a whole number of bytes of at least 0.
   */
  constructor(src: ListSource, reserve = 0, what = 'an address') {
    if (!Number.isSafeInteger(reserve) || reserve < 0) throw new RteError('EINVAL', `a cursor's reserve is a whole number of bytes, not ${String(reserve)}`);
    this.#src = src;
    this.reserve = reserve;
    this.what = what;
    // Start on the first list, where all the memory of a default EAL lies:
    // then most programs never take at()'s slow path, V8 compiles at() with
    // no call in it (the never-run seek() is a deopt exit), and what the
    // caller loaded before an at() stays known after it.
    if (src.list(FIRST_LIST) !== undefined) this.load(FIRST_LIST);
  }

  /**
   * The offset of `addr` in its list, with the views pointed at that list.
   * Throws EINVAL for anything that is not an address of a mapped list with
   * `reserve` bytes from it (see {@link ListCursor.seek}).
   *
   * The hit path is kept this small on purpose: V8 inlines it into every
   * caller (its bytecode counts against the caller's inlining budget), so
   * a field read by address costs a few integer operations and the
   * typed-array access itself.
   */
  at(addr: number): number {
    const a = addr >>> 0;
    return a === addr && a >>> LIST_SPAN_LOG2 === this.li && (a & LIST_OFFSET_MASK) <= this.lim ? a & LIST_OFFSET_MASK : this.seek(addr);
  }

  /**
   * {@link ListCursor.at} without the hit test: validates `addr`, switches
   * the views to its list when it is another one, and checks that `reserve`
   * bytes from it lie in the list. For callers that test the hit themselves.
   * Throws EINVAL (the views unchanged when the list is not mapped).
   */
  seek(addr: number): number {
    if (typeof addr !== 'number' || !Number.isInteger(addr) || !(addr > 0)) {
      throw new RteError('EINVAL', `${String(addr)} is not ${this.what} of this EAL (an address is a positive whole number)`);
    }
    const li = Math.floor(addr / LIST_SPAN);
    if (li !== this.li) this.load(li, addr);
    const o = addr - li * LIST_SPAN;
    if (o > this.lim) {
      throw new RteError('EINVAL', `${hex(addr)} is not ${this.what} of this EAL: it lies past the end of memseg list ${li} (${this.u8.length} bytes)`);
    }
    return o;
  }

  /**
   * The offset of `addr` in its list, checking that all `len` bytes from it
   * lie in that list (whatever `reserve` is). Throws EINVAL otherwise. For
   * control paths that touch a range: a copy, a user's buffer.
   */
  range(addr: number, len: number): number {
    if (!Number.isSafeInteger(len) || len < 0) throw new RteError('EINVAL', `a length is a whole number of bytes, not ${String(len)}`);
    if (typeof addr !== 'number' || !Number.isInteger(addr) || !(addr > 0)) {
      throw new RteError('EINVAL', `${String(addr)} is not ${this.what} of this EAL (an address is a positive whole number)`);
    }
    const li = Math.floor(addr / LIST_SPAN);
    if (li !== this.li) this.load(li, addr);
    const o = addr - li * LIST_SPAN;
    if (o + len > this.u8.length) {
      throw new RteError('EINVAL', `${hex(addr)} + ${len} bytes is not ${this.what} of this EAL: it runs past the end of memseg list ${li} (${this.u8.length} bytes)`);
    }
    return o;
  }

  /**
   * Points the views at list `li`. Throws EINVAL, leaving the cursor as it
   * was, when this thread has not mapped that list (`addr`, when given, is
   * named in the message).
   */
  load(li: number, addr?: number): void {
    const l = Number.isSafeInteger(li) && li > 0 ? this.#src.list(li) : undefined;
    if (l === undefined) {
      const which = addr === undefined ? `memseg list ${String(li)}` : `${hex(addr)} is not ${this.what} of this EAL: memseg list ${li}`;
      throw new RteError('EINVAL', `${which} is not mapped in this thread`);
    }
    this.li = li;
    this.base = li * LIST_SPAN;
    this.lim = l.u8.length - this.reserve;
    this.u8 = l.u8;
    this.u16 = l.u16;
    this.i32 = l.i32;
    this.u32 = l.u32;
    this.f64 = l.f64;
  }

  /**
   * Forgets the current list: the next address takes the slow path. For a
   * list removed from this thread (an external list detached).
   */
  reset(): void {
    this.li = -1;
    this.base = 0;
    this.lim = -1;
  }
}
