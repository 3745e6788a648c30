// Blocks parked in lcore caches are memory too: a malloc (or memzone
// reserve) that finds no room takes them back from every lcore, threads and
// processes alike, without a lock on the owners' fast path; the stats say
// where the memory is.
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, Heap, type SocketStats } from '../src/index.js';

const PEER = new URL('./fixtures/heap-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

interface ChurnResult {
  mallocs: number;
  frees: number;
  failed: number;
  corrupt: number;
}

function expectAllFree(s: SocketStats): void {
  expect(s.allocCount).toBe(0);
  expect(s.heapAllocBytes).toBe(0);
  expect(s.heapFreeBytes).toBe(s.heapTotalBytes);
}

describe('lcore caches: stats and reclaim in one thread', () => {
  it('cached blocks count as free, separately: after freeing everything, alloc 0 and cacheBytes says what sits in the cache', () => {
    const eal = Eal.init({ backend: 'sab', memory: 8 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    const blocks = [heap.malloc(64), heap.malloc(1000), heap.malloc(4000)];
    for (const p of blocks) heap.free(p);
    const s = heap.socketStats(0);
    expectAllFree(s);
    expect(s.cacheCount).toBe(3);
    expect(s.cacheBytes).toBe(128 + 1088 + 4096);
    // The three were carved from the front of one free element: merged back, they are all of it.
    expect(s.greatestFreeSize).toBe(s.heapTotalBytes);
    expect(heap.cacheReclaim()).toBe(3);
    const after = heap.socketStats(0);
    expectAllFree(after);
    expect(after).toMatchObject({ cacheCount: 0, cacheBytes: 0, freeCount: 1, greatestFreeSize: after.heapTotalBytes });
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('lcore caches of other threads and processes'), () => {
  async function setup(tag: string) {
    const prefix = uniquePrefix(tag);
    // legacyMem: the heap cannot grow, so room must come from the caches.
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB, legacyMem: true });
    eals.push(eal);
    const worker = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    peers.push(worker, child);
    await worker.call('init', { attach: true });
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    return { eal, heap: Heap.of(eal), worker, child };
  }

  it('a malloc that finds no room takes back the blocks parked in a worker\'s and a secondary\'s caches (both still alive and using them after)', async () => {
    const { heap, worker, child } = await setup('reclaim');
    const parked = (await worker.call<number>('park')) + (await child.call<number>('park'));
    expect(parked).toBeGreaterThan(500);
    const s = heap.socketStats(0);
    expectAllFree(s);
    expect(s.cacheCount).toBe(parked);
    expect(s.cacheBytes).toBeGreaterThan(2 * MiB);
    // Without the parked blocks the largest free element is much smaller than this.
    const big = heap.malloc(s.greatestFreeSize - 64);
    expect(big, 'malloc of the greatest free size').toBeGreaterThan(0);
    expect(heap.socketStats(0).cacheCount).toBe(0);
    heap.free(big);
    // The owners go on: their caches fill and empty again.
    const args = { ops: 20_000, seed: 5, maxLive: 40, maxSize: 4096, tagBase: 1 };
    const [a, b] = await Promise.all([worker.call<ChurnResult>('churn', args), child.call<ChurnResult>('churn', { ...args, seed: 6 })]);
    expect(a.corrupt + b.corrupt).toBe(0);
    expect(a.failed + b.failed).toBe(0);
    await worker.call('freeAll');
    await child.call('freeAll');
    heap.audit();
    heap.cacheReclaim();
    expectAllFree(heap.socketStats(0));
  });

  it('reclaims again and again while the owners run their lock-free fast paths: nothing handed out twice, nothing lost', async () => {
    const { eal, heap, worker, child } = await setup('reclaimrace');
    const reclaimer = await Peer.worker(PEER, eal.workerData());
    peers.push(reclaimer);
    await reclaimer.call('init', { attach: true });
    const args = (seed: number, tagBase: number) => ({ ops: 300_000, seed, maxLive: 64, maxSize: 4096, tagBase });
    const busy = Promise.all([worker.call<ChurnResult>('churn', args(11, 0)), child.call<ChurnResult>('churn', args(22, 100))]);
    const loop = reclaimer.call<{ rounds: number; reclaimed: number }>('reclaimLoop', { ms: 1500 });
    const [results, r] = await Promise.all([busy, loop]);
    for (const c of results) {
      expect(c.corrupt).toBe(0);
      expect(c.failed).toBe(0);
    }
    expect(r.rounds).toBeGreaterThan(10);
    expect(r.reclaimed, 'blocks taken from caches in use').toBeGreaterThan(100);
    heap.audit();
    for (const p of [worker, child]) expect(await p.call<{ corrupt: number }>('freeAll')).toMatchObject({ corrupt: 0 });
    heap.cacheReclaim();
    heap.audit();
    expectAllFree(heap.socketStats(0));
    expect(heap.socketStats(0).freeCount).toBe(1);
  });

  it('the cache of a killed secondary is emptied into the heap', async () => {
    const { heap, child } = await setup('reclaimdead');
    const parked = await child.call<number>('park');
    expect(heap.socketStats(0).cacheCount).toBe(parked);
    await child.kill();
    peers.splice(peers.indexOf(child), 1);
    expect(heap.cacheReclaim()).toBe(parked);
    heap.audit();
    const s = heap.socketStats(0);
    expectAllFree(s);
    expect(s).toMatchObject({ cacheCount: 0, freeCount: 1 });
  });
});
