/**
 * Test helpers: hugepage gating (run, fail, or skip with the reason), and
 * peers — worker threads and child processes that answer requests — for
 * cross-thread and cross-process tests.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { defaultHugepageSize, hugepageInfo, nativeAvailable, nativeLoadError } from '@rtemem/eal-hugepage';
import { describe, expect, it } from 'vitest';

/** True when RTEMEM_REQUIRE_HUGEPAGES=1: hugepage tests must run and pass. */
export const hugepagesRequired = process.env.RTEMEM_REQUIRE_HUGEPAGES === '1';

/**
 * True when tests that need the native addon (threads and processes on
 * hugetlbfs or anonymous memory) must skip: the addon did not load and
 * RTEMEM_REQUIRE_HUGEPAGES is not set (when it is, they run and fail).
 */
export const skipWithoutNative = !nativeAvailable() && !hugepagesRequired;

/** `title`, with the reason appended when skipWithoutNative skips it. */
export function nativeTitle(title: string): string {
  return skipWithoutNative ? `${title} [skipped: native addon not loaded: ${nativeLoadError()}]` : title;
}

/** Whether hugepage tests can run here, and if not, why. */
export function hugepageStatus(minFreePages = 64): { usable: boolean; reason: string } {
  if (!nativeAvailable()) return { usable: false, reason: `native addon not loaded: ${nativeLoadError()}` };
  const size = defaultHugepageSize();
  if (size === 0) return { usable: false, reason: 'the kernel has no hugepage support' };
  const info = hugepageInfo().find((h) => h.pageSize === size);
  if (!info || info.mountPoint === null) return { usable: false, reason: `no hugetlbfs mount for ${size / 1024} kB pages` };
  try {
    accessSync(info.mountPoint, constants.W_OK | constants.X_OK);
  } catch {
    // Mounted by root for root (the usual set-up): this user can map no hugepage there.
    const owner = statSync(info.mountPoint).uid;
    return { usable: false, reason: `no write access to ${info.mountPoint} (owned by uid ${owner}, this is uid ${process.getuid?.()}): run as root or give this user write access to the mount` };
  }
  if (info.free < minFreePages) {
    return { usable: false, reason: `${info.free} free ${size / 1024} kB hugepages, ${minFreePages} needed (reserve more in /sys/kernel/mm/hugepages)` };
  }
  return { usable: true, reason: `${info.free} free ${size / 1024} kB hugepages at ${info.mountPoint}` };
}

/**
 * A describe block that needs hugepages: runs when they are usable, fails
 * when RTEMEM_REQUIRE_HUGEPAGES=1 and they are not, and otherwise skips with
 * the reason in its name.
 */
export function describeHugepages(name: string, fn: () => void, minFreePages = 64): void {
  const s = hugepageStatus(minFreePages);
  if (s.usable) {
    describe(name, fn);
  } else if (hugepagesRequired) {
    describe(name, () => {
      it('has usable hugepages (RTEMEM_REQUIRE_HUGEPAGES=1)', () => {
        throw new Error(`hugepages required but unusable: ${s.reason}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${s.reason}]`, fn);
  }
}

/** HugePages_Free of the default size, from /proc/meminfo. */
export function hugepagesFree(): number {
  const m = /^HugePages_Free:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}

let prefixCounter = 0;
/** A file prefix unique to this test process. */
export function uniquePrefix(tag: string): string {
  prefixCounter++;
  return `t${process.pid}_${tag}_${prefixCounter}`;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** A worker thread or child process answering requests (see peer.mjs). */
export class Peer {
  readonly #send: (msg: unknown) => void;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  readonly kind: 'worker' | 'child';
  readonly pid: number;
  readonly child: ChildProcess | null;
  readonly worker: Worker | null;
  stderr = '';

  private constructor(kind: 'worker' | 'child', worker: Worker | null, child: ChildProcess | null) {
    this.kind = kind;
    this.worker = worker;
    this.child = child;
    this.pid = child?.pid ?? process.pid;
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    const onMessage = (msg: { ready?: boolean; id?: number; ok?: boolean; value?: unknown; error?: { message: string; code?: string; stack?: string } }) => {
      if (msg?.ready) {
        onReady();
        return;
      }
      const p = this.#pending.get(msg.id!);
      if (!p) return;
      this.#pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.value);
      else {
        const err = new Error(`${kind}: ${msg.error!.message}`) as Error & { code?: string };
        err.code = msg.error!.code;
        err.stack = msg.error!.stack;
        p.reject(err);
      }
    };
    const failAll = (why: string) => {
      for (const p of this.#pending.values()) p.reject(new Error(`${kind} ${why}${this.stderr ? `; stderr: ${this.stderr}` : ''}`));
      this.#pending.clear();
    };
    if (worker) {
      this.#send = (m) => worker.postMessage(m);
      worker.on('message', onMessage);
      worker.on('error', (e) => failAll(`failed: ${e.message}`));
      this.exited = new Promise((r) =>
        worker.on('exit', (code) => {
          failAll(`exited with code ${code}`);
          r(code);
        }),
      );
    } else {
      this.#send = (m) => child!.send(m as never);
      child!.on('message', onMessage);
      child!.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
      this.exited = new Promise((r) =>
        child!.on('exit', (code, signal) => {
          failAll(`exited (code ${code}, signal ${signal})`);
          r(code);
        }),
      );
    }
  }

  /** Starts a worker thread running `file` with `workerData`. */
  static async worker(file: string | URL, workerData?: unknown): Promise<Peer> {
    const peer = new Peer('worker', new Worker(file, { workerData }), null);
    await Promise.race([peer.ready, peer.exited.then((c) => Promise.reject(new Error(`worker exited early (${c})`)))]);
    return peer;
  }

  /** Starts a child process running `file`; `data` reaches peerData() as JSON. */
  static async child(file: string | URL, data?: unknown, env: Record<string, string> = {}): Promise<Peer> {
    const child = fork(file instanceof URL ? file.pathname : file, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, ...env, RTEMEM_PEER_DATA: JSON.stringify(data ?? null) },
    });
    const peer = new Peer('child', null, child);
    await Promise.race([peer.ready, peer.exited.then((c) => Promise.reject(new Error(`child exited early (${c}): ${peer.stderr}`)))]);
    return peer;
  }

  /** Sends a request and waits for its answer. */
  call<T = unknown>(cmd: string, args?: unknown): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#send({ id, cmd, args });
    });
  }

  /** Asks the peer to exit and waits for it. */
  async close(): Promise<void> {
    await this.call('exit').catch(() => undefined);
    if (this.worker) await this.worker.terminate();
    await this.exited;
  }

  /** Kills a child process with a signal (SIGKILL by default) and waits for its exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child?.kill(signal);
    if (this.worker) await this.worker.terminate();
    await this.exited;
  }
}

/**
 * The errno code of the RteError that `fn` throws, or undefined when it
 * returns; any other error fails the test. (By name, not instanceof: a
 * package's tests may load its RteError from src while the layers below
 * load it from dist.)
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('RteError');
    return (e as { code: string }).code;
  }
  return undefined;
}

export { fakeHugepageRoot, type FakeHugepageRoot, type FakeSize, hugepageSizeStatus } from './fake-hugepages.js';
