/**
 * External buffers: memory an mbuf uses as its buffer without owning it,
 * with shared info at the buffer's end (a reference count, the id of a
 * free callback, an opaque value) that every mbuf attached to it shares.
 *
 * A function cannot live in shared memory: the shared info holds a
 * callback id, and each thread keeps its own id -> function map (see the
 * README, "Free callbacks are per thread").
 *
 * The third class of the chain that makes {@link Mbuf} (see mbuf.ts).
 *
 * @see rte_pktmbuf_ext_shinfo_init_helper, rte_pktmbuf_attach_extbuf,
 * rte_mbuf_ext_refcnt_update in DPDK lib/mbuf/rte_mbuf.h
 */
import { hex, iovaToWords, type ListCursor, RteError } from '@rtemem/eal-hugepage';
import { MbufMoreFields } from './fields-more.js';
import {
  F_HI_EXTERNAL,
  OFF_BUF_ADDR,
  OFF_BUF_IOVA,
  OFF_BUF_IOVA_HI,
  OFF_BUF_LEN,
  OFF_DATA_LEN,
  OFF_DATA_OFF,
  OFF_OL_FLAGS_HI,
  OFF_SHINFO,
  PKTMBUF_POOL_F_PINNED_EXT_BUF,
  PP_BYTES,
  PP_FLAGS,
  SHINFO_ALIGN,
  SHINFO_BYTES,
  SHINFO_CB,
  SHINFO_CB_PINNED,
  SHINFO_OPAQUE,
  SHINFO_REFCNT,
  U16_MAX,
} from './layout.js';

/** A free callback: the buffer's address and the opaque value given at init. */
export type FreeCb = (addr: number, opaque: number) => void;

/** External-buffer free callbacks of this thread, by id (ids are unique in the EAL). */
const callbacks = new Map<number, FreeCb>();

/**
 * The offset of shared info `shinfo` in `b`'s views (pointed at its list).
 * Throws EINVAL unless it is SHINFO_ALIGN-aligned, as extbufInitShinfo
 * makes it, and all of it lies in mapped memory.
 */
function shinfoAt(b: ListCursor, shinfo: number): number {
  if (typeof shinfo === 'number' && shinfo % SHINFO_ALIGN !== 0) {
    throw new RteError('EINVAL', `${hex(shinfo)} is not external shared info: extbufInitShinfo returns an ${SHINFO_ALIGN}-byte aligned address`);
  }
  return b.range(shinfo, SHINFO_BYTES);
}

/** Atomically adds `delta` to the shared info's reference count; returns the new count. */
export function shinfoRefAdd(b: ListCursor, shinfo: number, delta: number): number {
  const o = shinfoAt(b, shinfo);
  return (Atomics.add(b.u32, (o + SHINFO_REFCNT) >> 2, delta) + delta) >>> 0;
}

/**
 * The mbuf whose pinned buffer `shinfo` describes (the opaque value of a
 * pinned pool's shared info), or 0 for a user's external buffer.
 */
export function pinnedOwner(b: ListCursor, shinfo: number): number {
  const o = shinfoAt(b, shinfo);
  return b.u32[(o + SHINFO_CB) >> 2] === SHINFO_CB_PINNED ? b.f64[(o + SHINFO_OPAQUE) >> 3]! : 0;
}

/**
 * Runs the free callback of the external buffer at `bufAddr`. Returns the
 * error to throw once the mbuf is consistent again when it cannot: ENOENT
 * when this thread has no callback of that id, EINVAL when it threw.
 */
export function runFreeCb(b: ListCursor, shinfo: number, bufAddr: number): RteError | null {
  const o = shinfoAt(b, shinfo);
  const id = b.u32[(o + SHINFO_CB) >> 2]!;
  const opaque = b.f64[(o + SHINFO_OPAQUE) >> 3]!;
  const cb = callbacks.get(id);
  if (cb === undefined) {
    return new RteError(
      'ENOENT',
      `the free callback (id ${id}) of external buffer ${hex(bufAddr)} is not registered in this thread, so the buffer was not released: call mbuf.setExtbufCallback(${hex(shinfo)}, fn) in every thread that may free the last reference`,
    );
  }
  try {
    cb(bufAddr, opaque);
  } catch (e) {
    return new RteError('EINVAL', `the free callback of external buffer ${hex(bufAddr)} threw: ${e instanceof Error ? e.message : String(e)}`);
  }
  return null;
}

/** External buffers of mbufs: {@link MbufMoreFields} and the calls of rte_pktmbuf_*_extbuf. */
export class MbufExtbuf extends MbufMoreFields {
  /**
   * Prepares shared info for an external buffer at its end: the buffer
   * loses SHINFO_BYTES (aligned down to 8). Returns `{ shinfo, bufLen }`
   * (the shortened length), or null when the buffer is too small. The free
   * callback runs once, in the thread that drops the last reference.
   * @see rte_pktmbuf_ext_shinfo_init_helper
   */
  extbufInitShinfo(bufAddr: number, bufLen: number, freeCb: (addr: number, opaque: number) => void, opaque: number): { shinfo: number; bufLen: number } | null {
    if (typeof freeCb !== 'function') throw new RteError('EINVAL', 'freeCb must be a function');
    const shinfo = Math.floor((bufAddr + bufLen - SHINFO_BYTES) / SHINFO_ALIGN) * SHINFO_ALIGN;
    if (!(shinfo > bufAddr)) return null;
    const c = this.core;
    const b = c.b;
    shinfoAt(b, shinfo);
    const id = c.registry().nextCallbackId();
    callbacks.set(id, freeCb);
    // The registry may have moved the cursor: decode again.
    const o = shinfoAt(b, shinfo);
    b.u32[(o + SHINFO_REFCNT) >> 2] = 1;
    b.u32[(o + SHINFO_CB) >> 2] = id;
    b.f64[(o + SHINFO_OPAQUE) >> 3] = opaque;
    return { shinfo, bufLen: shinfo - bufAddr };
  }

  /** Registers, in this thread, the free callback of external buffer shared info `shinfo` (made in another thread). */
  setExtbufCallback(shinfo: number, fn: (addr: number, opaque: number) => void): void {
    const b = this.core.b;
    const o = shinfoAt(b, shinfo);
    callbacks.set(b.u32[(o + SHINFO_CB) >> 2]!, fn);
  }

  /**
   * True when `m` has an external buffer pinned by its pool (a pool made by
   * PktmbufPool.createExtbuf): the buffer stays with the mbuf for life.
   * @see RTE_MBUF_HAS_PINNED_EXTBUF
   */
  hasPinnedExtbuf(m: number): boolean {
    if (!this.hasExtbuf(m)) return false;
    const c = this.core;
    const mp = c.mempool(this.pool(m));
    const b = c.b;
    const po = b.range(mp.privateData(), PP_BYTES);
    return (b.u32[(po + PP_FLAGS) >> 2]! & PKTMBUF_POOL_F_PINNED_EXT_BUF) !== 0;
  }

  /** References held on external shared info. @see rte_mbuf_ext_refcnt_read */
  extRefcnt(shinfo: number): number {
    const b = this.core.b;
    const o = shinfoAt(b, shinfo);
    return Atomics.load(b.u32, (o + SHINFO_REFCNT) >> 2);
  }

  /**
   * Attaches an external buffer to direct mbuf `m` (refcnt 1): its data is
   * now in [bufAddr, bufAddr+bufLen). Throws EINVAL, the mbuf unchanged,
   * for anything else or a buffer outside mapped memory.
   * @see rte_pktmbuf_attach_extbuf
   */
  attachExtbuf(m: number, bufAddr: number, bufIova: bigint, bufLen: number, shinfo: number): void {
    const c = this.core;
    const k = c.k;
    if (!this.isDirect(m) || this.refcnt(m) !== 1) throw new RteError('EINVAL', `attachExtbuf: mbuf ${hex(m)} must be direct with refcnt 1`);
    if (!Number.isInteger(bufLen) || bufLen < 0 || bufLen > U16_MAX) throw new RteError('EINVAL', `bufLen must be 0..${U16_MAX}`);
    if (typeof bufIova !== 'bigint') throw new RteError('EINVAL', `bufIova must be a bigint (-1n when unknown), not ${typeof bufIova}`);
    // Both checked before the mbuf changes: it is left as it was when they are bad.
    c.b.range(bufAddr, bufLen);
    shinfoAt(c.b, shinfo);
    iovaToWords(bufIova, c.iova);
    const o = k.at(m);
    k.f64[(o + OFF_BUF_ADDR) >> 3] = bufAddr;
    k.u32[(o + OFF_BUF_IOVA) >> 2] = c.iova[0]!;
    k.u32[(o + OFF_BUF_IOVA_HI) >> 2] = c.iova[1]!;
    k.u16[(o + OFF_BUF_LEN) >> 1] = bufLen;
    k.u16[(o + OFF_DATA_LEN) >> 1] = 0;
    k.u16[(o + OFF_DATA_OFF) >> 1] = 0;
    k.u32[(o + OFF_OL_FLAGS_HI) >> 2] = k.u32[(o + OFF_OL_FLAGS_HI) >> 2]! | F_HI_EXTERNAL;
    k.f64[(o + OFF_SHINFO) >> 3] = shinfo;
  }
}
