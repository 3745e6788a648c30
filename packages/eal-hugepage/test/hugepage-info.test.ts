import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHugepageSize, hugepageInfo, hugepageMounts, numaNodes, parseSize } from '../src/index.js';

// A fixture tree: path -> file content, under a fresh root.
function makeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rtemem-sysfs-'));
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
}

function sizeDir(base: string, kb: number, c: { nr: number; free: number; resv?: number; surplus?: number }): Record<string, string> {
  const d = `${base}/hugepages-${kb}kB`;
  return {
    [`${d}/nr_hugepages`]: `${c.nr}\n`,
    [`${d}/free_hugepages`]: `${c.free}\n`,
    [`${d}/resv_hugepages`]: `${c.resv ?? 0}\n`,
    [`${d}/surplus_hugepages`]: `${c.surplus ?? 0}\n`,
  };
}

function nodeDir(node: number, kb: number, nr: number, free: number): Record<string, string> {
  const d = `sys/devices/system/node/node${node}/hugepages/hugepages-${kb}kB`;
  return { [`${d}/nr_hugepages`]: `${nr}\n`, [`${d}/free_hugepages`]: `${free}\n` };
}

const MEMINFO_2M = 'MemTotal:       24684096 kB\nHugePages_Total:     768\nHugePages_Free:      700\nHugepagesize:       2048 kB\nHugetlb:         3670016 kB\n';

describe('hugepage discovery on fixture trees', () => {
  let twoSizes: string;
  let noMount: string;
  let noPagesizeOption: string;
  let empty: string;

  beforeAll(() => {
    // Two page sizes, two NUMA nodes, a 2M mount and a 1G mount.
    twoSizes = makeTree({
      'proc/meminfo': MEMINFO_2M,
      'proc/mounts':
        'sysfs /sys sysfs rw,nosuid 0 0\n' +
        'nodev /mnt/huge\\0402m hugetlbfs rw,relatime,pagesize=2M 0 0\n' +
        'nodev /mnt/huge1g hugetlbfs rw,relatime,pagesize=1024M 0 0\n' +
        'tmpfs /dev/shm tmpfs rw 0 0\n',
      ...sizeDir('sys/kernel/mm/hugepages', 2048, { nr: 768, free: 700, resv: 20, surplus: 2 }),
      ...sizeDir('sys/kernel/mm/hugepages', 1048576, { nr: 4, free: 3 }),
      ...nodeDir(0, 2048, 512, 480),
      ...nodeDir(1, 2048, 256, 220),
      ...nodeDir(0, 1048576, 2, 1),
      ...nodeDir(1, 1048576, 2, 2),
      'sys/devices/system/node/online': '0-1\n',
    });
    noMount = makeTree({
      'proc/meminfo': MEMINFO_2M,
      'proc/mounts': 'proc /proc proc rw 0 0\n',
      ...sizeDir('sys/kernel/mm/hugepages', 2048, { nr: 16, free: 16 }),
    });
    // A hugetlbfs mount without pagesize= uses the default hugepage size.
    noPagesizeOption = makeTree({
      'proc/meminfo': MEMINFO_2M,
      'proc/mounts': 'hugetlbfs /dev/hugepages hugetlbfs rw,relatime 0 0\n',
      ...sizeDir('sys/kernel/mm/hugepages', 2048, { nr: 8, free: 8 }),
      ...sizeDir('sys/kernel/mm/hugepages', 1048576, { nr: 0, free: 0 }),
    });
    empty = makeTree({ 'proc/mounts': '' });
  });

  afterAll(() => {
    for (const root of [twoSizes, noMount, noPagesizeOption, empty]) rmSync(root, { recursive: true, force: true });
  });

  it('lists both page sizes, smallest first, with free = free - reserved', () => {
    const info = hugepageInfo({ root: twoSizes });
    expect(info.map((h) => h.pageSize)).toEqual([2 * 1024 * 1024, 1024 * 1024 * 1024]);
    expect(info[0]).toMatchObject({ total: 768, free: 680, reserved: 20, surplus: 2 });
    expect(info[1]).toMatchObject({ total: 4, free: 3, reserved: 0, surplus: 0 });
  });

  it('reports per-NUMA-node counts for each size', () => {
    const info = hugepageInfo({ root: twoSizes });
    expect(info[0]!.perNode).toEqual([
      { node: 0, total: 512, free: 480 },
      { node: 1, total: 256, free: 220 },
    ]);
    expect(info[1]!.perNode).toEqual([
      { node: 0, total: 2, free: 1 },
      { node: 1, total: 2, free: 2 },
    ]);
    expect(numaNodes({ root: twoSizes })).toEqual([0, 1]);
  });

  it('finds each size its mount, decoding escaped mount paths', () => {
    const info = hugepageInfo({ root: twoSizes });
    expect(info[0]!.mountPoint).toBe('/mnt/huge 2m');
    expect(info[1]!.mountPoint).toBe('/mnt/huge1g');
    expect(hugepageMounts({ root: twoSizes })).toEqual([
      { mountPoint: '/mnt/huge 2m', pageSize: 2 * 1024 * 1024 },
      { mountPoint: '/mnt/huge1g', pageSize: 1024 * 1024 * 1024 },
    ]);
  });

  it('reports mountPoint null when nothing is mounted', () => {
    const info = hugepageInfo({ root: noMount });
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ pageSize: 2097152, total: 16, free: 16, mountPoint: null, perNode: [] });
    expect(hugepageMounts({ root: noMount })).toEqual([]);
  });

  it('gives a mount without pagesize= the default hugepage size', () => {
    expect(hugepageMounts({ root: noPagesizeOption })).toEqual([{ mountPoint: '/dev/hugepages', pageSize: 2097152 }]);
    const info = hugepageInfo({ root: noPagesizeOption });
    expect(info.find((h) => h.pageSize === 2097152)!.mountPoint).toBe('/dev/hugepages');
    expect(info.find((h) => h.pageSize === 1073741824)!.mountPoint).toBeNull();
  });

  it('reads the default size from /proc/meminfo, 0 without hugepage support', () => {
    expect(defaultHugepageSize({ root: twoSizes })).toBe(2097152);
    expect(defaultHugepageSize({ root: empty })).toBe(0);
    expect(hugepageInfo({ root: empty })).toEqual([]);
    expect(numaNodes({ root: empty })).toEqual([0]);
  });

  it('parses sizes with K/M/G suffixes', () => {
    expect(parseSize('2M')).toBe(2097152);
    expect(parseSize('1G')).toBe(1073741824);
    expect(parseSize('2048k')).toBe(2097152);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('1024M')).toBe(1073741824);
    expect(parseSize('huge')).toBeNaN();
  });
});

describe('hugepage discovery on this machine', () => {
  it('agrees with /proc/meminfo for the default size', () => {
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const total = Number(/^HugePages_Total:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
    const size = defaultHugepageSize();
    const info = hugepageInfo().find((h) => h.pageSize === size);
    if (size === 0) {
      expect(info).toBeUndefined();
      return;
    }
    expect(info!.total).toBe(total);
    expect(info!.free).toBeLessThanOrEqual(info!.total);
  });
});
