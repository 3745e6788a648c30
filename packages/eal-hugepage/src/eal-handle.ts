/**
 * What one thread's handle on an EAL is, below the memory accessors
 * (eal-memory.ts) and the facade (eal.ts): the parts an init or attach made
 * it of (init-parts.ts), its flags, the calling thread's lcore (register,
 * unregister, socket), the primary's liveness, locks and named areas in the
 * config region, the worker data it posts, and what its cleanup gives back.
 *
 * @see rte_eal_init, rte_eal_cleanup in DPDK lib/eal/linux/eal.c;
 *   rte_thread_register, rte_lcore_id, rte_socket_id in
 *   lib/eal/common/eal_common_thread.c
 */
import { type EalWorkerData, workerDataOf } from './attach.js';
import type { Backend } from './backend.js';
import type { ConfigRegion } from './config.js';
import { LCORE_ID_ANY, SOCKET_ID_ANY } from './constants.js';
import { RteError } from './errors.js';
import { type EalParts, releaseParts } from './init-parts.js';
import { CONFIG_F_IN_MEMORY, CONFIG_F_LEGACY_MEM, HDR_PRIMARY_PID, LCORE_ROLE_THREAD, LOCK_CONFIG } from './layout.js';
import { claimLcore, type LcoreInfo, lcoreList, lcoreRelease, lcoreSocket } from './lcore.js';
import { type LockOwner, lockAcquire, lockRelease } from './lock.js';
import type { MemsegListMap } from './memseg-list.js';

/** Throws EINVAL once {@link Eal.cleanup} ran on handle `h`. */
export function checkOpen(h: { readonly closed: boolean }): void {
  if (h.closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: call Eal.init (or Eal.attach) again');
}

/** The sockets that have memory. */
export function memorySockets(lists: readonly MemsegListMap[]): number[] {
  return [...new Set(lists.map((l) => l.socketId))];
}

/**
 * One thread's handle on an EAL: its identity, lcore, locks and areas. The
 * handle users get is an {@link Eal}, which adds the memory accessors and
 * the facade.
 */
export class EalHandle {
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
  /** The smallest page size of the memseg lists (all of them: `pageSizes`). */
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
  #configFd: number;
  #closed = false;
  #readOnly = false;

  protected constructor(p: EalParts) {
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
    this.#readOnly = p.readOnly;
    this.lcoreCell[0] = p.lcore;
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
    checkOpen(this);
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
    checkOpen(this);
    if (this.#readOnly) throw new RteError('EPERM', 'a read-only EAL handle claims no lcore');
    if (this.lcoreCell[0] !== LCORE_ID_ANY) return this.lcoreCell[0]!;
    this.lcoreCell[0] = claimLcore(this.config, memorySockets(this.lists), LCORE_ROLE_THREAD);
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
   * This layer's part of {@link Eal.cleanup}: gives the lcore back, marks
   * the handle closed and, but in a worker, releases what init made.
   */
  cleanup(): void {
    if (this.#closed) return;
    this.threadUnregister();
    this.#closed = true;
    if (this.isWorker) return;
    releaseParts(this, this.#configFd);
    this.#configFd = -1;
  }

  /**
   * The byte offset in the config region of the area named `name`, created
   * zero-filled with `size` bytes by the first caller in any process.
   */
  area(name: string, size: number): number {
    checkOpen(this);
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
}
