// Page-size flags, IOVAs and IOVA-contiguous zones on the native backends
// (test_memzone_reserve_flags, and the phys_addr checks of test_memzone).
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, nativeTitle, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import {
  BAD_IOVA,
  Eal,
  Heap,
  Memory,
  MEMZONE_16MB,
  MEMZONE_1GB,
  MEMZONE_256KB,
  MEMZONE_2MB,
  MEMZONE_IOVA_CONTIG,
  MEMZONE_SIZE_HINT_ONLY,
  type Memzone,
  Memzones,
  RteError,
  SOCKET_ID_ANY,
} from '../src/index.js';

const MiB = 1024 * 1024;
const root = process.getuid?.() === 0;

const eals: Eal[] = [];
afterEach(() => {
  while (eals.length) eals.pop()!.cleanup();
});

function init(backend: 'hugetlbfs' | 'anonymous', memory = 16 * MiB): Eal {
  const eal = Eal.init({ backend, filePrefix: uniquePrefix(`mz_${backend}`), memory });
  eals.push(eal);
  return eal;
}

/** True when every page of the zone is where its IOVA says (zone IOVA + offset). */
function iovaContig(eal: Eal, mz: Memzone): boolean {
  const mem = Memory.of(eal);
  const page = mz.hugepageSz;
  // The zone's first byte, then the first byte of each later page.
  for (let off = 0; off < mz.len; off = (Math.floor((mz.addr + off) / page) + 1) * page - mz.addr) {
    if (mem.virt2iova(mz.addr + off) !== mz.iova + BigInt(off)) return false;
  }
  return mem.virt2iova(mz.addr + mz.len - 1) === mz.iova + BigInt(mz.len - 1);
}

describeHugepages('memzones on 2 MiB hugepages', () => {
  it('MEMZONE_2MB takes 2 MiB pages; SIZE_HINT_ONLY falls back from 1 GiB; MEMZONE_1GB alone is ENOMEM (test_memzone_reserve_flags)', () => {
    const eal = init('hugetlbfs');
    const zones = Memzones.of(eal);
    expect(eal.pageSize).toBe(2 * MiB);
    expect(zones.reserve('flag_zone_2M', 100, SOCKET_ID_ANY, MEMZONE_2MB).hugepageSz).toBe(2 * MiB);
    expect(zones.reserve('flag_zone_2M_HINT', 100, SOCKET_ID_ANY, MEMZONE_2MB | MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(2 * MiB);
    expect(zones.reserve('flag_zone_1G_HINT', 100, SOCKET_ID_ANY, MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(2 * MiB);
    expect(codeOf(() => zones.reserve('flag_zone_1G', 100, SOCKET_ID_ANY, MEMZONE_1GB))).toBe('ENOMEM');
    expect(codeOf(() => zones.reserve('flag_zone_16M', 100, SOCKET_ID_ANY, MEMZONE_16MB))).toBe('ENOMEM');
    expect(codeOf(() => zones.reserve('flag_zone_256K', 100, SOCKET_ID_ANY, MEMZONE_256KB))).toBe('ENOMEM');
    // Either of two sizes will do.
    expect(zones.reserve('flag_zone_2M_1G', 100, SOCKET_ID_ANY, MEMZONE_2MB | MEMZONE_1GB).hugepageSz).toBe(2 * MiB);
    // A page-size flag still lets the heap grow (pages of that size).
    const big = zones.reserve('flag_zone_2M_big', 24 * MiB, SOCKET_ID_ANY, MEMZONE_2MB);
    expect(big.hugepageSz).toBe(2 * MiB);
    expect(zones.count()).toBe(5);
  });

  it.skipIf(!root)(`IOVAs are known and aligned and bounded like the addresses (test_memzone_aligned, check_memzone_bounded)${root ? '' : ' [skipped: not root: physical addresses (/proc/self/pagemap) need root]'}`, () => {
    const eal = init('hugetlbfs');
    const zones = Memzones.of(eal);
    for (const align of [64, 128, 256, 512, 1024, 4096, 2 * MiB]) {
      const mz = zones.reserve(`aligned_${align}`, 100, SOCKET_ID_ANY, 0, align);
      expect(mz.iova).not.toBe(BAD_IOVA);
      expect(mz.iova % BigInt(align)).toBe(0n);
      expect(Memory.of(eal).virt2iova(mz.addr)).toBe(mz.iova);
    }
    for (const [len, align, bound] of [
      [100, 128, 128],
      [100, 256, 128],
      [100, 64, 1024],
      [0, 64, 1024],
      [300_000, 64, 512 * 1024],
      [1 * MiB, 64, 2 * MiB],
    ] as const) {
      const mz = zones.reserve(`bounded_${len}_${align}_${bound}`, len, SOCKET_ID_ANY, 0, align, bound);
      const b = BigInt(bound);
      expect(mz.iova / b).toBe((mz.iova + BigInt(mz.len) - 1n) / b);
      expect(Math.floor(mz.addr / bound)).toBe(Math.floor((mz.addr + mz.len - 1) / bound));
    }
  });

  it.skipIf(!root)(`MEMZONE_IOVA_CONTIG zones are contiguous in IOVA, or not reserved at all${root ? '' : ' [skipped: not root: physical addresses (/proc/self/pagemap) need root]'}`, () => {
    const eal = init('hugetlbfs');
    const zones = Memzones.of(eal);
    const small = zones.reserve('contig_1M', 1 * MiB, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG);
    expect(iovaContig(eal, small)).toBe(true);
    expect(Memory.of(eal).isIovaContig(small.addr, small.len)).toBe(true);
    // Several pages: only if the kernel gave physically adjacent hugepages.
    for (const len of [3 * MiB, 5 * MiB]) {
      try {
        const mz = zones.reserve(`contig_${len}`, len, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG);
        expect(iovaContig(eal, mz)).toBe(true);
      } catch (e) {
        expect((e as RteError).code).toBe('ENOMEM');
      }
    }
    const biggest = zones.reserve('contig_biggest', 0, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG);
    expect(biggest.len).toBeGreaterThan(0);
    expect(iovaContig(eal, biggest)).toBe(true);
  });

  it('len 0 reserves the biggest free block, and everything goes back to the heap and the OS', () => {
    const eal = init('hugetlbfs');
    const zones = Memzones.of(eal);
    const heap = Heap.of(eal);
    const mem = Memory.of(eal);
    const base = JSON.stringify(heap.socketStats(0));
    const physBase = mem.physmemSize();
    const got: Memzone[] = [];
    for (let i = 0; i < 50; i++) got.push(zones.reserve(`z${i}`, (i + 1) * 40_000, SOCKET_ID_ANY, i % 2 ? MEMZONE_2MB : 0, 64 << i % 8));
    const greatest = (heap.cacheFlush(), heap.socketStats(0).greatestFreeSize);
    const max = zones.reserve('max_zone', 0);
    expect(max.len).toBe(greatest - 64);
    got.push(max);
    expect(mem.physmemSize()).toBeGreaterThan(physBase); // 50 zones of up to 2 MB grew the heap
    for (const mz of got) zones.free(mz);
    heap.cacheFlush();
    heap.trim();
    heap.audit();
    expect(JSON.stringify(heap.socketStats(0))).toBe(base);
    expect(mem.physmemSize()).toBe(physBase);
    expect(zones.count()).toBe(0);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('memzones on 4 KiB pages (anonymous backend)'), () => {
  it('page-size flags are ENOMEM without SIZE_HINT_ONLY, 4 KiB pages with it', () => {
    const eal = init('anonymous');
    const zones = Memzones.of(eal);
    expect(codeOf(() => zones.reserve('flag_zone_2M', 100, SOCKET_ID_ANY, MEMZONE_2MB))).toBe('ENOMEM');
    expect(zones.lookup('flag_zone_2M')).toBeNull();
    const mz = zones.reserve('flag_zone_2M_HINT', 100, SOCKET_ID_ANY, MEMZONE_2MB | MEMZONE_SIZE_HINT_ONLY);
    expect(mz.hugepageSz).toBe(4096);
  });

  it.skipIf(!root)(`IOVAs are known; a one-page IOVA_CONTIG zone is contiguous${root ? '' : ' [skipped: not root: physical addresses (/proc/self/pagemap) need root]'}`, () => {
    const eal = init('anonymous');
    const zones = Memzones.of(eal);
    const mz = zones.reserve('contig_page', 4096, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG, 4096);
    expect(mz.iova).not.toBe(BAD_IOVA);
    expect(mz.iova % 4096n).toBe(0n);
    expect(iovaContig(eal, mz)).toBe(true);
    // Two pages: only if the kernel gave physically adjacent ones.
    try {
      const two = zones.reserve('contig_2pages', 8192, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG);
      expect(iovaContig(eal, two)).toBe(true);
    } catch (e) {
      expect((e as RteError).code).toBe('ENOMEM');
    }
  });
});
