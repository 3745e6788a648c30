import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, ENOENT, LCORE_ID_ANY, MAX_LCORE, Mempool, type MempoolStats } from '../src/index.js';
import { MP_STATS_OFF, ST_PUT_OBJS, STATS_BYTES, STATS_SLOT_BYTES, STATS_SLOTS } from '../src/layout.js';
import { ringOps } from './impl.js';

const MiB = 1024 * 1024;
let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
});
afterEach(() => eal.cleanup());

const ZERO = {
  putBulk: 0,
  putObjs: 0,
  putCommonPoolBulk: 0,
  putCommonPoolObjs: 0,
  getCommonPoolBulk: 0,
  getCommonPoolObjs: 0,
  getSuccessBulk: 0,
  getSuccessObjs: 0,
  getFailBulk: 0,
  getFailObjs: 0,
};

function totals(s: MempoolStats | null): Omit<MempoolStats, 'perLcore'> {
  expect(s).not.toBeNull();
  const { perLcore: _p, ...rest } = s!;
  return rest;
}

describe('mempool statistics (RTE_LIBRTE_MEMPOOL_STATS as an option)', () => {
  it('are null without { stats: true }; resetStats() is then a no-op; the layout has no slots', () => {
    const mp = Mempool.create(eal, 'nostats', 64, 64, 8);
    expect(mp.stats()).toBeNull();
    mp.resetStats();
    expect(mp.stats()).toBeNull();
    expect(mp.dump()).not.toMatch(/put_bulk/);
    const withStats = Mempool.create(eal, 'withstats', 64, 64, 8, 0, { stats: true });
    // The slots sit between the caches and the private area.
    expect(withStats.privateData() - withStats.memzone.addr).toBe(mp.privateData() - mp.memzone.addr + STATS_BYTES);
    expect(STATS_BYTES).toBe(STATS_SLOTS * STATS_SLOT_BYTES);
    expect(STATS_SLOTS).toBe(MAX_LCORE + 1);
    expect(MP_STATS_OFF).toBeGreaterThan(0);
  });

  it('count every get and put, served or not, and the driver traffic, without a cache', () => {
    const mp = Mempool.create(eal, 'nocache', 10, 64, 0, 0, { stats: true, ops: ringOps('ring_mp_mc') });
    expect(totals(mp.stats())).toEqual(ZERO); // populating is not traffic
    const a = mp.get();
    const b = mp.get();
    mp.put(a);
    const out = new Float64Array(16);
    expect(mp.getBulk(out, 4)).toBe(0);
    expect(mp.getBulk(out, 16)).toBe(-ENOENT);
    mp.putBulk(out, 4);
    mp.put(b);
    expect(totals(mp.stats())).toEqual({
      putBulk: 3,
      putObjs: 6,
      putCommonPoolBulk: 3,
      putCommonPoolObjs: 6,
      getCommonPoolBulk: 3,
      getCommonPoolObjs: 6,
      getSuccessBulk: 3,
      getSuccessObjs: 6,
      getFailBulk: 1,
      getFailObjs: 16,
    });
    expect(mp.stats()!.perLcore).toEqual([{ lcore: 0, putObjs: 6, getSuccessObjs: 6 }]);
    expect(mp.dump()).toMatch(/get_fail_objs=16/);
    mp.resetStats();
    expect(totals(mp.stats())).toEqual(ZERO);
    expect(mp.stats()!.perLcore).toEqual([]);
    // Empty pool: get() gives 0 and counts a failure.
    const all = new Float64Array(10);
    expect(mp.getBulk(all, 10)).toBe(0);
    expect(mp.get()).toBe(0);
    expect(mp.stats()!.getFailBulk).toBe(1);
    mp.putBulk(all, 10);
    expect(mp.isFull()).toBe(true);
    mp.audit();
  });

  it('count the refills and flushes of the lcore cache as common-pool traffic, and still serve every call right', () => {
    const mp = Mempool.create(eal, 'cached', 256, 64, 32, 0, { stats: true });
    const o = mp.get(); // refill by half a cache (16), then one from the cache
    let s = mp.stats()!;
    expect([s.getSuccessBulk, s.getSuccessObjs, s.getCommonPoolBulk, s.getCommonPoolObjs]).toEqual([1, 1, 1, 16]);
    mp.put(o);
    const held: number[] = [];
    for (let i = 0; i < 100; i++) held.push(mp.get());
    expect(new Set(held).size).toBe(100);
    for (const x of held) mp.put(x);
    s = mp.stats()!;
    expect(s.getSuccessObjs).toBe(101);
    expect(s.putObjs).toBe(101);
    expect(s.putBulk).toBe(101);
    // Every object taken from the driver went back to it or sits in the cache.
    expect(s.getCommonPoolObjs - s.putCommonPoolObjs).toBe(mp.cacheCounts()[0]);
    expect(mp.isFull()).toBe(true);
    mp.audit();
  });

  it.each(['stack', 'lf_stack', ringOps('ring_sp_sc'), ringOps('ring_mt_hts')])('count the same on driver %s, and audit clean', (ops) => {
    const mp = Mempool.create(eal, `drv${ops}`, 128, 64, 16, 0, { stats: true, ops });
    const out = new Float64Array(40);
    expect(mp.getBulk(out, 40)).toBe(0); // above half a cache: straight from the driver
    mp.putBulk(out, 40);
    expect(mp.getBulk(out, 4)).toBe(0); // refill 8, serve 4
    mp.putBulk(out, 4);
    const s = mp.stats()!;
    expect([s.getSuccessObjs, s.putObjs, s.getCommonPoolBulk, s.getCommonPoolObjs, s.putCommonPoolObjs]).toEqual([44, 44, 2, 48, 40]);
    expect(mp.availCount()).toBe(128);
    mp.audit();
    const r = mp.recover();
    expect(r).toEqual({ dropped: 0, released: 0 });
    mp.free();
  });

  it('count through a user cache and genericGet/genericPut', () => {
    const mp = Mempool.create(eal, 'user', 64, 64, 0, 0, { stats: true });
    const c = mp.cacheCreate(16);
    const out = new Float64Array(4);
    expect(mp.genericGet(out, 4, c)).toBe(0);
    mp.genericPut(out, 4, c);
    const s = mp.stats()!;
    expect([s.getSuccessBulk, s.getSuccessObjs, s.putBulk, s.putObjs, s.getCommonPoolObjs]).toEqual([1, 4, 1, 4, 8]);
    mp.cacheFlush(c);
    expect(mp.stats()!.putCommonPoolObjs).toBe(8);
    c.free();
  });

  it('count a thread without an lcore in the shared slot (LCORE_ID_ANY)', () => {
    const mp = Mempool.create(eal, 'anylc', 64, 64, 8, 0, { stats: true });
    mp.put(mp.get());
    eal.threadUnregister();
    const x = mp.get();
    mp.put(x);
    mp.put(mp.get());
    const per = mp.stats()!.perLcore;
    expect(per).toEqual([
      { lcore: 0, putObjs: 1, getSuccessObjs: 1 },
      { lcore: LCORE_ID_ANY, putObjs: 2, getSuccessObjs: 2 },
    ]);
  });

  it('carry into the high word: counters go past 2^32 in an lcore slot and in the shared slot', () => {
    const mp = Mempool.create(eal, 'carry', 64, 64, 0, 0, { stats: true });
    const list = eal.listOf(mp.memzone.addr)!;
    const slots = mp.memzone.addr - list.baseAddr + list.u32[(mp.memzone.addr - list.baseAddr + MP_STATS_OFF) >> 2]!;
    const lo = (slot: number) => (slots + slot * STATS_SLOT_BYTES + ST_PUT_OBJS) >> 2;
    list.u32[lo(0)] = 0xffffffff;
    list.u32[lo(STATS_SLOTS - 1)] = 0xfffffffe;
    const out = new Float64Array(3);
    mp.getBulk(out, 3);
    mp.putBulk(out, 3);
    eal.threadUnregister();
    mp.getBulk(out, 3);
    mp.putBulk(out, 3);
    const s = mp.stats()!;
    expect(s.perLcore).toEqual([
      { lcore: 0, putObjs: 2 ** 32 + 2, getSuccessObjs: 3 },
      { lcore: LCORE_ID_ANY, putObjs: 2 ** 32 + 1, getSuccessObjs: 3 },
    ]);
    expect(s.putObjs).toBe(2 ** 33 + 3);
  });
});
