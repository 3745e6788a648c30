/**
 * What the heaps hold and where a block is: each heap's statistics, DPDK's
 * text dump of them, the consistency walk (stats.ts does the work), and the
 * socket and page size of a block. The second class of the chain that
 * makes {@link Heap} (see heap.ts).
 *
 * @see lib/eal/common/rte_malloc.c (rte_malloc_get_socket_stats, rte_malloc_dump_stats),
 * malloc_heap.c (malloc_heap_get_stats, malloc_heap_dump) in DPDK
 */
import { SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { elemOf } from './check.js';
import { EL_HEAP } from './layout.js';
import { HeapPlacement } from './placement.js';
import { checkSocket, socketOfHeap } from './sockets.js';
import { audit, dumpStats, heapStats, type SocketStats } from './stats.js';

/**
 * Statistics, audit and where a block is: the second class of the chain
 * that makes {@link Heap}.
 */
export class HeapInfo extends HeapPlacement {
  /** Statistics of the heap on `socket` (a NUMA socket or an external heap's socket id). @see rte_malloc_get_socket_stats */
  socketStats(socket: number): SocketStats {
    const h = checkSocket(this.core, socket === SOCKET_ID_ANY ? Number.NaN : socket);
    return heapStats(this.core, this.caches, h);
  }

  /** Every heap's statistics, as DPDK prints them. @see rte_malloc_dump_stats */
  dumpStats(): string {
    return dumpStats(this.core, this.caches);
  }

  /**
   * Walks every heap and throws EINVAL at the first inconsistency: element
   * links, headers, sizes against the heap total, free lists against element
   * states, two free neighbours left unmerged.
   */
  audit(): void {
    audit(this.core);
  }

  /** The socket of the heap holding block `addr`. */
  socketOf(addr: number): number {
    const e = elemOf(this.core, addr, 'socketOf');
    return socketOfHeap(this.core, this.core.u32(e, EL_HEAP));
  }

  /** Page size of the memory holding `addr`. */
  pageSizeOf(addr: number): number {
    return this.core.listOf(addr)?.pageSize ?? 0;
  }
}
