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
import { BAD_IOVA, type Eal, Heap, LCORE_ID_ANY, lockAcquire, lockRelease, type LockOwner, Memory, RteError, SOCKET_ID_ANY } from '@rtemem/malloc-heap';
import { flagNames, MEMZONE_IOVA_CONTIG, MEMZONE_KNOWN_FLAGS, MEMZONE_SIZE_HINT_ONLY, pageSizesOf } from './flags.js';
import {
  entryOffset,
  MAX_MEMZONE,
  MEMZONE_AREA_BYTES,
  MEMZONE_AREA_NAME,
  MEMZONE_NAMESIZE,
  MZ_COUNT,
  MZ_ENTRIES,
  MZ_ENTRY_BYTES,
  MZ_LOCK,
  MZ_NEXT_SERIAL,
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
  MZS_FREE,
  MZS_LIVE,
  MZS_RESERVING,
} from './layout.js';

/** Largest length, alignment or bound accepted: beyond it a double is no longer exact. */
const MAX_SIZE = 2 ** 52;

/** What a zone's entry says, read under the lock. */
interface EntryFields {
  name: string;
  addr: number;
  len: number;
  hugepageSz: number;
  iova: bigint;
  socketId: number;
  flags: number;
  serial: number;
}

// Lets Memzones read a handle's private fields (and recognise a real handle).
let handleSlot: (mz: unknown) => { owner: Memzones; index: number; serial: number } | null;

/**
 * A handle onto one reserved zone. Its fields are a copy of the zone's
 * table entry, taken when the handle was made; the zone itself (the memory
 * and the entry) lives in shared memory, and any thread or process finds it
 * with {@link Memzones.lookup}.
 *
 * @example
 * ```ts
 * import { Eal, Memzones } from '@rtemem/memzone';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const mz = Memzones.of(eal).reserve('stats', 4096);
 * mz.bytes().fill(0);       // a view onto the zone, shared with every other view
 * mz.len === 4096 && mz.addr % 64 === 0;
 * eal.cleanup();
 * ```
 * @see struct rte_memzone
 */
export class Memzone {
  /** The zone's name (at most 31 bytes of utf-8). */
  readonly name: string;
  /** rtemem address of the zone's first byte. */
  readonly addr: number;
  /** IOVA (physical address) of the first byte; BAD_IOVA (-1n) when unknown. */
  readonly iova: bigint;
  /** Bytes of the zone: the requested length rounded up to 64. */
  readonly len: number;
  /** Page size of the memory holding the zone. */
  readonly hugepageSz: number;
  /** Socket of the heap the zone came from. */
  readonly socketId: number;
  /** The MEMZONE_* flags the zone was reserved with (DPDK stores 0 here). */
  readonly flags: number;
  /** Slot of the zone in the memzone table (0 .. MAX_MEMZONE-1). */
  readonly index: number;
  readonly #owner: Memzones;
  readonly #serial: number;
  readonly #u32: Uint32Array;
  readonly #entry: number;
  #view: Uint8Array | null = null;

  /** @internal Made by {@link Memzones}; a handle built any other way is not accepted by `free`. */
  constructor(owner: Memzones, index: number, entry: number, f: EntryFields) {
    this.name = f.name;
    this.addr = f.addr;
    this.iova = f.iova;
    this.len = f.len;
    this.hugepageSz = f.hugepageSz;
    this.socketId = f.socketId;
    this.flags = f.flags;
    this.index = index;
    this.#owner = owner;
    this.#serial = f.serial;
    this.#u32 = owner.eal.config.u32;
    this.#entry = entry;
  }

  static {
    handleSlot = (mz) => (typeof mz === 'object' && mz !== null && #owner in mz ? { owner: mz.#owner, index: mz.index, serial: mz.#serial } : null);
  }

  /** True while the zone this handle names has not been freed (by anyone, anywhere). */
  get live(): boolean {
    return Atomics.load(this.#u32, (this.#entry + MZE_STATE) >> 2) === MZS_LIVE && Atomics.load(this.#u32, (this.#entry + MZE_SERIAL) >> 2) === this.#serial;
  }

  /**
   * A view (never a copy) of the zone's `len` bytes; every thread and
   * process that looks the zone up sees the same memory. Throws EINVAL once
   * the zone has been freed (by anyone) or the EAL cleaned up.
   */
  bytes(): Uint8Array {
    if (!this.live) throw new RteError('EINVAL', `memzone ${this.name} was freed (or its EAL cleaned up): look it up again (lookup) or reserve it again`);
    if (this.#view === null) this.#view = Memory.of(this.#owner.eal).bytes(this.addr, this.len);
    return this.#view;
  }
}

const facades = new WeakMap<Eal, Memzones>();

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SIZE;
}

function isPowerOfTwo(v: number): boolean {
  return v > 0 && 2 ** Math.round(Math.log2(v)) === v;
}

/** A value for a message; never throws (String() does on some objects). */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'undefined') return String(v);
  return `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function formatIova(iova: bigint): string {
  return iova === BAD_IOVA ? 'BAD_IOVA' : `0x${iova.toString(16)}`;
}

/** FNV-1a of the name's bytes: lookup compares this word before any string. */
function nameHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The utf-8 bytes of a zone name; throws EINVAL or ENAMETOOLONG. */
function encodeName(name: unknown, op: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0) {
    throw new RteError('EINVAL', `${op}: a memzone name must be a non-empty string, not ${show(name)}`);
  }
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.includes(0) || bytes.toString('utf8') !== name) {
    throw new RteError('EINVAL', `${op}: memzone name ${JSON.stringify(name)} must be valid unicode without NUL characters`);
  }
  if (bytes.length > MEMZONE_NAMESIZE - 1) {
    throw new RteError('ENAMETOOLONG', `${op}: memzone name ${JSON.stringify(name)} is ${bytes.length} bytes of utf-8; the limit is ${MEMZONE_NAMESIZE - 1} (MEMZONE_NAMESIZE - 1)`);
  }
  return bytes;
}

/** How reserve's messages name the call. */
function label(name: unknown): string {
  return `reserve(${show(name)})`;
}

/**
 * The first of reserve's argument errors in DPDK's order (alignment,
 * length, bound, socket, flags), or null. @see memzone_reserve_aligned_thread_unsafe
 */
function checkArgs(name: string, len: unknown, socket: unknown, flags: unknown, align: unknown, bound: unknown): RteError | null {
  if (!isCount(align) || (align !== 0 && !isPowerOfTwo(align))) {
    return new RteError('EINVAL', `${label(name)}: align must be 0 or a power of two, not ${show(align)}`);
  }
  if (!isCount(len)) {
    return new RteError('EINVAL', `${label(name)}: len must be a whole number of bytes from 0 to 2**52 (0: the biggest free block), not ${show(len)}`);
  }
  const requested = Math.max(64, Math.ceil(len / 64) * 64);
  if (!isCount(bound) || (bound !== 0 && (!isPowerOfTwo(bound) || requested > bound))) {
    return new RteError('EINVAL', `${label(name)}: bound must be 0 or a power of two at least the length (${requested} bytes after rounding up to 64), not ${show(bound)}`);
  }
  if (typeof socket !== 'number' || !Number.isInteger(socket) || (socket !== SOCKET_ID_ANY && socket < 0)) {
    return new RteError('EINVAL', `${label(name)}: socket must be SOCKET_ID_ANY (-1) or a socket id, not ${show(socket)}`);
  }
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~MEMZONE_KNOWN_FLAGS) !== 0) {
    return new RteError(
      'EINVAL',
      `${label(name)}: flags ${typeof flags === 'number' && Number.isInteger(flags) ? hex(flags) : show(flags)} has bits that are no MEMZONE_* flag (known: ${hex(MEMZONE_KNOWN_FLAGS)})`,
    );
  }
  return null;
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
  readonly #memory: Memory;
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  /** Offset of the memzone area in the config region. */
  readonly #area: number;
  /** Handles already made, by slot (reused while the slot's serial matches). */
  readonly #handles: (Memzone | undefined)[] = [];

  private constructor(eal: Eal) {
    this.eal = eal;
    this.#heap = Heap.of(eal);
    this.#memory = Memory.of(eal);
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
    lockAcquire(this.#i32, this.#area + MZ_LOCK, this.eal.pid, lc === LCORE_ID_ANY ? -1 : lc, (dead) => this.#repair(dead));
  }

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
  // entry and never published), and the count is made to match the entries.
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
  }

  #clear(e: number): void {
    Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_FREE);
    this.#u8.fill(0, e, e + MZE_STATE);
    this.#u32[(e + MZE_SERIAL) >> 2] = 0;
    this.#u32[(e + MZE_HASH) >> 2] = 0;
  }

  /** Slot of the live zone named by `bytes`, or -1. Plain reads: every writer holds the lock. */
  #find(bytes: Uint8Array, hash: number): number {
    const u8 = this.#u8;
    const u32 = this.#u32;
    const n = bytes.length;
    // Word indexes of entry 0's hash and state; an entry is MZ_ENTRY_BYTES / 4 words.
    const hashWord = (this.#area + MZ_ENTRIES + MZE_HASH) >> 2;
    const stateWord = (this.#area + MZ_ENTRIES + MZE_STATE) >> 2;
    for (let i = 0, w = 0; i < MAX_MEMZONE; i++, w += MZ_ENTRY_BYTES >> 2) {
      if (u32[hashWord + w] !== hash || u32[stateWord + w] !== MZS_LIVE) continue;
      const name = this.#entry(i) + MZE_NAME;
      if (n < MZE_NAME_LEN && u8[name + n] !== 0) continue;
      let same = true;
      for (let k = 0; k < n; k++) {
        if (u8[name + k] !== bytes[k]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
    return -1;
  }

  /** The first free slot, or -1. */
  #freeSlot(): number {
    const u32 = this.#u32;
    const stateWord = (this.#area + MZ_ENTRIES + MZE_STATE) >> 2;
    for (let i = 0, w = 0; i < MAX_MEMZONE; i++, w += MZ_ENTRY_BYTES >> 2) if (u32[stateWord + w] === MZS_FREE) return i;
    return -1;
  }

  #fields(e: number): EntryFields {
    const lo = this.#u32[(e + MZE_IOVA_LO) >> 2]!;
    const hi = this.#u32[(e + MZE_IOVA_HI) >> 2]!;
    return {
      name: this.eal.config.readString(e + MZE_NAME, MZE_NAME_LEN),
      addr: this.#f64[(e + MZE_ADDR) >> 3]!,
      len: this.#f64[(e + MZE_LEN) >> 3]!,
      hugepageSz: this.#f64[(e + MZE_HUGEPAGE_SZ) >> 3]!,
      iova: lo === 0xffffffff && hi === 0xffffffff ? BAD_IOVA : (BigInt(hi) << 32n) | BigInt(lo),
      socketId: this.#i32[(e + MZE_SOCKET) >> 2]!,
      flags: this.#u32[(e + MZE_FLAGS) >> 2]!,
      serial: this.#u32[(e + MZE_SERIAL) >> 2]!,
    };
  }

  /** The handle of live slot `i`: the one made before while it still names this reservation. */
  #handle(i: number): Memzone {
    const e = this.#entry(i);
    const serial = this.#u32[(e + MZE_SERIAL) >> 2]!;
    const cached = this.#handles[i];
    if (cached !== undefined && handleSlot(cached)!.serial === serial) return cached;
    const mz = new Memzone(this, i, e, this.#fields(e));
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
    let bytes: Uint8Array | null = null;
    let nameError: unknown = null;
    try {
      bytes = encodeName(name, 'reserve');
    } catch (err) {
      nameError = err;
    }
    const hash = bytes === null ? 0 : nameHash(bytes);
    const argError = checkArgs(name, len, socket, flags, align, bound);
    this.#lock();
    try {
      if (this.#count() >= MAX_MEMZONE) {
        throw new RteError('ENOSPC', `${label(name)}: all ${MAX_MEMZONE} memzones (MAX_MEMZONE) are in use: free some first`);
      }
      if (bytes === null) throw nameError;
      if (this.#find(bytes, hash) >= 0) {
        throw new RteError('EEXIST', `reserve: a memzone named ${JSON.stringify(name)} exists: look it up, or free it first`);
      }
      if (argError !== null) throw argError;
      const alignBytes = align < 64 ? 64 : align;
      const rounded = Math.ceil(len / 64) * 64;
      let requested = Math.max(64, rounded);

      // A slot exists: the count is below MAX_MEMZONE and matches the entries.
      const slot = this.#freeSlot();
      if (slot < 0) throw new RteError('ENOSPC', `${label(name)}: no free memzone slot: free some first`);
      const e = this.#entry(slot);
      Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_RESERVING);

      const opts = {
        align: alignBytes,
        bound,
        contig: (flags & MEMZONE_IOVA_CONTIG) !== 0,
        pageSizes: pageSizesOf(flags),
        hintOnly: (flags & MEMZONE_SIZE_HINT_ONLY) !== 0,
      };
      let addr = 0;
      let zoneLen = 0;
      try {
        if (rounded === 0 && bound === 0) {
          // Blocks parked in lcore heap caches merge back first: the biggest
          // block may need them (socketStats' greatestFreeSize counts them so).
          this.#heap.cacheReclaim();
          const got = this.#heap.allocBiggest(socket, opts);
          if (got !== null) {
            addr = got.addr;
            this.#f64[(e + MZE_ADDR) >> 3] = addr;
            zoneLen = this.#heap.usableSize(addr);
          }
        } else {
          if (rounded === 0) requested = bound;
          addr = this.#heap.allocOnSocket(requested, socket, opts);
          if (addr === 0 && this.#heap.cacheReclaim() > 0) addr = this.#heap.allocOnSocket(requested, socket, opts);
          // Recorded at once, so that a repair after this process dies gives the block back.
          this.#f64[(e + MZE_ADDR) >> 3] = addr;
          zoneLen = requested;
        }
      } catch (err) {
        this.#clear(e);
        if (err instanceof RteError && err.code === 'EINVAL') {
          throw new RteError('EINVAL', `${label(name)}: no heap on socket ${socket}: use SOCKET_ID_ANY or a socket with memory`, { cause: err });
        }
        throw err;
      }
      if (addr === 0) {
        this.#clear(e);
        const what = rounded === 0 && bound === 0 ? 'any free block' : `${requested} bytes`;
        throw new RteError(
          'ENOMEM',
          `${label(name)}: no heap${socket === SOCKET_ID_ANY ? '' : ` on socket ${socket}`} has ${what}` +
            ` (align ${alignBytes}${bound !== 0 ? `, bound ${bound}` : ''}${flags !== 0 ? `, flags ${flagNames(flags)}` : ''})` +
            `: free zones or memory, start the EAL with more memory${opts.pageSizes !== null && !opts.hintOnly ? ', or add MEMZONE_SIZE_HINT_ONLY to accept other page sizes' : ''}`,
        );
      }

      const iova = this.#memory.virt2iova(addr);
      const iovaBits = BigInt.asUintN(64, iova);
      this.#u8.fill(0, e + MZE_NAME, e + MZE_NAME + MZE_NAME_LEN);
      this.#u8.set(bytes, e + MZE_NAME);
      this.#f64[(e + MZE_ADDR) >> 3] = addr;
      this.#f64[(e + MZE_LEN) >> 3] = zoneLen;
      this.#f64[(e + MZE_HUGEPAGE_SZ) >> 3] = this.#heap.pageSizeOf(addr);
      this.#u32[(e + MZE_IOVA_LO) >> 2] = Number(iovaBits & 0xffffffffn);
      this.#u32[(e + MZE_IOVA_HI) >> 2] = Number(iovaBits >> 32n);
      this.#i32[(e + MZE_SOCKET) >> 2] = this.#heap.socketOf(addr);
      this.#u32[(e + MZE_FLAGS) >> 2] = flags;
      this.#u32[(e + MZE_HASH) >> 2] = hash;
      const serialWord = (this.#area + MZ_NEXT_SERIAL) >> 2;
      const serial = this.#u32[serialWord]! === 0 ? 1 : this.#u32[serialWord]!;
      this.#u32[serialWord] = serial === 0xffffffff ? 1 : serial + 1;
      this.#u32[(e + MZE_SERIAL) >> 2] = serial;
      // Last: the entry is complete before anyone can find it.
      Atomics.store(this.#u32, (e + MZE_STATE) >> 2, MZS_LIVE);
      this.#setCount(this.#count() + 1);
      return this.#handle(slot);
    } finally {
      this.#unlock();
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
    const bytes = encodeName(name, 'lookup');
    const hash = nameHash(bytes);
    this.#lock();
    try {
      const i = this.#find(bytes, hash);
      return i < 0 ? null : this.#handle(i);
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
    const h = handleSlot(mz);
    if (h === null) throw new RteError('EINVAL', `free(${mz === null ? 'null' : typeof mz}): pass a Memzone returned by reserve or lookup`);
    if (h.owner !== this && h.owner.eal.config.sab !== this.eal.config.sab) {
      throw new RteError('EINVAL', `free(${mz.name}): that memzone belongs to another EAL: free it through Memzones.of(thatEal)`);
    }
    const e = this.#entry(h.index);
    let addr = 0;
    this.#lock();
    try {
      if (this.#state(e) !== MZS_LIVE || this.#u32[(e + MZE_SERIAL) >> 2] !== h.serial || this.#f64[(e + MZE_ADDR) >> 3] !== mz.addr) {
        throw new RteError('EINVAL', `free(${mz.name}): that memzone was already freed (double free?)`);
      }
      addr = mz.addr;
      // The entry goes first: a process dying between the two steps leaks
      // the block rather than leaving an entry whose memory may be reused.
      this.#clear(e);
      this.#setCount(this.#count() - 1);
      this.#handles[h.index] = undefined;
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
    const zones: Memzone[] = [];
    this.#lock();
    try {
      for (let i = 0; i < MAX_MEMZONE; i++) if (this.#state(this.#entry(i)) === MZS_LIVE) zones.push(this.#handle(i));
    } finally {
      this.#unlock();
    }
    for (const mz of zones) fn(mz);
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
