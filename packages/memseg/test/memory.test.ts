import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, hugepagesFree, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { BAD_IOVA, Eal, hex, LIST_SPAN, Memory, RteError, virt2phys } from '../src/index.js';

const PEER = new URL('./fixtures/memseg-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;
const root = process.getuid?.() === 0;

const eals: Eal[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});
function init(opts: Parameters<typeof Eal.init>[0]): Eal {
  const eal = Eal.init(opts);
  eals.push(eal);
  return eal;
}

describe('Memory on the sab backend', () => {
  it('lists one list whose pages all have memory, without IOVAs', () => {
    const eal = init({ backend: 'sab', memory: 4 * MiB });
    const mem = Memory.of(eal);
    expect(Memory.of(eal)).toBe(mem);
    expect(mem.lists()).toEqual([
      { index: 1, baseAddr: LIST_SPAN, va: 0n, pageSize: 4096, socketId: 0, length: 4 * MiB, segments: 1024, external: false },
    ]);
    expect(mem.physmemSize()).toBe(4 * MiB);
    let n = 0;
    let prev = 0;
    mem.walk((ms) => {
      expect(ms.addr).toBe(n === 0 ? LIST_SPAN : prev + 4096);
      expect(ms.iova).toBe(BAD_IOVA);
      expect(ms.doNotFree).toBe(true);
      prev = ms.addr;
      n++;
    });
    expect(n).toBe(1024);
    const runs: [number, number][] = [];
    mem.contigWalk((_l, addr, len) => {
      runs.push([addr, len]);
    });
    expect(runs).toEqual([[LIST_SPAN, 4 * MiB]]);
  });

  it('stops walks when the callback returns true', () => {
    const mem = Memory.of(init({ backend: 'sab', memory: 4 * MiB }));
    let n = 0;
    mem.walk(() => ++n === 3);
    expect(n).toBe(3);
  });

  it('translates addresses: virt2memseg, virt2iova, iova2virt', () => {
    const mem = Memory.of(init({ backend: 'sab', memory: 4 * MiB }));
    const addr = LIST_SPAN + 3 * 4096 + 17;
    expect(mem.virt2memseg(addr)).toMatchObject({ addr: LIST_SPAN + 3 * 4096, len: 4096, index: 3 });
    expect(mem.virt2memseg(LIST_SPAN + 4 * MiB)).toBeNull();
    expect(mem.virt2memseg(0)).toBeNull();
    expect(mem.virt2memseg(Number.NaN)).toBeNull();
    expect(mem.virt2memseg(7 * LIST_SPAN)).toBeNull();
    expect(mem.virt2iova(addr)).toBe(BAD_IOVA);
    expect(mem.iova2virt(0x1000n)).toBe(0);
  });

  it('gives views, never copies, and refuses ranges outside memory', () => {
    const eal = init({ backend: 'sab', memory: 4 * MiB });
    const mem = Memory.of(eal);
    const view = mem.bytes(LIST_SPAN + 100, 16);
    view.fill(7);
    expect(eal.lists[0]!.u8[100]).toBe(7);
    expect(mem.bytes(LIST_SPAN + 100, 16)[15]).toBe(7);
    expect(view.buffer).toBe(eal.lists[0]!.sab);
    expect(codeOf(() => mem.bytes(LIST_SPAN + 4 * MiB - 8, 16))).toBe('EINVAL');
    expect(codeOf(() => mem.bytes(0, 1))).toBe('EINVAL');
    expect(codeOf(() => mem.bytes(LIST_SPAN, -1))).toBe('EINVAL');
    expect(codeOf(() => mem.bytes(LIST_SPAN, 1.5))).toBe('EINVAL');
  });

  it('cannot allocate pages on a fixed backend', () => {
    const mem = Memory.of(init({ backend: 'sab', memory: 4 * MiB }));
    expect(mem.allocPages(0, 1)).toBe(0);
    expect(mem.freePages(LIST_SPAN, 4096)).toBeLessThan(0);
  });

  it('prints one line per page in DPDK form', () => {
    const mem = Memory.of(init({ backend: 'sab', memory: 64 * 1024 }));
    const lines = mem.dumpPhysmemLayout().split('\n');
    expect(lines).toHaveLength(16);
    expect(lines[0]).toMatch(/^Segment 1-0: IOVA:BAD_IOVA, len:4096, addr:(0x[0-9a-f]+), .*socket_id:0, hugepage_sz:4096/);
    expect(lines[0]).toContain(`addr:${hex(LIST_SPAN)},`); // list 1 starts at LIST_SPAN
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('Memory on the anonymous backend'), () => {
  it('adds and releases pages, never those reserved at init', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('msanon'), memory: 4 * MiB });
    const mem = Memory.of(eal);
    const addr = mem.allocPages(0, 256);
    expect(addr).toBe(LIST_SPAN + 4 * MiB);
    expect(mem.physmemSize()).toBe(5 * MiB);
    expect(mem.virt2memseg(addr)?.doNotFree).toBe(false);
    mem.bytes(addr, MiB).fill(0x5a);
    expect(mem.freePages(LIST_SPAN, 4096)).toBeLessThan(0); // init memory
    expect(mem.freePages(addr + 1, 4096)).toBeLessThan(0); // unaligned
    expect(mem.freePages(addr, MiB)).toBe(0);
    expect(mem.physmemSize()).toBe(4 * MiB);
    expect(mem.virt2memseg(addr)).toBeNull();
    expect(codeOf(() => mem.bytes(addr, 1))).toBe('EINVAL');
    expect(mem.freePages(addr, 4096)).toBeLessThan(0); // already free
  });

  it.skipIf(!root)(`knows the physical address of every page as root, and walks IOVA-contiguous runs${root ? '' : ' [skipped: not root: physical addresses (/proc/self/pagemap) need root]'}`, () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('msiova'), memory: 2 * MiB });
    const mem = Memory.of(eal);
    const list = eal.lists[0]!;
    mem.walk((ms) => {
      expect(ms.iova).not.toBe(BAD_IOVA);
      expect(ms.va).toBe(list.va + BigInt(ms.addr - LIST_SPAN));
      expect(virt2phys(ms.va)).toBe(ms.iova);
    });
    const a = LIST_SPAN + 5 * 4096 + 123;
    expect(mem.virt2iova(a)).toBe(mem.virt2memseg(a)!.iova + 123n);
    expect(mem.iova2virt(mem.virt2iova(a))).toBe(a);
    let total = 0;
    mem.contigWalk((_l, addr, len) => {
      expect(mem.isIovaContig(addr, len)).toBe(true);
      // A run ends where the next page does not follow on physically.
      if (addr + len < LIST_SPAN + 2 * MiB) expect(mem.isIovaContig(addr, len + 4096)).toBe(false);
      total += len;
    });
    expect(total).toBe(2 * MiB);
  });

  it('answers identically in the primary, a worker and a secondary process', async () => {
    const prefix = uniquePrefix('msident');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, memory: 2 * MiB });
    const mem = Memory.of(eal);
    expect(mem.allocPages(0, 3)).not.toBe(0);
    // @ts-expect-error plain JS fixture shared with the peers
    const { summary } = await import('./fixtures/memseg-peer.mjs');
    const mine = summary(mem);
    const worker = await Peer.worker(PEER, eal.workerData());
    peers.push(worker);
    await worker.call('init', { attach: true });
    const child = await Peer.child(PEER);
    peers.push(child);
    expect(await child.call('init', { processType: 'secondary', filePrefix: prefix })).toBe('secondary');
    expect(await worker.call('summary')).toEqual(mine);
    expect(await child.call('summary')).toEqual(mine);
    mem.bytes(LIST_SPAN + 2 * MiB, 4).set([1, 2, 3, 4]);
    expect(await child.call('read', { addr: LIST_SPAN + 2 * MiB, len: 4 })).toEqual([1, 2, 3, 4]);
  });
});

describeHugepages('Memory on hugepages', () => {
  it('allocates and releases hugepages through the memseg table', () => {
    const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('mshuge'), memory: 4 * MiB });
    const mem = Memory.of(eal);
    const page = eal.pageSize;
    const before = hugepagesFree();
    const addr = mem.allocPages(0, 3);
    expect(addr).not.toBe(0);
    expect(before - hugepagesFree()).toBe(3);
    expect(mem.physmemSize()).toBe(4 * MiB + 3 * page);
    if (root) {
      const ms = mem.virt2memseg(addr)!;
      expect(ms.iova).not.toBe(BAD_IOVA);
      expect(mem.virt2iova(addr + 4096)).toBe(ms.iova + 4096n);
      expect(virt2phys(ms.va + 4096n)).toBe(ms.iova + 4096n);
    }
    expect(mem.freePages(addr, 3 * page)).toBe(0);
    expect(hugepagesFree()).toBe(before);
  });

  it('allocates IOVA-contiguous runs on request, or none', () => {
    const eal = init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('mscontig'), memory: 2 * MiB });
    const mem = Memory.of(eal);
    const addr = mem.allocPages(0, 2, true);
    if (addr !== 0) expect(mem.isIovaContig(addr, 2 * eal.pageSize)).toBe(true);
    const one = mem.allocPages(0, 1, true);
    expect(one).not.toBe(0); // a single page is always contiguous
  });
});
