/**
 * What reserve and lookup are given: a zone name as utf-8 bytes and its
 * hash (the name index's key), and reserve's arguments checked in DPDK's
 * order. Nothing here touches shared memory.
 *
 * @see rte_memzone_reserve_thread_unsafe, memzone_reserve_aligned_thread_unsafe in lib/eal/common/eal_common_memzone.c (DPDK)
 */
import { alignCeil, CACHE_LINE_SIZE, hex, isPowerOfTwo, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { MEMZONE_KNOWN_FLAGS } from './flags.js';
import { MEMZONE_NAMESIZE } from './layout.js';

/** Largest length, alignment or bound accepted: beyond it a double is no longer exact. */
const MAX_SIZE = 2 ** 52;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SIZE;
}

/** A value for a message; never throws (String() does on some objects). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'undefined') return String(v);
  return `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
}

/** FNV-1a of the first `n` bytes: lookup compares this word before any string. */
export function nameHash(bytes: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Writes the utf-8 bytes of a zone name into `out` and returns their count;
 * throws EINVAL or ENAMETOOLONG. ASCII names (the usual ones) allocate
 * nothing. The bytes after them are left as they were.
 */
export function encodeName(name: unknown, op: string, out: Uint8Array): number {
  if (typeof name !== 'string' || name.length === 0) {
    throw new RteError('EINVAL', `${op}: a memzone name must be a non-empty string, not ${show(name)}`);
  }
  let n = 0;
  if (name.length < MEMZONE_NAMESIZE) {
    for (; n < name.length; n++) {
      const c = name.charCodeAt(n);
      if (c === 0 || c > 0x7f) break;
      out[n] = c;
    }
  }
  if (n !== name.length) n = encodeOther(name, op, out);
  return n;
}

// encodeName for names with non-ASCII characters, a NUL, or over 31 characters.
function encodeOther(name: string, op: string, out: Uint8Array): number {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.includes(0) || bytes.toString('utf8') !== name) {
    throw new RteError('EINVAL', `${op}: memzone name ${JSON.stringify(name)} must be valid unicode without NUL characters`);
  }
  if (bytes.length > MEMZONE_NAMESIZE - 1) {
    throw new RteError('ENAMETOOLONG', `${op}: memzone name ${JSON.stringify(name)} is ${bytes.length} bytes of utf-8; the limit is ${MEMZONE_NAMESIZE - 1} (MEMZONE_NAMESIZE - 1)`);
  }
  out.set(bytes);
  return bytes.length;
}

/** How reserve's messages name the call. */
export function label(name: unknown): string {
  return `reserve(${show(name)})`;
}

/**
 * The first of reserve's argument errors in DPDK's order (alignment,
 * length, bound, socket, flags), or null. @see memzone_reserve_aligned_thread_unsafe
 */
export function checkArgs(name: string, len: unknown, socket: unknown, flags: unknown, align: unknown, bound: unknown): RteError | null {
  if (!isCount(align) || (align !== 0 && !isPowerOfTwo(align))) {
    return new RteError('EINVAL', `${label(name)}: align must be 0 or a power of two, not ${show(align)}`);
  }
  if (!isCount(len)) {
    return new RteError('EINVAL', `${label(name)}: len must be a whole number of bytes from 0 to 2**52 (0: the biggest free block), not ${show(len)}`);
  }
  const requested = Math.max(CACHE_LINE_SIZE, alignCeil(len, CACHE_LINE_SIZE));
  if (!isCount(bound) || (bound !== 0 && (!isPowerOfTwo(bound) || requested > bound))) {
    return new RteError('EINVAL', `${label(name)}: bound must be 0 or a power of two at least the length (${requested} bytes after rounding up to 64), not ${show(bound)}`);
  }
  if (typeof socket !== 'number' || !Number.isInteger(socket) || (socket !== SOCKET_ID_ANY && socket < 0)) {
    return new RteError('EINVAL', `${label(name)}: socket must be SOCKET_ID_ANY (-1) or a socket id, not ${show(socket)}`);
  }
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~MEMZONE_KNOWN_FLAGS) !== 0) {
    return new RteError(
      'EINVAL',
      `${label(name)}: flags ${typeof flags === 'number' && Number.isInteger(flags) ? hex(flags) : show(flags)} has bits that are no MEMZONE_* flag (known: ${hex(MEMZONE_KNOWN_FLAGS)})`,
    );
  }
  return null;
}
