/**
 * Fake hugepage sizes for tests on machines that lack them: a fixture
 * sysfs/procfs tree (hugepage counts, /proc/meminfo, /proc/mounts) that
 * keeps this machine's real hugepages as they are and adds fake sizes whose
 * "mount point" is a plain directory on tmpfs. Nothing is mounted and /sys
 * is never written: the EAL reads the tree through the discovery root
 * (setDefaultDiscoveryRoot in @rtemem/eal-hugepage's hugepage-info.ts).
 *
 * A list of a fake size is real shared memory (a tmpfs file, mapped,
 * fallocated and faulted in like a hugetlbfs file) with 4 KiB pages under
 * it: every layer above sees a list of that page size, but the kernel's
 * page size, physical contiguity and hugepage accounting are not real.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hugepageInfo, nativeAvailable } from '@rtemem/eal-hugepage';

/** A hugepage size to fake. */
export interface FakeSize {
  pageSize: number;
  total: number;
  free: number;
  /** Give it a mount point (a fresh directory on tmpfs); default true. */
  mounted?: boolean;
}

/** A fixture tree and the directories standing in for mounts. */
export interface FakeHugepageRoot {
  /** The root to read /sys and /proc under. */
  root: string;
  /** The directory standing in for each fake size's mount. */
  mounts: Map<number, string>;
  /** Removes the tree and the fake mount directories (call in finally). */
  remove(): void;
}

/** Where fake mount directories go: tmpfs, as a hugetlbfs file is memory too. */
const FAKE_MOUNT_PARENT = '/dev/shm';

/**
 * A fixture tree with this machine's hugepage sizes (counts and mounts as
 * they are now; `keepReal` false leaves them out) and the `fake` sizes.
 */
export function fakeHugepageRoot(fake: readonly FakeSize[], keepReal = true): FakeHugepageRoot {
  const root = mkdtempSync(join(tmpdir(), 'rtemem-fakesys-'));
  const mounts = new Map<number, string>();
  const files: Record<string, string> = {};
  const mountLines: string[] = [];
  const real = keepReal ? hugepageInfo() : [];
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  files['proc/meminfo'] = keepReal ? meminfo : meminfo.replace(/^Hugepagesize:.*$/m, `Hugepagesize:    ${fake[0]!.pageSize / 1024} kB`);
  const sizeFiles = (kb: number, total: number, free: number, resv: number) => {
    const d = `sys/kernel/mm/hugepages/hugepages-${kb}kB`;
    files[`${d}/nr_hugepages`] = `${total}\n`;
    files[`${d}/free_hugepages`] = `${free}\n`;
    files[`${d}/resv_hugepages`] = `${resv}\n`;
    files[`${d}/surplus_hugepages`] = '0\n';
  };
  for (const h of real) {
    sizeFiles(h.pageSize / 1024, h.total, h.free + h.reserved, h.reserved);
    if (h.mountPoint !== null) mountLines.push(`nodev ${h.mountPoint} hugetlbfs rw,relatime,pagesize=${h.pageSize / 1024}k 0 0`);
  }
  try {
    for (const f of fake) {
      sizeFiles(f.pageSize / 1024, f.total, f.free, 0);
      if (f.mounted === false) continue;
      const dir = mkdtempSync(join(FAKE_MOUNT_PARENT, `rtemem-fake${f.pageSize / 1024}k-`));
      mounts.set(f.pageSize, dir);
      mountLines.push(`nodev ${dir} hugetlbfs rw,relatime,pagesize=${f.pageSize / 1024}k 0 0`);
    }
    files['proc/mounts'] = `${mountLines.join('\n')}\n`;
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  } catch (e) {
    for (const dir of mounts.values()) rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  return {
    root,
    mounts,
    remove() {
      for (const dir of mounts.values()) rmSync(dir, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Whether this machine has `minFree` free hugepages of `pageSize` on a
 * mount this user can write (so a test can use them for real), and if not,
 * why.
 */
export function hugepageSizeStatus(pageSize: number, minFree = 1): { usable: boolean; reason: string } {
  const kb = pageSize / 1024;
  if (!nativeAvailable()) return { usable: false, reason: 'native addon not loaded' };
  const info = hugepageInfo().find((h) => h.pageSize === pageSize);
  if (!info) return { usable: false, reason: `the kernel offers no ${kb} kB hugepages (no /sys/kernel/mm/hugepages/hugepages-${kb}kB)` };
  if (info.free < minFree) return { usable: false, reason: `${info.free} free ${kb} kB hugepages, ${minFree} needed` };
  if (info.mountPoint === null) return { usable: false, reason: `no hugetlbfs mount for ${kb} kB pages` };
  try {
    accessSync(info.mountPoint, constants.W_OK);
  } catch {
    return { usable: false, reason: `no write access to ${info.mountPoint}` };
  }
  return { usable: true, reason: `${info.free} free ${kb} kB hugepages at ${info.mountPoint}` };
}
