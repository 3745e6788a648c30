// The socket id rtemem records for each page, checked against the NUMA node
// the kernel says the page is on (get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)).
// The expected value is always the kernel's answer, never a constant: on a
// one-node machine as on a many-node one, a list whose socket id does not
// match where its pages are fails here.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, nativeTitle, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, LIST_SPAN, Memory, numaNodes, SOCKET_ID_ANY } from '../src/index.js';
import { ML_SOCKET } from '../../eal-hugepage/src/layout.js';

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

/** Every page with memory, in every list that has any: [addr, rtemem's socket, the kernel's node]. */
function pagesAndNodes(mem: Memory): [number, number, number][] {
  const out: [number, number, number][] = [];
  mem.walk((ms) => {
    out.push([ms.addr, mem.virt2memseg(ms.addr)!.socketId, mem.kernelSocketId(ms.addr)]);
  });
  return out;
}

function expectKernelAgrees(eal: Eal, minPages: number): void {
  const mem = Memory.of(eal);
  const pages = pagesAndNodes(mem);
  expect(pages.length).toBeGreaterThanOrEqual(minPages);
  const nodes = new Set(numaNodes());
  for (const [addr, socket, kernel] of pages) {
    // The kernel knows (the addon is loaded), names a node that exists, and it is rtemem's.
    expect(kernel, `page ${addr}`).not.toBe(SOCKET_ID_ANY);
    expect(nodes.has(kernel), `node ${kernel} of page ${addr}`).toBe(true);
    expect(socket, `page ${addr}: rtemem says socket ${socket}, the kernel node ${kernel}`).toBe(kernel);
    // Any byte of the page: the same node.
    expect(mem.kernelSocketId(addr + 64)).toBe(kernel);
  }
  const dump = mem.dumpPhysmemLayout().split('\n');
  expect(dump).toHaveLength(pages.length);
  pages.forEach(([, socket, kernel], i) => {
    expect(dump[i]).toContain(`socket_id:${socket},`);
    expect(dump[i]).toMatch(new RegExp(`, kernel_node:${kernel}$`));
  });
}

/** Makes list 1 claim `socket` in the shared config; returns a function that puts the truth back. */
function forgeListSocket(eal: Eal, socket: number): () => void {
  const w = (eal.config.listEntry(1) + ML_SOCKET) >> 2;
  const old = eal.config.i32[w]!;
  eal.config.i32[w] = socket;
  return () => {
    eal.config.i32[w] = old;
  };
}

describe('kernelSocketId: bad input and pages without memory', () => {
  it('throws EINVAL for a value that is not an rtemem address', () => {
    const mem = Memory.of(init({ backend: 'sab', memory: MiB }));
    for (const bad of [0, -1, 1.5, Number.NaN, '4096' as unknown as number, 2 ** 60]) {
      expect(codeOf(() => mem.kernelSocketId(bad))).toBe('EINVAL');
    }
    // An address in no list, or past the memory of one: nobody's node.
    expect(mem.kernelSocketId(9 * LIST_SPAN)).toBe(SOCKET_ID_ANY);
    expect(mem.kernelSocketId(LIST_SPAN + MiB)).toBe(SOCKET_ID_ANY);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('NUMA node of every page, anonymous backend'), () => {
  it('the kernel places every page (reserved at init and added later) on the socket rtemem records', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('numaanon'), memory: 2 * MiB });
    const mem = Memory.of(eal);
    expect(mem.allocPages(eal.lists[0]!.socketId, 64)).not.toBe(0);
    expectKernelAgrees(eal, 512 + 64);
  });

  it('tells a page with no memory from one with memory, and faults nothing in to answer', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('numaempty'), memory: MiB });
    const mem = Memory.of(eal);
    const before = eal.usedSegments(1);
    expect(mem.kernelSocketId(LIST_SPAN + 2 * MiB)).toBe(SOCKET_ID_ANY);
    expect(eal.usedSegments(1)).toBe(before);
  });

  it('catches a list whose recorded socket is not where its pages are (the check can fail)', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('numaforge'), memory: MiB });
    const mem = Memory.of(eal);
    const kernel = mem.kernelSocketId(LIST_SPAN);
    // A socket the pages are not on: the kernel's node plus one.
    const restore = forgeListSocket(eal, kernel + 1);
    try {
      expect(mem.virt2memseg(LIST_SPAN)!.socketId).toBe(kernel + 1);
      expect(mem.kernelSocketId(LIST_SPAN)).toBe(kernel);
      const line = mem.dumpPhysmemLayout().split('\n')[0]!;
      expect(line).toContain(`socket_id:${kernel + 1},`);
      expect(line).toContain(`kernel_node:${kernel} NUMA_MISMATCH`);
      expect(() => expectKernelAgrees(eal, 1)).toThrow(/rtemem says socket/);
    } finally {
      restore();
    }
    expect(mem.dumpPhysmemLayout()).not.toContain('NUMA_MISMATCH');
  });
});

describeHugepages(
  'NUMA node of every page, hugetlbfs backend',
  () => {
    it('the kernel places every hugepage (reserved at init and added later) on the socket rtemem records', () => {
      const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('numahuge'), memory: 4 * MiB });
      const mem = Memory.of(eal);
      const added = mem.allocPages(eal.lists[0]!.socketId, 2);
      expect(added).not.toBe(0);
      expectKernelAgrees(eal, (4 * MiB) / eal.pageSize + 2);
      expect(mem.freePages(added, 2 * eal.pageSize)).toBe(0);
    });

    it('flags a hugepage list whose recorded socket is not the kernel node', () => {
      const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('numahforge'), memory: 2 * MiB });
      const mem = Memory.of(eal);
      const kernel = mem.kernelSocketId(LIST_SPAN);
      expect(kernel).toBeGreaterThanOrEqual(0);
      const restore = forgeListSocket(eal, kernel + 1);
      try {
        expect(mem.dumpPhysmemLayout()).toContain(`kernel_node:${kernel} NUMA_MISMATCH`);
      } finally {
        restore();
      }
    });
  },
  8,
);
