import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BAD_IOVA,
  Eal,
  ENOENT,
  Heap,
  MAX_LCORE,
  Memory,
  Mempool,
  MEMPOOL_CACHE_MAX_SIZE,
  MEMPOOL_F_NO_CACHE_ALIGN,
  MEMPOOL_F_NO_IOVA_CONTIG,
  MEMPOOL_F_NO_SPREAD,
  MEMPOOL_F_SC_GET,
  MEMPOOL_F_SP_PUT,
  MEMPOOL_NAMESIZE,
  CACHE_LINE_SIZE,
  type MempoolOps,
  Memzones,
  opsNames,
  registerOps,
  RteError,
} from '../src/index.js';
import {
  CACHE_OBJ_BYTES,
  CACHE_OBJS,
  cacheStride,
  CHUNK_BYTES,
  MAX_CHUNKS,
  MEMPOOL_F_VALID,
  MP_CACHES,
  MP_CHUNK_TABLE,
  OBJ_ALIGN_MIN,
  OBJ_COOKIE_HI,
  OBJ_HEADER_DEBUG,
  OBJ_HEADER_PLAIN,
  OBJ_IOVA_HI,
  OBJ_TRAILER_DEBUG,
  TRAILER_COOKIE_HI,
} from '../src/layout.js';
import { codeOf } from '@rtemem/testkit';
import { ringOps } from './impl.js';

const MiB = 1024 * 1024;
const OPS = ['ring_mp_mc', 'ring_sp_sc', 'ring_mp_sc', 'ring_sp_mc', 'ring_mt_rts', 'ring_mt_hts', 'stack', 'lf_stack'].map(ringOps);

let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
});
afterEach(() => eal.cleanup());

function heapSnapshot(): string {
  Heap.of(eal).cacheFlush();
  return JSON.stringify(Heap.of(eal).socketStats(0));
}

// test_mempool.c: basic get/put on a pool, with and without cache.
function basic(mp: Mempool, out: Float64Array | number[] = []) {
  const size = mp.size;
  expect(mp.availCount()).toBe(size);
  const obj = mp.get();
  expect(obj).toBeGreaterThan(0);
  expect(mp.isObject(obj)).toBe(true);
  expect(mp.availCount()).toBe(size - 1);
  expect(mp.inUseCount()).toBe(1);
  mp.put(obj);
  expect(mp.availCount()).toBe(size);
  // Get everything: one more fails, the pool is empty.
  const all: number[] = [];
  for (let i = 0; i < size; i++) {
    const o = mp.get();
    expect(o).not.toBe(0);
    all.push(o);
  }
  expect(new Set(all).size).toBe(size);
  expect(mp.get()).toBe(0);
  expect(mp.getBulk(out, 1)).toBe(-ENOENT);
  expect(mp.isEmpty()).toBe(true);
  for (const o of all) mp.put(o);
  expect(mp.isFull()).toBe(true);
  mp.audit();
}

describe('Mempool (test_mempool.c)', () => {
  it.each([
    ['no cache', 0],
    ['a cache of 32', 32],
    ['the largest cache, 512', MEMPOOL_CACHE_MAX_SIZE],
  ])('gets and puts with %s', (_what, cache) => {
    const mp = Mempool.create(eal, `basic${cache}`, 1024, 64, cache);
    expect([mp.size, mp.cacheSize, mp.eltSize, mp.opsName]).toEqual([1024, cache, 64, ringOps('ring_mp_mc')]);
    basic(mp);
    const out = new Float64Array(16);
    expect(mp.getBulk(out, 16)).toBe(0);
    expect(new Set(out).size).toBe(16);
    // Objects in the lcore cache still count as available.
    mp.putBulk(out);
    expect(mp.availCount()).toBe(1024);
  });

  it('counts objects parked in other lcores\' caches as available, yet cannot give them', () => {
    const mp = Mempool.create(eal, 'spread', 64, 64, 32);
    const other = Eal.attach(eal.workerData());
    other.threadRegister();
    const mp2 = Mempool.lookup(other, 'spread')!;
    const out = new Float64Array(64);
    expect(mp2.getBulk(out, 16)).toBe(0);
    mp2.putBulk(out, 16); // parked in lcore 1's cache
    expect(mp.availCount()).toBe(64);
    // lcore 0 can get what the driver holds, not what sits in lcore 1's cache.
    const got: number[] = [];
    for (let o = mp.get(); o !== 0; o = mp.get()) got.push(o);
    expect(got.length).toBe(64 - 16);
    expect(mp.availCount()).toBe(16);
    expect(mp.getBulk(out, 16)).toBe(-ENOENT);
    for (const o of got) mp.put(o);
    other.cleanup();
  });

  it('works through a user-owned cache for a thread without an lcore', () => {
    const mp = Mempool.create(eal, 'ucache', 256, 64, 0);
    const other = Eal.attach(eal.workerData()); // no lcore
    const mp2 = Mempool.lookup(other, 'ucache')!;
    const cache = mp2.cacheCreate(32);
    const out = new Float64Array(8);
    expect(mp2.genericGet(out, 8, cache)).toBe(0);
    expect(cache.length).toBe(8); // refilled by half (16), 8 handed out
    mp2.genericPut(out, 8, cache);
    expect(cache.length).toBe(16);
    expect(mp.availCount()).toBe(256 - 16); // a user cache is not an lcore cache
    cache.flush();
    expect(cache.length).toBe(0);
    expect(mp.availCount()).toBe(256);
    expect(mp2.genericGet(out, 8, null)).toBe(0); // straight from the driver
    mp2.genericPut(out, 8, null);
    const otherPool = Mempool.create(eal, 'ucache2', 16, 64, 0);
    expect(codeOf(() => otherPool.genericGet(out, 1, cache))).toBe('EINVAL');
    cache.free();
    expect(codeOf(() => mp2.genericGet(out, 1, cache))).toBe('EINVAL');
    other.cleanup();
  });

  it.each(['an lcore cache', 'a user cache'])('%s follows the one cache rule: flush the oldest half on overflow, refill half, big requests bypass', (which) => {
    const lcore = which === 'an lcore cache';
    const mp = Mempool.create(eal, lcore ? 'rule' : 'urule', 1024, 64, lcore ? 64 : 0);
    const user = lcore ? null : mp.cacheCreate(64);
    const get = (out: Float64Array, n: number) => (user ? mp.genericGet(out, n, user) : mp.getBulk(out, n));
    const put = (objs: Float64Array, n: number) => (user ? mp.genericPut(objs, n, user) : mp.putBulk(objs, n));
    const cached = () => (user ? user.length : mp.cacheCounts()[0]!);
    const a = new Float64Array(1);
    // A get the cache cannot serve refills it by half a cache (32): 31 stay.
    expect(get(a, 1)).toBe(0);
    expect(cached()).toBe(31);
    // Requests bigger than half a cache bypass it, both ways.
    const big = new Float64Array(40);
    expect(get(big, 40)).toBe(0);
    put(big, 40);
    expect(cached()).toBe(31);
    put(a, 1);
    expect(cached()).toBe(32);
    // Fill the cache to its size: 64.
    const x = new Float64Array(32);
    const y = new Float64Array(32);
    expect(get(x, 32)).toBe(0); // from the cache: 0 left
    expect(get(y, 32)).toBe(0); // refill 32, hand them out: 0 left
    expect(cached()).toBe(0);
    put(x, 32);
    put(y, 32);
    expect(cached()).toBe(64);
    // One more put: the oldest half (x) goes back to the driver first.
    const one = new Float64Array(1);
    expect(mp.genericGet(one, 1, null)).toBe(0);
    put(one, 1);
    expect(cached()).toBe(33);
    // The newest stayed: the next gets are `one`, then y from its end.
    const next = new Float64Array(1);
    expect(get(next, 1)).toBe(0);
    expect(next[0]).toBe(one[0]);
    expect(get(next, 1)).toBe(0);
    expect(next[0]).toBe(y[31]);
    put(Float64Array.of(y[31]!, one[0]!), 2);
    user?.flush();
    expect(mp.availCount()).toBe(1024);
    mp.audit();
  });

  it('cacheCounts() gives each lcore\'s cache fill, the numbers dump() shows', () => {
    const mp = Mempool.create(eal, 'counts', 256, 64, 32);
    expect(mp.cacheCounts()).toEqual(new Uint32Array(MAX_LCORE));
    const a = mp.get(); // refill by 16, one handed out: 15 stay
    const other = Eal.attach(eal.workerData());
    const lc = other.threadRegister();
    expect(lc).not.toBe(0);
    const mp2 = Mempool.lookup(other, 'counts')!;
    const out = new Float64Array(16);
    expect(mp2.getBulk(out, 16)).toBe(0); // refill by 16, all handed out
    mp2.putBulk(out, 10); // 10 parked in lc's cache
    const counts = mp.cacheCounts();
    expect(counts.length).toBe(MAX_LCORE);
    expect(counts[0]).toBe(15);
    expect(counts[lc]).toBe(10);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(25);
    const lines = [...mp.dump().matchAll(/cache_count\[(\d+)\]=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(lines).toEqual([
      [0, 15],
      [lc, 10],
    ]);
    // A snapshot: what the caller holds does not move with the caches.
    mp.put(a);
    expect(counts[0]).toBe(15);
    expect(mp.cacheCounts()[0]).toBe(16);
    expect(mp.availCount()).toBe(256 - 6);
    mp2.putBulk(out.subarray(10), 6);
    // A pool without caches counts nothing, whoever gets from it.
    const bare = Mempool.create(eal, 'counts0', 16, 64, 0);
    const held = bare.get();
    expect(bare.cacheCounts()).toEqual(new Uint32Array(MAX_LCORE));
    bare.put(held);
    other.cleanup();
  });

  it('genericGet/genericPut refuse what is not a live cache of this pool before anything moves', () => {
    const mp = Mempool.create(eal, 'ucheck', 64, 64, 0, 0, { debug: true });
    const other = Mempool.create(eal, 'ucheck2', 64, 64, 0);
    const cache = mp.cacheCreate(16);
    const foreign = other.cacheCreate(16);
    const held = new Float64Array(4);
    expect(mp.genericGet(held, 4, null)).toBe(0);
    const out = new Float64Array(4);
    for (const junk of [{}, { size: 4, addr: 64 }, 'cache', 7, foreign]) {
      expect(codeOf(() => mp.genericGet(out, 1, junk as never)), String(junk)).toBe('EINVAL');
      expect(codeOf(() => mp.genericPut(held, 4, junk as never)), String(junk)).toBe('EINVAL');
      expect(mp.inUseCount()).toBe(4);
    }
    cache.free();
    expect(codeOf(() => mp.genericPut(held, 4, cache))).toBe('EINVAL');
    expect(mp.inUseCount()).toBe(4);
    // The debug cookies did not move either: each object goes back once, as handed out.
    mp.putBulk(held, 4);
    expect(mp.isFull()).toBe(true);
    mp.audit();
    foreign.free();
  });

  it('aligns objects to 64 bytes, or 8 with NO_CACHE_ALIGN, and never lets them overlap', () => {
    for (const [flags, align] of [
      [0, CACHE_LINE_SIZE],
      [MEMPOOL_F_NO_CACHE_ALIGN, OBJ_ALIGN_MIN],
    ] as const) {
      const mp = Mempool.create(eal, `al${flags}`, 100, 17, 0, 0, { flags });
      const objs: number[] = [];
      expect(mp.objIter((o, i) => objs.push(o + i * 0))).toBe(100);
      for (const o of objs) expect(o % align).toBe(0);
      objs.sort((a, b) => a - b);
      for (let i = 1; i < objs.length; i++) expect(objs[i]! - objs[i - 1]!).toBeGreaterThanOrEqual(17 + mp.headerSize);
      if (align === OBJ_ALIGN_MIN) expect(mp.headerSize % CACHE_LINE_SIZE).not.toBe(0);
    }
  });

  it('runs on every built-in driver', () => {
    expect(opsNames()).toEqual(expect.arrayContaining(OPS));
    for (const ops of OPS) {
      const mp = Mempool.create(eal, `ops_${ops}`, 256, 32, 16, 0, { ops });
      expect(mp.opsName).toBe(ops);
      basic(mp);
      mp.free();
    }
  });

  it('picks ring_sp_* / ring_*_sc from SP_PUT and SC_GET', () => {
    expect(Mempool.create(eal, 'f1', 16, 8, 0, 0, { flags: MEMPOOL_F_SP_PUT }).opsName).toBe(ringOps('ring_sp_mc'));
    expect(Mempool.create(eal, 'f2', 16, 8, 0, 0, { flags: MEMPOOL_F_SC_GET }).opsName).toBe(ringOps('ring_mp_sc'));
    expect(Mempool.create(eal, 'f3', 16, 8, 0, 0, { flags: MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET }).opsName).toBe(ringOps('ring_sp_sc'));
  });

  it('rejects bad parameters with EINVAL, long names, duplicates', () => {
    const bad: [string, () => unknown][] = [
      ['n 0', () => Mempool.create(eal, 'b', 0, 64)],
      ['eltSize 0', () => Mempool.create(eal, 'b', 16, 0)],
      ['cacheSize 513', () => Mempool.create(eal, 'b', 1024, 64, MEMPOOL_CACHE_MAX_SIZE + 1)],
      ['cacheSize > n', () => Mempool.create(eal, 'b', 16, 64, 32)],
      ['an unknown flag', () => Mempool.create(eal, 'b', 16, 64, 0, 0, { flags: 0x100 })],
      ['a negative private size', () => Mempool.create(eal, 'b', 16, 64, 0, -1)],
      ['a fractional n', () => Mempool.create(eal, 'b', 16.5, 64)],
      ['an empty name', () => Mempool.create(eal, '', 16, 64)],
    ];
    for (const [what, fn] of bad) expect(codeOf(fn), what).toBe('EINVAL');
    expect(codeOf(() => Mempool.create(eal, 'x'.repeat(MEMPOOL_NAMESIZE), 16, 64))).toBe('ENAMETOOLONG');
    expect(codeOf(() => Mempool.create(eal, 'b', 16, 64, 0, 0, { ops: 'no_such_driver' }))).toBe('ENOENT');
    expect(Mempool.lookup(eal, 'b')).toBeNull();
    Mempool.create(eal, 'dup', 16, 64);
    expect(codeOf(() => Mempool.create(eal, 'dup', 16, 64))).toBe('EEXIST');
    const mp = Mempool.lookup(eal, 'dup')!;
    expect(codeOf(() => mp.getBulk([], -1))).toBe('EINVAL');
    expect(codeOf(() => mp.putBulk([1], 2))).toBe('EINVAL');
  });

  it('refuses to take back anything that is no address, through every put, and puts nothing', () => {
    const junk: unknown[] = [Number.NaN, 0, -64, 'x', undefined, null, {}];
    for (const cacheSize of [0, 32]) {
      const mp = Mempool.create(eal, `nobj${cacheSize}`, 64, 64, cacheSize);
      const held = new Float64Array(8);
      expect(mp.getBulk(held, 8)).toBe(0);
      const cache = mp.cacheCreate(16);
      for (const v of junk) {
        const what = `${String(v)}, cache ${cacheSize}`;
        expect(codeOf(() => mp.put(v as number)), what).toBe('EINVAL');
        // The bad one last: the good ones before it must not go in either.
        const arr = [held[0]!, held[1]!, v as number];
        expect(codeOf(() => mp.putBulk(arr)), what).toBe('EINVAL');
        expect(codeOf(() => mp.genericPut(arr, 3, cache)), what).toBe('EINVAL');
        expect(codeOf(() => mp.genericPut(arr, 3, null)), what).toBe('EINVAL');
        if (typeof v === 'number') {
          expect(codeOf(() => mp.putBulk(Float64Array.of(held[0]!, held[1]!, v))), what).toBe('EINVAL');
          // Eight and more go through the unrolled copy.
          const eight = Float64Array.from(held);
          eight[7] = v;
          expect(codeOf(() => mp.putBulk(eight)), what).toBe('EINVAL');
        }
        expect(mp.inUseCount(), what).toBe(8);
      }
      mp.putBulk(held);
      cache.flush();
      cache.free();
      expect(mp.availCount()).toBe(64);
      // Every object comes out once, and nothing else (through the cache).
      const all = Array.from({ length: 64 }, () => mp.get());
      expect(mp.get()).toBe(0);
      expect(all.every((o) => mp.isObject(o))).toBe(true);
      expect(new Set(all).size).toBe(64);
      for (const o of all) mp.put(o);
      mp.audit();
    }
  });

  it('says ENOMEM and leaves nothing reserved when the memory is not there', () => {
    const before = heapSnapshot();
    const zones = Memzones.of(eal).count();
    expect(codeOf(() => Mempool.create(eal, 'huge', 100_000, 4096, 0))).toBe('ENOMEM');
    expect(Mempool.lookup(eal, 'huge')).toBeNull();
    expect(Memzones.of(eal).count()).toBe(zones);
    expect(heapSnapshot()).toBe(before);
  });

  it('creates empty, sets a driver by name, populates, and refuses to change it after', () => {
    const mp = Mempool.createEmpty(eal, 'empty', 300, 100, 8, 64);
    expect(mp.availCount()).toBe(0);
    mp.setOpsByName('stack');
    expect(mp.populateDefault()).toBe(300);
    expect(mp.availCount()).toBe(300);
    expect(codeOf(() => mp.populateDefault())).toBe('EEXIST');
    expect(codeOf(() => mp.setOpsByName(ringOps('ring_mp_mc')))).toBe('EEXIST');
    expect(mp.opsName).toBe('stack');
  });

  it('calls poolInit once and objInit per object, and gives the private area', () => {
    let pools = 0;
    const seen: number[] = [];
    const mp = Mempool.create(eal, 'init', 50, 16, 0, 100, {
      poolInit: (p) => {
        pools++;
        expect(p.availCount()).toBe(0);
      },
      objInit: (p, obj, idx) => {
        Memory.of(eal).bytes(obj, 4).set([idx, 1, 2, 3]);
        seen.push(idx);
      },
    });
    expect(pools).toBe(1);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    mp.objIter((obj, idx) => expect(Memory.of(eal).bytes(obj, 1)[0]).toBe(idx));
    const priv = mp.privateData();
    expect(priv % CACHE_LINE_SIZE).toBe(0);
    Memory.of(eal).bytes(priv, 100).fill(7); // the whole area is usable
    expect(mp.privateDataSize).toBe(100);
  });

  it('is found by name and by walk, and freed completely', () => {
    const before = heapSnapshot();
    const mp = Mempool.create(eal, 'walked', 100, 64, 8);
    Mempool.create(eal, 'walked2', 10, 64);
    const names: string[] = [];
    Mempool.walk(eal, (p) => names.push(p.name));
    expect(names.sort()).toEqual(['walked', 'walked2']);
    expect(Mempool.lookup(eal, 'walked')).toBe(mp);
    expect(Mempool.lookup(eal, 'nope')).toBeNull();
    mp.free();
    Mempool.lookup(eal, 'walked2')!.free();
    expect(Mempool.lookup(eal, 'walked')).toBeNull();
    expect(heapSnapshot()).toBe(before);
  });

  it('knows each object\'s IOVA (BAD_IOVA on sab) and dumps its state', () => {
    const mp = Mempool.create(eal, 'io', 10, 64, 4);
    const obj = mp.get();
    expect(mp.virt2iova(obj)).toBe(BAD_IOVA);
    const text = mp.dump();
    expect(text).toMatch(/^mempool <io>@0x[0-9a-f]+\n/);
    expect(text).toMatch(new RegExp(`ops=${ringOps('ring_mp_mc')}\\b`));
    expect(text).toMatch(/cache_size=4\n    cache_count\[0\]=1/);
    expect(text).toMatch(/avail_count=9\n  in_use_count=1/);
    mp.put(obj);
  });

  it('lays out one cache per lcore (MAX_LCORE of the EAL) before the private area; layout.ts holds literals that agree', () => {
    for (const cacheSize of [0, 1, 64, MEMPOOL_CACHE_MAX_SIZE]) {
      const mp = Mempool.create(eal, `lay${cacheSize}`, 1024, 64, cacheSize, 8);
      expect(cacheStride(cacheSize) % CACHE_LINE_SIZE).toBe(0);
      expect(cacheStride(cacheSize)).toBeGreaterThanOrEqual(CACHE_OBJS + cacheSize * CACHE_OBJ_BYTES);
      expect(mp.privateData() - mp.memzone.addr).toBe(MP_CACHES + MAX_LCORE * cacheStride(cacheSize));
      expect(mp.cacheCounts().length).toBe(MAX_LCORE);
      mp.free();
    }
    // Derived literals, with the formula their comment gives.
    expect(MP_CACHES).toBe(MP_CHUNK_TABLE + MAX_CHUNKS * CHUNK_BYTES);
    expect(MEMPOOL_F_VALID).toBe(MEMPOOL_F_NO_SPREAD | MEMPOOL_F_NO_CACHE_ALIGN | MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET | MEMPOOL_F_NO_IOVA_CONTIG);
    expect(OBJ_HEADER_PLAIN).toBe(OBJ_IOVA_HI + 4);
    expect(OBJ_HEADER_DEBUG).toBe(OBJ_COOKIE_HI + 4);
    expect(OBJ_TRAILER_DEBUG).toBe(TRAILER_COOKIE_HI + 4);
    const src = readFileSync(new URL('../src/layout.ts', import.meta.url), 'utf8');
    for (const [, name, value] of src.matchAll(/^export const (\w+) = ([^;]+);/gm)) expect(`${name} = ${value}`).toMatch(/= (-?\d+|0x[0-9a-f]+|'[^']*')$/);
  });
});

describe('debug cookies', () => {
  it('catch a double put, a foreign object and an overrun, naming pool and object', () => {
    const mp = Mempool.create(eal, 'dbg', 16, 32, 4, 0, { debug: true });
    expect(mp.debug).toBe(true);
    expect(mp.trailerSize).toBe(OBJ_TRAILER_DEBUG);
    const a = mp.get();
    mp.put(a);
    expect(() => mp.put(a)).toThrow(/mempool dbg: object 0x[0-9a-f]+ is already in the pool \(double put\)/);
    const other = Mempool.create(eal, 'dbg2', 4, 32, 0, 0, { debug: true });
    const foreign = other.get();
    expect(() => mp.put(foreign)).toThrow(/is not an object of this pool/);
    expect(() => mp.put(12345 * 64)).toThrow(/not an object of this pool/);
    const b = mp.get();
    Memory.of(eal).bytes(b, 40).fill(1); // 8 bytes past its 32
    expect(() => mp.put(b)).toThrow(/corrupt trailer cookie: something wrote past its 32 bytes/);
    expect(codeOf(() => mp.audit())).toBe('EINVAL');
    other.put(foreign);
  });

  it('cost nothing when off: no trailer, no checks', () => {
    const mp = Mempool.create(eal, 'nodbg', 16, 32, 0, 0, { debug: false });
    expect(mp.debug).toBe(false);
    expect(mp.trailerSize).toBe(0);
    const a = mp.get();
    mp.put(a);
    mp.audit();
  });
});

describe('custom drivers (registerOps)', () => {
  it('swap the ring for a user-written queue in shared memory', () => {
    // A FIFO of numbers in a heap block, guarded by the EAL's lock: not a
    // ring at all, to show the pool does not care what holds its objects.
    const QHDR = 64;
    const views = (mp: Mempool) => {
      const list = mp.eal.listOf(mp.poolData)!;
      return { list, base: mp.poolData - list.baseAddr };
    };
    const calls = { enqueue: 0, dequeue: 0 };
    const fifo: MempoolOps = {
      name: 'user_fifo',
      alloc(mp) {
        const addr = Heap.of(mp.eal).zmalloc(QHDR + mp.size * 8);
        if (addr === 0) throw new RteError('ENOMEM', 'no memory for the fifo');
        mp.poolData = addr;
      },
      free(mp) {
        Heap.of(mp.eal).free(mp.poolData);
      },
      enqueue(mp, objs, n) {
        calls.enqueue++;
        const { list, base } = views(mp);
        const head = list.u32[(base >> 2) + 0]!;
        const count = list.u32[(base >> 2) + 1]!;
        if (count + n > mp.size) return -105;
        for (let i = 0; i < n; i++) list.f64[((base + QHDR) >> 3) + ((head + count + i) % mp.size)] = objs[i]!;
        list.u32[(base >> 2) + 1] = count + n;
        return 0;
      },
      dequeue(mp, out, n) {
        calls.dequeue++;
        const { list, base } = views(mp);
        const head = list.u32[(base >> 2) + 0]!;
        const count = list.u32[(base >> 2) + 1]!;
        if (count < n) return -ENOENT;
        for (let i = 0; i < n; i++) out[i] = list.f64[((base + QHDR) >> 3) + ((head + i) % mp.size)]!;
        list.u32[(base >> 2) + 0] = (head + n) % mp.size;
        list.u32[(base >> 2) + 1] = count - n;
        return 0;
      },
      getCount(mp) {
        const { list, base } = views(mp);
        return list.u32[(base >> 2) + 1]!;
      },
    };
    registerOps(fifo);
    registerOps(fifo); // the same object again is fine
    expect(codeOf(() => registerOps({ ...fifo }))).toBe('EEXIST');
    expect(codeOf(() => registerOps({ name: 'half' } as unknown as MempoolOps))).toBe('EINVAL');
    const mp = Mempool.create(eal, 'custom', 100, 64, 0, 0, { ops: 'user_fifo' });
    expect(mp.opsName).toBe('user_fifo');
    basic(mp);
    expect(calls.enqueue).toBeGreaterThan(100);
    expect(calls.dequeue).toBeGreaterThan(100);
    // FIFO: the first object put back is the first out.
    const a = mp.get();
    const b = mp.get();
    mp.put(b);
    mp.put(a);
    const rest: number[] = [];
    for (let o = mp.get(); o !== 0; o = mp.get()) rest.push(o);
    expect(rest.slice(-2)).toEqual([b, a]);
    for (const o of rest) mp.put(o);
    mp.free();
  });
});
