/**
 * Which memory backend an EAL uses, and why.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { RteError } from './errors.js';
import { defaultHugepageSize, hugepageInfo, hugepageMounts } from './hugepage-info.js';
import { BACKEND_CODE_ANONYMOUS, BACKEND_CODE_HUGETLBFS, BACKEND_CODE_SAB } from './layout.js';
import { nativeAvailable, nativeLoadError } from './native.js';

/** Where memory comes from. */
export type Backend = 'hugetlbfs' | 'anonymous' | 'sab';

/** The outcome of backend selection. */
export interface BackendChoice {
  backend: Backend;
  /** Why this backend (for `auto`: why not the better ones). */
  reason: string;
  /** Page size of every list. */
  pageSize: number;
  /** Directory of the list files; '' for sab and in-memory. */
  pageDir: string;
}

/** Where anonymous-backend list files live. */
export const SHM_DIR = '/dev/shm';
const OS_PAGE = 4096;

/** "2 MiB", "1 GiB", "4 KiB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && v % 1024 === 0 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}

const BACKEND_CODES: Record<Backend, number> = {
  hugetlbfs: BACKEND_CODE_HUGETLBFS,
  anonymous: BACKEND_CODE_ANONYMOUS,
  sab: BACKEND_CODE_SAB,
};

/** How the config header records `backend` (BACKEND_CODE_*). */
export function backendCode(backend: Backend): number {
  return BACKEND_CODES[backend];
}

/** The backend recorded in the config header as `code`. */
export function backendOfCode(code: number): Backend {
  if (code === BACKEND_CODE_HUGETLBFS) return 'hugetlbfs';
  if (code === BACKEND_CODE_ANONYMOUS) return 'anonymous';
  return 'sab';
}

const GiB = 1 << 30;
const MiB = 1 << 20;

function sysfsName(pageSize: number): string {
  return `hugepages-${pageSize / 1024}kB`;
}

/** A hugepage size as the kernel's option and cgroup names spell it: '2M', '1G'. */
function kernelSizeName(pageSize: number): string {
  return pageSize >= GiB ? `${pageSize / GiB}G` : `${pageSize / MiB}M`;
}

function mountHint(pageSize: number): string {
  return `mount one with \`mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=${kernelSizeName(pageSize)} nodev /dev/hugepages\` (or \`rtemem hugepages --setup\`)`;
}

/**
 * What to do when the kernel has no more `pageSize` hugepages to give: reserve
 * more, ask for less, or look at the container's hugetlb cgroup limit.
 */
export function moreHugepagesHint(pageSize: number): string {
  return (
    `reserve more hugepages (\`echo N > /sys/kernel/mm/hugepages/${sysfsName(pageSize)}/nr_hugepages\`) or ask for less memory ` +
    `(inside a container, a hugetlb cgroup limit can refuse them too: hugetlb.${kernelSizeName(pageSize)}B.limit_in_bytes)`
  );
}

/**
 * Checks that hugetlbfs can provide `pagesNeeded` pages of `pageSize`.
 * Returns the page directory, or throws (when `strict`) / returns a reason
 * string (when not).
 */
function hugetlbfsCheck(
  pageSize: number | undefined,
  hugeDir: string | undefined,
  bytesNeeded: number,
  inMemory: boolean,
): { pageSize: number; pageDir: string; free: number } | RteError {
  if (!nativeAvailable()) {
    return new RteError('ENOTSUP', `hugetlbfs needs the native addon, which did not load: ${nativeLoadError()}`);
  }
  const size = pageSize ?? defaultHugepageSize();
  if (size <= 0) {
    return new RteError('ENOENT', 'the kernel reports no hugepage support (no Hugepagesize in /proc/meminfo)');
  }
  const info = hugepageInfo().find((h) => h.pageSize === size);
  if (!info) {
    const sizes = hugepageInfo()
      .map((h) => formatSize(h.pageSize))
      .join(', ');
    return new RteError('EINVAL', `no ${formatSize(size)} hugepages on this system (sizes: ${sizes || 'none'}); pass a supported pageSize`);
  }
  let pageDir = '';
  if (!inMemory) {
    if (hugeDir !== undefined) {
      const mount = hugepageMounts().find((m) => m.mountPoint === hugeDir);
      if (!mount) return new RteError('ENOENT', `hugeDir ${hugeDir} is not a hugetlbfs mount; ${mountHint(size)}`);
      if (mount.pageSize !== size) {
        return new RteError('EINVAL', `hugeDir ${hugeDir} has ${formatSize(mount.pageSize)} pages, ${formatSize(size)} asked`);
      }
      pageDir = hugeDir;
    } else if (info.mountPoint === null) {
      return new RteError('ENOENT', `no hugetlbfs mount for ${formatSize(size)} pages; ${mountHint(size)}`);
    } else {
      pageDir = info.mountPoint;
    }
    try {
      accessSync(pageDir, fsConstants.W_OK);
    } catch {
      return new RteError('EPERM', `cannot write to ${pageDir}: run as root or give this user write access to the mount`);
    }
  }
  const needed = Math.ceil(bytesNeeded / size);
  if (info.free < needed) {
    return new RteError(
      'ENOMEM',
      `${needed} free ${formatSize(size)} hugepages needed, ${info.free} free: reserve some with ` +
        `\`echo ${info.total + needed - info.free} > /sys/kernel/mm/hugepages/${sysfsName(size)}/nr_hugepages\` (or \`rtemem hugepages --setup\`)`,
    );
  }
  return { pageSize: size, pageDir, free: info.free };
}

/** Picks the backend for `Eal.init`. Throws RteError when an explicit choice cannot work. */
export function chooseBackend(
  want: 'auto' | Backend,
  opts: { pageSize?: number; hugeDir?: string; memory: number; inMemory: boolean },
): BackendChoice {
  if (want === 'sab') return { backend: 'sab', reason: 'requested', pageSize: OS_PAGE, pageDir: '' };
  if (want === 'anonymous') {
    if (!nativeAvailable()) {
      throw new RteError('ENOTSUP', `the anonymous backend needs the native addon, which did not load: ${nativeLoadError()}; use backend 'sab'`);
    }
    return { backend: 'anonymous', reason: 'requested', pageSize: OS_PAGE, pageDir: opts.inMemory ? '' : SHM_DIR };
  }
  const huge = hugetlbfsCheck(opts.pageSize, opts.hugeDir, opts.memory, opts.inMemory);
  if (want === 'hugetlbfs') {
    if (huge instanceof RteError) throw huge;
    return { backend: 'hugetlbfs', reason: 'requested', pageSize: huge.pageSize, pageDir: huge.pageDir };
  }
  if (!(huge instanceof RteError)) {
    return {
      backend: 'hugetlbfs',
      reason: `auto: ${huge.free} free ${formatSize(huge.pageSize)} hugepages${huge.pageDir ? ` on a hugetlbfs mount at ${huge.pageDir}` : ''}`,
      pageSize: huge.pageSize,
      pageDir: huge.pageDir,
    };
  }
  if (nativeAvailable()) {
    return {
      backend: 'anonymous',
      reason: `auto: hugetlbfs unusable (${huge.message}); using 4 KiB pages in ${opts.inMemory ? 'memfd files' : SHM_DIR}`,
      pageSize: OS_PAGE,
      pageDir: opts.inMemory ? '' : SHM_DIR,
    };
  }
  return {
    backend: 'sab',
    reason: `auto: the native addon did not load (${nativeLoadError()}); using plain SharedArrayBuffers (worker threads only)`,
    pageSize: OS_PAGE,
    pageDir: '',
  };
}
