/**
 * The caller's memory a pool may be populated with (populateVirt,
 * populateIova): it must be memory the EAL maps (pages of a memseg list, or
 * an external list registered with Eal.registerExternalList), so that every
 * thread and process that finds the pool also finds its objects, and it
 * must not overlap the pool's own header zone or chunks. Checked before
 * anything moves; bad memory gives RteError EINVAL.
 *
 * @see rte_mempool_populate_virt in DPDK rte_mempool.c
 */
import { RteError } from '@rtemem/eal-hugepage';
import { Memory } from '@rtemem/memseg';
import type { PoolCore } from './core.js';
import { MP_CHUNKS } from './layout.js';
import type { Mempool } from './mempool.js';

const WHAT_TO_DO =
  'give memory the EAL maps (a block from Heap.malloc, a memzone from Memzones.reserve, or an external list from Eal.registerExternalList), or let the pool take its own with populateDefault() or populateAnon()';

/**
 * EINVAL unless [addr, addr+len) is a whole range of memory this EAL maps,
 * in one memseg list, overlapping neither the pool's header zone nor a
 * chunk it has.
 */
export function checkUserMemory(mp: Mempool, core: PoolCore, addr: number, len: number): void {
  if (typeof addr !== 'number' || !Number.isSafeInteger(addr) || addr <= 0) {
    throw new RteError('EINVAL', `mempool ${mp.name}: addr must be an rtemem address (a positive whole number), not ${String(addr)}`);
  }
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len <= 0) {
    throw new RteError('EINVAL', `mempool ${mp.name}: len must be a positive whole number of bytes, not ${String(len)}`);
  }
  if (!Memory.of(mp.eal).isBacked(addr, len)) {
    throw new RteError('EINVAL', `mempool ${mp.name}: [0x${addr.toString(16)}, +${len}) is not memory this EAL maps in one memseg list: ${WHAT_TO_DO}`);
  }
  const hz = mp.memzone;
  if (overlaps(addr, len, hz.addr, hz.len)) {
    throw new RteError('EINVAL', `mempool ${mp.name}: [0x${addr.toString(16)}, +${len}) overlaps the pool's own header zone ${hz.name}: give other memory`);
  }
  for (let c = 0; c < core.word(MP_CHUNKS); c++) {
    if (overlaps(addr, len, core.chunkAddr(c), core.chunkLen(c))) {
      throw new RteError('EINVAL', `mempool ${mp.name}: [0x${addr.toString(16)}, +${len}) overlaps its memory chunk ${c} (0x${core.chunkAddr(c).toString(16)}, +${core.chunkLen(c)}): give memory it does not use yet`);
    }
  }
}

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  return a < b + blen && b < a + alen;
}
