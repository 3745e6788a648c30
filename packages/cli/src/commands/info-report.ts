/**
 * What `rtemem info` reports: the shapes of its --json document, one
 * interface per section (EAL, memseg lists, heaps, memzones, rings, stacks,
 * mempools). {@link collectInfo} fills them, {@link renderInfo} prints them.
 *
 * @see app/proc-info/main.c in DPDK (dpdk-proc-info)
 */
import type { LcoreInfo } from '@rtemem/eal-hugepage';
import type { MempoolStats } from '@rtemem/mempool';

/** The EAL part of the report. */
export interface EalReport {
  filePrefix: string;
  backend: string;
  /** The smallest page size of the EAL's memseg lists. */
  pageSize: number;
  /** Every page size the EAL has memseg lists of, smallest first. */
  pageSizes: number[];
  primaryPid: number;
  primaryAlive: boolean;
  legacyMem: boolean;
  inMemory: boolean;
  runtimeDir: string;
  pageDir: string;
  /** Every lcore in use, in every thread and process of the primary's group. */
  lcores: LcoreInfo[];
}

/** One memseg list. */
export interface MemsegListReport {
  index: number;
  socketId: number;
  pageSize: number;
  /** Pages the list can hold. */
  pages: number;
  /** Pages with memory. */
  segments: number;
  /** segments * pageSize */
  backedBytes: number;
  /** The list's address space, in bytes. */
  length: number;
  /** The list's first rtemem address (the same in every process; virtual addresses are not). */
  baseAddr: number;
  external: boolean;
}

/** One heap (a NUMA socket's or an external one) and its statistics. */
export interface HeapReport {
  name: string;
  socket: number;
  external: boolean;
  heapTotalBytes: number;
  heapFreeBytes: number;
  heapAllocBytes: number;
  greatestFreeSize: number;
  freeCount: number;
  allocCount: number;
}

/** One memzone. */
export interface MemzoneReport {
  index: number;
  name: string;
  addr: number;
  len: number;
  /** Hex, or null when unknown (BAD_IOVA). */
  iova: string | null;
  socketId: number;
  flags: number;
  flagNames: string;
  hugepageSz: number;
}

/** One ring. */
export interface RingReport {
  name: string;
  size: number;
  capacity: number;
  count: number;
  free: number;
  esize: number;
  flags: number;
  /** Producer sync: MP, SP, MP RTS, MP HTS. */
  prodSync: string;
  /** Consumer sync: MC, SC, MC RTS, MC HTS. */
  consSync: string;
  flagNames: string[];
}

/** One stack. */
export interface StackReport {
  name: string;
  capacity: number;
  count: number;
  free: number;
  flags: number;
  lockFree: boolean;
}

/** One lcore's cache of a mempool. */
export interface CacheFill {
  lcore: number;
  count: number;
}

/** One mempool. */
export interface MempoolReport {
  name: string;
  size: number;
  available: number;
  inUse: number;
  cacheSize: number;
  /** Objects in lcore caches, per lcore (lcores with an empty cache left out). */
  caches: CacheFill[];
  cached: number;
  /** Objects in the driver (outside every cache). */
  commonPoolCount: number;
  eltSize: number;
  ops: string;
  socketId: number;
  flags: number;
  /** Its statistics (`Mempool.stats()`), for a pool created with `{ stats: true }`; absent otherwise. */
  stats?: MempoolStats;
  /** Set when the pool could not be read (e.g. a user driver not registered here). */
  error?: string;
}

/** Everything `rtemem info` shows; what `--json` prints. */
export interface InfoReport {
  /** ISO time of collection. */
  time: string;
  eal: EalReport;
  memory: { physmemSize: number; lists: MemsegListReport[] };
  heaps: HeapReport[];
  memzones: { count: number; zones: MemzoneReport[] };
  rings: RingReport[];
  stacks: StackReport[];
  mempools: MempoolReport[];
  /** What the primary has none of yet, and anything that could not be read. */
  notes: string[];
}
