// Shared external memory: a memfd the primary registers by name, that a
// secondary process (and a worker thread) maps by that name and allocates
// from; no file left behind.
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, hugepagesFree, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, EXTMEM_NAME_MAX, Heap, LIST_SPAN, Memory, ML_F_EXT_SHARED } from '../src/index.js';

const PEER = new URL('./fixtures/extmem-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

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

/** memfds of rtemem's shared external memory open in this process. */
function openExtMemfds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('/memfd:rtemem_ext_')) out.push(link);
    } catch {
      // Closed meanwhile (readdir's own descriptor).
    }
  }
  return out;
}

/** Files whose name has `prefix` in /dev/shm, /dev/hugepages and the runtime dir. */
function leftovers(prefix: string): string[] {
  const dirs = ['/dev/shm', '/dev/hugepages', '/var/run/rtemem'];
  const out: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(d)) if (f.includes(prefix)) out.push(`${d}/${f}`);
    } catch {
      // No such directory here.
    }
  }
  return out;
}

async function secondary(prefix: string): Promise<Peer> {
  const child = await Peer.child(PEER);
  peers.push(child);
  expect(await child.call('init', { processType: 'secondary', filePrefix: prefix })).toBe('secondary');
  return child;
}

describe.skipIf(skipWithoutNative)(nativeTitle('shared external memory (memfd) on the anonymous backend'), () => {
  it('a secondary process attaches it by name and allocates from it; the primary sees its blocks', async () => {
    const prefix = uniquePrefix('extsh');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, memory: 2 * MiB });
    const heap = Heap.of(eal);
    const socket = heap.createHeap('io');
    const base = heap.addMemoryShared('io', 'io-mem', 4 * MiB);
    expect(base % LIST_SPAN).toBe(0);
    const list = Memory.of(eal).lists().find((l) => l.baseAddr === base)!;
    expect(list).toMatchObject({ external: true, socketId: socket, length: 4 * MiB });
    expect(eal.config.readList(list.index)!.flags & ML_F_EXT_SHARED).toBe(ML_F_EXT_SHARED);
    expect(heap.socketStats(socket).heapTotalBytes).toBe(4 * MiB);

    const child = await secondary(prefix);
    expect(await child.call('attach', { heap: 'io', name: 'io-mem' })).toBe(true);
    const addr = await child.call<number>('malloc', { heap: 'io', size: 1000, fill: 0xab });
    // Allocated in the shared memory, and the primary sees the block and its bytes.
    expect(addr).toBeGreaterThanOrEqual(base);
    expect(addr + 1000).toBeLessThanOrEqual(base + 4 * MiB);
    expect(heap.usableSize(addr)).toBeGreaterThanOrEqual(1000);
    expect(heap.socketStats(socket).allocCount).toBe(1);
    expect([...Memory.of(eal).bytes(addr, 1000)].every((b) => b === 0xab)).toBe(true);
    // And the other way round.
    const mine = heap.malloc(64, 0, socket);
    expect(mine).toBeGreaterThan(0);
    Memory.of(eal).bytes(mine, 4).set([1, 2, 3, 4]);
    expect(await child.call('read', { addr: mine, len: 4 })).toEqual([1, 2, 3, 4]);
    // A block the secondary allocated, freed by the primary.
    expect(codeOf(() => heap.removeMemoryShared('io', 'io-mem'))).toBe('EBUSY');
    heap.free(addr);
    heap.free(mine);
    await child.call('free', { addr: await child.call<number>('malloc', { heap: 'io', size: 77, fill: 1 }) });
    heap.audit();
    await child.close();
    peers.length = 0;
    heap.removeMemoryShared('io', 'io-mem');
    expect(openExtMemfds()).toEqual([]);
    expect(eal.sharedExternalIndex('io-mem')).toBe(-1);
    heap.destroyHeap('io');
    eal.cleanup();
    expect(leftovers(prefix)).toEqual([]);
  });

  it('a worker thread of the primary attaches it by name too', async () => {
    const prefix = uniquePrefix('extshw');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, memory: 2 * MiB });
    const heap = Heap.of(eal);
    const socket = heap.createHeap('w');
    heap.addMemoryShared('w', 'w-mem', MiB);
    const worker = await Peer.worker(PEER, eal.workerData());
    peers.push(worker);
    await worker.call('init', { attach: true });
    await worker.call('attach', { heap: 'w', name: 'w-mem' });
    await worker.call('attach', { heap: 'w', name: 'w-mem' }); // twice: harmless
    const addr = await worker.call<number>('malloc', { heap: 'w', size: 4096, fill: 7 });
    expect(heap.socketStats(socket).allocCount).toBe(1);
    expect(Memory.of(eal).bytes(addr, 4096).every((b) => b === 7)).toBe(true);
    heap.free(addr);
  });

  it('the memory a secondary registered: others attach it while it lives, not after; nothing is left', async () => {
    const prefix = uniquePrefix('extsec');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, memory: 2 * MiB });
    const heap = Heap.of(eal);
    const owner = await secondary(prefix);
    const base = await owner.call<number>('add', { heap: 'sec', name: 'sec-mem', len: MiB });
    heap.attachMemoryShared('sec', 'sec-mem');
    const addr = heap.malloc(100, 0, heap.heapSocket('sec'));
    expect(addr).toBeGreaterThanOrEqual(base);
    Memory.of(eal).bytes(addr, 100).fill(9);
    expect((await owner.call<number[]>('read', { addr, len: 3 }))).toEqual([9, 9, 9]);
    await owner.kill();
    peers.length = 0;
    // Mapped here, the memory outlives its owner; a new attach cannot reach it.
    expect(Memory.of(eal).bytes(addr, 100).every((b) => b === 9)).toBe(true);
    const late = await secondary(prefix);
    expect(await late.call('attachError', { heap: 'sec', name: 'sec-mem' })).toBe('ENOENT');
    heap.free(addr);
    heap.removeMemoryShared('sec', 'sec-mem');
    await late.close();
    peers.length = 0;
    eal.cleanup();
    expect(leftovers(prefix)).toEqual([]);
  });

  it('refuses bad input with errno codes, changing nothing', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('extbad'), memory: 2 * MiB });
    const heap = Heap.of(eal);
    heap.createHeap('b');
    const lists = eal.listDescriptors().length;
    expect(codeOf(() => heap.addMemoryShared('nope', 'x', MiB))).toBe('ENOENT');
    expect(codeOf(() => heap.addMemoryShared('b', '', MiB))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'a/b', MiB))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'x'.repeat(EXTMEM_NAME_MAX + 1), MiB))).toBe('ENAMETOOLONG');
    expect(codeOf(() => heap.addMemoryShared('b', 'x', 0))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'x', MiB + 1))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'x', 2 * LIST_SPAN))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'x', MiB, 3000))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemoryShared('b', 'x', Number.NaN))).toBe('EINVAL');
    expect(eal.listDescriptors().length).toBe(lists);
    expect(openExtMemfds()).toEqual([]);
    heap.addMemoryShared('b', 'x', MiB);
    expect(codeOf(() => heap.addMemoryShared('b', 'x', MiB))).toBe('EEXIST');
    expect(codeOf(() => heap.attachMemoryShared('b', 'y'))).toBe('ENOENT');
    heap.createHeap('other');
    expect(codeOf(() => heap.attachMemoryShared('other', 'x'))).toBe('EINVAL');
    expect(codeOf(() => heap.removeMemoryShared('b', 'y'))).toBe('ENOENT');
    expect(openExtMemfds()).toHaveLength(1);
    heap.removeMemoryShared('b', 'x');
    expect(openExtMemfds()).toEqual([]);
  });

  it('detach unmaps in this thread only; a handle with the old memory mapped gets the new one after remove and add', async () => {
    const prefix = uniquePrefix('extre');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, memory: 2 * MiB });
    const heap = Heap.of(eal);
    heap.createHeap('r');
    const base = heap.addMemoryShared('r', 'r-mem', MiB);
    const child = await secondary(prefix);
    await child.call('attach', { heap: 'r', name: 'r-mem' });
    // Detached in the primary, still there for the secondary; attached again.
    heap.detachMemoryShared('r', 'r-mem');
    expect(codeOf(() => heap.detachMemoryShared('r', 'r-mem'))).toBe('ENOENT');
    const a = await child.call<number>('malloc', { heap: 'r', size: 64, fill: 5 });
    heap.attachMemoryShared('r', 'r-mem');
    expect([...Memory.of(eal).bytes(a, 64)].every((b) => b === 5)).toBe(true);
    heap.free(a);
    // Removed and added again under the same name (the same list entry): new, zeroed memory.
    // (Bytes of the free block, past its header.) The child's old map would still show them.
    Memory.of(eal).bytes(base + 4096, 4).fill(9);
    expect(await child.call('read', { addr: base + 4096, len: 4 })).toEqual([9, 9, 9, 9]);
    heap.removeMemoryShared('r', 'r-mem');
    expect(heap.addMemoryShared('r', 'r-mem', MiB)).toBe(base);
    expect([...Memory.of(eal).bytes(base + 4096, 4)]).toEqual([0, 0, 0, 0]);
    Memory.of(eal).bytes(base + 4096, 4).set([4, 3, 2, 1]);
    await child.call('attach', { heap: 'r', name: 'r-mem' });
    expect(await child.call('read', { addr: base + 4096, len: 4 })).toEqual([4, 3, 2, 1]);
    heap.removeMemoryShared('r', 'r-mem');
  });

  it('cleanup closes the memfd and unmaps, with the memory still registered', () => {
    const eal = init({ backend: 'anonymous', filePrefix: uniquePrefix('extclean'), memory: 2 * MiB });
    const heap = Heap.of(eal);
    heap.createHeap('c');
    const base = heap.addMemoryShared('c', 'c-mem', MiB);
    const view = Memory.of(eal).bytes(base, 16);
    view.fill(3);
    expect(openExtMemfds()).toHaveLength(1);
    eal.cleanup();
    expect(openExtMemfds()).toEqual([]);
    expect(view[0]).toBe(0); // unmapped: reads zeros, never crashes
  });
});

describeHugepages(
  'shared external memory of hugepages',
  () => {
    it('takes hugepages for a memfd of hugepages, a secondary allocates from it, and they all go back', async () => {
      const prefix = uniquePrefix('extshh');
      const eal = init({ backend: 'hugetlbfs', filePrefix: prefix, memory: 2 * MiB });
      const heap = Heap.of(eal);
      const socket = heap.createHeap('hp');
      const before = hugepagesFree();
      const base = heap.addMemoryShared('hp', 'hp-mem', 2 * eal.pageSize, eal.pageSize);
      expect(before - hugepagesFree()).toBe(2);
      const child = await secondary(prefix);
      await child.call('attach', { heap: 'hp', name: 'hp-mem' });
      const addr = await child.call<number>('malloc', { heap: 'hp', size: eal.pageSize, fill: 0x3c });
      expect(addr).toBeGreaterThanOrEqual(base);
      expect(heap.socketStats(socket).allocCount).toBe(1);
      expect(Memory.of(eal).bytes(addr, eal.pageSize).every((b) => b === 0x3c)).toBe(true);
      heap.free(addr);
      await child.close();
      peers.length = 0;
      heap.removeMemoryShared('hp', 'hp-mem');
      expect(openExtMemfds()).toEqual([]);
      // Other users of this machine's hugepages move the count too: give them a moment.
      for (let i = 0; i < 20 && hugepagesFree() !== before; i++) await new Promise((r) => setTimeout(r, 100));
      expect(hugepagesFree()).toBe(before);
      eal.cleanup();
      expect(leftovers(prefix)).toEqual([]);
    });
  },
  8,
);
