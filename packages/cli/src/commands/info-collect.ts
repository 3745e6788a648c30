/**
 * `rtemem info`'s reading side: attach to a primary as a read-only
 * secondary and read every section of its shared memory into an
 * {@link InfoReport}, without claiming an lcore or creating anything.
 *
 * @see app/proc-info/main.c in DPDK (dpdk-proc-info)
 */
import { BAD_IOVA, Eal, hex, RteError } from '@rtemem/eal-hugepage';
import { EXTERNAL_HEAP_MIN_SOCKET_ID, Heap } from '@rtemem/malloc-heap';
import { Mempool, MEMPOOL_MZ_PREFIX, type MempoolStats } from '@rtemem/mempool';
import { Memory } from '@rtemem/memseg';
import { flagNames, Memzones } from '@rtemem/memzone';
import { Ring, RING_MZ_PREFIX, ringFlagNames, ringSyncNames, Stack, STACK_F_LF, STACK_MZ_PREFIX } from '@rtemem/ring';
import { CliError } from '../errors.js';
import type { CacheFill, EalReport, HeapReport, InfoReport, MempoolReport, MemzoneReport, RingReport, StackReport } from './info-report.js';

/** The file prefix `rtemem info` attaches to by default (the EAL's default). */
export const DEFAULT_FILE_PREFIX = 'rtemem';

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

