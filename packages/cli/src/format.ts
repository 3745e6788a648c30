/**
 * Number formatting for the text output: byte sizes, hex addresses, counts.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * A byte count for people: `2 MiB`, `1.5 GiB`, `640 B` (at most one decimal,
 * none when exact).
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? String(v) : (Math.round(v * 10) / 10).toString();
  return `${bytes < 0 ? '-' : ''}${text} ${UNITS[u]}`;
}

/** `0x`-prefixed hex of a number or bigint: the EAL's, defined once for every layer. */
export { hex } from '@rtemem/eal-hugepage';

/** A page size as mount(8) and the kernel take it in `pagesize=`: `2M`, `1G`, `64K`. */
export function pageSizeOption(bytes: number): string {
  if (bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30}G`;
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}M`;
  return `${bytes / 1024}K`;
}

/** A percentage with one decimal, `-` when the whole is 0. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '-';
  return `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%`;
}
