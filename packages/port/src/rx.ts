/**
 * An RX queue as one thread drives it: keeps the queue's posted buffers
 * topped up with fresh mbufs from the port's pool (DPDK's RX descriptor
 * refill), asks the EAL's packet service to fill them, and turns each
 * completion into an mbuf (chain): lengths, segments, input port, VLAN tag
 * and checksum flags. No JS object per packet or per burst.
 *
 * @see eth_af_packet_rx in DPDK drivers/net/af_packet/rte_eth_af_packet.c
 */
import {
  type Eal,
  type MemsegListMap,
  type PacketQueue,
  type PktmbufPool,
  PKT_Q_ERRORS,
  PKT_Q_POSTED,
  PKT_ST_CSUM_NOT_READY,
  PKT_ST_CSUM_VALID,
  PKT_ST_VLAN,
  pktAreaOffsets,
  RteError,
} from '@rtemem/mbuf';
import { LO_RX_L4_CKSUM_BAD, LO_RX_L4_CKSUM_GOOD, LO_RX_VLAN, LO_RX_VLAN_STRIPPED } from './flags.js';
import {
  M_DATA_LEN,
  M_DATA_OFF,
  M_NB_SEGS,
  M_NEXT,
  M_OL_FLAGS,
  M_PKT_LEN,
  M_PORT,
  M_VLAN_TCI,
  QB_BYTES,
  QB_ERRORS,
  QB_MISSED,
  QB_NOMBUF,
  QB_PACKETS,
  SPAN,
} from './layout.js';

/** Mbufs allocated per refill (one getBulk). */
const REFILL = 32;
/** Bursts between reads of the kernel's drop counter (a system call). */
const DROPS_EVERY = 256;

export interface RxQueueParts {
  eal: Eal;
  pool: PktmbufPool;
  pq: PacketQueue;
  /** The memzone's list (area and block live there). */
  list: MemsegListMap;
  /** Byte offsets in `list` of the descriptor area and of the queue block. */
  area: number;
  block: number;
  capacity: number;
  /** Bytes each mbuf holds after its headroom. */
  bufCap: number;
  portId: number;
  vlanStrip: boolean;
}

export class RxQueue {
  readonly pq: PacketQueue;
  readonly #eal: Eal;
  readonly #pool: PktmbufPool;
  readonly #u16: Uint16Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #u8: Uint8Array;
  /* Indexes into the memzone list's views. */
  readonly #postedW: number; // u32: posted count
  readonly #errorsW: number; // u32: errors of the last call
  readonly #stackD: number; // f64: POSTED[0]
  readonly #usedD: number; // f64: USED[0]
  readonly #entW: number; // u32: ENTRIES[0]
  readonly #stat: number; // f64: queue block
  readonly #capacity: number;
  readonly #cap: number;
  readonly #portId: number;
  readonly #strip: boolean;
  readonly #refill = new Float64Array(REFILL);
  readonly #lists: (MemsegListMap | undefined)[] = [];
  #polls = 0;

  constructor(p: RxQueueParts) {
    this.pq = p.pq;
    this.#eal = p.eal;
    this.#pool = p.pool;
    const l = p.list;
    this.#u8 = l.u8;
    this.#u16 = l.u16;
    this.#u32 = l.u32;
    this.#f64 = l.f64;
    const off = pktAreaOffsets(p.capacity);
    this.#postedW = (p.area + PKT_Q_POSTED) >> 2;
    this.#errorsW = (p.area + PKT_Q_ERRORS) >> 2;
    this.#stackD = (p.area + off.posted) >> 3;
    this.#usedD = (p.area + off.used) >> 3;
    this.#entW = (p.area + off.entries) >> 2;
    this.#stat = p.block >> 3;
    this.#capacity = p.capacity;
    this.#cap = p.bufCap;
    this.#portId = p.portId;
    this.#strip = p.vlanStrip;
  }

  /** Receives up to n packets into mbufs[0..); returns how many. */
  burst(mbufs: Float64Array, n: number): number {
    const u32 = this.#u32;
    const f64 = this.#f64;
    if (u32[this.#postedW]! <= this.#capacity - REFILL) this.#topUp();
    const r = this.pq.rx(n);
    const st = this.#stat;
    if ((++this.#polls & (DROPS_EVERY - 1)) === 0) f64[st + (QB_MISSED >> 3)]! += this.pq.drops();
    if (r <= 0) {
      // A negated errno here is the socket failing under us (the interface
      // went away): nothing received.
      const e = u32[this.#errorsW]!;
      if (e !== 0) f64[st + (QB_ERRORS >> 3)]! += e;
      return 0;
    }
    const u16 = this.#u16;
    const cap = this.#cap;
    const usedD = this.#usedD;
    let ent = this.#entW;
    let u = 0;
    let bytes = 0;
    for (let i = 0; i < r; i++, ent += 4) {
      const len = u32[ent]!;
      const segs = u32[ent + 1]!;
      const status = u32[ent + 3]!;
      const m = f64[usedD + u++]!;
      const li = Math.floor(m / SPAN);
      const l = this.#lists[li] ?? this.#map(li);
      const o = m - li * SPAN;
      const mu16 = l.u16;
      const mu32 = l.u32;
      // A fresh mbuf (reset at allocation): only what differs is written.
      mu32[(o + M_PKT_LEN) >> 2] = len;
      mu16[(o + M_DATA_LEN) >> 1] = len < cap ? len : cap;
      mu16[(o + M_NB_SEGS) >> 1] = segs;
      mu16[(o + M_PORT) >> 1] = this.#portId;
      if (status !== 0) this.#flags(l, o, status, u16[(ent << 1) + 4]!, u16[(ent << 1) + 5]!);
      if (segs > 1) u = this.#chain(m, l, o, len, segs, u);
      mbufs[i] = m;
      bytes += len;
    }
    f64[st + (QB_PACKETS >> 3)]! += r;
    f64[st + (QB_BYTES >> 3)]! += bytes;
    const e = u32[this.#errorsW]!;
    if (e !== 0) f64[st + (QB_ERRORS >> 3)]! += e;
    return r;
  }

  // Offload flags, and the VLAN tag stripped by the kernel: kept in
  // vlan_tci (VLAN_STRIP), or put back into the data in front of the
  // ethertype with the TPID it had.
  #flags(l: MemsegListMap, o: number, status: number, tci: number, tpid: number): void {
    let lo = 0;
    if ((status & PKT_ST_CSUM_NOT_READY) !== 0) lo |= LO_RX_L4_CKSUM_BAD | LO_RX_L4_CKSUM_GOOD;
    else if ((status & PKT_ST_CSUM_VALID) !== 0) lo |= LO_RX_L4_CKSUM_GOOD;
    if ((status & PKT_ST_VLAN) !== 0) {
      l.u16[(o + M_VLAN_TCI) >> 1] = tci;
      lo |= LO_RX_VLAN;
      if (this.#strip) lo |= LO_RX_VLAN_STRIPPED;
      else this.#insertTag(l, o, tci, tpid);
    }
    l.u32[(o + M_OL_FLAGS) >> 2] = lo;
  }

  // rte_vlan_insert on a fresh mbuf: 4 bytes of headroom become the tag.
  #insertTag(l: MemsegListMap, o: number, tci: number, tpid: number): void {
    const dataOff = l.u16[(o + M_DATA_OFF) >> 1]!;
    const data = l.f64[o >> 3]! + dataOff; // buf_addr + data_off
    const dli = Math.floor(data / SPAN);
    const u8 = (this.#lists[dli] ?? this.#map(dli)).u8;
    const at = data - dli * SPAN;
    u8.copyWithin(at - 4, at, at + 12);
    u8[at + 8] = tpid >>> 8;
    u8[at + 9] = tpid & 0xff;
    u8[at + 10] = tci >>> 8;
    u8[at + 11] = tci & 0xff;
    l.u16[(o + M_DATA_OFF) >> 1] = dataOff - 4;
    l.u16[(o + M_DATA_LEN) >> 1] = l.u16[(o + M_DATA_LEN) >> 1]! + 4;
    l.u32[(o + M_PKT_LEN) >> 2] = l.u32[(o + M_PKT_LEN) >> 2]! + 4;
  }

  // Links segments 2..segs of a long packet behind its head; returns the
  // next index into USED.
  #chain(m: number, l: MemsegListMap, o: number, len: number, segs: number, u: number): number {
    const cap = this.#cap;
    const f64 = this.#f64;
    let rest = len - cap;
    let pl = l;
    let po = o;
    for (let s = 1; s < segs; s++) {
      const sm = f64[this.#usedD + u++]!;
      const li = Math.floor(sm / SPAN);
      const sl = this.#lists[li] ?? this.#map(li);
      const so = sm - li * SPAN;
      sl.u16[(so + M_DATA_LEN) >> 1] = rest < cap ? rest : cap;
      rest -= cap;
      pl.f64[(po + M_NEXT) >> 3] = sm;
      pl = sl;
      po = so;
    }
    return u;
  }

  // Posts up to REFILL fresh mbufs (all or nothing, as the pool gives them).
  #topUp(): void {
    const u32 = this.#u32;
    const posted = u32[this.#postedW]!;
    const k = this.#capacity - posted < REFILL ? this.#capacity - posted : REFILL;
    if (k <= 0) return;
    const got = this.#refill;
    if (this.#pool.allocBulk(got, k) !== 0) {
      this.#f64[this.#stat + (QB_NOMBUF >> 3)]! += 1;
      return;
    }
    const f64 = this.#f64;
    const at = this.#stackD + posted;
    for (let i = 0; i < k; i++) {
      const m = got[i]!;
      const li = Math.floor(m / SPAN);
      if (!this.pq.mapsList(li)) this.pq.mapList(this.#eal, li);
      f64[at + i] = m;
    }
    u32[this.#postedW] = posted + k;
  }

  #map(li: number): MemsegListMap {
    const l = this.#eal.list(li);
    if (l === undefined) throw new RteError('EINVAL', `an mbuf in memseg list ${li}, which this thread has not mapped`);
    this.#lists[li] = l;
    return l;
  }

  /** Folds the kernel's drop counter into the queue's imissed. */
  foldDrops(): void {
    this.#f64[this.#stat + (QB_MISSED >> 3)]! += this.pq.drops();
  }
}
