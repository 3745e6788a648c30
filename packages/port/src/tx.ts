/**
 * A TX queue as one thread drives it: one descriptor per mbuf segment
 * (address of its data, its length, end of packet on the last), one call to
 * the EAL's packet service, then the packets it took are freed, as a NIC
 * driver frees mbufs once their descriptors are done. Packets it did not
 * take stay the caller's. An mbuf that asks for a VLAN tag (TX_VLAN) gets
 * it inserted into its data first, as DPDK's af_packet PMD does.
 *
 * @see eth_af_packet_tx in DPDK drivers/net/af_packet/rte_eth_af_packet.c
 */
import { type Eal, type Mbuf, type MemsegListMap, type PacketQueue, PKT_Q_ERRORS, PKT_TX_EOP, PKT_TX_ERR, pktAreaOffsets, RteError } from '@rtemem/mbuf';
import { ETHER_TYPE_VLAN, HI_EXTERNAL, HI_INDIRECT, HI_TX_VLAN } from './flags.js';
import {
  M_BUF_ADDR,
  M_DATA_LEN,
  M_DATA_OFF,
  M_NB_SEGS,
  M_NEXT,
  M_OL_FLAGS_HI,
  M_PKT_LEN,
  M_REFCNT,
  M_VLAN_TCI,
  QB_BYTES,
  QB_ERRORS,
  QB_PACKETS,
  SPAN,
} from './layout.js';

export interface TxQueueParts {
  eal: Eal;
  mb: Mbuf;
  pq: PacketQueue;
  list: MemsegListMap;
  area: number;
  block: number;
  capacity: number;
}

export class TxQueue {
  readonly pq: PacketQueue;
  readonly #eal: Eal;
  readonly #mb: Mbuf;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #errorsW: number;
  readonly #entD: number; // f64 index of ENTRIES[0] (an entry is 2 f64 / 4 u32)
  readonly #stat: number;
  readonly #capacity: number;
  readonly #lists: (MemsegListMap | undefined)[] = [];
  /** Descriptor index of each described packet's last segment. */
  readonly #last: Uint32Array;

  constructor(p: TxQueueParts) {
    this.pq = p.pq;
    this.#eal = p.eal;
    this.#mb = p.mb;
    this.#u32 = p.list.u32;
    this.#f64 = p.list.f64;
    this.#errorsW = (p.area + PKT_Q_ERRORS) >> 2;
    this.#entD = (p.area + pktAreaOffsets(p.capacity).entries) >> 3;
    this.#stat = p.block >> 3;
    this.#capacity = p.capacity;
    this.#last = new Uint32Array(p.capacity);
  }

  /** Sends up to n packets of mbufs[0..); returns how many it took (and freed). */
  burst(mbufs: Float64Array, n: number): number {
    const f64 = this.#f64;
    const u32 = this.#u32;
    const cap = this.#capacity;
    let nd = 0;
    let k = 0;
    for (; k < n; k++) {
      const m = mbufs[k]!;
      let li = Math.floor(m / SPAN);
      let l = this.#lists[li] ?? this.#map(li);
      let o = m - li * SPAN;
      if (nd + l.u16[(o + M_NB_SEGS) >> 1]! > cap) break;
      let bad = false;
      if ((l.u32[(o + M_OL_FLAGS_HI) >> 2]! & HI_TX_VLAN) !== 0) bad = !this.#insertTag(l, o);
      for (;;) {
        const e = this.#entD + 2 * nd;
        const data = l.f64[(o + M_BUF_ADDR) >> 3]! + l.u16[(o + M_DATA_OFF) >> 1]!;
        // Address 0 is never mapped: the service drops the packet as bad.
        f64[e] = bad ? 0 : data;
        u32[(e << 1) + 2] = l.u16[(o + M_DATA_LEN) >> 1]!;
        const next = l.f64[(o + M_NEXT) >> 3]!;
        nd++;
        if (next === 0 || nd === cap) {
          u32[(e << 1) + 3] = PKT_TX_EOP;
          break;
        }
        u32[(e << 1) + 3] = 0;
        li = Math.floor(next / SPAN);
        l = this.#lists[li] ?? this.#map(li);
        o = next - li * SPAN;
      }
      this.#last[k] = nd - 1;
    }
    if (nd === 0) return 0;
    const taken = this.pq.tx(nd);
    if (taken <= 0) return 0;
    const errors = u32[this.#errorsW]!;
    let bytes = 0;
    for (let i = 0; i < taken; i++) {
      if (errors !== 0 && (u32[((this.#entD + 2 * this.#last[i]!) << 1) + 3]! & PKT_TX_ERR) !== 0) continue;
      const m = mbufs[i]!;
      const li = Math.floor(m / SPAN);
      bytes += (this.#lists[li] ?? this.#map(li)).u32[(m - li * SPAN + M_PKT_LEN) >> 2]!;
    }
    this.#mb.freeBulk(mbufs, taken);
    const st = this.#stat;
    f64[st + (QB_PACKETS >> 3)]! += taken - errors;
    f64[st + (QB_BYTES >> 3)]! += bytes;
    if (errors !== 0) f64[st + (QB_ERRORS >> 3)]! += errors;
    return taken;
  }

  // rte_vlan_insert: the tag goes into 4 bytes of headroom after the MACs;
  // the flag is cleared, so a packet left to the caller is not tagged twice.
  // False when the data may not be written (shared with other mbufs) or
  // there is no headroom: the packet is then dropped, as DPDK drops it.
  #insertTag(l: MemsegListMap, o: number): boolean {
    const hi = l.u32[(o + M_OL_FLAGS_HI) >> 2]!;
    const dataOff = l.u16[(o + M_DATA_OFF) >> 1]!;
    if ((hi & (HI_INDIRECT | HI_EXTERNAL)) !== 0 || l.u16[(o + M_REFCNT) >> 1]! !== 1 || dataOff < 4 || l.u16[(o + M_DATA_LEN) >> 1]! < 12) return false;
    const data = l.f64[(o + M_BUF_ADDR) >> 3]! + dataOff;
    const dli = Math.floor(data / SPAN);
    const u8 = (this.#lists[dli] ?? this.#map(dli)).u8;
    const at = data - dli * SPAN;
    const tci = l.u16[(o + M_VLAN_TCI) >> 1]!;
    u8.copyWithin(at - 4, at, at + 12);
    u8[at + 8] = ETHER_TYPE_VLAN >>> 8;
    u8[at + 9] = ETHER_TYPE_VLAN & 0xff;
    u8[at + 10] = tci >>> 8;
    u8[at + 11] = tci & 0xff;
    l.u16[(o + M_DATA_OFF) >> 1] = dataOff - 4;
    l.u16[(o + M_DATA_LEN) >> 1] = l.u16[(o + M_DATA_LEN) >> 1]! + 4;
    l.u32[(o + M_PKT_LEN) >> 2] = l.u32[(o + M_PKT_LEN) >> 2]! + 4;
    l.u32[(o + M_OL_FLAGS_HI) >> 2] = hi & ~HI_TX_VLAN;
    return true;
  }

  #map(li: number): MemsegListMap {
    const l = this.#eal.list(li);
    if (l === undefined) throw new RteError('EINVAL', `an mbuf in memseg list ${li}, which this thread has not mapped`);
    this.#lists[li] = l;
    return l;
  }
}
