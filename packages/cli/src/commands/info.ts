/**
 * `rtemem info`: attach to a running primary as a read-only secondary and
 * show what is in its shared memory — the EAL and its lcores, memseg lists,
 * heaps, memzones, rings, stacks and mempools — like DPDK's dpdk-proc-info.
 * It only reads: it claims no lcore and creates nothing.
 */
import { parseArgs } from 'node:util';
import { BAD_IOVA, Eal, hex, LCORE_ID_ANY, type LcoreInfo, RteError } from '@rtemem/eal-hugepage';
import { EXTERNAL_HEAP_MIN_SOCKET_ID, Heap } from '@rtemem/malloc-heap';
import { Mempool, MEMPOOL_MZ_PREFIX, type MempoolStats } from '@rtemem/mempool';
import { Memory } from '@rtemem/memseg';
import { flagNames, Memzones } from '@rtemem/memzone';
import { Ring, RING_MZ_PREFIX, ringFlagNames, ringSyncNames, Stack, STACK_F_LF, STACK_MZ_PREFIX } from '@rtemem/ring';
import { CliError, EXIT_FAILURE, EXIT_OK, type Io, UsageError } from '../errors.js';
import { formatBytes, percent } from '../format.js';
import { table } from '../table.js';

/** The file prefix `rtemem info` attaches to by default (the EAL's default). */
export const DEFAULT_FILE_PREFIX = 'rtemem';

/** Usage of `rtemem info`. */
export const INFO_USAGE = `Usage: rtemem info [--file-prefix P] [--json] [--watch SECONDS]

Attaches to a running rtemem primary process as a read-only secondary (it
claims no lcore and creates nothing) and shows, like dpdk-proc-info: the EAL
and the lcores in use, memseg lists, heap statistics per socket, memzones,
rings, stacks and mempools (size, available, in use, per-lcore cache fill).

Options:
  --file-prefix P     the primary's file prefix (default ${DEFAULT_FILE_PREFIX})
  --json              print one JSON document instead of tables (with --watch:
                      one document per line, per frame)
  --watch SECONDS     redraw every SECONDS (e.g. 1, 0.5) until Ctrl-C; stops
                      with exit code 1 when the primary exits
  -h, --help          show this help

Exit codes: 0 ok, 1 failure (no primary with that prefix, the primary
exited), 2 usage error.

Examples:
  rtemem info
  rtemem info --file-prefix app --json
  rtemem info --file-prefix app --watch 1
`;

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

/**
 * Attaches to the primary of `filePrefix` as a read-only secondary. Throws
 * {@link CliError} with the EAL's message when there is no primary (or it
 * cannot be attached to).
 *
 * @see rte_eal_init with --proc-type=secondary
 */
export function attachReadOnly(filePrefix: string = DEFAULT_FILE_PREFIX): Eal {
  try {
    return Eal.init({ processType: 'secondary', filePrefix, readOnly: true });
  } catch (e) {
    if (e instanceof RteError) throw new CliError(e.message);
    throw e;
  }
}

function isNoneYet(e: unknown): boolean {
  return e instanceof RteError && e.code === 'ENOENT';
}

/** Runs one section; ENOENT ("the primary has none yet") and other errors become notes. */
function section<T>(what: string, notes: string[], fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    notes.push(isNoneYet(e) ? `no ${what} yet` : `${what}: ${(e as Error).message}`);
    return fallback;
  }
}

function iovaText(iova: bigint): string | null {
  return iova === BAD_IOVA ? null : hex(iova);
}

/**
 * Per-lcore cache fill of a pool and the driver's count, read back from the
 * text of `Mempool.dump()` (`cache_count[N]=M`, `common_pool_count=`).
 * `rtemem info` itself reads `Mempool.cacheCounts()`; this is for dumps
 * kept as text.
 */
export function parseMempoolDump(dump: string): { caches: CacheFill[]; commonPoolCount: number } {
  const caches: CacheFill[] = [];
  for (const m of dump.matchAll(/^\s*cache_count\[(\d+)\]=(\d+)\s*$/gm)) caches.push({ lcore: Number(m[1]), count: Number(m[2]) });
  const common = /^\s*common_pool_count=(\d+)\s*$/m.exec(dump);
  return { caches, commonPoolCount: common ? Number(common[1]) : 0 };
}

function ealReport(eal: Eal): EalReport {
  return {
    filePrefix: eal.filePrefix,
    backend: eal.backend,
    pageSize: eal.pageSize,
    pageSizes: eal.pageSizes,
    primaryPid: eal.primaryPid(),
    primaryAlive: eal.primaryAlive(),
    legacyMem: eal.legacyMem,
    inMemory: eal.inMemory,
    runtimeDir: eal.runtimeDir,
    pageDir: eal.pageDir,
    lcores: eal.lcores(),
  };
}

function memoryReport(eal: Eal): InfoReport['memory'] {
  const mem = Memory.of(eal);
  return {
    physmemSize: mem.physmemSize(),
    lists: mem.lists().map((l) => ({
      index: l.index,
      socketId: l.socketId,
      pageSize: l.pageSize,
      pages: Math.floor(l.length / l.pageSize),
      segments: l.segments,
      backedBytes: l.segments * l.pageSize,
      length: l.length,
      baseAddr: l.baseAddr,
      external: l.external === true,
    })),
  };
}

function heapReports(eal: Eal, listSockets: number[]): HeapReport[] {
  const heap = Heap.of(eal);
  // Heaps by name from DPDK's stats dump (it lists external heaps too), then
  // each one's numbers from socketStats.
  const names = [...heap.dumpStats().matchAll(/^\s*Heap name:(.*)$/gm)].map((m) => m[1]!);
  const out: HeapReport[] = [];
  for (const name of names) {
    const socket = heap.heapSocket(name);
    out.push({ name, socket, external: !listSockets.includes(socket) && socket >= EXTERNAL_HEAP_MIN_SOCKET_ID, ...heap.socketStats(socket) });
  }
  return out.sort((a, b) => a.socket - b.socket);
}

function mempoolReport(eal: Eal, poolName: string): MempoolReport | null {
  let mp: Mempool | null;
  try {
    mp = Mempool.lookup(eal, poolName);
  } catch (e) {
    return { name: poolName, size: 0, available: 0, inUse: 0, cacheSize: 0, caches: [], cached: 0, commonPoolCount: 0, eltSize: 0, ops: '?', socketId: -1, flags: 0, error: (e as Error).message };
  }
  if (mp === null) return null;
  const caches: CacheFill[] = [];
  let cached = 0;
  mp.cacheCounts().forEach((count, lcore) => {
    if (count === 0) return;
    caches.push({ lcore, count });
    cached += count;
  });
  // availCount() is the driver's count plus every lcore cache (at most the
  // pool's size), as rte_mempool_avail_count: the driver holds the rest.
  const available = mp.availCount();
  return {
    name: mp.name,
    size: mp.size,
    available,
    inUse: mp.size - available,
    cacheSize: mp.cacheSize,
    caches,
    cached,
    commonPoolCount: Math.max(0, available - cached),
    eltSize: mp.eltSize,
    ops: mp.opsName,
    socketId: mp.socketId,
    flags: mp.flags,
    ...statsOf(mp),
  };
}

function statsOf(mp: Mempool): { stats?: MempoolStats } {
  const stats = mp.stats();
  return stats === null ? {} : { stats };
}

/**
 * Reads everything `rtemem info` shows from an EAL handle (normally a
 * read-only secondary from {@link attachReadOnly}). Changes nothing in
 * shared memory: it takes the layers' locks only to read consistently, as
 * dpdk-proc-info does. What the primary has not created yet (no heap, no
 * memzone table) is an empty section and a note.
 *
 * @example
 * ```ts
 * const eal = attachReadOnly('app');
 * try {
 *   const r = collectInfo(eal);
 *   console.log(r.rings.map((x) => `${x.name}: ${x.count}`));
 * } finally {
 *   eal.cleanup();
 * }
 * ```
 * @see dpdk-proc-info --show-memory / --show-ring / --show-mempool
 */
export function collectInfo(eal: Eal): InfoReport {
  const notes: string[] = [];
  const memory = memoryReport(eal);
  const listSockets = [...new Set(memory.lists.filter((l) => !l.external).map((l) => l.socketId))];
  const heaps = section('heap', notes, [] as HeapReport[], () => heapReports(eal, listSockets));
  const all = section('memzone table', notes, null as MemzoneReport[] | null, () => {
    const zones: MemzoneReport[] = [];
    Memzones.of(eal).walk((mz) =>
      zones.push({
        index: mz.index,
        name: mz.name,
        addr: mz.addr,
        len: mz.len,
        iova: iovaText(mz.iova),
        socketId: mz.socketId,
        flags: mz.flags,
        flagNames: mz.flags !== 0 ? flagNames(mz.flags) : '',
        hugepageSz: mz.hugepageSz,
      }),
    );
    return zones.sort((a, b) => a.index - b.index);
  });
  const zones = all ?? [];
  const rings: RingReport[] = [];
  const stacks: StackReport[] = [];
  const mempools: MempoolReport[] = [];
  if (all !== null) {
    for (const mz of zones) {
      if (mz.name.startsWith(RING_MZ_PREFIX)) {
        const r = section(`ring ${mz.name}`, notes, null, () => Ring.lookup(eal, mz.name.slice(RING_MZ_PREFIX.length)));
        if (r === null) continue;
        const count = r.count();
        const sync = ringSyncNames(r.flags);
        rings.push({
          name: r.name,
          size: r.size,
          capacity: r.capacity,
          count,
          free: r.freeCount(),
          esize: r.esize,
          flags: r.flags,
          prodSync: sync.prod,
          consSync: sync.cons,
          flagNames: ringFlagNames(r.flags),
        });
      } else if (mz.name.startsWith(STACK_MZ_PREFIX)) {
        const s = section(`stack ${mz.name}`, notes, null, () => Stack.lookup(eal, mz.name.slice(STACK_MZ_PREFIX.length)));
        if (s === null) continue;
        stacks.push({ name: s.name, capacity: s.capacity, count: s.count(), free: s.freeCount(), flags: s.flags, lockFree: (s.flags & STACK_F_LF) !== 0 });
      } else if (mz.name.startsWith(MEMPOOL_MZ_PREFIX)) {
        // MP_<name> holds a pool's header; MP_<name>_<i> its objects (not a pool: lookup gives null).
        const p = mempoolReport(eal, mz.name.slice(MEMPOOL_MZ_PREFIX.length));
        if (p !== null) mempools.push(p);
      }
    }
  }
  for (const p of mempools) if (p.error) notes.push(`mempool ${p.name}: ${p.error}`);
  return {
    time: new Date().toISOString(),
    eal: ealReport(eal),
    memory,
    heaps,
    memzones: { count: zones.length, zones },
    rings,
    stacks,
    mempools,
    notes,
  };
}

/** The report as aligned text tables. */
export function renderInfo(r: InfoReport): string {
  const out: string[] = [];
  const e = r.eal;
  out.push(`EAL '${e.filePrefix}': primary pid ${e.primaryPid} (${e.primaryAlive ? 'running' : 'exited'}), backend ${e.backend}, ` +
    `${e.pageSizes.length > 1 ? `page sizes ${e.pageSizes.map(formatBytes).join(', ')}` : `page size ${formatBytes(e.pageSize)}`}` +
    `${e.legacyMem ? ', legacy memory' : ''}${e.inMemory ? ', in memory' : ''}`);
  if (e.runtimeDir) out.push(`  runtime dir ${e.runtimeDir}, page files in ${e.pageDir}`);
  out.push(`  lcores in use: ${e.lcores.length}`);
  if (e.lcores.length > 0) out.push(table(['lcore', 'role', 'pid', 'thread', 'socket', 'state'], e.lcores.map((c) => [c.lcoreId, c.role, c.pid, c.threadId, c.socketId, c.state ?? '']), { indent: '    ' }));

  out.push('', `Memory: ${r.memory.lists.length} memseg list${r.memory.lists.length === 1 ? '' : 's'}, ${formatBytes(r.memory.physmemSize)} with memory`);
  if (r.memory.lists.length > 0) {
    out.push(
      table(
        ['list', 'socket', 'page size', 'pages', 'backed', 'memory', 'used', 'address', 'external'],
        r.memory.lists.map((l) => [l.index, l.socketId, formatBytes(l.pageSize), l.pages, l.segments, formatBytes(l.backedBytes), percent(l.segments, l.pages), hex(l.baseAddr), l.external ? 'yes' : 'no']),
      ),
    );
  }

  out.push('', `Heaps: ${r.heaps.length}`);
  if (r.heaps.length > 0) {
    out.push(
      table(
        ['heap', 'socket', 'total', 'free', 'allocated', 'greatest free', 'free blocks', 'alloc blocks'],
        r.heaps.map((h) => [
          h.name,
          h.socket,
          formatBytes(h.heapTotalBytes),
          formatBytes(h.heapFreeBytes),
          formatBytes(h.heapAllocBytes),
          formatBytes(h.greatestFreeSize),
          h.freeCount,
          h.allocCount,
        ]),
        { empty: '-' },
      ),
    );
  }

  out.push('', `Memzones: ${r.memzones.count}`);
  if (r.memzones.zones.length > 0) {
    out.push(
      table(
        ['#', 'name', 'length', 'address', 'iova', 'socket', 'flags', 'page size'],
        r.memzones.zones.map((z) => [z.index, z.name, formatBytes(z.len), hex(z.addr), z.iova, z.socketId, z.flags !== 0 ? `${hex(z.flags)} ${z.flagNames}` : '0', formatBytes(z.hugepageSz)]),
      ),
    );
  }

  out.push('', `Rings: ${r.rings.length}`);
  if (r.rings.length > 0) {
    out.push(
      table(
        ['name', 'size', 'capacity', 'count', 'free', 'used', 'sync', 'esize', 'flags'],
        r.rings.map((x) => [x.name, x.size, x.capacity, x.count, x.free, percent(x.count, x.capacity), `${x.prodSync}/${x.consSync}`, x.esize, x.flagNames.join(',') || '0']),
      ),
    );
  }

  out.push('', `Stacks: ${r.stacks.length}`);
  if (r.stacks.length > 0) {
    out.push(table(['name', 'capacity', 'count', 'free', 'type'], r.stacks.map((s) => [s.name, s.capacity, s.count, s.free, s.lockFree ? 'lock-free' : 'lock-based'])));
  }

  out.push('', `Mempools: ${r.mempools.length}`);
  const pools = r.mempools.filter((p) => !p.error);
  if (pools.length > 0) {
    out.push(
      table(
        ['name', 'size', 'available', 'in use', 'elt size', 'ops', 'cache size', 'cached', 'cache fill (lcore:count)'],
        pools.map((p) => [
          p.name,
          p.size,
          p.available,
          p.inUse,
          p.eltSize,
          p.ops,
          p.cacheSize,
          p.cached,
          p.cacheSize === 0 ? 'no cache' : p.caches.length === 0 ? 'empty' : p.caches.map((c) => `${c.lcore}:${c.count}`).join(' '),
        ]),
      ),
    );
  }

  const counted = pools.filter((p) => p.stats !== undefined);
  if (counted.length > 0) {
    out.push('', 'Mempool statistics (pools created with stats):');
    out.push(
      table(
        ['name', 'put bulk', 'put objs', 'get ok bulk', 'get ok objs', 'get fail bulk', 'get fail objs', 'common put objs', 'common get objs', 'per lcore (lcore:put/got)'],
        counted.map((p) => {
          const s = p.stats!;
          return [
            p.name,
            s.putBulk,
            s.putObjs,
            s.getSuccessBulk,
            s.getSuccessObjs,
            s.getFailBulk,
            s.getFailObjs,
            s.putCommonPoolObjs,
            s.getCommonPoolObjs,
            s.perLcore.length === 0 ? 'none' : s.perLcore.map((l) => `${l.lcore === LCORE_ID_ANY ? 'any' : l.lcore}:${l.putObjs}/${l.getSuccessObjs}`).join(' '),
          ];
        }),
      ),
    );
  }

  if (r.notes.length > 0) out.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}

/* ------------------------------------------------------------------ *
 * The command
 * ------------------------------------------------------------------ */

/** Options of {@link infoCommand} after parsing. */
export interface InfoOptions {
  filePrefix: string;
  json: boolean;
  /** Seconds between frames; undefined: print once. */
  watch?: number;
}

function parseInfoArgs(argv: string[]): InfoOptions & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'file-prefix': { type: 'string' },
        json: { type: 'boolean' },
        watch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, 'info');
  }
  const o: InfoOptions & { help: boolean } = { filePrefix: values['file-prefix'] ?? DEFAULT_FILE_PREFIX, json: values.json === true, help: values.help === true };
  if (o.filePrefix === '') throw new UsageError('--file-prefix: give a non-empty prefix', 'info');
  if (values.watch !== undefined) {
    const s = Number(values.watch);
    if (values.watch.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 86_400) {
      throw new UsageError(`--watch: ${JSON.stringify(values.watch)} is not a number of seconds (greater than 0)`, 'info');
    }
    o.watch = s;
  }
  return o;
}

function frame(r: InfoReport, o: InfoOptions): string {
  if (o.json) return o.watch !== undefined ? `${JSON.stringify(r)}\n` : `${JSON.stringify(r, null, 2)}\n`;
  const body = renderInfo(r);
  if (o.watch === undefined) return body;
  return `Every ${o.watch}s: rtemem info --file-prefix ${o.filePrefix}    ${r.time}\n\n${body}`;
}

function primaryGone(eal: Eal): string {
  return `the primary of '${eal.filePrefix}' (pid ${eal.primaryPid()}) exited\n`;
}

/** Redraws until Ctrl-C (exit 0) or until the primary exits (exit 1). */
async function watch(eal: Eal, o: InfoOptions, io: Io): Promise<number> {
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    let first = true;
    for (;;) {
      if (!eal.primaryAlive()) {
        io.err(`rtemem: ${primaryGone(eal)}`);
        return EXIT_FAILURE;
      }
      const text = frame(collectInfo(eal), o);
      // On a terminal: clear and redraw in place; into a pipe or file: frames one after another.
      if (io.isTTY && !o.json) io.out(`\x1b[H\x1b[2J${text}`);
      else io.out(first || o.json ? text : `\n${text}`);
      first = false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.watch! * 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
      if (stopped) return EXIT_OK;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * `rtemem info [options]`: attaches read-only, prints the report once (or
 * every `--watch` seconds), and always cleans the EAL handle up. Returns the
 * exit code; throws UsageError / CliError.
 */
export async function infoCommand(argv: string[], io: Io): Promise<number> {
  const o = parseInfoArgs(argv);
  if (o.help) {
    io.out(INFO_USAGE);
    return EXIT_OK;
  }
  const eal = attachReadOnly(o.filePrefix);
  try {
    if (o.watch !== undefined) return await watch(eal, o, io);
    io.out(frame(collectInfo(eal), o));
    return EXIT_OK;
  } finally {
    eal.cleanup();
  }
}
