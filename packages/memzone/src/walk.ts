/**
 * Reading the whole memzone table: walking every zone, counting them and
 * dumping them as text. The second class of the chain that makes
 * {@link Memzones} (see memzone.ts).
 *
 * @see lib/eal/common/eal_common_memzone.c (rte_memzone_walk, rte_memzone_dump) and rte_memzone.h in DPDK
 */
import { BAD_IOVA, hex } from '@rtemem/eal-hugepage';
import { flagNames } from './flags.js';
import { MAX_MEMZONE, MZ_USED, MZ_USED_WORDS, MZS_LIVE } from './layout.js';
import { MemzoneTable } from './table.js';
import type { Memzone } from './zone.js';

function formatIova(iova: bigint): string {
  return iova === BAD_IOVA ? 'BAD_IOVA' : hex(iova);
}

/**
 * Walking, counting and dumping the zones: the second class of the chain
 * that makes {@link Memzones}.
 */
export class MemzoneWalk extends MemzoneTable {
  /** walk()'s list of handles, reused (a walk inside a walk makes its own). */
  readonly #walkList: Memzone[] = [];
  #walking = false;

  /**
   * Calls `fn` with every zone, in slot order. The zones are listed under
   * the table's lock, and `fn` runs after it is released, so `fn` may
   * reserve, look up or free zones.
   *
   * @see rte_memzone_walk
   */
  walk(fn: (mz: Memzone) => void): void {
    // The list is reused (entries overwritten, never emptied: V8 would drop
    // its storage), so a walk allocates nothing once every zone has a handle.
    const nested = this.#walking;
    const zones = nested ? [] : this.#walkList;
    let count = 0;
    this.lock();
    try {
      const base = (this.area + MZ_USED) / 4;
      for (let w = 0; w < MZ_USED_WORDS; w++) {
        for (let bits = this.u32[base + w]!; bits !== 0; bits &= bits - 1) {
          const i = w * 32 + (31 - Math.clz32(bits & -bits));
          if (this.state(this.entry(i)) !== MZS_LIVE) continue;
          const mz = this.handle(i, null);
          if (count < zones.length) zones[count] = mz;
          else zones.push(mz);
          count++;
        }
      }
    } finally {
      this.unlock();
    }
    this.#walking = true;
    try {
      for (let k = 0; k < count; k++) fn(zones[k]!);
    } finally {
      this.#walking = nested;
    }
  }

  /** Zones reserved and not freed, in every thread and process. */
  count(): number {
    this.checkOpen();
    return this.liveCount();
  }

  /**
   * A header line, then one line per zone: slot, name, length, address,
   * IOVA, socket, flags and page size.
   *
   * @see rte_memzone_dump
   */
  dump(): string {
    const lines: string[] = [];
    this.walk((mz) => {
      lines.push(
        `Zone ${mz.index}: name:<${mz.name}>, len:${hex(mz.len)}, addr:${hex(mz.addr)}, iova:${formatIova(mz.iova)}, ` +
          `socket_id:${mz.socketId}, flags:${hex(mz.flags)}${mz.flags !== 0 ? ` (${flagNames(mz.flags)})` : ''}, hugepage_sz:${mz.hugepageSz}`,
      );
    });
    return [`Memzones: ${lines.length} of ${MAX_MEMZONE} (MAX_MEMZONE) in use`, ...lines].join('\n');
  }
}
