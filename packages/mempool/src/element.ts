/**
 * One element of a pool in its chunk: header | object | trailer
 * (layout.ts). The header says which pool the object belongs to and its
 * IOVA; it is written when the object is placed (populate.ts) and read back
 * here. The debug cookies in it are debug.ts's.
 *
 * @see struct rte_mempool_objhdr, rte_mempool_get_header, rte_mempool_virt2iova in DPDK rte_mempool.h
 */
import { BAD_IOVA, iovaFromWords, iovaToWords, type MemsegListMap } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import { OBJ_IOVA_HI, OBJ_IOVA_LO, OBJ_POOL } from './layout.js';
import type { Mempool } from './mempool.js';

/**
 * Writes the header of the element at byte offset `off` of `list`: the
 * pool's address and the object's IOVA (`words`: a scratch of 2).
 */
export function writeElementHeader(list: MemsegListMap, off: number, pool: number, iova: bigint, words: Uint32Array): void {
  list.f64[(off + OBJ_POOL) >> 3] = pool;
  iovaToWords(iova, words);
  list.u32[(off + OBJ_IOVA_LO) >> 2] = words[0]!;
  list.u32[(off + OBJ_IOVA_HI) >> 2] = words[1]!;
}

/** The IOVA recorded for object `obj` of `mp` (BAD_IOVA when unknown). */
export function objectIova(mp: Mempool, obj: number): bigint {
  const list = mp.eal.listOf(obj - mp.headerSize);
  if (list === undefined) return BAD_IOVA;
  const off = obj - mp.headerSize - list.baseAddr;
  return iovaFromWords(list.u32[(off + OBJ_IOVA_LO) >> 2]!, list.u32[(off + OBJ_IOVA_HI) >> 2]!);
}

/** True when `obj` is the address of an object whose header names `mp`. */
export function isObjectOf(mp: Mempool, obj: number): boolean {
  if (typeof obj !== 'number' || !Number.isSafeInteger(obj) || obj <= 0) return false;
  const hs = mp.headerSize;
  const list = mp.eal.listOf(obj - hs);
  if (list === undefined || !Memory.of(mp.eal).isBacked(obj - hs, hs)) return false;
  const off = obj - hs - list.baseAddr;
  return off >= 0 && list.f64[(off + OBJ_POOL) >> 3] === mp.memzone.addr;
}
