/**
 * Memseg lists and segments as DPDK shows them: walks, address and IOVA
 * translation, views, the physical layout, and page allocation for the heap.
 * Everything is read from the shared config, so the primary, its workers and
 * its secondaries give the same answers.
 *
 * @see lib/eal/common/eal_common_memory.c, eal_memalloc.h in DPDK
 */
import {
  BAD_IOVA,
  type Eal,
  EINVAL,
  hex,
  kernelNodeOf,
  type ListDescriptor,
  LIST_SPAN,
  MEM_EVENT_ALLOC,
  MEM_EVENT_FREE,
  ML_F_EXTERNAL,
  type MemsegListMap,
  RteError,
  SEG_F_DO_NOT_FREE,
  SEG_F_USED,
  segIova,
  segState,
  SOCKET_ID_ANY,
} from '@rtemem/eal-hugepage';

/** A memseg list. @see struct rte_memseg_list */
export interface MemsegList {
  /** List number (1-based); addresses of the list are `index * LIST_SPAN + offset`. */
  index: number;
  /** rtemem address of the list's first byte. */
  baseAddr: number;
  /** Process virtual address of the first byte in this process (0n when unknown). */
  va: bigint;
  pageSize: number;
  socketId: number;
  /** Bytes of address space. */
  length: number;
  /** Segments (pages) that have memory now. */
  segments: number;
  /** External memory (a user's buffer, see Heap.addMemory). */
  external: boolean;
}

/** One page of a list that has memory. @see struct rte_memseg */
export interface Memseg {
  /** rtemem address of the page. */
  addr: number;
  /** Process virtual address (0n when unknown). */
  va: bigint;
  /** Physical address; BAD_IOVA when unknown. */
  iova: bigint;
  len: number;
  pageSize: number;
  socketId: number;
  /** Index of the page in its list. */
  index: number;
  /** Reserved at init (or legacy): never given back. */
  doNotFree: boolean;
}

const cache = new WeakMap<Eal, Memory>();

function isAddress(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/**
 * The memory of an EAL, as memseg lists and segments.
 *
 * @example
 * ```ts
 * import { Eal } from '@rtemem/eal-hugepage';
 * import { Memory } from '@rtemem/memseg';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const mem = Memory.of(eal);
 * mem.physmemSize() === 4 << 20;
 * eal.cleanup();
 * ```
 */
export class Memory {
  readonly eal: Eal;

  private constructor(eal: Eal) {
    this.eal = eal;
  }

  /** The Memory facade of an EAL handle (one per handle). */
  static of(eal: Eal): Memory {
    let m = cache.get(eal);
    if (m === undefined) {
      m = new Memory(eal);
      cache.set(eal, m);
    }
    return m;
  }

  /** Every memseg list, internal then external, in index order. @see rte_memseg_list_walk */
  lists(): MemsegList[] {
    return this.eal.listDescriptors().map((d) => this.#describe(d));
  }

  #describe(d: ListDescriptor): MemsegList {
    const map = this.eal.list(d.index);
    return {
      index: d.index,
      baseAddr: d.index * LIST_SPAN,
      va: map?.va ?? 0n,
      pageSize: d.pageSize,
      socketId: d.socketId,
      length: d.length,
      segments: this.eal.usedSegments(d.index),
      external: (d.flags & ML_F_EXTERNAL) !== 0,
    };
  }

  #segState(d: ListDescriptor, map: MemsegListMap | undefined, seg: number): number {
    if ((d.flags & ML_F_EXTERNAL) !== 0) return SEG_F_USED | SEG_F_DO_NOT_FREE;
    if (map === undefined) return 0;
    return segState(this.eal.config, map, seg);
  }

  #segIova(d: ListDescriptor, map: MemsegListMap | undefined, seg: number): bigint {
    if ((d.flags & ML_F_EXTERNAL) !== 0 || map === undefined) return BAD_IOVA;
    return segIova(this.eal.config, map, seg);
  }

  #memseg(d: ListDescriptor, map: MemsegListMap | undefined, seg: number, state: number): Memseg {
    const off = seg * d.pageSize;
    const va = map?.va ?? 0n;
    return {
      addr: d.index * LIST_SPAN + off,
      va: va === 0n ? 0n : va + BigInt(off),
      iova: this.#segIova(d, map, seg),
      len: d.pageSize,
      pageSize: d.pageSize,
      socketId: d.socketId,
      index: seg,
      doNotFree: (state & SEG_F_DO_NOT_FREE) !== 0,
    };
  }

  /**
   * Calls `fn` for every page that has memory, in address order; `fn`
   * returning true stops the walk. @see rte_memseg_walk
   */
  walk(fn: (ms: Memseg) => boolean | void): void {
    for (const d of this.eal.listDescriptors()) {
      const map = this.eal.list(d.index);
      for (let seg = 0; seg < d.nSegs; seg++) {
        const state = this.#segState(d, map, seg);
        if ((state & SEG_F_USED) === 0) continue;
        if (fn(this.#memseg(d, map, seg, state)) === true) return;
      }
    }
  }

  /**
   * Calls `fn` for every run of pages that have memory and are contiguous —
   * in IOVA where IOVAs are known, in address otherwise. `fn` returning true
   * stops the walk. @see rte_memseg_contig_walk
   */
  contigWalk(fn: (list: MemsegList, addr: number, len: number) => boolean | void): void {
    for (const d of this.eal.listDescriptors()) {
      const map = this.eal.list(d.index);
      const list = this.#describe(d);
      let start = -1;
      let prevIova = BAD_IOVA;
      for (let seg = 0; seg <= d.nSegs; seg++) {
        const used = seg < d.nSegs && (this.#segState(d, map, seg) & SEG_F_USED) !== 0;
        const iova = used ? this.#segIova(d, map, seg) : BAD_IOVA;
        // Known IOVAs must follow on; unknown ones follow on in address.
        const continues =
          used && start >= 0 && (iova === BAD_IOVA ? prevIova === BAD_IOVA : prevIova !== BAD_IOVA && iova === prevIova + BigInt(d.pageSize));
        if (start >= 0 && !continues) {
          if (fn(list, list.baseAddr + start * d.pageSize, (seg - start) * d.pageSize) === true) return;
          start = -1;
        }
        if (used && start < 0) start = seg;
        prevIova = iova;
      }
    }
  }

  #locate(addr: number): { d: ListDescriptor; map: MemsegListMap | undefined; off: number } | null {
    if (!isAddress(addr)) return null;
    const index = Math.floor(addr / LIST_SPAN);
    const desc = this.eal.config.readList(index);
    if (desc === null) return null;
    const map = this.eal.list(index);
    const off = addr - index * LIST_SPAN;
    if (off >= desc.length) return null;
    return { d: desc, map, off };
  }

  /** The page holding `addr`, or null when the address has no memory behind it. @see rte_mem_virt2memseg */
  virt2memseg(addr: number): Memseg | null {
    const at = this.#locate(addr);
    if (at === null) return null;
    const seg = Math.floor(at.off / at.d.pageSize);
    const state = this.#segState(at.d, at.map, seg);
    if ((state & SEG_F_USED) === 0) return null;
    return this.#memseg(at.d, at.map, seg, state);
  }

  /** The IOVA (physical address) of `addr`; BAD_IOVA when unknown (always on sab). @see rte_mem_virt2iova */
  virt2iova(addr: number): bigint {
    const at = this.#locate(addr);
    if (at === null) return BAD_IOVA;
    const seg = Math.floor(at.off / at.d.pageSize);
    if ((this.#segState(at.d, at.map, seg) & SEG_F_USED) === 0) return BAD_IOVA;
    const iova = this.#segIova(at.d, at.map, seg);
    return iova === BAD_IOVA ? BAD_IOVA : iova + BigInt(at.off - seg * at.d.pageSize);
  }

  /** The rtemem address of an IOVA; 0 when no page has it. @see rte_mem_iova2virt */
  iova2virt(iova: bigint): number {
    if (typeof iova !== 'bigint' || iova < 0n) return 0;
    let found = 0;
    this.walk((ms) => {
      if (ms.iova !== BAD_IOVA && iova >= ms.iova && iova < ms.iova + BigInt(ms.len)) {
        found = ms.addr + Number(iova - ms.iova);
        return true;
      }
      return false;
    });
    return found;
  }

  /**
   * True when every byte of [addr, addr+len) is in pages with memory, in a
   * list this thread has mapped.
   */
  isBacked(addr: number, len: number): boolean {
    const at = this.#locate(addr);
    if (at === null || at.map === undefined || !Number.isSafeInteger(len) || len < 0) return false;
    if (at.off + len > at.d.length) return false;
    if ((at.d.flags & ML_F_EXTERNAL) !== 0) return true;
    const first = Math.floor(at.off / at.d.pageSize);
    const last = Math.floor((at.off + Math.max(len, 1) - 1) / at.d.pageSize);
    for (let seg = first; seg <= last; seg++) {
      if ((segState(this.eal.config, at.map, seg) & SEG_F_USED) === 0) return false;
    }
    return true;
  }

  /**
   * True when [addr, addr+len) is physically contiguous. Where IOVAs are
   * unknown (sab, not root) memory counts as contiguous, as DPDK does in
   * IOVA-as-VA mode. @see eal_memalloc_is_contig
   */
  isIovaContig(addr: number, len: number): boolean {
    const at = this.#locate(addr);
    if (at === null || len <= 0) return false;
    const page = at.d.pageSize;
    const first = Math.floor(at.off / page);
    const last = Math.floor((at.off + len - 1) / page);
    let expected = this.#segIova(at.d, at.map, first);
    if (expected === BAD_IOVA) return true;
    for (let seg = first + 1; seg <= last; seg++) {
      expected += BigInt(page);
      if (this.#segIova(at.d, at.map, seg) !== expected) return false;
    }
    return true;
  }

  /**
   * A view (never a copy) of [addr, addr+len). Throws EINVAL when the range
   * is not memory of this EAL.
   */
  bytes(addr: number, len: number): Uint8Array {
    if (!isAddress(addr) || !Number.isSafeInteger(len) || len < 0) {
      throw new RteError('EINVAL', `bytes(${String(addr)}, ${String(len)}): pass an rtemem address and a byte count`);
    }
    if (!this.isBacked(addr, len)) {
      throw new RteError('EINVAL', `[${hex(addr)}, +${len}) is not memory of this EAL (outside every list, or in pages without memory)`);
    }
    const index = Math.floor(addr / LIST_SPAN);
    const off = addr - index * LIST_SPAN;
    return this.eal.list(index)!.u8.subarray(off, off + len);
  }

  /** Bytes of memory in every list (pages that have memory). @see rte_eal_get_physmem_size */
  physmemSize(): number {
    let total = 0;
    for (const d of this.eal.listDescriptors()) total += this.eal.usedSegments(d.index) * d.pageSize;
    return total;
  }

  /**
   * The NUMA node the kernel says the page holding `addr` is on
   * (get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)), to check the `socketId`
   * rtemem records for it against. SOCKET_ID_ANY (-1) when the address has
   * no memory behind it, the list is not mapped in this thread, or the
   * kernel cannot tell (no native addon). Throws EINVAL for a value that is
   * not an rtemem address (a positive safe integer).
   *
   * @example
   * ```ts
   * const ms = mem.virt2memseg(addr)!;
   * if (mem.kernelSocketId(addr) !== ms.socketId) console.warn('page on the wrong node');
   * ```
   * @see rte_mem_virt2memseg (its socket_id), and alloc_seg in DPDK's
   * eal_memalloc.c, which checks where the kernel put a page the same way
   */
  kernelSocketId(addr: number): number {
    if (!isAddress(addr)) throw new RteError('EINVAL', `kernelSocketId(${String(addr)}): pass an rtemem address (a positive integer)`);
    const at = this.#locate(addr);
    if (at === null || at.map === undefined) return SOCKET_ID_ANY;
    const seg = Math.floor(at.off / at.d.pageSize);
    // Only pages with memory: asking about an empty one would fault a page in.
    if ((this.#segState(at.d, at.map, seg) & SEG_F_USED) === 0) return SOCKET_ID_ANY;
    return kernelNodeOf(at.map, at.off);
  }

  /**
   * One line per page with memory, as DPDK prints it, followed by the
   * kernel's NUMA node of the page (`kernel_node:N`, when the kernel can
   * tell) and `NUMA_MISMATCH` when that is not the page's socket_id
   * (external memory excepted: its socket_id is its heap's).
   *
   * @see rte_dump_physmem_layout
   */
  dumpPhysmemLayout(): string {
    const lines: string[] = [];
    // External memory's socket_id names its heap, not a NUMA node: nothing to compare.
    const external = new Set(this.eal.listDescriptors().filter((d) => (d.flags & ML_F_EXTERNAL) !== 0).map((d) => d.index));
    this.walk((ms) => {
      const li = Math.floor(ms.addr / LIST_SPAN);
      const iova = ms.iova === BAD_IOVA ? 'BAD_IOVA' : hex(ms.iova);
      const node = this.kernelSocketId(ms.addr);
      const mismatch = node !== ms.socketId && !external.has(li);
      const numa = node === SOCKET_ID_ANY ? '' : `, kernel_node:${node}${mismatch ? ' NUMA_MISMATCH' : ''}`;
      lines.push(
        `Segment ${li}-${ms.index}: IOVA:${iova}, len:${ms.len}, addr:${hex(ms.addr)}, virt:${hex(ms.va)}, ` +
          `socket_id:${ms.socketId}, hugepage_sz:${ms.pageSize}${ms.doNotFree ? ', do_not_free' : ''}${numa}`,
      );
    });
    return lines.join('\n');
  }

  /**
   * Gives `count` new pages of memory on `socketId`, contiguous in address
   * (and in IOVA when `contig` and IOVAs are known), in the first list with
   * room of page size `pageSize` (0: any size, smallest first, as the lists
   * are in that order). Returns the rtemem address of the first page, or 0
   * when no list has room or the system has no pages left (or the backend
   * cannot grow). Raises MEM_EVENT_ALLOC for the pages (see
   * Eal.memEventCallbackRegister).
   *
   * @see eal_memalloc_alloc_seg_bulk (its page_sz argument)
   */
  allocPages(socketId: number, count: number, contig = false, pageSize = 0): number {
    if (!Number.isSafeInteger(count) || count <= 0) return 0;
    if (this.eal.backend === 'sab' || this.eal.legacyMem) return 0;
    // Events wait until the memseg lock (and any heap lock) is let go.
    const events = this.eal.memEvents;
    events.hold();
    this.eal.lockMemseg();
    try {
      for (const map of this.eal.lists) {
        if (map.socketId !== socketId || map.nSegs < count || (pageSize !== 0 && map.pageSize !== pageSize)) continue;
        let run = 0;
        for (let seg = 0; seg < map.nSegs; seg++) {
          run = (segState(this.eal.config, map, seg) & SEG_F_USED) === 0 ? run + 1 : 0;
          if (run < count) continue;
          const first = seg - count + 1;
          if (this.eal.backPages(map.index, first, count) !== 0) return 0;
          const addr = map.baseAddr + first * map.pageSize;
          if (contig && !this.isIovaContig(addr, count * map.pageSize)) {
            this.eal.releasePages(map.index, first, count);
            run = 0;
            continue;
          }
          events.notify(MEM_EVENT_ALLOC, addr, count * map.pageSize);
          return addr;
        }
      }
      return 0;
    } finally {
      this.eal.unlockMemseg();
      events.release();
    }
  }

  /**
   * Gives the pages of [addr, addr+len) back to the OS (page-aligned; pages
   * reserved at init are refused). Returns 0 or a negated errno. Raises
   * MEM_EVENT_FREE for the pages once they are gone.
   *
   * @see eal_memalloc_free_seg_bulk
   */
  freePages(addr: number, len: number): number {
    const at = this.#locate(addr);
    if (at === null || at.map === undefined || (at.d.flags & ML_F_EXTERNAL) !== 0) return -EINVAL;
    const page = at.d.pageSize;
    if (at.off % page !== 0 || len <= 0 || len % page !== 0 || at.off + len > at.d.length) return -EINVAL;
    const first = at.off / page;
    const count = len / page;
    const events = this.eal.memEvents;
    events.hold();
    this.eal.lockMemseg();
    try {
      for (let seg = first; seg < first + count; seg++) {
        const state = segState(this.eal.config, at.map, seg);
        if ((state & SEG_F_USED) === 0 || (state & SEG_F_DO_NOT_FREE) !== 0) return -EINVAL;
      }
      const r = this.eal.releasePages(at.d.index, first, count);
      if (r === 0) events.notify(MEM_EVENT_FREE, addr, len);
      return r;
    } finally {
      this.eal.unlockMemseg();
      events.release();
    }
  }
}
