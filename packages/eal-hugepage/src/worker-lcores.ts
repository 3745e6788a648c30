/**
 * A process's worker lcores in the shared lcore table: reserving them at
 * init (role worker, this process) and giving them back at cleanup, listing
 * them in RTE_LCORE_FOREACH_WORKER order, the process's main lcore, and the
 * launch state of each (a word of the table, so other processes see it).
 *
 * @see rte_eal_get_lcore_state in DPDK lib/eal/common/eal_common_launch.c;
 *   rte_get_next_lcore, rte_lcore_count in lib/eal/common/eal_common_lcore.c
 */
import { MAX_LCORE } from './constants.js';
import type { Eal } from './eal.js';
import { RteError } from './errors.js';
import { LCORE_ROLE_WORKER, LOCK_CONFIG } from './layout.js';
import { lcoreClaim, lcoreIsFree, lcoreIsWorkerOf, lcoreLaunchWord, lcoreList, lcoreReclaimDead, lcoreRelease } from './lcore.js';
import type { LcoreOptions } from './options.js';
import { selfStartTime } from './process-info.js';

/**
 * Reserves the worker lcores in the shared table (role worker, this
 * process) as `o` asks and returns their ids, ascending. Throws EBUSY when
 * a listed id is taken, ENOSPC when too few ids are free, EINVAL when
 * lcoreCpus names an lcore that is not reserved.
 */
export function reserveWorkerLcores(eal: Eal, o: LcoreOptions): number[] {
  const cfg = eal.config;
  const socket = eal.socketId() >= 0 ? eal.socketId() : 0;
  const ids: number[] = [];
  eal.lock(LOCK_CONFIG);
  try {
    const wanted = typeof o.lcores === 'number' ? null : o.lcores;
    const count = typeof o.lcores === 'number' ? o.lcores : o.lcores.length;
    const free = (): number[] => {
      const out: number[] = [];
      for (let i = 1; i < MAX_LCORE; i++) if (lcoreIsFree(cfg, i)) out.push(i);
      return out;
    };
    const fits = (f: number[]): boolean => (wanted === null ? f.length >= count : wanted.every((id) => f.includes(id)));
    let f = free();
    if (!fits(f) && lcoreReclaimDead(cfg).length > 0) f = free();
    if (!fits(f)) {
      if (wanted === null) {
        throw new RteError('ENOSPC', `${count} worker lcores asked, ${f.length} lcore ids free: ask for fewer, or end threads and processes that hold lcores`);
      }
      const taken = wanted.filter((id) => !f.includes(id));
      const who = lcoreList(cfg).filter((c) => taken.includes(c.lcoreId)).map((c) => `lcore ${c.lcoreId}: ${c.role} of pid ${c.pid}`);
      throw new RteError('EBUSY', `lcores ${taken.join(', ')} are in use (${who.join('; ')}): ask for other ids, or a count`);
    }
    for (const id of wanted ?? f.slice(0, count)) {
      lcoreClaim(cfg, id, LCORE_ROLE_WORKER, process.pid, selfStartTime, 0, socket);
      ids.push(id);
    }
  } finally {
    eal.unlock(LOCK_CONFIG);
  }
  for (const id of o.cpus.keys()) {
    if (!ids.includes(id)) {
      releaseWorkerLcores(eal, ids);
      throw new RteError('EINVAL', `lcoreCpus names lcore ${id}, which is not one of the worker lcores (${ids.join(', ') || 'none'}): list it in lcores`);
    }
  }
  return ids;
}

/** Gives back the worker lcores `ids` that this process still holds. */
export function releaseWorkerLcores(eal: Eal, ids: number[]): void {
  eal.lock(LOCK_CONFIG);
  try {
    for (const id of ids) if (lcoreIsWorkerOf(eal.config, id, process.pid)) lcoreRelease(eal.config, id);
  } finally {
    eal.unlock(LOCK_CONFIG);
  }
}

/**
 * A worker lcore's launch state, from shared memory: LCORE_STATE_*. Any
 * handle of the process may ask, for its worker lcores and its main lcore.
 * Throws EINVAL for other ids.
 *
 * @see rte_eal_get_lcore_state
 */
export function lcoreState(eal: Eal, lcore: number): number {
  const isOurs = typeof lcore === 'number' && Number.isInteger(lcore) && lcore >= 0 && lcore < MAX_LCORE && (lcore === mainLcoreOf(eal) || lcoreIsWorkerOf(eal.config, lcore, process.pid));
  if (!isOurs) {
    const workers = workerLcoresOf(eal);
    throw new RteError('EINVAL', `lcoreState: ${String(lcore)} is neither the main lcore nor a worker lcore of this process (worker lcores: ${workers.join(', ') || 'none'})`);
  }
  return Atomics.load(eal.config.i32, lcoreLaunchWord(lcore));
}

/** This process's worker lcores, ascending, from the shared table (any handle of the process). */
export function workerLcoresOf(eal: Eal): number[] {
  const out: number[] = [];
  for (let i = 1; i < MAX_LCORE; i++) if (lcoreIsWorkerOf(eal.config, i, process.pid)) out.push(i);
  return out;
}

/** This process's main lcore: 0 in the primary, the id a secondary's main thread claimed, else -1. */
export function mainLcoreOf(eal: Eal): number {
  if (eal.processType === 'primary') return 0;
  for (const c of lcoreList(eal.config)) if (c.role === 'secondary' && c.pid === process.pid) return c.lcoreId;
  return -1;
}
