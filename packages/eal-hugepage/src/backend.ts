/**
 * Which memory backend an EAL uses, and why.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { RteError } from './errors.js';
import { defaultHugepageSize, type HugepageInfo, hugepageInfo, hugepageMounts } from './hugepage-info.js';
import { BACKEND_CODE_ANONYMOUS, BACKEND_CODE_HUGETLBFS, BACKEND_CODE_SAB, LIST_SPAN } from './layout.js';
import { nativeAvailable, nativeLoadError } from './native.js';

/** Where memory comes from. */
export type Backend = 'hugetlbfs' | 'anonymous' | 'sab';

/**
 * One page size an EAL makes memseg lists of: DPDK's hugepage_info entry
 * (a size with a hugetlbfs mount, or any size in-memory).
 */
export interface PageSizeChoice {
  pageSize: number;
  /** Directory of this size's list files; '' for sab and in-memory. */
  dir: string;
  /** Pages the system can give now (Infinity for 4 KiB pages: no count to check). */
  free: number;
  /** Pages reserved in the system (nr_hugepages; Infinity for 4 KiB pages). */
  total: number;
  /** Free pages by NUMA node, null when the system has no per-node counts. */
  freePerNode: ReadonlyMap<number, number> | null;
}

/** The outcome of backend selection. */
export interface BackendChoice {
  backend: Backend;
  /** Why this backend (for `auto`: why not the better ones). */
  reason: string;
  /** The smallest page size (eal.pageSize). */
  pageSize: number;
  /** Directory of the smallest size's list files; '' for sab and in-memory. */
  pageDir: string;
  /** Every page size to make lists of, smallest first (one for sab and anonymous). */
  sizes: PageSizeChoice[];
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

function freePerNode(info: HugepageInfo): ReadonlyMap<number, number> | null {
  if (info.perNode.length === 0) return null;
  // Per-node counts do not subtract reserved pages: the global count caps them.
  return new Map(info.perNode.map((n) => [n.node, Math.min(n.free, info.free)]));
}

function sizeChoice(info: HugepageInfo, dir: string): PageSizeChoice {
  return { pageSize: info.pageSize, dir, free: info.free, total: info.total, freePerNode: freePerNode(info) };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sizeList(sizes: readonly { pageSize: number }[]): string {
  return sizes.map((h) => formatSize(h.pageSize)).join(', ') || 'none';
}

/**
 * The hugepage sizes hugetlbfs can use, as DPDK's eal_hugepage_info_init
 * finds them: every size with a hugetlbfs mount (in-memory: every size with
 * pages reserved, as memfds need no mount), or only `pageSize` / only the
 * size of the `hugeDir` mount when one is given (DPDK's --huge-dir). Sizes
 * whose mount this user cannot write are left out, unless asked for by
 * name (then EPERM). Returns the sizes, smallest first, or the error that
 * makes hugetlbfs unusable: also ENOMEM when all of them together have
 * fewer free pages than `bytesNeeded`.
 *
 * @see eal_hugepage_info_init, get_hugepage_dir in DPDK eal_hugepage_info.c
 */
function hugetlbfsCheck(pageSize: number | undefined, hugeDir: string | undefined, bytesNeeded: number, inMemory: boolean): { sizes: PageSizeChoice[]; skipped: string } | RteError {
  if (!nativeAvailable()) {
    return new RteError('ENOTSUP', `hugetlbfs needs the native addon, which did not load: ${nativeLoadError()}`);
  }
  const infos = hugepageInfo();
  const defaultSize = defaultHugepageSize();
  if (infos.length === 0 || (defaultSize <= 0 && pageSize === undefined)) {
    return new RteError('ENOENT', 'the kernel reports no hugepage support (no Hugepagesize in /proc/meminfo)');
  }
  const named = pageSize !== undefined || hugeDir !== undefined;
  let candidates: PageSizeChoice[];
  if (hugeDir !== undefined && !inMemory) {
    const mount = hugepageMounts().find((m) => m.mountPoint === hugeDir);
    if (!mount) return new RteError('ENOENT', `hugeDir ${hugeDir} is not a hugetlbfs mount; ${mountHint(pageSize ?? defaultSize)}`);
    if (pageSize !== undefined && mount.pageSize !== pageSize) {
      return new RteError('EINVAL', `hugeDir ${hugeDir} has ${formatSize(mount.pageSize)} pages, ${formatSize(pageSize)} asked`);
    }
    const info = infos.find((h) => h.pageSize === mount.pageSize);
    if (!info) return new RteError('EINVAL', `hugeDir ${hugeDir} has ${formatSize(mount.pageSize)} pages, which the kernel does not offer (sizes: ${sizeList(infos)})`);
    candidates = [sizeChoice(info, hugeDir)];
  } else if (pageSize !== undefined) {
    const info = infos.find((h) => h.pageSize === pageSize);
    if (!info) return new RteError('EINVAL', `no ${formatSize(pageSize)} hugepages on this system (sizes: ${sizeList(infos)}); pass a supported pageSize`);
    if (!inMemory && info.mountPoint === null) return new RteError('ENOENT', `no hugetlbfs mount for ${formatSize(pageSize)} pages; ${mountHint(pageSize)}`);
    candidates = [sizeChoice(info, inMemory ? '' : info.mountPoint!)];
  } else if (inMemory) {
    // memfds need no mount: every size with pages reserved, else the default size.
    const reserved = infos.filter((h) => h.total > 0);
    candidates = (reserved.length > 0 ? reserved : infos.filter((h) => h.pageSize === defaultSize)).map((h) => sizeChoice(h, ''));
  } else {
    const mounted = infos.filter((h) => h.mountPoint !== null);
    if (mounted.length === 0) {
      return new RteError('ENOENT', `no hugetlbfs mount for any hugepage size (sizes: ${sizeList(infos)}); ${mountHint(defaultSize)}`);
    }
    candidates = mounted.map((h) => sizeChoice(h, h.mountPoint!));
  }
  let skipped = '';
  if (!named) {
    // A page larger than a memseg list's address span cannot be a segment of one.
    const tooBig = candidates.filter((c) => c.pageSize > LIST_SPAN);
    if (tooBig.length > 0 && tooBig.length < candidates.length) {
      skipped += `; ${tooBig.map((c) => `${formatSize(c.pageSize)} left out (larger than a memseg list)`).join(', ')}`;
      candidates = candidates.filter((c) => c.pageSize <= LIST_SPAN);
    }
  }
  if (!inMemory) {
    const usable = candidates.filter((c) => writable(c.dir));
    if (usable.length === 0 || (named && usable.length < candidates.length)) {
      const dir = candidates.find((c) => !writable(c.dir))!.dir;
      return new RteError('EPERM', `cannot write to ${dir}: run as root or give this user write access to the mount`);
    }
    if (usable.length < candidates.length) {
      skipped += `; ${candidates
        .filter((c) => !usable.includes(c))
        .map((c) => `${formatSize(c.pageSize)} left out (cannot write to ${c.dir})`)
        .join(', ')}`;
    }
    candidates = usable;
  }
  candidates.sort((a, b) => a.pageSize - b.pageSize);
  const freeBytes = candidates.reduce((sum, c) => sum + c.free * c.pageSize, 0);
  if (freeBytes < bytesNeeded) {
    const smallest = candidates[0]!;
    const needed = Math.ceil((bytesNeeded - freeBytes) / smallest.pageSize);
    const have = candidates.map((c) => `${c.free} x ${formatSize(c.pageSize)}`).join(' + ');
    return new RteError(
      'ENOMEM',
      `${formatSize(bytesNeeded)} of hugepages needed, ${have} free: reserve ${needed} more with ` +
        `\`echo ${smallest.total + needed} > /sys/kernel/mm/hugepages/${sysfsName(smallest.pageSize)}/nr_hugepages\` (or \`rtemem hugepages --setup\`)`,
    );
  }
  return { sizes: candidates, skipped };
}

function describeSizes(sizes: readonly PageSizeChoice[]): string {
  return sizes.map((c) => `${c.free} free ${formatSize(c.pageSize)} hugepages${c.dir ? ` on a hugetlbfs mount at ${c.dir}` : ''}`).join(', ');
}

function smallPages(backend: 'anonymous' | 'sab', reason: string, dir: string): BackendChoice {
  return { backend, reason, pageSize: OS_PAGE, pageDir: dir, sizes: [{ pageSize: OS_PAGE, dir, free: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY, freePerNode: null }] };
}

/**
 * Picks the backend for `Eal.init`, with the page sizes it makes lists of
 * (hugetlbfs: every size hugetlbfsCheck finds). Throws RteError when an
 * explicit choice cannot work.
 */
export function chooseBackend(
  want: 'auto' | Backend,
  opts: { pageSize?: number; hugeDir?: string; memory: number; inMemory: boolean },
): BackendChoice {
  if (want === 'sab') return smallPages('sab', 'requested', '');
  if (want === 'anonymous') {
    if (!nativeAvailable()) {
      throw new RteError('ENOTSUP', `the anonymous backend needs the native addon, which did not load: ${nativeLoadError()}; use backend 'sab'`);
    }
    return smallPages('anonymous', 'requested', opts.inMemory ? '' : SHM_DIR);
  }
  const huge = hugetlbfsCheck(opts.pageSize, opts.hugeDir, opts.memory, opts.inMemory);
  if (!(huge instanceof RteError)) {
    const smallest = huge.sizes[0]!;
    return {
      backend: 'hugetlbfs',
      reason: (want === 'hugetlbfs' ? 'requested' : `auto: ${describeSizes(huge.sizes)}`) + huge.skipped,
      pageSize: smallest.pageSize,
      pageDir: smallest.dir,
      sizes: huge.sizes,
    };
  }
  if (want === 'hugetlbfs') throw huge;
  if (nativeAvailable()) {
    return smallPages('anonymous', `auto: hugetlbfs unusable (${huge.message}); using 4 KiB pages in ${opts.inMemory ? 'memfd files' : SHM_DIR}`, opts.inMemory ? '' : SHM_DIR);
  }
  return smallPages('sab', `auto: the native addon did not load (${nativeLoadError()}); using plain SharedArrayBuffers (worker threads only)`, '');
}
