/**
 * Where a block goes and how it comes back, under a heap's lock: which heap
 * a request tries (the calling lcore's socket first, then the others), one
 * heap's try with growing by pages when nothing fits, the locked free that
 * merges with neighbours and gives whole pages back, placement options for
 * memzones, the biggest block, and trim. The base of the class chain that
 * makes {@link Heap} (see heap.ts); it also holds the handle state the
 * whole chain shares.
 *
 * @see lib/eal/common/malloc_heap.c (malloc_heap_alloc, heap_alloc_on_socket, malloc_heap_free,
 * malloc_heap_alloc_biggest) and rte_malloc.c in DPDK
 */
import { alignCeil, type Eal, MAX_LCORE, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import { checkBusy, checkSize, elemOf } from './check.js';
import { HeapCore } from './elem.js';
import { findBiggest, heapAlloc } from './find.js';
import { grow, releasePages, trimHeap } from './grow.js';
import { EL_HEAP, HEAP_AREA_NAME, HEAP_KIND_SOCKET, heapAreaBytes, HP_KIND, JOURNAL_AREA_BYTES, JOURNAL_AREA_NAME, SPAN } from './layout.js';
import { LcoreCaches } from './lcore-cache.js';
import { checkSocket, heapOfSocket, initSocketHeaps, socketOrder } from './sockets.js';

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

/** Bytes of memory a socket heap keeps when it gives pages back (one 2 MiB page, or that much in smaller pages). */
const RETAIN_BYTES = 2 * 1024 * 1024;

/**
 * Placement and the locked alloc and free paths: the first class of the
 * chain that makes {@link Heap}.
 */
export class HeapPlacement {
  readonly eal: Eal;
  /** The heaps' shared state and lock (elem.ts). @internal */
  protected readonly core: HeapCore;
  /** The lcore caches of small blocks (lcore-cache.ts). @internal */
  protected readonly caches: LcoreCaches;
  /** Socket heaps in the order SOCKET_ID_ANY tries them. @internal */
  protected readonly socketOrder: number[];
  /** Socket heaps grow and shrink by pages (not on the sab backend, nor with legacy memory). @internal */
  protected readonly growable: boolean;
  /** The EAL's page sizes, smallest first: the order the heap grows in. */
  readonly #pageSizes: readonly number[];

  /** @internal */
  protected constructor(eal: Eal) {
    this.eal = eal;
    const area = eal.area(HEAP_AREA_NAME, heapAreaBytes(MAX_LCORE));
    this.core = new HeapCore(eal, Memory.of(eal), area, eal.area(JOURNAL_AREA_NAME, JOURNAL_AREA_BYTES));
    this.caches = new LcoreCaches(this.core, (addr) => this.freeLocked(addr));
    this.growable = eal.backend !== 'sab' && !eal.legacyMem;
    this.#pageSizes = eal.pageSizes;
    initSocketHeaps(this.core, this.caches);
    this.socketOrder = socketOrder(this.core);
  }

  /**
   * Operations of dead processes this handle rolled back when it took a
   * heap lock over from them (for tests and monitoring).
   */
  get recoveries(): number {
    return this.core.recoveries;
  }

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
    return this.alloc(size, socket, align, bound, contig, pageSizes, hintOnly);
  }

  /**
   * Allocates with the heap's lock: on `socket`, or on the calling lcore's
   * socket first and then the others. Positional arguments: the malloc path
   * allocates no JS objects. @internal
   */
  protected alloc(size: number, socket: number, alignArg: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    const align = alignArg <= 64 ? 64 : alignCeil(alignArg, 64);
    const want = alignCeil(size, 64);
    if (want === 0 || want >= SPAN || align > SPAN) return 0;
    if (socket !== SOCKET_ID_ANY) return this.#allocOnHeap(checkSocket(this.core, socket), want, align, bound, contig, pageSizes, hintOnly);
    // The calling lcore's socket first, then the others.
    const own = this.eal.socketId();
    const first = own === SOCKET_ID_ANY ? this.socketOrder[0]! : heapOfSocket(this.core, own);
    if (first >= 0) {
      const p = this.#allocOnHeap(first, want, align, bound, contig, pageSizes, hintOnly);
      if (p !== 0) return p;
    }
    for (let i = 0; i < this.socketOrder.length; i++) {
      const h = this.socketOrder[i]!;
      if (h === first) continue;
      const p = this.#allocOnHeap(h, want, align, bound, contig, pageSizes, hintOnly);
      if (p !== 0) return p;
    }
    return 0;
  }

  // One heap's try, growing a socket heap by pages when nothing fits. @see heap_alloc_on_socket
  #allocOnHeap(h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    const core = this.core;
    core.lock(h);
    try {
      let p = heapAlloc(core, h, size, align, bound, contig, pageSizes, hintOnly);
      if (p === 0 && this.growable && core.hU32(h, HP_KIND) === HEAP_KIND_SOCKET) p = this.#grow(h, size, align, bound, contig, pageSizes, hintOnly);
      core.commit();
      return p;
    } finally {
      core.unlock(h);
    }
  }

  // Grows heap `h` by pages as DPDK does: of the sizes asked for, smallest
  // first; then, when any size will do (no sizes asked, or a hint only), of
  // the other sizes, smallest first. @see alloc_more_mem_on_socket
  #grow(h: number, size: number, align: number, bound: number, contig: boolean, pageSizes: readonly number[] | null, hintOnly: boolean): number {
    const sizes = this.#pageSizes;
    if (pageSizes !== null) {
      for (let i = 0; i < sizes.length; i++) {
        if (!pageSizes.includes(sizes[i]!)) continue;
        const p = grow(this.core, h, size, align, bound, contig, sizes[i]!, pageSizes);
        if (p !== 0) return p;
      }
      if (!hintOnly) return 0;
    }
    for (let i = 0; i < sizes.length; i++) {
      if (pageSizes !== null && pageSizes.includes(sizes[i]!)) continue;
      const p = grow(this.core, h, size, align, bound, contig, sizes[i]!, null);
      if (p !== 0) return p;
    }
    return 0;
  }

  /**
   * Frees with the heap's lock: merged with free neighbours, whole free
   * pages past the retained ones given back. @see malloc_heap_free
   * @internal
   */
  protected freeLocked(addr: number): void {
    const core = this.core;
    const e = elemOf(core, addr, 'free');
    const h = core.u32(e, EL_HEAP);
    core.lock(h);
    try {
      checkBusy(core, e, addr, 'free');
      const merged = core.free(h, e);
      if (this.growable && core.hU32(h, HP_KIND) === HEAP_KIND_SOCKET) releasePages(core, h, merged, RETAIN_BYTES);
      core.commit();
    } finally {
      core.unlock(h);
    }
  }

  /**
   * Allocates the largest block the heap on `socket` can give (aligned,
   * optionally IOVA-contiguous, in accepted page sizes). Returns
   * `{ addr, len }` or null. @see malloc_heap_alloc_biggest
   */
  allocBiggest(socket: number, opts: AllocOptions = {}): { addr: number; len: number } | null {
    const align = Math.max(64, alignCeil(opts.align ?? 0, 64));
    const heaps = socket === SOCKET_ID_ANY ? this.socketOrder : [checkSocket(this.core, socket)];
    const core = this.core;
    for (const h of heaps) {
      core.lock(h);
      try {
        const { elem, size } = findBiggest(core, h, align, opts.contig === true, opts.pageSizes ?? null, opts.hintOnly === true);
        if (elem === 0 || size === 0) continue;
        const addr = core.alloc(h, elem, size, align, 0, opts.contig === true);
        core.commit();
        return { addr, len: size };
      } finally {
        core.unlock(h);
      }
    }
    return null;
  }

  /**
   * Gives every whole free page beyond the memory reserved at init back to
   * the OS (every lcore cache gives its blocks back first). Returns the bytes
   * released. @see malloc_trim
   */
  trim(): number {
    this.caches.reclaim();
    if (!this.growable) return 0;
    let released = 0;
    for (const h of this.socketOrder) {
      this.core.lock(h);
      try {
        released += trimHeap(this.core, h);
      } finally {
        this.core.unlock(h);
      }
    }
    return released;
  }
}
