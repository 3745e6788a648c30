import { afterEach, describe, expect, it } from 'vitest';
import { Eal, Heap, Mempool } from '@rtemem/mempool';
import { collectInfo, parseMempoolDump, renderInfo } from '../src/index.js';

const MiB = 1024 * 1024;
const eals: Eal[] = [];
afterEach(() => {
  while (eals.length) eals.pop()!.cleanup();
});

describe('collectInfo / parseMempoolDump (in process)', () => {
  it('parseMempoolDump reads cache_count[N]=M and common_pool_count', () => {
    const dump = ['mempool <p>@0x40', '  cache_size=32', '    cache_count[0]=9', '    cache_count[5]=16', '    total_cache_count=25', '  common_pool_count=400', '  avail_count=425'].join('\n');
    expect(parseMempoolDump(dump)).toEqual({ caches: [{ lcore: 0, count: 9 }, { lcore: 5, count: 16 }], commonPoolCount: 400 });
    expect(parseMempoolDump('mempool <q>\n  common_pool_count=7')).toEqual({ caches: [], commonPoolCount: 7 });
  });

  it('lists external heaps beside socket heaps, and the mempool cache of lcore 0', () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    const socket = heap.createHeap('ext');
    heap.addMemory('ext', new SharedArrayBuffer(MiB));
    const p = heap.malloc(100, 0, socket);
    expect(p).not.toBe(0);
    const mp = Mempool.create(eal, 'pool', 128, 32, 16);
    const held = [mp.get(), mp.get()];
    const r = collectInfo(eal);
    expect(r.heaps.map((h) => [h.name, h.socket, h.external])).toEqual([['socket_0', 0, false], ['ext', socket, true]]);
    expect(r.heaps[1]!.allocCount).toBe(1);
    // The first get refills lcore 0's cache by half a cache (8) and takes one; the second takes another.
    expect(r.mempools[0]).toMatchObject({ name: 'pool', inUse: 2, caches: [{ lcore: 0, count: 6 }] });
    // Read from Mempool.cacheCounts() and availCount(): the numbers the pool's own dump shows.
    const dumped = parseMempoolDump(mp.dump());
    expect(r.mempools[0]).toMatchObject({ caches: dumped.caches, cached: 6, commonPoolCount: dumped.commonPoolCount });
    expect(dumped.commonPoolCount).toBe(128 - 8);
    expect(renderInfo(r)).toMatch(/^\s+ext\s+256\s/m);
    for (const o of held) mp.put(o);
  });

  it('names every page size of an EAL that has several, and the one size of an EAL that has one', () => {
    const eal = Eal.init({ backend: 'sab', memory: 4 * MiB });
    eals.push(eal);
    const r = collectInfo(eal);
    expect(r.eal.pageSizes).toEqual([r.eal.pageSize]);
    expect(renderInfo(r).split('\n')[0]).toMatch(/, page size \d+ [KMG]?i?B/);
    expect(renderInfo(r)).not.toContain('page sizes');
    const several = { ...r, eal: { ...r.eal, pageSizes: [2 * MiB, 1024 * MiB] } };
    expect(renderInfo(several).split('\n')[0]).toContain('page sizes 2 MiB, 1 GiB');
  });
});
