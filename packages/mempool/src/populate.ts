/**
 * Populating a pool: setting up its driver, reserving chunk memzones
 * MP_<name>_<i>, laying the elements out in them (header | object |
 * trailer, never across a page boundary whose pages are not IOVA-contiguous)
 * and handing every object to the driver; walking the objects again later
 * (objIter) by the same layout.
 *
 * @see rte_mempool_populate_default, rte_mempool_populate_iova, rte_mempool_obj_iter in DPDK rte_mempool.c
 */
import { CACHE_LINE_SIZE, LIST_SPAN, RteError } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import { type Memzone, Memzones } from '@rtemem/memzone';
import type { PoolCore } from './core.js';
import { writeFreshCookies } from './debug.js';
import { writeElementHeader } from './element.js';
import {
  MAX_CHUNKS,
  MEMPOOL_F_NO_IOVA_CONTIG,
  MEMPOOL_MZ_PREFIX,
  MP_CHUNKS,
  MP_POPULATED,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_EMPTY,
  MP_STATE_POPULATED,
  MP_TOTAL_ELT,
} from './layout.js';
import type { Mempool } from './mempool.js';
import type { MempoolOps } from './ops.js';

/** A chunk memzone lies in one memseg list (less a margin for its alignment). */
const MAX_CHUNK_BYTES = LIST_SPAN - 256;
/** Objects handed to the driver per enqueue while populating. */
const POPULATE_BATCH = 4096;

/** Name of chunk memzone `i` of a pool. */
export function chunkZoneName(pool: string, i: number): string {
  return `${MEMPOOL_MZ_PREFIX}${pool}_${i}`;
}

/** Frees the pool's chunk memzones 0..upTo-1 that exist. */
export function freeChunks(mp: Mempool, upTo: number): void {
  const zones = Memzones.of(mp.eal);
  for (let i = 0; i < upTo; i++) {
    const mz = zones.lookup(chunkZoneName(mp.name, i));
    if (mz !== null) zones.free(mz);
  }
}

/**
 * Sets up the driver (once) and adds the objects not added yet, in as few
 * chunks as memory allows: one for everything, else halving the chunk
 * until it fits. Returns the objects added. Throws EEXIST when populated
 * already; ENOMEM, with every chunk given back and the pool left empty,
 * when memory runs out or the driver refuses objects.
 */
export function populateDefault(mp: Mempool, core: PoolCore, ops: MempoolOps): number {
  if (core.word(MP_STATE) === MP_STATE_POPULATED) throw new RteError('EEXIST', `mempool ${mp.name} is populated already`);
  if (core.word(MP_STATE) === MP_STATE_EMPTY) {
    ops.alloc(mp);
    core.setWord(MP_STATE, MP_STATE_ALLOCATED);
  }
  const n = mp.size;
  const total = core.word(MP_TOTAL_ELT);
  const zones = Memzones.of(mp.eal);
  let done = core.word(MP_POPULATED);
  let chunk = core.word(MP_CHUNKS);
  let per = Math.min(n - done, Math.floor(MAX_CHUNK_BYTES / total));
  while (done < n) {
    if (chunk >= MAX_CHUNKS) populateFailed(mp, core, ops, `more than ${MAX_CHUNKS} chunks needed`);
    const want = Math.min(per, n - done);
    let mz: Memzone;
    try {
      mz = zones.reserve(chunkZoneName(mp.name, chunk), want * total, mp.socketId, 0, CACHE_LINE_SIZE);
    } catch (e) {
      if ((e as RteError).code !== 'ENOMEM' || per === 1) populateFailed(mp, core, ops, (e as Error).message);
      per = Math.max(1, per >> 1);
      continue;
    }
    done += fillChunk(mp, core, ops, mz, chunk, done, want);
    chunk++;
    core.setWord(MP_CHUNKS, chunk);
    core.setWord(MP_POPULATED, done);
  }
  core.setWord(MP_STATE, MP_STATE_POPULATED);
  return done;
}

/**
 * Where the elements of a chunk at `addr` (`len` bytes) go: one after the
 * other, but one that would cross a page boundary moves to the next page
 * when IOVAs are known and those pages are not contiguous (unless the pool
 * allows that, NO_IOVA_CONTIG). Calls place(elementAddress) per element up
 * to `count`; returns how many fit.
 */
function placeElements(mp: Mempool, core: PoolCore, addr: number, len: number, count: number, place: (at: number) => void): number {
  const mem = Memory.of(mp.eal);
  const pageSize = mp.eal.listOf(addr)!.pageSize;
  const total = core.word(MP_TOTAL_ELT);
  const contig = (mp.flags & MEMPOOL_F_NO_IOVA_CONTIG) === 0;
  let placed = 0;
  let at = addr;
  const end = addr + len;
  while (placed < count && at + total <= end) {
    if (contig && Math.floor(at / pageSize) !== Math.floor((at + total - 1) / pageSize) && !mem.isIovaContig(at, total)) {
      at = Math.ceil((at + 1) / pageSize) * pageSize;
      continue;
    }
    place(at);
    placed++;
    at += total;
  }
  return placed;
}

// Lays out up to `count` elements in chunk memzone `mz`, writes their
// headers (and cookies) and hands them to the driver; records the chunk.
// Returns the objects placed.
function fillChunk(mp: Mempool, core: PoolCore, ops: MempoolOps, mz: Memzone, chunk: number, first: number, count: number): number {
  const mem = Memory.of(mp.eal);
  const list = mp.eal.listOf(mz.addr)!;
  const hs = mp.headerSize;
  const elt = mp.eltSize;
  const pool = mp.memzone.addr;
  const iova = new Uint32Array(2);
  const objs = new Float64Array(Math.min(count, POPULATE_BATCH));
  let batch = 0;
  const placed = placeElements(mp, core, mz.addr, mz.len, count, (at) => {
    const obj = at + hs;
    const off = at - list.baseAddr;
    writeElementHeader(list, off, pool, mem.virt2iova(obj), iova);
    if (core.debug) writeFreshCookies(list, off, hs, elt);
    objs[batch++] = obj;
    if (batch === objs.length) {
      enqueueOrFail(mp, core, ops, objs, batch);
      batch = 0;
    }
  });
  if (batch > 0) enqueueOrFail(mp, core, ops, objs, batch);
  core.setChunk(chunk, mz.addr, placed, first);
  return placed;
}

function enqueueOrFail(mp: Mempool, core: PoolCore, ops: MempoolOps, objs: Float64Array, n: number): void {
  const r = ops.enqueue(mp, objs, n);
  if (r !== 0) populateFailed(mp, core, ops, `the driver ${mp.opsName} refused ${n} objects (${r})`);
}

// Gives back what was reserved; the pool stays created, empty.
function populateFailed(mp: Mempool, core: PoolCore, ops: MempoolOps, why: string): never {
  freeChunks(mp, MAX_CHUNKS);
  if (core.word(MP_STATE) >= MP_STATE_ALLOCATED) ops.free(mp);
  core.setWord(MP_CHUNKS, 0);
  core.setWord(MP_POPULATED, 0);
  core.setWord(MP_STATE, MP_STATE_EMPTY);
  throw new RteError('ENOMEM', `mempool ${mp.name}: cannot populate ${mp.size} objects of ${core.word(MP_TOTAL_ELT)} bytes: ${why}`);
}

/** Calls `fn(obj, idx)` for every object, chunk by chunk; returns how many. */
export function objIter(mp: Mempool, core: PoolCore, fn: (obj: number, idx: number) => void): number {
  const hs = mp.headerSize;
  const zones = Memzones.of(mp.eal);
  let n = 0;
  for (let c = 0; c < core.word(MP_CHUNKS); c++) {
    const count = core.chunkCount(c);
    const first = core.chunkFirst(c);
    const mz = zones.lookup(chunkZoneName(mp.name, c));
    let i = 0;
    placeElements(mp, core, core.chunkAddr(c), mz?.len ?? count * core.word(MP_TOTAL_ELT), count, (at) => {
      fn(at + hs, first + i);
      i++;
    });
    n += i;
  }
  return n;
}
