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
 * @see rte_eal_remote_launch, rte_eal_wait_lcore, rte_eal_mp_remote_launch,
 *   rte_eal_mp_wait_lcore, rte_eal_get_lcore_state in DPDK eal_common_launch.c
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { validateCpus } from './affinity.js';
import { MAX_LCORE } from './constants.js';
import type { ConfigRegion } from './config.js';
import type { Eal, EalWorkerData } from './eal.js';
import { RteError } from './errors.js';
import { LCORE_ROLE_WORKER, LOCK_CONFIG } from './layout.js';
import { lcoreClaim, lcoreIsFree, lcoreIsWorkerOf, lcoreLaunchWord, lcoreList, lcoreReclaimDead, lcoreRelease } from './lcore.js';
import { selfStartTime } from './process-info.js';

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

/** What the lcore's worker thread (lcore-worker.ts) gets as workerData. */
export interface LcoreWorkerData {
  __rtemem: 'lcore';
  eal: EalWorkerData;
  lcore: number;
  cpus: number[] | null;
}

/** main -> lcore thread: run this. */
export interface LcoreRunMessage {
  type: 'run';
  seq: number;
  moduleUrl: string;
  exportName: string;
  arg: unknown;
}

/** An error as it crosses from the lcore's thread: what is needed to rebuild it with the worker's stack. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  code: unknown;
  errno: unknown;
  /** A thrown value that is not an Error (a string, a number), when it can be cloned. */
  thrown?: unknown;
}

/** lcore thread -> main: the function of run `seq` returned (ok) or threw. */
export type LcoreDoneMessage =
  | { type: 'done'; seq: number; ok: true; value: unknown }
  | { type: 'done'; seq: number; ok: false; error: SerializedError };

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** `EalOptions.lcores` and `lcoreCpus`, checked. */
export interface LcoreOptions {
  /** How many worker lcores (lowest free ids), or exactly which ids. */
  lcores: number | number[];
  /** CPUs per worker lcore id. */
  cpus: Map<number, number[]>;
}

/** Checks `EalOptions.lcores` / `lcoreCpus` (EINVAL); null when neither is given. */
export function normalizeLcoreOptions(lcores: unknown, lcoreCpus: unknown): LcoreOptions | null {
  if (lcores === undefined && lcoreCpus === undefined) return null;
  let count: number | number[] = 0;
  if (typeof lcores === 'number') {
    if (!Number.isInteger(lcores) || lcores < 0 || lcores >= MAX_LCORE) {
      throw new RteError('EINVAL', `lcores must be a count of worker lcores (0 to ${MAX_LCORE - 1}) or an array of lcore ids, not ${String(lcores)}`);
    }
    count = lcores;
  } else if (Array.isArray(lcores)) {
    for (const id of lcores) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id >= MAX_LCORE) {
        throw new RteError('EINVAL', `lcores: ${String(id)} is not a worker lcore id (1 to ${MAX_LCORE - 1}; lcore 0 is the main lcore)`);
      }
    }
    if (new Set(lcores).size !== lcores.length) throw new RteError('EINVAL', `lcores ${JSON.stringify(lcores)} names an lcore twice`);
    count = [...(lcores as number[])].sort((a, b) => a - b);
  } else if (lcores !== undefined) {
    throw new RteError('EINVAL', `lcores must be a count of worker lcores or an array of lcore ids, not ${typeof lcores}`);
  }
  const cpus = new Map<number, number[]>();
  if (lcoreCpus !== undefined) {
    if (lcoreCpus === null || typeof lcoreCpus !== 'object' || Array.isArray(lcoreCpus)) {
      throw new RteError('EINVAL', 'lcoreCpus maps worker lcore ids to CPUs: { 1: [2], 2: [3] }');
    }
    for (const [key, value] of Object.entries(lcoreCpus)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 1 || id >= MAX_LCORE) throw new RteError('EINVAL', `lcoreCpus: ${JSON.stringify(key)} is not a worker lcore id`);
      cpus.set(id, validateCpus(value, `lcoreCpus[${id}]`));
    }
  }
  return { lcores: count, cpus };
}

/** The lcore thread's entry module: dist/lcore-worker.js, from src (tests) and from dist alike. */
export function lcoreWorkerEntry(): string {
  // src/launch.ts in tests, dist/<chunk>.js when built: both one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'lcore-worker.js');
}

/**
 * `moduleUrl` as a file: URL string. Accepts a URL, a 'file:' URL string or
 * an absolute path; throws EINVAL for anything else (a relative specifier
 * would resolve against rtemem's own files in the lcore's thread) and ENOENT
 * for a file that is not there.
 */
export function moduleHref(moduleUrl: unknown): string {
  let href: string;
  if (moduleUrl instanceof URL) {
    href = moduleUrl.href;
  } else if (typeof moduleUrl === 'string' && moduleUrl.startsWith('file:')) {
    href = moduleUrl;
  } else if (typeof moduleUrl === 'string' && isAbsolute(moduleUrl)) {
    href = pathToFileURL(moduleUrl).href;
  } else {
    throw new RteError(
      'EINVAL',
      `moduleUrl must be a file URL or an absolute path, such as new URL('./work.mjs', import.meta.url), not ${typeof moduleUrl === 'string' ? JSON.stringify(moduleUrl) : typeof moduleUrl}`,
    );
  }
  if (!href.startsWith('file:')) throw new RteError('EINVAL', `moduleUrl must be a file: URL, not ${href}`);
  let path: string;
  try {
    path = fileURLToPath(href);
  } catch (e) {
    throw new RteError('EINVAL', `moduleUrl ${href} is not a valid file URL: ${(e as Error).message}`);
  }
  if (!existsSync(path) || !statSync(path).isFile()) throw new RteError('ENOENT', `no module at ${path} (moduleUrl ${href})`);
  return href;
}

/** The exported function `name` of a module namespace (or of a CommonJS module's exports, under `default`). */
export function exportedFunction(ns: Record<string, unknown>, name: string, href: string): (...args: unknown[]) => unknown {
  const direct = ns[name];
  if (typeof direct === 'function') return direct as (...args: unknown[]) => unknown;
  const cjs = ns.default as Record<string, unknown> | undefined;
  if (cjs !== null && (typeof cjs === 'object' || typeof cjs === 'function') && typeof cjs[name] === 'function') {
    return cjs[name] as (...args: unknown[]) => unknown;
  }
  const names = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
  throw new RteError('EINVAL', `${href} exports no function named ${JSON.stringify(name)}${names.length ? ` (its functions: ${names.join(', ')})` : ''}`);
}

/** An error (or any thrown value) as data that can be posted to another thread. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error || (e !== null && typeof e === 'object' && 'message' in e && 'stack' in e)) {
    const err = e as Error & { code?: unknown; errno?: unknown };
    return {
      name: String(err.name ?? 'Error'),
      message: String(err.message),
      stack: typeof err.stack === 'string' ? err.stack : undefined,
      code: typeof err.code === 'string' || typeof err.code === 'number' ? err.code : undefined,
      errno: typeof err.errno === 'number' ? err.errno : undefined,
    };
  }
  let thrown: unknown;
  try {
    thrown = structuredClone(e);
  } catch {
    thrown = undefined;
  }
  return { name: 'Error', message: `a non-Error value was thrown: ${String(e)}`, stack: undefined, code: undefined, errno: undefined, thrown };
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error from an lcore's thread: same class (by name), message, code and errno, and the worker's stack. */
export function reviveError(s: SerializedError, lcore: number): Error {
  let e: Error;
  if (s.name === 'RteError' && typeof s.code === 'string') e = new RteError(s.code, s.message);
  else e = new (ERROR_CLASSES[s.name] ?? Error)(s.message);
  if (e.name !== s.name) e.name = s.name;
  const extra = e as Error & { code?: unknown; errno?: unknown; lcore?: number; thrown?: unknown };
  if (s.code !== undefined) extra.code = s.code;
  if (s.errno !== undefined) extra.errno = s.errno;
  if (s.thrown !== undefined) extra.thrown = s.thrown;
  extra.lcore = lcore;
  // The worker's frames: where the function really failed.
  e.stack = `${s.stack ?? `${s.name}: ${s.message}`}\n    at lcore ${lcore} (its worker thread; launched with eal.launch)`;
  return e;
}

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
    const cfg = eal.config;
    const socket = eal.socketId() >= 0 ? eal.socketId() : 0;
    const ids: number[] = [];
    eal.lock(LOCK_CONFIG);
    try {
      const wanted = typeof o.lcores === 'number' ? null : o.lcores;
      const count = typeof o.lcores === 'number' ? o.lcores : o.lcores.length;
      const free = (): number[] => {
        const out: number[] = [];
        for (let i = 1; i < MAX_LCORE; i++) if (lcoreIsFree(cfg, i)) out.push(i);
        return out;
      };
      const fits = (f: number[]): boolean => (wanted === null ? f.length >= count : wanted.every((id) => f.includes(id)));
      let f = free();
      if (!fits(f) && lcoreReclaimDead(cfg).length > 0) f = free();
      if (!fits(f)) {
        if (wanted === null) {
          throw new RteError('ENOSPC', `${count} worker lcores asked, ${f.length} lcore ids free: ask for fewer, or end threads and processes that hold lcores`);
        }
        const taken = wanted.filter((id) => !f.includes(id));
        const who = lcoreList(cfg).filter((c) => taken.includes(c.lcoreId)).map((c) => `lcore ${c.lcoreId}: ${c.role} of pid ${c.pid}`);
        throw new RteError('EBUSY', `lcores ${taken.join(', ')} are in use (${who.join('; ')}): ask for other ids, or a count`);
      }
      for (const id of wanted ?? f.slice(0, count)) {
        lcoreClaim(cfg, id, LCORE_ROLE_WORKER, process.pid, selfStartTime, 0, socket);
        ids.push(id);
      }
    } finally {
      eal.unlock(LOCK_CONFIG);
    }
    for (const id of o.cpus.keys()) {
      if (!ids.includes(id)) {
        Launcher.#release(eal, ids);
        throw new RteError('EINVAL', `lcoreCpus names lcore ${id}, which is not one of the worker lcores (${ids.join(', ') || 'none'}): list it in lcores`);
      }
    }
    return new Launcher(eal, ids, o.cpus);
  }

  static #release(eal: Eal, ids: number[]): void {
    eal.lock(LOCK_CONFIG);
    try {
      for (const id of ids) if (lcoreIsWorkerOf(eal.config, id, process.pid)) lcoreRelease(eal.config, id);
    } finally {
      eal.unlock(LOCK_CONFIG);
    }
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
    Launcher.#release(this.#eal, this.#ids);
  }
}

/**
 * A worker lcore's launch state, from shared memory: LCORE_STATE_*. Any
 * handle of the process may ask, for its worker lcores and its main lcore.
 * Throws EINVAL for other ids.
 *
 * @see rte_eal_get_lcore_state
 */
export function lcoreState(eal: Eal, lcore: number): number {
  const isOurs = typeof lcore === 'number' && Number.isInteger(lcore) && lcore >= 0 && lcore < MAX_LCORE && (lcore === mainLcoreOf(eal) || lcoreIsWorkerOf(eal.config, lcore, process.pid));
  if (!isOurs) {
    const workers = workerLcoresOf(eal);
    throw new RteError('EINVAL', `lcoreState: ${String(lcore)} is neither the main lcore nor a worker lcore of this process (worker lcores: ${workers.join(', ') || 'none'})`);
  }
  return Atomics.load(eal.config.i32, lcoreLaunchWord(lcore));
}

/** This process's worker lcores, ascending, from the shared table (any handle of the process). */
export function workerLcoresOf(eal: Eal): number[] {
  const out: number[] = [];
  for (let i = 1; i < MAX_LCORE; i++) if (lcoreIsWorkerOf(eal.config, i, process.pid)) out.push(i);
  return out;
}

/** This process's main lcore: 0 in the primary, the id a secondary's main thread claimed, else -1. */
export function mainLcoreOf(eal: Eal): number {
  if (eal.processType === 'primary') return 0;
  for (const c of lcoreList(eal.config)) if (c.role === 'secondary' && c.pid === process.pid) return c.lcoreId;
  return -1;
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
