/**
 * The malloc heap of an EAL: one heap per NUMA socket plus named external
 * heaps, all state in shared memory, safe from every thread and process.
 * This is the facade: malloc/zmalloc/calloc/realloc/free and their checks,
 * the lcore caches' calls, external heaps (external.ts does the work). Its
 * methods come from a chain of classes, one concept per file, each
 * extending the one before (as Mbuf's, see @rtemem/mbuf's mbuf.ts):
 *
 * ```
 * placement.ts  HeapPlacement  which heap, growing, the locked alloc and free, allocOnSocket / allocBiggest, trim
 * info.ts       HeapInfo       socketStats, dumpStats, audit, socketOf, pageSizeOf
 * heap.ts       Heap           Heap.of, malloc and friends, lcore caches, external heaps
 * ```
 *
 * The mechanisms live beside them (see the package README's "Where things
 * are").
 *
 * Small blocks (up to CACHE_MAX_SIZE, alignment up to 64) freed by a
 * registered lcore go to that lcore's cache and are handed out again
 * without the heap lock (lcore-cache.ts) — an addition to DPDK, whose heap
 * takes its spinlock on every call. malloc and free keep that fast path
 * here, in the class that is made, with their own copies of what it reads
 * (as before the split: nothing on it changed).
 *
 * @see lib/eal/common/rte_malloc.c, malloc_heap.c in DPDK
 */
import { alignCeil, type Eal, isPowerOfTwo, MAX_LCORE, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { checkAlign, checkBusy, checkElem, checkSize, elemOf, MAX_SIZE, sizeError, stateError } from './check.js';
import * as external from './external.js';
import { HeapInfo } from './info.js';
import { CACHE_MAX_SIZE, EL_HEAP, ELEM_BUSY, ELEM_CACHED, ELEM_FREE, ELEM_PAD, HP_SOCKET, SPAN } from './layout.js';
import type { LcoreCaches } from './lcore-cache.js';
import { checkSocket } from './sockets.js';

const facades = new WeakMap<Eal, Heap>();

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
export class Heap extends HeapInfo {
  /* The fast paths' own copies (as before the chain: private fields of this class). */
  readonly #caches: LcoreCaches;
  /** The calling thread's lcore id (eal.lcoreCell), read on the fast paths. */
  readonly #lcore: Uint32Array;

  private constructor(eal: Eal) {
    super(eal);
    this.#caches = this.caches;
    this.#lcore = eal.lcoreCell;
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
    if ((size | 0) === size && size > 0 && size <= CACHE_MAX_SIZE && socket === SOCKET_ID_ANY && (align === 0 || (align <= 64 && isPowerOfTwo(align)))) {
      const lc = this.#lcore[0]!;
      if (lc < MAX_LCORE) {
        // Bin b serves sizes up to (b + 1) * 64.
        const addr = this.#caches.pop(lc, (size - 1) >> 6);
        if (addr !== 0) return addr;
      }
    }
    return this.#mallocSlow(size, align, socket);
  }

  #mallocSlow(size: number, align: number, socket: number): number {
    checkSize(size, 'size');
    checkAlign(align);
    if (size === 0) return 0;
    const p = this.alloc(size, socket, align, 0, false, null, false);
    // Blocks parked in lcore caches (this one's and every other's) may be what is missing.
    if (p === 0 && this.cacheReclaim() > 0) return this.alloc(size, socket, align, 0, false, null, false);
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
    this.core.lists[li]!.u8.fill(0, off, off + len);
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
    checkSocket(this.core, socket);
    const core = this.core;
    const e = elemOf(core, addr, 'realloc');
    const h = core.u32(e, EL_HEAP);
    const want = alignCeil(Math.max(size, 1), 64);
    const a = Math.max(64, alignCeil(align, 64));
    if ((socket === SOCKET_ID_ANY || core.hU32(h, HP_SOCKET) === socket) && addr % a === 0 && want < SPAN) {
      core.lock(h);
      try {
        checkBusy(core, e, addr, 'realloc');
        const inPlace = core.resize(h, e, want);
        core.commit();
        if (inPlace) return addr;
      } finally {
        core.unlock(h);
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
    const d = this.core.lists[dl]!.u8;
    d.set(this.core.lists[sl]!.u8.subarray(so, so + len), dst - dl * SPAN);
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
      if (lc < MAX_LCORE && this.#caches.push(lc, addr)) return;
    }
    this.freeLocked(addr);
  }

  /** Data bytes usable in the block at `addr`. Throws EINVAL for an address not from this heap. @see rte_malloc_validate */
  usableSize(addr: number): number {
    const e = elemOf(this.core, addr, 'usableSize');
    if (this.core.state(e) !== ELEM_BUSY) throw stateError(this.core, addr, e, 'usableSize');
    return this.core.usable(e);
  }

  /**
   * Checks the block at `addr`: its header, its neighbours' links to it, and
   * the header of the element after it (which an overrun would clobber).
   * Throws EINVAL saying what is wrong.
   *
   * @see rte_malloc_validate
   */
  validate(addr: number): void {
    const core = this.core;
    const e = elemOf(core, addr, 'validate');
    const h = core.u32(e, EL_HEAP);
    core.lock(h);
    try {
      checkBusy(core, e, addr, 'validate');
      checkElem(core, h, e);
    } finally {
      core.unlock(h);
    }
  }

  /* ------------------------------------------------------------------ *
   * Lcore caches (lcore-cache.ts)
   * ------------------------------------------------------------------ */

  /**
   * Gives every block in the calling lcore's cache back to its heap, so
   * that it merges with its neighbours (stats then count merged free
   * elements). Returns the number of blocks flushed.
   */
  cacheFlush(): number {
    return this.#caches.flush();
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
    return this.#caches.reclaim();
  }

  /* ------------------------------------------------------------------ *
   * External heaps (external.ts)
   * ------------------------------------------------------------------ */

  /**
   * Creates an empty external heap. Returns its socket id. Throws EINVAL for
   * a bad name, ENAMETOOLONG, EEXIST for a taken name, ENOSPC when all
   * MAX_HEAPS heaps exist. @see rte_malloc_heap_create
   */
  createHeap(name: string): number {
    return external.createHeap(this.core, name);
  }

  /** The socket id of heap `name`. Throws ENOENT when there is none. @see rte_malloc_heap_get_socket */
  heapSocket(name: string): number {
    return external.heapSocket(this.core, name);
  }

  /**
   * Adds a SharedArrayBuffer to external heap `heapName` (the buffer must be
   * a whole number of `pageSize` pages, at most 1 GiB). Other threads that
   * use the heap call {@link Heap.attachMemory} with the same buffer.
   *
   * @see rte_malloc_heap_memory_add
   */
  addMemory(heapName: string, buffer: SharedArrayBuffer, pageSize = 4096): void {
    external.addMemory(this.core, heapName, buffer, pageSize);
  }

  /** Attaches, in this thread, a buffer another thread added to external heap `heapName`. @see rte_malloc_heap_memory_attach */
  attachMemory(heapName: string, buffer: SharedArrayBuffer): void {
    external.attachMemory(this.core, heapName, buffer);
  }

  /**
   * Removes a buffer from external heap `heapName`. Throws EBUSY while any
   * block in it is allocated, ENOENT when the buffer is not in that heap.
   * @see rte_malloc_heap_memory_remove
   */
  removeMemory(heapName: string, buffer: SharedArrayBuffer): void {
    external.removeMemory(this.core, heapName, buffer);
  }

  /**
   * Adds `len` bytes of new memory to external heap `heapName`, in a memfd
   * registered as `name` (up to 63 bytes) that other processes and threads
   * map by that name with {@link Heap.attachMemoryShared}; of hugepages when
   * `pageSize` is a hugepage size. It stays attachable while this handle
   * keeps it; no file is left anywhere when processes exit. Returns the
   * address of its first byte. Throws ENOENT / EPERM for the heap as
   * addMemory, EINVAL, ENAMETOOLONG, EEXIST (name taken), ENOSPC, ENOMEM.
   *
   * @example
   * ```ts
   * heap.createHeap('io'); heap.addMemoryShared('io', 'io-mem', 4 << 20);
   * // secondary: Heap.of(eal).attachMemoryShared('io', 'io-mem'); heap.malloc(64, 0, heap.heapSocket('io'))
   * ```
   * @see rte_extmem_register, rte_malloc_heap_memory_add
   */
  addMemoryShared(heapName: string, name: string, len: number, pageSize = 4096): number {
    return external.addMemoryShared(this.core, heapName, name, len, pageSize);
  }

  /**
   * Maps shared memory `name` of external heap `heapName` in this thread
   * (any process): blocks in it can then be allocated and used here. Throws
   * ENOENT (no such memory, or the handle that added it is gone), EINVAL
   * (memory of another heap), EPERM (the memfd cannot be opened).
   * @see rte_malloc_heap_memory_attach
   */
  attachMemoryShared(heapName: string, name: string): void {
    external.attachMemoryShared(this.core, heapName, name);
  }

  /** Unmaps shared memory `name` of `heapName` in this thread only; ENOENT when not attached. @see rte_malloc_heap_memory_detach */
  detachMemoryShared(heapName: string, name: string): void {
    external.detachMemoryShared(this.core, heapName, name);
  }

  /** Removes shared memory `name` from `heapName`: EBUSY while a block in it is allocated. @see rte_malloc_heap_memory_remove */
  removeMemoryShared(heapName: string, name: string): void {
    external.removeMemoryShared(this.core, heapName, name);
  }

  /** Destroys empty external heap `name`. Throws EBUSY while it has memory. @see rte_malloc_heap_destroy */
  destroyHeap(name: string): void {
    external.destroyHeap(this.core, name);
  }

  /** Internal: the element state constants for tests and dumps. */
  static readonly states = { FREE: ELEM_FREE, BUSY: ELEM_BUSY, PAD: ELEM_PAD, CACHED: ELEM_CACHED } as const;
}
