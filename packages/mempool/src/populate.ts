/**
 * Populating a pool: setting up its driver once, then adding memory chunks
 * until it holds its n objects. Each chunk is recorded in the chunk table
 * of the pool's header zone (address, length, IOVA, objects, who owns the
 * memory), so that every thread and process sees it (memIter, objIter,
 * audit); its elements are laid out one after the other (header | object |
 * trailer), never across a page boundary whose pages are not
 * IOVA-contiguous, and handed to the driver. The chunks come from:
 *
 * - populateDefault: memzones MP_<name>_<i> of the pool's own;
 * - populateAnon: heap blocks of the pool's own (EAL memory in no memzone);
 * - populateVirt / populateIova: the caller's memory, which must be memory
 *   the EAL maps (memchunk.ts checks it) and stays the caller's.
 *
 * @see rte_mempool_populate_default, _populate_iova, _populate_virt, _populate_anon, rte_mempool_obj_iter, rte_mempool_mem_iter in DPDK rte_mempool.c
 */
import { alignCeil, BAD_IOVA, CACHE_LINE_SIZE, LIST_SPAN, RteError } from '@rtemem/eal-hugepage';
import { Heap } from '@rtemem/malloc-heap';
import { Memory } from '@rtemem/memseg';
import { type Memzone, Memzones } from '@rtemem/memzone';
import type { PoolCore } from './core.js';
import { writeFreshCookies } from './debug.js';
import { writeElementHeader } from './element.js';
import {
  CHUNK_KIND_HEAP,
  CHUNK_KIND_USER,
  CHUNK_KIND_ZONE,
  MAX_CHUNKS,
  MEMPOOL_F_NO_CACHE_ALIGN,
  MEMPOOL_F_NO_IOVA_CONTIG,
  MEMPOOL_MZ_PREFIX,
  MP_CHUNKS,
  MP_POPULATED,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_EMPTY,
  MP_STATE_FREED,
  MP_STATE_POPULATED,
  MP_TOTAL_ELT,
  OBJ_ALIGN_MIN,
} from './layout.js';
import { checkUserMemory } from './memchunk.js';
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

/** Where a pool's objects are aligned: a cache line, or 8 B with MEMPOOL_F_NO_CACHE_ALIGN. */
function objAlign(mp: Mempool): number {
  return (mp.flags & MEMPOOL_F_NO_CACHE_ALIGN) !== 0 ? OBJ_ALIGN_MIN : CACHE_LINE_SIZE;
}

/**
 * Gives back the memory of chunk entries 0..upTo-1 the pool owns (its
 * memzones, its heap blocks; a caller's memory stays the caller's) and
 * clears the entries.
 */
export function freeChunks(mp: Mempool, core: PoolCore, upTo: number): void {
  const zones = Memzones.of(mp.eal);
  for (let c = 0; c < Math.min(upTo, MAX_CHUNKS); c++) {
    const kind = core.chunkKind(c);
    if (kind === CHUNK_KIND_ZONE) {
      const mz = zones.lookup(chunkZoneName(mp.name, c));
      if (mz !== null) zones.free(mz);
    } else if (kind === CHUNK_KIND_HEAP) {
      Heap.of(mp.eal).free(core.chunkAddr(c));
    }
    core.clearChunk(c);
  }
}

/** Sets the driver up the first time the pool gets objects. @see mempool_ops_alloc_once */
function allocOnce(mp: Mempool, core: PoolCore, ops: MempoolOps): void {
  const state = core.word(MP_STATE);
  if (state === MP_STATE_FREED) throw new RteError('EINVAL', `mempool ${mp.name} was freed: create it again`);
  if (state === MP_STATE_EMPTY) {
    ops.alloc(mp);
    core.setWord(MP_STATE, MP_STATE_ALLOCATED);
  }
}

/** ENOSPC when the pool holds its n objects already (nothing to add). */
function checkRoom(mp: Mempool, core: PoolCore): void {
  if (core.word(MP_POPULATED) >= mp.size) {
    throw new RteError('ENOSPC', `mempool ${mp.name} holds its ${mp.size} objects already: there is nothing left to populate`);
  }
}

/**
 * Records memory [addr, addr+len) as the next chunk, lays out as many of
 * the missing objects as fit in it and hands them to the driver. Returns
 * the objects added; 0 (and no chunk recorded, unless keepEmpty: memory
 * the pool owns stays recorded, to be given back with the pool) when not
 * one fits. The caller checked that a chunk entry is free. `iovaGiven`: the objects'
 * IOVAs are `iova` plus their offset (populateIova), else the EAL's.
 */
function addChunk(mp: Mempool, core: PoolCore, ops: MempoolOps, addr: number, len: number, iova: bigint, iovaGiven: boolean, kind: number, keepEmpty = false): number {
  const c = core.word(MP_CHUNKS);
  const first = core.word(MP_POPULATED);
  core.setChunk(c, addr, len, iova, iovaGiven, kind);
  const placed = fillChunk(mp, core, ops, c, mp.size - first);
  if (placed === 0 && !keepEmpty) {
    core.clearChunk(c);
    return 0;
  }
  core.setChunkObjects(c, placed, first);
  core.setWord(MP_CHUNKS, c + 1);
  core.setWord(MP_POPULATED, first + placed);
  if (first + placed >= mp.size) core.setWord(MP_STATE, MP_STATE_POPULATED);
  return placed;
}

/**
 * Sets up the driver (once) and adds all objects, in as few chunk
 * memzones as memory allows: one for everything, else halving the chunk
 * until it fits. Returns the objects added. Throws EEXIST when the pool has
 * chunks already; ENOMEM, with every chunk given back and the pool left
 * empty, when memory runs out or the driver refuses objects.
 */
export function populateDefault(mp: Mempool, core: PoolCore, ops: MempoolOps): number {
  if (core.word(MP_CHUNKS) !== 0) throw new RteError('EEXIST', `mempool ${mp.name} is populated already (it has memory chunks): populateDefault only fills an empty pool`);
  allocOnce(mp, core, ops);
  const n = mp.size;
  const total = core.word(MP_TOTAL_ELT);
  const zones = Memzones.of(mp.eal);
  const iova = Memory.of(mp.eal);
  let per = Math.min(n, Math.floor(MAX_CHUNK_BYTES / total));
  while (core.word(MP_POPULATED) < n) {
    const chunk = core.word(MP_CHUNKS);
    if (chunk >= MAX_CHUNKS) populateFailed(mp, core, ops, `more than ${MAX_CHUNKS} chunks needed`);
    const want = Math.min(per, n - core.word(MP_POPULATED));
    let mz: Memzone;
    try {
      mz = zones.reserve(chunkZoneName(mp.name, chunk), want * total, mp.socketId, 0, CACHE_LINE_SIZE);
    } catch (e) {
      if ((e as RteError).code !== 'ENOMEM' || per === 1) populateFailed(mp, core, ops, (e as Error).message);
      per = Math.max(1, per >> 1);
      continue;
    }
    // A small zone may hold no object when its pages are not IOVA-contiguous
    // where an object would cross them: it stays the pool's (given back with
    // it) and the next zone lies elsewhere; MAX_CHUNKS bounds the tries.
    addChunk(mp, core, ops, mz.addr, mz.len, iova.virt2iova(mz.addr), false, CHUNK_KIND_ZONE, true);
  }
  return n;
}

/**
 * Adds the objects that fit in the caller's memory [addr, addr+len), as one
 * chunk; objects skip page boundaries whose pages are not IOVA-contiguous
 * (unless MEMPOOL_F_NO_IOVA_CONTIG), as in populateDefault's memzones. The
 * chunk's IOVA is that of its start when the whole chunk is IOVA-contiguous,
 * else BAD_IOVA. (DPDK records one chunk per contiguous run instead; the
 * chunk table here is in shared memory and of fixed size, and 4 KiB pages
 * would need one chunk each.) Returns the objects added (0: too small for
 * one). Throws EINVAL for memory the EAL does not map, ENOSPC when the
 * pool is full already, ENOMEM when its chunk table is.
 */
export function populateVirt(mp: Mempool, core: PoolCore, ops: MempoolOps, addr: number, len: number): number {
  checkUserMemory(mp, core, addr, len);
  checkRoom(mp, core);
  checkChunkRoom(mp, core);
  const mem = Memory.of(mp.eal);
  const iova = (mp.flags & MEMPOOL_F_NO_IOVA_CONTIG) === 0 && mem.isIovaContig(addr, len) ? mem.virt2iova(addr) : BAD_IOVA;
  allocOnce(mp, core, ops);
  return addChunk(mp, core, ops, addr, len, iova, false, CHUNK_KIND_USER);
}

/** ENOMEM when the chunk table is full. */
function checkChunkRoom(mp: Mempool, core: PoolCore): void {
  if (core.word(MP_CHUNKS) >= MAX_CHUNKS) {
    throw new RteError('ENOMEM', `mempool ${mp.name} records at most ${MAX_CHUNKS} memory chunks and has them: give fewer, larger pieces`);
  }
}

/**
 * Adds the objects that fit in the caller's memory [addr, addr+len), one
 * chunk, whose IOVA is `iova` (BAD_IOVA: the objects' IOVAs are unknown).
 * Where the EAL knows the memory's IOVAs, `iova` must be BAD_IOVA or
 * agree with them (and the memory be IOVA-contiguous): EINVAL otherwise.
 * Where it does not (no hugepages, sab, not root), `iova` is taken as the
 * IOVA of the start, contiguous over the chunk, as DPDK does.
 */
export function populateIova(mp: Mempool, core: PoolCore, ops: MempoolOps, addr: number, iova: bigint, len: number): number {
  if (typeof iova !== 'bigint' || (iova < 0n && iova !== BAD_IOVA) || iova >= 1n << 64n) {
    throw new RteError('EINVAL', `mempool ${mp.name}: an IOVA is a bigint from 0n to 2^64-1, or BAD_IOVA, not ${String(iova)}`);
  }
  checkUserMemory(mp, core, addr, len);
  checkRoom(mp, core);
  const mem = Memory.of(mp.eal);
  const known = mem.virt2iova(addr);
  let given = true;
  if (known !== BAD_IOVA && iova !== BAD_IOVA) {
    if (iova !== known || !mem.isIovaContig(addr, len)) {
      throw new RteError(
        'EINVAL',
        `mempool ${mp.name}: memory at 0x${addr.toString(16)} has IOVA 0x${known.toString(16)}${mem.isIovaContig(addr, len) ? '' : ' and is not IOVA-contiguous'}, not 0x${iova.toString(16)}: use populateVirt, which splits memory by the EAL's IOVAs`,
      );
    }
    given = false;
  }
  checkChunkRoom(mp, core);
  allocOnce(mp, core, ops);
  return addChunk(mp, core, ops, addr, len, iova, given, CHUNK_KIND_USER);
}

/**
 * Populates an empty pool from heap blocks of its own (EAL memory in no
 * memzone, freed with the pool): one block for every object when the heap
 * has it, else halving. Returns the objects added (all). Throws EINVAL when
 * the pool has chunks already (as DPDK: anonymous memory only for an empty
 * pool), ENOMEM (the pool left empty) when the heap runs out.
 */
export function populateAnon(mp: Mempool, core: PoolCore, ops: MempoolOps): number {
  if (core.word(MP_CHUNKS) !== 0) throw new RteError('EINVAL', `mempool ${mp.name} has memory chunks already: populateAnon only fills an empty pool`);
  allocOnce(mp, core, ops);
  const total = core.word(MP_TOTAL_ELT);
  const heap = Heap.of(mp.eal);
  const mem = Memory.of(mp.eal);
  let per = Math.min(mp.size, Math.floor(MAX_CHUNK_BYTES / total));
  while (core.word(MP_POPULATED) < mp.size) {
    if (core.word(MP_CHUNKS) >= MAX_CHUNKS) populateFailed(mp, core, ops, `more than ${MAX_CHUNKS} heap blocks needed`);
    const want = Math.min(per, mp.size - core.word(MP_POPULATED));
    const bytes = want * total;
    const addr = heap.malloc(bytes, objAlign(mp), mp.socketId);
    if (addr === 0) {
      if (per === 1) populateFailed(mp, core, ops, `the heap has no block of ${bytes} bytes`);
      per = Math.max(1, per >> 1);
      continue;
    }
    // The heap gives at least `bytes`; skips at page boundaries may leave
    // objects for the next block.
    addChunk(mp, core, ops, addr, bytes, mem.virt2iova(addr), false, CHUNK_KIND_HEAP, true);
  }
  return mp.size;
}

/**
 * Lays out up to `count` elements in chunk `c`, writes their headers (and
 * cookies) and hands them to the driver. Returns the objects placed.
 */
function fillChunk(mp: Mempool, core: PoolCore, ops: MempoolOps, c: number, count: number): number {
  const mem = Memory.of(mp.eal);
  const addr = core.chunkAddr(c);
  const list = mp.eal.listOf(addr)!;
  const hs = mp.headerSize;
  const elt = mp.eltSize;
  const pool = mp.memzone.addr;
  const given = core.chunkIovaGiven(c);
  const chunkIova = core.chunkIova(c);
  const iova = new Uint32Array(2);
  const objs = new Float64Array(Math.max(1, Math.min(count, POPULATE_BATCH)));
  let batch = 0;
  const placed = placeChunk(mp, core, c, count, (at) => {
    const obj = at + hs;
    const off = at - list.baseAddr;
    const objIova = !given ? mem.virt2iova(obj) : chunkIova === BAD_IOVA ? BAD_IOVA : chunkIova + BigInt(obj - addr);
    writeElementHeader(list, off, pool, objIova, iova);
    if (core.debug) writeFreshCookies(list, off, hs, elt);
    objs[batch++] = obj;
    if (batch === objs.length) {
      enqueueOrFail(mp, core, ops, objs, batch);
      batch = 0;
    }
  });
  if (batch > 0) enqueueOrFail(mp, core, ops, objs, batch);
  return placed;
}

/**
 * Where the elements of chunk `c` go: from its start aligned up, one after
 * the other, but one that would cross a page boundary moves to the next
 * page when IOVAs are known and those pages are not contiguous (unless the
 * pool allows that, NO_IOVA_CONTIG). Calls place(elementAddress) per
 * element up to `count`; returns how many fit. Filling and iterating use
 * it alike, so they find the same elements.
 */
function placeChunk(mp: Mempool, core: PoolCore, c: number, count: number, place: (at: number) => void): number {
  const mem = Memory.of(mp.eal);
  const start = core.chunkAddr(c);
  const end = start + core.chunkLen(c);
  const pageSize = mp.eal.listOf(start)!.pageSize;
  const total = core.word(MP_TOTAL_ELT);
  const contig = (mp.flags & MEMPOOL_F_NO_IOVA_CONTIG) === 0 && !core.chunkIovaGiven(c);
  let placed = 0;
  let at = alignCeil(start, objAlign(mp));
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

function enqueueOrFail(mp: Mempool, core: PoolCore, ops: MempoolOps, objs: Float64Array, n: number): void {
  const r = ops.enqueue(mp, objs, n);
  if (r !== 0) populateFailed(mp, core, ops, `the driver ${mp.opsName} refused ${n} objects (${r})`);
}

// Gives back what the pool owns (a caller's memory stays the caller's) and
// empties it, as DPDK's rte_mempool_free_memchunks; the pool stays created.
function populateFailed(mp: Mempool, core: PoolCore, ops: MempoolOps, why: string): never {
  freeChunks(mp, core, core.word(MP_CHUNKS) + 1);
  if (core.word(MP_STATE) >= MP_STATE_ALLOCATED) ops.free(mp);
  core.setWord(MP_CHUNKS, 0);
  core.setWord(MP_POPULATED, 0);
  core.setWord(MP_STATE, MP_STATE_EMPTY);
  throw new RteError('ENOMEM', `mempool ${mp.name}: cannot populate ${mp.size} objects of ${core.word(MP_TOTAL_ELT)} bytes: ${why}`);
}

/** Calls `fn(obj, idx)` for every object, chunk by chunk; returns how many. */
export function objIter(mp: Mempool, core: PoolCore, fn: (obj: number, idx: number) => void): number {
  const hs = mp.headerSize;
  let n = 0;
  for (let c = 0; c < core.word(MP_CHUNKS); c++) {
    const first = core.chunkFirst(c);
    let i = 0;
    placeChunk(mp, core, c, core.chunkCount(c), (at) => {
      fn(at + hs, first + i);
      i++;
    });
    n += i;
  }
  return n;
}

/** Calls `fn(addr, len, iova)` for every memory chunk, in the order added; returns how many. */
export function memIter(core: PoolCore, fn: (addr: number, len: number, iova: bigint) => void): number {
  const n = core.word(MP_CHUNKS);
  for (let c = 0; c < n; c++) fn(core.chunkAddr(c), core.chunkLen(c), core.chunkIova(c));
  return n;
}
