/**
 * Pools of packet mbufs: a mempool whose objects are mbufs (header, private
 * area, headroom + data room), initialised as rte_pktmbuf_init does.
 *
 * @see rte_pktmbuf_pool_create, rte_pktmbuf_init in DPDK lib/mbuf/rte_mbuf.c
 */
import { BAD_IOVA, type Eal, ENOENT, Mempool, RteError, SOCKET_ID_ANY } from '@rtemem/mempool';
import {
  MBUF_DEFAULT_BUF_SIZE,
  MBUF_HEADER_SIZE,
  MBUF_PORT_INVALID,
  MBUF_PRIV_ALIGN,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
  OFF_BUF_LEN,
  OFF_DATA_LEN,
  OFF_DATA_OFF,
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
  F_HI_EXTERNAL,
  NB_SEGS_1_PORT_INVALID,
  PKTMBUF_HEADROOM,
  PKTMBUF_POOL_MAGIC,
  PP_BYTES,
  PP_DATA_ROOM,
  PP_FLAGS,
  PP_MAGIC,
  PP_PRIV_SIZE,
  SPAN,
  SPAN_MASK,
  SPAN_SHIFT,
} from './layout.js';

const handles = new WeakMap<Mempool, PktmbufPool>();

/**
 * Resets an mbuf's fields as rte_pktmbuf_reset does (the views are those of
 * its list, `o` its offset there).
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

/**
 * A pool of packet mbufs (a handle per EAL handle).
 *
 * @example
 * ```ts
 * import { Eal, Mbuf, PktmbufPool } from '@rtemem/mbuf';
 * const eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
 * const pool = PktmbufPool.create(eal, 'rx', 4096, 256);
 * const mb = Mbuf.of(eal);
 * const m = pool.alloc();                 // an mbuf address, 0 when empty
 * mb.append(m, 64);                       // address of the 64 new bytes
 * mb.free(m);
 * eal.cleanup();
 * ```
 * @see rte_pktmbuf_pool_create
 */
export class PktmbufPool {
  /** The mempool holding the mbufs. */
  readonly mempool: Mempool;
  /** Bytes of headroom + data per mbuf (buf_len). */
  readonly dataRoomSize: number;
  /** Bytes of private area after each mbuf header. */
  readonly privSize: number;
  readonly #eal: Eal;
  readonly #lists: (import('@rtemem/mempool').MemsegListMap | undefined)[] = [];
  readonly #headroom: number;
  /* The views of the list of the last mbuf allocated. */
  #li = -1;
  #u16!: Uint16Array;
  #u32!: Uint32Array;
  #f64!: Float64Array;

  private constructor(mp: Mempool) {
    this.mempool = mp;
    this.#eal = mp.eal;
    const priv = this.#privView();
    this.dataRoomSize = priv.u16[(priv.o + PP_DATA_ROOM) >> 1]!;
    this.privSize = priv.u16[(priv.o + PP_PRIV_SIZE) >> 1]!;
    this.#headroom = Math.min(PKTMBUF_HEADROOM, this.dataRoomSize);
    for (const d of mp.eal.listDescriptors()) this.#lists[d.index] = mp.eal.list(d.index);
  }

  #privView(): { u16: Uint16Array; u32: Uint32Array; o: number } {
    const addr = this.mempool.privateData();
    const list = this.mempool.eal.listOf(addr)!;
    return { u16: list.u16, u32: list.u32, o: addr - list.baseAddr };
  }

  static #of(mp: Mempool): PktmbufPool {
    let p = handles.get(mp);
    if (p === undefined) {
      p = new PktmbufPool(mp);
      handles.set(mp, p);
    }
    return p;
  }

  /**
   * Creates a pool of `n` mbufs with `dataRoomSize` bytes of headroom + data
   * (buf_len) and `privSize` private bytes each (a multiple of 8), over a
   * mempool with any driver. Throws EINVAL for bad sizes, and what
   * Mempool.create throws. @see rte_pktmbuf_pool_create_by_ops
   */
  static create(
    eal: Eal,
    name: string,
    n: number,
    cacheSize = 0,
    privSize = 0,
    dataRoomSize: number = MBUF_DEFAULT_BUF_SIZE,
    socket: number = SOCKET_ID_ANY,
    ops?: string,
  ): PktmbufPool {
    if (!Number.isInteger(privSize) || privSize < 0 || privSize > 0xffff || privSize % MBUF_PRIV_ALIGN !== 0) {
      throw new RteError('EINVAL', `privSize ${String(privSize)} must be a multiple of ${MBUF_PRIV_ALIGN} below 65536`);
    }
    if (!Number.isInteger(dataRoomSize) || dataRoomSize < 0 || dataRoomSize > 0xffff) {
      throw new RteError('EINVAL', `dataRoomSize ${String(dataRoomSize)} must be 0..65535 (buf_len is 16 bits)`);
    }
    const mp = Mempool.createEmpty(eal, name, n, MBUF_HEADER_SIZE + privSize + dataRoomSize, cacheSize, PP_BYTES, socket, 0);
    try {
      if (ops !== undefined) mp.setOpsByName(ops);
      const addr = mp.privateData();
      const list = eal.listOf(addr)!;
      const o = addr - list.baseAddr;
      list.u16[(o + PP_DATA_ROOM) >> 1] = dataRoomSize;
      list.u16[(o + PP_PRIV_SIZE) >> 1] = privSize;
      list.u32[(o + PP_FLAGS) >> 2] = 0;
      list.u32[(o + PP_MAGIC) >> 2] = PKTMBUF_POOL_MAGIC;
      mp.populateDefault();
      const poolAddr = mp.memzone.addr;
      const mbufSize = MBUF_HEADER_SIZE + privSize;
      mp.objIter((m) => {
        // rte_pktmbuf_init
        const li = Math.floor(m / SPAN);
        const L = eal.list(li)!;
        const mo = m - li * SPAN;
        L.u8.fill(0, mo, mo + MBUF_HEADER_SIZE);
        L.u16[(mo + OFF_PRIV_SIZE) >> 1] = privSize;
        L.f64[(mo + OFF_BUF_ADDR) >> 3] = m + mbufSize;
        const iova = mp.virt2iova(m);
        const bufIova = iova === BAD_IOVA ? -1n : iova + BigInt(mbufSize);
        L.u32[(mo + OFF_BUF_IOVA) >> 2] = bufIova < 0n ? 0xffffffff : Number(bufIova & 0xffffffffn);
        L.u32[(mo + OFF_BUF_IOVA + 4) >> 2] = bufIova < 0n ? 0xffffffff : Number(bufIova >> 32n);
        L.u16[(mo + OFF_BUF_LEN) >> 1] = dataRoomSize;
        L.u16[(mo + OFF_DATA_OFF) >> 1] = Math.min(PKTMBUF_HEADROOM, dataRoomSize);
        L.f64[(mo + OFF_POOL) >> 3] = poolAddr;
        L.u16[(mo + OFF_NB_SEGS) >> 1] = 1;
        L.u16[(mo + OFF_PORT) >> 1] = MBUF_PORT_INVALID;
        L.u16[(mo + OFF_REFCNT) >> 1] = 1;
        L.f64[(mo + OFF_NEXT) >> 3] = 0;
        L.f64[(mo + OFF_SHINFO) >> 3] = 0;
      });
    } catch (e) {
      mp.free();
      throw e;
    }
    return PktmbufPool.#of(mp);
  }

  /** The pool created under `name` by any thread or process, or null (also when that mempool holds no mbufs). */
  static lookup(eal: Eal, name: string): PktmbufPool | null {
    const mp = Mempool.lookup(eal, name);
    return mp === null ? null : PktmbufPool.fromMempool(mp);
  }

  /** The pktmbuf pool over `mp`, or null when `mp` holds no mbufs. */
  static fromMempool(mp: Mempool): PktmbufPool | null {
    if (mp.privateDataSize < PP_BYTES) return null;
    const addr = mp.privateData();
    const list = mp.eal.listOf(addr);
    if (list === undefined || list.u32[(addr - list.baseAddr + PP_MAGIC) >> 2] !== PKTMBUF_POOL_MAGIC) return null;
    return PktmbufPool.#of(mp);
  }

  /**
   * One mbuf, reset (refcnt 1, one segment, empty, headroom as configured),
   * or 0 when the pool is empty. @see rte_pktmbuf_alloc
   */
  alloc(): number {
    const m = this.mempool.get();
    if (m === 0) return 0;
    const mu = m >>> 0;
    const o = mu === m && mu >>> SPAN_SHIFT === this.#li ? mu & SPAN_MASK : this.#seek(m); // before the views are read
    resetAt(this.#u16, this.#u32, this.#f64, o);
    return m;
  }

  // Points the cached views at m's list; returns m's offset in it.
  #seek(m: number): number {
    const li = Math.floor(m / SPAN);
    if (li !== this.#li) this.#switch(li);
    return m - li * SPAN;
  }

  // Points the cached views at list `li`.
  #switch(li: number): void {
    const l = this.#lists[li] ?? this.#eal.list(li);
    if (l === undefined) throw new RteError('EINVAL', `mbuf in memseg list ${li}, which this thread has not mapped`);
    this.#lists[li] = l;
    this.#li = li;
    this.#u16 = l.u16;
    this.#u32 = l.u32;
    this.#f64 = l.f64;
  }

  /** `n` reset mbufs into `out`, all or none: 0 or -ENOENT. @see rte_pktmbuf_alloc_bulk */
  allocBulk(out: number[] | Float64Array, n: number): number {
    if (this.mempool.getBulk(out, n) !== 0) return -ENOENT;
    let li = this.#li;
    let u16 = this.#u16;
    let u32 = this.#u32;
    let f64 = this.#f64;
    for (let i = 0; i < n; i++) {
      const m = out[i]!;
      const mu = m >>> 0;
      let o: number;
      if (mu === m && mu >>> SPAN_SHIFT === li) {
        o = mu & SPAN_MASK;
      } else {
        o = this.#seek(m);
        li = this.#li;
        u16 = this.#u16;
        u32 = this.#u32;
        f64 = this.#f64;
      }
      resetAt(u16, u32, f64, o);
    }
    return 0;
  }

  /** Headroom a fresh mbuf of this pool has. */
  get headroom(): number {
    return this.#headroom;
  }

  /** Pool private flags. @see rte_pktmbuf_priv_flags */
  get flags(): number {
    const p = this.#privView();
    return p.u32[(p.o + PP_FLAGS) >> 2]!;
  }
}
