/**
 * @rtemem/memzone — DPDK's memzones: named, aligned, bounded zones of shared
 * memory reserved from the malloc heap and recorded in a table in shared
 * memory, so that every worker thread and secondary process finds them by
 * name. Re-exports @rtemem/malloc-heap and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/malloc-heap';
export { Memzones } from './memzone.js';
export { Memzone } from './zone.js';
export {
  MEMZONE_2MB,
  MEMZONE_1GB,
  MEMZONE_16MB,
  MEMZONE_16GB,
  MEMZONE_256KB,
  MEMZONE_256MB,
  MEMZONE_512MB,
  MEMZONE_4GB,
  MEMZONE_SIZE_HINT_ONLY,
  MEMZONE_IOVA_CONTIG,
  MEMZONE_KNOWN_FLAGS,
  MEMZONE_PAGE_SIZE_FLAGS,
  pageSizesOf,
  flagNames,
} from './flags.js';
export { MEMZONE_NAMESIZE, MAX_MEMZONE } from './layout.js';
