/**
 * Argument checks of the pool's calls, made before anything moves: a bad
 * call throws RteError EINVAL (or ENAMETOOLONG) and changes nothing in
 * shared memory.
 */
import { RteError } from '@rtemem/eal-hugepage';
import { isOutput } from '@rtemem/ring';
import { checkPut } from './debug.js';
import { MEMPOOL_CACHE_MAX_SIZE, MEMPOOL_F_VALID, MEMPOOL_NAMESIZE } from './layout.js';
import type { Mempool } from './mempool.js';

/** `v` when it is a whole number from min to max, else EINVAL naming `what`. */
export function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RteError('EINVAL', `${what} must be a whole number from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

/** The arguments of rte_mempool_create_empty. */
export function checkCreate(name: unknown, n: unknown, eltSize: unknown, cacheSize: unknown, privateDataSize: unknown, flags: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) throw new RteError('EINVAL', 'a mempool name must be a non-empty string');
  if (Buffer.byteLength(name) >= MEMPOOL_NAMESIZE) {
    throw new RteError('ENAMETOOLONG', `mempool name ${JSON.stringify(name)} is longer than ${MEMPOOL_NAMESIZE - 1} bytes`);
  }
  const objects = int(n, 'n', 1, 0x7fffffff);
  int(eltSize, 'eltSize', 1, 0x3fffffff);
  const cache = int(cacheSize, 'cacheSize', 0, MEMPOOL_CACHE_MAX_SIZE);
  if (cache > objects) throw new RteError('EINVAL', `cacheSize ${cache} is larger than the pool (${objects} objects)`);
  int(privateDataSize, 'privateDataSize', 0, 0x3fffffff);
  const f = int(flags, 'flags', 0, 0xffffffff);
  if ((f & ~MEMPOOL_F_VALID) !== 0) throw new RteError('EINVAL', `unsupported mempool flags 0x${(f & ~MEMPOOL_F_VALID).toString(16)}: use MEMPOOL_F_*`);
}

/** What a get may write into, and how many: else EINVAL. */
export function checkOut(out: number[] | Float64Array, n: number): void {
  if (!((n | 0) === n && n >= 0) || !isOutput(out) || (n > out.length && !Array.isArray(out))) badN(out, n);
}

/**
 * What a put may take: n objects of the array, every one an address (in a
 * debug pool: this pool's, handed out, intact). Else EINVAL, nothing put.
 */
export function checkIn(mp: Mempool, objs: ArrayLike<number>, n: number): void {
  if (!((n | 0) === n && n >= 0 && n <= objs.length)) badN(objs, n);
  const bad = firstBad(objs, n);
  if (bad >= 0) badObject(mp, objs[bad], bad);
  if (mp.debug) for (let i = 0; i < n; i++) checkPut(mp, objs[i]!);
}

/** Index of the first object that is no address (a positive number), or -1. */
function firstBad(objs: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++) {
    const v = objs[i];
    if (!(typeof v === 'number' && v > 0)) return i;
  }
  return -1;
}

/**
 * Objects are addresses: NaN, 0, a string or undefined would sit in the
 * pool and come out of a later get, in any thread.
 */
export function badObject(mp: Mempool, v: unknown, at: number): never {
  const what = typeof v === 'number' ? String(v) : v === null ? 'null' : typeof v;
  throw new RteError('EINVAL', `mempool ${mp.name}: objects are addresses (positive numbers), not ${what} (object ${at}): nothing was put`);
}

function badN(arr: ArrayLike<number>, n: number): never {
  if (!isOutput(arr) && (arr === null || typeof arr !== 'object' || !('length' in arr))) {
    throw new RteError('EINVAL', `objects go in a number[] or a Float64Array, not ${arr === null ? 'null' : typeof arr}`);
  }
  throw new RteError('EINVAL', `n must be a whole number of objects that fit the array (${arr.length}), not ${String(n)}`);
}
