/**
 * Hugepage discovery: what the kernel offers, per page size and NUMA node,
 * and where hugetlbfs is mounted. Pure TypeScript over sysfs and procfs; every
 * function takes a `root` so that tests run it on fixture trees.
 *
 * @see eal_hugepage_info_init in DPDK lib/eal/linux/eal_hugepage_info.c
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Options shared by the discovery functions. */
export interface DiscoveryOptions {
  /** Filesystem root to read `/sys` and `/proc` under; default `/`. */
  root?: string;
}

/** Hugepages of one size on one NUMA node. */
export interface HugepageNodeInfo {
  node: number;
  total: number;
  free: number;
}

/** Hugepages of one size. */
export interface HugepageInfo {
  /** Page size in bytes. */
  pageSize: number;
  /** nr_hugepages */
  total: number;
  /** free_hugepages - resv_hugepages: what a new mapping can take. */
  free: number;
  /** resv_hugepages */
  reserved: number;
  /** surplus_hugepages */
  surplus: number;
  /** The first hugetlbfs mount of this page size, or null when none is mounted. */
  mountPoint: string | null;
  perNode: HugepageNodeInfo[];
}

/** A hugetlbfs mount. */
export interface HugepageMount {
  mountPoint: string;
  pageSize: number;
}

const SIZE_DIR = /^hugepages-(\d+)kB$/;
const NODE_DIR = /^node(\d+)$/;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readCount(path: string): number {
  const text = readText(path);
  if (text === null) return 0;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : 0;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

// The root of calls that pass none: '/', or a fixture tree a test set.
let defaultRoot = '/';

/**
 * Makes every discovery call that passes no `root` read under `root` (null:
 * '/' again), so that a test can run Eal.init over a fixture tree: fake
 * hugepage counts and a fake mount table whose mount points are real
 * directories. For tests only; not exported by the package.
 */
export function setDefaultDiscoveryRoot(root: string | null): void {
  defaultRoot = root ?? '/';
}

function rootOf(opts?: DiscoveryOptions): string {
  return opts?.root ?? defaultRoot;
}

/**
 * Parses a size with an optional K/M/G suffix (as in `pagesize=2M` or
 * `hugepagesz=1G`), in bytes; NaN when it is not one.
 */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kKmMgG]?)[bB]?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  switch (m[2]!.toLowerCase()) {
    case 'k':
      return n * 1024;
    case 'm':
      return n * 1024 * 1024;
    case 'g':
      return n * 1024 * 1024 * 1024;
    default:
      return n;
  }
}

/**
 * The default hugepage size in bytes (`Hugepagesize` in /proc/meminfo), or 0
 * when the kernel has no hugepage support.
 *
 * @see get_default_hp_size in DPDK eal_hugepage_info.c
 */
export function defaultHugepageSize(opts?: DiscoveryOptions): number {
  const text = readText(join(rootOf(opts), 'proc/meminfo'));
  if (text === null) return 0;
  const m = /^Hugepagesize:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/**
 * Every hugetlbfs mount with its page size (`pagesize=` option, or the
 * default hugepage size when the option is absent).
 *
 * @see get_hugepage_dir in DPDK eal_hugepage_info.c
 */
export function hugepageMounts(opts?: DiscoveryOptions): HugepageMount[] {
  const text = readText(join(rootOf(opts), 'proc/mounts'));
  if (text === null) return [];
  const fallback = defaultHugepageSize(opts);
  const mounts: HugepageMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(/\s+/);
    if (fields.length < 4 || fields[2] !== 'hugetlbfs') continue;
    let pageSize = fallback;
    for (const option of fields[3]!.split(',')) {
      if (option.startsWith('pagesize=')) pageSize = parseSize(option.slice('pagesize='.length));
    }
    if (Number.isFinite(pageSize) && pageSize > 0) {
      mounts.push({ mountPoint: unescapeMount(fields[1]!), pageSize });
    }
  }
  return mounts;
}

/** NUMA node ids present under /sys/devices/system/node; [0] when there is no NUMA information. */
export function numaNodes(opts?: DiscoveryOptions): number[] {
  const nodes = listDir(join(rootOf(opts), 'sys/devices/system/node'))
    .map((name) => NODE_DIR.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return nodes.length > 0 ? nodes : [0];
}

/**
 * One entry per hugepage size the kernel supports (/sys/kernel/mm/hugepages),
 * smallest first, with counts, the mount point and per-node counts.
 *
 * @example
 * ```ts
 * import { hugepageInfo } from '@rtemem/eal-hugepage';
 * for (const h of hugepageInfo()) console.log(h.pageSize, h.free, h.mountPoint);
 * ```
 * @see eal_hugepage_info_init in DPDK eal_hugepage_info.c
 */
export function hugepageInfo(opts?: DiscoveryOptions): HugepageInfo[] {
  const root = rootOf(opts);
  const base = join(root, 'sys/kernel/mm/hugepages');
  const mounts = hugepageMounts(opts);
  const nodeBase = join(root, 'sys/devices/system/node');
  const nodeDirs = listDir(nodeBase)
    .map((name) => NODE_DIR.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const infos: HugepageInfo[] = [];
  for (const dir of listDir(base)) {
    const m = SIZE_DIR.exec(dir);
    if (!m) continue;
    const pageSize = Number(m[1]) * 1024;
    const sizeDir = join(base, dir);
    const total = readCount(join(sizeDir, 'nr_hugepages'));
    const freeRaw = readCount(join(sizeDir, 'free_hugepages'));
    const reserved = readCount(join(sizeDir, 'resv_hugepages'));
    const surplus = readCount(join(sizeDir, 'surplus_hugepages'));
    const perNode: HugepageNodeInfo[] = [];
    for (const node of nodeDirs) {
      const nodeDir = join(nodeBase, `node${node}`, 'hugepages', dir);
      const nodeText = readText(join(nodeDir, 'nr_hugepages'));
      if (nodeText === null) continue;
      perNode.push({ node, total: readCount(join(nodeDir, 'nr_hugepages')), free: readCount(join(nodeDir, 'free_hugepages')) });
    }
    const mount = mounts.find((mt) => mt.pageSize === pageSize);
    infos.push({
      pageSize,
      total,
      free: Math.max(0, freeRaw - reserved),
      reserved,
      surplus,
      mountPoint: mount ? mount.mountPoint : null,
      perNode,
    });
  }
  return infos.sort((a, b) => a.pageSize - b.pageSize);
}
