/**
 * What crosses between a launcher and a worker lcore's thread: the
 * thread's entry module and its workerData, the run message (a module URL,
 * an export name and an argument) and the done message (the return value,
 * or the error as data to rebuild with the worker's stack), and finding the
 * function in the module. DPDK hands an lcore a function pointer and its
 * argument through lcore_config and a pipe; a worker thread needs a module
 * to load instead.
 *
 * @see eal_thread_loop in DPDK lib/eal/common/eal_common_thread.c,
 *   rte_eal_remote_launch in lib/eal/common/eal_common_launch.c
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EalWorkerData } from './attach.js';
import { RteError } from './errors.js';

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

/** The lcore thread's entry module: dist/lcore-worker.js, from src (tests) and from dist alike. */
export function lcoreWorkerEntry(): string {
  // src/lcore-run.ts in tests, dist/<chunk>.js when built: both one level below the package root.
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
