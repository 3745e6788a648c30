/**
 * The memzone table as one thread sees it: the views onto the config
 * region, the table's lock, its entries, the used-slot bitmap, the handles
 * already made, and the repair after a process died holding the lock. The
 * base of the class chain that makes {@link Memzones} (see memzone.ts).
 *
 * The lock is held for a whole reserve or free (as DPDK holds
 * `mcfg->mlock`): checks, heap allocation and the entry's fields change
 * together. Lock order: the memzone lock, then a heap lock — the heap never
 * takes the memzone lock, so the two cannot deadlock.
 *
 * @see lib/eal/common/eal_common_memzone.c (rte_eal_memzone_init, the table in rte_mem_config) and rte_memzone.h in DPDK
 */
import { type Eal, LCORE_ID_ANY, lockAcquire, lockRelease, type LockOwner, RteError } from '@rtemem/eal-hugepage';
import { Heap } from '@rtemem/malloc-heap';
import type { Memzones } from './memzone.js';
import { indexInsert } from './name-index.js';
import { Memzone, serialOf } from './zone.js';
import {
  entryOffset,
  MAX_MEMZONE,
  MEMZONE_AREA_BYTES,
  MEMZONE_AREA_NAME,
  MEMZONE_NAMESIZE,
  MZ_COUNT,
  MZ_INDEX,
  MZ_INDEX_SLOTS,
  MZ_LOCK,
  MZ_TOMBSTONES,
  MZ_USED,
  MZ_USED_WORDS,
  MZE_ADDR,
  MZE_HASH,
  MZE_NAME,
  MZE_NAME_LEN,
  MZE_SERIAL,
  MZE_STATE,
  MZS_FREE,
  MZS_LIVE,
} from './layout.js';

/**
 * The table's lock, entries, bitmap and handles: the first class of the
 * chain that makes {@link Memzones}.
 */
export class MemzoneTable {
  readonly eal: Eal;
  /** @internal */
  protected readonly heap: Heap;
  /** @internal */
  protected readonly u8: Uint8Array;
  /** @internal */
  protected readonly i32: Int32Array;
  /** @internal */
  protected readonly u32: Uint32Array;
  /** @internal */
  protected readonly f64: Float64Array;
  /** Offset of the memzone area in the config region. @internal */
  protected readonly area: number;
  /** Handles already made, by slot (reused while the slot's serial matches). @internal */
  protected readonly handles: (Memzone | undefined)[] = [];
  /** The name being looked up or reserved, as utf-8 (no allocation per call). @internal */
  protected readonly nameBytes = new Uint8Array(MEMZONE_NAMESIZE);

  /** @internal */
  protected constructor(eal: Eal) {
    this.eal = eal;
    this.heap = Heap.of(eal);
    this.area = eal.area(MEMZONE_AREA_NAME, MEMZONE_AREA_BYTES);
    this.u8 = eal.config.u8;
    this.i32 = eal.config.i32;
    this.u32 = eal.config.u32;
    this.f64 = eal.config.f64;
  }

  /**
   * This table as the Memzones it is (Memzones, the end of the chain, is
   * the only class of it that is ever made), for the handles it makes. @internal
   */
  protected get zones(): Memzones {
    return this as unknown as Memzones;
  }

  /* ------------------------------------------------------------------ *
   * Table access (callers hold the lock unless said otherwise)
   * ------------------------------------------------------------------ */

  /** @internal */
  protected checkOpen(): void {
    if (this.eal.closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: call Eal.init (or Eal.attach) again and use Memzones.of on the new handle');
  }

  /** @internal */
  protected lock(): void {
    this.checkOpen();
    const lc = this.eal.lcoreId();
    lockAcquire(this.i32, this.area + MZ_LOCK, this.eal.pid, lc === LCORE_ID_ANY ? -1 : lc, this.#onRecover);
  }

  readonly #onRecover = (dead: LockOwner): void => this.#repair(dead);

  /** @internal */
  protected unlock(): void {
    lockRelease(this.i32, this.area + MZ_LOCK);
  }

  /** @internal */
  protected entry(i: number): number {
    return this.area + entryOffset(i);
  }

  /** @internal */
  protected state(e: number): number {
    return Atomics.load(this.u32, (e + MZE_STATE) >> 2);
  }

  /** Zones in state MZS_LIVE (readable without the lock). @internal */
  protected liveCount(): number {
    return Atomics.load(this.u32, (this.area + MZ_COUNT) >> 2);
  }

  /** @internal */
  protected setLiveCount(n: number): void {
    Atomics.store(this.u32, (this.area + MZ_COUNT) >> 2, n);
  }

  // A process died holding the lock: a reserve it left half done gives its
  // memory back (nobody else can hold that block: it was allocated for the
  // entry and never published), and the count, the bitmap and the name
  // index are made again from the entries.
  #repair(_dead: LockOwner): void {
    let live = 0;
    for (let i = 0; i < MAX_MEMZONE; i++) {
      const e = this.entry(i);
      const st = this.state(e);
      if (st === MZS_LIVE) {
        live++;
        continue;
      }
      if (st === MZS_FREE) continue;
      const addr = this.f64[(e + MZE_ADDR) >> 3]!;
      if (addr !== 0) {
        try {
          this.heap.free(addr);
        } catch {
          // Already back in the heap: nothing to give.
        }
      }
      this.clear(e);
    }
    this.setLiveCount(live);
    this.rebuild();
  }

  /** @internal */
  protected clear(e: number): void {
    Atomics.store(this.u32, (e + MZE_STATE) >> 2, MZS_FREE);
    this.u8.fill(0, e, e + MZE_STATE);
    this.u32[(e + MZE_SERIAL) >> 2] = 0;
    this.u32[(e + MZE_HASH) >> 2] = 0;
  }

  /* Used-slot bitmap */

  /** @internal */
  protected markUsed(i: number, used: boolean): void {
    const w = (this.area + MZ_USED) / 4 + (i >>> 5);
    this.u32[w] = used ? this.u32[w]! | (1 << (i & 31)) : this.u32[w]! & ~(1 << (i & 31));
  }

  /** The lowest free slot, or -1. @internal */
  protected freeSlot(): number {
    const base = (this.area + MZ_USED) / 4;
    for (let w = 0; w < MZ_USED_WORDS; w++) {
      const free = ~this.u32[base + w]!;
      // The lowest zero bit of the word: 31 - clz of its lowest set bit in `free`.
      if (free !== 0) return w * 32 + (31 - Math.clz32(free & -free));
    }
    return -1;
  }

  /** The bitmap and the name index (name-index.ts), made again from the entries. @internal */
  protected rebuild(): void {
    const index = this.area + MZ_INDEX;
    this.u8.fill(0, this.area + MZ_USED, index + MZ_INDEX_SLOTS * 4);
    this.u32[(this.area + MZ_TOMBSTONES) >> 2] = 0;
    for (let i = 0; i < MAX_MEMZONE; i++) {
      const e = this.entry(i);
      const st = this.state(e);
      if (st === MZS_FREE) continue;
      this.markUsed(i, true);
      if (st === MZS_LIVE) indexInsert(this.u32, this.area, i, this.u32[(e + MZE_HASH) >> 2]!);
    }
  }

  /** The handle of live slot `i`: the one made before while it still names this reservation. @internal */
  protected handle(i: number, name: string | null): Memzone {
    const e = this.entry(i);
    const serial = this.u32[(e + MZE_SERIAL) >> 2]!;
    const cached = this.handles[i];
    if (cached !== undefined && serialOf(cached) === serial) return cached;
    const mz = new Memzone(this.zones, i, e, name ?? this.eal.config.readString(e + MZE_NAME, MZE_NAME_LEN));
    this.handles[i] = mz;
    return mz;
  }
}
