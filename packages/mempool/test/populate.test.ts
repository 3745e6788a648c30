import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf, skipWithoutNative, nativeTitle, uniquePrefix } from '@rtemem/testkit';
import { BAD_IOVA, Eal, Heap, LIST_SPAN, Memory, Mempool, MEMPOOL_F_NO_IOVA_CONTIG, Memzones, RteError } from '../src/index.js';
import { CHUNK_KIND_HEAP, CHUNK_KIND_USER, CHUNK_KIND_ZONE, MAX_CHUNKS } from '../src/layout.js';

const MiB = 1024 * 1024;
let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
});
afterEach(() => eal.cleanup());

function heapSnapshot(): string {
  Heap.of(eal).cacheFlush();
  return JSON.stringify(Heap.of(eal).socketStats(0));
}

function chunks(mp: Mempool): [number, number, bigint][] {
  const out: [number, number, bigint][] = [];
  const n = mp.memIter((addr, len, iova) => out.push([addr, len, iova]));
  expect(n).toBe(out.length);
  return out;
}

function objects(mp: Mempool): number[] {
  const objs: number[] = [];
  const idx: number[] = [];
  const n = mp.objIter((obj, i) => {
    objs.push(obj);
    idx.push(i);
  });
  expect(n).toBe(objs.length);
  expect(idx).toEqual(objs.map((_, i) => i));
  return objs;
}

function thrown(fn: () => unknown): RteError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RteError);
    return e as RteError;
  }
  throw new Error('expected an RteError');
}

// test_mempool.c's test_mempool_xmem_misc and the populate steps of
// test_mempool_events: pools populated piece by piece after create_empty.
describe('populating step by step (rte_mempool_populate_*)', () => {
  it('populateVirt adds what fits from each piece of memory until the pool holds n objects, then says ENOSPC', () => {
    const heap = Heap.of(eal);
    const before = heapSnapshot();
    const mp = Mempool.createEmpty(eal, 'virt', 100, 200, 8, 0);
    const total = 256 + 64; // header 64 + 200 rounded up to a cache line (256)
    expect(mp.memIter(() => {})).toBe(0);
    const a = heap.malloc(30 * total, 64);
    const b = heap.malloc(50 * total, 64);
    const c = heap.malloc(40 * total, 64);
    expect(mp.populateVirt(a, 30 * total)).toBe(30);
    expect(mp.availCount()).toBe(30);
    // Objects of a partly populated pool are usable already.
    const o = mp.get();
    expect(mp.isObject(o)).toBe(true);
    mp.put(o);
    expect(mp.populateVirt(b, 50 * total)).toBe(50);
    // Only what is missing is taken from the last piece.
    expect(mp.populateVirt(c, 40 * total)).toBe(20);
    expect(mp.isFull()).toBe(true);
    expect(chunks(mp)).toEqual([
      [a, 30 * total, BAD_IOVA],
      [b, 50 * total, BAD_IOVA],
      [c, 40 * total, BAD_IOVA],
    ]);
    const objs = objects(mp);
    expect(objs.length).toBe(100);
    expect(new Set(objs).size).toBe(100);
    for (const [i, obj] of objs.entries()) {
      const [base, len] = i < 30 ? [a, 30 * total] : i < 80 ? [b, 50 * total] : [c, 40 * total];
      expect(obj).toBeGreaterThanOrEqual(base);
      expect(obj + 200).toBeLessThanOrEqual(base + len);
    }
    // Every object comes out once.
    const got = new Set<number>();
    for (let i = 0; i < 100; i++) got.add(mp.get());
    expect(got.size).toBe(100);
    expect([...got].every((x) => objs.includes(x))).toBe(true);
    for (const x of got) mp.put(x);
    mp.audit();
    // Full: nothing more to add, as DPDK's populate_iova (-ENOSPC);
    // populate_default -EEXIST; populate_anon EINVAL.
    const d = heap.malloc(10 * total, 64);
    expect(codeOf(() => mp.populateVirt(d, 10 * total))).toBe('ENOSPC');
    expect(codeOf(() => mp.populateIova(d, BAD_IOVA, 10 * total))).toBe('ENOSPC');
    expect(codeOf(() => mp.populateDefault())).toBe('EEXIST');
    expect(codeOf(() => mp.populateAnon())).toBe('EINVAL');
    expect(chunks(mp).length).toBe(3);
    mp.audit();
    // The memory stays the caller's: freeing the pool leaves it allocated.
    mp.free();
    for (const x of [a, b, c, d]) heap.free(x);
    expect(heapSnapshot()).toBe(before);
  });

  it('a piece too small for one object adds nothing and records no chunk; populateDefault then refuses a pool with chunks', () => {
    const heap = Heap.of(eal);
    const mp = Mempool.createEmpty(eal, 'small', 10, 64, 0, 0);
    const tiny = heap.malloc(100, 64);
    expect(mp.populateVirt(tiny, 100)).toBe(0);
    expect(chunks(mp)).toEqual([]);
    expect(mp.availCount()).toBe(0);
    const big = heap.malloc(4 * 128, 64);
    expect(mp.populateVirt(big, 4 * 128)).toBe(4);
    expect(codeOf(() => mp.populateDefault())).toBe('EEXIST');
    expect(codeOf(() => mp.populateAnon())).toBe('EINVAL');
    expect(mp.availCount()).toBe(4);
    mp.audit();
    mp.free();
    heap.free(tiny);
    heap.free(big);
  });

  it('aligns the first object up from an unaligned address', () => {
    const heap = Heap.of(eal);
    const mp = Mempool.createEmpty(eal, 'unal', 4, 64, 0, 0);
    const blk = heap.malloc(4096, 64);
    expect(mp.populateVirt(blk + 8, 4 * 128 + 56)).toBe(4);
    const objs = objects(mp);
    expect(objs[0]).toBe(blk + 64 + 64); // element at blk+64, object after its 64-byte header
    for (const o of objs) expect(o % 64).toBe(0);
    mp.free();
    heap.free(blk);
  });

  it('rejects memory the EAL does not map, or that the pool uses, with EINVAL, and changes nothing', () => {
    const heap = Heap.of(eal);
    const mp = Mempool.createEmpty(eal, 'bad', 64, 64, 0, 0);
    const blk = heap.malloc(16 * 128, 64);
    expect(mp.populateVirt(blk, 16 * 128)).toBe(16);
    const before = JSON.stringify(chunks(mp).map(([x, l, i]) => [x, l, String(i)]));
    const list = eal.listOf(blk)!;
    const cases: [unknown, unknown][] = [
      [0, 1024],
      [-64, 1024],
      [Number.NaN, 1024],
      ['1', 1024],
      [blk, 0],
      [blk, -1],
      [blk, 1.5],
      [blk, Number.NaN],
      [7 * LIST_SPAN + 64, 1024], // a list that does not exist
      [list.baseAddr + list.length - 512, 1024], // past the end of the list
      [mp.memzone.addr, 1024], // the pool's own header zone
      [blk + 128, 256], // its own chunk
      [blk - 64, 128], // overlapping its chunk's start
    ];
    for (const [addr, len] of cases) {
      const e = thrown(() => mp.populateVirt(addr as number, len as number));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(/mempool bad/);
      expect(codeOf(() => mp.populateIova(addr as number, BAD_IOVA, len as number))).toBe('EINVAL');
    }
    expect(thrown(() => mp.populateVirt(9 * LIST_SPAN + 4096, 1024)).message).toMatch(/Heap\.malloc|Memzones\.reserve|populateDefault/);
    // Bad IOVAs.
    const other = heap.malloc(1024, 64);
    for (const iova of [5 as unknown as bigint, -2n, 1n << 64n, Number.NaN as unknown as bigint]) {
      expect(codeOf(() => mp.populateIova(other, iova, 1024))).toBe('EINVAL');
    }
    expect(JSON.stringify(chunks(mp).map(([x, l, i]) => [x, l, String(i)]))).toBe(before);
    expect(mp.availCount()).toBe(16);
    mp.audit();
    // Still usable: the next good piece fills it further.
    expect(mp.populateVirt(other, 1024)).toBe(8);
    expect(mp.availCount()).toBe(24);
    mp.audit();
    mp.free();
    heap.free(blk);
    heap.free(other);
  });

  it('takes memory of a memzone, of the heap, or of an external list', () => {
    const zones = Memzones.of(eal);
    const mz = zones.reserve('mine', 64 * 128, -1, 0, 64);
    const mp = Mempool.createEmpty(eal, 'zone', 128, 64, 0, 0);
    expect(mp.populateVirt(mz.addr, mz.len)).toBe(64);
    const sab = new SharedArrayBuffer(2 * MiB);
    const ext = eal.registerExternalList(sab, 4096, 0);
    expect(mp.populateVirt(ext.baseAddr, 64 * 128)).toBe(64);
    expect(mp.isFull()).toBe(true);
    const objs = objects(mp);
    expect(objs.filter((o) => o >= ext.baseAddr && o < ext.baseAddr + ext.length).length).toBe(64);
    Memory.of(eal).bytes(objs[127]!, 64).fill(7);
    mp.audit();
    mp.free();
    expect(zones.lookup('mine')).not.toBeNull();
    zones.free(mz);
  });

  it('populateIova: objects get the IOVA given plus their offset where the EAL knows none; BAD_IOVA leaves them unknown', () => {
    const heap = Heap.of(eal);
    const mp = Mempool.createEmpty(eal, 'iova', 20, 64, 0, 0);
    const a = heap.malloc(10 * 128, 64);
    const b = heap.malloc(10 * 128, 64);
    expect(Memory.of(eal).virt2iova(a)).toBe(BAD_IOVA); // sab
    expect(mp.populateIova(a, 0x4000_0000n, 10 * 128)).toBe(10);
    expect(mp.populateIova(b, BAD_IOVA, 10 * 128)).toBe(10);
    expect(chunks(mp)).toEqual([
      [a, 1280, 0x4000_0000n],
      [b, 1280, BAD_IOVA],
    ]);
    const objs = objects(mp);
    for (const o of objs.slice(0, 10)) expect(mp.virt2iova(o)).toBe(0x4000_0000n + BigInt(o - a));
    for (const o of objs.slice(10)) expect(mp.virt2iova(o)).toBe(BAD_IOVA);
    mp.audit();
    mp.free();
    heap.free(a);
    heap.free(b);
  });

  it('populateAnon fills an empty pool from the heap (no memzone), which it gives back when freed', () => {
    const before = heapSnapshot();
    const mp = Mempool.createEmpty(eal, 'anon', 1000, 100, 32, 0);
    expect(mp.populateAnon()).toBe(1000);
    expect(mp.isFull()).toBe(true);
    const ch = chunks(mp);
    expect(ch.length).toBe(1);
    expect(ch[0]![1]).toBeGreaterThanOrEqual(1000 * 192);
    const zones: string[] = [];
    Memzones.of(eal).walk((mz) => zones.push(mz.name));
    expect(zones).toContain('MP_anon');
    expect(zones.filter((z) => z.startsWith('MP_anon_'))).toEqual([]); // no chunk memzone
    expect(Heap.of(eal).socketStats(0).allocCount).toBeGreaterThan(0);
    expect(objects(mp).length).toBe(1000);
    const out = new Float64Array(16);
    expect(mp.getBulk(out, 16)).toBe(0);
    mp.putBulk(out, 16);
    expect(codeOf(() => mp.populateAnon())).toBe('EINVAL');
    expect(codeOf(() => mp.populateDefault())).toBe('EEXIST');
    mp.audit();
    mp.free();
    expect(heapSnapshot()).toBe(before);
  });

  it('populateAnon says ENOMEM when the heap cannot hold the pool, and leaves it empty with nothing reserved', () => {
    const before = heapSnapshot();
    const mp = Mempool.createEmpty(eal, 'anonbig', 200_000, 2000, 0, 0);
    const e = thrown(() => mp.populateAnon());
    expect(e.code).toBe('ENOMEM');
    expect(chunks(mp)).toEqual([]);
    expect(mp.availCount()).toBe(0);
    mp.free();
    expect(heapSnapshot()).toBe(before);
  });

  it('populateDefault records its memzones as chunks; memIter reports them and objIter walks them', () => {
    const mp = Mempool.create(eal, 'dflt', 500, 64, 0, 0);
    const ch = chunks(mp);
    expect(ch.length).toBe(1);
    const mz = Memzones.of(eal).lookup('MP_dflt_0')!;
    expect(ch[0]).toEqual([mz.addr, mz.len, BAD_IOVA]);
    expect(objects(mp).length).toBe(500);
    mp.free();
    expect(Memzones.of(eal).lookup('MP_dflt_0')).toBeNull();
  });

  it('says ENOMEM before anything moves when the pieces need more than MAX_CHUNKS chunks', () => {
    const heap = Heap.of(eal);
    const mp = Mempool.createEmpty(eal, 'many', MAX_CHUNKS + 10, 64, 0, 0);
    const blocks: number[] = [];
    for (let i = 0; i < MAX_CHUNKS; i++) {
      blocks.push(heap.malloc(128, 64));
      expect(mp.populateVirt(blocks[i]!, 128)).toBe(1);
    }
    const last = heap.malloc(128, 64);
    expect(codeOf(() => mp.populateVirt(last, 128))).toBe('ENOMEM');
    expect(codeOf(() => mp.populateIova(last, BAD_IOVA, 128))).toBe('ENOMEM');
    expect(mp.availCount()).toBe(MAX_CHUNKS);
    mp.audit();
    mp.free();
    for (const b of [...blocks, last]) heap.free(b);
  });
});

// A state machine: any order of populate calls, good and bad, keeps the
// pool whole: chunks, objects and counts agree, and errors carry a code.
describe('populate calls against a model (fast-check)', () => {
  type Step = { kind: 'virt' | 'iova' | 'anon' | 'default' | 'badAddr' | 'overlap' | 'get'; n: number };
  const stepArb: fc.Arbitrary<Step> = fc.record({
    kind: fc.constantFrom('virt', 'iova', 'anon', 'default', 'badAddr', 'overlap', 'get'),
    n: fc.integer({ min: 0, max: 40 }),
  });
  let no = 0;
  it('never corrupts the pool, never exceeds n objects', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(stepArb, { maxLength: 25 }), (size, steps) => {
        const heap = Heap.of(eal);
        const before = heapSnapshot();
        const mp = Mempool.createEmpty(eal, `fc${no++}`, size, 40, 0, 0, -1, no % 2 === 0 ? MEMPOOL_F_NO_IOVA_CONTIG : 0);
        const mine: number[] = [];
        let populated = 0;
        const held: number[] = [];
        for (const s of steps) {
          const len = s.n * 128 + 64;
          let r: number | RteError;
          try {
            if (s.kind === 'virt' || s.kind === 'iova') {
              const blk = heap.malloc(len, 64);
              mine.push(blk);
              r = s.kind === 'virt' ? mp.populateVirt(blk, len) : mp.populateIova(blk, BigInt(s.n) << 20n, len);
              if (populated >= size) throw new Error('a full pool took more');
              // Blocks are 64-aligned; elements are 128 bytes.
              expect(r).toBe(Math.min(size - populated, s.n));
            } else if (s.kind === 'anon') {
              r = mp.populateAnon();
              expect(populated).toBe(0);
              expect(r).toBe(size);
            } else if (s.kind === 'default') {
              r = mp.populateDefault();
              expect(populated).toBe(0);
              expect(r).toBe(size);
            } else if (s.kind === 'badAddr') {
              r = mp.populateVirt(3 * LIST_SPAN + s.n * 64 + 8, len);
              throw new Error('unmapped memory was taken');
            } else if (s.kind === 'overlap') {
              const ch = chunks(mp);
              if (ch.length === 0) continue;
              const [a, l] = ch[s.n % ch.length]!;
              expect(codeOf(() => mp.populateVirt(a + (s.n % l), 64))).toBe('EINVAL');
              r = 0;
            } else {
              const o = mp.get();
              if (o !== 0) held.push(o);
              continue;
            }
            populated += r;
          } catch (e) {
            if (!(e instanceof RteError)) throw e;
            expect(['ENOSPC', 'EINVAL', 'EEXIST']).toContain(e.code);
          }
          const ch = chunks(mp);
          expect(ch.length).toBeLessThanOrEqual(MAX_CHUNKS);
          expect(objects(mp).length).toBe(populated);
          expect(populated).toBeLessThanOrEqual(size);
          expect(mp.availCount() + held.length).toBe(populated);
          mp.audit();
        }
        for (const o of held) mp.put(o);
        expect(mp.availCount()).toBe(populated);
        mp.free();
        for (const b of mine) heap.free(b);
        expect(heapSnapshot()).toBe(before);
      }),
      { numRuns: 60 },
    );
  });
});

describe.skipIf(skipWithoutNative)('populating from hugepage memory', () => {
  it(nativeTitle('populateVirt: objects never straddle pages that are not IOVA-contiguous; populateIova must agree with the IOVAs the EAL knows'), () => {
    const e2 = Eal.init({ backend: 'anonymous', filePrefix: uniquePrefix('mppop'), memory: 32 * MiB });
    try {
      const mem = Memory.of(e2);
      const mz = Memzones.of(e2).reserve('pages', 8 * MiB, -1, 0, 64);
      const mp = Mempool.createEmpty(e2, 'hp', 1000, 64, 0, 0);
      expect(mp.populateVirt(mz.addr, 1000 * 128 + 64 * 128)).toBe(1000);
      const ch: [number, number, bigint][] = [];
      expect(mp.memIter((a, l, i) => ch.push([a, l, i]))).toBe(1);
      const [a, l, i] = ch[0]!;
      expect([a, l]).toEqual([mz.addr, 1064 * 128]);
      expect(i).toBe(mem.isIovaContig(a, l) ? mem.virt2iova(a) : BAD_IOVA);
      mp.objIter((o) => {
        expect(mem.isIovaContig(o - mp.headerSize, 128)).toBe(true);
        expect(mp.virt2iova(o)).toBe(mem.virt2iova(o));
      });
      const known = mem.virt2iova(mz.addr);
      const mz2 = Memzones.of(e2).reserve('pages2', 64 * 1024, -1, 0, 4096);
      const mp2 = Mempool.createEmpty(e2, 'hp2', 64, 64, 0, 0);
      if (known !== BAD_IOVA) {
        const right = mem.virt2iova(mz2.addr);
        expect(codeOf(() => mp2.populateIova(mz2.addr, right + 4096n, 4096))).toBe('EINVAL');
        expect(mp2.availCount()).toBe(0);
        expect(mp2.populateIova(mz2.addr, right, 4096)).toBe(32);
      } else {
        // IOVAs unknown here (not root): the one given is taken.
        expect(mp2.populateIova(mz2.addr, 0x10_0000n, 4096)).toBe(32);
      }
      mp2.objIter((o) => expect(mp2.virt2iova(o)).not.toBe(BAD_IOVA));
      mp.audit();
      mp2.audit();
      mp.free();
      mp2.free();
    } finally {
      e2.cleanup();
    }
  });
});

describe.skipIf(skipWithoutNative)('populateDefault on 4 KiB pages that are not IOVA-contiguous', () => {
  it(nativeTitle('fills the pool over several memzones (one may hold no object: it stays recorded and is given back), objects never straddle such pages'), () => {
    const e2 = Eal.init({ backend: 'anonymous', filePrefix: uniquePrefix('mpdflt'), memory: 64 * MiB });
    try {
      const mem = Memory.of(e2);
      const zonesBefore = Memzones.of(e2).count();
      for (const name of ['d1', 'd2', 'd3', 'd4']) {
        const mp = Mempool.create(e2, name, 1024, 2048, 256);
        expect(mp.availCount()).toBe(1024);
        let objs = 0;
        mp.objIter((o) => {
          objs++;
          expect(mem.isIovaContig(o - mp.headerSize, 2112)).toBe(true);
        });
        expect(objs).toBe(1024);
        expect(mp.memIter(() => {})).toBeLessThanOrEqual(MAX_CHUNKS);
        mp.audit();
      }
      for (const name of ['d1', 'd2', 'd3', 'd4']) Mempool.lookup(e2, name)!.free();
      expect(Memzones.of(e2).count()).toBe(zonesBefore);
    } finally {
      e2.cleanup();
    }
  });
});

// The owners recorded: memzones and heap blocks are the pool's, a caller's memory is not.
it('records who owns each chunk (layout)', () => {
  expect(new Set([CHUNK_KIND_ZONE, CHUNK_KIND_HEAP, CHUNK_KIND_USER]).size).toBe(3);
});
