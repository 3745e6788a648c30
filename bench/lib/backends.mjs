/**
 * Memory backends a suite can run on, and whether this machine has each.
 */
import { hugepageInfo, nativeAvailable, nativeLoadError } from '@rtemem/eal-hugepage';

export const BACKENDS = ['sab', 'anonymous', 'hugetlbfs'];
const HUGEPAGE_2M = 2 << 20;

/**
 * Why `backend` cannot run here, or null when it can. `hugepages` is how many
 * free 2 MiB hugepages the suite needs on hugetlbfs.
 */
export function unavailableReason(backend, { hugepages = 1 } = {}) {
  if (!BACKENDS.includes(backend)) return `unknown backend '${backend}' (use ${BACKENDS.join(', ')})`;
  if (backend === 'sab') return null;
  if (!nativeAvailable()) return `the native addon did not load: ${nativeLoadError()}`;
  if (backend === 'anonymous') return null;
  const info = hugepageInfo().find((h) => h.pageSize === HUGEPAGE_2M);
  if (!info || info.total === 0) return 'no 2 MiB hugepages reserved (echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)';
  if (!info.mountPoint) return 'no hugetlbfs mount for 2 MiB pages (mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages)';
  if (info.free < hugepages) return `${info.free} free 2 MiB hugepages, the suite needs ${hugepages}`;
  return null;
}

/** HugePages_Free from /proc/meminfo (null when there is none), to check that a suite gave its pages back. */
export async function hugepagesFree() {
  const { readFile } = await import('node:fs/promises');
  try {
    const m = /^HugePages_Free:\s+(\d+)/m.exec(await readFile('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Files a suite's EALs left behind: page files in /dev/shm and the
 * hugetlbfs mounts, and runtime dirs, whose names start with `prefix`
 * (the runner gives every suite process the prefix `bench_<pid>_`).
 */
export async function leftoverFiles(prefix) {
  const { readdir } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { hugepageMounts, runtimeDirFor } = await import('@rtemem/eal-hugepage');
  const dirs = new Set(['/dev/shm', dirname(runtimeDirFor(prefix)), ...hugepageMounts().map((m) => m.mountPoint)]);
  const found = [];
  for (const dir of dirs) {
    let names = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(prefix)) found.push(join(dir, n));
  }
  return found;
}

/** The start of every EAL file prefix the suite process `pid` uses. */
export function filePrefixOf(pid) {
  return `bench_${pid}_`;
}
