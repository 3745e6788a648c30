/**
 * The malloc heap of an EAL: one heap per NUMA socket plus named external
 * heaps, all state in shared memory, safe from every thread and process.
 *
 * Small blocks (up to 1 KiB, alignment up to 64) freed by a registered lcore
 * go to that lcore's cache and are handed out again without the heap lock —
 * an addition to DPDK, whose heap takes its spinlock on every call.
 *
 * @see lib/eal/common/rte_malloc.c, malloc_heap.c in DPDK
 */
import {
  type Eal,
  lockAcquire,
  lockRelease,
  MAX_LCORE,
  ML_F_EXTERNAL,
  type MemsegListMap,
  RteError,
  SEG_F_DO_NOT_FREE,
  SEG_F_USED,
  processAlive,
  segState,
  SOCKET_ID_ANY,
  systemBarrier,
} from '@rtemem/memseg';
import { Memory } from '@rtemem/memseg';
import { freeListIndex, HeapCore } from './elem.js';
import {
  CACHE_BINS,
  CACHE_MAX_SIZE,
  CACHES_OFF,
  cacheBinLimit,
  EL_FL_NEXT,
  EL_FL_PREV,
  EL_HEAP,
  EL_MAGIC,
  EL_NEXT,
  EL_PAD,
  EL_PREV,
  EL_SIZE,
  EL_STATE,
  ELEM_BUSY,
  ELEM_CACHED,
  ELEM_FREE,
  ELEM_HEADER_LEN,
  ELEM_MAGIC,
  ELEM_PAD,
  EXTERNAL_HEAP_MIN_SOCKET_ID,
  HA_INIT,
  HA_NEXT_EXT_SOCKET,
  HA_STATE_READY,
  HEAP_AREA_NAME,
  HEAP_KIND_EXTERNAL,
  HEAP_KIND_SOCKET,
  HEAP_KIND_UNUSED,
  HEAP_BYTES,
  HEAP_NAME_MAX_LEN,
  HEAPS_OFF,
  heapAreaBytes,
  HP_ALLOC_COUNT,
  HP_FIRST,
  HP_FREE_HEADS,
  HP_KIND,
  HP_LAST,
  HP_LOCK,
  HP_NAME,
  HP_NAME_LEN,
  HP_SOCKET,
  HP_TOTAL,
  JOURNAL_AREA_BYTES,
  JOURNAL_AREA_NAME,
  LC_BIN_BYTES,
  LC_BIN_COUNT,
  LC_BIN_HEAD,
  LC_BINS,
  LC_BUSY,
  LC_CLOSED,
  LC_HEAP,
  LCACHE_BYTES,
  MAX_HEAPS,
  MIN_SPLIT,
  SPAN,
  NUM_FREELISTS,
} from './layout.js';

/** Largest size or count accepted: beyond it a double is no longer exact. */
const MAX_SIZE = 2 ** 52;
/** Lock word of the area (initialisation). */
const HA_LOCK = 8;
const HA_DEFAULT_HEAP = 16;

/** Statistics of one heap. @see struct rte_malloc_socket_stats */
export interface SocketStats {
  /** Bytes of memory in the heap. */
  heapTotalBytes: number;
  /** Bytes in free elements (headers included), those held in lcore caches included. */
  heapFreeBytes: number;
  /** heapTotalBytes - heapFreeBytes */
  heapAllocBytes: number;
  /**
   * Bytes (header included) of the largest block the heap can hand out:
   * its largest free element once the blocks in lcore caches have merged
   * with their free neighbours, as a malloc or memzone reserve that needs
   * them reclaims them. A reserve of the biggest zone (`len` 0) gets at
   * most this minus the header. Never more than heapFreeBytes.
   */
  greatestFreeSize: number;
  /** Free elements, plus elements held in lcore caches. */
  freeCount: number;
  /** Blocks allocated and not freed. */
  allocCount: number;
  /** Of heapFreeBytes, the bytes (headers included) parked in lcore caches: freed, not yet merged. */
  cacheBytes: number;
  /** Of freeCount, the blocks parked in lcore caches. */
  cacheCount: number;
}

/** Placement options of {@link Heap.allocOnSocket} (what memzones need). */
export interface AllocOptions {
  align?: number;
  /** The block must not cross a multiple of `bound` (a power of two, 0: none). */
  bound?: number;
  /** Physically contiguous where IOVAs are known. */
  contig?: boolean;
  /** Page sizes the block may be in (null: any). */
  pageSizes?: readonly number[] | null;
  /** Fall back to other page sizes when none of `pageSizes` fits. */
  hintOnly?: boolean;
}

/** Something to wait on for a millisecond (never notified). */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

const facades = new WeakMap<Eal, Heap>();

function sizeError(what: string, v: unknown): RteError {
  return new RteError('EINVAL', `${what} must be a whole number of bytes from 0 to 2**52, not ${String(v)}`);
}

function checkSize(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE) throw sizeError(what, v);
  return v;
}

function checkAlign(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE || (v !== 0 && 2 ** Math.round(Math.log2(v)) !== v)) {
    throw new RteError('EINVAL', `alignment must be 0 or a power of two, not ${String(v)}`);
  }
  return v;
}

function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The heaps of an EAL, seen from one thread.
 *
 * @example
 * ```ts
 * import { Eal, Heap } from '@rtemem/malloc-heap';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const heap = Heap.of(eal);
 * const p = heap.malloc(100);          // an rtemem address, 64-byte aligned
 * heap.usableSize(p) >= 100;
 * heap.free(p);
 * eal.cleanup();
 * ```
 * @see rte_malloc
 */
export class Heap {
  readonly eal: Eal;
  readonly #core: HeapCore;
  readonly #memory: Memory;
  readonly #i32: Int32Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #area: number;
  readonly #caches: number;
  /** Socket heaps in the order SOCKET_ID_ANY tries them. */
  readonly #socketOrder: number[];
  readonly #growable: boolean;
  readonly #retainPages: number;
  readonly #pid: number;
  /** The core's list array (updated in place), for the fast paths. */
  readonly #lists: (MemsegListMap | undefined)[];
  readonly #binLimit: Int32Array;
  readonly #lcore: Uint32Array;
  /** Per list index: bytes whose blocks may enter an lcore cache (0: none). */
  readonly #cacheLen: Float64Array = new Float64Array(64);

  private constructor(eal: Eal) {
    this.eal = eal;
    this.#memory = Memory.of(eal);
    this.#area = eal.area(HEAP_AREA_NAME, heapAreaBytes(MAX_LCORE));
    this.#i32 = eal.config.i32;
    this.#u32 = eal.config.u32;
    this.#f64 = eal.config.f64;
    this.#caches = this.#area + CACHES_OFF;
    this.#pid = eal.pid;
    this.#core = new HeapCore(eal, this.#memory, this.#area, eal.area(JOURNAL_AREA_NAME, JOURNAL_AREA_BYTES));
    this.#lists = this.#core.lists;
    for (const l of eal.lists) this.#cacheLen[l.index] = l.length;
    this.#lcore = eal.lcoreCell;
    this.#binLimit = Int32Array.from({ length: CACHE_BINS }, (_, b) => cacheBinLimit(b));
    this.#growable = eal.backend !== 'sab' && !eal.legacyMem;
    this.#retainPages = eal.pageSize >= 2 * 1024 * 1024 ? 1 : Math.max(1, (2 * 1024 * 1024) / eal.pageSize);
    this.#initShared();
    const def = this.#i32[(this.#area + HA_DEFAULT_HEAP) >> 2]!;
    this.#socketOrder = [def];
    for (let h = 0; h < MAX_HEAPS; h++) {
      if (h !== def && this.#core.hU32(h, HP_KIND) === HEAP_KIND_SOCKET) this.#socketOrder.push(h);
    }
  }

  /** The heap facade of an EAL handle (one per handle). */
  static of(eal: Eal): Heap {
    let heap = facades.get(eal);
    if (heap === undefined) {
      heap = new Heap(eal);
      facades.set(eal, heap);
    }
    return heap;
  }

  // The first handle in any process or thread creates the socket heaps and
  // gives them every page the EAL reserved.
  #initShared(): void {
    const initWord = (this.#area + HA_INIT) >> 2;
    if (Atomics.load(this.#i32, initWord) === HA_STATE_READY) return;
    lockAcquire(this.#i32, this.#area + HA_LOCK, this.#pid, this.#lcoreSigned());
    try {
      if (Atomics.load(this.#i32, initWord) === HA_STATE_READY) return;
      const core = this.#core;
      // A process that died half way through this leaves heaps half built:
      // nothing can have been allocated before READY, so start from scratch.
      this.eal.config.u8.fill(0, this.#area + HEAPS_OFF, this.#area + HEAPS_OFF + MAX_HEAPS * HEAP_BYTES);
      const sockets = [...new Set(this.eal.lists.map((l) => l.socketId))].sort((a, b) => a - b);
      sockets.forEach((socket, h) => {
        this.eal.config.writeString(core.heapOff(h) + HP_NAME, HP_NAME_LEN, `socket_${socket}`);
        core.hSetU32(h, HP_SOCKET, socket);
        core.hSetU32(h, HP_KIND, HEAP_KIND_SOCKET);
      });
      for (const list of this.eal.lists) {
        const h = sockets.indexOf(list.socketId);
        let start = -1;
        for (let seg = 0; seg <= list.nSegs; seg++) {
          const used = seg < list.nSegs && (segState(this.eal.config, list, seg) & SEG_F_USED) !== 0;
          if (used && start < 0) start = seg;
          if (!used && start >= 0) {
            core.addMemory(h, list.baseAddr + start * list.pageSize, (seg - start) * list.pageSize);
            start = -1;
          }
        }
      }
      for (let lc = 0; lc < MAX_LCORE; lc++) this.#i32[(this.#caches + lc * LCACHE_BYTES + LC_HEAP) >> 2] = -1;
      const mainSocket = this.eal.lcores().find((c) => c.lcoreId === 0)?.socketId ?? sockets[0]!;
      this.#i32[(this.#area + HA_DEFAULT_HEAP) >> 2] = Math.max(0, sockets.indexOf(mainSocket));
      this.#u32[(this.#area + HA_NEXT_EXT_SOCKET) >> 2] = EXTERNAL_HEAP_MIN_SOCKET_ID;
      Atomics.store(this.#i32, initWord, HA_STATE_READY);
    } finally {
      lockRelease(this.#i32, this.#area + HA_LOCK);
    }
  }

  #lcoreSigned(): number {
    const lc = this.eal.lcoreId();
    return lc < MAX_LCORE ? lc : -1;
  }

  // Takes heap `h`'s lock and starts journaling. A waiter that takes the
  // lock over from a dead process first rolls back what that process left
  // half done, so the heap is as it was before its last operation began.
  #lock(h: number): void {
    lockAcquire(this.#i32, this.#core.heapOff(h) + HP_LOCK, this.#pid, this.#lcoreSigned(), this.#onRecover[h]);
    this.#core.begin(h);
  }

  // Ends the journal (rolling back an operation that threw before its
  // commit) and releases the lock.
  #unlock(h: number): void {
    try {
      this.#core.end(h);
    } finally {
      lockRelease(this.#i32, this.#core.heapOff(h) + HP_LOCK);
    }
  }

  #recovered = 0;
  // One callback per heap, made once: taking a lock allocates nothing.
  readonly #onRecover = Array.from({ length: MAX_HEAPS }, (_, h) => () => {
    this.#recovered += this.#core.rollback(h) > 0 ? 1 : 0;
  });

  /**
   * Operations of dead processes this handle rolled back when it took a
   * heap lock over from them (for tests and monitoring).
   */
  get recoveries(): number {
    return this.#recovered;
  }

  /* ------------------------------------------------------------------ *
   * malloc and friends
   * ------------------------------------------------------------------ */

  /**
   * Allocates `size` bytes aligned to `align` (0: 64; always at least 64),
   * on `socket` (SOCKET_ID_ANY: the calling lcore's socket first, then the
   * others). Returns the rtemem address, or 0 when no heap can hold it (and
   * for size 0). Throws EINVAL for a bad size, alignment or socket.
   *
   * @see rte_malloc_socket
   */
  malloc(size: number, align = 0, socket: number = SOCKET_ID_ANY): number {
    // Fast path: a small block from the calling lcore's cache, no lock.
    if (
      (size | 0) === size &&
      size > 0 &&
      size <= CACHE_MAX_SIZE &&
      socket === SOCKET_ID_ANY &&
      (align === 0 || ((align | 0) === align && align > 0 && align <= 64 && (align & (align - 1)) === 0))
    ) {
      const lc = this.#lcore[0]!;
      if (lc < MAX_LCORE) {
        const addr = this.#cachePop(lc, (size - 1) >> 6);
        if (addr !== 0) return addr;
      }
    }
    return this.#mallocSlow(size, align, socket);
  }

  #mallocSlow(size: number, align: number, socket: number): number {
    checkSize(size, 'size');
    checkAlign(align);
    if (size === 0) return 0;
    const p = this.#alloc(size, socket, align, 0, false, null, false);
    // Blocks parked in lcore caches (this one's and every other's) may be what is missing.
    if (p === 0 && this.cacheReclaim() > 0) return this.#alloc(size, socket, align, 0, false, null, false);
    return p;
  }

  /** Like malloc, with the block zero-filled. @see rte_zmalloc_socket */
  zmalloc(size: number, align = 0, socket: number = SOCKET_ID_ANY): number {
    const p = this.malloc(size, align, socket);
    if (p !== 0) this.#zero(p, this.usableSize(p));
    return p;
  }

  /** Zero-filled room for `num` elements of `size` bytes. @see rte_calloc_socket */
  calloc(num: number, size: number, align = 0, socket: number = SOCKET_ID_ANY): number {
    checkSize(num, 'num');
    checkSize(size, 'size');
    if (num * size > MAX_SIZE) throw sizeError('num * size', num * size);
    return this.zmalloc(num * size, align, socket);
  }

  #zero(addr: number, len: number): void {
    const li = (addr / SPAN) | 0;
    const off = addr - li * SPAN;
    this.#core.lists[li]!.u8.fill(0, off, off + len);
  }

  /**
   * Resizes the block at `addr` to `size` bytes, in place when it can grow
   * or shrink there, else by moving it (copying the bytes both can hold).
   * Returns the block's address, or 0 when there is no room (the old block
   * is then kept). `addr` 0 is malloc; as in DPDK, size 0 keeps the block.
   *
   * @see rte_realloc_socket
   */
  realloc(addr: number, size: number, align = 0, socket: number = SOCKET_ID_ANY): number {
    if (addr === 0) return this.malloc(size, align, socket);
    checkSize(size, 'size');
    checkAlign(align);
    this.#checkSocket(socket);
    const e = this.#elemOf(addr, 'realloc');
    const h = this.#core.u32(e, EL_HEAP);
    const want = roundUp64(Math.max(size, 1));
    const a = Math.max(64, roundUp64(align));
    if ((socket === SOCKET_ID_ANY || this.#core.hU32(h, HP_SOCKET) === socket) && addr % a === 0 && want < SPAN) {
      this.#lock(h);
      try {
        this.#checkBusy(e, addr, 'realloc');
        const inPlace = this.#core.resize(h, e, want);
        this.#core.commit();
        if (inPlace) return addr;
      } finally {
        this.#unlock(h);
      }
    }
    const oldSize = this.usableSize(addr);
    const p = this.malloc(size === 0 ? 1 : size, align, socket);
    if (p === 0) return 0;
    this.#copy(p, addr, Math.min(oldSize, size));
    this.free(addr);
    return p;
  }

  #copy(dst: number, src: number, len: number): void {
    const sl = (src / SPAN) | 0;
    const dl = (dst / SPAN) | 0;
    const so = src - sl * SPAN;
    const d = this.#core.lists[dl]!.u8;
    d.set(this.#core.lists[sl]!.u8.subarray(so, so + len), dst - dl * SPAN);
  }

  /**
   * Frees the block at `addr`. free(0) does nothing. Throws EINVAL (and
   * changes nothing) for an address that is not a live block of this heap:
   * foreign, already freed, or inside a block.
   *
   * @see rte_free
   */
  free(addr: number): void {
    if (addr === 0) return;
    // Fast path: a small plain block of the cache's heap goes to the lcore cache.
    if ((addr | 0) === addr && addr > 0 && (addr & 63) === 0) {
      const lc = this.#lcore[0]!;
      if (lc < MAX_LCORE && this.#cachePush(lc, addr)) return;
    }
    this.#freeSlow(addr);
  }

  #freeSlow(addr: number): void {
    const e = this.#elemOf(addr, 'free');
    const h = this.#core.u32(e, EL_HEAP);
    this.#lock(h);
    try {
      this.#checkBusy(e, addr, 'free');
      const merged = this.#core.free(h, e);
      if (this.#growable && this.#core.hU32(h, HP_KIND) === HEAP_KIND_SOCKET) this.#releasePages(h, merged, this.#retainPages);
      this.#core.commit();
    } finally {
      this.#unlock(h);
    }
  }

  /** Data bytes usable in the block at `addr`. Throws EINVAL for an address not from this heap. @see rte_malloc_validate */
  usableSize(addr: number): number {
    const e = this.#elemOf(addr, 'usableSize');
    if (this.#core.state(e) !== ELEM_BUSY) throw this.#stateError(addr, e, 'usableSize');
    return this.#core.usable(e);
  }

  /**
   * Checks the block at `addr`: its header, its neighbours' links to it, and
   * the header of the element after it (which an overrun would clobber).
   * Throws EINVAL saying what is wrong.
   *
   * @see rte_malloc_validate
   */
  validate(addr: number): void {
    const e = this.#elemOf(addr, 'validate');
    const h = this.#core.u32(e, EL_HEAP);
    this.#lock(h);
    try {
      this.#checkBusy(e, addr, 'validate');
      this.#checkElem(h, e);
    } finally {
      this.#unlock(h);
    }
  }

  #checkElem(h: number, e: number): void {
    const c = this.#core;
    const fail = (why: string) => {
      throw new RteError('EINVAL', `heap element ${hex(e)}: ${why}`);
    };
    if (c.u32(e, EL_MAGIC) !== ELEM_MAGIC) fail('header cookie is corrupt');
    const size = c.size(e);
    const list = c.listOf(e)!;
    if (size < MIN_SPLIT || size % 64 !== 0 || e - list.baseAddr + size > list.length) fail(`size ${size} is corrupt`);
    if (c.u32(e, EL_HEAP) !== h) fail('heap index is corrupt');
    const next = c.f64(e, EL_NEXT);
    const prev = c.f64(e, EL_PREV);
    if (next !== 0) {
      if (next < e + size) fail(`overlaps the next element ${hex(next)}`);
      if (c.listOf(next) === undefined || c.u32(next, EL_MAGIC) !== ELEM_MAGIC) fail(`the next element's header at ${hex(next)} is corrupt (overrun?)`);
      if (c.f64(next, EL_PREV) !== e) fail(`the next element ${hex(next)} does not link back`);
    } else if (c.hF64(h, HP_LAST) !== e) fail('is not the heap\'s last element but has no next');
    if (prev !== 0) {
      if (c.f64(prev, EL_NEXT) !== e) fail(`the previous element ${hex(prev)} does not link to it`);
    } else if (c.hF64(h, HP_FIRST) !== e) fail('is not the heap\'s first element but has no previous');
  }

  /* ------------------------------------------------------------------ *
   * Address checks
   * ------------------------------------------------------------------ */

  // The outer element of the block whose data starts at `addr`; throws
  // EINVAL for anything that cannot be one.
  #elemOf(addr: number, op: string): number {
    if (typeof addr !== 'number' || !Number.isSafeInteger(addr) || addr <= 0 || addr % 64 !== 0) {
      throw new RteError('EINVAL', `${op}(${String(addr)}): not an address returned by malloc (those are positive multiples of 64)`);
    }
    const li = Math.floor(addr / SPAN);
    let list = this.#core.lists[li];
    if (list === undefined && this.eal.list(li) !== undefined) {
      this.#core.refreshLists();
      list = this.#core.lists[li];
    }
    const off = addr - li * SPAN;
    if (list === undefined || off < ELEM_HEADER_LEN || off >= list.length) {
      throw new RteError('EINVAL', `${op}(${hex(addr)}): not heap memory of this EAL (attach external memory with attachMemory first)`);
    }
    let e = addr - ELEM_HEADER_LEN;
    if (!this.#backed(list, e)) throw new RteError('EINVAL', `${op}(${hex(addr)}): not a block (the page has no memory)`);
    const c = this.#core;
    if (c.u32(e, EL_MAGIC) !== ELEM_MAGIC) {
      throw new RteError('EINVAL', `${op}(${hex(addr)}): no live block starts there (already freed, or not an address malloc returned)`);
    }
    if (c.state(e) === ELEM_PAD) {
      const pad = c.u32(e, EL_PAD);
      const outer = e - pad;
      if (pad === 0 || pad % 64 !== 0 || outer - list.baseAddr < 0 || c.u32(outer, EL_MAGIC) !== ELEM_MAGIC || c.u32(outer, EL_PAD) !== pad) {
        throw new RteError('EINVAL', `${op}(${hex(addr)}): corrupt padding header`);
      }
      e = outer;
    }
    return e;
  }

  #backed(list: MemsegListMap, e: number): boolean {
    if ((list.flags & ML_F_EXTERNAL) !== 0) return true;
    const seg = Math.floor((e - list.baseAddr) / list.pageSize);
    return (segState(this.eal.config, list, seg) & SEG_F_USED) !== 0;
  }

  #checkBusy(e: number, addr: number, op: string): void {
    if (this.#core.state(e) !== ELEM_BUSY || this.#core.u32(e, EL_MAGIC) !== ELEM_MAGIC) throw this.#stateError(addr, e, op);
  }

  #stateError(addr: number, e: number, op: string): RteError {
    const s = this.#core.state(e);
    const what = s === ELEM_FREE || s === ELEM_CACHED ? 'the block is already free (double free?)' : 'not a live block';
    return new RteError('EINVAL', `${op}(${hex(addr)}): ${what}`);
  }

  /* ------------------------------------------------------------------ *
   * Lcore caches: owner-only, no lock
   * ------------------------------------------------------------------ */

  // Pops a block of bin `bin` from lcore `lc`'s cache; 0 when the bin is
  // empty or the cache is being reclaimed (LC_CLOSED). Only the owner calls it.
  #cachePop(lc: number, bin: number): number {
    const base = this.#caches + lc * LCACHE_BYTES;
    // Plain stores and loads: pairs with the barrier in #reclaimOne.
    this.#i32[(base + LC_BUSY) >> 2] = 1;
    const b = base + LC_BINS + bin * LC_BIN_BYTES;
    const e = this.#i32[(base + LC_CLOSED) >> 2] === 0 ? this.#f64[(b + LC_BIN_HEAD) >> 3]! : 0;
    if (e === 0) {
      this.#i32[(base + LC_BUSY) >> 2] = 0;
      return 0;
    }
    // Integer ops for addresses below 2^32 (a float division costs more than the pop).
    const eu = e >>> 0;
    const li = eu === e ? eu >>> 30 : Math.floor(e / SPAN);
    const m = this.#lists[li]!;
    const off = eu === e ? eu & (SPAN - 1) : e - li * SPAN;
    this.#f64[(b + LC_BIN_HEAD) >> 3] = m.f64[(off + EL_FL_NEXT) >> 3]!;
    this.#u32[(b + LC_BIN_COUNT) >> 2] = this.#u32[(b + LC_BIN_COUNT) >> 2]! - 1;
    m.u32[(off + EL_STATE) >> 2] = ELEM_BUSY;
    this.#i32[(base + LC_BUSY) >> 2] = 0;
    return e + ELEM_HEADER_LEN;
  }

  // Puts the block at `addr` in lcore `lc`'s cache when it is a plain busy
  // block of the cache's heap and fits a bin with room; false otherwise.
  // Kept small enough for V8 to inline into free().
  #cachePush(lc: number, addr: number): boolean {
    // free() passes an int32 address of at least 64: e is a small non-negative integer.
    const e = addr - ELEM_HEADER_LEN;
    const li = e >>> 30;
    const off = e & (SPAN - 1);
    // 0 for lists this thread lacks and external ones: never cached.
    if (!(off < this.#cacheLen[li]!)) return false;
    const m = this.#lists[li]!;
    const mu = m.u32;
    // Never read a header in a page without memory (a hugepage would be faulted in).
    if ((this.#u32[(m.segTable + ((off >>> m.pageShift) << 4)) >> 2]! & SEG_F_USED) === 0) return false;
    if (mu[(off + EL_MAGIC) >> 2] !== ELEM_MAGIC || mu[(off + EL_STATE) >> 2] !== ELEM_BUSY || mu[(off + EL_PAD) >> 2] !== 0) return false;
    const bin = (mu[(off + EL_SIZE) >> 2]! >> 6) - 2;
    const base = this.#caches + lc * LCACHE_BYTES;
    const b = base + LC_BINS + bin * LC_BIN_BYTES;
    // Plain stores and loads: pairs with the barrier in #reclaimOne.
    this.#i32[(base + LC_BUSY) >> 2] = 1;
    const count = this.#u32[(b + LC_BIN_COUNT) >> 2]!;
    // A bin past the last has no limit (undefined): the comparison fails.
    if (
      this.#i32[(base + LC_CLOSED) >> 2] !== 0 ||
      !(count < this.#binLimit[bin]!) ||
      (this.#i32[(base + LC_HEAP) >> 2] !== mu[(off + EL_HEAP) >> 2] && !this.#cacheAdopt(base, mu[(off + EL_HEAP) >> 2]!))
    ) {
      this.#i32[(base + LC_BUSY) >> 2] = 0;
      return false;
    }
    mu[(off + EL_STATE) >> 2] = ELEM_CACHED;
    m.f64[(off + EL_FL_NEXT) >> 3] = this.#f64[(b + LC_BIN_HEAD) >> 3]!;
    this.#f64[(b + LC_BIN_HEAD) >> 3] = e;
    this.#u32[(b + LC_BIN_COUNT) >> 2] = count + 1;
    this.#i32[(base + LC_BUSY) >> 2] = 0;
    return true;
  }

  // An empty cache switches to serving `heap` (a socket heap).
  #cacheAdopt(base: number, heap: number): boolean {
    if (this.#i32[(base + LC_HEAP) >> 2] !== -1 && this.#cacheCount(base) !== 0) return false;
    if (this.#core.hU32(heap, HP_KIND) !== HEAP_KIND_SOCKET) return false;
    this.#i32[(base + LC_HEAP) >> 2] = heap;
    return true;
  }

  // Elements and bytes (headers included) in the cache at `base`.
  #cacheCount(base: number): number {
    let n = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) n += this.#u32[(base + LC_BINS + bin * LC_BIN_BYTES + LC_BIN_COUNT) >> 2]!;
    return n;
  }

  #cacheBytes(base: number): number {
    let bytes = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) bytes += this.#u32[(base + LC_BINS + bin * LC_BIN_BYTES + LC_BIN_COUNT) >> 2]! * (bin + 2) * 64;
    return bytes;
  }

  /**
   * Gives every block in the calling lcore's cache back to its heap, so
   * that it merges with its neighbours (stats then count merged free
   * elements). Returns the number of blocks flushed.
   */
  cacheFlush(): number {
    const lc = this.eal.lcoreId();
    if (lc >= MAX_LCORE) return 0;
    let n = 0;
    for (let bin = 0; bin < CACHE_BINS; bin++) {
      for (let addr = this.#cachePop(lc, bin); addr !== 0; addr = this.#cachePop(lc, bin)) {
        this.#freeSlow(addr);
        n++;
      }
    }
    return n;
  }
  /**
   * Gives the blocks parked in every lcore's cache back to their heaps (the
   * calling lcore's, and those of every other thread and process), so that
   * they merge with their free neighbours. A malloc or a memzone reserve
   * that finds no room calls it before it gives up. Returns the number of
   * blocks given back.
   *
   * The owners' fast paths stay lock-free: this marks each cache closed,
   * runs a barrier on every CPU (membarrier(2)) so that an owner already
   * inside a pop or push is seen, waits for it to leave, empties the cache
   * and opens it again; an owner that comes meanwhile takes the locked path.
   * A cache whose owner stays inside one operation for over 100 ms (a
   * process stopped by a debugger, say) is left alone, unless its owner is
   * gone: a dead process's or an unregistered lcore's cache is emptied.
   */
  cacheReclaim(): number {
    let n = this.cacheFlush();
    const own = this.eal.lcoreId();
    const closed: number[] = [];
    for (let lc = 0; lc < MAX_LCORE; lc++) {
      const base = this.#caches + lc * LCACHE_BYTES;
      if (lc === own || this.#cacheCount(base) === 0) continue;
      // Another thread reclaiming this cache right now has it.
      if (Atomics.compareExchange(this.#i32, (base + LC_CLOSED) >> 2, 0, 1) === 0) closed.push(lc);
    }
    if (closed.length === 0) return n;
    systemBarrier();
    for (const lc of closed) n += this.#reclaimOne(lc);
    return n;
  }

  // Empties the closed cache of lcore `lc` into its heap, then opens it.
  #reclaimOne(lc: number): number {
    const base = this.#caches + lc * LCACHE_BYTES;
    try {
      if (!this.#ownerLeft(lc, base)) return 0;
      let n = 0;
      for (let bin = 0; bin < CACHE_BINS; bin++) {
        const b = base + LC_BINS + bin * LC_BIN_BYTES;
        let e = this.#f64[(b + LC_BIN_HEAD) >> 3]!;
        this.#f64[(b + LC_BIN_HEAD) >> 3] = 0;
        this.#u32[(b + LC_BIN_COUNT) >> 2] = 0;
        while (e !== 0) {
          const li = Math.floor(e / SPAN);
          const m = this.#lists[li];
          const off = e - li * SPAN;
          // A process killed half way through a push can leave a link to a
          // block that is not cached: stop there (the rest is lost, as the
          // blocks of any process killed while it held them).
          if (m === undefined || m.u32[(off + EL_MAGIC) >> 2] !== ELEM_MAGIC || m.u32[(off + EL_STATE) >> 2] !== ELEM_CACHED) break;
          const next = m.f64[(off + EL_FL_NEXT) >> 3]!;
          m.u32[(off + EL_STATE) >> 2] = ELEM_BUSY;
          this.#freeSlow(e + ELEM_HEADER_LEN);
          n++;
          e = next;
        }
      }
      this.#i32[(base + LC_HEAP) >> 2] = -1;
      return n;
    } finally {
      Atomics.store(this.#i32, (base + LC_CLOSED) >> 2, 0);
    }
  }

  // True once the owner of the closed cache at `base` is outside any pop or
  // push (after the barrier, a BUSY of 0 is its last word), or is gone.
  #ownerLeft(lc: number, base: number): boolean {
    const deadline = Date.now() + 100;
    for (let spin = 0; Atomics.load(this.#i32, (base + LC_BUSY) >> 2) !== 0; spin++) {
      if (Date.now() > deadline) {
        const owner = this.eal.lcores().find((c) => c.lcoreId === lc);
        return owner === undefined || !processAlive(owner.pid);
      }
      if (spin > 100) Atomics.wait(pauseCell, 0, 0, 1);
    }
    return true;
  }


  /* ------------------------------------------------------------------ *
   * Growing and shrinking
   * ------------------------------------------------------------------ */

  /**
   * Allocates on `socket` with placement options (memzones use this).
   * Returns the data address or 0. Throws EINVAL for a socket without heap.
   *
   * @see malloc_heap_alloc
   */
  allocOnSocket(size: number, socket: number, opts: AllocOptions = {}): number {
    return this.allocPlaced(size, socket, opts.align ?? 0, opts.bound ?? 0, opts.contig === true, opts.pageSizes ?? null, opts.hintOnly === true);
  }

  /** {@link Heap.allocOnSocket} with positional options: no options object on the memzone reserve path. */
  allocPlaced(size: number, socket: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    checkSize(size, 'size');
    return this.#alloc(size, socket, align, bound, contig, pageSizes, hintOnly);
  }

  // Positional arguments: the malloc path allocates no JS objects.
  #alloc(size: number, socket: number, alignArg: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    const align = alignArg <= 64 ? 64 : roundUp64(alignArg);
    const want = roundUp64(size);
    if (want === 0 || want >= SPAN || align > SPAN) return 0;
    if (socket !== SOCKET_ID_ANY) return this.#allocOnHeap(this.#checkSocket(socket), want, align, bound, contig, pageSizes, hintOnly);
    // The calling lcore's socket first, then the others.
    const own = this.eal.socketId();
    const first = own === SOCKET_ID_ANY ? this.#socketOrder[0]! : this.#heapOfSocket(own);
    if (first >= 0) {
      const p = this.#allocOnHeap(first, want, align, bound, contig, pageSizes, hintOnly);
      if (p !== 0) return p;
    }
    for (let i = 0; i < this.#socketOrder.length; i++) {
      const h = this.#socketOrder[i]!;
      if (h === first) continue;
      const p = this.#allocOnHeap(h, want, align, bound, contig, pageSizes, hintOnly);
      if (p !== 0) return p;
    }
    return 0;
  }

  #allocOnHeap(h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    this.#lock(h);
    try {
      const core = this.#core;
      let p = core.heapAlloc(h, size, align, bound, contig, pageSizes, hintOnly);
      if (p === 0 && this.#growable && core.hU32(h, HP_KIND) === HEAP_KIND_SOCKET && (pageSizes === null || hintOnly || pageSizes.includes(this.eal.pageSize))) {
        p = this.#grow(h, size, align, bound, contig);
      }
      core.commit();
      return p;
    } finally {
      this.#unlock(h);
    }
  }

  // Adds pages to heap `h` for the request and allocates from them; gives
  // the pages back when the block still does not fit. @see try_expand_heap_primary
  #grow(h: number, size: number, align: number, bound: number, contig: boolean): number {
    const core = this.#core;
    const page = this.eal.pageSize;
    // With a bound the block may have to move below a boundary: leave room for that.
    const bytes = Math.ceil((Math.max(ELEM_HEADER_LEN, align) + size + (bound !== 0 ? size : 0)) / page) * page;
    const addr = this.#memory.allocPages(core.hU32(h, HP_SOCKET), bytes / page, contig);
    if (addr === 0) return 0;
    // A rollback (this process dying before the commit) gives the pages back.
    core.growIntent(addr, bytes);
    core.refreshLists();
    const merged = core.addMemory(h, addr, bytes);
    const p = core.heapAlloc(h, size, align, bound, contig, null, false);
    if (p !== 0) return p;
    core.flRemove(h, merged);
    if (core.hide(h, merged, addr, bytes)) {
      // Out of the heap for good before the pages go.
      core.commit();
      this.#memory.freePages(addr, bytes);
    } else {
      core.flInsert(h, merged);
    }
    return 0;
  }

  // Gives whole free pages of merged free element `e` back to the OS,
  // keeping `retain` of them (so a heap hovering at a page boundary does not
  // map and unmap a page on every call). @see malloc_heap_free
  #releasePages(h: number, e: number, retain: number): number {
    const core = this.#core;
    const list = core.listOf(e)!;
    const page = list.pageSize;
    const size = core.size(e);
    if (size < page) return 0;
    const end = e + size;
    let start = Math.ceil(e / page) * page;
    let stop = Math.floor(end / page) * page;
    // Pages reserved at init never go back: start after the last of them.
    for (let a = start; a < stop; a += page) {
      const seg = Math.floor((a - list.baseAddr) / page);
      if ((segState(this.eal.config, list, seg) & SEG_F_DO_NOT_FREE) !== 0) start = a + page;
    }
    let n = (stop - start) / page;
    if (n <= 0) return 0;
    const before = start - e;
    const after = end - stop;
    if (before !== 0 && before < MIN_SPLIT) {
      if (n === 1) return 0;
      start += page;
      n--;
    }
    if (after !== 0 && after < MIN_SPLIT) {
      if (n === 1) return 0;
      stop -= page;
      n--;
    }
    if (n <= retain) return 0;
    start += retain * page;
    n -= retain;
    const len = n * page;
    core.flRemove(h, e);
    if (!core.hide(h, e, start, len)) {
      core.flInsert(h, e);
      return 0;
    }
    // Out of the heap for good before the pages go: a rollback after this
    // point would put back memory that no longer exists.
    core.commit();
    this.#memory.freePages(start, len);
    return len;
  }

  /**
   * Gives every whole free page beyond the memory reserved at init back to
   * the OS (every lcore cache gives its blocks back first). Returns the bytes
   * released. @see malloc_trim
   */
  trim(): number {
    this.cacheReclaim();
    if (!this.#growable) return 0;
    let released = 0;
    for (const h of this.#socketOrder) {
      this.#lock(h);
      try {
        for (let again = true; again; ) {
          again = false;
          for (let idx = 0; idx < NUM_FREELISTS && !again; idx++) {
            for (let e = this.#core.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = this.#core.f64(e, EL_FL_NEXT)) {
              const n = this.#releasePages(h, e, 0);
              this.#core.commit();
              if (n > 0) {
                released += n;
                again = true; // the free lists changed: start over
                break;
              }
            }
          }
        }
      } finally {
        this.#unlock(h);
      }
    }
    return released;
  }

  /* ------------------------------------------------------------------ *
   * Heaps, sockets, stats
   * ------------------------------------------------------------------ */

  #heapOfSocket(socket: number): number {
    for (let h = 0; h < MAX_HEAPS; h++) {
      if (this.#core.hU32(h, HP_KIND) !== HEAP_KIND_UNUSED && this.#i32[(this.#core.heapOff(h) + HP_SOCKET) >> 2] === socket) return h;
    }
    return -1;
  }

  #checkSocket(socket: unknown): number {
    if (socket === SOCKET_ID_ANY) return -1;
    const h = typeof socket === 'number' && Number.isInteger(socket) ? this.#heapOfSocket(socket) : -1;
    if (h < 0) {
      throw new RteError('EINVAL', `no heap on socket ${String(socket)}: use SOCKET_ID_ANY, a socket with memory, or an external heap's socket (heapSocket(name))`);
    }
    return h;
  }

  #heapNamed(name: unknown): number {
    if (typeof name !== 'string') return -1;
    for (let h = 0; h < MAX_HEAPS; h++) {
      if (this.#core.hU32(h, HP_KIND) !== HEAP_KIND_UNUSED && this.eal.config.readString(this.#core.heapOff(h) + HP_NAME, HP_NAME_LEN) === name) return h;
    }
    return -1;
  }

  /** Statistics of the heap on `socket` (a NUMA socket or an external heap's socket id). @see rte_malloc_get_socket_stats */
  socketStats(socket: number): SocketStats {
    const h = this.#checkSocket(socket === SOCKET_ID_ANY ? Number.NaN : socket);
    return this.#stats(h);
  }

  #stats(h: number): SocketStats {
    const core = this.#core;
    this.#lock(h);
    try {
      let freeBytes = 0;
      let freeCount = 0;
      for (let idx = 0; idx < NUM_FREELISTS; idx++) {
        for (let e = core.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = core.f64(e, EL_FL_NEXT)) {
          freeBytes += core.size(e);
          freeCount++;
        }
      }
      let cacheCount = 0;
      let cacheBytes = 0;
      for (let lc = 0; lc < MAX_LCORE; lc++) {
        const base = this.#caches + lc * LCACHE_BYTES;
        if (this.#i32[(base + LC_HEAP) >> 2] !== h) continue;
        cacheCount += this.#cacheCount(base);
        cacheBytes += this.#cacheBytes(base);
      }
      const total = core.hF64(h, HP_TOTAL);
      return {
        heapTotalBytes: total,
        heapFreeBytes: freeBytes + cacheBytes,
        heapAllocBytes: total - freeBytes - cacheBytes,
        greatestFreeSize: this.#greatestRun(h),
        freeCount: freeCount + cacheCount,
        allocCount: core.hU32(h, HP_ALLOC_COUNT) - cacheCount,
        cacheBytes,
        cacheCount,
      };
    } finally {
      this.#unlock(h);
    }
  }

  // The largest run of free and cached elements next to each other in
  // memory (what one element becomes once the caches give their blocks
  // back and they merge), in bytes with its one header. The caller holds the lock.
  #greatestRun(h: number): number {
    const core = this.#core;
    let greatest = 0;
    let run = 0;
    let runEnd = -1;
    for (let e = core.hF64(h, HP_FIRST); e !== 0; e = core.f64(e, EL_NEXT)) {
      const st = core.state(e);
      if (st !== ELEM_FREE && st !== ELEM_CACHED) {
        run = 0;
        continue;
      }
      const size = core.size(e);
      // Elements merge only when they touch, within one list.
      run = run > 0 && e === runEnd && Math.floor(e / SPAN) === Math.floor((e - 1) / SPAN) ? run + size : size;
      runEnd = e + size;
      if (run > greatest) greatest = run;
    }
    return greatest;
  }

  /** Every heap's statistics, as DPDK prints them. @see rte_malloc_dump_stats */
  dumpStats(): string {
    const lines: string[] = [];
    for (let h = 0; h < MAX_HEAPS; h++) {
      if (this.#core.hU32(h, HP_KIND) === HEAP_KIND_UNUSED) continue;
      const s = this.#stats(h);
      lines.push(
        `Heap id:${h}`,
        `\tHeap name:${this.eal.config.readString(this.#core.heapOff(h) + HP_NAME, HP_NAME_LEN)}`,
        `\tHeap_size:${s.heapTotalBytes},`,
        `\tFree_size:${s.heapFreeBytes},`,
        `\tAlloc_size:${s.heapAllocBytes},`,
        `\tGreatest_free_size:${s.greatestFreeSize},`,
        `\tAlloc_count:${s.allocCount},`,
        `\tFree_count:${s.freeCount},`,
      );
    }
    return lines.join('\n');
  }

  /**
   * Walks every heap and throws EINVAL at the first inconsistency: element
   * links, headers, sizes against the heap total, free lists against element
   * states, two free neighbours left unmerged.
   */
  audit(): void {
    const core = this.#core;
    core.refreshLists();
    for (let h = 0; h < MAX_HEAPS; h++) {
      if (core.hU32(h, HP_KIND) === HEAP_KIND_UNUSED) continue;
      this.#lock(h);
      try {
        let bytes = 0;
        let free = 0;
        let busy = 0;
        let prev = 0;
        for (let e = core.hF64(h, HP_FIRST); e !== 0; e = core.f64(e, EL_NEXT)) {
          if (core.listOf(e) === undefined) continue; // external memory not attached in this thread
          this.#checkElem(h, e);
          if (core.f64(e, EL_PREV) !== prev) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} has a wrong prev link`);
          const st = core.state(e);
          if (st === ELEM_FREE) {
            free++;
            if (core.nextAdjacent(e) && core.state(core.f64(e, EL_NEXT)) === ELEM_FREE) throw new RteError('EINVAL', `heap ${h}: free elements ${hex(e)} and its next were not merged`);
          } else if (st === ELEM_BUSY || st === ELEM_CACHED) busy++;
          else throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} has state ${st}`);
          bytes += core.size(e);
          prev = e;
        }
        if (core.hF64(h, HP_LAST) !== prev) throw new RteError('EINVAL', `heap ${h}: last element link is wrong`);
        if (bytes !== core.hF64(h, HP_TOTAL)) throw new RteError('EINVAL', `heap ${h}: elements hold ${bytes} bytes, the heap says ${core.hF64(h, HP_TOTAL)}`);
        if (busy !== core.hU32(h, HP_ALLOC_COUNT)) throw new RteError('EINVAL', `heap ${h}: ${busy} busy elements, alloc count says ${core.hU32(h, HP_ALLOC_COUNT)}`);
        let onLists = 0;
        for (let idx = 0; idx < NUM_FREELISTS; idx++) {
          let flPrev = 0;
          for (let e = core.hF64(h, HP_FREE_HEADS + idx * 8); e !== 0; e = core.f64(e, EL_FL_NEXT)) {
            if (core.state(e) !== ELEM_FREE) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} is on a free list but not free`);
            if (freeListIndex(core.size(e) - ELEM_HEADER_LEN) !== idx) throw new RteError('EINVAL', `heap ${h}: element ${hex(e)} is on the wrong free list`);
            if (core.f64(e, EL_FL_PREV) !== flPrev) throw new RteError('EINVAL', `heap ${h}: free list ${idx} has a wrong back link at ${hex(e)}`);
            flPrev = e;
            if (++onLists > free + 1) throw new RteError('EINVAL', `heap ${h}: free list ${idx} loops`);
          }
        }
        if (onLists !== free) throw new RteError('EINVAL', `heap ${h}: ${free} free elements but ${onLists} on the free lists`);
      } finally {
        this.#unlock(h);
      }
    }
  }

  /* ------------------------------------------------------------------ *
   * External heaps
   * ------------------------------------------------------------------ */

  /**
   * Creates an empty external heap. Returns its socket id. Throws EINVAL for
   * a bad name, ENAMETOOLONG, EEXIST for a taken name, ENOSPC when all
   * MAX_HEAPS heaps exist. @see rte_malloc_heap_create
   */
  createHeap(name: string): number {
    if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'heap name must be a non-empty string');
    if (Buffer.byteLength(name) > HEAP_NAME_MAX_LEN) throw new RteError('ENAMETOOLONG', `heap name ${JSON.stringify(name)} is longer than ${HEAP_NAME_MAX_LEN} bytes`);
    lockAcquire(this.#i32, this.#area + HA_LOCK, this.#pid, this.#lcoreSigned());
    try {
      if (this.#heapNamed(name) >= 0) throw new RteError('EEXIST', `a heap named ${JSON.stringify(name)} exists`);
      let h = -1;
      for (let i = 0; i < MAX_HEAPS; i++) {
        if (this.#core.hU32(i, HP_KIND) === HEAP_KIND_UNUSED) {
          h = i;
          break;
        }
      }
      if (h < 0) throw new RteError('ENOSPC', `all ${MAX_HEAPS} heaps exist: destroy one first`);
      const socket = this.#u32[(this.#area + HA_NEXT_EXT_SOCKET) >> 2]!;
      this.#u32[(this.#area + HA_NEXT_EXT_SOCKET) >> 2] = socket + 1;
      const off = this.#core.heapOff(h);
      this.eal.config.u8.fill(0, off + HP_NAME, off + 256);
      this.eal.config.writeString(off + HP_NAME, HP_NAME_LEN, name);
      this.#core.hSetU32(h, HP_SOCKET, socket);
      Atomics.store(this.#u32, (off + HP_KIND) >> 2, HEAP_KIND_EXTERNAL);
      return socket;
    } finally {
      lockRelease(this.#i32, this.#area + HA_LOCK);
    }
  }

  /** The socket id of heap `name`. Throws ENOENT when there is none. @see rte_malloc_heap_get_socket */
  heapSocket(name: string): number {
    const h = this.#heapNamed(name);
    if (h < 0) throw new RteError('ENOENT', `no heap named ${JSON.stringify(name)}`);
    return this.#i32[(this.#core.heapOff(h) + HP_SOCKET) >> 2]!;
  }

  #externalHeap(name: string): number {
    const h = this.#heapNamed(name);
    if (h < 0) throw new RteError('ENOENT', `no heap named ${JSON.stringify(name)}: create it with createHeap`);
    if (this.#core.hU32(h, HP_KIND) !== HEAP_KIND_EXTERNAL) throw new RteError('EPERM', `heap ${name} is a socket heap, not an external one`);
    return h;
  }

  /**
   * Adds a SharedArrayBuffer to external heap `heapName` (the buffer must be
   * a whole number of `pageSize` pages, at most 1 GiB). Other threads that
   * use the heap call {@link Heap.attachMemory} with the same buffer.
   *
   * @see rte_malloc_heap_memory_add
   */
  addMemory(heapName: string, buffer: SharedArrayBuffer, pageSize = 4096): void {
    const h = this.#externalHeap(heapName);
    // Less than a header and the smallest block is no heap element at all.
    if (buffer instanceof SharedArrayBuffer && buffer.byteLength < MIN_SPLIT) {
      throw new RteError('EINVAL', `external memory of ${buffer.byteLength} bytes holds no block: add at least ${MIN_SPLIT} bytes`);
    }
    if (buffer instanceof SharedArrayBuffer && this.#listOfBuffer(buffer) !== undefined) {
      throw new RteError('EEXIST', 'that buffer is already heap memory');
    }
    const list = this.eal.registerExternalList(buffer, pageSize, this.#i32[(this.#core.heapOff(h) + HP_SOCKET) >> 2]!);
    this.#core.refreshLists();
    this.#lock(h);
    try {
      this.#core.addMemory(h, list.baseAddr, list.length);
      this.#core.commit();
    } finally {
      this.#unlock(h);
    }
  }

  /** Attaches, in this thread, a buffer another thread added to external heap `heapName`. @see rte_malloc_heap_memory_attach */
  attachMemory(heapName: string, buffer: SharedArrayBuffer): void {
    this.#externalHeap(heapName);
    const socket = this.heapSocket(heapName);
    const candidates = this.eal.listDescriptors().filter((d) => (d.flags & ML_F_EXTERNAL) !== 0 && d.socketId === socket && d.length === buffer.byteLength && this.eal.list(d.index) === undefined);
    let lastError: unknown = new RteError('ENOENT', `heap ${heapName} has no memory of ${buffer.byteLength} bytes to attach`);
    for (const d of candidates) {
      try {
        this.eal.attachExternalList(d.index, buffer);
        this.#core.refreshLists();
        return;
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  }

  #listOfBuffer(buffer: SharedArrayBuffer): MemsegListMap | undefined {
    for (const d of this.eal.listDescriptors()) {
      const m = this.eal.list(d.index);
      if (m !== undefined && m.sab === buffer) return m;
    }
    return undefined;
  }

  /**
   * Removes a buffer from external heap `heapName`. Throws EBUSY while any
   * block in it is allocated, ENOENT when the buffer is not in that heap.
   * @see rte_malloc_heap_memory_remove
   */
  removeMemory(heapName: string, buffer: SharedArrayBuffer): void {
    const h = this.#externalHeap(heapName);
    const list = this.#listOfBuffer(buffer);
    if (list === undefined || list.socketId !== this.heapSocket(heapName)) {
      throw new RteError('ENOENT', `that buffer is not memory of heap ${heapName} in this thread`);
    }
    const core = this.#core;
    this.#lock(h);
    try {
      const e = list.baseAddr;
      if (core.u32(e, EL_MAGIC) !== ELEM_MAGIC || core.state(e) !== ELEM_FREE || core.size(e) !== list.length) {
        throw new RteError('EBUSY', `heap ${heapName} still has blocks allocated in that buffer: free them first`);
      }
      core.flRemove(h, e);
      core.unlink(h, e);
      core.setU32(e, EL_MAGIC, 0);
      core.hSetF64(h, HP_TOTAL, core.hF64(h, HP_TOTAL) - list.length);
      core.commit();
    } finally {
      this.#unlock(h);
    }
    this.eal.unregisterExternalList(list.index);
    core.refreshLists();
  }

  /** Destroys empty external heap `name`. Throws EBUSY while it has memory. @see rte_malloc_heap_destroy */
  destroyHeap(name: string): void {
    const h = this.#externalHeap(name);
    this.#lock(h);
    try {
      if (this.#core.hF64(h, HP_TOTAL) !== 0) throw new RteError('EBUSY', `heap ${name} still has memory: removeMemory first`);
      Atomics.store(this.#u32, (this.#core.heapOff(h) + HP_KIND) >> 2, HEAP_KIND_UNUSED);
      this.eal.config.u8.fill(0, this.#core.heapOff(h) + HP_NAME, this.#core.heapOff(h) + HP_NAME + HP_NAME_LEN);
    } finally {
      this.#unlock(h);
    }
  }

  /* ------------------------------------------------------------------ *
   * For memzones
   * ------------------------------------------------------------------ */

  /**
   * Allocates the largest block the heap on `socket` can give (aligned,
   * optionally IOVA-contiguous, in accepted page sizes). Returns
   * `{ addr, len }` or null. @see malloc_heap_alloc_biggest
   */
  allocBiggest(socket: number, opts: AllocOptions = {}): { addr: number; len: number } | null {
    const align = Math.max(64, roundUp64(opts.align ?? 0));
    const heaps = socket === SOCKET_ID_ANY ? this.#socketOrder : [this.#checkSocket(socket)];
    for (const h of heaps) {
      this.#lock(h);
      try {
        const { elem, size } = this.#core.findBiggest(h, align, opts.contig === true, opts.pageSizes ?? null, opts.hintOnly === true);
        if (elem === 0 || size === 0) continue;
        const addr = this.#core.alloc(h, elem, size, align, 0, opts.contig === true);
        this.#core.commit();
        return { addr, len: size };
      } finally {
        this.#unlock(h);
      }
    }
    return null;
  }

  /** The socket of the heap holding block `addr`. */
  socketOf(addr: number): number {
    const e = this.#elemOf(addr, 'socketOf');
    return this.#i32[(this.#core.heapOff(this.#core.u32(e, EL_HEAP)) + HP_SOCKET) >> 2]!;
  }

  /** Page size of the memory holding `addr`. */
  pageSizeOf(addr: number): number {
    return this.#core.listOf(addr)?.pageSize ?? 0;
  }

  /** Internal: the element state constants for tests and dumps. */
  static readonly states = { FREE: ELEM_FREE, BUSY: ELEM_BUSY, PAD: ELEM_PAD, CACHED: ELEM_CACHED } as const;
}
