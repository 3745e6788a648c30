/**
 * Errors and errno values, as DPDK reports them.
 *
 * Control paths throw {@link RteError} with `code` set to the errno name;
 * data paths return the negated errno numbers below.
 */

/** @see ENOENT in errno.h */
export const ENOENT = 2;
/** Also EWOULDBLOCK on Linux: a non-blocking call (flock LOCK_NB) would block. @see EAGAIN in errno.h */
export const EAGAIN = 11;
/** @see EPERM in errno.h */
export const EPERM = 1;
/** @see ENOMEM in errno.h */
export const ENOMEM = 12;
/** @see EBUSY in errno.h */
export const EBUSY = 16;
/** @see EEXIST in errno.h */
export const EEXIST = 17;
/** @see EINVAL in errno.h */
export const EINVAL = 22;
/** @see ENOSPC in errno.h */
export const ENOSPC = 28;
/** @see ENAMETOOLONG in errno.h */
export const ENAMETOOLONG = 36;
/** @see EOVERFLOW in errno.h */
export const EOVERFLOW = 75;
/** @see ENOBUFS in errno.h */
export const ENOBUFS = 105;
/** @see ENOTSUP in errno.h */
export const ENOTSUP = 95;
/** @see ETIMEDOUT in errno.h */
export const ETIMEDOUT = 110;

const NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  5: 'EIO',
  7: 'E2BIG',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  24: 'EMFILE',
  27: 'EFBIG',
  28: 'ENOSPC',
  30: 'EROFS',
  32: 'EPIPE',
  36: 'ENAMETOOLONG',
  38: 'ENOSYS',
  75: 'EOVERFLOW',
  95: 'ENOTSUP',
  100: 'ENETDOWN',
  104: 'ECONNRESET',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  111: 'ECONNREFUSED',
};

/** The errno name of a (positive or negated) errno number, e.g. `errnoName(-12) === 'ENOMEM'`. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return NAMES[n] ?? `E${n}`;
}

/**
 * The one error class of rtemem. `code` is the errno name (`'EINVAL'`,
 * `'ENOMEM'`, ...), `errno` its number, and the message says what to do.
 *
 * @example
 * ```ts
 * import { RteError } from '@rtemem/eal-hugepage';
 * const e = new RteError('EINVAL', 'size must be a positive integer');
 * e.code === 'EINVAL' && e.errno === 22 && e instanceof Error;
 * ```
 */
export class RteError extends Error {
  /** errno name, e.g. 'ENOMEM'. */
  readonly code: string;
  /** errno number, e.g. 12. */
  readonly errno: number;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RteError';
    this.code = code;
    this.errno = errnoNumber(code);
  }
}

function errnoNumber(code: string): number {
  for (const key of Object.keys(NAMES)) {
    if (NAMES[Number(key)] === code) return Number(key);
  }
  return 0;
}

/** An RteError from a negated errno returned by the native layer. */
export function fromErrno(errno: number, what: string, hint = ''): RteError {
  const name = errnoName(errno);
  return new RteError(name, `${what}: ${name}${hint ? `; ${hint}` : ''}`);
}
