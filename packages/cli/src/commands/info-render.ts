/**
 * `rtemem info`'s text form: an {@link InfoReport} as aligned tables, one
 * section after another, as dpdk-proc-info prints them.
 *
 * @see app/proc-info/main.c in DPDK (dpdk-proc-info)
 */
import { hex, LCORE_ID_ANY } from '@rtemem/eal-hugepage';
import { formatBytes, percent } from '../format.js';
import { table } from '../table.js';
import type { InfoReport } from './info-report.js';

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

