/**
 * The header fields a transmit path and a NIC's receive metadata use
 * beyond the first ones: tx_offload's bit-fields (header lengths and TSO
 * segment size), the outer VLAN tag, timesync, the flow director's view of
 * the hash union, and the address of the private area. Every getter and
 * setter is a few integer operations on the header's typed arrays; only
 * txOffload (a 64-bit bigint) allocates.
 *
 * The second class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see struct rte_mbuf (tx_offload, vlan_tci_outer, timesync, hash.fdir)
 * in DPDK lib/mbuf/rte_mbuf_core.h, rte_mbuf_tx_offload and
 * rte_mbuf_to_priv in rte_mbuf.h
 */
import { RteError } from '@rtemem/eal-hugepage';
import { MbufFields } from './fields.js';
import {
  MBUF_HEADER_SIZE,
  OFF_FDIR_HASH,
  OFF_FDIR_ID,
  OFF_HASH,
  OFF_HASH_HI,
  OFF_TIMESYNC,
  OFF_TX_OFFLOAD,
  OFF_TX_OFFLOAD_HI,
  OFF_VLAN_TCI_OUTER,
  TX_L2_LEN_BITS,
  TX_L3_LEN_BITS,
  TX_L3_LEN_OFS,
  TX_L4_LEN_BITS,
  TX_L4_LEN_OFS,
  TX_OUTL2_LEN_BITS,
  TX_OUTL2_LEN_OFS_HI,
  TX_OUTL3_LEN_BITS,
  TX_OUTL3_LEN_OFS_HI,
  TX_TSO_SEGSZ_BITS,
  TX_TSO_SEGSZ_OFS,
} from './layout.js';

const L2_MASK = (1 << TX_L2_LEN_BITS) - 1;
const L3_MASK = (1 << TX_L3_LEN_BITS) - 1;
const L4_MASK = (1 << TX_L4_LEN_BITS) - 1;
const TSO_MASK = (1 << TX_TSO_SEGSZ_BITS) - 1;
const OUTL3_MASK = (1 << TX_OUTL3_LEN_BITS) - 1;
const OUTL2_MASK = (1 << TX_OUTL2_LEN_BITS) - 1;
/** tso_segsz bits in the low word (24..31); the rest are bits 0..7 of the high word. */
const TSO_LO_BITS = 32 - TX_TSO_SEGSZ_OFS;

// Throws EINVAL unless `v` is a whole number that fits `bits` bits.
function field(name: string, v: number, bits: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) {
    throw new RteError('EINVAL', `${name} ${String(v)} does not fit its ${bits}-bit field of tx_offload (0..${2 ** bits - 1})`);
  }
  return v;
}

/** {@link MbufFields} and the rest of the header's fields. */
export class MbufMoreFields extends MbufFields {
  /** The whole 64-bit tx_offload word (a bigint: allocates). @see rte_mbuf.tx_offload */
  txOffload(m: number): bigint {
    const k = this.core.k;
    const o = k.at(m);
    return (BigInt(k.u32[(o + OFF_TX_OFFLOAD_HI) >> 2]!) << 32n) | BigInt(k.u32[(o + OFF_TX_OFFLOAD) >> 2]!);
  }

  /**
   * Sets every tx_offload bit-field at once (the unused bits 56..63 become
   * 0). Throws EINVAL, the mbuf unchanged, for a value that does not fit its
   * field: l2Len 7 bits, l3Len 9, l4Len 8, tsoSegsz 16, outerL2Len 7,
   * outerL3Len 9. Note the order: outer L2 before outer L3 here, while
   * rte_mbuf_tx_offload takes ol3 before ol2.
   * @see rte_mbuf_tx_offload
   */
  setTxOffload(m: number, l2Len: number, l3Len: number, l4Len: number, tsoSegsz = 0, outerL2Len = 0, outerL3Len = 0): void {
    const l2 = field('l2Len', l2Len, TX_L2_LEN_BITS);
    const l3 = field('l3Len', l3Len, TX_L3_LEN_BITS);
    const l4 = field('l4Len', l4Len, TX_L4_LEN_BITS);
    const tso = field('tsoSegsz', tsoSegsz, TX_TSO_SEGSZ_BITS);
    const ol2 = field('outerL2Len', outerL2Len, TX_OUTL2_LEN_BITS);
    const ol3 = field('outerL3Len', outerL3Len, TX_OUTL3_LEN_BITS);
    const k = this.core.k;
    const o = k.at(m);
    k.u32[(o + OFF_TX_OFFLOAD) >> 2] = (l2 | (l3 << TX_L3_LEN_OFS) | (l4 << TX_L4_LEN_OFS) | (tso << TX_TSO_SEGSZ_OFS)) >>> 0;
    k.u32[(o + OFF_TX_OFFLOAD_HI) >> 2] = ((tso >>> TSO_LO_BITS) | (ol3 << TX_OUTL3_LEN_OFS_HI) | (ol2 << TX_OUTL2_LEN_OFS_HI)) >>> 0;
  }

  /** L2 (MAC) header length. @see rte_mbuf.l2_len */
  l2Len(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_TX_OFFLOAD) >> 2]! & L2_MASK;
  }

  /** L3 (IP) header length. @see rte_mbuf.l3_len */
  l3Len(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_TX_OFFLOAD) >> 2]! >>> TX_L3_LEN_OFS) & L3_MASK;
  }

  /** L4 (TCP/UDP) header length. @see rte_mbuf.l4_len */
  l4Len(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_TX_OFFLOAD) >> 2]! >>> TX_L4_LEN_OFS) & L4_MASK;
  }

  /** TCP segmentation size (TSO). @see rte_mbuf.tso_segsz */
  tsoSegsz(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return ((k.u32[(o + OFF_TX_OFFLOAD) >> 2]! >>> TX_TSO_SEGSZ_OFS) | (k.u32[(o + OFF_TX_OFFLOAD_HI) >> 2]! << TSO_LO_BITS)) & TSO_MASK;
  }

  /** Outer L3 header length (tunnels). @see rte_mbuf.outer_l3_len */
  outerL3Len(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_TX_OFFLOAD_HI) >> 2]! >>> TX_OUTL3_LEN_OFS_HI) & OUTL3_MASK;
  }

  /** Outer L2 header length (tunnels). @see rte_mbuf.outer_l2_len */
  outerL2Len(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return (k.u32[(o + OFF_TX_OFFLOAD_HI) >> 2]! >>> TX_OUTL2_LEN_OFS_HI) & OUTL2_MASK;
  }

  /*
   * One bit-field at a time, as a C program assigns m->l2_len: the other
   * fields keep their values. Each throws EINVAL, the mbuf unchanged, for a
   * value that does not fit the field.
   */

  /** @see rte_mbuf.l2_len */
  setL2Len(m: number, v: number): void {
    this.#setLo(m, field('l2Len', v, TX_L2_LEN_BITS), L2_MASK, 0);
  }

  /** @see rte_mbuf.l3_len */
  setL3Len(m: number, v: number): void {
    this.#setLo(m, field('l3Len', v, TX_L3_LEN_BITS), L3_MASK, TX_L3_LEN_OFS);
  }

  /** @see rte_mbuf.l4_len */
  setL4Len(m: number, v: number): void {
    this.#setLo(m, field('l4Len', v, TX_L4_LEN_BITS), L4_MASK, TX_L4_LEN_OFS);
  }

  /** @see rte_mbuf.tso_segsz */
  setTsoSegsz(m: number, v: number): void {
    const tso = field('tsoSegsz', v, TX_TSO_SEGSZ_BITS);
    this.#setLo(m, tso & ((1 << TSO_LO_BITS) - 1), (1 << TSO_LO_BITS) - 1, TX_TSO_SEGSZ_OFS);
    this.#setHi(m, tso >>> TSO_LO_BITS, (1 << (TX_TSO_SEGSZ_BITS - TSO_LO_BITS)) - 1, 0);
  }

  /** @see rte_mbuf.outer_l2_len */
  setOuterL2Len(m: number, v: number): void {
    this.#setHi(m, field('outerL2Len', v, TX_OUTL2_LEN_BITS), OUTL2_MASK, TX_OUTL2_LEN_OFS_HI);
  }

  /** @see rte_mbuf.outer_l3_len */
  setOuterL3Len(m: number, v: number): void {
    this.#setHi(m, field('outerL3Len', v, TX_OUTL3_LEN_BITS), OUTL3_MASK, TX_OUTL3_LEN_OFS_HI);
  }

  // Bits [ofs, ofs + width) of tx_offload's low word (mask: width ones) become v.
  #setLo(m: number, v: number, mask: number, ofs: number): void {
    const k = this.core.k;
    const w = (k.at(m) + OFF_TX_OFFLOAD) >> 2;
    k.u32[w] = ((k.u32[w]! & ~(mask << ofs)) | (v << ofs)) >>> 0;
  }

  // The same in the high word (bit 32 + ofs of tx_offload).
  #setHi(m: number, v: number, mask: number, ofs: number): void {
    const k = this.core.k;
    const w = (k.at(m) + OFF_TX_OFFLOAD_HI) >> 2;
    k.u32[w] = ((k.u32[w]! & ~(mask << ofs)) | (v << ofs)) >>> 0;
  }

  /** Outer VLAN tag control information (QinQ). @see rte_mbuf.vlan_tci_outer */
  vlanTciOuter(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_VLAN_TCI_OUTER) >> 1]!;
  }

  /** @see rte_mbuf.vlan_tci_outer */
  setVlanTciOuter(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u16[(o + OFF_VLAN_TCI_OUTER) >> 1] = v;
  }

  /** Index of the IEEE 1588 timestamp register of the packet. @see rte_mbuf.timesync */
  timesync(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_TIMESYNC) >> 1]!;
  }

  /** @see rte_mbuf.timesync */
  setTimesync(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u16[(o + OFF_TIMESYNC) >> 1] = v;
  }

  /** Flow director: the first 4 flexible bytes, or the filter id (RTE_MBUF_F_RX_FDIR_ID). @see rte_mbuf.hash.fdir.hi */
  fdirHi(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_HASH_HI) >> 2]!;
  }

  /** @see rte_mbuf.hash.fdir.hi */
  setFdirHi(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u32[(o + OFF_HASH_HI) >> 2] = v;
  }

  /** Flow director: the second 4 flexible bytes (the same word as hash.rss). @see rte_mbuf.hash.fdir.lo */
  fdirLo(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u32[(o + OFF_HASH) >> 2]!;
  }

  /** @see rte_mbuf.hash.fdir.lo */
  setFdirLo(m: number, v: number): void {
    const k = this.core.k;
    const o = k.at(m);
    k.u32[(o + OFF_HASH) >> 2] = v;
  }

  /** Flow director: the 16-bit hash (low half of hash.fdir.lo). @see rte_mbuf.hash.fdir.hash */
  fdirHash(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_FDIR_HASH) >> 1]!;
  }

  /** Flow director: the 16-bit filter id (high half of hash.fdir.lo). @see rte_mbuf.hash.fdir.id */
  fdirId(m: number): number {
    const k = this.core.k;
    const o = k.at(m);
    return k.u16[(o + OFF_FDIR_ID) >> 1]!;
  }

  /**
   * Address of the mbuf's private area (right after the header; privSize(m)
   * bytes). Throws EINVAL for an address that is not an mbuf's.
   * @see rte_mbuf_to_priv
   */
  mbufToPriv(m: number): number {
    this.core.k.at(m);
    return m + MBUF_HEADER_SIZE;
  }
}
