/**
 * Memzones: named zones of memory reserved from the malloc heap, recorded in
 * a table in shared memory, so that every thread and process of an EAL finds
 * a zone by its name. This is the facade, with lookup and free. Its methods
 * come from a chain of classes, one concept per file, each extending the
 * one before (as Mempool's, see @rtemem/mempool's mempool.ts):
 *
 * ```
 * table.ts    MemzoneTable    views, lock, entries, used-slot bitmap, handles, repair after a dead owner
 * walk.ts     MemzoneWalk     walk, count, dump
 * reserve.ts  MemzoneReserve  reserve: checks, placement, flags, biggest zone, publishing the entry
 * memzone.ts  Memzones        of, lookup, free
 * ```
 *
 * The name index (hash, probe, insert, tombstones) is in name-index.ts,
 * the handle in zone.ts, reserve's argument checks in args.ts, the flags
 * in flags.ts, every offset in layout.ts. lookup stays here, in the class
 * that is made, calling the index directly: it is the measured path.
 *
 * @see lib/eal/common/eal_common_memzone.c in DPDK
 */
import { type Eal, hex, RteError } from '@rtemem/eal-hugepage';
import { encodeName, nameHash } from './args.js';
import { MZE_ADDR, MZE_HASH, MZE_SERIAL, MZS_LIVE } from './layout.js';
import { indexFind, indexRemove } from './name-index.js';
import { MemzoneReserve } from './reserve.js';
import { type Memzone, ownerOf, serialOf } from './zone.js';

const facades = new WeakMap<Eal, Memzones>();

/**
 * The memzones of an EAL, seen from one thread: reserve, look up, walk and
 * free named zones. Get it with {@link Memzones.of}.
 *
 * @example
 * ```ts
 * import { Eal, Memzones, MEMZONE_IOVA_CONTIG } from '@rtemem/memzone';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const zones = Memzones.of(eal);
 * const mz = zones.reserve('ring_area', 1 << 16, -1, MEMZONE_IOVA_CONTIG, 4096);
 * zones.lookup('ring_area') === mz;   // any worker or secondary finds it too
 * zones.free(mz);
 * eal.cleanup();
 * ```
 * @see rte_memzone.h
 */
export class Memzones extends MemzoneReserve {
  private constructor(eal: Eal) {
    super(eal);
  }

  /** The memzone facade of an EAL handle (one per handle; in a worker, of its attached EAL). */
  static of(eal: Eal): Memzones {
    let mz = facades.get(eal);
    if (mz === undefined) {
      mz = new Memzones(eal);
      facades.set(eal, mz);
    }
    return mz;
  }

  /**
   * The zone named `name`, or null when there is none. Zones reserved by any
   * thread or process of the EAL are found. Throws EINVAL for a name that
   * is not a non-empty string, ENAMETOOLONG for one over 31 bytes.
   *
   * @see rte_memzone_lookup
   */
  lookup(name: string): Memzone | null {
    const n = encodeName(name, 'lookup', this.nameBytes);
    const hash = nameHash(this.nameBytes, n);
    this.lock();
    try {
      const i = indexFind(this.u32, this.u8, this.area, this.nameBytes, n, hash);
      return i < 0 ? null : this.handle(i, null);
    } finally {
      this.unlock();
    }
  }

  /**
   * Frees zone `mz`: its memory goes back to the heap and its slot to the
   * table, for every thread and process. Throws EINVAL when `mz` is not a
   * handle from `reserve` or `lookup`, belongs to another EAL, or names a
   * zone already freed (a double free, through this handle or another).
   *
   * @see rte_memzone_free
   */
  free(mz: Memzone): void {
    const owner = ownerOf(mz);
    if (owner === null) throw new RteError('EINVAL', `free(${mz === null ? 'null' : typeof mz}): pass a Memzone returned by reserve or lookup`);
    if (owner !== this && owner.eal.config.sab !== this.eal.config.sab) {
      throw new RteError('EINVAL', `free(${mz.name}): that memzone belongs to another EAL: free it through Memzones.of(thatEal)`);
    }
    const e = this.entry(mz.index);
    let addr = 0;
    this.lock();
    try {
      if (this.state(e) !== MZS_LIVE || this.u32[(e + MZE_SERIAL) >> 2] !== serialOf(mz) || this.f64[(e + MZE_ADDR) >> 3] !== mz.addr) {
        throw new RteError('EINVAL', `free(${mz.name}): that memzone was already freed (double free?)`);
      }
      addr = mz.addr;
      // The entry goes first: a process dying between the two steps leaks
      // the block rather than leaving an entry whose memory may be reused.
      if (indexRemove(this.u32, this.area, mz.index, this.u32[(e + MZE_HASH) >> 2]!)) this.rebuild();
      this.clear(e);
      this.markUsed(mz.index, false);
      this.setLiveCount(this.liveCount() - 1);
      this.handles[mz.index] = undefined;
      try {
        this.heap.free(addr);
      } catch (err) {
        throw new RteError('EINVAL', `free(${mz.name}): the zone's memory at ${hex(addr)} was no longer a heap block (freed with Heap.free?); the zone is gone`, { cause: err });
      }
    } finally {
      this.unlock();
    }
  }
}
