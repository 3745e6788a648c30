/**
 * The Environment Abstraction Layer of rtemem, as one thread's handle: the
 * thin facade over the init paths (init-primary.ts, init-secondary.ts,
 * attach.ts), launching (launch.ts) and multi-process messages
 * (mp-channel.ts). What a handle is (its parts, lcore, locks, areas,
 * cleanup) is eal-handle.ts; its memory for the layers above (memseg lists,
 * pages, external memory, memory events) is eal-memory.ts; {@link Eal}
 * extends both.
 *
 * @see rte_eal_init, rte_eal_cleanup in DPDK lib/eal/linux/eal.c
 */
import { type EalWorkerData, partsFromWorkerData } from './attach.js';
import { checkOpen } from './eal-handle.js';
import { dumpEal } from './eal-dump.js';
import { EalMemory } from './eal-memory.js';
import type { EalParts } from './init-parts.js';
import { initPrimary } from './init-primary.js';
import { initSecondary } from './init-secondary.js';
import { type EalOptions, normalizeOptions } from './options.js';
import { threadGetAffinity, threadSetAffinity } from './affinity.js';
import { Launcher, launcherOr, SKIP_MAIN } from './launch.js';
import { lcoreState, workerLcoresOf } from './worker-lcores.js';
import type { MpAction, MpMessage, MpReply } from './mp.js';
import { MpChannel, mpChannelOr, MP_NOT_INIT_HANDLE, openMpChannel } from './mp-channel.js';

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
export class Eal extends EalMemory {
  #launcher: Launcher | null = null;
  // The channel, or why this handle has none.
  #mp: MpChannel | string = MP_NOT_INIT_HANDLE;

  private constructor(p: EalParts) {
    super(p);
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
      eal.#mp = openMpChannel(eal, eal.readOnly);
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

  /**
   * Releases this handle. In a worker: gives the lcore back. In a secondary:
   * also unmaps the shared memory. In the primary: also removes the page
   * files and the config, so hugepages go back to the system once no
   * secondary maps them. Typed arrays still held read zeros afterwards; they
   * never crash the process. Calling it twice does nothing.
   *
   * @see rte_eal_cleanup
   */
  override cleanup(): void {
    if (this.closed) return;
    this.#launcher?.close();
    if (typeof this.#mp !== 'string') this.#mp.close();
    super.cleanup();
  }

  /** A short description: prefix, backend and why, lists, lcores. */
  dump(): string {
    return dumpEal(this);
  }

  /* ---------------------------------------------------------------- *
   * Launching work on lcores (launch.ts) and multi-process messages
   * (mp-channel.ts): thin methods that delegate. Only the handle Eal.init
   * returned has a launcher and a channel.
   * ---------------------------------------------------------------- */

  #launchHandle(what: string): Launcher {
    checkOpen(this);
    return launcherOr(this.#launcher, this.isWorker, what);
  }

  #mpHandle(): MpChannel {
    checkOpen(this);
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
    checkOpen(this);
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
    checkOpen(this);
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
