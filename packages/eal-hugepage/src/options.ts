/**
 * The options of `Eal.init`, checked once and completed with their
 * defaults, before anything is created.
 *
 * @see eal_parse_args, eal_adjust_config in DPDK lib/eal/common/eal_common_options.c
 */
import { validateCpus } from './affinity.js';
import type { Backend } from './backend.js';
import { isPowerOfTwo } from './common.js';
import { MAX_LCORE } from './constants.js';
import { RteError } from './errors.js';
import { validateFilePrefix } from './runtime-dir.js';

/** Options of {@link Eal.init}, after DPDK's EAL command line. */
export interface EalOptions {
  /** Where memory comes from; default 'auto' (hugetlbfs, else anonymous, else sab). */
  backend?: 'auto' | Backend;
  /** Bytes reserved up front (-m); default 64 MiB. The heap grows past it on demand unless legacyMem (sab: fixed). */
  memory?: number;
  /** Bytes per NUMA socket reserved up front (--socket-mem); replaces `memory`. */
  socketMemory?: number[];
  /** Bytes of address space per page size and socket the heap may grow to; default max(memory, 1 GiB). */
  maxMemory?: number;
  /**
   * The one hugepage size hugetlbfs uses; default every size that has a
   * hugetlbfs mount (in-memory: every size with pages reserved), each with
   * memseg lists of its own, as DPDK.
   */
  pageSize?: number;
  /** The one hugetlbfs mount to use, and so its page size only (--huge-dir); default the first mount of each size. */
  hugeDir?: string;
  /** Names the runtime dir and the page files (--file-prefix); default 'rtemem'. */
  filePrefix?: string;
  /** 'primary' (default), 'secondary' (attach to a running primary) or 'auto'. */
  processType?: 'primary' | 'secondary' | 'auto';
  /** No shared files and no secondaries (--in-memory); worker threads still share. */
  inMemory?: boolean;
  /** Preallocate all memory; never grow or shrink (--legacy-mem). */
  legacyMem?: boolean;
  /**
   * A secondary that only looks (for tools such as `rtemem info`): it claims
   * no lcore and creates no config area; layers that need one it lacks
   * throw ENOENT.
   */
  readOnly?: boolean;
  /**
   * Worker lcores this process may launch work on (`eal.launch`): a count
   * (the lowest free lcore ids) or the ids themselves (DPDK's `-l`).
   * Default 0: none. Their threads start on first launch.
   */
  lcores?: number | number[];
  /** CPUs to pin each worker lcore's thread to, by lcore id (DPDK's `--lcores 1@2`): `{ 1: [2], 2: [3] }`. */
  lcoreCpus?: Record<number, number | number[]>;
}

/** {@link EalOptions} checked, with every default filled in. */
export interface InitOptions {
  backend: 'auto' | Backend;
  memory: number;
  socketMemory: number[] | null;
  maxMemory: number | null;
  pageSize: number | undefined;
  hugeDir: string | undefined;
  filePrefix: string;
  processType: 'primary' | 'secondary' | 'auto';
  inMemory: boolean;
  legacyMem: boolean;
  readOnly: boolean;
  /** The worker lcores to reserve (launch.ts), or null for none. */
  lcores: LcoreOptions | null;
}

/** Bytes reserved up front when neither `memory` nor `socketMemory` says. */
export const DEFAULT_MEMORY = 64 * 1024 * 1024;
/** The smallest page size: the OS page. */
const MIN_PAGE_SIZE = 4096;

const KNOWN_OPTIONS = new Set([
  'backend',
  'memory',
  'socketMemory',
  'maxMemory',
  'pageSize',
  'hugeDir',
  'filePrefix',
  'processType',
  'inMemory',
  'legacyMem',
  'readOnly',
  'lcores',
  'lcoreCpus',
]);

function isByteCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Checks `opts` and fills in the defaults. Throws EINVAL, naming the
 * option and what it may be, for an unknown option or a bad value.
 */
export function normalizeOptions(opts: EalOptions): InitOptions {
  if (opts === null || typeof opts !== 'object') throw new RteError('EINVAL', 'Eal.init options must be an object');
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new RteError('EINVAL', `unknown EAL option ${JSON.stringify(key)}; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    }
  }
  const backend = opts.backend ?? 'auto';
  if (!['auto', 'hugetlbfs', 'anonymous', 'sab'].includes(backend)) {
    throw new RteError('EINVAL', `backend must be 'auto', 'hugetlbfs', 'anonymous' or 'sab', not ${JSON.stringify(backend)}`);
  }
  const memory = opts.memory ?? DEFAULT_MEMORY;
  if (!isByteCount(memory) || memory === 0) throw new RteError('EINVAL', `memory must be a positive whole number of bytes, not ${String(memory)}`);
  let socketMemory: number[] | null = null;
  if (opts.socketMemory !== undefined) {
    if (!Array.isArray(opts.socketMemory) || opts.socketMemory.length === 0 || !opts.socketMemory.every(isByteCount)) {
      throw new RteError('EINVAL', 'socketMemory must be a non-empty array of byte counts, one per socket');
    }
    if (opts.socketMemory.every((b) => b === 0)) throw new RteError('EINVAL', 'socketMemory asks for no memory on any socket');
    socketMemory = opts.socketMemory;
  }
  const maxMemory = opts.maxMemory ?? null;
  if (maxMemory !== null && (!isByteCount(maxMemory) || maxMemory === 0)) {
    throw new RteError('EINVAL', `maxMemory must be a positive whole number of bytes, not ${String(maxMemory)}`);
  }
  const pageSize = opts.pageSize;
  if (pageSize !== undefined && (!isByteCount(pageSize) || pageSize < MIN_PAGE_SIZE || !isPowerOfTwo(pageSize))) {
    throw new RteError('EINVAL', `pageSize must be a power of two of at least ${MIN_PAGE_SIZE}, not ${String(pageSize)}`);
  }
  if (opts.hugeDir !== undefined && (typeof opts.hugeDir !== 'string' || opts.hugeDir === '')) {
    throw new RteError('EINVAL', 'hugeDir must be the path of a hugetlbfs mount');
  }
  const processType = opts.processType ?? 'primary';
  if (!['primary', 'secondary', 'auto'].includes(processType)) {
    throw new RteError('EINVAL', `processType must be 'primary', 'secondary' or 'auto', not ${JSON.stringify(processType)}`);
  }
  const readOnly = opts.readOnly === true;
  if (readOnly && processType !== 'secondary') throw new RteError('EINVAL', "readOnly is for secondary processes: pass processType 'secondary'");
  const lcores = normalizeLcoreOptions(opts.lcores, opts.lcoreCpus);
  if (readOnly && lcores !== null) throw new RteError('EINVAL', 'a read-only handle claims no lcore: it cannot have worker lcores');
  return {
    backend,
    memory,
    socketMemory,
    maxMemory,
    pageSize,
    hugeDir: opts.hugeDir,
    filePrefix: validateFilePrefix(opts.filePrefix ?? 'rtemem'),
    processType,
    inMemory: opts.inMemory === true,
    legacyMem: opts.legacyMem === true,
    readOnly,
    lcores,
  };
}

/** `EalOptions.lcores` and `lcoreCpus`, checked. */
export interface LcoreOptions {
  /** How many worker lcores (lowest free ids), or exactly which ids. */
  lcores: number | number[];
  /** CPUs per worker lcore id. */
  cpus: Map<number, number[]>;
}

/** Checks `EalOptions.lcores` / `lcoreCpus` (EINVAL); null when neither is given. */
export function normalizeLcoreOptions(lcores: unknown, lcoreCpus: unknown): LcoreOptions | null {
  if (lcores === undefined && lcoreCpus === undefined) return null;
  let count: number | number[] = 0;
  if (typeof lcores === 'number') {
    if (!Number.isInteger(lcores) || lcores < 0 || lcores >= MAX_LCORE) {
      throw new RteError('EINVAL', `lcores must be a count of worker lcores (0 to ${MAX_LCORE - 1}) or an array of lcore ids, not ${String(lcores)}`);
    }
    count = lcores;
  } else if (Array.isArray(lcores)) {
    for (const id of lcores) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id >= MAX_LCORE) {
        throw new RteError('EINVAL', `lcores: ${String(id)} is not a worker lcore id (1 to ${MAX_LCORE - 1}; lcore 0 is the main lcore)`);
      }
    }
    if (new Set(lcores).size !== lcores.length) throw new RteError('EINVAL', `lcores ${JSON.stringify(lcores)} names an lcore twice`);
    count = [...(lcores as number[])].sort((a, b) => a - b);
  } else if (lcores !== undefined) {
    throw new RteError('EINVAL', `lcores must be a count of worker lcores or an array of lcore ids, not ${typeof lcores}`);
  }
  const cpus = new Map<number, number[]>();
  if (lcoreCpus !== undefined) {
    if (lcoreCpus === null || typeof lcoreCpus !== 'object' || Array.isArray(lcoreCpus)) {
      throw new RteError('EINVAL', 'lcoreCpus maps worker lcore ids to CPUs: { 1: [2], 2: [3] }');
    }
    for (const [key, value] of Object.entries(lcoreCpus)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 1 || id >= MAX_LCORE) throw new RteError('EINVAL', `lcoreCpus: ${JSON.stringify(key)} is not a worker lcore id`);
      cpus.set(id, validateCpus(value, `lcoreCpus[${id}]`));
    }
  }
  return { lcores: count, cpus };
}
