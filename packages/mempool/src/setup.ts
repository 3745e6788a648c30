/**
 * A pool's life as its handle shows it: creating, finding and freeing
 * pools (create.ts does the work), choosing the driver, populating
 * (populate.ts), and making a pool whole again after a process died in
 * it. The second class of the chain that makes {@link Mempool} (see
 * mempool.ts).
 *
 * @see lib/mempool/rte_mempool.c (rte_mempool_create_empty, rte_mempool_create, rte_mempool_lookup,
 * rte_mempool_walk, rte_mempool_free, rte_mempool_set_ops_byname, rte_mempool_populate_*) in DPDK
 */
import { type Eal, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { checkCreate } from './check.js';
import { freePool, handleFor, lookupPool, poolAt, populateNew, walkPools, writeHeader } from './create.js';
import { MempoolInfo } from './info.js';
import { MEMPOOL_F_NO_CACHE_ALIGN, MP_OPS_NAME, MP_OPS_NAME_LEN, MP_POOL_DATA, MP_STATE, MP_STATE_ALLOCATED, MP_STATE_EMPTY, MP_STATE_FREED } from './layout.js';
import type { Mempool } from './mempool.js';
import { defaultOpsName, resolveOps } from './ops.js';
import { populateAnon, populateDefault, populateIova, populateVirt } from './populate.js';
import { countedOps } from './stats.js';

/** Options of {@link Mempool.create}. */
export interface MempoolCreateOptions {
  socket?: number;
  flags?: number;
  /** Driver name; default from the flags (ring_mp_mc unless SP_PUT / SC_GET). */
  ops?: string;
  /** Called once per object after the pool is populated. @see rte_mempool_obj_cb_t */
  objInit?: (mp: Mempool, obj: number, idx: number) => void;
  /** Called once before the pool is populated. @see rte_mempool_ctor_t */
  poolInit?: (mp: Mempool) => void;
  /** Cookies in object headers and trailers, checked on every get and put (default: RTEMEM_MEMPOOL_DEBUG=1). */
  debug?: boolean;
  /** Count gets and puts per lcore in shared memory, see stats() (default: RTEMEM_MEMPOOL_STATS=1). @see RTE_LIBRTE_MEMPOOL_STATS */
  stats?: boolean;
}

/**
 * Creating, finding, setting up and freeing pools: the second class of the
 * chain that makes {@link Mempool}.
 */
export class MempoolSetup extends MempoolInfo {
  /* ------------------------------------------------------------------ *
   * Creating, finding, freeing
   * ------------------------------------------------------------------ */

  /**
   * Creates an empty pool: header, caches and private area in memzone
   * MP_<name>, no objects yet; set a driver with setOpsByName (default from
   * the flags) and add objects with populateDefault. Throws EINVAL (bad n,
   * eltSize, cacheSize > 512 or > n, unknown flag), ENAMETOOLONG, EEXIST,
   * ENOMEM. @see rte_mempool_create_empty
   */
  static createEmpty(
    eal: Eal,
    name: string,
    n: number,
    eltSize: number,
    cacheSize: number,
    privateDataSize: number,
    socket: number = SOCKET_ID_ANY,
    flags = 0,
    debug = process.env.RTEMEM_MEMPOOL_DEBUG === '1',
    stats = process.env.RTEMEM_MEMPOOL_STATS === '1',
  ): Mempool {
    checkCreate(name, n, eltSize, cacheSize, privateDataSize, flags);
    const cacheAlign = (flags & MEMPOOL_F_NO_CACHE_ALIGN) === 0;
    const mz = writeHeader(eal, { name, n, eltSize, cacheSize, privateDataSize, socket, flags, cacheAlign, debug, stats: stats === true, opsName: defaultOpsName(flags) });
    return handleFor(eal, mz);
  }

  /**
   * Creates and populates a pool of `n` objects of `eltSize` bytes with
   * per-lcore caches of `cacheSize` (0: none). objInit runs for every object,
   * poolInit once before. On failure nothing stays reserved.
   * @see rte_mempool_create
   */
  static create(eal: Eal, name: string, n: number, eltSize: number, cacheSize = 0, privateDataSize = 0, opts: MempoolCreateOptions = {}): Mempool {
    const debug = opts.debug ?? process.env.RTEMEM_MEMPOOL_DEBUG === '1';
    const stats = opts.stats ?? process.env.RTEMEM_MEMPOOL_STATS === '1';
    return populateNew(MempoolSetup.createEmpty(eal, name, n, eltSize, cacheSize, privateDataSize, opts.socket ?? SOCKET_ID_ANY, opts.flags ?? 0, debug, stats), opts);
  }

  /** The pool created under `name` by any thread or process, or null. @see rte_mempool_lookup */
  static lookup(eal: Eal, name: string): Mempool | null {
    return lookupPool(eal, name);
  }

  /**
   * The pool whose header is at `addr` (the memzone address, as an mbuf's
   * pool field holds it), or null when no live pool is there.
   */
  static atAddress(eal: Eal, addr: number): Mempool | null {
    return poolAt(eal, addr);
  }

  /** Calls `fn` for every pool of the EAL. @see rte_mempool_walk */
  static walk(eal: Eal, fn: (mp: Mempool) => void): void {
    walkPools(eal, fn);
  }

  /** Frees the pool: its driver, its chunks and its header zone. @see rte_mempool_free */
  free(): void {
    freePool(this.mp, this.core, this.baseOps);
  }

  /* ------------------------------------------------------------------ *
   * Driver and population
   * ------------------------------------------------------------------ */

  /**
   * Chooses the driver by name, before the pool is populated. Throws ENOENT
   * for a driver not registered in this thread, EEXIST once the driver has
   * been set up. @see rte_mempool_set_ops_byname
   */
  setOpsByName(name: string): void {
    if (this.core.word(MP_STATE) !== MP_STATE_EMPTY) throw new RteError('EEXIST', `mempool ${this.name} already set up its driver`);
    if (typeof name !== 'string' || Buffer.byteLength(name) >= MP_OPS_NAME_LEN) throw new RteError('EINVAL', 'a driver name is a string of 1 to 31 bytes');
    const ops = resolveOps(name, this.name);
    this.core.list.writeString(this.core.base + MP_OPS_NAME, MP_OPS_NAME_LEN, name);
    this.baseOps = ops;
    this.ops = countedOps(ops, this.counter);
  }

  /** The driver's shared state address (rte_mempool pool_data), set by the driver's alloc. */
  get poolData(): number {
    return this.core.f64[(this.core.base + MP_POOL_DATA) >> 3]!;
  }

  set poolData(addr: number) {
    this.core.f64[(this.core.base + MP_POOL_DATA) >> 3] = addr;
  }

  /**
   * Sets up the driver and adds all objects, in as few chunk memzones as
   * memory allows (MP_<name>_<i>). Returns the number of objects added.
   * Throws EEXIST when already populated, ENOMEM when memory runs out (the
   * chunks reserved so far are given back). @see rte_mempool_populate_default
   */
  populateDefault(): number {
    return populateDefault(this.mp, this.core, this.baseOps);
  }

  /**
   * Adds the objects that fit in your memory [addr, addr+len), memory the
   * EAL maps, as one chunk (it stays yours); call again until the pool is
   * full. Returns the objects added. EINVAL (memory not the EAL's, or the
   * pool's), ENOSPC (full), ENOMEM (64 chunks). See populate.ts.
   * @see rte_mempool_populate_virt
   */
  populateVirt(addr: number, len: number): number {
    return populateVirt(this.mp, this.core, this.baseOps, addr, len);
  }

  /** populateVirt with the chunk's IOVA given (BAD_IOVA: unknown); it must agree with the EAL's where known. @see rte_mempool_populate_iova */
  populateIova(addr: number, iova: bigint, len: number): number {
    return populateIova(this.mp, this.core, this.baseOps, addr, iova, len);
  }

  /** Fills an empty pool from EAL heap blocks of its own (no memzone; freed with it). EINVAL once it has chunks. @see rte_mempool_populate_anon */
  populateAnon(): number {
    return populateAnon(this.mp, this.core, this.baseOps);
  }

  /**
   * Makes the pool whole after a process died in the middle of a get or put
   * that reached the driver (its ring then shows slots claimed but never
   * published or released, see `Ring.dump`), which would make every later
   * get or put of that side wait for it forever. Call it once every other
   * user of the pool has stopped. The objects the dead process was putting
   * or getting are given up (as are those it held); every object left in the
   * pool is whole. Drivers without a recover step (stacks: their lock is
   * taken over from a dead owner, and their state changes by one store)
   * need nothing. Returns the objects given up.
   */
  recover(): { dropped: number; released: number } {
    const state = this.core.word(MP_STATE);
    if (state < MP_STATE_ALLOCATED || state === MP_STATE_FREED) return { dropped: 0, released: 0 };
    return this.ops.recover?.(this.mp) ?? { dropped: 0, released: 0 };
  }
}
