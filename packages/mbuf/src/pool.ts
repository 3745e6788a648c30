/**
 * Pools of packet mbufs: a mempool whose objects are mbufs (header, private
 * area, headroom + data room), initialised as rte_pktmbuf_init does.
 *
 * @see rte_pktmbuf_pool_create, rte_pktmbuf_init in DPDK lib/mbuf/rte_mbuf.c
 */
import { type Eal, ENOENT, hex, ListCursor, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { Mempool } from '@rtemem/mempool';
import { resetAt } from './fields.js';
import {
  F_HI_EXTERNAL,
  F_HI_INDIRECT,
  MBUF_DEFAULT_BUF_SIZE,
  MBUF_HEADER_SIZE,
  OFF_NB_SEGS,
  OFF_NEXT,
  OFF_OL_FLAGS_HI,
  OFF_POOL,
  OFF_REFCNT,
  PKTMBUF_HEADROOM,
  PKTMBUF_POOL_F_PINNED_EXT_BUF,
  PKTMBUF_POOL_MAGIC,
  PP_BYTES,
  PP_DATA_ROOM,
  PP_FLAGS,
  PP_MAGIC,
  PP_PRIV_SIZE,
} from './layout.js';
import { createExtbufMempool, createMbufMempool, type PktmbufExtmem } from './pool-init.js';

export type { PktmbufExtmem } from './pool-init.js';

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
    return PktmbufPool.#of(createMbufMempool(eal, name, n, cacheSize, privSize, dataRoomSize, socket, ops));
  }

  /**
   * Creates a pool of `n` mbufs whose buffers are pinned in external
   * memory: each area of `extMem` (`{ addr, iova, len, eltSize }`, memory
   * of this EAL, e.g. a memzone) is cut into `eltSize`-byte buffers handed
   * to the mbufs in order. The mbufs carry RTE_MBUF_F_EXTERNAL and keep
   * their buffer for life (the pool's flags have
   * RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF); a clone of one holds the buffer,
   * and the mbuf goes back to the pool when the last clone lets go.
   * Throws EINVAL for bad sizes or areas, ENOMEM when the areas hold fewer
   * than `n` buffers, and what Mempool.create throws.
   * @see rte_pktmbuf_pool_create_extbuf
   */
  static createExtbuf(
    eal: Eal,
    name: string,
    n: number,
    cacheSize: number,
    privSize: number,
    dataRoomSize: number,
    socket: number,
    extMem: readonly PktmbufExtmem[],
  ): PktmbufPool {
    return PktmbufPool.#of(createExtbufMempool(eal, name, n, cacheSize, privSize, dataRoomSize, socket, extMem));
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

  /**
   * One mbuf as it lies in the pool, not reset (0 when the pool is empty):
   * buf_addr, buf_iova, buf_len, refcnt 1, nb_segs 1, next 0, pool and
   * priv_size are set; every other field is what the last user left.
   * @see rte_mbuf_raw_alloc
   */
  rawAlloc(): number {
    return this.mempool.get();
  }

  /**
   * Puts `m` straight back into this pool (no reset, no detach). `m` must be
   * one of this pool's mbufs as a free leaves it: refcnt 1, next 0,
   * nb_segs 1, not indirect, external only when its buffer is pinned.
   * Throws EINVAL otherwise, nothing changed (DPDK asserts these).
   * @see rte_mbuf_raw_free
   */
  rawFree(m: number): void {
    const k = this.#k;
    const o = k.at(m);
    const why =
      k.f64[(o + OFF_POOL) >> 3] !== this.mempool.memzone.addr
        ? `it belongs to pool ${hex(k.f64[(o + OFF_POOL) >> 3]!)}, not ${this.mempool.name}`
        : Atomics.load(k.u16, (o + OFF_REFCNT) >> 1) !== 1
          ? `its refcnt is ${Atomics.load(k.u16, (o + OFF_REFCNT) >> 1)}, not 1`
          : k.f64[(o + OFF_NEXT) >> 3] !== 0
            ? 'it is chained (next is not 0)'
            : k.u16[(o + OFF_NB_SEGS) >> 1] !== 1
              ? `its nb_segs is ${k.u16[(o + OFF_NB_SEGS) >> 1]}, not 1`
              : (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_INDIRECT) !== 0
                ? 'it is indirect (a clone): detach it first'
                : (k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! & F_HI_EXTERNAL) !== 0 && (this.flags & PKTMBUF_POOL_F_PINNED_EXT_BUF) === 0
                  ? 'it has an external buffer that is not pinned: detach it first'
                  : null;
    if (why !== null) throw new RteError('EINVAL', `rawFree: mbuf ${hex(m)} cannot go back as it is: ${why} (free it with Mbuf.free)`);
    this.mempool.put(m);
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
