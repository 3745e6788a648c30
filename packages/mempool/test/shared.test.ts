import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { BAD_IOVA, Eal, Heap, LCORE_ID_ANY, Memzones, Mempool, MEMPOOL_F_SC_GET, MEMPOOL_F_SP_PUT, MEMPOOL_MZ_PREFIX, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/index.js';
import { ringOps } from './impl.js';

const PEER = new URL('./fixtures/mempool-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

interface Stressed {
  gets: number;
  puts: number;
  failed: number;
  bad: number;
}

describe('a mempool shared by threads and processes', () => {
  it('SP/SC pool across two workers: one gets, the other puts back', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const mp = Mempool.create(eal, 'spsc', 1024, 64, 0, 0, { flags: MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET });
    expect(mp.opsName).toBe(ringOps('ring_sp_sc'));
    Ring.create(eal, 'pass', 256, -1, RING_F_SP_ENQ | RING_F_SC_DEQ);
    const [getter, putter] = await Promise.all([Peer.worker(PEER, eal.workerData()), Peer.worker(PEER, eal.workerData())]);
    peers.push(getter!, putter!);
    await getter!.call('init', { attach: true });
    await putter!.call('init', { attach: true });
    const count = 200_000;
    await Promise.all([getter!.call('spscGet', { pool: 'spsc', ring: 'pass', count }), putter!.call('spscPut', { pool: 'spsc', ring: 'pass', count })]);
    expect(mp.isFull()).toBe(true);
    mp.audit();
  });

  it.skipIf(skipWithoutNative).each(['ring_mp_mc', 'ring_mt_rts', 'ring_mt_hts', 'stack', 'lf_stack'].map(ringOps))(
    nativeTitle('%s: 2 workers and a secondary process, 1e6 objects each through their lcore caches, stamps intact, pool full after'),
    async (ops) => {
      const prefix = uniquePrefix(`mpstress_${ops}`);
      const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 32 * MiB });
      eals.push(eal);
      const mp = Mempool.create(eal, 'stress', 4096, 64, 128, 0, { ops, debug: true });
      const workers = await Promise.all([Peer.worker(PEER, eal.workerData()), Peer.worker(PEER, eal.workerData())]);
      const child = await Peer.child(PEER);
      peers.push(...workers, child);
      const lcores = [
        await workers[0]!.call<number>('init', { attach: true }),
        await workers[1]!.call<number>('init', { attach: true }),
        await child.call<number>('init', { processType: 'secondary', filePrefix: prefix }),
      ];
      expect(new Set([0, ...lcores]).size).toBe(4);
      const args = (tag: number) => ({ pool: 'stress', ops: 130_000, seed: tag * 7919, maxHold: 1000, tag, eltSize: 64 });
      const results = await Promise.all([workers[0]!.call<Stressed>('stress', args(1)), workers[1]!.call<Stressed>('stress', args(2)), child.call<Stressed>('stress', args(3))]);
      for (const r of results) {
        expect(r.bad).toBe(0);
        expect(r.gets).toBe(r.puts);
        expect(r.gets).toBeGreaterThanOrEqual(1_000_000);
      }
      expect(results.reduce((a, r) => a + r.gets, 0)).toBeGreaterThanOrEqual(3_000_000);
      // Objects parked in the peers' lcore caches still count as available.
      expect(mp.availCount()).toBe(4096);
      expect(mp.isFull()).toBe(true);
      mp.audit();
    },
  );

  it.skipIf(skipWithoutNative)(nativeTitle('recover(): a process killed in the middle of a put or a get on the driver ring'), async () => {
    const prefix = uniquePrefix('mprecover');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    eal.threadUnregister(); // no lcore cache: every get and put reaches the ring
    const mp = Mempool.create(eal, 'rec', 64, 64, 0, 0, { ops: ringOps('ring_mt_hts') });
    const ring = Ring.lookup(eal, `${MEMPOOL_MZ_PREFIX}rec`)!;
    const held = [mp.get(), mp.get(), mp.get(), mp.get()];
    for (const [side, n, dropped, released] of [
      ['prod', 3, 3, 0],
      ['cons', 5, 0, 5],
    ] as const) {
      const child = await Peer.child(PEER);
      await child.call('init', { processType: 'secondary', filePrefix: prefix });
      expect(await child.call('stallDriver', { pool: 'rec', side, n })).toBe(n);
      await child.kill('SIGKILL');
      // Every later put (or get) would wait for the dead process: the ring says so.
      expect(ring.dump()).toMatch(side === 'prod' ? /producer: 3 slots claimed but not yet published/ : /consumer: 5 slots claimed/);
      const before = mp.availCount();
      expect(mp.recover()).toEqual({ dropped, released });
      expect(ring.dump()).not.toMatch(/claimed/);
      mp.audit();
      expect(mp.availCount()).toBe(before - released);
      // Usable again, and every object that comes out is a real one.
      mp.put(held.pop()!);
      const all: number[] = [];
      for (let o = mp.get(); o !== 0; o = mp.get()) all.push(o);
      expect(all.every((o) => mp.isObject(o))).toBe(true);
      expect(new Set(all).size).toBe(all.length);
      mp.putBulk(all);
      expect(mp.recover()).toEqual({ dropped: 0, released: 0 });
    }
    // The objects the dead getter had claimed are gone with it; the rest is whole.
    expect(mp.availCount()).toBe(64 - 2 - 5);
  });
});

describe('statistics and memory chunks, seen from every thread and process', () => {
  // rounds of get+put 1 and getBulk+putBulk 8: 2 put calls and 9 objects each.
  const ROUNDS = 20_000;

  async function countTogether(eal: Eal, withChild: boolean, prefix?: string) {
    const mp = Mempool.create(eal, 'st', 2048, 64, 64, 0, { stats: true });
    const workers = await Promise.all([0, 1, 2].map(() => Peer.worker(PEER, eal.workerData())));
    peers.push(...workers);
    for (const w of workers) await w.call('init', { attach: true });
    const child = withChild ? await Peer.child(PEER) : null;
    if (child) {
      peers.push(child);
      await child.call('init', { processType: 'secondary', filePrefix: prefix });
    }
    // Worker 0 (and the child) on their own lcores; workers 1 and 2 without
    // one, counting into the shared slot at the same time.
    const lcores = await Promise.all([
      workers[0]!.call<number>('statsTraffic', { pool: 'st', rounds: ROUNDS }),
      workers[1]!.call<number>('statsTraffic', { pool: 'st', rounds: ROUNDS, unregister: true }),
      workers[2]!.call<number>('statsTraffic', { pool: 'st', rounds: ROUNDS, unregister: true }),
      ...(child ? [child.call<number>('statsTraffic', { pool: 'st', rounds: ROUNDS })] : []),
    ]);
    expect(lcores[1]).toBe(LCORE_ID_ANY);
    const peersN = withChild ? 4 : 3;
    const s = mp.stats()!;
    expect(s.putBulk).toBe(peersN * ROUNDS * 2);
    expect(s.putObjs).toBe(peersN * ROUNDS * 9);
    expect(s.getSuccessBulk).toBe(peersN * ROUNDS * 2);
    expect(s.getSuccessObjs).toBe(peersN * ROUNDS * 9);
    expect(s.getFailBulk).toBe(0);
    const expected = [
      { lcore: lcores[0]!, putObjs: ROUNDS * 9, getSuccessObjs: ROUNDS * 9 },
      ...(child ? [{ lcore: lcores[3]!, putObjs: ROUNDS * 9, getSuccessObjs: ROUNDS * 9 }] : []),
      { lcore: LCORE_ID_ANY, putObjs: 2 * ROUNDS * 9, getSuccessObjs: 2 * ROUNDS * 9 },
    ].sort((a, b) => a.lcore - b.lcore);
    expect(s.perLcore).toEqual(expected);
    // The driver traffic balances with what the caches hold.
    const cached = mp.cacheCounts().reduce((a, b) => a + b, 0);
    expect(s.getCommonPoolObjs - s.putCommonPoolObjs).toBe(cached);
    expect(mp.isFull()).toBe(true);
    mp.audit();
  }

  it('stats: three worker threads, two of them without an lcore, count into the same counters', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    await countTogether(eal, false);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('stats: workers and a secondary process count into the same counters'), async () => {
    const prefix = uniquePrefix('mpstats');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    await countTogether(eal, true, prefix);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('a pool populated piece by piece: a worker and a secondary process see its chunks and every object'), async () => {
    const prefix = uniquePrefix('mpchunks');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const mp = Mempool.createEmpty(eal, 'pieces', 300, 64, 0, 0);
    const a = Heap.of(eal).malloc(100 * 128, 64);
    const mz = Memzones.of(eal).reserve('piece', 100 * 128, -1, 0, 64);
    const b = Heap.of(eal).malloc(200 * 128, 64);
    // Objects skip page boundaries where the EAL knows the pages are not
    // IOVA-contiguous: a piece may hold one fewer than its bytes allow.
    const first = mp.populateVirt(a, 100 * 128);
    expect(first).toBeGreaterThanOrEqual(98);
    expect(mp.populateIova(mz.addr, BAD_IOVA, mz.len)).toBe(100); // IOVAs unknown: no skips
    expect(mp.populateVirt(b, 200 * 128)).toBe(300 - 100 - first);
    expect(mp.isFull()).toBe(true);
    const mine: [number, number, string][] = [];
    mp.memIter((addr, len, iova) => mine.push([addr, len, String(iova)]));
    const worker = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    peers.push(worker, child);
    await worker.call('init', { attach: true });
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    for (const p of [worker, child]) {
      const seen = await p.call<{ n: number; chunks: [number, number, string][]; objs: number; got: number }>('poolChunks', { pool: 'pieces' });
      expect(seen.n).toBe(mine.length);
      expect(seen.chunks).toEqual(mine);
      expect(seen.objs).toBe(300);
      expect(seen.got).toBe(300);
    }
    expect(mp.isFull()).toBe(true);
    mp.audit();
    mp.free();
    Heap.of(eal).free(a);
    Heap.of(eal).free(b);
    Memzones.of(eal).free(mz);
  });
});
