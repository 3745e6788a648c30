/**
 * A pool's life in shared memory: writing a new header zone MP_<name>,
 * recognising one, finding pools (by name, by header address, all of them)
 * through the per-EAL table of handles (one handle per pool per EAL
 * handle), and freeing one. MempoolSetup (setup.ts) is its facade.
 *
 * @see rte_mempool_create_empty, rte_mempool_create, rte_mempool_lookup, rte_mempool_walk, rte_mempool_free in DPDK rte_mempool.c
 */
import { alignCeil, CACHE_LINE_SIZE, type Eal, MAX_LCORE } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import { type Memzone, Memzones } from '@rtemem/memzone';
import type { PoolCore } from './core.js';
import {
  cacheStride,
  MEMPOOL_MAGIC,
  MEMPOOL_MZ_PREFIX,
  MEMPOOL_NAMESIZE,
  MP_CACHE_SIZE,
  MP_CACHE_STRIDE,
  MP_CACHES,
  MP_CHUNKS,
  MP_DEBUG,
  MP_ELT_SIZE,
  MP_FLAGS,
  MP_HEADER_BYTES,
  MP_HEADER_SIZE,
  MP_MAGIC,
  MP_NAME,
  MP_NAME_LEN,
  MP_OPS_NAME,
  MP_OPS_NAME_LEN,
  MP_PRIV_OFF,
  MP_PRIV_SIZE,
  MP_SIZE,
  MP_SOCKET,
  MP_STATE,
  MP_STATS,
  MP_STATS_OFF,
  MP_STATE_ALLOCATED,
  MP_STATE_EMPTY,
  MP_STATE_FREED,
  MP_TOTAL_ELT,
  MP_TRAILER_SIZE,
  OBJ_ALIGN_MIN,
  OBJ_HEADER_DEBUG,
  OBJ_HEADER_PLAIN,
  OBJ_TRAILER_DEBUG,
  STATS_BYTES,
} from './layout.js';
import type { Mempool } from './mempool.js';
import type { MempoolCreateOptions } from './setup.js';
import type { MempoolOps } from './ops.js';
import { freeChunks } from './populate.js';

/** What a new pool's header records (validated by the caller). */
export interface HeaderSpec {
  name: string;
  n: number;
  eltSize: number;
  cacheSize: number;
  privateDataSize: number;
  socket: number;
  flags: number;
  /** Objects cache-line aligned (else OBJ_ALIGN_MIN). */
  cacheAlign: boolean;
  debug: boolean;
  /** Statistics slots after the caches (RTE_LIBRTE_MEMPOOL_STATS). */
  stats: boolean;
  opsName: string;
}

/**
 * Reserves zone MP_<name> and writes a new, empty pool's header into it
 * (caches and private area zeroed); the magic last, so that no other
 * thread sees a half-written pool. Throws what the memzone reserve throws
 * (EEXIST, ENOMEM, ...).
 */
export function writeHeader(eal: Eal, spec: HeaderSpec): Memzone {
  const stride = cacheStride(spec.cacheSize);
  const statsOff = MP_CACHES + MAX_LCORE * stride;
  const privOff = statsOff + (spec.stats ? STATS_BYTES : 0);
  const bytes = alignCeil(privOff + spec.privateDataSize, CACHE_LINE_SIZE);
  const mz = Memzones.of(eal).reserve(MEMPOOL_MZ_PREFIX + spec.name, bytes, spec.socket, 0, CACHE_LINE_SIZE);
  const list = eal.listOf(mz.addr)!;
  const base = mz.addr - list.baseAddr;
  list.u8.fill(0, base, base + bytes);
  const u32 = list.u32;
  const set = (f: number, v: number) => (u32[(base + f) >> 2] = v);
  const objAlign = spec.cacheAlign ? CACHE_LINE_SIZE : OBJ_ALIGN_MIN;
  const headerSize = alignCeil(spec.debug ? OBJ_HEADER_DEBUG : OBJ_HEADER_PLAIN, objAlign);
  const trailerSize = spec.debug ? OBJ_TRAILER_DEBUG : 0;
  set(MP_SIZE, spec.n);
  set(MP_CACHE_SIZE, spec.cacheSize);
  set(MP_ELT_SIZE, spec.eltSize);
  set(MP_HEADER_SIZE, headerSize);
  set(MP_TRAILER_SIZE, trailerSize);
  set(MP_PRIV_SIZE, spec.privateDataSize);
  set(MP_FLAGS, spec.flags);
  list.i32[(base + MP_SOCKET) >> 2] = spec.socket;
  set(MP_TOTAL_ELT, alignCeil(headerSize + spec.eltSize + trailerSize, objAlign));
  set(MP_DEBUG, spec.debug ? 1 : 0);
  set(MP_CACHE_STRIDE, stride);
  set(MP_PRIV_OFF, privOff);
  set(MP_STATS, spec.stats ? 1 : 0);
  set(MP_STATS_OFF, spec.stats ? statsOff : 0);
  list.writeString(base + MP_NAME, MP_NAME_LEN, spec.name);
  list.writeString(base + MP_OPS_NAME, MP_OPS_NAME_LEN, spec.opsName);
  set(MP_STATE, MP_STATE_EMPTY);
  Atomics.store(u32, (base + MP_MAGIC) >> 2, MEMPOOL_MAGIC);
  return mz;
}

/** True when zone `mz` holds a live pool's header. */
export function isPoolZone(eal: Eal, mz: Memzone): boolean {
  const list = eal.listOf(mz.addr);
  if (list === undefined) return false;
  const base = mz.addr - list.baseAddr;
  if (mz.len < MP_HEADER_BYTES || Atomics.load(list.u32, (base + MP_MAGIC) >> 2) !== MEMPOOL_MAGIC) return false;
  return list.u32[(base + MP_STATE) >> 2] !== MP_STATE_FREED;
}


/** The MP_STATE_* of the pool whose header is at `addr`, or 0 when that is not mapped here. */
function stateAt(eal: Eal, addr: number): number {
  const list = eal.listOf(addr);
  return list === undefined ? 0 : list.u32[(addr - list.baseAddr + MP_STATE) >> 2]!;
}

/* ------------------------------------------------------------------ *
 * Handles: one per pool per EAL handle
 * ------------------------------------------------------------------ */

let newHandle: (eal: Eal, mz: Memzone) => Mempool;

/** Called once by mempool.ts with the Mempool constructor (private to its class). */
export function setHandleMaker(make: (eal: Eal, mz: Memzone) => Mempool): void {
  newHandle = make;
}

const handles = new WeakMap<Eal, Map<number, Mempool>>();

/** This EAL handle's handle on the pool in zone `mz`, made on first use. */
export function handleFor(eal: Eal, mz: Memzone): Mempool {
  let byAddr = handles.get(eal);
  if (byAddr === undefined) {
    byAddr = new Map();
    handles.set(eal, byAddr);
  }
  let mp = byAddr.get(mz.addr);
  // A handle is for one memzone: a new pool at a freed pool's address is another pool.
  if (mp === undefined || mp.memzone !== mz || stateAt(eal, mz.addr) === MP_STATE_FREED) {
    mp = newHandle(eal, mz);
    byAddr.set(mz.addr, mp);
  }
  return mp;
}

/** Populates a pool just made by createEmpty as rte_mempool_create does; frees it on failure. */
export function populateNew(mp: Mempool, opts: MempoolCreateOptions): Mempool {
  try {
    if (opts.ops !== undefined) mp.setOpsByName(opts.ops);
    opts.poolInit?.(mp);
    mp.populateDefault();
    if (opts.objInit) {
      const init = opts.objInit;
      mp.objIter((obj, idx) => init(mp, obj, idx));
    }
    return mp;
  } catch (e) {
    mp.free();
    throw e;
  }
}

/** The pool named `name` (by any thread or process), or null. */
export function lookupPool(eal: Eal, name: string): Mempool | null {
  if (typeof name !== 'string' || Buffer.byteLength(name) >= MEMPOOL_NAMESIZE) return null;
  const mz = Memzones.of(eal).lookup(MEMPOOL_MZ_PREFIX + name);
  if (mz === null || !isPoolZone(eal, mz)) return null;
  return handleFor(eal, mz);
}

/** The live pool whose header is at `addr`, or null. */
export function poolAt(eal: Eal, addr: number): Mempool | null {
  const list = eal.listOf(addr);
  if (list === undefined) return null;
  const base = addr - list.baseAddr;
  const known = handles.get(eal)?.get(addr);
  // A handle made here before: live while its header is (magic, not freed).
  if (known !== undefined && Atomics.load(list.u32, (base + MP_MAGIC) >> 2) === MEMPOOL_MAGIC && list.u32[(base + MP_STATE) >> 2] !== MP_STATE_FREED) return known;
  if (!Memory.of(eal).isBacked(addr, MP_HEADER_BYTES) || Atomics.load(list.u32, (base + MP_MAGIC) >> 2) !== MEMPOOL_MAGIC) return null;
  return lookupPool(eal, list.readString(base + MP_NAME, MP_NAME_LEN));
}

/** Calls `fn` for every pool of the EAL. */
export function walkPools(eal: Eal, fn: (mp: Mempool) => void): void {
  const zones: Memzone[] = [];
  Memzones.of(eal).walk((mz) => {
    if (mz.name.startsWith(MEMPOOL_MZ_PREFIX)) zones.push(mz);
  });
  for (const mz of zones) if (isPoolZone(eal, mz)) fn(handleFor(eal, mz));
}

/** Frees the pool: its driver, its chunks and its header zone (the magic cleared first). */
export function freePool(mp: Mempool, core: PoolCore, ops: MempoolOps): void {
  const state = core.word(MP_STATE);
  if (state === MP_STATE_FREED) return;
  if (state >= MP_STATE_ALLOCATED) ops.free(mp);
  freeChunks(mp, core, core.word(MP_CHUNKS));
  core.setWord(MP_STATE, MP_STATE_FREED);
  Atomics.store(core.u32, (core.base + MP_MAGIC) >> 2, 0);
  Memzones.of(mp.eal).free(mp.memzone);
}
