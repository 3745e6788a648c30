/**
 * The Environment Abstraction Layer of rtemem, as one thread's handle: the
 * thin facade over the init paths (init-primary.ts, init-secondary.ts,
 * attach.ts) and cleanup (init-parts.ts), the lcore table (lcore.ts), page
 * backing (memseg-list.ts), external memory (external-maps.ts), memory
 * events (mem-event.ts), launching (launch.ts), multi-process messages
 * (mp.ts) and the shared config (config.ts).
 *
 * @see rte_eal_init, rte_eal_cleanup, rte_thread_register in DPDK lib/eal
 */
import { type EalWorkerData, partsFromWorkerData, workerDataOf } from './attach.js';
import type { Backend } from './backend.js';
import type { ConfigRegion, ListDescriptor } from './config.js';
import { LCORE_ID_ANY, SOCKET_ID_ANY } from './constants.js';
import { listIndexOf } from './cursor.js';
import { EINVAL, EPERM, RteError } from './errors.js';
import { dumpEal } from './eal-dump.js';
import { ExternalMaps } from './external-maps.js';
import { sharedListNamed } from './extmem-shared.js';
import { type EalParts, releaseParts } from './init-parts.js';
import { initPrimary } from './init-primary.js';
import { initSecondary } from './init-secondary.js';
import { CONFIG_F_IN_MEMORY, CONFIG_F_LEGACY_MEM, HDR_PRIMARY_PID, LCORE_ROLE_THREAD, LOCK_CONFIG, LOCK_MEMSEG, MAX_LISTS, ML_USED_SEGS } from './layout.js';
import { claimLcore, type LcoreInfo, lcoreList, lcoreRelease, lcoreSocket } from './lcore.js';
import { type LockOwner, lockAcquire, lockRelease } from './lock.js';
import { backPages, type MemsegListMap, recountUsedSegments, releasePages } from './memseg-list.js';
import { type EalOptions, normalizeOptions } from './options.js';
import { threadGetAffinity, threadSetAffinity } from './affinity.js';
import { Launcher, launcherOr, lcoreState, SKIP_MAIN, workerLcoresOf } from './launch.js';
import { type MpAction, MpChannel, mpChannelOr, type MpMessage, type MpReply, MP_NOT_INIT_HANDLE, openMpChannel } from './mp.js';
import { checkMemEventsSupported, type MemEventCallback, MemEvents } from './mem-event.js';

export type { Backend } from './backend.js';
export type { EalOptions } from './options.js';
export type { EalWorkerData } from './attach.js';

/**
 * One thread's handle on an EAL. The primary's main thread gets it from
 * {@link Eal.init}; a secondary process from `Eal.init({ processType:
 * 'secondary' })`; a worker thread from `Eal.attach(eal.workerData())`.
 *
 * @example
 * ```ts
 * import { Eal } from '@rtemem/eal-hugepage';
 * const eal = Eal.init({ backend: 'sab', memory: 8 << 20 });
 * eal.lcoreId() === 0 && eal.processType === 'primary';
 * eal.cleanup();
 * ```
 * @see rte_eal_init
 */
export class Eal {
  /** 'primary' or 'secondary' (a worker reports its process's type). */
  readonly processType: 'primary' | 'secondary';
  /** The memory backend in use. */
  readonly backend: Backend;
  /** Why this backend was chosen. */
  readonly backendReason: string;
  /** The file prefix naming the runtime dir and page files. */
  readonly filePrefix: string;
  /** The runtime dir holding the config region ('' for sab and in-memory). */
  readonly runtimeDir: string;
  /** The directory of the list files ('' for sab and in-memory). */
  readonly pageDir: string;
  /** The smallest page size of the memseg lists (all of them: {@link Eal.pageSizes}). */
  readonly pageSize: number;
  /** The config region (shared). */
  readonly config: ConfigRegion;
  /** Memseg lists, in index order. */
  readonly lists: readonly MemsegListMap[];
  /** True in a handle made by {@link Eal.attach}. */
  readonly isWorker: boolean;
  /** Files of a dead primary with the same prefix that init removed. */
  readonly staleFilesRemoved: readonly string[];
  /** This process's pid (the owner recorded in shared locks). */
  readonly pid: number = process.pid;

  /**
   * The calling thread's lcore id in a one-element array (LCORE_ID_ANY when
   * unregistered), for hot paths that need it on every call: one typed-array
   * load instead of a method call. Read-only for users.
   */
  readonly lcoreCell: Uint32Array = Uint32Array.of(LCORE_ID_ANY);

  readonly #flags: number;
  readonly #byIndex: (MemsegListMap | undefined)[];
  // This handle's external lists, entered in #byIndex.
  readonly #external: ExternalMaps;
  #configFd: number;
  #closed = false;
  #readOnly = false;

  private constructor(p: EalParts) {
    this.processType = p.processType;
    this.backend = p.backend;
    this.backendReason = p.backendReason;
    this.filePrefix = p.filePrefix;
    this.runtimeDir = p.runtimeDir;
    this.pageDir = p.pageDir;
    this.pageSize = p.pageSize;
    this.#flags = p.flags;
    this.config = p.config;
    this.lists = p.lists;
    this.#configFd = p.configFd;
    this.isWorker = p.isWorker;
    this.staleFilesRemoved = p.staleFilesRemoved;
    this.#byIndex = [];
    for (const l of p.lists) this.#byIndex[l.index] = l;
    this.#external = new ExternalMaps(this.#byIndex);
    this.#readOnly = p.readOnly;
    this.lcoreCell[0] = p.lcore;
  }

  /**
   * Initialises the EAL: picks the backend, creates (primary) or attaches to
   * (secondary) the shared config and memory, and gives the calling thread
   * its lcore (0 for a primary).
   *
   * Throws EINVAL for bad options, EBUSY when another primary uses the file
   * prefix, ENOENT when a secondary finds no primary (or hugetlbfs is not
   * mounted), ENOMEM when the memory cannot be reserved, ENOTSUP when a
   * backend needs the native addon and it did not load.
   *
   * @see rte_eal_init
   */
  static init(opts: EalOptions = {}): Eal {
    const o = normalizeOptions(opts);
    // initPrimary gives null for processType 'auto' when a live primary holds the prefix.
    const eal = new Eal(o.processType === 'secondary' ? initSecondary(o) : (initPrimary(o) ?? initSecondary(o)));
    try {
      // Only this handle launches work on lcores and takes part in multi-process messages.
      if (o.lcores !== null) eal.#launcher = Launcher.create(eal, o.lcores);
      eal.#mp = openMpChannel(eal, eal.#readOnly);
    } catch (e) {
      eal.cleanup();
      throw e;
    }
    return eal;
  }

  /**
   * Attaches a worker thread to its parent's EAL, sharing the very same
   * SharedArrayBuffers. The new handle has no lcore until
   * {@link Eal.threadRegister}.
   *
   * @example
   * ```ts
   * // main thread: new Worker(file, { workerData: eal.workerData() })
   * // worker:      const eal = Eal.attach(workerData); eal.threadRegister();
   * ```
   */
  static attach(data: EalWorkerData): Eal {
    return new Eal(partsFromWorkerData(data));
  }

  /** Every page size the EAL has memseg lists of, smallest first (the config's page size table). @see struct hugepage_info */
  get pageSizes(): number[] {
    return this.config.pageSizes().map((s) => s.pageSize);
  }

  /** True when legacyMem: memory is preallocated and never grows or shrinks. */
  get legacyMem(): boolean {
    return (this.#flags & CONFIG_F_LEGACY_MEM) !== 0;
  }

  /** True for an in-memory EAL (no shared files, no secondaries). */
  get inMemory(): boolean {
    return (this.#flags & CONFIG_F_IN_MEMORY) !== 0;
  }

  /** True once {@link Eal.cleanup} ran on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Data for `new Worker(file, { workerData })`, from which the worker calls
   * {@link Eal.attach}. Posting it shares the memory (the same
   * SharedArrayBuffer objects), it never copies or re-maps it.
   */
  workerData(): EalWorkerData {
    this.#checkOpen();
    return workerDataOf(this, this.#flags);
  }

  /** The calling thread's lcore id: 0 on the primary's main thread, LCORE_ID_ANY before threadRegister. @see rte_lcore_id */
  lcoreId(): number {
    return this.lcoreCell[0]!;
  }

  /**
   * Gives this thread an lcore id of its own from the shared table (ids of
   * dead processes are reclaimed first when the table is full). Returns the
   * existing id when the thread already has one. Throws ENOSPC when all
   * MAX_LCORE ids are taken.
   *
   * @see rte_thread_register
   */
  threadRegister(): number {
    this.#checkOpen();
    if (this.#readOnly) throw new RteError('EPERM', 'a read-only EAL handle claims no lcore');
    if (this.lcoreCell[0] !== LCORE_ID_ANY) return this.lcoreCell[0]!;
    this.lcoreCell[0] = claimLcore(this.config, this.#sockets(), LCORE_ROLE_THREAD);
    return this.lcoreCell[0]!;
  }

  /** Gives this thread's lcore id back. @see rte_thread_unregister */
  threadUnregister(): void {
    const lcore = this.lcoreCell[0]!;
    if (lcore === LCORE_ID_ANY) return;
    this.lock(LOCK_CONFIG);
    try {
      lcoreRelease(this.config, lcore);
    } finally {
      this.unlock(LOCK_CONFIG);
    }
    this.lcoreCell[0] = LCORE_ID_ANY;
  }

  // The sockets that have memory.
  #sockets(): number[] {
    return [...new Set(this.lists.map((l) => l.socketId))];
  }

  /** NUMA socket of the calling thread's lcore; SOCKET_ID_ANY without one. @see rte_socket_id */
  socketId(): number {
    const lcore = this.lcoreCell[0]!;
    if (lcore === LCORE_ID_ANY) return SOCKET_ID_ANY;
    return lcoreSocket(this.config, lcore);
  }

  /** Every lcore in use, in every process. */
  lcores(): LcoreInfo[] {
    return lcoreList(this.config);
  }

  /**
   * True while the primary process lives (always true in the primary, and
   * for sab / in-memory EALs, which have no other processes).
   */
  primaryAlive(): boolean {
    if (this.processType === 'primary') return !this.#closed;
    return this.config.primaryAlive();
  }

  /** The pid of the primary process. */
  primaryPid(): number {
    return this.config.i32[HDR_PRIMARY_PID >> 2]!;
  }

  /**
   * Releases this handle. In a worker: gives the lcore back. In a secondary:
   * also unmaps the shared memory. In the primary: also removes the page
   * files and the config, so hugepages go back to the system once no
   * secondary maps them. Typed arrays still held read zeros afterwards; they
   * never crash the process. Calling it twice does nothing.
   *
   * @see rte_eal_cleanup
   */
  cleanup(): void {
    if (this.#closed) return;
    this.#launcher?.close();
    if (typeof this.#mp !== 'string') this.#mp.close();
    this.#memEvents.clear();
    this.threadUnregister();
    this.#closed = true;
    this.#external.releaseShared();
    if (this.isWorker) return;
    releaseParts(this, this.#configFd);
    this.#configFd = -1;
  }

  #checkOpen(): void {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: call Eal.init (or Eal.attach) again');
  }

  /* ---------------------------------------------------------------- *
   * For the upper layers
   * ---------------------------------------------------------------- */

  /**
   * The byte offset in the config region of the area named `name`, created
   * zero-filled with `size` bytes by the first caller in any process.
   */
  area(name: string, size: number): number {
    this.#checkOpen();
    if (this.#readOnly) {
      const found = this.config.areas().find((a) => a.name === name);
      if (found === undefined) throw new RteError('ENOENT', `the primary has no ${name} yet (a read-only handle creates nothing)`);
      return found.offset;
    }
    return this.config.area(name, size, this.pid, this.#lockLcore());
  }

  /** True for a read-only secondary (see EalOptions.readOnly). */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Memseg list `index`, or undefined. */
  list(index: number): MemsegListMap | undefined {
    return this.#byIndex[index];
  }

  /** The memseg list holding rtemem address `addr`, or undefined. */
  listOf(addr: number): MemsegListMap | undefined {
    return this.#byIndex[listIndexOf(addr)];
  }

  #lockLcore(): number {
    const lcore = this.lcoreCell[0]!;
    return lcore === LCORE_ID_ANY ? -1 : lcore;
  }

  /** Takes a lock in the config region (see lock.ts), recording this process as owner. */
  lock(off: number, onRecover?: (dead: LockOwner) => void): void {
    lockAcquire(this.config.i32, off, this.pid, this.#lockLcore(), onRecover);
  }

  /** Releases a lock in the config region. */
  unlock(off: number): void {
    lockRelease(this.config.i32, off);
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
    return backPages(this.config, list, first, count, 0, this.#sockets().length > 1);
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
    this.#checkOpen();
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
    this.#checkOpen();
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
    this.#checkOpen();
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

  /** A short description: prefix, backend and why, lists, lcores. */
  dump(): string {
    return dumpEal(this);
  }

  /* ---------------------------------------------------------------- *
   * Memory event callbacks (mem-event.ts)
   * ---------------------------------------------------------------- */

  readonly #memEvents = new MemEvents();

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
    this.#checkOpen();
    checkMemEventsSupported(what, this.legacyMem, this.backend);
  }

  /* ---------------------------------------------------------------- *
   * Launching work on lcores (launch.ts) and multi-process messages
   * (mp.ts): thin methods that delegate. Only the handle Eal.init
   * returned has a launcher and a channel.
   * ---------------------------------------------------------------- */

  #launcher: Launcher | null = null;
  // The channel, or why this handle has none.
  #mp: MpChannel | string = MP_NOT_INIT_HANDLE;

  #launchHandle(what: string): Launcher {
    this.#checkOpen();
    return launcherOr(this.#launcher, this.isWorker, what);
  }

  #mpHandle(): MpChannel {
    this.#checkOpen();
    return mpChannelOr(this.#mp);
  }

  /**
   * Runs `fn(eal, arg)`, the function `exportName` of the module at
   * `moduleUrl` (a file URL or an absolute path), on worker lcore `lcore`:
   * a worker thread that is that lcore, attached to this EAL and registered
   * before the function runs, created on first use. Returns once the work
   * is handed over; {@link Eal.waitLcore} gives the outcome. Throws EBUSY
   * while that lcore is RUNNING, EINVAL for the main lcore or an id that is
   * not a worker lcore of this EAL, ENOENT for a missing module.
   *
   * @example
   * ```ts
   * const eal = Eal.init({ backend: 'sab', memory: 8 << 20, lcores: 1 });
   * eal.launch(1, new URL('./work.mjs', import.meta.url), 'count', 1000);
   * const result = await eal.waitLcore(1);   // what count(eal, 1000) returned
   * eal.cleanup();
   * ```
   * @see rte_eal_remote_launch
   */
  launch(lcore: number, moduleUrl: string | URL, exportName: string, arg?: unknown): void {
    this.#launchHandle('launch').launch(lcore, moduleUrl, exportName, arg);
  }

  /**
   * The last function's outcome on worker lcore `lcore`: its return value,
   * or a rejection with its error (with the worker's stack). Waits while it
   * runs, then moves the lcore to WAIT. 0 for an lcore never launched.
   *
   * @see rte_eal_wait_lcore
   */
  waitLcore(lcore: number): Promise<unknown> {
    try {
      return this.#launchHandle('waitLcore').waitLcore(lcore);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The launch state of one of this process's worker lcores, or of its main
   * lcore: LCORE_STATE_WAIT, RUNNING or FINISHED (read from shared memory:
   * any handle of the process may ask). Throws EINVAL for other ids.
   *
   * @see rte_eal_get_lcore_state
   */
  lcoreState(lcore: number): number {
    this.#checkOpen();
    return lcoreState(this, lcore);
  }

  /**
   * Launches the function on every worker lcore, and with CALL_MAIN on
   * this thread too, after them. Throws EBUSY, launching nothing, while any
   * worker lcore is RUNNING.
   *
   * @see rte_eal_mp_remote_launch
   */
  mpRemoteLaunch(moduleUrl: string | URL, exportName: string, arg?: unknown, callMain: number = SKIP_MAIN): void {
    this.#launchHandle('mpRemoteLaunch').mpRemoteLaunch(moduleUrl, exportName, arg, callMain);
  }

  /**
   * Waits for every worker lcore (and the main lcore after CALL_MAIN):
   * their return values, the main lcore's first when it ran, then the
   * workers' in workerLcores() order. Rejects, once all are done, with the
   * error of a function that threw (an AggregateError when several did).
   *
   * @see rte_eal_mp_wait_lcore
   */
  mpWaitLcore(): Promise<unknown[]> {
    try {
      return this.#launchHandle('mpWaitLcore').mpWaitLcore();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** This process's worker lcores, ascending: the order of RTE_LCORE_FOREACH_WORKER. @see RTE_LCORE_FOREACH_WORKER, rte_get_next_lcore */
  workerLcores(): number[] {
    this.#checkOpen();
    return workerLcoresOf(this);
  }

  /** Lcores of this process that run EAL work: its main lcore and its worker lcores. @see rte_lcore_count */
  lcoreCount(): number {
    return 1 + this.workerLcores().length;
  }

  /** Pins the calling thread to `cpus` (EINVAL, EPERM, ENOTSUP without the addon). @see rte_thread_set_affinity */
  threadSetAffinity(cpus: number | number[]): void {
    threadSetAffinity(cpus);
  }

  /** The CPUs the calling thread may run on. @see rte_thread_get_affinity */
  threadGetAffinity(): number[] {
    return threadGetAffinity();
  }

  /**
   * Registers the action for messages and requests named `name` (at most
   * 64 bytes) from other processes. Throws EEXIST when one is registered,
   * ENOTSUP without a channel (sab or inMemory EALs, worker-thread handles).
   *
   * @see rte_mp_action_register
   */
  mpActionRegister(name: string, fn: MpAction): void {
    this.#mpHandle().actionRegister(name, fn);
  }

  /** @see rte_mp_action_unregister */
  mpActionUnregister(name: string): void {
    this.#mpHandle().actionUnregister(name);
  }

  /**
   * Sends a message: from a secondary to the primary, from the primary to
   * every secondary. Throws ECONNREFUSED from a secondary whose primary is
   * gone, E2BIG for data over 64 KiB.
   *
   * @see rte_mp_sendmsg
   */
  mpSendmsg(msg: MpMessage): void {
    this.#mpHandle().sendmsg(msg);
  }

  /**
   * Sends a request (a secondary to the primary, the primary to every
   * secondary) and resolves when every peer with the action replied.
   * Rejects ETIMEDOUT when one did not within `timeoutMs`, ECONNRESET when
   * one died first, EIO (or its own code) when its action threw.
   *
   * @see rte_mp_request_sync
   */
  mpRequestSync(msg: MpMessage, timeoutMs: number): Promise<MpReply> {
    try {
      return this.#mpHandle().request(msg, timeoutMs, true);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * As mpRequestSync, but resolves with the replies that came by the
   * timeout (nbReceived < nbSent when some did not) instead of rejecting.
   *
   * @see rte_mp_request_async
   */
  mpRequestAsync(msg: MpMessage, timeoutMs: number): Promise<MpReply> {
    try {
      return this.#mpHandle().request(msg, timeoutMs, false);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Replies to a request of `peer` (as an action got it). Throws EINVAL
   * when no request of that name from that peer waits for a reply.
   *
   * @see rte_mp_reply
   */
  mpReply(msg: MpMessage, peer: string): void {
    this.#mpHandle().reply(msg, peer);
  }
}
