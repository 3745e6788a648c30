/**
 * Functions on mbufs, by address: fields, data, chains, clones, external
 * buffers, copies, checks. No per-packet JS objects: every accessor reads
 * the list's cached typed arrays at the mbuf's offset.
 *
 * @see lib/mbuf/rte_mbuf.h, rte_mbuf.c in DPDK
 */
import { type Eal, EOVERFLOW, Mempool, type MemsegListMap, RteError } from '@rtemem/mempool';
import { DynRegistry } from './dyn.js';
import {
  DYNFIELD1_BYTES,
  F_HI_EXTERNAL,
  F_HI_INDIRECT,
  MBUF_HEADER_SIZE,
  MBUF_MAX_NB_SEGS,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
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
  OFF_TX_OFFLOAD,
  OFF_VLAN_TCI,
  OFF_VLAN_TCI_OUTER,
  PKTMBUF_HEADROOM,
  SHINFO_BYTES,
  SHINFO_CB,
  SHINFO_OPAQUE,
  SHINFO_REFCNT,
  SPAN,
  SPAN_MASK,
  SPAN_SHIFT,
} from './layout.js';
import { PktmbufPool, resetAt } from './pool.js';

/** Field offsets of an mbuf (DPDK 22.11, x86_64). */
export const MBUF_FIELD = {
  bufAddr: 0,
  bufIova: 8,
  dataOff: 16,
  refcnt: 18,
  nbSegs: 20,
  port: 22,
  olFlags: 24,
  packetType: 32,
  pktLen: 36,
  dataLen: 40,
  vlanTci: 42,
  hash: 44,
  vlanTciOuter: 52,
  bufLen: 54,
  pool: 56,
  next: 64,
  txOffload: 72,
  shinfo: 80,
  privSize: 88,
  timesync: 90,
  dynfield1: 92,
} as const;

type FreeCb = (addr: number, opaque: number) => void;
/** External-buffer free callbacks of this thread, by id (ids are unique in the EAL). */
const callbacks = new Map<number, FreeCb>();

const facades = new WeakMap<Eal, Mbuf>();
const IOVA_UNKNOWN = 0xffffffff;
/** freeBulk batches up to this many mbufs per putBulk. */
const PENDING = 64;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * Mbuf functions for one EAL handle.
 *
 * @example
 * ```ts
 * import { Eal, Mbuf, PktmbufPool } from '@rtemem/mbuf';
 * const eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
 * const pool = PktmbufPool.create(eal, 'p', 1024);
 * const mb = Mbuf.of(eal);
 * const m = pool.alloc();
 * mb.append(m, 4);
 * mb.write(m, 0, Uint8Array.of(1, 2, 3, 4));   // 0
 * mb.pktLen(m) === 4;
 * mb.free(m);
 * eal.cleanup();
 * ```
 * @see rte_mbuf
 */
export class Mbuf {
  readonly eal: Eal;
  readonly #lists: (MemsegListMap | undefined)[] = [];
  /* The current mbuf's list views, set by #at(). */
  #u8!: Uint8Array;
  #u16!: Uint16Array;
  #u32!: Uint32Array;
  #f64!: Float64Array;
  #li = -1;
  /** Highest offset of an mbuf header in the current list. */
  #lim = -1;
  #lastPoolAddr = -1;
  #lastPool: Mempool | null = null;
  #dyn: DynRegistry | null = null;
  /** freeBulk: objects waiting for a putBulk to one pool. */
  readonly #pending = new Float64Array(PENDING);
  #pendingN = 0;
  #pendingPool = 0;
  /** A free callback's error, thrown once the free in progress is done. */
  #deferred: unknown = null;

  private constructor(eal: Eal) {
    this.eal = eal;
    for (const d of eal.listDescriptors()) this.#lists[d.index] = eal.list(d.index);
  }

  /** The facade of an EAL handle (one per handle). @see rte_mbuf */
  static of(eal: Eal): Mbuf {
    let m = facades.get(eal);
    if (m === undefined) {
      m = new Mbuf(eal);
      facades.set(eal, m);
    }
    return m;
  }

  // Points the views at m's list; returns m's offset in it. Addresses below
  // 2^32 in the current list take integer ops only (float division and the
  // float-to-int conversions of offsets cost more than the field access).
  #at(m: number): number {
    const mu = m >>> 0;
    return mu === m && mu >>> SPAN_SHIFT === this.#li && (mu & SPAN_MASK) <= this.#lim ? mu & SPAN_MASK : this.#seek(m);
  }

  // #at for another list, or an address of 2^32 and above.
  #seek(m: number): number {
    if (!Number.isInteger(m) || !(m > 0)) throw new RteError('EINVAL', `${String(m)} is not an mbuf address of this EAL`);
    const li = Math.floor(m / SPAN);
    if (li !== this.#li) this.#switch(li, m);
    const o = m - li * SPAN;
    if (o > this.#lim) throw new RteError('EINVAL', `${hex(m)} is not an mbuf address of this EAL: it lies past the end of memseg list ${li}`);
    return o;
  }

  #switch(li: number, m: number): void {
    let l = this.#lists[li];
    if (l === undefined) {
      l = this.eal.list(li);
      if (l === undefined || typeof m !== 'number' || !(m > 0)) {
        throw new RteError('EINVAL', `${String(m)} is not an mbuf address of this EAL`);
      }
      this.#lists[li] = l;
    }
    this.#li = li;
    this.#lim = l.u8.byteLength - MBUF_HEADER_SIZE;
    this.#u8 = l.u8;
    this.#u16 = l.u16;
    this.#u32 = l.u32;
    this.#f64 = l.f64;
  }

  #mempool(poolAddr: number): Mempool {
    if (poolAddr === this.#lastPoolAddr && this.#lastPool !== null) return this.#lastPool;
    const mp = Mempool.atAddress(this.eal, poolAddr);
    if (mp === null) throw new RteError('EINVAL', `mbuf pool ${hex(poolAddr)} is not a live mempool (bad mbuf pool)`);
    this.#lastPoolAddr = poolAddr;
    this.#lastPool = mp;
    return mp;
  }

  /* ------------------------------------------------------------------ *
   * Fields
   * ------------------------------------------------------------------ */

  /** @see rte_pktmbuf_data_len */
  dataLen(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_DATA_LEN) >> 1]!;
  }
  /** @see rte_pktmbuf_pkt_len */
  pktLen(m: number): number {
    const o = this.#at(m);
    return this.#u32[(o + OFF_PKT_LEN) >> 2]!;
  }
  dataOff(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_DATA_OFF) >> 1]!;
  }
  /** @see rte_pktmbuf_headroom */
  headroom(m: number): number {
    return this.dataOff(m);
  }
  /** @see rte_pktmbuf_tailroom */
  tailroom(m: number): number {
    const o = this.#at(m);
    const u16 = this.#u16;
    return u16[(o + OFF_BUF_LEN) >> 1]! - u16[(o + OFF_DATA_OFF) >> 1]! - u16[(o + OFF_DATA_LEN) >> 1]!;
  }
  bufLen(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_BUF_LEN) >> 1]!;
  }
  /** @see rte_mbuf_refcnt_read */
  refcnt(m: number): number {
    const o = this.#at(m);
    return Atomics.load(this.#u16, (o + OFF_REFCNT) >> 1);
  }
  nbSegs(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_NB_SEGS) >> 1]!;
  }
  /** The next segment, 0 for the last. */
  next(m: number): number {
    const o = this.#at(m);
    return this.#f64[(o + OFF_NEXT) >> 3]!;
  }
  port(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_PORT) >> 1]!;
  }
  setPort(m: number, v: number): void {
    const o = this.#at(m);
    this.#u16[(o + OFF_PORT) >> 1] = v;
  }
  packetType(m: number): number {
    const o = this.#at(m);
    return this.#u32[(o + OFF_PACKET_TYPE) >> 2]!;
  }
  setPacketType(m: number, v: number): void {
    const o = this.#at(m);
    this.#u32[(o + OFF_PACKET_TYPE) >> 2] = v;
  }
  vlanTci(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_VLAN_TCI) >> 1]!;
  }
  setVlanTci(m: number, v: number): void {
    const o = this.#at(m);
    this.#u16[(o + OFF_VLAN_TCI) >> 1] = v;
  }
  /** RSS hash (low 32 bits of the hash union). */
  hash(m: number): number {
    const o = this.#at(m);
    return this.#u32[(o + OFF_HASH) >> 2]!;
  }
  setHash(m: number, v: number): void {
    const o = this.#at(m);
    this.#u32[(o + OFF_HASH) >> 2] = v;
  }
  privSize(m: number): number {
    const o = this.#at(m);
    return this.#u16[(o + OFF_PRIV_SIZE) >> 1]!;
  }
  /** Address of the mempool header the mbuf belongs to. */
  pool(m: number): number {
    const o = this.#at(m);
    return this.#f64[(o + OFF_POOL) >> 3]!;
  }
  /** Address of the buffer. */
  bufAddr(m: number): number {
    const o = this.#at(m);
    return this.#f64[(o + OFF_BUF_ADDR) >> 3]!;
  }
  /** Physical address of the buffer, -1n when unknown. */
  bufIova(m: number): bigint {
    const o = this.#at(m);
    const lo = this.#u32[(o + OFF_BUF_IOVA) >> 2]!;
    const hi = this.#u32[(o + OFF_BUF_IOVA + 4) >> 2]!;
    return lo === IOVA_UNKNOWN && hi === IOVA_UNKNOWN ? -1n : (BigInt(hi) << 32n) | BigInt(lo);
  }
  /** Offload flags (a bigint: allocates; see hasOlFlag for hot paths). */
  olFlags(m: number): bigint {
    const o = this.#at(m);
    return (BigInt(this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]!) << 32n) | BigInt(this.#u32[(o + OFF_OL_FLAGS) >> 2]!);
  }
  /** Bits 0..31 of ol_flags, as a number: olFlags without a bigint (no garbage). */
  olFlagsLo(m: number): number {
    return this.#u32[(this.#at(m) + OFF_OL_FLAGS) >> 2]!;
  }
  /** Bits 32..63 of ol_flags, as a number (bit 32 + k of ol_flags is bit k here). */
  olFlagsHi(m: number): number {
    return this.#u32[(this.#at(m) + OFF_OL_FLAGS_HI) >> 2]!;
  }
  setOlFlags(m: number, v: bigint): void {
    if (typeof v !== 'bigint') throw new RteError('EINVAL', `offload flags are a bigint (e.g. 1n << 22n), not ${typeof v}`);
    const o = this.#at(m);
    this.#u32[(o + OFF_OL_FLAGS) >> 2] = Number(BigInt.asUintN(32, v));
    this.#u32[(o + OFF_OL_FLAGS_HI) >> 2] = Number(BigInt.asUintN(32, v >> 32n));
  }
  /** True when offload flag `bit` (0..63) is set; no allocation. */
  hasOlFlag(m: number, bit: number): boolean {
    const o = this.#at(m);
    return bit < 32 ? ((this.#u32[(o + OFF_OL_FLAGS) >> 2]! >>> bit) & 1) === 1 : ((this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! >>> (bit - 32)) & 1) === 1;
  }
  /** Sets (or clears) offload flag `bit`; no allocation. */
  setOlFlag(m: number, bit: number, on = true): void {
    const o = this.#at(m);
    const w = (o + (bit < 32 ? OFF_OL_FLAGS : OFF_OL_FLAGS_HI)) >> 2;
    const mask = 1 << (bit & 31);
    this.#u32[w] = on ? this.#u32[w]! | mask : this.#u32[w]! & ~mask;
  }

  /** Address of the data plus `off`. @see rte_pktmbuf_mtod_offset */
  mtod(m: number, off = 0): number {
    const o = this.#at(m);
    return this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]! + off;
  }

  /** A view of this segment's data (allocates a view: for control paths). */
  data(m: number): Uint8Array {
    const o = this.#at(m);
    const a = this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]!;
    const len = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
    const li = (a / SPAN) | 0;
    const l = this.#lists[li] ?? this.eal.list(li);
    if (l === undefined) throw new RteError('EINVAL', `the buffer of mbuf ${hex(m)} is not mapped in this thread`);
    const off = a - li * SPAN;
    return l.u8.subarray(off, off + len);
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
    const o = this.#at(m);
    return this.#view(this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]!);
  }

  /** Index in {@link Mbuf.bufView}(m) of byte `off` of this segment's data. @see rte_pktmbuf_mtod_offset */
  dataIndex(m: number, off = 0): number {
    const o = this.#at(m);
    const a = this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]! + off;
    return a - Math.floor(a / SPAN) * SPAN;
  }

  /** True when the mbuf owns its buffer (not a clone, not external). @see RTE_MBUF_DIRECT */
  isDirect(m: number): boolean {
    const o = this.#at(m);
    return (this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & (F_HI_INDIRECT | F_HI_EXTERNAL)) === 0;
  }
  /** @see RTE_MBUF_CLONED */
  isIndirect(m: number): boolean {
    const o = this.#at(m);
    return (this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_INDIRECT) !== 0;
  }
  /** @see RTE_MBUF_HAS_EXTBUF */
  hasExtbuf(m: number): boolean {
    const o = this.#at(m);
    return (this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_EXTERNAL) !== 0;
  }

  /** Atomically adds `delta` to the reference count; returns the new value. @see rte_mbuf_refcnt_update */
  refcntUpdate(m: number, delta: number): number {
    const o = this.#at(m);
    return (Atomics.add(this.#u16, (o + OFF_REFCNT) >> 1, delta) + delta) & 0xffff;
  }
  /** @see rte_mbuf_refcnt_set */
  refcntSet(m: number, v: number): void {
    const o = this.#at(m);
    Atomics.store(this.#u16, (o + OFF_REFCNT) >> 1, v);
  }

  /** Resets the fields as a fresh allocation has them. @see rte_pktmbuf_reset */
  reset(m: number): void {
    const o = this.#at(m);
    resetAt(this.#u16, this.#u32, this.#f64, o);
  }

  /* ------------------------------------------------------------------ *
   * Data
   * ------------------------------------------------------------------ */

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
    const mu = m >>> 0;
    const o = mu === m && mu >>> SPAN_SHIFT === this.#li && (mu & SPAN_MASK) <= this.#lim ? mu & SPAN_MASK : this.#seek(m);
    const u16 = this.#u16;
    if (this.#f64[(o + OFF_NEXT) >> 3] !== 0) return this.#appendChain(m, len);
    const dataLen = u16[(o + OFF_DATA_LEN) >> 1]!;
    const dataOff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if ((len >>> 0) !== len || len > u16[(o + OFF_BUF_LEN) >> 1]! - dataOff - dataLen) return 0;
    u16[(o + OFF_DATA_LEN) >> 1] = dataLen + len;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = this.#u32[(o + OFF_PKT_LEN) >> 2]! + len;
    return this.#f64[(o + OFF_BUF_ADDR) >> 3]! + dataOff + dataLen;
  }

  #appendChain(m: number, len: number): number {
    const last = this.lastseg(m);
    const o = this.#at(last);
    const u16 = this.#u16;
    const dataLen = u16[(o + OFF_DATA_LEN) >> 1]!;
    const dataOff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if ((len >>> 0) !== len || len > u16[(o + OFF_BUF_LEN) >> 1]! - dataOff - dataLen) return 0;
    const tail = this.#f64[(o + OFF_BUF_ADDR) >> 3]! + dataOff + dataLen;
    u16[(o + OFF_DATA_LEN) >> 1] = dataLen + len;
    const oh = this.#at(m);
    this.#u32[(oh + OFF_PKT_LEN) >> 2] = this.#u32[(oh + OFF_PKT_LEN) >> 2]! + len;
    return tail;
  }

  /** Adds `len` bytes in front of the first segment: the new data address, or 0 (unchanged). @see rte_pktmbuf_prepend */
  prepend(m: number, len: number): number {
    const o = this.#at(m);
    const u16 = this.#u16;
    const dataOff = u16[(o + OFF_DATA_OFF) >> 1]!;
    if ((len >>> 0) !== len || len > dataOff) return 0;
    u16[(o + OFF_DATA_OFF) >> 1] = dataOff - len;
    u16[(o + OFF_DATA_LEN) >> 1] = u16[(o + OFF_DATA_LEN) >> 1]! + len;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = this.#u32[(o + OFF_PKT_LEN) >> 2]! + len;
    return this.#f64[(o + OFF_BUF_ADDR) >> 3]! + dataOff - len;
  }

  /** Removes `len` bytes from the start of the first segment: the new data address, or 0 (unchanged). @see rte_pktmbuf_adj */
  adj(m: number, len: number): number {
    const o = this.#at(m);
    const u16 = this.#u16;
    const dataLen = u16[(o + OFF_DATA_LEN) >> 1]!;
    if ((len >>> 0) !== len || len > dataLen) return 0;
    const dataOff = u16[(o + OFF_DATA_OFF) >> 1]! + len;
    u16[(o + OFF_DATA_LEN) >> 1] = dataLen - len;
    u16[(o + OFF_DATA_OFF) >> 1] = dataOff;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = this.#u32[(o + OFF_PKT_LEN) >> 2]! - len;
    return this.#f64[(o + OFF_BUF_ADDR) >> 3]! + dataOff;
  }

  /** Removes `len` bytes from the end of the last segment: 0, or -1 (unchanged). @see rte_pktmbuf_trim */
  trim(m: number, len: number): number {
    const last = this.lastseg(m);
    const o = this.#at(last);
    const dataLen = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
    if ((len >>> 0) !== len || len > dataLen) return -1;
    this.#u16[(o + OFF_DATA_LEN) >> 1] = dataLen - len;
    const oh = this.#at(m);
    this.#u32[(oh + OFF_PKT_LEN) >> 2] = this.#u32[(oh + OFF_PKT_LEN) >> 2]! - len;
    return 0;
  }

  /** Chains `tail` after `head`: 0, or -EOVERFLOW past 65535 segments. @see rte_pktmbuf_chain */
  chain(head: number, tail: number): number {
    const hs = this.nbSegs(head);
    const ts = this.nbSegs(tail);
    // Every mbuf has a segment: memory that says 0 is no mbuf, and chaining it would break the head.
    if (hs === 0 || ts === 0) throw new RteError('EINVAL', `chain: ${hex(hs === 0 ? head : tail)} is not an mbuf (nb_segs 0)`);
    // Checked before anything is written: both must belong to a live pool.
    this.#mempool(this.pool(head));
    this.#mempool(this.pool(tail));
    if (hs + ts > MBUF_MAX_NB_SEGS) return -EOVERFLOW;
    const last = this.lastseg(head);
    let o = this.#at(last);
    this.#f64[(o + OFF_NEXT) >> 3] = tail;
    o = this.#at(tail);
    const tailPkt = this.#u32[(o + OFF_PKT_LEN) >> 2]!;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
    o = this.#at(head);
    this.#u16[(o + OFF_NB_SEGS) >> 1] = hs + ts;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = this.#u32[(o + OFF_PKT_LEN) >> 2]! + tailPkt;
    return 0;
  }

  // Copies `len` bytes between an rtemem address and a JS array.
  #bytes(addr: number, size = 1): { u8: Uint8Array; off: number } {
    if (typeof addr !== 'number' || !Number.isInteger(addr) || !(addr > 0)) throw new RteError('EINVAL', `${String(addr)} is not an address of this EAL`);
    const li = Math.floor(addr / SPAN);
    const l = this.#lists[li] ?? this.eal.list(li);
    if (l === undefined) throw new RteError('EINVAL', `address ${hex(addr)} is not mapped in this thread`);
    this.#lists[li] = l;
    const off = addr - li * SPAN;
    if (off + size > l.u8.byteLength) throw new RteError('EINVAL', `address ${hex(addr)} lies past the end of memseg list ${li}`);
    return { u8: l.u8, off };
  }

  // The list bytes holding `addr` (checked like #bytes); its offset there
  // goes to #viewOff. No allocation: for the data paths.
  #viewOff = 0;
  #view(addr: number): Uint8Array {
    const li = Math.floor(addr / SPAN);
    const l = this.#lists[li] ?? this.eal.list(li);
    if (l === undefined || !(addr > 0)) throw new RteError('EINVAL', `address ${hex(addr)} is not mapped in this thread`);
    this.#lists[li] = l;
    this.#viewOff = addr - li * SPAN;
    return l.u8;
  }

  // The bytes of external shared info: 8-byte aligned, as extbufInitShinfo makes it.
  #shinfoBytes(shinfo: number): { u8: Uint8Array; off: number } {
    if (typeof shinfo === 'number' && shinfo % 8 !== 0) throw new RteError('EINVAL', `${hex(shinfo)} is not external shared info: extbufInitShinfo returns an 8-byte aligned address`);
    return this.#bytes(shinfo, SHINFO_BYTES);
  }

  /**
   * Writes `src` at byte `off` of the packet, across segments: 0, or -1
   * (nothing written) when it does not fit in pkt_len. No allocation when
   * the bytes lie in one segment of the first segment's list.
   */
  write(m: number, off: number, src: Uint8Array): number {
    // Kept small so V8 inlines it: bytes inside the first segment, whose
    // buffer is in the mbuf's own list; else the general path.
    const mu = m >>> 0;
    const o = mu === m && mu >>> SPAN_SHIFT === this.#li && (mu & SPAN_MASK) <= this.#lim ? mu & SPAN_MASK : this.#seek(m);
    const len = src.length;
    if ((off >>> 0) === off && off + len <= this.#u16[(o + OFF_DATA_LEN) >> 1]!) {
      // The buffer's offset in the mbuf's list (outside it: the general path).
      const at = o + (this.#f64[(o + OFF_BUF_ADDR) >> 3]! - m) + this.#u16[(o + OFF_DATA_OFF) >> 1]! + off;
      if (at >= 0 && at + len <= this.#u8.length) {
        this.#u8.set(src, at);
        return 0;
      }
    }
    return this.#writeSlow(m, off, src);
  }

  #writeSlow(m: number, off: number, src: Uint8Array): number {
    const len = src.length;
    let o = this.#at(m);
    if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > this.#u32[(o + OFF_PKT_LEN) >> 2]!) return -1;
    if (len === 0) return 0;
    let seg = m;
    let skip = off;
    for (;;) {
      const dl = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
      if (skip < dl) break;
      skip -= dl;
      seg = this.#f64[(o + OFF_NEXT) >> 3]!;
      o = this.#at(seg);
    }
    const dl = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
    const data = this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]!;
    if (skip + len <= dl && ((data / SPAN) | 0) === this.#li) {
      this.#u8.set(src, data - this.#li * SPAN + skip);
      return 0;
    }
    // Across segments.
    let done = 0;
    while (done < len) {
      const o2 = this.#at(seg);
      const segLen = this.#u16[(o2 + OFF_DATA_LEN) >> 1]!;
      const base = this.#f64[(o2 + OFF_BUF_ADDR) >> 3]! + this.#u16[(o2 + OFF_DATA_OFF) >> 1]! + skip;
      const n = Math.min(segLen - skip, len - done);
      const u8 = this.#view(base);
      const bo = this.#viewOff;
      for (let i = 0; i < n; i++) u8[bo + i] = src[done + i]!;
      done += n;
      skip = 0;
      seg = this.#f64[(this.#at(seg) + OFF_NEXT) >> 3]!;
    }
    return 0;
  }

  /**
   * `len` bytes of the packet from byte `off`: a view into the segment when
   * they lie in one, else a copy into `scratch` (or a new array when none is
   * given). null when they do not fit in pkt_len. @see rte_pktmbuf_read
   */
  read(m: number, off: number, len: number, scratch?: Uint8Array): Uint8Array | null {
    let o = this.#at(m);
    if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > this.#u32[(o + OFF_PKT_LEN) >> 2]!) return null;
    let seg = m;
    let skip = off;
    while (skip >= this.#u16[(o + OFF_DATA_LEN) >> 1]! && this.#f64[(o + OFF_NEXT) >> 3]! !== 0) {
      skip -= this.#u16[(o + OFF_DATA_LEN) >> 1]!;
      seg = this.#f64[(o + OFF_NEXT) >> 3]!;
      o = this.#at(seg);
    }
    const first = this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]! + skip;
    if (skip + len <= this.#u16[(o + OFF_DATA_LEN) >> 1]!) {
      const { u8, off: bo } = this.#bytes(first);
      return u8.subarray(bo, bo + len);
    }
    const out = scratch !== undefined && scratch.length >= len ? scratch : new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const o2 = this.#at(seg);
      const segLen = this.#u16[(o2 + OFF_DATA_LEN) >> 1]!;
      const base = this.#f64[(o2 + OFF_BUF_ADDR) >> 3]! + this.#u16[(o2 + OFF_DATA_OFF) >> 1]! + skip;
      const n = Math.min(segLen - skip, len - done);
      const { u8, off: bo } = this.#bytes(base);
      out.set(u8.subarray(bo, bo + n), done);
      done += n;
      skip = 0;
      seg = this.#f64[(this.#at(seg) + OFF_NEXT) >> 3]!;
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
    let o = this.#at(m);
    if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > this.#u32[(o + OFF_PKT_LEN) >> 2]!) return -1;
    if (!(dst instanceof Uint8Array) || dst.length < len) {
      throw new RteError('EINVAL', `readInto: dst must be a Uint8Array of at least ${len} bytes, not ${dst instanceof Uint8Array ? `one of ${dst.length}` : typeof dst}`);
    }
    let seg = m;
    let skip = off;
    let done = 0;
    while (done < len) {
      const segLen = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
      if (skip < segLen) {
        const u8 = this.#view(this.#f64[(o + OFF_BUF_ADDR) >> 3]! + this.#u16[(o + OFF_DATA_OFF) >> 1]! + skip);
        const at = this.#viewOff;
        const n = Math.min(segLen - skip, len - done);
        for (let i = 0; i < n; i++) dst[done + i] = u8[at + i]!;
        done += n;
        skip = 0;
      } else {
        skip -= segLen;
      }
      if (done < len) {
        seg = this.#f64[(o + OFF_NEXT) >> 3]!;
        o = this.#at(seg);
      }
    }
    return len;
  }

  /**
   * Moves the whole packet into its first segment and frees the others: 0,
   * or -1 (unchanged) when the first segment's tailroom is too small.
   * @see rte_pktmbuf_linearize
   */
  linearize(m: number): number {
    if (this.next(m) === 0) return 0;
    const copyLen = this.pktLen(m) - this.dataLen(m);
    if (copyLen > this.tailroom(m)) return -1;
    const { u8, off } = this.#bytes(this.mtod(m, this.dataLen(m)));
    let at = off;
    let seg = this.next(m);
    while (seg !== 0) {
      const nxt = this.next(seg);
      const len = this.dataLen(seg);
      const src = this.#bytes(this.mtod(seg));
      if (src.u8 === u8) u8.copyWithin(at, src.off, src.off + len);
      else u8.set(src.u8.subarray(src.off, src.off + len), at);
      at += len;
      this.freeSeg(seg);
      seg = nxt;
    }
    const o = this.#at(m);
    this.#u16[(o + OFF_DATA_LEN) >> 1] = this.#u32[(o + OFF_PKT_LEN) >> 2]!;
    this.#f64[(o + OFF_NEXT) >> 3] = 0;
    this.#u16[(o + OFF_NB_SEGS) >> 1] = 1;
    return 0;
  }

  /* ------------------------------------------------------------------ *
   * Freeing
   * ------------------------------------------------------------------ */

  // rte_pktmbuf_prefree_seg: the segment to give back to its pool, or 0
  // while other references remain.
  #prefree(m: number): number {
    let o = this.#at(m);
    const rc = (o + OFF_REFCNT) >> 1;
    if (this.#u16[rc] === 1) {
      if ((this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & (F_HI_INDIRECT | F_HI_EXTERNAL)) !== 0) {
        this.#detachDeferring(m);
        o = this.#at(m);
      }
    } else if (((Atomics.sub(this.#u16, rc, 1) - 1) & 0xffff) === 0) {
      if ((this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & (F_HI_INDIRECT | F_HI_EXTERNAL)) !== 0) {
        this.#detachDeferring(m);
        o = this.#at(m);
      }
      Atomics.store(this.#u16, rc, 1);
    } else {
      return 0;
    }
    this.#f64[(o + OFF_NEXT) >> 3] = 0;
    this.#u16[(o + OFF_NB_SEGS) >> 1] = 1;
    return m;
  }

  // detach() that keeps a failing external free callback's error for the
  // end of the free, so every segment still goes back to its pool.
  #detachDeferring(m: number): void {
    try {
      this.detach(m);
    } catch (e) {
      this.#deferred ??= e;
    }
  }

  #throwDeferred(): void {
    const e = this.#deferred;
    if (e !== null) {
      this.#deferred = null;
      throw e;
    }
  }

  /** Frees one segment (not the rest of its chain). @see rte_pktmbuf_free_seg */
  freeSeg(m: number): void {
    if (this.#prefree(m) !== 0) {
      const o = this.#at(m);
      this.#mempool(this.#f64[(o + OFF_POOL) >> 3]!).put(m);
    }
    this.#throwDeferred();
  }

  /** Frees a whole chain (free(0) does nothing). @see rte_pktmbuf_free */
  free(m: number): void {
    // Kept small so V8 inlines it: one direct segment nobody else references.
    const mu = m >>> 0;
    let o: number;
    if (mu === m && mu >>> SPAN_SHIFT === this.#li && (mu & SPAN_MASK) <= this.#lim) o = mu & SPAN_MASK;
    else if (m === 0) return;
    else o = this.#seek(m);
    const pool = this.#f64[(o + OFF_POOL) >> 3]!;
    if (this.#f64[(o + OFF_NEXT) >> 3] === 0 && this.#u16[(o + OFF_REFCNT) >> 1] === 1 && (this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & (F_HI_INDIRECT | F_HI_EXTERNAL)) === 0 && pool === this.#lastPoolAddr) {
      this.#u16[(o + OFF_NB_SEGS) >> 1] = 1;
      this.#lastPool!.put(m);
      return;
    }
    this.#freeChain(m);
  }

  #freeChain(m: number): void {
    while (m !== 0) {
      const o = this.#at(m);
      const next = this.#f64[(o + OFF_NEXT) >> 3]!;
      if (this.#prefree(m) !== 0) this.#mempool(this.#f64[(this.#at(m) + OFF_POOL) >> 3]!).put(m);
      m = next;
    }
    this.#throwDeferred();
  }

  /**
   * Frees `n` chains, batching the puts per pool. An address that is not an
   * mbuf throws EINVAL once the mbufs before it are freed (those after it
   * are left as they are). @see rte_pktmbuf_free_bulk
   */
  freeBulk(ms: ArrayLike<number>, n: number = ms.length): void {
    let li = this.#li;
    let lim = this.#lim;
    let u16 = this.#u16;
    let u32 = this.#u32;
    let f64 = this.#f64;
    const pending = this.#pending;
    let k = this.#pendingN;
    let pool = this.#pendingPool;
    let i = 0;
    try {
      for (; i < n; i++) {
        const m = ms[i]!;
        const mu = m >>> 0;
        let o: number;
        if (mu === m && mu >>> SPAN_SHIFT === li && (mu & SPAN_MASK) <= lim) {
          o = mu & SPAN_MASK;
        } else {
          if (m === 0) continue;
          this.#pendingN = k; // what is batched, should #seek throw
          o = this.#seek(m);
          li = this.#li;
          lim = this.#lim;
          u16 = this.#u16;
          u32 = this.#u32;
          f64 = this.#f64;
        }
        // Fast path: one direct segment nobody else references, of the pool
        // being batched.
        if (
          f64[(o + OFF_NEXT) >> 3] === 0 &&
          u16[(o + OFF_REFCNT) >> 1] === 1 &&
          (u32[(o + OFF_OL_FLAGS_HI) >> 2]! & (F_HI_INDIRECT | F_HI_EXTERNAL)) === 0 &&
          f64[(o + OFF_POOL) >> 3] === pool &&
          k < PENDING
        ) {
          pending[k++] = m;
        } else {
          this.#pendingN = k;
          this.#freeBulkChain(m);
          k = this.#pendingN;
          pool = this.#pendingPool;
          li = this.#li;
          lim = this.#lim;
          u16 = this.#u16;
          u32 = this.#u32;
          f64 = this.#f64;
        }
      }
    } catch (e) {
      // What was batched before the bad address (#pendingN, set before each
      // call that can throw) goes back to its pool.
      this.#flushPending(this.#pendingPool);
      if (e instanceof RteError) throw new RteError(e.code, `freeBulk: ms[${i}]: ${e.message} (ms[0..${i}) were freed, the rest not)`);
      throw e;
    }
    this.#pendingN = k;
    // The pool stays the batch's: the next call's first mbuf takes the fast path.
    this.#flushPending(this.#pendingPool);
    this.#throwDeferred();
  }

  #freeBulkChain(m: number): void {
    while (m !== 0) {
      const next = this.#f64[(this.#at(m) + OFF_NEXT) >> 3]!;
      if (this.#prefree(m) !== 0) {
        const pool = this.#f64[(this.#at(m) + OFF_POOL) >> 3]!;
        if (pool !== this.#pendingPool || this.#pendingN === PENDING) this.#flushPending(pool);
        this.#pending[this.#pendingN++] = m;
      }
      m = next;
    }
  }

  #flushPending(nextPool: number): void {
    // Emptied first: a put that throws must not leave the batch to be put again.
    const n = this.#pendingN;
    const poolAddr = this.#pendingPool;
    this.#pendingN = 0;
    this.#pendingPool = nextPool;
    if (n !== 0) this.#mempool(poolAddr).putBulk(this.#pending, n);
  }

  /* ------------------------------------------------------------------ *
   * Clones and external buffers
   * ------------------------------------------------------------------ */

  // Header fields a copy or a clone takes over. @see __rte_pktmbuf_copy_hdr
  #copyHdr(dst: number, src: number): void {
    const so = this.#at(src);
    const u16 = this.#u16;
    const u32 = this.#u32;
    const port = u16[(so + OFF_PORT) >> 1]!;
    const vlan = u16[(so + OFF_VLAN_TCI) >> 1]!;
    const vlanOuter = u16[(so + OFF_VLAN_TCI_OUTER) >> 1]!;
    const tx0 = u32[(so + OFF_TX_OFFLOAD) >> 2]!;
    const tx1 = u32[(so + OFF_TX_OFFLOAD + 4) >> 2]!;
    const h0 = u32[(so + OFF_HASH) >> 2]!;
    const h1 = u32[(so + OFF_HASH + 4) >> 2]!;
    const ptype = u32[(so + OFF_PACKET_TYPE) >> 2]!;
    const dyn = this.#u8.slice(so + OFF_DYNFIELD1, so + OFF_DYNFIELD1 + DYNFIELD1_BYTES);
    const d = this.#at(dst);
    this.#u16[(d + OFF_PORT) >> 1] = port;
    this.#u16[(d + OFF_VLAN_TCI) >> 1] = vlan;
    this.#u16[(d + OFF_VLAN_TCI_OUTER) >> 1] = vlanOuter;
    this.#u32[(d + OFF_TX_OFFLOAD) >> 2] = tx0;
    this.#u32[(d + OFF_TX_OFFLOAD + 4) >> 2] = tx1;
    this.#u32[(d + OFF_HASH) >> 2] = h0;
    this.#u32[(d + OFF_HASH + 4) >> 2] = h1;
    this.#u32[(d + OFF_PACKET_TYPE) >> 2] = ptype;
    this.#u8.set(dyn, d + OFF_DYNFIELD1);
  }

  // The direct mbuf whose buffer an indirect one uses. @see rte_mbuf_from_indirect
  #fromIndirect(mi: number): number {
    return this.bufAddr(mi) - MBUF_HEADER_SIZE - this.privSize(mi);
  }

  /**
   * Makes `mi` (direct, refcnt 1) an indirect mbuf sharing `m`'s data: the
   * buffer's owner (or the external buffer's shared info) gains a reference.
   * @see rte_pktmbuf_attach
   */
  attach(mi: number, m: number): void {
    if (!this.isDirect(mi) || this.refcnt(mi) !== 1) throw new RteError('EINVAL', `attach: mbuf ${hex(mi)} must be direct with refcnt 1`);
    // Both must be mbufs of live pools before a reference count moves.
    this.#mempool(this.pool(mi));
    this.#mempool(this.pool(m));
    let lo: number;
    let hi: number;
    let o = this.#at(m);
    lo = this.#u32[(o + OFF_OL_FLAGS) >> 2]!;
    hi = this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]!;
    let privSize: number;
    let shinfo = 0;
    if ((hi & F_HI_EXTERNAL) !== 0) {
      shinfo = this.#f64[(o + OFF_SHINFO) >> 3]!;
      this.#shinfoRefAdd(shinfo, 1);
      privSize = this.privSize(mi);
    } else {
      const owner = (hi & F_HI_INDIRECT) !== 0 ? this.#fromIndirect(m) : m;
      this.refcntUpdate(owner, 1);
      privSize = this.privSize(m);
      hi |= F_HI_INDIRECT;
    }
    this.#copyHdr(mi, m);
    o = this.#at(m);
    const dataOff = this.#u16[(o + OFF_DATA_OFF) >> 1]!;
    const dataLen = this.#u16[(o + OFF_DATA_LEN) >> 1]!;
    const io0 = this.#u32[(o + OFF_BUF_IOVA) >> 2]!;
    const io1 = this.#u32[(o + OFF_BUF_IOVA + 4) >> 2]!;
    const bufAddr = this.#f64[(o + OFF_BUF_ADDR) >> 3]!;
    const bufLen = this.#u16[(o + OFF_BUF_LEN) >> 1]!;
    const d = this.#at(mi);
    this.#u32[(d + OFF_OL_FLAGS) >> 2] = lo;
    this.#u32[(d + OFF_OL_FLAGS_HI) >> 2] = hi;
    this.#f64[(d + OFF_SHINFO) >> 3] = shinfo;
    this.#u16[(d + OFF_PRIV_SIZE) >> 1] = privSize;
    this.#u16[(d + OFF_DATA_OFF) >> 1] = dataOff;
    this.#u16[(d + OFF_DATA_LEN) >> 1] = dataLen;
    this.#u32[(d + OFF_BUF_IOVA) >> 2] = io0;
    this.#u32[(d + OFF_BUF_IOVA + 4) >> 2] = io1;
    this.#f64[(d + OFF_BUF_ADDR) >> 3] = bufAddr;
    this.#u16[(d + OFF_BUF_LEN) >> 1] = bufLen;
    this.#f64[(d + OFF_NEXT) >> 3] = 0;
    this.#u32[(d + OFF_PKT_LEN) >> 2] = dataLen;
    this.#u16[(d + OFF_NB_SEGS) >> 1] = 1;
  }

  /**
   * Gives an indirect or external mbuf its own buffer back: drops its
   * reference on the shared data (freeing the owner, or calling the
   * external buffer's free callback, on the last one). @see rte_pktmbuf_detach
   */
  detach(m: number): void {
    let o = this.#at(m);
    const hi = this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]!;
    let failed: RteError | null = null;
    if ((hi & F_HI_EXTERNAL) !== 0) {
      const shinfo = this.#f64[(o + OFF_SHINFO) >> 3]!;
      // The mbuf gets its own buffer back even when the callback fails.
      if (this.#shinfoRefAdd(shinfo, -1) === 0) failed = this.#runFreeCb(shinfo, this.#f64[(o + OFF_BUF_ADDR) >> 3]!);
    } else if ((hi & F_HI_INDIRECT) !== 0) {
      const md = this.#fromIndirect(m);
      if (this.refcntUpdate(md, -1) === 0) {
        const mo = this.#at(md);
        this.#f64[(mo + OFF_NEXT) >> 3] = 0;
        this.#u16[(mo + OFF_NB_SEGS) >> 1] = 1;
        Atomics.store(this.#u16, (mo + OFF_REFCNT) >> 1, 1);
        this.#mempool(this.#f64[(mo + OFF_POOL) >> 3]!).put(md);
      }
    } else {
      return;
    }
    o = this.#at(m);
    const mp = this.#mempool(this.#f64[(o + OFF_POOL) >> 3]!);
    const pool = PktmbufPool.fromMempool(mp)!;
    const priv = pool.privSize;
    const mbufSize = MBUF_HEADER_SIZE + priv;
    const iova = mp.virt2iova(m);
    o = this.#at(m);
    this.#u16[(o + OFF_PRIV_SIZE) >> 1] = priv;
    this.#f64[(o + OFF_BUF_ADDR) >> 3] = m + mbufSize;
    this.#u32[(o + OFF_BUF_IOVA) >> 2] = iova < 0n ? IOVA_UNKNOWN : Number((iova + BigInt(mbufSize)) & 0xffffffffn);
    this.#u32[(o + OFF_BUF_IOVA + 4) >> 2] = iova < 0n ? IOVA_UNKNOWN : Number((iova + BigInt(mbufSize)) >> 32n);
    this.#u16[(o + OFF_BUF_LEN) >> 1] = pool.dataRoomSize;
    this.#u16[(o + OFF_DATA_OFF) >> 1] = Math.min(PKTMBUF_HEADROOM, pool.dataRoomSize);
    this.#u16[(o + OFF_DATA_LEN) >> 1] = 0;
    this.#u32[(o + OFF_OL_FLAGS) >> 2] = 0;
    this.#u32[(o + OFF_OL_FLAGS_HI) >> 2] = 0;
    this.#f64[(o + OFF_SHINFO) >> 3] = 0;
    if (failed !== null) throw failed;
  }

  /**
   * Clones a packet: new indirect mbufs from `pool` sharing every segment's
   * data. Returns the clone, or 0 (nothing leaked) when the pool runs out.
   * @see rte_pktmbuf_clone
   */
  clone(m: number, pool: PktmbufPool): number {
    // m is checked before an mbuf is taken from the pool.
    if (this.nbSegs(m) === 0) throw new RteError('EINVAL', `clone: ${hex(m)} is not an mbuf (nb_segs 0)`);
    this.#mempool(this.pool(m));
    const mc = pool.alloc();
    if (mc === 0) return 0;
    let mi = mc;
    let prev = 0;
    let md = m;
    let nseg = 0;
    const pktLen = this.pktLen(m);
    for (;;) {
      this.attach(mi, md);
      if (prev !== 0) this.#f64[(this.#at(prev) + OFF_NEXT) >> 3] = mi;
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
    const o = this.#at(mc);
    this.#u16[(o + OFF_NB_SEGS) >> 1] = nseg;
    this.#u32[(o + OFF_PKT_LEN) >> 2] = pktLen;
    return mc;
  }

  /**
   * A deep copy of `len` bytes from byte `off` (direct mbufs from `pool`,
   * chained when one is not enough). 0 when off is past the data or the pool
   * runs out. @see rte_pktmbuf_copy
   */
  copy(m: number, pool: PktmbufPool, off = 0, len = 0xffffffff): number {
    // m is checked before an mbuf is taken from the pool.
    if (this.nbSegs(m) === 0) throw new RteError('EINVAL', `copy: ${hex(m)} is not an mbuf (nb_segs 0)`);
    this.#mempool(this.pool(m));
    const pkt = this.pktLen(m);
    if ((off >>> 0) !== off || (len >>> 0) !== len || off >= pkt) return 0;
    if (len > pkt - off) len = pkt - off;
    const mc = pool.alloc();
    if (mc === 0) return 0;
    this.#copyHdr(mc, m);
    let o = this.#at(m);
    const lo = this.#u32[(o + OFF_OL_FLAGS) >> 2]!;
    const hi = this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! & ~(F_HI_INDIRECT | F_HI_EXTERNAL);
    o = this.#at(mc);
    this.#u32[(o + OFF_OL_FLAGS) >> 2] = lo;
    this.#u32[(o + OFF_OL_FLAGS_HI) >> 2] = hi;
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
        const ho = this.#at(mc);
        this.#u16[(ho + OFF_NB_SEGS) >> 1] = this.#u16[(ho + OFF_NB_SEGS) >> 1]! + 1;
        this.#f64[(this.#at(last) + OFF_NEXT) >> 3] = seg;
        last = seg;
      }
      let n = Math.min(this.dataLen(src) - off, len);
      n = Math.min(n, this.tailroom(last));
      const from = this.#bytes(this.mtod(src, off));
      const to = this.#bytes(this.mtod(last, this.dataLen(last)));
      if (from.u8 === to.u8) to.u8.copyWithin(to.off, from.off, from.off + n);
      else to.u8.set(from.u8.subarray(from.off, from.off + n), to.off);
      const lo2 = this.#at(last);
      this.#u16[(lo2 + OFF_DATA_LEN) >> 1] = this.#u16[(lo2 + OFF_DATA_LEN) >> 1]! + n;
      const ho = this.#at(mc);
      this.#u32[(ho + OFF_PKT_LEN) >> 2] = this.#u32[(ho + OFF_PKT_LEN) >> 2]! + n;
      off += n;
      len -= n;
    }
    return mc;
  }

  #shinfoRefAdd(shinfo: number, delta: number): number {
    const { u8, off } = this.#shinfoBytes(shinfo);
    const u32 = new Uint32Array(u8.buffer, u8.byteOffset + off, SHINFO_BYTES >> 2);
    return (Atomics.add(u32, SHINFO_REFCNT >> 2, delta) + delta) >>> 0;
  }

  // Runs the free callback of an external buffer; the error to throw once
  // the mbuf is consistent again when it cannot.
  #runFreeCb(shinfo: number, bufAddr: number): RteError | null {
    const { u8, off } = this.#shinfoBytes(shinfo);
    const dv = new DataView(u8.buffer, u8.byteOffset + off, SHINFO_BYTES);
    const id = dv.getUint32(SHINFO_CB, true);
    const cb = callbacks.get(id);
    if (cb === undefined) {
      return new RteError(
        'ENOENT',
        `the free callback (id ${id}) of external buffer ${hex(bufAddr)} is not registered in this thread, so the buffer was not released: call mbuf.setExtbufCallback(${hex(shinfo)}, fn) in every thread that may free the last reference`,
      );
    }
    try {
      cb(bufAddr, dv.getFloat64(SHINFO_OPAQUE, true));
    } catch (e) {
      return new RteError('EINVAL', `the free callback of external buffer ${hex(bufAddr)} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    return null;
  }

  /**
   * Prepares shared info for an external buffer at its end: the buffer
   * loses SHINFO_BYTES (aligned down to 8). Returns `{ shinfo, bufLen }`
   * (the shortened length), or null when the buffer is too small. The free
   * callback runs once, in the thread that drops the last reference.
   * @see rte_pktmbuf_ext_shinfo_init_helper
   */
  extbufInitShinfo(bufAddr: number, bufLen: number, freeCb: (addr: number, opaque: number) => void, opaque: number): { shinfo: number; bufLen: number } | null {
    if (typeof freeCb !== 'function') throw new RteError('EINVAL', 'freeCb must be a function');
    const shinfo = Math.floor((bufAddr + bufLen - SHINFO_BYTES) / 8) * 8;
    if (!(shinfo > bufAddr)) return null;
    const { u8, off } = this.#shinfoBytes(shinfo);
    const dv = new DataView(u8.buffer, u8.byteOffset + off, SHINFO_BYTES);
    this.#dyn ??= new DynRegistry(this.eal);
    const id = this.#dyn.nextCallbackId();
    callbacks.set(id, freeCb);
    dv.setUint32(SHINFO_REFCNT, 1, true);
    dv.setUint32(SHINFO_CB, id, true);
    dv.setFloat64(SHINFO_OPAQUE, opaque, true);
    return { shinfo, bufLen: shinfo - bufAddr };
  }

  /** Registers, in this thread, the free callback of external buffer shared info `shinfo` (made in another thread). */
  setExtbufCallback(shinfo: number, fn: (addr: number, opaque: number) => void): void {
    const { u8, off } = this.#shinfoBytes(shinfo);
    callbacks.set(new DataView(u8.buffer, u8.byteOffset + off, SHINFO_BYTES).getUint32(SHINFO_CB, true), fn);
  }

  /** References held on external shared info. @see rte_mbuf_ext_refcnt_read */
  extRefcnt(shinfo: number): number {
    const { u8, off } = this.#shinfoBytes(shinfo);
    return Atomics.load(new Uint32Array(u8.buffer, u8.byteOffset + off, 1), 0);
  }

  /**
   * Attaches an external buffer to direct mbuf `m` (refcnt 1): its data is
   * now in [bufAddr, bufAddr+bufLen). @see rte_pktmbuf_attach_extbuf
   */
  attachExtbuf(m: number, bufAddr: number, bufIova: bigint, bufLen: number, shinfo: number): void {
    if (!this.isDirect(m) || this.refcnt(m) !== 1) throw new RteError('EINVAL', `attachExtbuf: mbuf ${hex(m)} must be direct with refcnt 1`);
    if (!Number.isInteger(bufLen) || bufLen < 0 || bufLen > 0xffff) throw new RteError('EINVAL', 'bufLen must be 0..65535');
    if (typeof bufIova !== 'bigint') throw new RteError('EINVAL', `bufIova must be a bigint (-1n when unknown), not ${typeof bufIova}`);
    // Both checked before the mbuf changes: it is left as it was when they are bad.
    this.#bytes(bufAddr, bufLen);
    this.#shinfoBytes(shinfo);
    const o = this.#at(m);
    this.#f64[(o + OFF_BUF_ADDR) >> 3] = bufAddr;
    this.#u32[(o + OFF_BUF_IOVA) >> 2] = bufIova < 0n ? IOVA_UNKNOWN : Number(bufIova & 0xffffffffn);
    this.#u32[(o + OFF_BUF_IOVA + 4) >> 2] = bufIova < 0n ? IOVA_UNKNOWN : Number(bufIova >> 32n);
    this.#u16[(o + OFF_BUF_LEN) >> 1] = bufLen;
    this.#u16[(o + OFF_DATA_LEN) >> 1] = 0;
    this.#u16[(o + OFF_DATA_OFF) >> 1] = 0;
    this.#u32[(o + OFF_OL_FLAGS_HI) >> 2] = this.#u32[(o + OFF_OL_FLAGS_HI) >> 2]! | F_HI_EXTERNAL;
    this.#f64[(o + OFF_SHINFO) >> 3] = shinfo;
  }

  /* ------------------------------------------------------------------ *
   * Checks and dumps
   * ------------------------------------------------------------------ */

  /** Why `m` is not a sane mbuf, or null. @see rte_mbuf_check */
  check(m: number, isHeader: boolean): string | null {
    if (typeof m !== 'number' || m === 0) return 'mbuf is NULL';
    let o: number;
    try {
      o = this.#at(m);
    } catch {
      return 'bad mbuf address';
    }
    if (Mempool.atAddress(this.eal, this.#f64[(o + OFF_POOL) >> 3]!) === null) return 'bad mbuf pool';
    o = this.#at(m);
    if (this.#f64[(o + OFF_BUF_ADDR) >> 3] === 0) return 'bad virt addr';
    const cnt = this.#u16[(o + OFF_REFCNT) >> 1]!;
    if (cnt === 0 || cnt === 0xffff) return 'bad ref cnt';
    if (!isHeader) return null;
    if (this.#u16[(o + OFF_DATA_LEN) >> 1]! > this.#u32[(o + OFF_PKT_LEN) >> 2]!) return 'bad data_len';
    let segs = this.#u16[(o + OFF_NB_SEGS) >> 1]!;
    let pkt = this.#u32[(o + OFF_PKT_LEN) >> 2]!;
    let cur = m;
    for (let guard = 0; cur !== 0 && guard <= 0x10000; guard++) {
      const so = this.#at(cur);
      const off = this.#u16[(so + OFF_DATA_OFF) >> 1]!;
      const len = this.#u16[(so + OFF_DATA_LEN) >> 1]!;
      const buf = this.#u16[(so + OFF_BUF_LEN) >> 1]!;
      if (off > buf) return 'data offset too big in mbuf segment';
      if (off + len > buf) return 'data length too big in mbuf segment';
      segs -= 1;
      pkt -= len;
      cur = this.#f64[(so + OFF_NEXT) >> 3]!;
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
      `dump mbuf at 0x${m.toString(16)}, iova=${iova < 0n ? 'BAD_IOVA' : `0x${iova.toString(16)}`}, buf_len=${this.bufLen(m)}`,
      `  pkt_len=${this.pktLen(m)}, ol_flags=0x${this.olFlags(m).toString(16)}, nb_segs=${this.nbSegs(m)}, port=${this.port(m)}, ptype=0x${this.packetType(m).toString(16)}`,
    ];
    let left = dumpLen;
    let segs = this.nbSegs(m);
    for (let cur = m; cur !== 0 && segs !== 0; cur = this.next(cur), segs--) {
      lines.push(`  segment at 0x${cur.toString(16)}, data=0x${this.mtod(cur).toString(16)}, len=${this.dataLen(cur)}, off=${this.dataOff(cur)}, refcnt=${this.refcnt(cur)}`);
      const len = Math.min(left, this.dataLen(cur));
      if (len > 0) {
        const bytes = this.data(cur).subarray(0, len);
        lines.push(`  dump data at [0x${this.mtod(cur).toString(16)}], len=${len}`);
        for (let i = 0; i < len; i += 16) {
          const row = bytes.subarray(i, Math.min(len, i + 16));
          const hexs = Array.from(row, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
          const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
          lines.push(`${i.toString(16).toUpperCase().padStart(8, '0')}: ${hexs.padEnd(47)} | ${ascii}`);
        }
      }
      left -= len;
    }
    return lines.join('\n');
  }

  /* ------------------------------------------------------------------ *
   * Dynamic fields and flags
   * ------------------------------------------------------------------ */

  #registry(): DynRegistry {
    this.#dyn ??= new DynRegistry(this.eal);
    return this.#dyn;
  }

  /** Offset of dynamic field `name` in every mbuf. @see rte_mbuf_dynfield_register */
  dynfieldRegister(name: string, size: number, align: number): number {
    return this.#registry().fieldRegister(name, size, align);
  }
  /** Bit of dynamic flag `name` in the offload flags. @see rte_mbuf_dynflag_register */
  dynflagRegister(name: string): number {
    return this.#registry().flagRegister(name);
  }
  /** @see rte_mbuf_dynfield_lookup */
  dynfieldLookup(name: string): number {
    return this.#registry().fieldLookup(name);
  }
  /** @see rte_mbuf_dynflag_lookup */
  dynflagLookup(name: string): number {
    return this.#registry().flagLookup(name);
  }
}
