/**
 * Pools of packet mbufs: a mempool whose objects are mbufs (header, private
 * area, headroom + data room), initialised as rte_pktmbuf_init does.
 *
 * @see rte_pktmbuf_pool_create, rte_pktmbuf_init in DPDK lib/mbuf/rte_mbuf.c
 */
import { BAD_IOVA, type Eal, ENOENT, iovaToWords, ListCursor, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { Mempool } from '@rtemem/mempool';
import { resetAt } from './fields.js';
import {
  MBUF_DEFAULT_BUF_SIZE,
  MBUF_HEADER_SIZE,
  MBUF_PORT_INVALID,
  MBUF_PRIV_ALIGN,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
  OFF_BUF_IOVA_HI,
  OFF_BUF_LEN,
  OFF_DATA_OFF,
  OFF_NB_SEGS,
  OFF_NEXT,
  OFF_POOL,
  OFF_PORT,
  OFF_PRIV_SIZE,
  OFF_REFCNT,
  OFF_SHINFO,
  PKTMBUF_HEADROOM,
  PKTMBUF_POOL_MAGIC,
  PP_BYTES,
  PP_DATA_ROOM,
  PP_FLAGS,
  PP_MAGIC,
  PP_PRIV_SIZE,
  U16_MAX,
} from './layout.js';

const handles = new WeakMap<Mempool, PktmbufPool>();

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
  readonly #headroom: number;
  /** Headers of the mbufs this handle allocates. */
  readonly #k: ListCursor;

  private constructor(mp: Mempool) {
    this.mempool = mp;
    this.#k = new ListCursor(mp.eal, MBUF_HEADER_SIZE, 'an mbuf address');
    const o = this.#privAt();
    this.dataRoomSize = this.#k.u16[(o + PP_DATA_ROOM) >> 1]!;
    this.privSize = this.#k.u16[(o + PP_PRIV_SIZE) >> 1]!;
    this.#headroom = Math.min(PKTMBUF_HEADROOM, this.dataRoomSize);
  }

  // The offset of the pool's private area in the cursor's views.
  #privAt(): number {
    return this.#k.range(this.mempool.privateData(), PP_BYTES);
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
    if (!Number.isInteger(privSize) || privSize < 0 || privSize > U16_MAX || privSize % MBUF_PRIV_ALIGN !== 0) {
      throw new RteError('EINVAL', `privSize ${String(privSize)} must be a multiple of ${MBUF_PRIV_ALIGN} below ${U16_MAX + 1}`);
    }
    if (!Number.isInteger(dataRoomSize) || dataRoomSize < 0 || dataRoomSize > U16_MAX) {
      throw new RteError('EINVAL', `dataRoomSize ${String(dataRoomSize)} must be 0..${U16_MAX} (buf_len is 16 bits)`);
    }
    const mp = Mempool.createEmpty(eal, name, n, MBUF_HEADER_SIZE + privSize + dataRoomSize, cacheSize, PP_BYTES, socket, 0);
    try {
      if (ops !== undefined) mp.setOpsByName(ops);
      const k = new ListCursor(eal, MBUF_HEADER_SIZE, 'an mbuf address');
      const po = k.range(mp.privateData(), PP_BYTES);
      k.u16[(po + PP_DATA_ROOM) >> 1] = dataRoomSize;
      k.u16[(po + PP_PRIV_SIZE) >> 1] = privSize;
      k.u32[(po + PP_FLAGS) >> 2] = 0;
      k.u32[(po + PP_MAGIC) >> 2] = PKTMBUF_POOL_MAGIC;
      mp.populateDefault();
      const poolAddr = mp.memzone.addr;
      const mbufSize = MBUF_HEADER_SIZE + privSize;
      const iova = new Uint32Array(2);
      mp.objIter((m) => {
        // rte_pktmbuf_init
        const mIova = mp.virt2iova(m);
        iovaToWords(mIova === BAD_IOVA ? BAD_IOVA : mIova + BigInt(mbufSize), iova);
        const mo = k.at(m);
        k.u8.fill(0, mo, mo + MBUF_HEADER_SIZE);
        k.u16[(mo + OFF_PRIV_SIZE) >> 1] = privSize;
        k.f64[(mo + OFF_BUF_ADDR) >> 3] = m + mbufSize;
        k.u32[(mo + OFF_BUF_IOVA) >> 2] = iova[0]!;
        k.u32[(mo + OFF_BUF_IOVA_HI) >> 2] = iova[1]!;
        k.u16[(mo + OFF_BUF_LEN) >> 1] = dataRoomSize;
        k.u16[(mo + OFF_DATA_OFF) >> 1] = Math.min(PKTMBUF_HEADROOM, dataRoomSize);
        k.f64[(mo + OFF_POOL) >> 3] = poolAddr;
        k.u16[(mo + OFF_NB_SEGS) >> 1] = 1;
        k.u16[(mo + OFF_PORT) >> 1] = MBUF_PORT_INVALID;
        k.u16[(mo + OFF_REFCNT) >> 1] = 1;
        k.f64[(mo + OFF_NEXT) >> 3] = 0;
        k.f64[(mo + OFF_SHINFO) >> 3] = 0;
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
    const k = this.#k;
    const o = k.at(m); // before the views are read: it may switch them
    resetAt(k.u16, k.u32, k.f64, o);
    return m;
  }

  /** `n` reset mbufs into `out`, all or none: 0 or -ENOENT. @see rte_pktmbuf_alloc_bulk */
  allocBulk(out: number[] | Float64Array, n: number): number {
    if (this.mempool.getBulk(out, n) !== 0) return -ENOENT;
    const k = this.#k;
    for (let i = 0; i < n; i++) {
      const o = k.at(out[i]!);
      resetAt(k.u16, k.u32, k.f64, o);
    }
    return 0;
  }

  /** Headroom a fresh mbuf of this pool has. */
  get headroom(): number {
    return this.#headroom;
  }

  /** Pool private flags. @see rte_pktmbuf_priv_flags */
  get flags(): number {
    const o = this.#privAt();
    return this.#k.u32[(o + PP_FLAGS) >> 2]!;
  }
}
