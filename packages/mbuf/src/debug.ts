/**
 * Checks and dumps: why an mbuf is not sane (DPDK's reasons, word for
 * word), and the packet in DPDK's dump format with a hex dump of its data.
 *
 * The eighth class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_mbuf_check, rte_mbuf_sanity_check, rte_pktmbuf_dump in DPDK
 * lib/mbuf/rte_mbuf.c
 */
import { BAD_IOVA, hex, RteError } from '@rtemem/eal-hugepage';
import { Mempool } from '@rtemem/mempool';
import { MbufClone } from './clone.js';
import { MBUF_MAX_NB_SEGS, OFF_BUF_ADDR, OFF_BUF_LEN, OFF_DATA_LEN, OFF_DATA_OFF, OFF_NB_SEGS, OFF_NEXT, OFF_PKT_LEN, OFF_POOL, OFF_REFCNT, U16_MAX } from './layout.js';

/** Bytes per row of a hex dump. */
const DUMP_ROW = 16;

/** Checks and dumps: {@link MbufClone} and rte_mbuf_check, rte_pktmbuf_dump. */
export class MbufDebug extends MbufClone {
  /** Why `m` is not a sane mbuf, or null. @see rte_mbuf_check */
  check(m: number, isHeader: boolean): string | null {
    if (typeof m !== 'number' || m === 0) return 'mbuf is NULL';
    const c = this.core;
    const k = c.k;
    let o: number;
    try {
      o = k.at(m);
    } catch {
      return 'bad mbuf address';
    }
    if (Mempool.atAddress(c.eal, k.f64[(o + OFF_POOL) >> 3]!) === null) return 'bad mbuf pool';
    o = k.at(m);
    if (k.f64[(o + OFF_BUF_ADDR) >> 3] === 0) return 'bad virt addr';
    const cnt = k.u16[(o + OFF_REFCNT) >> 1]!;
    if (cnt === 0 || cnt === U16_MAX) return 'bad ref cnt';
    if (!isHeader) return null;
    if (k.u16[(o + OFF_DATA_LEN) >> 1]! > k.u32[(o + OFF_PKT_LEN) >> 2]!) return 'bad data_len';
    let segs = k.u16[(o + OFF_NB_SEGS) >> 1]!;
    let pkt = k.u32[(o + OFF_PKT_LEN) >> 2]!;
    let cur = m;
    // A loop in the chain ends after more segments than a chain can have.
    for (let guard = 0; cur !== 0 && guard <= MBUF_MAX_NB_SEGS + 1; guard++) {
      const so = k.at(cur);
      const off = k.u16[(so + OFF_DATA_OFF) >> 1]!;
      const len = k.u16[(so + OFF_DATA_LEN) >> 1]!;
      const buf = k.u16[(so + OFF_BUF_LEN) >> 1]!;
      if (off > buf) return 'data offset too big in mbuf segment';
      if (off + len > buf) return 'data length too big in mbuf segment';
      segs -= 1;
      pkt -= len;
      cur = k.f64[(so + OFF_NEXT) >> 3]!;
    }
    if (segs !== 0) return 'bad nb_segs';
    if (pkt !== 0) return 'bad pkt_len';
    return null;
  }

  /** Throws EINVAL with the reason when `m` is not sane. @see rte_mbuf_sanity_check */
  sanityCheck(m: number, isHeader: boolean): void {
    const why = this.check(m, isHeader);
    if (why !== null) throw new RteError('EINVAL', `mbuf ${typeof m === 'number' ? hex(m) : String(m)}: ${why}`);
  }

  /** The packet in DPDK's dump format, with a hex dump of up to `dumpLen` bytes. @see rte_pktmbuf_dump */
  dump(m: number, dumpLen = 0): string {
    const iova = this.bufIova(m);
    const lines = [
      `dump mbuf at ${hex(m)}, iova=${iova === BAD_IOVA ? 'BAD_IOVA' : hex(iova)}, buf_len=${this.bufLen(m)}`,
      `  pkt_len=${this.pktLen(m)}, ol_flags=${hex(this.olFlags(m))}, nb_segs=${this.nbSegs(m)}, port=${this.port(m)}, ptype=${hex(this.packetType(m))}`,
    ];
    let left = dumpLen;
    let segs = this.nbSegs(m);
    for (let cur = m; cur !== 0 && segs !== 0; cur = this.next(cur), segs--) {
      const addr = this.mtod(cur);
      lines.push(`  segment at ${hex(cur)}, data=${hex(addr)}, len=${this.dataLen(cur)}, off=${this.dataOff(cur)}, refcnt=${this.refcnt(cur)}`);
      const len = Math.min(left, this.dataLen(cur));
      if (len > 0) {
        const bytes = this.data(cur).subarray(0, len);
        lines.push(`  dump data at [${hex(addr)}], len=${len}`);
        for (let i = 0; i < len; i += DUMP_ROW) {
          const row = bytes.subarray(i, Math.min(len, i + DUMP_ROW));
          const hexs = Array.from(row, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
          const ascii = Array.from(row, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
          lines.push(`${i.toString(16).toUpperCase().padStart(8, '0')}: ${hexs.padEnd(DUMP_ROW * 3 - 1)} | ${ascii}`);
        }
      }
      left -= len;
    }
    return lines.join('\n');
  }
}
