import { afterEach, describe, expect, it } from 'vitest';
import { describeHugepages, hugepagesFree, nativeTitle, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { type Backend, Eal, Heap, Memory } from '../src/index.js';
import { MIN_SPLIT } from '../src/layout.js';

const MiB = 1024 * 1024;

const eals: Eal[] = [];
afterEach(() => {
  while (eals.length) eals.pop()!.cleanup();
});
function init(opts: Parameters<typeof Eal.init>[0]): Eal {
  const eal = Eal.init(opts);
  eals.push(eal);
  return eal;
}

function growthCases(backend: Backend, retained: (eal: Eal) => number, free: () => number) {
  it('grows past the reserved memory on demand and gives whole pages back on free, keeping a little', () => {
    const eal = init({ backend, filePrefix: uniquePrefix(`grow_${backend}`), memory: 4 * MiB });
    const heap = Heap.of(eal);
    const mem = Memory.of(eal);
    const sysBefore = free();
    const p = heap.malloc(24 * MiB);
    expect(p).toBeGreaterThan(0);
    expect(mem.physmemSize()).toBeGreaterThanOrEqual(28 * MiB);
    expect(heap.socketStats(0).heapTotalBytes).toBe(mem.physmemSize());
    mem.bytes(p, 24 * MiB).fill(0x77);
    heap.validate(p);
    heap.free(p);
    heap.audit();
    // Whole free pages went back, but for a retained reserve (hysteresis).
    expect(mem.physmemSize()).toBe(4 * MiB + retained(eal));
    expect(heap.socketStats(0).heapTotalBytes).toBe(mem.physmemSize());
    expect(heap.trim()).toBe(retained(eal));
    expect(mem.physmemSize()).toBe(4 * MiB);
    expect(free()).toBe(sysBefore);
    heap.audit();
  });

  it('does not map and unmap a page on every call at a page boundary', () => {
    const eal = init({ backend, filePrefix: uniquePrefix(`hyst_${backend}`), memory: 4 * MiB });
    const heap = Heap.of(eal);
    const mem = Memory.of(eal);
    // What is left is less than MIN_SPLIT: no element is split off, the heap is now full.
    const fill = heap.malloc(heap.socketStats(0).greatestFreeSize - MIN_SPLIT);
    expect(fill).toBeGreaterThan(0);
    const first = heap.malloc(8192);
    const grown = mem.physmemSize();
    expect(grown).toBeGreaterThan(4 * MiB);
    heap.free(first);
    for (let i = 0; i < 100; i++) {
      const q = heap.malloc(8192);
      expect(q).toBeGreaterThan(0);
      expect(mem.physmemSize()).toBe(grown);
      heap.free(q);
    }
    heap.free(fill);
    heap.trim();
    heap.audit();
  });

  it('grows from a worker thread handle and a second handle sees the memory', () => {
    const eal = init({ backend, filePrefix: uniquePrefix(`share_${backend}`), memory: 4 * MiB });
    const other = Eal.attach(eal.workerData());
    const h2 = Heap.of(other);
    const p = h2.malloc(10 * MiB);
    expect(p).toBeGreaterThan(0);
    Memory.of(other).bytes(p, 16).fill(5);
    expect(Memory.of(eal).bytes(p, 16)[15]).toBe(5);
    Heap.of(eal).free(p);
    Heap.of(eal).audit();
    other.cleanup();
  });
}

describe.skipIf(skipWithoutNative)(nativeTitle('dynamic memory on the anonymous backend'), () => {
  growthCases('anonymous', () => 2 * MiB, () => 0);
});

describeHugepages('dynamic memory on hugepages', () => {
  growthCases('hugetlbfs', (eal) => eal.pageSize, hugepagesFree);

  it('never grows in legacy mode', () => {
    const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('legacy'), memory: 4 * MiB, legacyMem: true });
    const before = hugepagesFree();
    expect(Heap.of(eal).malloc(8 * MiB)).toBe(0);
    expect(hugepagesFree()).toBe(before);
  });
});

describe('fixed memory on the sab backend', () => {
  it('returns 0 past its memory', () => {
    const eal = init({ backend: 'sab', memory: 4 * MiB });
    expect(Heap.of(eal).malloc(5 * MiB)).toBe(0);
    expect(Heap.of(eal).trim()).toBe(0);
  });
});
