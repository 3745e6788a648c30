/**
 * @rtemem/memseg — memseg lists and segments: walks, contiguous runs,
 * address/IOVA translation, views, the physical memory layout, and page
 * allocation for the heap. Re-exports @rtemem/eal-hugepage, the layer below.
 *
 * @packageDocumentation
 */
export * from '@rtemem/eal-hugepage';
export { Memory, type Memseg, type MemsegList } from './memory.js';
