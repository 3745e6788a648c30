/**
 * Making the mempool of a pktmbuf pool: size checks, the pool's private
 * area (data room, private size, flags), and every mbuf's constant fields,
 * either over a buffer inside its own element (rte_pktmbuf_init) or over
 * pinned external memory the caller gives (rte_pktmbuf_init_extmem).
 *
 * @see rte_pktmbuf_pool_create_by_ops, rte_pktmbuf_pool_create_extbuf,
 * rte_pktmbuf_init, __rte_pktmbuf_init_extmem in DPDK lib/mbuf/rte_mbuf.c
 */
import { BAD_IOVA, type Eal, iovaToWords, ListCursor, RteError } from '@rtemem/eal-hugepage';
import { Mempool } from '@rtemem/mempool';
import {
  F_HI_EXTERNAL,
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
  OFF_OL_FLAGS_HI,
  OFF_POOL,
  OFF_PORT,
  OFF_PRIV_SIZE,
  OFF_REFCNT,
  OFF_SHINFO,
  PKTMBUF_HEADROOM,
  PKTMBUF_POOL_F_PINNED_EXT_BUF,
  PKTMBUF_POOL_MAGIC,
  PP_BYTES,
  PP_DATA_ROOM,
  PP_FLAGS,
  PP_MAGIC,
  PP_PRIV_SIZE,
  SHINFO_BYTES,
  SHINFO_CB,
  SHINFO_CB_PINNED,
  SHINFO_OPAQUE,
  SHINFO_REFCNT,
  U16_MAX,
} from './layout.js';

/**
 * An area of external memory for a pinned-buffer pool: `len` bytes at
 * rtemem address `addr` (IOVA `iova`, -1n when unknown), cut into buffers of
 * `eltSize` bytes. @see struct rte_pktmbuf_extmem
 */
export interface PktmbufExtmem {
  addr: number;
  iova: bigint;
  len: number;
  eltSize: number;
}

/** Throws EINVAL unless the private size and data room fit an mbuf. */
export function checkSizes(privSize: number, dataRoomSize: number): void {
  if (!Number.isInteger(privSize) || privSize < 0 || privSize > U16_MAX || privSize % MBUF_PRIV_ALIGN !== 0) {
    throw new RteError('EINVAL', `privSize ${String(privSize)} must be a multiple of ${MBUF_PRIV_ALIGN} below ${U16_MAX + 1}`);
  }
  if (!Number.isInteger(dataRoomSize) || dataRoomSize < 0 || dataRoomSize > U16_MAX) {
    throw new RteError('EINVAL', `dataRoomSize ${String(dataRoomSize)} must be 0..${U16_MAX} (buf_len is 16 bits)`);
  }
}

// The pool's private area: data room, private size, flags, magic.
function initPrivate(k: ListCursor, mp: Mempool, dataRoomSize: number, privSize: number, flags: number): void {
  const po = k.range(mp.privateData(), PP_BYTES);
  k.u16[(po + PP_DATA_ROOM) >> 1] = dataRoomSize;
  k.u16[(po + PP_PRIV_SIZE) >> 1] = privSize;
  k.u32[(po + PP_FLAGS) >> 2] = flags;
  k.u32[(po + PP_MAGIC) >> 2] = PKTMBUF_POOL_MAGIC;
}

// The constant fields every mbuf of a pool starts with (after a zeroed header).
function initHeader(k: ListCursor, m: number, privSize: number, dataRoomSize: number, bufAddr: number, iova: Uint32Array, poolAddr: number): number {
  const mo = k.at(m);
  k.u8.fill(0, mo, mo + MBUF_HEADER_SIZE);
  k.u16[(mo + OFF_PRIV_SIZE) >> 1] = privSize;
  k.f64[(mo + OFF_BUF_ADDR) >> 3] = bufAddr;
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
  return mo;
}

/**
 * The mempool of a pool of `n` mbufs with their buffers inside their
 * elements, populated and initialised (freed again when anything fails).
 * @see rte_pktmbuf_pool_create_by_ops, rte_pktmbuf_init
 */
export function createMbufMempool(eal: Eal, name: string, n: number, cacheSize: number, privSize: number, dataRoomSize: number, socket: number, ops?: string): Mempool {
  checkSizes(privSize, dataRoomSize);
  const mp = Mempool.createEmpty(eal, name, n, MBUF_HEADER_SIZE + privSize + dataRoomSize, cacheSize, PP_BYTES, socket, 0);
  try {
    if (ops !== undefined) mp.setOpsByName(ops);
    const k = new ListCursor(eal, MBUF_HEADER_SIZE, 'an mbuf address');
    initPrivate(k, mp, dataRoomSize, privSize, 0);
    mp.populateDefault();
    const poolAddr = mp.memzone.addr;
    const mbufSize = MBUF_HEADER_SIZE + privSize;
    const iova = new Uint32Array(2);
    mp.objIter((m) => {
      const mIova = mp.virt2iova(m);
      iovaToWords(mIova === BAD_IOVA ? BAD_IOVA : mIova + BigInt(mbufSize), iova);
      initHeader(k, m, privSize, dataRoomSize, m + mbufSize, iova, poolAddr);
    });
  } catch (e) {
    mp.free();
    throw e;
  }
  return mp;
}

/**
 * The mempool of a pool of `n` mbufs whose buffers are pinned in the
 * external areas `extMem` (each cut into `eltSize`-byte buffers, in
 * order). Each element holds the header, the private area and the shared
 * info of its buffer; mbufs carry RTE_MBUF_F_EXTERNAL and the pool the
 * PINNED_EXT_BUF flag, so a free keeps the buffer with the mbuf, and a
 * clone holding it puts the mbuf back when it lets go.
 *
 * Throws EINVAL for bad sizes or descriptors (no address, length or
 * element size, an element smaller than the data room, memory not
 * mapped), ENOMEM when the areas hold fewer than `n` buffers.
 * @see rte_pktmbuf_pool_create_extbuf, __rte_pktmbuf_init_extmem
 */
export function createExtbufMempool(eal: Eal, name: string, n: number, cacheSize: number, privSize: number, dataRoomSize: number, socket: number, extMem: readonly PktmbufExtmem[]): Mempool {
  checkSizes(privSize, dataRoomSize);
  if (!Array.isArray(extMem)) throw new RteError('EINVAL', 'extMem must be an array of { addr, iova, len, eltSize } areas');
  const b = new ListCursor(eal, 0, 'an external memory address');
  let buffers = 0;
  extMem.forEach((e, i) => {
    const what = `extMem[${i}]`;
    if (e === null || typeof e !== 'object') throw new RteError('EINVAL', `${what} must be { addr, iova, len, eltSize }`);
    if (!Number.isSafeInteger(e.len) || e.len <= 0) throw new RteError('EINVAL', `${what}.len must be a positive number of bytes, not ${String(e.len)}`);
    if (!Number.isInteger(e.eltSize) || e.eltSize <= 0 || e.eltSize > U16_MAX) throw new RteError('EINVAL', `${what}.eltSize must be 1..${U16_MAX} bytes, not ${String(e.eltSize)}`);
    if (typeof e.iova !== 'bigint') throw new RteError('EINVAL', `${what}.iova must be a bigint (-1n when unknown), not ${typeof e.iova}`);
    if (dataRoomSize > e.eltSize) throw new RteError('EINVAL', `${what}.eltSize ${e.eltSize} is smaller than the data room (${dataRoomSize} bytes)`);
    b.range(e.addr, e.len); // EINVAL unless all of it is mapped memory of this EAL
    buffers += Math.floor(e.len / e.eltSize);
  });
  if (buffers < n) throw new RteError('ENOMEM', `the external areas hold ${buffers} buffers of their eltSize, fewer than the ${n} mbufs asked for`);
  const mp = Mempool.createEmpty(eal, name, n, MBUF_HEADER_SIZE + privSize + SHINFO_BYTES, cacheSize, PP_BYTES, socket, 0);
  try {
    const k = new ListCursor(eal, MBUF_HEADER_SIZE + SHINFO_BYTES, 'an mbuf address');
    initPrivate(k, mp, dataRoomSize, privSize, PKTMBUF_POOL_F_PINNED_EXT_BUF);
    mp.populateDefault();
    const poolAddr = mp.memzone.addr;
    const mbufSize = MBUF_HEADER_SIZE + privSize;
    const iova = new Uint32Array(2);
    let ext = 0;
    let off = 0;
    mp.objIter((m) => {
      const e = extMem[ext]!;
      iovaToWords(e.iova === BAD_IOVA ? BAD_IOVA : e.iova + BigInt(off), iova);
      const mo = initHeader(k, m, privSize, dataRoomSize, e.addr + off, iova, poolAddr);
      k.u32[(mo + OFF_OL_FLAGS_HI) >> 2] = F_HI_EXTERNAL;
      // Shared info right after the private area: one reference, the mbuf itself as opaque.
      const shinfo = m + mbufSize;
      k.f64[(mo + OFF_SHINFO) >> 3] = shinfo;
      const so = mo + mbufSize;
      k.u32[(so + SHINFO_REFCNT) >> 2] = 1;
      k.u32[(so + SHINFO_CB) >> 2] = SHINFO_CB_PINNED;
      k.f64[(so + SHINFO_OPAQUE) >> 3] = m;
      off += e.eltSize;
      if (off + e.eltSize > e.len) {
        off = 0;
        ext++;
      }
    });
  } catch (e) {
    mp.free();
    throw e;
  }
  return mp;
}
