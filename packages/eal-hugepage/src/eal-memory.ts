/**
 * The memory side of an EAL handle, for the layers above (memseg,
 * malloc-heap): the memseg lists this thread maps and the lookup of an
 * address's list, the memseg lock, backing and releasing pages, external
 * memory (plain and shared) entered in the handle's list array, the list
 * table, and memory event callbacks.
 *
 * @see rte_mem_virt2memseg_list, rte_extmem_register, rte_extmem_attach,
 *   rte_extmem_detach in DPDK lib/eal/common/eal_common_memory.c;
 *   rte_mem_event_callback_register in lib/eal/common/eal_common_memalloc.c
 */
import type { ListDescriptor } from './config.js';
import { listIndexOf } from './cursor.js';
import { EINVAL, EPERM } from './errors.js';
import { checkOpen, EalHandle, memorySockets } from './eal-handle.js';
import { ExternalMaps } from './external-maps.js';
import { sharedListNamed } from './extmem-shared.js';
import type { EalParts } from './init-parts.js';
import { LOCK_MEMSEG, MAX_LISTS, ML_USED_SEGS } from './layout.js';
import { checkMemEventsSupported, type MemEventCallback, MemEvents } from './mem-event.js';
import { backPages, type MemsegListMap, recountUsedSegments, releasePages } from './memseg-list.js';

/** An EAL handle with its memory: see {@link Eal}. */
export class EalMemory extends EalHandle {
  readonly #byIndex: (MemsegListMap | undefined)[];
  // This handle's external lists, entered in #byIndex.
  readonly #external: ExternalMaps;
  readonly #memEvents = new MemEvents();

  protected constructor(p: EalParts) {
    super(p);
    this.#byIndex = [];
    for (const l of p.lists) this.#byIndex[l.index] = l;
    this.#external = new ExternalMaps(this.#byIndex);
  }

  /**
   * This layer's part of {@link Eal.cleanup}: no more memory events, the
   * shared external lists unmapped; then the handle's own.
   */
  override cleanup(): void {
    if (this.closed) return;
    this.#memEvents.clear();
    this.#external.releaseShared();
    super.cleanup();
  }

  /** Memseg list `index`, or undefined. */
  list(index: number): MemsegListMap | undefined {
    return this.#byIndex[index];
  }

  /** The memseg list holding rtemem address `addr`, or undefined. */
  listOf(addr: number): MemsegListMap | undefined {
    return this.#byIndex[listIndexOf(addr)];
  }

  /**
   * Takes the memseg lock, which guards segment state (page allocation).
   * Taken over from a dead process, the used-segment counts are recounted
   * from the segment table (the one thing it may have left half updated).
   */
  lockMemseg(): void {
    this.lock(LOCK_MEMSEG, () => recountUsedSegments(this.config, this.lists));
  }

  /** Releases the memseg lock. */
  unlockMemseg(): void {
    this.unlock(LOCK_MEMSEG);
  }

  /**
   * Backs `count` pages of list `index` from segment `first` with memory
   * (the caller holds the memseg lock). Returns 0 or a negated errno
   * (-ENOMEM when the system has no pages left, -EPERM in legacy mode and on
   * the fixed sab backend).
   */
  backPages(index: number, first: number, count: number): number {
    const list = this.#byIndex[index];
    if (list === undefined || first < 0 || count <= 0 || first + count > list.nSegs) return -EINVAL;
    if (this.backend === 'sab' || this.legacyMem) return -EPERM;
    return backPages(this.config, list, first, count, 0, memorySockets(this.lists).length > 1);
  }

  /**
   * Gives `count` pages of list `index` from segment `first` back to the OS
   * (the caller holds the memseg lock and nothing lives in them). Returns 0
   * or a negated errno.
   */
  releasePages(index: number, first: number, count: number): number {
    const list = this.#byIndex[index];
    if (list === undefined || first < 0 || count <= 0 || first + count > list.nSegs) return -EINVAL;
    if (this.backend === 'sab' || this.legacyMem) return -EPERM;
    return releasePages(this.config, list, first, count);
  }

  /**
   * Registers a user's SharedArrayBuffer as an external memseg list (for an
   * external heap) and attaches it to this handle. Other threads attach the
   * same buffer with {@link Eal.attachExternalList}. Throws EINVAL for a
   * buffer that is not a SharedArrayBuffer, is empty, larger than LIST_SPAN or
   * not a whole number of pages; ENOSPC when the list table is full.
   *
   * @see rte_extmem_register
   */
  registerExternalList(buffer: SharedArrayBuffer, pageSize: number, socketId: number): MemsegListMap {
    checkOpen(this);
    return this.#external.register(this, buffer, pageSize, socketId);
  }

  /**
   * Attaches, in this thread, the buffer of external list `index` that
   * another thread registered. Throws EINVAL when `index` is not an external
   * list or the buffer does not match it.
   *
   * @see rte_extmem_attach
   */
  attachExternalList(index: number, buffer: SharedArrayBuffer): MemsegListMap {
    return this.#external.attach(this.config, index, buffer);
  }

  /**
   * Removes external list `index` from the table (the caller made sure
   * nothing uses it); a shared one is also unmapped here, and its memfd
   * closed when this handle registered it (a detach keeps the memfd).
   */
  unregisterExternalList(index: number): void {
    this.#external.unregister(this, index);
  }

  /** Detaches external list `index` from this handle only (a shared one is unmapped here). */
  detachExternalList(index: number): void {
    this.#external.detach(index);
  }

  /* ---- shared external memory (extmem-shared.ts) ---- */

  /**
   * Creates `len` bytes of memory in a memfd (hugepages when `pageSize` is a
   * hugepage size), registers it under `name` as an external list on
   * `socketId` and maps it in this thread. Any thread of any process of this
   * EAL maps it by name with {@link Eal.attachSharedExternalList} while this
   * handle keeps it (until it is unregistered, or this handle cleans up).
   * Throws EINVAL, ENAMETOOLONG (over 63 bytes), EEXIST, ENOSPC, ENOMEM, ENOTSUP.
   *
   * @see rte_extmem_register
   */
  registerSharedExternalList(name: string, len: number, pageSize: number, socketId: number): MemsegListMap {
    checkOpen(this);
    return this.#external.registerShared(this, name, len, pageSize, socketId);
  }

  /**
   * Maps, in this thread, the shared external memory registered as `name`
   * (the map this thread has already when it did). Throws ENOENT (no such
   * name, or its registering handle is gone), EPERM, ENOTSUP.
   *
   * @see rte_extmem_attach
   */
  attachSharedExternalList(name: string): MemsegListMap {
    checkOpen(this);
    return this.#external.attachShared(this.config, name);
  }

  /** The list index of the shared external memory named `name`, or -1. */
  sharedExternalIndex(name: string): number {
    return sharedListNamed(this.config, name);
  }

  /** Descriptors of every list in the table (internal and external), in index order. */
  listDescriptors(): ListDescriptor[] {
    const out: ListDescriptor[] = [];
    for (let i = 1; i <= MAX_LISTS; i++) {
      const d = this.config.readList(i);
      if (d !== null) out.push(d);
    }
    return out;
  }

  /** Segments of list `index` currently backed by memory. */
  usedSegments(index: number): number {
    return this.config.u32[(this.config.listEntry(index) + ML_USED_SEGS) >> 2]!;
  }

  /**
   * Registers `fn(type, addr, len)`, called with MEM_EVENT_ALLOC when pages
   * are added to the memory map (the heap grows) and MEM_EVENT_FREE when
   * pages leave it (the heap gives whole free pages back: trim, or pages a
   * failed grow took). Callbacks belong to this handle (this thread) and
   * hear of the pages it adds and removes; they run once this thread holds
   * no heap or memseg lock, so they may allocate (see mem-event.ts for how
   * this differs from DPDK). Throws EINVAL for an empty name or a
   * non-function, ENAMETOOLONG for a name over 63 bytes, EEXIST when `name`
   * is registered, ENOTSUP where memory never changes (legacyMem, the sab
   * backend).
   *
   * @example
   * ```ts
   * eal.memEventCallbackRegister('dma', (type, addr, len) => {
   *   if (type === MEM_EVENT_ALLOC) mapForDevice(addr, len); else unmapForDevice(addr, len);
   * });
   * ```
   * @see rte_mem_event_callback_register
   */
  memEventCallbackRegister(name: string, fn: MemEventCallback): void {
    this.#checkMemEvents('memEventCallbackRegister');
    this.#memEvents.register(name, fn);
  }

  /**
   * Removes callback `name`. Throws EINVAL, ENAMETOOLONG, ENOENT when no
   * callback has that name, ENOTSUP as memEventCallbackRegister.
   *
   * @see rte_mem_event_callback_unregister
   */
  memEventCallbackUnregister(name: string): void {
    this.#checkMemEvents('memEventCallbackUnregister');
    this.#memEvents.unregister(name);
  }

  /** For the layers that add and remove pages (memseg, malloc-heap): this handle's event queue. */
  get memEvents(): MemEvents {
    return this.#memEvents;
  }

  #checkMemEvents(what: string): void {
    checkOpen(this);
    checkMemEventsSupported(what, this.legacyMem, this.backend);
  }
}
