import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, Heap, Memory } from '../src/index.js';
// @ts-expect-error plain JS fixture shared with the peers
import { churn, intact } from './fixtures/heap-peer.mjs';

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

describe.skipIf(skipWithoutNative)(nativeTitle('the heap under threads and processes at once'), () => {
  it('2 workers, 1 secondary process and the main thread: 100k operations each, nothing lost or shared twice', async () => {
    const prefix = uniquePrefix('heapmt');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    const base = heap.socketStats(0);
    const w1 = await Peer.worker(PEER, eal.workerData());
    const w2 = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    peers.push(w1, w2, child);
    const lcores = [await w1.call('init', { attach: true }), await w2.call('init', { attach: true }), await child.call('init', { processType: 'secondary', filePrefix: prefix })];
    expect(new Set([0, ...lcores]).size).toBe(4);
    // Enough live memory across all four to make the heap grow and shrink.
    const args = (seed: number, tagBase: number) => ({ ops: 100_000, seed, maxLive: 150, maxSize: 96 * 1024, tagBase });
    const remote = Promise.all([w1.call<ChurnResult>('churn', args(11, 0)), w2.call<ChurnResult>('churn', args(22, 64)), child.call<ChurnResult>('churn', args(33, 128))]);
    const mine: { addr: number; size: number; tag: number }[] = [];
    const local: ChurnResult = churn(heap, eal, { ...args(44, 192), ops: 50_000 }, mine);
    const results = [...(await remote), local];
    for (const r of results) {
      expect(r.corrupt).toBe(0);
      expect(r.mallocs).toBeGreaterThan(20_000);
    }
    // Every thread still holds ~150 blocks of ~48 KiB: the heap has grown past its 16 MiB.
    expect(Memory.of(eal).physmemSize()).toBeGreaterThan(16 * MiB);
    heap.audit();
    for (const b of mine) {
      heap.validate(b.addr);
      expect(intact(eal, b)).toBe(true);
      heap.free(b.addr);
    }
    heap.cacheFlush();
    for (const p of [w1, w2, child]) expect(await p.call<{ corrupt: number }>('freeAll')).toMatchObject({ corrupt: 0 });
    heap.audit();
    heap.trim();
    const end = heap.socketStats(0);
    expect(end.allocCount).toBe(0);
    expect(end.heapFreeBytes).toBe(end.heapTotalBytes);
    expect(end).toEqual(base);
  });

  it('a process killed inside a heap operation, holding the lock: the next user rolls it back', async () => {
    const prefix = uniquePrefix('heapkill');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    eals.push(eal);
    eal.threadUnregister(); // every call takes the heap lock
    const heap = Heap.of(eal);
    const keep = [heap.malloc(1000), heap.malloc(50_000), heap.malloc(3000)];
    heap.free(keep[1]!);
    // A block owned by the peer-to-be, to free and to realloc.
    const victim = heap.malloc(20_000);
    const cases = [
      { op: 'malloc', size: 10_000, at: 7 },
      { op: 'malloc', size: 6 * MiB, at: 30 }, // grows the heap: the new pages go back
      { op: 'free', addr: victim, at: 9 },
      { op: 'realloc', addr: victim, size: 40_000, at: 12 },
    ];
    for (const c of cases) {
      const stats = JSON.stringify(heap.socketStats(0));
      const used = eal.usedSegments(1);
      const child = await Peer.child(PEER);
      await child.call('init', { processType: 'secondary', filePrefix: prefix });
      const answer = child.call('dieInside', c).catch((e: Error) => e.message);
      await child.exited;
      expect(await answer).toMatch(/SIGKILL/);
      const recovered = heap.recoveries;
      const p = heap.malloc(100);
      expect(heap.recoveries).toBe(recovered + 1);
      heap.free(p);
      heap.audit();
      expect(JSON.stringify(heap.socketStats(0)), `${c.op} cut at write ${c.at}`).toBe(stats);
      expect(eal.usedSegments(1)).toBe(used);
      heap.validate(victim);
    }
  });
});

