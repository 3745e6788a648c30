/**
 * Indirect mbufs: an mbuf attached to another's buffer (or to an external
 * buffer) holds a reference on it instead of owning data; detaching drops
 * that reference and gives the mbuf its own buffer back. Clones are made
 * of these (clone.ts), and a free detaches (free.ts).
 *
 * The fourth class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_pktmbuf_attach, rte_pktmbuf_detach, rte_mbuf_from_indirect,
 * __rte_pktmbuf_copy_hdr in DPDK lib/mbuf/rte_mbuf.h
 */
import { BAD_IOVA, hex, iovaToWords, RteError } from '@rtemem/eal-hugepage';
import type { MbufCore } from './core.js';
import { MbufExtbuf, pinnedOwner, runFreeCb, shinfoRefAdd } from './extbuf.js';
import {
  DYNFIELD1_BYTES,
  F_HI_EXTERNAL,
  F_HI_INDIRECT,
  MBUF_HEADER_SIZE,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
  OFF_BUF_IOVA_HI,
  OFF_BUF_LEN,
  OFF_DATA_LEN,
  OFF_DATA_OFF,
  OFF_DYNFIELD1,
  OFF_HASH,
  OFF_HASH_HI,
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
  OFF_TX_OFFLOAD,
  OFF_TX_OFFLOAD_HI,
  OFF_VLAN_TCI,
  OFF_VLAN_TCI_OUTER,
  PKTMBUF_HEADROOM,
} from './layout.js';
import { PktmbufPool } from './pool.js';

const DYN_WORDS = DYNFIELD1_BYTES >> 2;
/** The dynamic field area on its way from one header to another (headers may lie in different lists). */
const dynWords = new Uint32Array(DYN_WORDS);

/**
 * Copies the header fields a copy or a clone takes over (port, VLAN tags,
 * tx_offload, hash, packet type, dynamic fields) from `src` to `dst`.
 * @see __rte_pktmbuf_copy_hdr
 */
export function copyHdr(c: MbufCore, dst: number, src: number): void {
  const k = c.k;
  const so = k.at(src);
  const u16 = k.u16;
  const u32 = k.u32;
  const port = u16[(so + OFF_PORT) >> 1]!;
  const vlan = u16[(so + OFF_VLAN_TCI) >> 1]!;
  const vlanOuter = u16[(so + OFF_VLAN_TCI_OUTER) >> 1]!;
  const tx0 = u32[(so + OFF_TX_OFFLOAD) >> 2]!;
  const tx1 = u32[(so + OFF_TX_OFFLOAD_HI) >> 2]!;
  const h0 = u32[(so + OFF_HASH) >> 2]!;
  const h1 = u32[(so + OFF_HASH_HI) >> 2]!;
  const ptype = u32[(so + OFF_PACKET_TYPE) >> 2]!;
  for (let i = 0; i < DYN_WORDS; i++) dynWords[i] = u32[((so + OFF_DYNFIELD1) >> 2) + i]!;
  const d = k.at(dst);
  k.u16[(d + OFF_PORT) >> 1] = port;
  k.u16[(d + OFF_VLAN_TCI) >> 1] = vlan;
  k.u16[(d + OFF_VLAN_TCI_OUTER) >> 1] = vlanOuter;
  k.u32[(d + OFF_TX_OFFLOAD) >> 2] = tx0;
  k.u32[(d + OFF_TX_OFFLOAD_HI) >> 2] = tx1;
  k.u32[(d + OFF_HASH) >> 2] = h0;
  k.u32[(d + OFF_HASH_HI) >> 2] = h1;
  k.u32[(d + OFF_PACKET_TYPE) >> 2] = ptype;
  k.u32.set(dynWords, (d + OFF_DYNFIELD1) >> 2);
}

/** Indirect mbufs: {@link MbufExtbuf} and rte_pktmbuf_attach / rte_pktmbuf_detach. */
export class MbufIndirect extends MbufExtbuf {
  // The direct mbuf whose buffer indirect mbuf `mi` uses. @see rte_mbuf_from_indirect
  #fromIndirect(mi: number): number {
    return this.bufAddr(mi) - MBUF_HEADER_SIZE - this.privSize(mi);
  }

  /**
   * Makes `mi` (direct, refcnt 1) an indirect mbuf sharing `m`'s data: the
   * buffer's owner (or the external buffer's shared info) gains a reference.
   * Throws EINVAL, nothing changed, unless both are mbufs of live pools and
   * `mi` is direct with refcnt 1.
   * @see rte_pktmbuf_attach
   */
  attach(mi: number, m: number): void {
    const c = this.core;
    const k = c.k;
    if (!this.isDirect(mi) || this.refcnt(mi) !== 1) throw new RteError('EINVAL', `attach: mbuf ${hex(mi)} must be direct with refcnt 1`);
    // Both must be mbufs of live pools before a reference count moves.
    c.mempool(this.pool(mi));
    c.mempool(this.pool(m));
    let o = k.at(m);
    const lo = k.u32[(o + OFF_OL_FLAGS) >> 2]!;
    let hi = k.u32[(o + OFF_OL_FLAGS_HI) >> 2]!;
    let priv: number;
    let shinfo = 0;
    if ((hi & F_HI_EXTERNAL) !== 0) {
      shinfo = k.f64[(o + OFF_SHINFO) >> 3]!;
      shinfoRefAdd(c.b, shinfo, 1);
      priv = this.privSize(mi);
    } else {
      const owner = (hi & F_HI_INDIRECT) !== 0 ? this.#fromIndirect(m) : m;
      this.refcntUpdate(owner, 1);
      priv = this.privSize(m);
      hi |= F_HI_INDIRECT;
    }
    copyHdr(c, mi, m);
    o = k.at(m);
    const dataOff = k.u16[(o + OFF_DATA_OFF) >> 1]!;
    const dataLen = k.u16[(o + OFF_DATA_LEN) >> 1]!;
    const io0 = k.u32[(o + OFF_BUF_IOVA) >> 2]!;
    const io1 = k.u32[(o + OFF_BUF_IOVA_HI) >> 2]!;
    const buf = k.f64[(o + OFF_BUF_ADDR) >> 3]!;
    const bufLen = k.u16[(o + OFF_BUF_LEN) >> 1]!;
    const d = k.at(mi);
    k.u32[(d + OFF_OL_FLAGS) >> 2] = lo;
    k.u32[(d + OFF_OL_FLAGS_HI) >> 2] = hi;
    k.f64[(d + OFF_SHINFO) >> 3] = shinfo;
    k.u16[(d + OFF_PRIV_SIZE) >> 1] = priv;
    k.u16[(d + OFF_DATA_OFF) >> 1] = dataOff;
    k.u16[(d + OFF_DATA_LEN) >> 1] = dataLen;
    k.u32[(d + OFF_BUF_IOVA) >> 2] = io0;
    k.u32[(d + OFF_BUF_IOVA_HI) >> 2] = io1;
    k.f64[(d + OFF_BUF_ADDR) >> 3] = buf;
    k.u16[(d + OFF_BUF_LEN) >> 1] = bufLen;
    k.f64[(d + OFF_NEXT) >> 3] = 0;
    k.u32[(d + OFF_PKT_LEN) >> 2] = dataLen;
    k.u16[(d + OFF_NB_SEGS) >> 1] = 1;
  }

  /**
   * The last reference to the pinned buffer of `owner` is gone (a clone let
   * go after the owner was freed): the owner goes back to its pool, as
   * a free would have left it. @see rte_pktmbuf_free_pinned_extmem
   * @internal
   */
  protected putPinned(owner: number, shinfo: number): void {
    const c = this.core;
    const k = c.k;
    shinfoRefAdd(c.b, shinfo, 1);
    const o = k.at(owner);
    k.u32[(o + OFF_OL_FLAGS) >> 2] = 0;
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = F_HI_EXTERNAL;
    k.f64[(o + OFF_NEXT) >> 3] = 0;
    k.u16[(o + OFF_NB_SEGS) >> 1] = 1;
    Atomics.store(k.u16, (o + OFF_REFCNT) >> 1, 1);
    c.mempool(k.f64[(o + OFF_POOL) >> 3]!).put(owner);
  }

  /**
   * Gives an indirect or external mbuf its own buffer back: drops its
   * reference on the shared data (freeing the owner, or calling the
   * external buffer's free callback, on the last one). A failing callback's
   * error is thrown once the mbuf is consistent again.
   * @see rte_pktmbuf_detach
   */
  detach(m: number): void {
    const c = this.core;
    const k = c.k;
    let o = k.at(m);
    const hi = k.u32[(o + OFF_OL_FLAGS_HI) >> 2]!;
    let failed: RteError | null = null;
    if ((hi & F_HI_EXTERNAL) !== 0) {
      // A pinned buffer stays with its mbuf (DPDK: detach returns).
      if (this.hasPinnedExtbuf(m)) return;
      o = k.at(m);
      const shinfo = k.f64[(o + OFF_SHINFO) >> 3]!;
      const buf = k.f64[(o + OFF_BUF_ADDR) >> 3]!;
      // The mbuf gets its own buffer back even when the callback fails.
      if (shinfoRefAdd(c.b, shinfo, -1) === 0) {
        const owner = pinnedOwner(c.b, shinfo);
        if (owner !== 0) this.putPinned(owner, shinfo);
        else failed = runFreeCb(c.b, shinfo, buf);
      }
    } else if ((hi & F_HI_INDIRECT) !== 0) {
      const md = this.#fromIndirect(m);
      if (this.refcntUpdate(md, -1) === 0) {
        const mo = k.at(md);
        k.f64[(mo + OFF_NEXT) >> 3] = 0;
        k.u16[(mo + OFF_NB_SEGS) >> 1] = 1;
        Atomics.store(k.u16, (mo + OFF_REFCNT) >> 1, 1);
        c.mempool(k.f64[(mo + OFF_POOL) >> 3]!).put(md);
      }
    } else {
      return;
    }
    o = k.at(m);
    const mp = c.mempool(k.f64[(o + OFF_POOL) >> 3]!);
    const pktPool = PktmbufPool.fromMempool(mp)!;
    const priv = pktPool.privSize;
    const mbufSize = MBUF_HEADER_SIZE + priv;
    const iova = mp.virt2iova(m);
    // The buffer's IOVA: the mbuf's own plus the header and private area (unknown stays unknown).
    const words = c.iova;
    iovaToWords(iova < 0n ? BAD_IOVA : iova + BigInt(mbufSize), words);
    o = k.at(m);
    k.u16[(o + OFF_PRIV_SIZE) >> 1] = priv;
    k.f64[(o + OFF_BUF_ADDR) >> 3] = m + mbufSize;
    k.u32[(o + OFF_BUF_IOVA) >> 2] = words[0]!;
    k.u32[(o + OFF_BUF_IOVA_HI) >> 2] = words[1]!;
    k.u16[(o + OFF_BUF_LEN) >> 1] = pktPool.dataRoomSize;
    k.u16[(o + OFF_DATA_OFF) >> 1] = Math.min(PKTMBUF_HEADROOM, pktPool.dataRoomSize);
    k.u16[(o + OFF_DATA_LEN) >> 1] = 0;
    k.u32[(o + OFF_OL_FLAGS) >> 2] = 0;
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = 0;
    k.f64[(o + OFF_SHINFO) >> 3] = 0;
    if (failed !== null) throw failed;
  }
}
