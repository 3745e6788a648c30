/**
 * Memzones: named zones of memory reserved from the malloc heap, recorded in
 * a table in shared memory, so that every thread and process of an EAL finds
 * a zone by its name.
 *
 * The table's lock is held for a whole reserve or free (as DPDK holds
 * `mcfg->mlock`): checks, heap allocation and the entry's fields change
 * together. Lock order: the memzone lock, then a heap lock — the heap never
 * takes the memzone lock, so the two cannot deadlock.
 *
 * @see lib/eal/common/eal_common_memzone.c in DPDK
 */
import {
  alignCeil,
  BAD_IOVA,
  CACHE_LINE_SIZE,
  type Eal,
  formatSize,
  hex,
  IOVA_UNKNOWN,
  LCORE_ID_ANY,
  LIST_SPAN,
  lockAcquire,
  lockRelease,
  type LockOwner,
  RteError,
  segIovaWords,
  SOCKET_ID_ANY,
} from '@rtemem/eal-hugepage';
import { CACHE_MAX_SIZE, Heap } from '@rtemem/malloc-heap';
import { checkArgs, encodeName, label, nameHash } from './args.js';
import { Memzone, ownerOf, serialOf } from './zone.js';
import { flagNames, MEMZONE_IOVA_CONTIG, MEMZONE_SIZE_HINT_ONLY, pageSizesOf } from './flags.js';

import {
  entryOffset,
  MZI_HASH_SHIFT,
  MZI_SLOT_MASK,
  MAX_MEMZONE,
  MEMZONE_AREA_BYTES,
  MEMZONE_AREA_NAME,
  MEMZONE_NAMESIZE,
  MZ_COUNT,
  MZ_INDEX,
  MZ_INDEX_SLOTS,
  MZ_LOCK,
  MZ_NEXT_SERIAL,
  MZ_TOMBSTONES,
  MZ_USED,
  MZ_USED_WORDS,
  MZE_ADDR,
  MZE_FLAGS,
  MZE_HASH,
  MZE_HUGEPAGE_SZ,
  MZE_IOVA_HI,
  MZE_IOVA_LO,
  MZE_LEN,
  MZE_NAME,
  MZE_NAME_LEN,
  MZE_SERIAL,
  MZE_SOCKET,
  MZE_STATE,
  MZI_MAX_TOMBSTONES,
  MZI_TOMBSTONE,
  MZS_FREE,
  MZS_LIVE,
  MZS_RESERVING,
} from './layout.js';

function formatIova(iova: bigint): string {
  return iova === BAD_IOVA ? 'BAD_IOVA' : hex(iova);
}

const facades = new WeakMap<Eal, Memzones>();

/** The name index's word for slot `slot` of a zone whose name hash is `hash`. */
function indexWord(slot: number, hash: number): number {
  return (((hash >>> MZI_HASH_SHIFT) << MZI_HASH_SHIFT) | (slot + 1)) >>> 0;
}

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
export class Memzones {
  readonly eal: Eal;
  readonly #heap: Heap;
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  /** Offset of the memzone area in the config region. */
  readonly #area: number;
  /** Handles already made, by slot (reused while the slot's serial matches). */
  readonly #handles: (Memzone | undefined)[] = [];
  /** The name being looked up or reserved, as utf-8 (no allocation per call). */
  readonly #name = new Uint8Array(MEMZONE_NAMESIZE);
  readonly #iova = new Uint32Array(2);
  /** walk()'s list of handles, reused (a walk inside a walk makes its own). */
  readonly #walkList: Memzone[] = [];
  #walking = false;

  private constructor(eal: Eal) {
    this.eal = eal;
    this.#heap = Heap.of(eal);
    this.#area = eal.area(MEMZONE_AREA_NAME, MEMZONE_AREA_BYTES);
    this.#u8 = eal.config.u8;
    this.#i32 = eal.config.i32;
    this.#u32 = eal.config.u32;
    this.#f64 = eal.config.f64;
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

  /* ------------------------------------------------------------------ *
   * Table access (callers hold the lock unless said otherwise)
   * ------------------------------------------------------------------ */

  #checkOpen(): void {
    if (this.eal.closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: call Eal.init (or Eal.attach) again and use Memzones.of on the new handle');
  }

  #lock(): void {
    this.#checkOpen();
    const lc = this.eal.lcoreId();
    lockAcquire(this.#i32, this.#area + MZ_LOCK, this.eal.pid, lc === LCORE_ID_ANY ? -1 : lc, this.#onRecover);
  }

  readonly #onRecover = (dead: LockOwner): void => this.#repair(dead);

  #unlock(): void {
    lockRelease(this.#i32, this.#area + MZ_LOCK);
  }

  #entry(i: number): number {
    return this.#area + entryOffset(i);
  }

  #state(e: number): number {
    return Atomics.load(this.#u32, (e + MZE_STATE) >> 2);
  }

  #count(): number {
    return Atomics.load(this.#u32, (this.#area + MZ_COUNT) >> 2);
  }

  #setCount(n: number): void {
    Atomics.store(this.#u32, (this.#area + MZ_COUNT) >> 2, n);
  }

  // A process died holding the lock: a reserve it left half done gives its
  // memory back (nobody else can hold that block: it was allocated for the
  // entry and never published), and the count, the bitmap and the name
  // index are made again from the entries.
  #repair(_dead: LockOwner): void {
    let live = 0;
    for (let i = 0; i < MAX_MEMZONE; i++) {
      const e = this.#entry(i);
      const st = this.#state(e);
      if (st === MZS_LIVE) {
        live++;
        continue;
      }
      if (st === MZS_FREE) continue;
      const addr = this.#f64[(e + MZE_ADDR) >> 3]!;
      if (addr !== 0) {
        try {
          this.#heap.free(addr);
        } catch {
          // Already back in the heap: nothing to give.
        }
      }
      this.#clear(e);
    }
    this.#setCount(live);
    this.#rebuild();
  }

  #clear(e: number): void {
    Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_FREE);
    this.#u8.fill(0, e, e + MZE_STATE);
    this.#u32[(e + MZE_SERIAL) >> 2] = 0;
    this.#u32[(e + MZE_HASH) >> 2] = 0;
  }

  /* Used-slot bitmap */

  #markUsed(i: number, used: boolean): void {
    const w = (this.#area + MZ_USED) / 4 + (i >>> 5);
    this.#u32[w] = used ? this.#u32[w]! | (1 << (i & 31)) : this.#u32[w]! & ~(1 << (i & 31));
  }

  /** The lowest free slot, or -1. */
  #freeSlot(): number {
    const base = (this.#area + MZ_USED) / 4;
    for (let w = 0; w < MZ_USED_WORDS; w++) {
      const free = ~this.#u32[base + w]!;
      // The lowest zero bit of the word: 31 - clz of its lowest set bit in `free`.
      if (free !== 0) return w * 32 + (31 - Math.clz32(free & -free));
    }
    return -1;
  }

  /* Name index */

  /** Slot of the live zone whose name is the first `n` bytes of #name (hash `hash`), or -1. */
  #find(n: number, hash: number): number {
    const u32 = this.#u32;
    const u8 = this.#u8;
    const name = this.#name;
    const index = (this.#area + MZ_INDEX) >> 2;
    const hi = hash >>> MZI_HASH_SHIFT;
    for (let probe = 0, k = hash & (MZ_INDEX_SLOTS - 1); probe < MZ_INDEX_SLOTS; probe++, k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
      const word = u32[index + k]!;
      if (word === 0) return -1;
      if (word === MZI_TOMBSTONE || word >>> MZI_HASH_SHIFT !== hi) continue;
      const slot = (word & MZI_SLOT_MASK) - 1;
      const e = this.#entry(slot);
      if (u32[(e + MZE_HASH) >> 2] !== hash || u32[(e + MZE_STATE) >> 2] !== MZS_LIVE) continue;
      if (n < MZE_NAME_LEN && u8[e + MZE_NAME + n] !== 0) continue;
      let k2 = 0;
      while (k2 < n && u8[e + MZE_NAME + k2] === name[k2]) k2++;
      if (k2 === n) return slot;
    }
    return -1;
  }

  #indexInsert(slot: number, hash: number): void {
    const u32 = this.#u32;
    const index = (this.#area + MZ_INDEX) >> 2;
    for (let k = hash & (MZ_INDEX_SLOTS - 1); ; k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
      const word = u32[index + k]!;
      if (word === 0 || word === MZI_TOMBSTONE) {
        if (word === MZI_TOMBSTONE) u32[(this.#area + MZ_TOMBSTONES) >> 2] = u32[(this.#area + MZ_TOMBSTONES) >> 2]! - 1;
        u32[index + k] = indexWord(slot, hash);
        return;
      }
    }
  }

  #indexRemove(slot: number, hash: number): void {
    const u32 = this.#u32;
    const index = (this.#area + MZ_INDEX) >> 2;
    const word = indexWord(slot, hash);
    for (let probe = 0, k = hash & (MZ_INDEX_SLOTS - 1); probe < MZ_INDEX_SLOTS; probe++, k = (k + 1) & (MZ_INDEX_SLOTS - 1)) {
      const w = u32[index + k]!;
      if (w === 0) return;
      if (w !== word) continue;
      u32[index + k] = MZI_TOMBSTONE;
      const tombs = u32[(this.#area + MZ_TOMBSTONES) >> 2]! + 1;
      u32[(this.#area + MZ_TOMBSTONES) >> 2] = tombs;
      if (tombs > MZI_MAX_TOMBSTONES) this.#rebuild();
      return;
    }
  }

  // The bitmap and the index, made again from the entries.
  #rebuild(): void {
    const index = this.#area + MZ_INDEX;
    this.#u8.fill(0, this.#area + MZ_USED, index + MZ_INDEX_SLOTS * 4);
    this.#u32[(this.#area + MZ_TOMBSTONES) >> 2] = 0;
    for (let i = 0; i < MAX_MEMZONE; i++) {
      const e = this.#entry(i);
      const st = this.#state(e);
      if (st === MZS_FREE) continue;
      this.#markUsed(i, true);
      if (st === MZS_LIVE) this.#indexInsert(i, this.#u32[(e + MZE_HASH) >> 2]!);
    }
  }

  /** The handle of live slot `i`: the one made before while it still names this reservation. */
  #handle(i: number, name: string | null): Memzone {
    const e = this.#entry(i);
    const serial = this.#u32[(e + MZE_SERIAL) >> 2]!;
    const cached = this.#handles[i];
    if (cached !== undefined && serialOf(cached) === serial) return cached;
    const mz = new Memzone(this, i, e, name ?? this.eal.config.readString(e + MZE_NAME, MZE_NAME_LEN));
    this.#handles[i] = mz;
    return mz;
  }

  /* ------------------------------------------------------------------ *
   * Public API
   * ------------------------------------------------------------------ */

  /**
   * Reserves a zone of `len` bytes named `name`, aligned to `align` and not
   * crossing a multiple of `bound`, from the heap of `socket`, and records
   * it in the shared table. `len` is rounded up to a multiple of 64 (at
   * least 64); `len` 0 reserves the biggest free block (or, with a `bound`,
   * `bound` bytes). `align` below 64 becomes 64. Page-size flags
   * (MEMZONE_2MB, MEMZONE_1GB, ...) take memory of those page sizes only,
   * unless MEMZONE_SIZE_HINT_ONLY lets any other size do; MEMZONE_IOVA_CONTIG
   * asks for memory contiguous in IOVA where IOVAs are known.
   *
   * Checks in DPDK's order and throws RteError:
   * - ENOSPC: all MAX_MEMZONE zones exist;
   * - EINVAL / ENAMETOOLONG: `name` is not a non-empty string / is over 31 bytes of utf-8;
   * - EEXIST: a zone named `name` exists;
   * - EINVAL: `align` is not 0 or a power of two; `len` is not a whole number
   *   of bytes; `bound` is not 0 or a power of two at least the (rounded) length;
   *   `socket` is not SOCKET_ID_ANY or a socket with a heap; `flags` has a bit
   *   that is no MEMZONE_* flag;
   * - ENOMEM: no heap can hold it.
   *
   * @see rte_memzone_reserve, rte_memzone_reserve_aligned, rte_memzone_reserve_bounded
   */
  reserve(name: string, len: number, socket: number = SOCKET_ID_ANY, flags = 0, align = 64, bound = 0): Memzone {
    // Checks of the arguments alone run before the lock (a shorter hold
    // lets other threads and processes in); their errors are thrown below,
    // after the table's checks that DPDK makes first.
    let n = -1;
    let nameError: unknown = null;
    try {
      n = encodeName(name, 'reserve', this.#name);
    } catch (err) {
      nameError = err;
    }
    const hash = n < 0 ? 0 : nameHash(this.#name, n);
    const argError = checkArgs(name, len, socket, flags, align, bound);
    this.#lock();
    try {
      if (this.#count() >= MAX_MEMZONE) {
        throw new RteError('ENOSPC', `${label(name)}: all ${MAX_MEMZONE} memzones (MAX_MEMZONE) are in use: free some first`);
      }
      if (n < 0) throw nameError;
      if (this.#find(n, hash) >= 0) {
        throw new RteError('EEXIST', `reserve: a memzone named ${JSON.stringify(name)} exists: look it up, or free it first`);
      }
      if (argError !== null) throw argError;
      const alignBytes = align < CACHE_LINE_SIZE ? CACHE_LINE_SIZE : align;
      const rounded = alignCeil(len, CACHE_LINE_SIZE);
      let requested = Math.max(CACHE_LINE_SIZE, rounded);

      // A slot exists: the count is below MAX_MEMZONE and matches the entries.
      const slot = this.#freeSlot();
      if (slot < 0) throw new RteError('ENOSPC', `${label(name)}: no free memzone slot: free some first`);
      const e = this.#entry(slot);
      Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_RESERVING);
      this.#markUsed(slot, true);

      const contig = (flags & MEMZONE_IOVA_CONTIG) !== 0;
      const pageSizes = pageSizesOf(flags);
      const hintOnly = (flags & MEMZONE_SIZE_HINT_ONLY) !== 0;
      let addr = 0;
      let zoneLen = 0;
      try {
        if (rounded === 0 && bound === 0) {
          // Blocks parked in lcore heap caches merge back first: the biggest
          // block may need them (socketStats' greatestFreeSize counts them so).
          this.#heap.cacheReclaim();
          const got = this.#heap.allocBiggest(socket, { align: alignBytes, bound, contig, pageSizes, hintOnly });
          if (got !== null) {
            addr = got.addr;
            this.#f64[(e + MZE_ADDR) >> 3] = addr;
            zoneLen = this.#heap.usableSize(addr);
          }
        } else {
          if (rounded === 0) requested = bound;
          // A small zone with no placement asks is a plain heap block: the
          // calling lcore's heap cache may hand one out without the heap lock.
          if (flags === 0 && bound === 0 && alignBytes === CACHE_LINE_SIZE && socket === SOCKET_ID_ANY && requested <= CACHE_MAX_SIZE) addr = this.#heap.malloc(requested);
          if (addr === 0) addr = this.#heap.allocPlaced(requested, socket, alignBytes, bound, contig, pageSizes, hintOnly);
          if (addr === 0 && this.#heap.cacheReclaim() > 0) addr = this.#heap.allocPlaced(requested, socket, alignBytes, bound, contig, pageSizes, hintOnly);
          // Recorded at once, so that a repair after this process dies gives the block back.
          this.#f64[(e + MZE_ADDR) >> 3] = addr;
          zoneLen = requested;
        }
      } catch (err) {
        this.#clear(e);
        this.#markUsed(slot, false);
        if (err instanceof RteError && err.code === 'EINVAL') {
          throw new RteError('EINVAL', `${label(name)}: no heap on socket ${socket}: use SOCKET_ID_ANY or a socket with memory`, { cause: err });
        }
        throw err;
      }
      if (addr === 0) {
        this.#clear(e);
        this.#markUsed(slot, false);
        const what = rounded === 0 && bound === 0 ? 'any free block' : `${requested} bytes`;
        const where = ` (align ${alignBytes}${bound !== 0 ? `, bound ${bound}` : ''}${flags !== 0 ? `, flags ${flagNames(flags)}` : ''})`;
        const have = this.eal.pageSizes;
        if (pageSizes !== null && !hintOnly && !have.some((size) => pageSizes.includes(size))) {
          // No memseg list of any size asked for: no amount of freeing helps.
          throw new RteError(
            'ENOMEM',
            `${label(name)}: the EAL has no memory of ${pageSizes.map(formatSize).join(' or ')} pages${where}, only ${have.map(formatSize).join(', ')}: ` +
              `start it with hugepages of that size reserved and mounted (and no pageSize or hugeDir that leaves them out), ` +
              'or add MEMZONE_SIZE_HINT_ONLY to accept other page sizes',
          );
        }
        throw new RteError(
          'ENOMEM',
          `${label(name)}: no heap${socket === SOCKET_ID_ANY ? '' : ` on socket ${socket}`} has ${what}${where}` +
            `: free zones or memory, start the EAL with more memory${pageSizes !== null && !hintOnly ? ', or add MEMZONE_SIZE_HINT_ONLY to accept other page sizes' : ''}`,
        );
      }

      const u8 = this.#u8;
      for (let k = 0; k < n; k++) u8[e + MZE_NAME + k] = this.#name[k]!;
      for (let k = n; k < MZE_NAME_LEN; k++) u8[e + MZE_NAME + k] = 0;
      this.#f64[(e + MZE_ADDR) >> 3] = addr;
      this.#f64[(e + MZE_LEN) >> 3] = zoneLen;
      this.#f64[(e + MZE_HUGEPAGE_SZ) >> 3] = this.#heap.pageSizeOf(addr);
      this.#iovaOf(addr);
      this.#u32[(e + MZE_IOVA_LO) >> 2] = this.#iova[0]!;
      this.#u32[(e + MZE_IOVA_HI) >> 2] = this.#iova[1]!;
      this.#i32[(e + MZE_SOCKET) >> 2] = this.#heap.socketOf(addr);
      this.#u32[(e + MZE_FLAGS) >> 2] = flags;
      this.#u32[(e + MZE_HASH) >> 2] = hash;
      const serialWord = (this.#area + MZ_NEXT_SERIAL) >> 2;
      const serial = this.#u32[serialWord]! === 0 ? 1 : this.#u32[serialWord]!;
      // Serials are u32 and never 0 (0 marks a free entry): after 2**32 - 1 comes 1.
      this.#u32[serialWord] = serial === 0xffffffff ? 1 : serial + 1;
      this.#u32[(e + MZE_SERIAL) >> 2] = serial;
      // Last: the entry is complete before anyone can find it.
      Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_LIVE);
      this.#indexInsert(slot, hash);
      this.#setCount(this.#count() + 1);
      return this.#handle(slot, name);
    } finally {
      this.#unlock();
    }
  }

  // The IOVA of `addr` into #iova (low, high); both IOVA_UNKNOWN when unknown.
  #iovaOf(addr: number): void {
    const list = this.eal.list(Math.floor(addr / LIST_SPAN));
    if (list === undefined || !segIovaWords(this.eal.config, list, addr - list.baseAddr, this.#iova)) {
      this.#iova[0] = IOVA_UNKNOWN;
      this.#iova[1] = IOVA_UNKNOWN;
    }
  }

  /**
   * The zone named `name`, or null when there is none. Zones reserved by any
   * thread or process of the EAL are found. Throws EINVAL for a name that
   * is not a non-empty string, ENAMETOOLONG for one over 31 bytes.
   *
   * @see rte_memzone_lookup
   */
  lookup(name: string): Memzone | null {
    const n = encodeName(name, 'lookup', this.#name);
    const hash = nameHash(this.#name, n);
    this.#lock();
    try {
      const i = this.#find(n, hash);
      return i < 0 ? null : this.#handle(i, null);
    } finally {
      this.#unlock();
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
    const e = this.#entry(mz.index);
    let addr = 0;
    this.#lock();
    try {
      if (this.#state(e) !== MZS_LIVE || this.#u32[(e + MZE_SERIAL) >> 2] !== serialOf(mz) || this.#f64[(e + MZE_ADDR) >> 3] !== mz.addr) {
        throw new RteError('EINVAL', `free(${mz.name}): that memzone was already freed (double free?)`);
      }
      addr = mz.addr;
      // The entry goes first: a process dying between the two steps leaks
      // the block rather than leaving an entry whose memory may be reused.
      this.#indexRemove(mz.index, this.#u32[(e + MZE_HASH) >> 2]!);
      this.#clear(e);
      this.#markUsed(mz.index, false);
      this.#setCount(this.#count() - 1);
      this.#handles[mz.index] = undefined;
      try {
        this.#heap.free(addr);
      } catch (err) {
        throw new RteError('EINVAL', `free(${mz.name}): the zone's memory at ${hex(addr)} was no longer a heap block (freed with Heap.free?); the zone is gone`, { cause: err });
      }
    } finally {
      this.#unlock();
    }
  }

  /**
   * Calls `fn` with every zone, in slot order. The zones are listed under
   * the table's lock, and `fn` runs after it is released, so `fn` may
   * reserve, look up or free zones.
   *
   * @see rte_memzone_walk
   */
  walk(fn: (mz: Memzone) => void): void {
    // The list is reused (entries overwritten, never emptied: V8 would drop
    // its storage), so a walk allocates nothing once every zone has a handle.
    const nested = this.#walking;
    const zones = nested ? [] : this.#walkList;
    let count = 0;
    this.#lock();
    try {
      const base = (this.#area + MZ_USED) / 4;
      for (let w = 0; w < MZ_USED_WORDS; w++) {
        for (let bits = this.#u32[base + w]!; bits !== 0; bits &= bits - 1) {
          const i = w * 32 + (31 - Math.clz32(bits & -bits));
          if (this.#state(this.#entry(i)) !== MZS_LIVE) continue;
          const mz = this.#handle(i, null);
          if (count < zones.length) zones[count] = mz;
          else zones.push(mz);
          count++;
        }
      }
    } finally {
      this.#unlock();
    }
    this.#walking = true;
    try {
      for (let k = 0; k < count; k++) fn(zones[k]!);
    } finally {
      this.#walking = nested;
    }
  }

  /** Zones reserved and not freed, in every thread and process. */
  count(): number {
    this.#checkOpen();
    return this.#count();
  }

  /**
   * A header line, then one line per zone: slot, name, length, address,
   * IOVA, socket, flags and page size.
   *
   * @see rte_memzone_dump
   */
  dump(): string {
    const lines: string[] = [];
    this.walk((mz) => {
      lines.push(
        `Zone ${mz.index}: name:<${mz.name}>, len:${hex(mz.len)}, addr:${hex(mz.addr)}, iova:${formatIova(mz.iova)}, ` +
          `socket_id:${mz.socketId}, flags:${hex(mz.flags)}${mz.flags !== 0 ? ` (${flagNames(mz.flags)})` : ''}, hugepage_sz:${mz.hugepageSz}`,
      );
    });
    return [`Memzones: ${lines.length} of ${MAX_MEMZONE} (MAX_MEMZONE) in use`, ...lines].join('\n');
  }
}
