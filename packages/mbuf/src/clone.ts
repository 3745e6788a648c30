/**
 * Clones and copies of a packet: a clone is a chain of indirect mbufs
 * sharing every segment's data (indirect.ts); a copy is a chain of direct
 * mbufs with bytes of their own. Either is all or nothing: when the pool
 * runs out, what was taken goes back and the result is 0.
 *
 * The seventh class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_pktmbuf_clone, rte_pktmbuf_copy in DPDK lib/mbuf/rte_mbuf.c
 */
import { hex, RteError } from '@rtemem/eal-hugepage';
import { MbufData } from './data.js';
import { copyHdr } from './indirect.js';
import { COPY_ALL, F_HI_NOT_DIRECT, OFF_DATA_LEN, OFF_NB_SEGS, OFF_NEXT, OFF_OL_FLAGS, OFF_OL_FLAGS_HI, OFF_PKT_LEN } from './layout.js';
import type { PktmbufPool } from './pool.js';

/** Clones and copies: {@link MbufData} and rte_pktmbuf_clone / rte_pktmbuf_copy. */
export class MbufClone extends MbufData {
  // Throws EINVAL unless `m` is an mbuf (a segment) of a live pool: checked
  // before anything is taken from the destination pool.
  #checkSource(m: number, what: string): void {
    if (this.nbSegs(m) === 0) throw new RteError('EINVAL', `${what}: ${hex(m)} is not an mbuf (nb_segs 0)`);
    this.core.mempool(this.pool(m));
  }

  /**
   * Clones a packet: new indirect mbufs from `pool` sharing every segment's
   * data. Returns the clone, or 0 (nothing leaked) when the pool runs out.
   * @see rte_pktmbuf_clone
   */
  clone(m: number, pool: PktmbufPool): number {
    const k = this.core.k;
    this.#checkSource(m, 'clone');
    const mc = pool.alloc();
    if (mc === 0) return 0;
    let mi = mc;
    let prev = 0;
    let md = m;
    let nseg = 0;
    const len = this.pktLen(m);
    for (;;) {
      this.attach(mi, md);
      if (prev !== 0) k.f64[(k.at(prev) + OFF_NEXT) >> 3] = mi;
      prev = mi;
      nseg++;
      md = this.next(md);
      if (md === 0) break;
      mi = pool.alloc();
      if (mi === 0) {
        this.free(mc);
        return 0;
      }
    }
    const o = k.at(mc);
    k.u16[(o + OFF_NB_SEGS) >> 1] = nseg;
    k.u32[(o + OFF_PKT_LEN) >> 2] = len;
    return mc;
  }

  /**
   * A deep copy of `len` bytes from byte `off` (direct mbufs from `pool`,
   * chained when one is not enough). 0 when off is past the data or the pool
   * runs out. @see rte_pktmbuf_copy
   */
  copy(m: number, pool: PktmbufPool, off = 0, len: number = COPY_ALL): number {
    const c = this.core;
    const k = c.k;
    const b = c.b;
    this.#checkSource(m, 'copy');
    const pkt = this.pktLen(m);
    if (off >>> 0 !== off || len >>> 0 !== len || off >= pkt) return 0;
    if (len > pkt - off) len = pkt - off;
    const mc = pool.alloc();
    if (mc === 0) return 0;
    copyHdr(c, mc, m);
    let o = k.at(m);
    const lo = k.u32[(o + OFF_OL_FLAGS) >> 2]!;
    // The copy owns its bytes: never indirect, never external.
    const hi = k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & ~F_HI_NOT_DIRECT;
    o = k.at(mc);
    k.u32[(o + OFF_OL_FLAGS) >> 2] = lo;
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = hi;
    let last = mc;
    let src = m;
    while (len > 0) {
      while (off >= this.dataLen(src)) {
        off -= this.dataLen(src);
        src = this.next(src);
      }
      if (this.tailroom(last) === 0) {
        const seg = pool.alloc();
        if (seg === 0) {
          this.free(mc);
          return 0;
        }
        const ho = k.at(mc);
        k.u16[(ho + OFF_NB_SEGS) >> 1] = k.u16[(ho + OFF_NB_SEGS) >> 1]! + 1;
        k.f64[(k.at(last) + OFF_NEXT) >> 3] = seg;
        last = seg;
      }
      const n = Math.min(this.dataLen(src) - off, len, this.tailroom(last));
      const from = b.range(this.mtod(src, off), n);
      const fromU8 = b.u8;
      const to = b.range(this.mtod(last, this.dataLen(last)), n);
      if (fromU8 === b.u8) b.u8.copyWithin(to, from, from + n);
      else b.u8.set(fromU8.subarray(from, from + n), to);
      const lo2 = k.at(last);
      k.u16[(lo2 + OFF_DATA_LEN) >> 1] = k.u16[(lo2 + OFF_DATA_LEN) >> 1]! + n;
      const ho = k.at(mc);
      k.u32[(ho + OFF_PKT_LEN) >> 2] = k.u32[(ho + OFF_PKT_LEN) >> 2]! + n;
      off += n;
      len -= n;
    }
    return mc;
  }
}
