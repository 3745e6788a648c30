/**
 * CPU affinity of the calling thread: which CPUs it may run on. DPDK pins
 * each lcore's thread to its CPUs (`-l`, `--lcores 1@2`); rtemem pins a
 * worker lcore's thread when `EalOptions.lcoreCpus` names CPUs for it.
 * Linux only, through the native addon (sched_setaffinity on the calling
 * thread alone).
 *
 * @see rte_thread_set_affinity, rte_thread_get_affinity in DPDK eal_common_thread.c
 */
import { RteError, fromErrno } from './errors.js';
import { native } from './native.js';

/** CPUs a cpu_set_t holds (CPU_SETSIZE). */
export const MAX_CPUS = 1024;

/**
 * Checks a CPU list given by a user: a non-empty array of distinct whole
 * numbers 0..MAX_CPUS-1. Returns it sorted; throws EINVAL saying what is wrong.
 */
export function validateCpus(cpus: unknown, what: string): number[] {
  const list = typeof cpus === 'number' ? [cpus] : cpus;
  if (!Array.isArray(list) || list.length === 0) {
    throw new RteError('EINVAL', `${what}: give a CPU number or a non-empty array of CPU numbers, not ${describe(cpus)}`);
  }
  for (const c of list) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= MAX_CPUS) {
      throw new RteError('EINVAL', `${what}: CPU ${describe(c)} is not a CPU number (0 to ${MAX_CPUS - 1})`);
    }
  }
  const sorted = [...new Set(list as number[])].sort((a, b) => a - b);
  if (sorted.length !== list.length) throw new RteError('EINVAL', `${what}: CPU list ${JSON.stringify(list)} names a CPU twice`);
  return sorted;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

/**
 * The CPUs the calling thread may run on, ascending. Throws ENOTSUP without
 * the native addon.
 *
 * @see rte_thread_get_affinity
 */
export function threadGetAffinity(): number[] {
  const n = native();
  if (n === null) throw new RteError('ENOTSUP', 'CPU affinity needs the native addon, which did not load');
  const r = n.getAffinity();
  if (typeof r === 'number') throw fromErrno(r, 'sched_getaffinity failed');
  return r;
}

/**
 * Pins the calling thread (the main thread, or the worker thread that
 * calls it) to `cpus`. Throws EINVAL for a bad list or CPUs this process may
 * not use (offline, outside its cgroup cpuset or taskset mask), EPERM when a
 * security policy (seccomp, a container) forbids changing affinity, ENOTSUP
 * without the native addon.
 *
 * @see rte_thread_set_affinity
 */
export function threadSetAffinity(cpus: number | number[]): void {
  const list = validateCpus(cpus, 'threadSetAffinity');
  const n = native();
  if (n === null) throw new RteError('ENOTSUP', 'CPU affinity needs the native addon, which did not load: run without lcoreCpus');
  const r = n.setAffinity(list);
  if (r === 0) return;
  if (r === -1) {
    throw new RteError(
      'EPERM',
      `not permitted to set this thread's CPU affinity to ${list.join(',')} (sched_setaffinity: EPERM; a seccomp filter or container policy forbids it): run without lcoreCpus`,
    );
  }
  if (r === -22) {
    let allowed = '';
    try {
      allowed = ` (this thread may use CPUs ${threadGetAffinity().join(',')})`;
    } catch {
      // Only for the message.
    }
    throw new RteError('EINVAL', `cannot pin to CPUs ${list.join(',')}: none of them is online and allowed for this process${allowed}`);
  }
  throw fromErrno(r, `cannot pin this thread to CPUs ${list.join(',')}`);
}
