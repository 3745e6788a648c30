/**
 * What checks and shows a pool: the debug cookies around every object
 * (written when the object is placed, checked on every get and put of a
 * debug pool), the audit, and the dump.
 *
 * @see rte_mempool_check_cookies, rte_mempool_audit, rte_mempool_dump in DPDK rte_mempool.c
 */
import { hex, type MemsegListMap, RteError } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import type { PoolCore } from './core.js';
import {
  COOKIE_FREE_HI,
  COOKIE_FREE_LO,
  COOKIE_TRAILER_HI,
  COOKIE_TRAILER_LO,
  COOKIE_USED_HI,
  COOKIE_USED_LO,
  CHUNK_KIND_HEAP,
  CHUNK_KIND_USER,
  CHUNK_KIND_ZONE,
  MAX_CHUNKS,
  MP_CHUNKS,
  MP_POPULATED,
  MP_STATE,
  MP_STATE_ALLOCATED,
  MP_STATE_FREED,
  MP_STATE_POPULATED,
  MP_TOTAL_ELT,
  OBJ_COOKIE_HI,
  OBJ_COOKIE_LO,
  TRAILER_COOKIE_HI,
  TRAILER_COOKIE_LO,
} from './layout.js';
import type { Mempool } from './mempool.js';
import type { MempoolOps } from './ops.js';

/**
 * Cookies of an object just placed in the pool: header "in the pool",
 * trailer intact. `off` is the element's byte offset in `list`.
 */
export function writeFreshCookies(list: MemsegListMap, off: number, headerSize: number, eltSize: number): void {
  list.u32[(off + OBJ_COOKIE_LO) >> 2] = COOKIE_FREE_LO;
  list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_FREE_HI;
  const t = off + headerSize + eltSize;
  list.u32[(t + TRAILER_COOKIE_LO) >> 2] = COOKIE_TRAILER_LO;
  list.u32[(t + TRAILER_COOKIE_HI) >> 2] = COOKIE_TRAILER_HI;
}

function objError(mp: Mempool, obj: number, why: string): never {
  throw new RteError('EINVAL', `mempool ${mp.name}: object ${hex(obj)} ${why}`);
}

function trailerIntact(list: MemsegListMap, off: number, mp: Mempool): boolean {
  const t = off + mp.headerSize + mp.eltSize;
  return list.u32[(t + TRAILER_COOKIE_LO) >> 2] === COOKIE_TRAILER_LO && list.u32[(t + TRAILER_COOKIE_HI) >> 2] === COOKIE_TRAILER_HI;
}

/** An object coming out of a debug pool must carry the in-pool cookie; it is marked handed out. */
export function checkGot(mp: Mempool, obj: number): void {
  const list = mp.eal.listOf(obj - mp.headerSize)!;
  const off = obj - mp.headerSize - list.baseAddr;
  if (list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_FREE_LO || list.u32[(off + OBJ_COOKIE_HI) >> 2] !== COOKIE_FREE_HI) {
    objError(mp, obj, 'came out of the pool with a bad header cookie (a put after free, or memory corruption)');
  }
  list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_USED_HI;
}

/** An object going back to a debug pool must be this pool's, handed out, intact; it is marked in the pool. */
export function checkPut(mp: Mempool, obj: number): void {
  if (!mp.isObject(obj)) objError(mp, obj, 'is not an object of this pool (a foreign pointer)');
  const list = mp.eal.listOf(obj - mp.headerSize)!;
  const off = obj - mp.headerSize - list.baseAddr;
  const hi = list.u32[(off + OBJ_COOKIE_HI) >> 2];
  if (hi === COOKIE_FREE_HI) objError(mp, obj, 'is already in the pool (double put)');
  if (hi !== COOKIE_USED_HI || list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_USED_LO) objError(mp, obj, 'has a corrupt header cookie');
  if (!trailerIntact(list, off, mp)) objError(mp, obj, `has a corrupt trailer cookie: something wrote past its ${mp.eltSize} bytes`);
  list.u32[(off + OBJ_COOKIE_HI) >> 2] = COOKIE_FREE_HI;
}

/**
 * Throws EINVAL at the first inconsistency: cache lengths, counts, and (in
 * debug mode) every object's cookies.
 */
export function audit(mp: Mempool, core: PoolCore, ops: MempoolOps): void {
  if (core.word(MP_STATE) === MP_STATE_FREED) throw new RteError('EINVAL', `mempool ${mp.name} was freed`);
  for (let lc = 0; lc < core.nCaches; lc++) {
    const len = core.cacheLen(lc);
    if (len > core.cacheSize) throw new RteError('EINVAL', `mempool ${mp.name}: lcore ${lc}'s cache holds ${len} objects, more than its size ${core.cacheSize}`);
  }
  // A pool created empty has no driver yet.
  const state = core.word(MP_STATE);
  const driver = state >= MP_STATE_ALLOCATED ? ops.getCount(mp) : 0;
  if (driver > mp.size) throw new RteError('EINVAL', `mempool ${mp.name}: the driver holds ${driver} objects, the pool has ${mp.size}`);
  if (core.word(MP_STATE) === MP_STATE_POPULATED && core.word(MP_POPULATED) !== mp.size) {
    throw new RteError('EINVAL', `mempool ${mp.name}: ${core.word(MP_POPULATED)} objects populated of ${mp.size}`);
  }
  auditChunks(mp, core);
  if (core.debug) {
    mp.objIter((obj) => {
      const list = mp.eal.listOf(obj - mp.headerSize)!;
      const off = obj - mp.headerSize - list.baseAddr;
      const hi = list.u32[(off + OBJ_COOKIE_HI) >> 2];
      if (list.u32[(off + OBJ_COOKIE_LO) >> 2] !== COOKIE_FREE_LO || (hi !== COOKIE_FREE_HI && hi !== COOKIE_USED_HI)) objError(mp, obj, 'has a corrupt header cookie');
      if (!trailerIntact(list, off, mp)) objError(mp, obj, 'has a corrupt trailer cookie');
    });
  }
}

// The chunk table: every chunk's memory mapped here, objects counted once.
function auditChunks(mp: Mempool, core: PoolCore): void {
  const chunks = core.word(MP_CHUNKS);
  if (chunks > MAX_CHUNKS) throw new RteError('EINVAL', `mempool ${mp.name}: ${chunks} memory chunks recorded, at most ${MAX_CHUNKS} fit`);
  const mem = Memory.of(mp.eal);
  let objects = 0;
  for (let c = 0; c < chunks; c++) {
    const kind = core.chunkKind(c);
    if (kind !== CHUNK_KIND_ZONE && kind !== CHUNK_KIND_HEAP && kind !== CHUNK_KIND_USER) throw new RteError('EINVAL', `mempool ${mp.name}: memory chunk ${c} has no owner (kind ${kind})`);
    if (!mem.isBacked(core.chunkAddr(c), core.chunkLen(c))) {
      throw new RteError('EINVAL', `mempool ${mp.name}: memory chunk ${c} (${hex(core.chunkAddr(c))}, +${core.chunkLen(c)}) is not mapped in this thread`);
    }
    if (core.chunkFirst(c) !== objects) throw new RteError('EINVAL', `mempool ${mp.name}: memory chunk ${c} starts at object ${core.chunkFirst(c)}, not ${objects}`);
    objects += core.chunkCount(c);
  }
  if (objects !== core.word(MP_POPULATED)) throw new RteError('EINVAL', `mempool ${mp.name}: its memory chunks hold ${objects} objects, ${core.word(MP_POPULATED)} were populated`);
}

/** The pool's header, driver, caches per lcore and counts, as DPDK prints them. */
export function dump(mp: Mempool, core: PoolCore, ops: MempoolOps): string {
  const lines = [
    `mempool <${mp.name}>@${hex(mp.memzone.addr)}`,
    `  flags=${mp.flags.toString(16)}`,
    `  socket_id=${mp.socketId}`,
    `  pool_data=${hex(mp.poolData)}`,
    `  ops=${mp.opsName}`,
    `  nb_mem_chunks=${core.word(MP_CHUNKS)}`,
    `  size=${mp.size}`,
    `  populated_size=${core.word(MP_POPULATED)}`,
    `  header_size=${mp.headerSize}`,
    `  elt_size=${mp.eltSize}`,
    `  trailer_size=${mp.trailerSize}`,
    `  total_obj_size=${core.word(MP_TOTAL_ELT)}`,
    `  private_data_size=${mp.privateDataSize}`,
    `  debug=${core.debug ? 1 : 0}`,
  ];
  let cached = 0;
  if (core.cacheSize !== 0) {
    lines.push(`  cache_size=${core.cacheSize}`);
    for (let lc = 0; lc < core.nCaches; lc++) {
      const len = core.cacheLen(lc);
      if (len === 0) continue;
      lines.push(`    cache_count[${lc}]=${len}`);
      cached += len;
    }
    lines.push(`    total_cache_count=${cached}`);
  }
  const driver = core.word(MP_STATE) >= MP_STATE_ALLOCATED ? ops.getCount(mp) : 0;
  const avail = Math.min(mp.size, driver + cached);
  lines.push(`  common_pool_count=${driver}`, `  avail_count=${avail}`, `  in_use_count=${mp.size - avail}`);
  const st = mp.stats();
  if (st !== null) {
    lines.push(
      '  stats:',
      `    put_bulk=${st.putBulk}`,
      `    put_objs=${st.putObjs}`,
      `    put_common_pool_bulk=${st.putCommonPoolBulk}`,
      `    put_common_pool_objs=${st.putCommonPoolObjs}`,
      `    get_common_pool_bulk=${st.getCommonPoolBulk}`,
      `    get_common_pool_objs=${st.getCommonPoolObjs}`,
      `    get_success_bulk=${st.getSuccessBulk}`,
      `    get_success_objs=${st.getSuccessObjs}`,
      `    get_fail_bulk=${st.getFailBulk}`,
      `    get_fail_objs=${st.getFailObjs}`,
    );
  }
  return lines.join('\n');
}
