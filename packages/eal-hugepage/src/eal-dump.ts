/**
 * The text of `Eal.dump()`: one handle's EAL in a few lines (prefix,
 * backend and why, memseg lists, lcores), for logs and `rtemem info`.
 *
 * @see rte_dump_physmem_layout (lists), rte_lcore_dump (lcores) in DPDK lib/eal
 */
import { formatSize } from './backend.js';
import { hex } from './common.js';
import type { Eal } from './eal.js';

/** A short description of `eal`: prefix, backend and why, lists, lcores. */
export function dumpEal(eal: Eal): string {
  const lines = [
    `EAL '${eal.filePrefix}': ${eal.processType}, backend ${eal.backend} (${eal.backendReason})`,
    `  page sizes ${eal.config
      .pageSizes()
      .map((s) => formatSize(s.pageSize))
      .join(', ')}${eal.legacyMem ? ', legacy memory' : ''}${eal.inMemory ? ', in memory' : ''}`,
  ];
  if (eal.runtimeDir) {
    const dirs = eal.config.pageSizes().map((s) => `${formatSize(s.pageSize)} in ${s.dir}`);
    lines.push(`  runtime dir ${eal.runtimeDir}, page files: ${dirs.join(', ')}`);
  }
  for (const l of eal.lists) {
    const used = eal.usedSegments(l.index);
    lines.push(
      `  list ${l.index}: socket ${l.socketId}, ${l.nSegs} x ${formatSize(l.pageSize)}, ${used} backed (${formatSize(used * l.pageSize)}), ` +
        `addr ${hex(l.baseAddr)}${l.va !== 0n ? `, va ${hex(l.va)}` : ''}`,
    );
  }
  for (const c of eal.lcores()) lines.push(`  lcore ${c.lcoreId}: ${c.role}, pid ${c.pid}, thread ${c.threadId}, socket ${c.socketId}`);
  return lines.join('\n');
}
