// The biggest zone and the heap's stats agree (DPDK: a reserve of len 0
// never gets more than the greatest free size the heap reports), on every
// backend, also with blocks parked in lcore heap caches; and a reserve that
// finds no room takes those blocks back from every lcore.
import { afterEach, describe, expect, it } from 'vitest';
import { describeHugepages, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, type EalOptions, Heap, Memzones } from '../src/index.js';

const PEER = new URL('./fixtures/memzone-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

function biggestAgrees(opts: EalOptions): void {
  const eal = Eal.init({ ...opts, memory: 16 * MiB, filePrefix: uniquePrefix('mzbig') });
  eals.push(eal);
  const heap = Heap.of(eal);
  const zones = Memzones.of(eal);
  // Fresh: one free element.
  let s = heap.socketStats(0);
  const fresh = zones.reserve('fresh', 0);
  expect(fresh.len).toBe(s.greatestFreeSize - 64);
  zones.free(fresh);
  // Blocks of this lcore parked in its cache, next to free memory: they
  // merge back for the reserve, and the stats count them so.
  const blocks = [];
  for (let i = 0; i < 200; i++) blocks.push(heap.malloc(64 * (1 + (i % 64))));
  for (let i = 0; i < blocks.length; i += 2) heap.free(blocks[i]!);
  s = heap.socketStats(0);
  expect(s.cacheCount).toBeGreaterThan(0);
  expect(s.greatestFreeSize).toBeLessThanOrEqual(s.heapFreeBytes);
  const mz = zones.reserve('biggest', 0);
  expect(mz.len).toBeLessThanOrEqual(s.greatestFreeSize);
  expect(mz.len).toBe(s.greatestFreeSize - 64);
  zones.free(mz);
  for (let i = 1; i < blocks.length; i += 2) heap.free(blocks[i]!);
}

describe('reserve(name, 0) against socketStats().greatestFreeSize', () => {
  it('sab: the biggest zone is the greatest free size minus its header, caches or not', () => biggestAgrees({ backend: 'sab' }));
  it.skipIf(skipWithoutNative)(nativeTitle('anonymous: the same'), () => biggestAgrees({ backend: 'anonymous' }));
});

describeHugepages('reserve(name, 0) on hugepages', () => {
  it('hugetlbfs: the same', () => biggestAgrees({ backend: 'hugetlbfs' }));
});

describe.skipIf(skipWithoutNative)(nativeTitle('a reserve that finds no room'), () => {
  it("takes back the blocks parked in a worker's and a secondary's heap caches", async () => {
    const prefix = uniquePrefix('mzreclaim');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB, legacyMem: true });
    eals.push(eal);
    const worker = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    peers.push(worker, child);
    await worker.call('init', { attach: true });
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    const parked = (await worker.call<number>('park')) + (await child.call<number>('park'));
    const heap = Heap.of(eal);
    const s = heap.socketStats(0);
    expect(s.cacheCount).toBe(parked);
    // More than the free memory outside the caches: only the parked blocks make room.
    const len = s.heapFreeBytes - s.cacheBytes + MiB;
    const mz = Memzones.of(eal).reserve('needs_the_caches', len);
    expect(mz.len).toBe(len);
    expect(heap.socketStats(0).cacheCount).toBe(0);
    Memzones.of(eal).free(mz);
    heap.audit();
  });
});
