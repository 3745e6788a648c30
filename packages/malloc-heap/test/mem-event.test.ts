// Memory event callbacks (rte_mem_event_callback_register): the heap growing
// raises MEM_EVENT_ALLOC for exactly the pages it adds, giving pages back
// raises MEM_EVENT_FREE for exactly the pages that go.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, hugepagesFree, nativeTitle, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { type Backend, Eal, Heap, MEM_EVENT_ALLOC, MEM_EVENT_FREE, Memory } from '../src/index.js';

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

type Ev = [type: number, addr: number, len: number];

function record(eal: Eal, name = 'rec'): Ev[] {
  const evs: Ev[] = [];
  eal.memEventCallbackRegister(name, (type, addr, len) => {
    evs.push([type, addr, len]);
  });
  return evs;
}

const sumLen = (evs: Ev[], type: number) => evs.filter((e) => e[0] === type).reduce((s, e) => s + e[2], 0);

function eventCases(backend: Backend) {
  const prefix = (t: string) => uniquePrefix(`mev_${t}_${backend}`);

  it('a growing heap raises ALLOC for exactly the pages it adds; free and trim raise FREE for the pages that go', () => {
    const eal = init({ backend, filePrefix: prefix('grow'), memory: 4 * MiB });
    const heap = Heap.of(eal);
    const mem = Memory.of(eal);
    const evs = record(eal);
    const before = mem.physmemSize();
    const p = heap.malloc(24 * MiB);
    expect(p).toBeGreaterThan(0);
    const allocs = evs.filter((e) => e[0] === MEM_EVENT_ALLOC);
    expect(allocs.length).toBeGreaterThan(0);
    expect(sumLen(evs, MEM_EVENT_ALLOC)).toBe(mem.physmemSize() - before);
    for (const [, addr, len] of allocs) {
      expect(addr % eal.pageSize).toBe(0);
      expect(len % eal.pageSize).toBe(0);
      // Pages that have memory now, added by the grow (not reserved at init).
      for (let a = addr; a < addr + len; a += eal.pageSize) expect(mem.virt2memseg(a)?.doNotFree).toBe(false);
    }
    // The block lies in the memory reserved at init or in pages the events named.
    const inAlloc = (a: number) => allocs.some(([, s, l]) => a >= s && a < s + l);
    expect(inAlloc(p + 24 * MiB - 1)).toBe(true);

    evs.length = 0;
    heap.free(p);
    const freedOnFree = sumLen(evs, MEM_EVENT_FREE);
    const released = heap.trim();
    expect(released).toBeGreaterThan(0);
    expect(sumLen(evs, MEM_EVENT_FREE)).toBe(freedOnFree + released);
    expect(evs.every((e) => e[0] === MEM_EVENT_FREE)).toBe(true);
    // Everything the grow added went, and the events said so page by page.
    expect(mem.physmemSize()).toBe(before);
    expect(sumLen(evs, MEM_EVENT_FREE)).toBe(sumLen(allocs, MEM_EVENT_ALLOC));
    for (const [, addr, len] of evs) {
      for (let a = addr; a < addr + len; a += eal.pageSize) expect(mem.virt2memseg(a)).toBeNull();
      expect(inAlloc(addr) && inAlloc(addr + len - 1)).toBe(true);
    }
    heap.audit();
  });

  it('unregister stops the events; other callbacks still get them', () => {
    const eal = init({ backend, filePrefix: prefix('unreg'), memory: 4 * MiB });
    const heap = Heap.of(eal);
    const a = record(eal, 'a');
    const b = record(eal, 'b');
    eal.memEventCallbackUnregister('a');
    const p = heap.malloc(8 * MiB);
    expect(p).toBeGreaterThan(0);
    heap.free(p);
    heap.trim();
    expect(a).toEqual([]);
    expect(b.some((e) => e[0] === MEM_EVENT_ALLOC)).toBe(true);
    expect(b.some((e) => e[0] === MEM_EVENT_FREE)).toBe(true);
    eal.memEventCallbackUnregister('b');
    b.length = 0;
    const q = heap.malloc(8 * MiB);
    heap.free(q);
    heap.trim();
    expect(b).toEqual([]);
  });

  it('a callback runs after the heap lock is let go: it may allocate, and one that throws stops nothing', async () => {
    const eal = init({ backend, filePrefix: prefix('reent'), memory: 4 * MiB });
    const heap = Heap.of(eal);
    const inside: number[] = [];
    eal.memEventCallbackRegister('alloc-inside', (type) => {
      if (type !== MEM_EVENT_ALLOC) return;
      const q = heap.malloc(256);
      inside.push(q);
      heap.free(q);
    });
    eal.memEventCallbackRegister('throws', () => {
      throw new Error('callback failure');
    });
    const after = record(eal, 'after');
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'RTEMEM_MEM_EVENT_CALLBACK') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const p = heap.malloc(8 * MiB);
      expect(p).toBeGreaterThan(0);
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.every((q) => q > 0)).toBe(true);
      expect(after.some((e) => e[0] === MEM_EVENT_ALLOC)).toBe(true);
      heap.free(p);
      heap.trim();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings[0]).toMatch(/"throws" threw: callback failure/);
    } finally {
      process.off('warning', onWarning);
    }
    heap.audit();
  });

  it("callbacks belong to their handle: another thread's handle hears of its own pages only", () => {
    const eal = init({ backend, filePrefix: prefix('handle'), memory: 4 * MiB });
    const other = Eal.attach(eal.workerData());
    try {
      const mine = record(eal, 'x');
      const theirs = record(other, 'x'); // the same name on another handle is no clash
      const p = Heap.of(other).malloc(8 * MiB);
      expect(p).toBeGreaterThan(0);
      expect(theirs.some((e) => e[0] === MEM_EVENT_ALLOC)).toBe(true);
      expect(mine).toEqual([]);
      Heap.of(other).free(p);
      Heap.of(other).trim();
    } finally {
      other.cleanup();
    }
  });

  it('refuses bad input: EINVAL, ENAMETOOLONG, EEXIST, ENOENT', () => {
    const eal = init({ backend, filePrefix: prefix('bad'), memory: 4 * MiB });
    const fn = () => undefined;
    expect(codeOf(() => eal.memEventCallbackRegister('', fn))).toBe('EINVAL');
    expect(codeOf(() => eal.memEventCallbackRegister(42 as unknown as string, fn))).toBe('EINVAL');
    expect(codeOf(() => eal.memEventCallbackRegister('f', null as unknown as () => void))).toBe('EINVAL');
    expect(codeOf(() => eal.memEventCallbackRegister('x'.repeat(64), fn))).toBe('ENAMETOOLONG');
    expect(codeOf(() => eal.memEventCallbackRegister('x'.repeat(63), fn))).toBeUndefined();
    expect(codeOf(() => eal.memEventCallbackRegister('x'.repeat(63), fn))).toBe('EEXIST');
    expect(codeOf(() => eal.memEventCallbackUnregister('nope'))).toBe('ENOENT');
    expect(codeOf(() => eal.memEventCallbackUnregister(''))).toBe('EINVAL');
    expect(codeOf(() => eal.memEventCallbackUnregister('x'.repeat(63)))).toBeUndefined();
  });
}

describe.skipIf(skipWithoutNative)(nativeTitle('memory events on the anonymous backend'), () => {
  eventCases('anonymous');
});

describeHugepages('memory events on hugepages', () => {
  eventCases('hugetlbfs');

  it('legacy memory never changes: ENOTSUP, and no hugepage taken', () => {
    const before = hugepagesFree();
    const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('mevlegacy'), memory: 2 * MiB, legacyMem: true });
    expect(codeOf(() => eal.memEventCallbackRegister('a', () => undefined))).toBe('ENOTSUP');
    expect(codeOf(() => eal.memEventCallbackUnregister('a'))).toBe('ENOTSUP');
    eal.cleanup();
    expect(hugepagesFree()).toBe(before);
  });
});

describe('memory events on the sab backend', () => {
  it('fixed memory has no events: ENOTSUP; a cleaned-up handle: EINVAL', () => {
    const eal = init({ backend: 'sab', memory: 4 * MiB });
    expect(codeOf(() => eal.memEventCallbackRegister('a', () => undefined))).toBe('ENOTSUP');
    eal.cleanup();
    expect(codeOf(() => eal.memEventCallbackRegister('a', () => undefined))).toBe('EINVAL');
  });
});
