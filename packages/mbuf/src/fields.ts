/**
 * The fields of an mbuf header, by address: getters, setters, offload
 * flags, reference count, and the reset an allocation does. Each method
 * decodes the address with the header cursor and reads or writes one field
 * at its DPDK offset (layout.ts); nothing is allocated except where a
 * bigint is the value (olFlags, bufIova).
 *
 * The first class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see struct rte_mbuf in DPDK lib/mbuf/rte_mbuf_core.h, and the field
 * helpers of rte_mbuf.h (rte_pktmbuf_headroom, rte_mbuf_refcnt_update, ...)
 */
import { iovaFromWords, RteError } from '@rtemem/eal-hugepage';
import type { MbufCore } from './core.js';
import {
  F_HI_EXTERNAL,
  F_HI_INDIRECT,
  F_HI_NOT_DIRECT,
  NB_SEGS_1_PORT_INVALID,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
  OFF_BUF_IOVA_HI,
  OFF_BUF_LEN,
  OFF_DATA_LEN,
  OFF_DATA_OFF,
  OFF_DYNFIELD1,
  OFF_HASH,
  OFF_NB_SEGS,
  OFF_NEXT,
  OFF_OL_FLAGS,
  OFF_OL_FLAGS_HI,
  OFF_PACKET_TYPE,
  OFF_PKT_LEN,
  OFF_POOL,
  OFF_PORT,
  OFF_PRIV_SIZE,
  OFF_REFCNT,
  OFF_SHINFO,
  OFF_TIMESYNC,
  OFF_TX_OFFLOAD,
  OFF_VLAN_TCI,
  OFF_VLAN_TCI_OUTER,
  PKTMBUF_HEADROOM,
  U16_MAX,
} from './layout.js';

/** Field offsets of an mbuf (DPDK 22.11, x86_64), from layout.ts. */
export const MBUF_FIELD = {
  bufAddr: OFF_BUF_ADDR,
  bufIova: OFF_BUF_IOVA,
  dataOff: OFF_DATA_OFF,
  refcnt: OFF_REFCNT,
  nbSegs: OFF_NB_SEGS,
  port: OFF_PORT,
  olFlags: OFF_OL_FLAGS,
  packetType: OFF_PACKET_TYPE,
  pktLen: OFF_PKT_LEN,
  dataLen: OFF_DATA_LEN,
  vlanTci: OFF_VLAN_TCI,
  hash: OFF_HASH,
  vlanTciOuter: OFF_VLAN_TCI_OUTER,
  bufLen: OFF_BUF_LEN,
  pool: OFF_POOL,
  next: OFF_NEXT,
  txOffload: OFF_TX_OFFLOAD,
  shinfo: OFF_SHINFO,
  privSize: OFF_PRIV_SIZE,
  timesync: OFF_TIMESYNC,
  dynfield1: OFF_DYNFIELD1,
} as const;

/**
 * The header fields of mbufs by address: the base of the class chain that
 * makes {@link Mbuf} (fields, extbuf, indirect, free, data, clone, debug:
 * one class per file, each extending the one before; see mbuf.ts for why).
 */
export class MbufFields {
  /**
   * This thread's mbuf state (core.ts). Every method of the chain reaches
   * the header cursor by this one path, `this.core.k`; it is set once, in
   * the constructor, so V8 keeps it a constant field (not a class-field
   * initialiser storing undefined first: hence `declare`).
   * @internal
   */
  declare protected readonly core: MbufCore;

  /** @internal */
  constructor(core: MbufCore) {
    this.core = core;
  }

  /** @see rte_pktmbuf_data_len */
  dataLen(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_DATA_LEN) >> 1]!;
  }

  /** @see rte_pktmbuf_pkt_len */
  pktLen(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_PKT_LEN) >> 2]!;
  }

  /** Offset of the data in the buffer (the headroom). @see rte_mbuf.data_off */
  dataOff(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_DATA_OFF) >> 1]!;
  }

  /** @see rte_pktmbuf_headroom */
  headroom(m: number): number {
    return this.dataOff(m);
  }

  /** @see rte_pktmbuf_tailroom */
  tailroom(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    const u16 = k.u16;
    return u16[(o + OFF_BUF_LEN) >> 1]! - u16[(o + OFF_DATA_OFF) >> 1]! - u16[(o + OFF_DATA_LEN) >> 1]!;
  }

  /** Bytes of the buffer. @see rte_mbuf.buf_len */
  bufLen(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_BUF_LEN) >> 1]!;
  }

  /** @see rte_mbuf_refcnt_read */
  refcnt(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return Atomics.load(k.u16, (o + OFF_REFCNT) >> 1);
  }

  /** Segments in the chain (meaningful in the first one). @see rte_mbuf.nb_segs */
  nbSegs(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_NB_SEGS) >> 1]!;
  }

  /** The next segment, 0 for the last. @see rte_mbuf.next */
  next(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.f64[(o + OFF_NEXT) >> 3]!;
  }

  /** Input port. @see rte_mbuf.port */
  port(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_PORT) >> 1]!;
  }

  /** @see rte_mbuf.port */
  setPort(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u16[(o + OFF_PORT) >> 1] = v;
  }

  /** Packet type (RTE_PTYPE_* bits). @see rte_mbuf.packet_type */
  packetType(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_PACKET_TYPE) >> 2]!;
  }

  /** @see rte_mbuf.packet_type */
  setPacketType(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u32[(o + OFF_PACKET_TYPE) >> 2] = v;
  }

  /** VLAN tag control information. @see rte_mbuf.vlan_tci */
  vlanTci(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_VLAN_TCI) >> 1]!;
  }

  /** @see rte_mbuf.vlan_tci */
  setVlanTci(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u16[(o + OFF_VLAN_TCI) >> 1] = v;
  }

  /** RSS hash (low 32 bits of the hash union). @see rte_mbuf.hash.rss */
  hash(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_HASH) >> 2]!;
  }

  /** @see rte_mbuf.hash.rss */
  setHash(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u32[(o + OFF_HASH) >> 2] = v;
  }

  /** Bytes of private area after the header. @see rte_mbuf.priv_size */
  privSize(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_PRIV_SIZE) >> 1]!;
  }

  /** Address of the mempool header the mbuf belongs to. @see rte_mbuf.pool */
  pool(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.f64[(o + OFF_POOL) >> 3]!;
  }

  /** Address of the buffer. @see rte_mbuf.buf_addr */
  bufAddr(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.f64[(o + OFF_BUF_ADDR) >> 3]!;
  }

  /** Physical address of the buffer, -1n when unknown. @see rte_mbuf.buf_iova */
  bufIova(m: number): bigint {
    const k = this.core.k;
    const o = k.at(m);
    return iovaFromWords(k.u32[(o + OFF_BUF_IOVA) >> 2]!, k.u32[(o + OFF_BUF_IOVA_HI) >> 2]!);
  }

  /** Offload flags (a bigint: allocates; see hasOlFlag for hot paths). @see rte_mbuf.ol_flags */
  olFlags(m: number): bigint {
    const k = this.core.k;
    const o = k.at(m);
    return (BigInt(k.u32[(o + OFF_OL_FLAGS_HI) >> 2]!) << 32n) | BigInt(k.u32[(o + OFF_OL_FLAGS) >> 2]!);
  }

  /** Bits 0..31 of ol_flags, as a number: olFlags without a bigint (no garbage). @see rte_mbuf.ol_flags */
  olFlagsLo(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_OL_FLAGS) >> 2]!;
  }

  /** Bits 32..63 of ol_flags, as a number (bit 32 + k of ol_flags is bit k here). @see rte_mbuf.ol_flags */
  olFlagsHi(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_OL_FLAGS_HI) >> 2]!;
  }

  /** Sets all 64 offload flags; throws EINVAL for a value that is not a bigint. @see rte_mbuf.ol_flags */
  setOlFlags(m: number, v: bigint): void {
    const k = this.core.k;
    if (typeof v !== 'bigint') throw new RteError('EINVAL', `offload flags are a bigint (e.g. 1n << 22n), not ${typeof v}`);
    const o = k.at(m);
    k.u32[(o + OFF_OL_FLAGS) >> 2] = Number(BigInt.asUintN(32, v));
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = Number(BigInt.asUintN(32, v >> 32n));
  }

  /** True when offload flag `bit` (0..63) is set; no allocation. @see rte_mbuf.ol_flags */
  hasOlFlag(m: number, bit: number): boolean {
    const k = this.core.k;
    const o = k.at(m);
    return bit < 32 ? ((k.u32[(o + OFF_OL_FLAGS) >> 2]! >>> bit) & 1) === 1 : ((k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! >>> (bit - 32)) & 1) === 1;
  }

  /** Sets (or clears) offload flag `bit`; no allocation. @see rte_mbuf.ol_flags */
  setOlFlag(m: number, bit: number, on = true): void {
    const k = this.core.k;
    const o = k.at(m);
    const w = (o + (bit < 32 ? OFF_OL_FLAGS : OFF_OL_FLAGS_HI)) >> 2;
    const mask = 1 << (bit & 31);
    k.u32[w] = on ? k.u32[w]! | mask : k.u32[w]! & ~mask;
  }

  /** True when the mbuf owns its buffer (not a clone, not external). @see RTE_MBUF_DIRECT */
  isDirect(m: number): boolean {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_NOT_DIRECT) === 0;
  }

  /** @see RTE_MBUF_CLONED */
  isIndirect(m: number): boolean {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_INDIRECT) !== 0;
  }

  /** @see RTE_MBUF_HAS_EXTBUF */
  hasExtbuf(m: number): boolean {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_EXTERNAL) !== 0;
  }

  /** Atomically adds `delta` to the reference count; returns the new value. @see rte_mbuf_refcnt_update */
  refcntUpdate(m: number, delta: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return (Atomics.add(k.u16, (o + OFF_REFCNT) >> 1, delta) + delta) & U16_MAX;
  }

  /** @see rte_mbuf_refcnt_set */
  refcntSet(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    Atomics.store(k.u16, (o + OFF_REFCNT) >> 1, v);
  }

  /** Resets the fields as a fresh allocation has them. @see rte_pktmbuf_reset */
  reset(m: number): void {
    const k = this.core.k;
    const o = k.at(m);
    resetAt(k.u16, k.u32, k.f64, o);
  }
}

/**
 * Resets the header at offset `o` of the views as rte_pktmbuf_reset does
 * (the views are those of the mbuf's list: the cursor's, or a loop's copy).
 */
export function resetAt(u16: Uint16Array, u32: Uint32Array, f64: Float64Array, o: number): void {
  // Neighbouring fields cleared together: next, tx_offload, packet_type +
  // pkt_len (f64 stores of 0), data_len + vlan_tci, nb_segs (1) + port
  // (invalid); offload flags keep only EXTERNAL.
  f64[(o + OFF_NEXT) >> 3] = 0;
  f64[(o + OFF_TX_OFFLOAD) >> 3] = 0;
  f64[(o + OFF_PACKET_TYPE) >> 3] = 0; // with OFF_PKT_LEN
  u32[(o + OFF_DATA_LEN) >> 2] = 0; // with OFF_VLAN_TCI
  u16[(o + OFF_VLAN_TCI_OUTER) >> 1] = 0;
  u32[(o + OFF_NB_SEGS) >> 2] = NB_SEGS_1_PORT_INVALID; // with OFF_PORT
  u32[(o + OFF_OL_FLAGS) >> 2] = 0;
  u32[(o + OFF_OL_FLAGS_HI) >> 2] = u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_EXTERNAL;
  const bufLen = u16[(o + OFF_BUF_LEN) >> 1]!;
  u16[(o + OFF_DATA_OFF) >> 1] = bufLen < PKTMBUF_HEADROOM ? bufLen : PKTMBUF_HEADROOM;
}
