/**
 * A packet's data: where it is (mtod, the zero-garbage bufView +
 * dataIndex), growing and shrinking it at either end (append, prepend,
 * adj, trim), chaining segments, and moving bytes in and out across
 * segments (read, readInto, write, linearize).
 *
 * Buffers are reached through the core's byte cursor `b` (a buffer may lie
 * in another list than its mbuf, e.g. an external one); headers through
 * the header cursor `k`. A call that may move a cursor is followed by a
 * fresh `at` before its views are used again.
 *
 * The sixth class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_pktmbuf_mtod_offset, rte_pktmbuf_append, rte_pktmbuf_prepend,
 * rte_pktmbuf_adj, rte_pktmbuf_trim, rte_pktmbuf_chain, rte_pktmbuf_read,
 * rte_pktmbuf_linearize in DPDK lib/mbuf/rte_mbuf.h and rte_mbuf.c
 */
import { ENOMEM, EOVERFLOW, hex, listOffsetOf, RteError } from '@rtemem/eal-hugepage';
import { MbufFree } from './free.js';
import { MBUF_MAX_NB_SEGS, OFF_BUF_ADDR, OFF_BUF_LEN, OFF_DATA_LEN, OFF_DATA_OFF, OFF_NB_SEGS, OFF_NEXT, OFF_PKT_LEN } from './layout.js';

/** A packet's data: {@link MbufFree} and the rte_pktmbuf_* calls on data. */
export class MbufData extends MbufFree {
  /** Address of the data plus `off`. @see rte_pktmbuf_mtod_offset */
  mtod(m: number, off = 0): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + off;
  }

  /** A view of this segment's data (allocates a view: for control paths). @see rte_pktmbuf_mtod */
  data(m: number): Uint8Array {
    const c = this.core;
    const k = c.k;
    const o = k.at(m);
    const len = k.u16[(o + OFF_DATA_LEN) >> 1]!;
    const b = c.b;
    const bo = b.range(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]!, len);
    return b.u8.subarray(bo, bo + len);
  }

  /**
   * The bytes that hold this segment's buffer: a Uint8Array over the whole
   * memory it lies in (made once per memseg list, never per call). With
   * {@link Mbuf.dataIndex}, the zero-garbage form of {@link Mbuf.data}:
   * `bufView(m)[dataIndex(m) + i]` is byte `i` of the segment's data.
   *
   * @example
   * ```ts
   * const u8 = mb.bufView(m);
   * const at = mb.dataIndex(m);
   * const etherType = (u8[at + 12]! << 8) | u8[at + 13]!;
   * ```
   * @see rte_pktmbuf_mtod
   */
  bufView(m: number): Uint8Array {
    const c = this.core;
    const k = c.k;
    const o = k.at(m);
    const b = c.b;
    b.at(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]!);
    return b.u8;
  }

  /** Index in {@link Mbuf.bufView}(m) of byte `off` of this segment's data. @see rte_pktmbuf_mtod_offset */
  dataIndex(m: number, off = 0): number {
    return listOffsetOf(this.mtod(m, off));
  }

  /** The last segment of a chain. @see rte_pktmbuf_lastseg */
  lastseg(m: number): number {
    let cur = m;
    for (let n = this.next(cur); n !== 0; n = this.next(cur)) cur = n;
    return cur;
  }

  /**
   * Adds `len` bytes at the end of the last segment: returns the address of
   * the new bytes, or 0 (nothing changed) when the tailroom is too small.
   * @see rte_pktmbuf_append
   */
  append(m: number, len: number): number {
    // Kept small so V8 inlines it: a single-segment mbuf, else the chain path.
    const k = this.core.k;
    const o = k.at(m);
    const u16 = k.u16;
    if (k.f64[(o + OFF_NEXT) >> 3] !== 0) return this.#appendChain(m, len);
    const dl = u16[(o + OFF_DATA_LEN) >> 1]!;
    const doff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if (len >>> 0 !== len || len > u16[(o + OFF_BUF_LEN) >> 1]! - doff - dl) return 0;
    u16[(o + OFF_DATA_LEN) >> 1] = dl + len;
    k.u32[(o + OFF_PKT_LEN) >> 2] = k.u32[(o + OFF_PKT_LEN) >> 2]! + len;
    return k.f64[(o + OFF_BUF_ADDR) >> 3]! + doff + dl;
  }

  #appendChain(m: number, len: number): number {
    const k = this.core.k;
    const o = k.at(this.lastseg(m));
    const u16 = k.u16;
    const dl = u16[(o + OFF_DATA_LEN) >> 1]!;
    const doff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if (len >>> 0 !== len || len > u16[(o + OFF_BUF_LEN) >> 1]! - doff - dl) return 0;
    const tail = k.f64[(o + OFF_BUF_ADDR) >> 3]! + doff + dl;
    u16[(o + OFF_DATA_LEN) >> 1] = dl + len;
    const oh = k.at(m);
    k.u32[(oh + OFF_PKT_LEN) >> 2] = k.u32[(oh + OFF_PKT_LEN) >> 2]! + len;
    return tail;
  }

  /** Adds `len` bytes in front of the first segment: the new data address, or 0 (unchanged). @see rte_pktmbuf_prepend */
  prepend(m: number, len: number): number {
    const k = this.core.k;
    const o = k.at(m);
    const u16 = k.u16;
    const doff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if (len >>> 0 !== len || len > doff) return 0;
    u16[(o + OFF_DATA_OFF) >> 1] = doff - len;
    u16[(o + OFF_DATA_LEN) >> 1] = u16[(o + OFF_DATA_LEN) >> 1]! + len;
    k.u32[(o + OFF_PKT_LEN) >> 2] = k.u32[(o + OFF_PKT_LEN) >> 2]! + len;
    return k.f64[(o + OFF_BUF_ADDR) >> 3]! + doff - len;
  }

  /** Removes `len` bytes from the start of the first segment: the new data address, or 0 (unchanged). @see rte_pktmbuf_adj */
  adj(m: number, len: number): number {
    const k = this.core.k;
    const o = k.at(m);
    const u16 = k.u16;
    const dl = u16[(o + OFF_DATA_LEN) >> 1]!;
    if (len >>> 0 !== len || len > dl) return 0;
    const doff = u16[(o + OFF_DATA_OFF) >> 1]! + len;
    u16[(o + OFF_DATA_LEN) >> 1] = dl - len;
    u16[(o + OFF_DATA_OFF) >> 1] = doff;
    k.u32[(o + OFF_PKT_LEN) >> 2] = k.u32[(o + OFF_PKT_LEN) >> 2]! - len;
    return k.f64[(o + OFF_BUF_ADDR) >> 3]! + doff;
  }

  /** Removes `len` bytes from the end of the last segment: 0, or -1 (unchanged). @see rte_pktmbuf_trim */
  trim(m: number, len: number): number {
    const k = this.core.k;
    const o = k.at(this.lastseg(m));
    const dl = k.u16[(o + OFF_DATA_LEN) >> 1]!;
    if (len >>> 0 !== len || len > dl) return -1;
    k.u16[(o + OFF_DATA_LEN) >> 1] = dl - len;
    const oh = k.at(m);
    k.u32[(oh + OFF_PKT_LEN) >> 2] = k.u32[(oh + OFF_PKT_LEN) >> 2]! - len;
    return 0;
  }

  /**
   * Chains `tail` after `head`: 0, or -EOVERFLOW past 65535 segments.
   * Throws EINVAL, nothing changed, unless both are mbufs of live pools.
   * @see rte_pktmbuf_chain
   */
  chain(head: number, tail: number): number {
    const c = this.core;
    const k = c.k;
    const hs = this.nbSegs(head);
    const ts = this.nbSegs(tail);
    // Every mbuf has a segment: memory that says 0 is no mbuf, and chaining it would break the head.
    if (hs === 0 || ts === 0) throw new RteError('EINVAL', `chain: ${hex(hs === 0 ? head : tail)} is not an mbuf (nb_segs 0)`);
    // Checked before anything is written: both must belong to a live pool.
    c.mempool(this.pool(head));
    c.mempool(this.pool(tail));
    if (hs + ts > MBUF_MAX_NB_SEGS) return -EOVERFLOW;
    let o = k.at(this.lastseg(head));
    k.f64[(o + OFF_NEXT) >> 3] = tail;
    o = k.at(tail);
    const tailPkt = k.u32[(o + OFF_PKT_LEN) >> 2]!;
    k.u32[(o + OFF_PKT_LEN) >> 2] = k.u16[(o + OFF_DATA_LEN) >> 1]!;
    o = k.at(head);
    k.u16[(o + OFF_NB_SEGS) >> 1] = hs + ts;
    k.u32[(o + OFF_PKT_LEN) >> 2] = k.u32[(o + OFF_PKT_LEN) >> 2]! + tailPkt;
    return 0;
  }

  /**
   * Writes `src` at byte `off` of the packet, across segments: 0, or -1
   * (nothing written) when it does not fit in pkt_len. No allocation when
   * the bytes lie in one segment of the first segment's list.
   * @see rte_memcpy onto rte_pktmbuf_mtod_offset
   */
  write(m: number, off: number, src: Uint8Array): number {
    // Kept small so V8 inlines it: bytes inside the first segment, whose
    // buffer is in the mbuf's own list (reached through the header cursor's
    // views, no second decode); else the general path.
    const c = this.core;
    const k = c.k;
    const o = k.at(m);
    const len = src.length;
    if (off >>> 0 === off && off + len <= k.u16[(o + OFF_DATA_LEN) >> 1]!) {
      // The buffer's offset in the mbuf's list (outside it: the general path).
      const at = o + (k.f64[(o + OFF_BUF_ADDR) >> 3]! - m) + k.u16[(o + OFF_DATA_OFF) >> 1]! + off;
      if (at >= 0 && at + len <= k.u8.length) {
        c.cp.whole(k.u8, k.f64, at, src, len);
        return 0;
      }
    }
    return this.#writeSlow(m, off, src);
  }

  #writeSlow(m: number, off: number, src: Uint8Array): number {
    const c = this.core;
    const k = c.k;
    const b = c.b;
    const len = src.length;
    let o = k.at(m);
    if (off >>> 0 !== off || len >>> 0 !== len || off + len > k.u32[(o + OFF_PKT_LEN) >> 2]!) return -1;
    if (len === 0) return 0;
    let seg = m;
    let skip = off;
    for (;;) {
      const dl = k.u16[(o + OFF_DATA_LEN) >> 1]!;
      if (skip < dl) break;
      skip -= dl;
      seg = k.f64[(o + OFF_NEXT) >> 3]!;
      o = k.at(seg);
    }
    if (skip + len <= k.u16[(o + OFF_DATA_LEN) >> 1]!) {
      // In one segment: one copy.
      const bo = b.range(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + skip, len);
      c.cp.toShared(b.u8, b.f64, bo, src, 0, len);
      return 0;
    }
    // Across segments.
    let done = 0;
    while (done < len) {
      o = k.at(seg);
      const n = Math.min(k.u16[(o + OFF_DATA_LEN) >> 1]! - skip, len - done);
      const bo = b.range(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + skip, n);
      c.cp.toShared(b.u8, b.f64, bo, src, done, n);
      done += n;
      skip = 0;
      seg = k.f64[(o + OFF_NEXT) >> 3]!;
    }
    return 0;
  }

  /**
   * `len` bytes of the packet from byte `off`: a view into the segment when
   * they lie in one, else a copy into `scratch` (or a new array when none is
   * given; the copy itself makes no object, but the result is a new view
   * in the one-segment case and when `scratch` is longer than `len`: hot
   * paths use readInto). null when they do not fit in pkt_len.
   * @see rte_pktmbuf_read
   */
  read(m: number, off: number, len: number, scratch?: Uint8Array): Uint8Array | null {
    const c = this.core;
    const k = c.k;
    const b = c.b;
    let o = k.at(m);
    if (off >>> 0 !== off || len >>> 0 !== len || off + len > k.u32[(o + OFF_PKT_LEN) >> 2]!) return null;
    let seg = m;
    let skip = off;
    while (skip >= k.u16[(o + OFF_DATA_LEN) >> 1]! && k.f64[(o + OFF_NEXT) >> 3]! !== 0) {
      skip -= k.u16[(o + OFF_DATA_LEN) >> 1]!;
      seg = k.f64[(o + OFF_NEXT) >> 3]!;
      o = k.at(seg);
    }
    const first = k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + skip;
    if (skip + len <= k.u16[(o + OFF_DATA_LEN) >> 1]!) {
      const bo = b.range(first, len);
      return b.u8.subarray(bo, bo + len);
    }
    const out = scratch !== undefined && scratch.length >= len ? scratch : new Uint8Array(len);
    let done = 0;
    while (done < len) {
      o = k.at(seg);
      const n = Math.min(k.u16[(o + OFF_DATA_LEN) >> 1]! - skip, len - done);
      const bo = b.range(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + skip, n);
      c.cp.fromShared(b.u8, b.f64, bo, out, done, n);
      done += n;
      skip = 0;
      seg = k.f64[(o + OFF_NEXT) >> 3]!;
    }
    return out.length === len ? out : out.subarray(0, len);
  }

  /**
   * Copies `len` bytes of the packet from byte `off` into `dst` (from its
   * index 0), across segments; no allocation. Returns `len`, or -1 (nothing
   * copied) when they do not fit in pkt_len. Throws EINVAL when `dst` holds
   * fewer than `len` bytes.
   *
   * @see rte_pktmbuf_read
   */
  readInto(m: number, off: number, len: number, dst: Uint8Array): number {
    const c = this.core;
    const k = c.k;
    const b = c.b;
    let o = k.at(m);
    if (off >>> 0 !== off || len >>> 0 !== len || off + len > k.u32[(o + OFF_PKT_LEN) >> 2]!) return -1;
    if (!(dst instanceof Uint8Array) || dst.length < len) {
      throw new RteError('EINVAL', `readInto: dst must be a Uint8Array of at least ${len} bytes, not ${dst instanceof Uint8Array ? `one of ${dst.length}` : typeof dst}`);
    }
    let skip = off;
    let done = 0;
    while (done < len) {
      const segLen = k.u16[(o + OFF_DATA_LEN) >> 1]!;
      if (skip < segLen) {
        const n = Math.min(segLen - skip, len - done);
        const bo = b.range(k.f64[(o + OFF_BUF_ADDR) >> 3]! + k.u16[(o + OFF_DATA_OFF) >> 1]! + skip, n);
        c.cp.fromShared(b.u8, b.f64, bo, dst, done, n);
        done += n;
        skip = 0;
      } else {
        skip -= segLen;
      }
      if (done < len) o = k.at(k.f64[(o + OFF_NEXT) >> 3]!);
    }
    return len;
  }

  /**
   * Moves the whole packet into its first segment and frees the others: 0,
   * or -ENOMEM (unchanged) when the first segment's tailroom is too small.
   * @see rte_pktmbuf_linearize
   */
  linearize(m: number): number {
    const c = this.core;
    const k = c.k;
    const b = c.b;
    if (this.next(m) === 0) return 0;
    const firstLen = this.dataLen(m);
    const copyLen = this.pktLen(m) - firstLen;
    if (copyLen > this.tailroom(m)) return -ENOMEM;
    let at = b.range(this.mtod(m, firstLen), copyLen);
    const u8 = b.u8;
    let seg = this.next(m);
    while (seg !== 0) {
      const nxt = this.next(seg);
      const len = this.dataLen(seg);
      const from = b.range(this.mtod(seg), len);
      if (b.u8 === u8) u8.copyWithin(at, from, from + len);
      else u8.set(b.u8.subarray(from, from + len), at);
      at += len;
      this.freeSeg(seg);
      seg = nxt;
    }
    const o = k.at(m);
    k.u16[(o + OFF_DATA_LEN) >> 1] = k.u32[(o + OFF_PKT_LEN) >> 2]!;
    k.f64[(o + OFF_NEXT) >> 3] = 0;
    k.u16[(o + OFF_NB_SEGS) >> 1] = 1;
    return 0;
  }
}
