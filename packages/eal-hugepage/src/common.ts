/**
 * Small helpers every layer uses, defined once: alignment, powers of two,
 * hex for messages, and the two 32-bit words an IOVA is kept in in shared
 * memory.
 *
 * @see lib/eal/include/rte_common.h in DPDK
 */
import { BAD_IOVA } from './constants.js';

/** `n` rounded up to a multiple of `align` (any positive number, not only a power of two). @see RTE_ALIGN_CEIL */
export function alignCeil(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** `n` rounded down to a multiple of `align`. @see RTE_ALIGN_FLOOR */
export function alignFloor(n: number, align: number): number {
  return Math.floor(n / align) * align;
}

/**
 * True when `n` is a power of two (1, 2, 4, ...), for any safe integer;
 * false for 0, negatives, fractions and non-numbers. @see rte_is_power_of_2
 */
export function isPowerOfTwo(n: number): boolean {
  if ((n | 0) === n) return n > 0 && (n & (n - 1)) === 0;
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The smallest power of two at least `n` (1 for n <= 1). @see rte_align32pow2, rte_align64pow2 */
export function alignPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** `0x...` of a number or bigint, for messages and dumps. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** Each 32-bit word of an unknown IOVA (BAD_IOVA's bits) as kept in shared memory. */
export const IOVA_UNKNOWN = 0xffffffff;

/** The IOVA kept in shared memory as two 32-bit words (BAD_IOVA when both are IOVA_UNKNOWN). */
export function iovaFromWords(lo: number, hi: number): bigint {
  return lo === IOVA_UNKNOWN && hi === IOVA_UNKNOWN ? BAD_IOVA : (BigInt(hi) << 32n) | BigInt(lo);
}

/** The two 32-bit words (low, high) an IOVA is kept in; BAD_IOVA (or any negative) gives IOVA_UNKNOWN twice. */
export function iovaToWords(iova: bigint, out: Uint32Array): void {
  if (iova < 0n) {
    out[0] = IOVA_UNKNOWN;
    out[1] = IOVA_UNKNOWN;
    return;
  }
  out[0] = Number(iova & 0xffffffffn);
  out[1] = Number((iova >> 32n) & 0xffffffffn);
}
