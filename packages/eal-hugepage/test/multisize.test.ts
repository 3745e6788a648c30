// Several hugepage sizes in one EAL, as DPDK: which sizes the EAL takes
// (every size with a mount, or the one pageSize / hugeDir names), how the
// memory asked for is split between them (largest first), the memseg lists
// per page size and socket, and the config's page size table that
// secondaries map each list's directory from.
//
// What is real and what is simulated: this machine has 2 MiB hugepages
// only. The 2 MiB lists below are real hugetlbfs files in the real mount.
// A 1 GiB size comes from a fixture tree (fakeHugepageRoot: fake counts in
// a fake /sys, a fake /proc/mounts line) whose mount point is a plain
// directory on tmpfs: its lists are real shared files, fallocated, mapped
// and faulted in, but with 4 KiB pages under them, so the kernel's page
// size, physical contiguity and hugepage counts are not real for them.
// Real 1 GiB pages are tested at the end, where the machine has them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeHugepages,
  fakeHugepageRoot,
  type FakeHugepageRoot,
  hugepageSizeStatus,
  Peer,
  skipWithoutNative,
  nativeTitle,
  uniquePrefix,
} from '../../testkit/src/index.js';
import { chooseBackend, type PageSizeChoice } from '../src/backend.js';
import { setDefaultDiscoveryRoot } from '../src/hugepage-info.js';
import { planLists, planPages } from '../src/init-primary.js';
import { Eal, hugepageInfo, LIST_SPAN, MAX_LISTS, RteError } from '../src/index.js';
import { SEG_F_DO_NOT_FREE, SEG_F_USED } from '../src/layout.js';
import { segState } from '../src/memseg-list.js';

const PEER = new URL('./fixtures/eal-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function size(pageSize: number, free: number, perNode: [number, number][] | null = null): PageSizeChoice {
  return { pageSize, dir: '', free, total: free, freePerNode: perNode === null ? null : new Map(perNode) };
}

function errorOf(fn: () => unknown): RteError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RteError);
    return e as RteError;
  }
  throw new Error('expected an RteError');
}

// Bytes per socket of one page size, as plain pairs.
function split(bySize: Map<number, Map<number, number>>): [number, [number, number][]][] {
  return [...bySize].map(([pageSize, perSocket]) => [pageSize, [...perSocket]]);
}

describe('splitting memory between page sizes (planPages: eal_dynmem_calc_num_pages_per_socket)', () => {
  it('takes the largest size first, as many whole pages as fit and are free, the rest from smaller sizes', () => {
    // 64 MiB: no whole 1 GiB page fits, and 2 MiB pages hold it all.
    expect(split(planPages(new Map([[0, 64 * MiB]]), [size(2 * MiB, 100), size(GiB, 2)]))).toEqual([
      [2 * MiB, [[0, 64 * MiB]]],
      [GiB, [[0, 0]]],
    ]);
    // 1.5 GiB with 512 free 2 MiB pages: one 1 GiB page, 512 MiB of 2 MiB pages.
    expect(split(planPages(new Map([[0, 1536 * MiB]]), [size(2 * MiB, 512), size(GiB, 2)]))).toEqual([
      [2 * MiB, [[0, 512 * MiB]]],
      [GiB, [[0, GiB]]],
    ]);
    // 3 GiB with only 2 free 1 GiB pages: both, then 1 GiB of 2 MiB pages.
    expect(split(planPages(new Map([[0, 3 * GiB]]), [size(GiB, 2), size(2 * MiB, 1024)]))).toEqual([
      [2 * MiB, [[0, GiB]]],
      [GiB, [[0, 2 * GiB]]],
    ]);
  });

  it('rounds up with one more large page when the smaller sizes cannot hold the rest', () => {
    // 1.5 GiB, but only 100 free 2 MiB pages (200 MiB): two 1 GiB pages.
    expect(split(planPages(new Map([[0, 1536 * MiB]]), [size(2 * MiB, 100), size(GiB, 2)]))).toEqual([
      [2 * MiB, [[0, 0]]],
      [GiB, [[0, 2 * GiB]]],
    ]);
    // 4 MiB with no free 2 MiB pages: one 1 GiB page.
    expect(split(planPages(new Map([[0, 4 * MiB]]), [size(2 * MiB, 0), size(GiB, 1)]))).toEqual([
      [2 * MiB, [[0, 0]]],
      [GiB, [[0, GiB]]],
    ]);
  });

  it('counts free pages per NUMA node when the system has per-node counts', () => {
    const sizes = [
      size(2 * MiB, 600, [
        [0, 300],
        [1, 300],
      ]),
      size(GiB, 2, [
        [0, 2],
        [1, 0],
      ]),
    ];
    const plan = planPages(
      new Map([
        [0, GiB],
        [1, GiB / 2],
      ]),
      sizes,
    );
    expect(split(plan)).toEqual([
      [
        2 * MiB,
        [
          [0, 0],
          [1, GiB / 2],
        ],
      ],
      [
        GiB,
        [
          [0, GiB],
          [1, 0],
        ],
      ],
    ]);
  });

  it('is ENOMEM when a socket cannot be covered, naming the free pages of each size and what to do', () => {
    const e = errorOf(() => planPages(new Map([[0, 4 * GiB]]), [size(2 * MiB, 10), size(GiB, 2)]));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toContain('cannot reserve 4 GiB on socket 0');
    expect(e.message).toContain('10 x 2 MiB + 2 x 1 GiB');
    expect(e.message).toContain('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages');
  });

  it('leaves one size (4 KiB pages, no count to check) as it was', () => {
    expect(split(planPages(new Map([[0, 12 * 4096]]), [size(4096, Number.POSITIVE_INFINITY)]))).toEqual([[4096, [[0, 12 * 4096]]]]);
  });
});

describe('splitting memory between page sizes: properties (fast-check)', () => {
  it('covers each socket in whole free pages, over by less than one page of the largest size, and fails only when the free pages cannot', () => {
    const sizeArb = fc.uniqueArray(fc.constantFrom(2 * MiB, 32 * MiB, 256 * MiB, GiB), { minLength: 1, maxLength: 4 });
    const case_ = sizeArb.chain((pageSizes) =>
      fc.record({
        sizes: fc.constant(pageSizes),
        // Free pages of each size on sockets 0 and 1.
        free: fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { minLength: pageSizes.length, maxLength: pageSizes.length }),
        // Memory per socket, in pages of the smallest size.
        mem: fc.tuple(fc.nat(3000), fc.nat(3000)),
      }),
    );
    fc.assert(
      fc.property(case_, ({ sizes, free, mem }) => {
        const smallest = Math.min(...sizes);
        const choices = sizes.map((pageSize, i) =>
          size(pageSize, free[i]![0] + free[i]![1], [
            [0, free[i]![0]],
            [1, free[i]![1]],
          ]),
        );
        const memPerSocket = new Map([
          [0, mem[0] * smallest],
          [1, mem[1] * smallest],
        ]);
        const freeBytes = (socket: 0 | 1) => sizes.reduce((sum, pageSize, i) => sum + pageSize * free[i]![socket], 0);
        const enough = freeBytes(0) >= memPerSocket.get(0)! && freeBytes(1) >= memPerSocket.get(1)!;
        let plan: Map<number, Map<number, number>>;
        try {
          plan = planPages(memPerSocket, choices);
        } catch (e) {
          expect((e as RteError).code).toBe('ENOMEM');
          expect(enough).toBe(false);
          return;
        }
        expect(enough).toBe(true);
        expect([...plan.keys()]).toEqual([...sizes].sort((a, b) => a - b));
        for (const socket of [0, 1] as const) {
          let total = 0;
          for (const [pageSize, perSocket] of plan) {
            const bytes = perSocket.get(socket)!;
            expect(bytes % pageSize).toBe(0);
            expect(bytes / pageSize).toBeLessThanOrEqual(free[sizes.indexOf(pageSize)]![socket]);
            total += bytes;
          }
          expect(total).toBeGreaterThanOrEqual(memPerSocket.get(socket)!);
          expect(total - memPerSocket.get(socket)!).toBeLessThan(Math.max(...sizes));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('memseg lists per page size and socket (planLists: eal_dynmem_memseg_lists_init)', () => {
  it('makes lists of each size for each socket, smallest size first; a 1 GiB list holds one page', () => {
    const bySize = new Map([
      [
        2 * MiB,
        new Map([
          [0, 64 * MiB],
          [1, 0],
        ]),
      ],
      [
        GiB,
        new Map([
          [0, 2 * GiB],
          [1, 0],
        ]),
      ],
    ]);
    const plan = planLists(bySize, false, null);
    expect(plan).toEqual([
      { pageSize: 2 * MiB, socketId: 0, length: LIST_SPAN },
      { pageSize: 2 * MiB, socketId: 1, length: LIST_SPAN },
      { pageSize: GiB, socketId: 0, length: GiB },
      { pageSize: GiB, socketId: 0, length: GiB },
      { pageSize: GiB, socketId: 1, length: GiB },
    ]);
  });

  it('counts the lists of every size against MAX_LISTS, and says to ask for one pageSize', () => {
    const bySize = new Map([
      [2 * MiB, new Map([[0, 0]])],
      [GiB, new Map([[0, 0]])],
    ]);
    expect(planLists(bySize, false, (MAX_LISTS / 2) * LIST_SPAN)).toHaveLength(MAX_LISTS);
    const e = errorOf(() => planLists(bySize, false, (MAX_LISTS / 2 + 1) * LIST_SPAN));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/memseg lists needed \(page sizes 2 MiB, 1 GiB\), at most 32: .*one pageSize/);
  });
});

// Runs fn with the EAL's sysfs/procfs reads going to `fake.root`.
function withRoot<T>(fake: FakeHugepageRoot, fn: () => T): T {
  setDefaultDiscoveryRoot(fake.root);
  try {
    return fn();
  } finally {
    setDefaultDiscoveryRoot(null);
  }
}

describe.skipIf(skipWithoutNative)(nativeTitle('which page sizes hugetlbfs takes, on fixture trees (chooseBackend: eal_hugepage_info_init)'), () => {
  const opts = { memory: 64 * MiB, inMemory: false };

  it('takes every size with a mount, smallest first, each with its own directory; a page larger than a list is left out', () => {
    const fake = fakeHugepageRoot(
      [
        { pageSize: 2 * MiB, total: 512, free: 500 },
        { pageSize: GiB, total: 4, free: 3 },
        { pageSize: 16 * GiB, total: 1, free: 1 },
      ],
      false,
    );
    try {
      const c = withRoot(fake, () => chooseBackend('auto', opts));
      expect(c.backend).toBe('hugetlbfs');
      expect(c.sizes.map((s) => [s.pageSize, s.dir, s.free])).toEqual([
        [2 * MiB, fake.mounts.get(2 * MiB), 500],
        [GiB, fake.mounts.get(GiB), 3],
      ]);
      expect([c.pageSize, c.pageDir]).toEqual([2 * MiB, fake.mounts.get(2 * MiB)]);
      expect(c.reason).toContain(`500 free 2 MiB hugepages on a hugetlbfs mount at ${fake.mounts.get(2 * MiB)}`);
      expect(c.reason).toContain(`3 free 1 GiB hugepages on a hugetlbfs mount at ${fake.mounts.get(GiB)}`);
      expect(c.reason).toContain('16 GiB left out (larger than a memseg list)');
    } finally {
      fake.remove();
    }
  });

  it('takes one size for pageSize or hugeDir (as --huge-dir), and refuses a size the kernel lacks, naming those it has', () => {
    const fake = fakeHugepageRoot(
      [
        { pageSize: 2 * MiB, total: 512, free: 500 },
        { pageSize: GiB, total: 4, free: 3 },
      ],
      false,
    );
    try {
      withRoot(fake, () => {
        expect(chooseBackend('hugetlbfs', { ...opts, pageSize: 2 * MiB }).sizes.map((s) => s.pageSize)).toEqual([2 * MiB]);
        const byDir = chooseBackend('hugetlbfs', { ...opts, hugeDir: fake.mounts.get(GiB)! });
        expect(byDir.sizes.map((s) => [s.pageSize, s.dir])).toEqual([[GiB, fake.mounts.get(GiB)]]);
        expect(byDir.pageSize).toBe(GiB);
        const e = errorOf(() => chooseBackend('hugetlbfs', { ...opts, pageSize: 4 * MiB }));
        expect(e.code).toBe('EINVAL');
        expect(e.message).toContain('sizes: 2 MiB, 1 GiB');
        expect(errorOf(() => chooseBackend('hugetlbfs', { ...opts, pageSize: 2 * MiB, hugeDir: fake.mounts.get(GiB)! })).code).toBe('EINVAL');
      });
    } finally {
      fake.remove();
    }
  });

  it('leaves out a size without a mount (a memfd needs none: in-memory takes every size with pages reserved)', () => {
    const fake = fakeHugepageRoot(
      [
        { pageSize: 2 * MiB, total: 512, free: 500 },
        { pageSize: GiB, total: 2, free: 2, mounted: false },
        { pageSize: 32 * MiB, total: 0, free: 0, mounted: false },
      ],
      false,
    );
    try {
      withRoot(fake, () => {
        expect(chooseBackend('hugetlbfs', opts).sizes.map((s) => s.pageSize)).toEqual([2 * MiB]);
        const inMemory = chooseBackend('hugetlbfs', { ...opts, inMemory: true });
        expect(inMemory.sizes.map((s) => [s.pageSize, s.dir])).toEqual([
          [2 * MiB, ''],
          [GiB, ''],
        ]);
        const e = errorOf(() => chooseBackend('hugetlbfs', { ...opts, pageSize: GiB }));
        expect(e.code).toBe('ENOENT');
        expect(e.message).toContain('no hugetlbfs mount for 1 GiB pages');
      });
    } finally {
      fake.remove();
    }
  });

  it('counts the free pages of every size before it gives up (ENOMEM, or the anonymous backend for auto)', () => {
    const fake = fakeHugepageRoot(
      [
        { pageSize: 2 * MiB, total: 8, free: 4 },
        { pageSize: GiB, total: 1, free: 1 },
      ],
      false,
    );
    try {
      withRoot(fake, () => {
        // 8 MiB + 1 GiB free: 1 GiB fits, 2 GiB does not.
        expect(chooseBackend('hugetlbfs', { ...opts, memory: GiB }).sizes).toHaveLength(2);
        const e = errorOf(() => chooseBackend('hugetlbfs', { ...opts, memory: 2 * GiB }));
        expect(e.code).toBe('ENOMEM');
        expect(e.message).toContain('2 GiB of hugepages needed, 4 x 2 MiB + 1 x 1 GiB free');
        expect(e.message).toContain('echo 516 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages');
        const auto = chooseBackend('auto', { ...opts, memory: 2 * GiB });
        expect(auto.backend).toBe('anonymous');
        expect(auto.sizes.map((s) => s.pageSize)).toEqual([4096]);
      });
    } finally {
      fake.remove();
    }
  });

  it('is ENOENT, naming the sizes, when no size has a mount', () => {
    const fake = fakeHugepageRoot([{ pageSize: 2 * MiB, total: 8, free: 8, mounted: false }], false);
    try {
      const e = withRoot(fake, () => errorOf(() => chooseBackend('hugetlbfs', opts)));
      expect(e.code).toBe('ENOENT');
      expect(e.message).toContain('no hugetlbfs mount for any hugepage size (sizes: 2 MiB)');
    } finally {
      fake.remove();
    }
  });
});

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

// Bytes of memory a list file holds (hugetlbfs and tmpfs count what is allocated).
function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

function filesOf(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(prefix));
}

describeHugepages('an EAL of real 2 MiB pages and simulated 1 GiB pages (a fake 1 GiB mount on tmpfs)', () => {
  const real2m = () => hugepageInfo().find((h) => h.pageSize === 2 * MiB)!.mountPoint!;

  it('reserves 1 GiB + 4 MiB as one 1 GiB page and two 2 MiB pages, in lists per size, files on each size mount', async () => {
    const fake = fakeHugepageRoot([{ pageSize: GiB, total: 2, free: 2 }]);
    const dir1g = fake.mounts.get(GiB)!;
    let prefix = '';
    try {
      const eal = withRoot(fake, () => Eal.init({ backend: 'hugetlbfs', memory: GiB + 4 * MiB, filePrefix: uniquePrefix('two') }));
      eals.push(eal);
      prefix = eal.filePrefix;
      expect(eal.pageSizes).toEqual([2 * MiB, GiB]);
      expect(eal.pageSize).toBe(2 * MiB);
      expect(eal.config.pageSizes()).toEqual([
        { pageSize: 2 * MiB, dir: real2m() },
        { pageSize: GiB, dir: dir1g },
      ]);
      expect(eal.lists.map((l) => [l.index, l.pageSize, l.socketId, l.nSegs])).toEqual([
        [1, 2 * MiB, 0, LIST_SPAN / (2 * MiB)],
        [2, GiB, 0, 1],
      ]);
      // Up front, never given back: two real 2 MiB pages and the 1 GiB one.
      expect(eal.usedSegments(1)).toBe(2);
      expect(eal.usedSegments(2)).toBe(1);
      expect(segState(eal.config, eal.lists[1]!, 0)).toBe(SEG_F_USED | SEG_F_DO_NOT_FREE);
      expect(filesOf(real2m(), prefix)).toEqual([`${prefix}map_1`]);
      expect(filesOf(dir1g, prefix)).toEqual([`${prefix}map_2`]);
      // The files hold that much memory (not the free counts: other suites on this machine take pages too).
      expect(allocated(join(real2m(), `${prefix}map_1`))).toBe(4 * MiB);
      expect(allocated(join(dir1g, `${prefix}map_2`))).toBe(GiB);
      const dump = eal.dump().split('\n');
      expect(dump[1]).toBe('  page sizes 2 MiB, 1 GiB');
      expect(dump[2]).toContain(`page files: 2 MiB in ${real2m()}, 1 GiB in ${dir1g}`);
      expect(dump).toContain(`  list 2: socket 0, 1 x 1 GiB, 1 backed (1 GiB), addr 0x${(2 * LIST_SPAN).toString(16)}${eal.lists[1]!.va !== 0n ? `, va 0x${eal.lists[1]!.va.toString(16)}` : ''}`);

      // A secondary maps each list from its size's directory (the page size
      // table): it reads the primary's bytes at the end of the 1 GiB page and
      // writes some back.
      const list2 = eal.lists[1]!;
      list2.u8.set([7, 8, 9], GiB - 3);
      const peer = await Peer.child(PEER);
      peers.push(peer);
      expect(await peer.call('init', { processType: 'secondary', filePrefix: prefix })).toMatchObject({ processType: 'secondary', lists: 2 });
      expect(await peer.call('read', { index: 2, off: GiB - 3, len: 3 })).toEqual([7, 8, 9]);
      await peer.call('write', { index: 1, off: 100, bytes: [42] });
      expect(eal.lists[0]!.u8[100]).toBe(42);
      await peer.close();
      peers.length = 0;
      eals.pop()!.cleanup();
      // Cleanup unlinks the files on both mounts: the pages go back.
      expect(filesOf(real2m(), prefix)).toEqual([]);
      expect(filesOf(dir1g, prefix)).toEqual([]);
    } finally {
      while (eals.length) eals.pop()!.cleanup();
      fake.remove();
    }
    expect(existsSync(dir1g)).toBe(false);
  });

  it('makes 1 GiB lists with no memory when 2 MiB pages hold what is asked; pageSize keeps to one size', () => {
    const fake = fakeHugepageRoot([{ pageSize: GiB, total: 2, free: 2 }]);
    try {
      const eal = withRoot(fake, () => Eal.init({ backend: 'hugetlbfs', memory: 16 * MiB, filePrefix: uniquePrefix('small') }));
      eals.push(eal);
      expect(eal.lists.map((l) => [l.pageSize, eal.usedSegments(l.index)])).toEqual([
        [2 * MiB, 8],
        [GiB, 0],
      ]);
      expect(eal.backendReason).toBe('requested');
      const one = withRoot(fake, () => Eal.init({ backend: 'hugetlbfs', pageSize: 2 * MiB, memory: 16 * MiB, filePrefix: uniquePrefix('one') }));
      eals.push(one);
      expect(one.pageSizes).toEqual([2 * MiB]);
      expect(one.lists.map((l) => l.pageSize)).toEqual([2 * MiB]);
      expect(filesOf(fake.mounts.get(GiB)!, one.filePrefix)).toEqual([]);
      const auto = withRoot(fake, () => Eal.init({ memory: 16 * MiB, filePrefix: uniquePrefix('auto') }));
      eals.push(auto);
      expect(auto.backendReason).toMatch(/^auto: \d+ free 2 MiB hugepages on a hugetlbfs mount at .*, 2 free 1 GiB hugepages on a hugetlbfs mount at /);
    } finally {
      while (eals.length) eals.pop()!.cleanup();
      fake.remove();
    }
  });
});

describeHugepages('the page size table on this machine', () => {
  it('names the one real size and its mount; worker threads see the same table', () => {
    const info = hugepageInfo().find((h) => h.mountPoint !== null)!;
    const eal = Eal.init({ backend: 'hugetlbfs', pageSize: info.pageSize, memory: 4 * MiB, filePrefix: uniquePrefix('table') });
    eals.push(eal);
    expect(eal.pageSizes).toEqual([info.pageSize]);
    expect(eal.config.pageSizes()).toEqual([{ pageSize: info.pageSize, dir: info.mountPoint }]);
    expect(Eal.attach(eal.workerData()).pageSizes).toEqual([info.pageSize]);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('the page size table of the other backends'), () => {
  it('has 4 KiB pages (anonymous: in /dev/shm; sab: no directory)', () => {
    const anon = Eal.init({ backend: 'anonymous', memory: MiB, filePrefix: uniquePrefix('anon') });
    eals.push(anon);
    expect(anon.config.pageSizes()).toEqual([{ pageSize: 4096, dir: '/dev/shm' }]);
    const sab = Eal.init({ backend: 'sab', memory: MiB });
    eals.push(sab);
    expect(sab.config.pageSizes()).toEqual([{ pageSize: 4096, dir: '' }]);
  });
});

// Real 1 GiB hugepages: only where the machine has a free one on a
// writable mount. Elsewhere this skips, also under RTEMEM_REQUIRE_HUGEPAGES=1
// (which asks for hugepages, not for 1 GiB ones).
const oneGiB = hugepageSizeStatus(GiB);
describe.skipIf(!oneGiB.usable)(
  `real 1 GiB hugepages${oneGiB.usable ? '' : ` [skipped, also under RTEMEM_REQUIRE_HUGEPAGES=1: this machine has no usable 1 GiB hugepages: ${oneGiB.reason}]`}`,
  () => {
    it('reserves a real 1 GiB page up front in a 1 GiB list, and unlinks its file at cleanup', () => {
      const eal = Eal.init({ backend: 'hugetlbfs', memory: GiB, filePrefix: uniquePrefix('real1g') });
      try {
        expect(eal.pageSizes).toContain(GiB);
        const list = eal.lists.find((l) => l.pageSize === GiB && eal.usedSegments(l.index) === 1)!;
        expect(list).toBeDefined();
        const path = join(eal.config.pageDirOf(GiB), list.fileName);
        expect(allocated(path)).toBe(GiB);
        eal.cleanup();
        expect(existsSync(path)).toBe(false);
      } finally {
        eal.cleanup();
      }
    });
  },
);
