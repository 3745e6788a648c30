// Page-size flags in an EAL of several page sizes (test_memzone_reserve_flags
// where the machine has 2 MiB and 1 GiB pages): MEMZONE_1GB takes memory of
// a 1 GiB list, MEMZONE_2MB of a 2 MiB one, SIZE_HINT_ONLY falls back to the
// other size, and without a list of the size asked for the error says which
// sizes the EAL has and what to do.
//
// What is real and what is simulated: this machine has 2 MiB hugepages
// only. The 2 MiB lists are real hugetlbfs memory. The 1 GiB size comes
// from a fixture tree (testkit's fakeHugepageRoot: fake counts in a fake
// /sys, a fake mount table) whose mount point is a plain directory on
// tmpfs: the 1 GiB list is a real shared file, grown by the heap through
// fallocate and mapped by a secondary, with 4 KiB pages under it. Its
// IOVAs are not those of a 1 GiB page, so no IOVA is checked there. Real
// 1 GiB pages are tested at the end, where the machine has them.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, fakeHugepageRoot, hugepageSizeStatus, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { setDefaultDiscoveryRoot } from '../../eal-hugepage/src/hugepage-info.js';
import {
  BAD_IOVA,
  Eal,
  Heap,
  LIST_SPAN,
  Memory,
  MEMZONE_1GB,
  MEMZONE_2MB,
  MEMZONE_IOVA_CONTIG,
  MEMZONE_SIZE_HINT_ONLY,
  Memzones,
  RteError,
  SOCKET_ID_ANY,
} from '../src/index.js';

const PEER = new URL('./fixtures/memzone-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

function errorOf(fn: () => unknown): RteError {
  try {
    fn();
  } catch (e) {
    return e as RteError;
  }
  throw new Error('expected an RteError');
}

describeHugepages('memzones in an EAL of real 2 MiB and simulated 1 GiB pages', () => {
  it('MEMZONE_1GB takes a 1 GiB list, MEMZONE_2MB a 2 MiB one, growth with no flag 2 MiB pages; SIZE_HINT_ONLY falls back when the 1 GiB page is full', async () => {
    const fake = fakeHugepageRoot([{ pageSize: GiB, total: 2, free: 2 }]);
    setDefaultDiscoveryRoot(fake.root);
    try {
      const eal = Eal.init({ backend: 'hugetlbfs', memory: 16 * MiB, filePrefix: uniquePrefix('mz2') });
      eals.push(eal);
      expect(eal.pageSizes).toEqual([2 * MiB, GiB]);
      const list1g = eal.lists.find((l) => l.pageSize === GiB)!;
      expect(eal.usedSegments(list1g.index)).toBe(0);
      const zones = Memzones.of(eal);
      const mem = Memory.of(eal);

      // Growing with no size asked takes the smallest size first (later,
      // with free memory in the 1 GiB page, a zone with no flag may go there).
      expect(zones.reserve('grow_default', 24 * MiB).hugepageSz).toBe(2 * MiB);
      expect(eal.usedSegments(eal.lists[0]!.index)).toBeGreaterThan(8);
      expect(eal.usedSegments(list1g.index)).toBe(0);

      const big = zones.reserve('on_1g', 4096, SOCKET_ID_ANY, MEMZONE_1GB);
      expect(big.hugepageSz).toBe(GiB);
      expect(Math.floor(big.addr / LIST_SPAN)).toBe(list1g.index);
      expect(mem.virt2memseg(big.addr)).toMatchObject({ pageSize: GiB, len: GiB, socketId: 0 });
      // The heap grew by one 1 GiB page for it.
      expect(eal.usedSegments(list1g.index)).toBe(1);
      const small = zones.reserve('on_2m', 4096, SOCKET_ID_ANY, MEMZONE_2MB);
      expect(small.hugepageSz).toBe(2 * MiB);
      expect(zones.reserve('on_1g_hint', 4096, SOCKET_ID_ANY, MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(GiB);

      // The walk and the physical layout show both sizes.
      const sizes = new Set<number>();
      mem.walk((ms) => void sizes.add(ms.pageSize));
      expect([...sizes].sort((a, b) => a - b)).toEqual([2 * MiB, GiB]);
      const layout = mem.dumpPhysmemLayout();
      expect(layout).toMatch(new RegExp(`^Segment ${list1g.index}-0: .*len:${GiB}, .*hugepage_sz:${GiB}`, 'm'));
      expect(layout).toMatch(/hugepage_sz:2097152/);

      // Fill the 1 GiB page (its list has no second one): then MEMZONE_1GB
      // alone is ENOMEM, and with SIZE_HINT_ONLY it takes 2 MiB pages.
      const fill = zones.reserve('fill_1g', GiB - 8 * MiB, SOCKET_ID_ANY, MEMZONE_1GB);
      expect(fill.hugepageSz).toBe(GiB);
      const e = errorOf(() => zones.reserve('more_1g', 16 * MiB, SOCKET_ID_ANY, MEMZONE_1GB));
      expect(e.code).toBe('ENOMEM');
      expect(e.message).toContain('add MEMZONE_SIZE_HINT_ONLY to accept other page sizes');
      expect(zones.lookup('more_1g')).toBeNull();
      const fallback = zones.reserve('more_1g_hint', 16 * MiB, SOCKET_ID_ANY, MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY);
      expect(fallback.hugepageSz).toBe(2 * MiB);

      // A secondary finds the zone on the 1 GiB list and shares its bytes.
      const peer = await Peer.child(PEER);
      peers.push(peer);
      await peer.call('init', { processType: 'secondary', filePrefix: eal.filePrefix });
      expect(await peer.call('lookup', 'on_1g')).toMatchObject({ addr: big.addr, hugepageSz: GiB, len: 4096 });
      await peer.call('write', { name: 'on_1g', byte: 0x5a });
      expect(big.bytes()[big.len - 1]).toBe(0x5a);
      expect(await peer.call('lookup', 'fill_1g')).toMatchObject({ addr: fill.addr, hugepageSz: GiB });

      // Freed and trimmed, the 1 GiB page goes back to the system.
      for (const name of ['on_1g', 'on_1g_hint', 'fill_1g']) zones.free(zones.lookup(name)!);
      Heap.of(eal).trim();
      expect(eal.usedSegments(list1g.index)).toBe(0);
    } finally {
      setDefaultDiscoveryRoot(null);
      await Promise.all(peers.splice(0).map((p) => p.close()));
      while (eals.length) eals.pop()!.cleanup();
      fake.remove();
    }
  });
});

describeHugepages('memzones asking for a page size the EAL lacks (an EAL of 2 MiB pages only)', () => {
  it('MEMZONE_1GB is ENOMEM naming the sizes the EAL has and what to do; SIZE_HINT_ONLY takes 2 MiB pages', () => {
    const eal = Eal.init({ backend: 'hugetlbfs', pageSize: 2 * MiB, memory: 8 * MiB, filePrefix: uniquePrefix('mz1g') });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const e = errorOf(() => zones.reserve('want_1g', 4096, SOCKET_ID_ANY, MEMZONE_1GB));
    expect(e).toBeInstanceOf(RteError);
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toContain('the EAL has no memory of 1 GiB pages');
    expect(e.message).toContain('only 2 MiB');
    expect(e.message).toContain('start it with hugepages of that size reserved and mounted');
    expect(e.message).toContain('MEMZONE_SIZE_HINT_ONLY');
    expect(zones.count()).toBe(0);
    expect(zones.reserve('want_1g', 4096, SOCKET_ID_ANY, MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(2 * MiB);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('memzones asking for hugepages on 4 KiB pages (anonymous backend)'), () => {
  it('MEMZONE_2MB says the EAL has only 4 KiB pages', () => {
    const eal = Eal.init({ backend: 'anonymous', memory: MiB, filePrefix: uniquePrefix('mz4k') });
    eals.push(eal);
    const e = errorOf(() => Memzones.of(eal).reserve('want_2m', 100, SOCKET_ID_ANY, MEMZONE_2MB));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toMatch(/the EAL has no memory of 2 MiB pages \(align 64, flags 2MB\), only 4 KiB: /);
  });
});

// Real 1 GiB hugepages: only where the machine has a free one on a
// writable mount. Elsewhere this skips, also under RTEMEM_REQUIRE_HUGEPAGES=1
// (which asks for hugepages, not for 1 GiB ones).
const oneGiB = hugepageSizeStatus(GiB);
const root = process.getuid?.() === 0;
describe.skipIf(!oneGiB.usable)(
  `memzones on real 1 GiB hugepages${oneGiB.usable ? '' : ` [skipped, also under RTEMEM_REQUIRE_HUGEPAGES=1: this machine has no usable 1 GiB hugepages: ${oneGiB.reason}]`}`,
  () => {
    it('MEMZONE_1GB takes a real 1 GiB page; as root, a zone inside it is contiguous in IOVA', () => {
      const eal = Eal.init({ backend: 'hugetlbfs', memory: 16 * MiB, filePrefix: uniquePrefix('mzreal1g') });
      eals.push(eal);
      expect(eal.pageSizes).toContain(GiB);
      const zones = Memzones.of(eal);
      const mz = zones.reserve('real_1g', 64 * MiB, SOCKET_ID_ANY, MEMZONE_1GB | MEMZONE_IOVA_CONTIG);
      expect(mz.hugepageSz).toBe(GiB);
      expect(Memory.of(eal).virt2memseg(mz.addr)!.pageSize).toBe(GiB);
      if (root) {
        expect(mz.iova).not.toBe(BAD_IOVA);
        expect(Memory.of(eal).virt2iova(mz.addr + mz.len - 1)).toBe(mz.iova + BigInt(mz.len - 1));
      }
      expect(codeOf(() => zones.reserve('real_1g', 1, SOCKET_ID_ANY, MEMZONE_1GB))).toBe('EEXIST');
    });
  },
);
