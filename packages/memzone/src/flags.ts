/**
 * The flags of `Memzones.reserve`, with DPDK 22.11's values
 * (lib/eal/include/rte_memzone.h), and what they ask of the heap.
 */

/** Reserve from 2 MiB pages. @see RTE_MEMZONE_2MB */
export const MEMZONE_2MB = 0x1;
/** Reserve from 1 GiB pages. @see RTE_MEMZONE_1GB */
export const MEMZONE_1GB = 0x2;
/** Reserve from 16 MiB pages. @see RTE_MEMZONE_16MB */
export const MEMZONE_16MB = 0x100;
/** Reserve from 16 GiB pages. @see RTE_MEMZONE_16GB */
export const MEMZONE_16GB = 0x200;
/** Reserve from 256 KiB pages. @see RTE_MEMZONE_256KB */
export const MEMZONE_256KB = 0x10000;
/** Reserve from 256 MiB pages. @see RTE_MEMZONE_256MB */
export const MEMZONE_256MB = 0x20000;
/** Reserve from 512 MiB pages. @see RTE_MEMZONE_512MB */
export const MEMZONE_512MB = 0x40000;
/** Reserve from 4 GiB pages. @see RTE_MEMZONE_4GB */
export const MEMZONE_4GB = 0x80000;
/** The page-size flags are a preference: fall back to any page size. @see RTE_MEMZONE_SIZE_HINT_ONLY */
export const MEMZONE_SIZE_HINT_ONLY = 0x4;
/** The zone must be contiguous in IOVA (physical) space, where IOVAs are known. @see RTE_MEMZONE_IOVA_CONTIG */
export const MEMZONE_IOVA_CONTIG = 0x100000;

/** Every flag reserve accepts; any other bit is EINVAL. @see MEMZONE_KNOWN_FLAGS in eal_common_memzone.c */
export const MEMZONE_KNOWN_FLAGS = 0x1f0307; // all of the above, OR-ed

/** Each page-size flag and the page size it selects. */
export const MEMZONE_PAGE_SIZE_FLAGS: readonly (readonly [flag: number, pageSize: number])[] = [
  [MEMZONE_256KB, 256 * 1024],
  [MEMZONE_2MB, 2 * 1024 * 1024],
  [MEMZONE_16MB, 16 * 1024 * 1024],
  [MEMZONE_256MB, 256 * 1024 * 1024],
  [MEMZONE_512MB, 512 * 1024 * 1024],
  [MEMZONE_1GB, 1024 * 1024 * 1024],
  [MEMZONE_4GB, 4 * 1024 * 1024 * 1024],
  [MEMZONE_16GB, 16 * 1024 * 1024 * 1024],
];

/** Every page-size flag's bit. */
const PAGE_SIZE_FLAG_BITS = MEMZONE_PAGE_SIZE_FLAGS.reduce((bits, [flag]) => bits | flag, 0);

/**
 * The page sizes `flags` asks for, or null when it names none (any page
 * size will do). @see check_hugepage_sz in malloc_heap.c
 */
export function pageSizesOf(flags: number): number[] | null {
  // No page-size flag (the common case): nothing to allocate.
  if ((flags & PAGE_SIZE_FLAG_BITS) === 0) return null;
  const sizes: number[] = [];
  for (const [flag, size] of MEMZONE_PAGE_SIZE_FLAGS) if ((flags & flag) !== 0) sizes.push(size);
  return sizes.length === 0 ? null : sizes;
}

/** `flags` as DPDK's names, for messages and dumps: `'2MB|SIZE_HINT_ONLY'`, `'0'` for none. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  const all: [number, string][] = [
    [MEMZONE_256KB, '256KB'],
    [MEMZONE_2MB, '2MB'],
    [MEMZONE_16MB, '16MB'],
    [MEMZONE_256MB, '256MB'],
    [MEMZONE_512MB, '512MB'],
    [MEMZONE_1GB, '1GB'],
    [MEMZONE_4GB, '4GB'],
    [MEMZONE_16GB, '16GB'],
    [MEMZONE_SIZE_HINT_ONLY, 'SIZE_HINT_ONLY'],
    [MEMZONE_IOVA_CONTIG, 'IOVA_CONTIG'],
  ];
  for (const [flag, name] of all) if ((flags & flag) !== 0) names.push(name);
  return names.length === 0 ? '0' : names.join('|');
}
