/**
 * Launching work on lcores, DPDK's rte_launch.h on worker threads: each
 * worker lcore reserved by `EalOptions.lcores` is one worker thread, created
 * on its first launch, attached to the EAL and registered as that lcore id
 * (optionally pinned to CPUs) before any function runs on it. `launch` hands
 * it an exported function of a module; `waitLcore` gives back what the
 * function returned, or rejects with its error (the worker's stack).
 *
 * The launch state of every worker lcore (WAIT, RUNNING, FINISHED) is a
 * word of the shared lcore table, so other processes (`rtemem info`) see it.
 * WAIT -> RUNNING is a compare-and-swap by the launcher (two launches of
 * one lcore cannot both win); RUNNING -> FINISHED is stored by the lcore's
 * thread when the function returns; FINISHED -> WAIT by `waitLcore`.
 *
 * DPDK 22.11 has no FINISHED state (the lcore goes back to WAIT when the
 * function returns, and rte_eal_wait_lcore reports the last function's
 * return value from then on). rtemem keeps DPDK's older FINISHED as "done,
 * not yet waited for", which `rtemem info` shows, and otherwise follows
 * 22.11: a FINISHED lcore takes new work (only RUNNING is EBUSY), and
 * `waitLcore` reports the last function's outcome every time it is asked.
 *
 * This file is the launcher's side, held by the handle Eal.init returned.
 * The lcore's thread is lcore-worker.ts; what crosses between them,
 * lcore-run.ts; the worker lcores in the shared table and their states,
 * worker-lcores.ts.
 *
 * @see rte_eal_remote_launch, rte_eal_wait_lcore, rte_eal_mp_remote_launch,
 *   rte_eal_mp_wait_lcore in DPDK lib/eal/common/eal_common_launch.c
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConfigRegion } from './config.js';
import type { Eal } from './eal.js';
import { RteError } from './errors.js';
import { lcoreLaunchWord } from './lcore.js';
import { exportedFunction, type LcoreDoneMessage, type LcoreRunMessage, type LcoreWorkerData, lcoreWorkerEntry, moduleHref, reviveError } from './lcore-run.js';
import type { LcoreOptions } from './options.js';
import { releaseWorkerLcores, reserveWorkerLcores } from './worker-lcores.js';

/** The lcore waits for work. @see WAIT in rte_launch.h */
export const LCORE_STATE_WAIT = 0;
/** The lcore runs a function. @see RUNNING in rte_launch.h */
export const LCORE_STATE_RUNNING = 1;
/** The function returned (or threw); `waitLcore` has not collected it yet. @see FINISHED in DPDK <= 21.08 */
export const LCORE_STATE_FINISHED = 2;

/** `mpRemoteLaunch`: the main lcore does not run the function. @see SKIP_MAIN in rte_launch.h */
export const SKIP_MAIN = 0;
/** `mpRemoteLaunch`: the main lcore runs it too, after launching the workers. @see CALL_MAIN in rte_launch.h */
export const CALL_MAIN = 1;

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

interface Run {
  seq: number;
  exportName: string;
  settle: (o: Outcome) => void;
}

/** One worker lcore, as its launcher sees it. */
interface Slot {
  id: number;
  cpus: number[] | null;
  worker: Worker | null;
  /** Runs launched so far (0: never). */
  seq: number;
  /** The last run's outcome; never rejects. */
  last: Promise<Outcome>;
  /** Runs whose outcome has not arrived yet (at most two: one finishing, one just launched). */
  pending: Map<number, Run>;
  /** The thread's last 'error' event, for the exit that follows it. */
  threadError: Error | null;
}

/**
 * The launcher of one process's worker lcores, held by the EAL handle that
 * `Eal.init` returned (DPDK: "to be executed on the MAIN lcore only").
 */
export class Launcher {
  readonly #eal: Eal;
  readonly #cfg: ConfigRegion;
  readonly #slots = new Map<number, Slot>();
  readonly #ids: number[];
  #mainRun: Promise<Outcome> | null = null;
  #closed = false;

  private constructor(eal: Eal, ids: number[], cpus: Map<number, number[]>) {
    this.#eal = eal;
    this.#cfg = eal.config;
    this.#ids = ids;
    for (const id of ids) {
      this.#slots.set(id, {
        id,
        cpus: cpus.get(id) ?? null,
        worker: null,
        seq: 0,
        last: Promise.resolve({ ok: true, value: 0 }),
        pending: new Map(),
        threadError: null,
      });
    }
  }

  /**
   * Reserves the worker lcores in the shared table (role worker, this
   * process). Throws EBUSY when a listed id is taken, ENOSPC when too few
   * ids are free, EINVAL when lcoreCpus names an lcore that is not reserved.
   */
  static create(eal: Eal, o: LcoreOptions): Launcher {
    return new Launcher(eal, reserveWorkerLcores(eal, o), o.cpus);
  }
  /** This launcher's worker lcore ids, ascending. */
  workerLcores(): number[] {
    return [...this.#ids];
  }

  #slot(lcore: unknown, what: string): Slot {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: its lcores are gone');
    const slot = typeof lcore === 'number' ? this.#slots.get(lcore) : undefined;
    if (slot !== undefined) return slot;
    const main = this.#eal.lcoreId();
    if (lcore === main) {
      throw new RteError('EINVAL', `${what}: lcore ${main} is the main lcore (the thread that calls it); use a worker lcore: ${this.#describeWorkers()}`);
    }
    throw new RteError('EINVAL', `${what}: ${String(lcore)} is not a worker lcore of this EAL; ${this.#describeWorkers()}`);
  }

  #describeWorkers(): string {
    return this.#ids.length > 0 ? `worker lcores: ${this.#ids.join(', ')}` : 'it has none: reserve some with Eal.init({ lcores: N })';
  }

  /**
   * Runs `exportName` of `moduleUrl` as `fn(eal, arg)` on worker lcore
   * `lcore`. Returns once the work is handed over; `waitLcore` gives its
   * outcome. Throws EBUSY while that lcore is RUNNING, EINVAL for the main
   * lcore, an id that is not a worker lcore of this EAL, a bad module URL,
   * or an `arg` that cannot be posted to a thread; ENOENT for a missing
   * module file.
   *
   * @see rte_eal_remote_launch
   */
  launch(lcore: number, moduleUrl: string | URL, exportName: string, arg: unknown): void {
    const slot = this.#slot(lcore, 'launch');
    const href = moduleHref(moduleUrl);
    if (typeof exportName !== 'string' || exportName === '') throw new RteError('EINVAL', 'exportName must name an exported function of the module');
    this.#launch(slot, href, exportName, arg);
  }

  #launch(slot: Slot, href: string, exportName: string, arg: unknown): void {
    const word = lcoreLaunchWord(slot.id);
    let before = Atomics.compareExchange(this.#cfg.i32, word, LCORE_STATE_WAIT, LCORE_STATE_RUNNING);
    if (before === LCORE_STATE_FINISHED) before = Atomics.compareExchange(this.#cfg.i32, word, LCORE_STATE_FINISHED, LCORE_STATE_RUNNING);
    if (before === LCORE_STATE_RUNNING) {
      throw new RteError('EBUSY', `lcore ${slot.id} is RUNNING a function: wait for it (await eal.waitLcore(${slot.id})) before launching another`);
    }
    try {
      const worker = slot.worker ?? this.#startThread(slot);
      const msg: LcoreRunMessage = { type: 'run', seq: slot.seq + 1, moduleUrl: href, exportName, arg };
      worker.postMessage(msg);
    } catch (e) {
      // Nothing was handed over: the lcore is as it was.
      Atomics.store(this.#cfg.i32, word, before);
      if (e instanceof RteError) throw e;
      const err = e as Error;
      if (err.name === 'DataCloneError') {
        throw new RteError('EINVAL', `launch: arg cannot be posted to lcore ${slot.id}'s thread (${err.message}): pass plain data, typed arrays or SharedArrayBuffers`);
      }
      throw new RteError('EINVAL', `launch: cannot start lcore ${slot.id}'s thread: ${err.message}`, { cause: e });
    }
    slot.seq++;
    const seq = slot.seq;
    slot.last = new Promise<Outcome>((resolve) => slot.pending.set(seq, { seq, exportName, settle: resolve }));
    slot.worker!.ref();
  }

  #startThread(slot: Slot): Worker {
    const entry = lcoreWorkerEntry();
    if (!existsSync(entry)) {
      throw new RteError('ENOENT', `the lcore thread's entry ${entry} is missing: build @rtemem/eal-hugepage (pnpm build)`);
    }
    const data: LcoreWorkerData = { __rtemem: 'lcore', eal: this.#eal.workerData(), lcore: slot.id, cpus: slot.cpus };
    const worker = new Worker(entry, { workerData: data });
    // Idle lcore threads do not keep the process alive; a running one does (launch refs it).
    worker.unref();
    slot.worker = worker;
    slot.threadError = null;
    worker.on('message', (m: LcoreDoneMessage) => {
      if (m?.type !== 'done') return;
      const run = slot.pending.get(m.seq);
      if (run === undefined) return;
      slot.pending.delete(m.seq);
      run.settle(m.ok ? { ok: true, value: m.value } : { ok: false, error: reviveError(m.error, slot.id) });
      if (slot.pending.size === 0 && slot.worker === worker) worker.unref();
    });
    worker.on('error', (e) => {
      slot.threadError = e;
      if (slot.pending.size === 0 && !this.#closed) {
        process.emitWarning(`lcore ${slot.id}'s thread failed after its function returned: ${e.stack ?? e.message}`, { code: 'RTEMEM_LCORE' });
      }
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) slot.worker = null;
      if (slot.pending.size === 0) return;
      for (const run of slot.pending.values()) {
        const error =
          slot.threadError ??
          new RteError(
            'EPIPE',
            this.#closed
              ? `the EAL was cleaned up while lcore ${slot.id} ran ${run.exportName}`
              : `lcore ${slot.id}'s thread exited (code ${code}) while running ${run.exportName}: the function called process.exit(), or the thread was terminated`,
          );
        run.settle({ ok: false, error });
      }
      slot.pending.clear();
      // The thread is gone without storing FINISHED itself.
      Atomics.compareExchange(this.#cfg.i32, lcoreLaunchWord(slot.id), LCORE_STATE_RUNNING, LCORE_STATE_FINISHED);
    });
    return worker;
  }

  /**
   * The outcome of the last function launched on `lcore`: its return value,
   * or a rejection with its error. Waits while the lcore is RUNNING, then
   * moves it to WAIT. Resolves 0 for an lcore never launched; reports the
   * same last outcome again when asked again (DPDK 22.11). Rejects EINVAL
   * for the main lcore or an id that is not a worker lcore of this EAL.
   *
   * @see rte_eal_wait_lcore
   */
  async waitLcore(lcore: number): Promise<unknown> {
    const slot = this.#slot(lcore, 'waitLcore');
    const o = await this.#collect(slot);
    if (o.ok) return o.value;
    throw o.error;
  }

  async #collect(slot: Slot): Promise<Outcome> {
    const seq = slot.seq;
    const o = await slot.last;
    // Unless another launch came meanwhile (then it is RUNNING, not ours to touch).
    if (slot.seq === seq) Atomics.compareExchange(this.#cfg.i32, lcoreLaunchWord(slot.id), LCORE_STATE_FINISHED, LCORE_STATE_WAIT);
    return o;
  }

  /**
   * Launches the function on every worker lcore, and with CALL_MAIN also
   * runs it on the calling (main) thread, as DPDK does, after the workers
   * were launched. Throws EBUSY, launching nothing, when any worker lcore is
   * RUNNING. On the main lcore the module is loaded with require() (Node
   * loads ES modules so, unless they use top-level await); its outcome comes
   * out of `mpWaitLcore`.
   *
   * @see rte_eal_mp_remote_launch
   */
  mpRemoteLaunch(moduleUrl: string | URL, exportName: string, arg: unknown, callMain: number): void {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: its lcores are gone');
    if (callMain !== SKIP_MAIN && callMain !== CALL_MAIN) throw new RteError('EINVAL', `callMain must be SKIP_MAIN (0) or CALL_MAIN (1), not ${String(callMain)}`);
    const href = moduleHref(moduleUrl);
    if (typeof exportName !== 'string' || exportName === '') throw new RteError('EINVAL', 'exportName must name an exported function of the module');
    const busy = this.#ids.filter((id) => Atomics.load(this.#cfg.i32, lcoreLaunchWord(id)) === LCORE_STATE_RUNNING);
    if (busy.length > 0) {
      const which = busy.length === 1 ? `lcore ${busy[0]} is` : `lcores ${busy.join(', ')} are`;
      throw new RteError('EBUSY', `${which} RUNNING: await eal.mpWaitLcore() before launching on every lcore (nothing was launched)`);
    }
    // One structured clone up front: an arg that cannot be posted fails before any lcore starts.
    try {
      structuredClone(arg);
    } catch (e) {
      throw new RteError('EINVAL', `mpRemoteLaunch: arg cannot be posted to the lcores' threads (${(e as Error).message}): pass plain data, typed arrays or SharedArrayBuffers`);
    }
    for (const id of this.#ids) this.#launch(this.#slots.get(id)!, href, exportName, arg);
    this.#mainRun = callMain === CALL_MAIN ? this.#runOnMain(href, exportName, arg) : null;
  }

  #runOnMain(href: string, exportName: string, arg: unknown): Promise<Outcome> {
    const main = this.#eal.lcoreId();
    const word = lcoreLaunchWord(main);
    Atomics.store(this.#cfg.i32, word, LCORE_STATE_RUNNING);
    const done = (o: Outcome): Outcome => {
      Atomics.store(this.#cfg.i32, word, LCORE_STATE_WAIT);
      return o;
    };
    try {
      const ns = createRequire(import.meta.url)(fileURLToPath(href)) as Record<string, unknown>;
      const fn = exportedFunction(ns, exportName, href);
      const r = fn(this.#eal, arg);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(r).then(
          (value) => done({ ok: true, value }),
          (error: unknown) => done({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
        );
      }
      return Promise.resolve(done({ ok: true, value: r }));
    } catch (error) {
      const err = error as Error & { code?: string };
      if (err?.code === 'ERR_REQUIRE_ASYNC_MODULE') {
        return Promise.resolve(
          done({ ok: false, error: new RteError('EINVAL', `CALL_MAIN loads ${href} with require(), and it uses top-level await: use SKIP_MAIN, or a module without top-level await`) }),
        );
      }
      return Promise.resolve(done({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }));
    }
  }

  /**
   * Waits for every worker lcore (and the main lcore after a CALL_MAIN
   * launch) and moves them to WAIT. Resolves to their return values, the
   * main lcore's first when it ran, then the workers' in workerLcores()
   * order. When functions threw, it rejects after every lcore is done: with
   * that error when one failed, with an AggregateError of them all when
   * several did.
   *
   * @see rte_eal_mp_wait_lcore
   */
  async mpWaitLcore(): Promise<unknown[]> {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: its lcores are gone');
    const main = this.#mainRun;
    this.#mainRun = null;
    const outcomes = await Promise.all([...(main ? [main] : []), ...this.#ids.map((id) => this.#collect(this.#slots.get(id)!))]);
    const errors = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      const which = errors.map((e) => (e as Error & { lcore?: number }).lcore ?? this.#eal.lcoreId());
      throw new AggregateError(errors, `functions failed on lcores ${which.join(', ')}; the first: ${errors[0]!.message}`);
    }
    return outcomes.map((o) => (o as { value: unknown }).value);
  }

  /** Ends every lcore thread (running ones are terminated) and gives the lcore ids back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots.values()) {
      if (slot.worker !== null) {
        // The 'exit' handler settles what was still running.
        void slot.worker.terminate().catch(() => undefined);
      }
      Atomics.store(this.#cfg.i32, lcoreLaunchWord(slot.id), LCORE_STATE_WAIT);
    }
    releaseWorkerLcores(this.#eal, this.#ids);
  }
}


/**
 * `launcher`, or EINVAL saying why the handle has none: a worker thread's
 * handle, or an EAL without worker lcores. `what` names the call.
 */
export function launcherOr(launcher: Launcher | null, isWorker: boolean, what: string): Launcher {
  if (launcher !== null) return launcher;
  throw new RteError(
    'EINVAL',
    isWorker
      ? `${what}: launch from the thread that called Eal.init (DPDK: the main lcore only)`
      : `${what}: this EAL has no worker lcores: reserve some with Eal.init({ lcores: N })`,
  );
}
