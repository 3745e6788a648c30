// Zero copy, burst peek, element peek and the free_space / available out
// values, after DPDK's test_ring.c (its ZC and peek variants of the
// enqueue/dequeue checks, test_ring_with_exact_size) and
// test_ring_*_peek_stress*.c (see stress.test.ts for the threaded part).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '@rtemem/testkit';
import {
  Eal,
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  type ZcData,
} from '../src/index.js';
import { Ring, ringBuffer } from './impl.js';
import { HT_HEAD, HT_TAIL, RING_CONS, RING_PROD } from '../src/layout.js';

const MiB = 1024 * 1024;
const SPSC = RING_F_SP_ENQ | RING_F_SC_DEQ;
const HTS = RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ;

/** Sync modes that allow peek and zero copy on both sides. */
export const PEEK_MODES: [string, number][] = [
  ['SP/SC', SPSC],
  ['HTS', HTS],
  ['SP/HTS', RING_F_SP_ENQ | RING_F_MC_HTS_DEQ],
];

let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
});
afterEach(() => eal.cleanup());

const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const zc = (): ZcData => ({ ptr1: -1, n1: -1, ptr2: -1, n2: -1 });

// Copies words into the zero-copy area (DPDK's test_ring_copy_to).
function copyTo(ring: Ring, z: ZcData, src: Uint32Array, n: number): void {
  const w = ring.esize / 4;
  const u = ring.slotsU32;
  expect(z.n1 + z.n2).toBe(n);
  u.set(src.subarray(0, z.n1 * w), z.ptr1 * w);
  if (z.n2 > 0) u.set(src.subarray(z.n1 * w, n * w), z.ptr2 * w);
}

// Copies words out of the zero-copy area (DPDK's test_ring_copy_from).
function copyFrom(ring: Ring, z: ZcData, dst: Uint32Array, n: number): void {
  const w = ring.esize / 4;
  const u = ring.slotsU32;
  expect(z.n1 + z.n2).toBe(n);
  dst.set(u.subarray(z.ptr1 * w, (z.ptr1 + z.n1) * w), 0);
  if (z.n2 > 0) dst.set(u.subarray(z.ptr2 * w, (z.ptr2 + z.n2) * w), z.n1 * w);
}

// Moves both sides' counters to `at` (before any handle caches a tail).
function startAt(buf: SharedArrayBuffer, off: number, at: number): void {
  const i32 = new Int32Array(buf);
  for (const side of [RING_PROD, RING_CONS]) for (const f of [HT_HEAD, HT_TAIL]) i32[(off + side + f) >> 2] = at | 0;
}

describe.each(PEEK_MODES)('%s ring, zero copy', (_name, flags) => {
  it.each([4, 8, 16, 20])('moves %i-byte elements in place, in one run or two when the claim wraps', (esize) => {
    const w = esize / 4;
    for (const at of [0, 5, 27, 31, 2 ** 32 - 3]) {
      const buf = ringBuffer(Ring.memsize(32, esize));
      Ring.init(buf, 0, 'zc', 32, flags, esize);
      startAt(buf, 0, at);
      const ring = Ring.attach(buf, 0);
      const src = new Uint32Array(31 * w).map((_, i) => (i * 2654435761 + at) >>> 0);
      const z = zc();
      expect(ring.enqueueZcBulkStart(20, z)).toBe(20);
      const idx = at % 32;
      expect(z.ptr1).toBe(idx);
      expect(z.n1).toBe(Math.min(20, 32 - idx));
      expect(z.n2).toBe(20 - z.n1);
      if (z.n2 > 0) expect(z.ptr2).toBe(0);
      expect(ring.count()).toBe(0); // nothing published before the finish
      copyTo(ring, z, src, 20);
      ring.enqueueZcFinish(20);
      expect(ring.count()).toBe(20);
      // 11 free: bulk of 12 gets none, burst of 12 gets 11.
      expect(ring.enqueueZcBulkStart(12, z)).toBe(0);
      expect(ring.enqueueZcBurstStart(12, z)).toBe(11);
      copyTo(ring, z, src.subarray(20 * w), 11);
      ring.enqueueZcFinish(11);
      expect(ring.isFull()).toBe(true);
      // Read back in place, in two steps, then as a plain dequeue on another handle.
      const dst = new Uint32Array(31 * w);
      expect(ring.dequeueZcBulkStart(32, z)).toBe(0);
      expect(ring.dequeueZcBulkStart(13, z)).toBe(13);
      expect(ring.count()).toBe(31); // still there until the finish
      copyFrom(ring, z, dst, 13);
      ring.dequeueZcFinish(13);
      const other = Ring.attach(buf, 0);
      expect(other.dequeueBulkElem(dst.subarray(13 * w), 18)).toBe(18);
      expect(Array.from(dst)).toEqual(Array.from(src));
      expect(ring.isEmpty()).toBe(true);
    }
  });

  it('finishes with fewer than claimed (the rest goes back) and with 0 (a cancel)', () => {
    const ring = Ring.create(eal, 'few', 16, -1, flags);
    const z = zc();
    expect(ring.enqueueZcBulkStart(8, z)).toBe(8);
    ring.slots[z.ptr1] = 100;
    ring.slots[z.ptr1 + 1] = 101;
    ring.enqueueZcFinish(2);
    expect(ring.count()).toBe(2);
    expect(ring.enqueueZcBurstStart(4, z)).toBe(4);
    ring.enqueueZcFinish(0);
    expect(ring.count()).toBe(2);
    expect(ring.freeCount()).toBe(13);
    expect(ring.dequeueZcBurstStart(16, z)).toBe(2);
    expect([ring.slots[z.ptr1], ring.slots[z.ptr1 + 1]]).toEqual([100, 101]);
    ring.dequeueZcFinish(1);
    expect(ring.dequeue()).toBe(101);
  });

  it('refuses a second start, a finish without a start or past the claim, and a bad ZcData, moving nothing', () => {
    const ring = Ring.create(eal, 'bad', 16, -1, flags);
    const z = zc();
    expect(codeOf(() => ring.enqueueZcFinish(1))).toBe('EINVAL');
    expect(codeOf(() => ring.dequeueZcFinish(1))).toBe('EINVAL');
    ring.enqueueZcFinish(0); // after a start that got nothing: nothing to do
    ring.dequeueZcFinish(0);
    expect(codeOf(() => ring.enqueueZcBulkStart(2, null as unknown as ZcData))).toBe('EINVAL');
    expect(codeOf(() => ring.enqueueZcBulkStart(1.5, z))).toBe('EINVAL');
    expect(ring.headTail()).toMatchObject({ prodHead: 0, prodTail: 0 });
    expect(ring.enqueueZcBulkStart(3, z)).toBe(3);
    expect(codeOf(() => ring.enqueueZcBulkStart(1, z))).toBe('EBUSY');
    expect(codeOf(() => ring.enqueueBulkStart(1))).toBe('EBUSY');
    expect(codeOf(() => ring.enqueueZcFinish(4))).toBe('EINVAL');
    ring.slots.set([7, 8, 9], z.ptr1);
    ring.enqueueZcFinish(3);
    expect(ring.dequeueZcBulkStart(2, z)).toBe(2);
    expect(codeOf(() => ring.dequeueZcBurstStart(1, z))).toBe('EBUSY');
    expect(codeOf(() => ring.dequeueZcFinish(3))).toBe('EINVAL');
    ring.dequeueFinish(2); // the same finish as the zero-copy one, as in DPDK
    expect(ring.dequeue()).toBe(9);
  });

  it('reports free_space and available through a Uint32Array(1)', () => {
    const ring = Ring.create(eal, 'fs', 64, -1, flags);
    const space = new Uint32Array(1);
    const avail = new Uint32Array(1);
    const z = zc();
    expect(ring.enqueueZcBulkStart(10, z, space)).toBe(10);
    expect(space[0]).toBe(53);
    ring.enqueueZcFinish(10);
    expect(ring.enqueueZcBulkStart(60, z, space)).toBe(0);
    expect(space[0]).toBe(53); // nothing claimed: all the free entries
    expect(ring.dequeueZcBurstStart(4, z, avail)).toBe(4);
    expect(avail[0]).toBe(6);
    ring.dequeueZcFinish(4);
    expect(ring.enqueueBurstStart(100, space)).toBe(57);
    expect(space[0]).toBe(0);
    ring.enqueueFinish(seq(57), 57);
    expect(ring.dequeueBulkStart([], 0, avail)).toBe(0);
    expect(avail[0]).toBe(63);
    expect(ring.dequeueBurstStart(new Float64Array(64), 64, avail)).toBe(63);
    expect(avail[0]).toBe(0);
    ring.dequeueFinish(0);
    expect(codeOf(() => ring.enqueueZcBulkStart(1, z, new Int32Array(1) as unknown as Uint32Array))).toBe('EINVAL');
    expect(codeOf(() => ring.dequeueZcBulkStart(1, z, new Uint32Array(0)))).toBe('EINVAL');
    expect(ring.count()).toBe(63);
  });
});

describe.each([
  ['MP/MC', 0, false, false],
  ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ, false, false],
  ['MP/SC', RING_F_SC_DEQ, false, true],
  ['SP/MC', RING_F_SP_ENQ, true, false],
  ['HTS/RTS', RING_F_MP_HTS_ENQ | RING_F_MC_RTS_DEQ, true, false],
])('%s ring: zero copy and peek only where the side is SP/SC or HTS', (_name, flags, prodOk, consOk) => {
  it('throws EINVAL on the other side, moving nothing', () => {
    const ring = Ring.create(eal, 'np', 16, -1, flags);
    ring.enqueueBulk([1, 2, 3]);
    const z = zc();
    const enq = [() => ring.enqueueZcBulkStart(1, z), () => ring.enqueueZcBurstStart(1, z), () => ring.enqueueBurstStart(1), () => ring.enqueueBulkStart(1)];
    const deq = [() => ring.dequeueZcBulkStart(1, z), () => ring.dequeueZcBurstStart(1, z), () => ring.dequeueBurstStart([], 1), () => ring.dequeueBulkStart([], 1)];
    for (const fn of enq) {
      if (prodOk) {
        expect(fn()).toBe(1);
        ring.enqueueZcFinish(0);
      } else expect(codeOf(fn)).toBe('EINVAL');
    }
    for (const fn of deq) {
      if (consOk) {
        expect(fn()).toBe(1);
        ring.dequeueZcFinish(0);
      } else expect(codeOf(fn)).toBe('EINVAL');
    }
    expect(ring.count()).toBe(3);
    expect(ring.dump()).not.toMatch(/claimed/);
  });
});

describe.each(PEEK_MODES)('%s ring, peek', (_name, flags) => {
  it('burst start takes what there is', () => {
    const ring = Ring.create(eal, 'bp', 16, -1, flags);
    expect(ring.enqueueBurstStart(20)).toBe(15);
    ring.enqueueFinish(seq(12, 1), 12);
    const out: number[] = [];
    expect(ring.dequeueBurstStart(out, 20)).toBe(12);
    expect(out).toEqual(seq(12, 1));
    ring.dequeueFinish(5);
    expect(ring.dequeueBurstStart(out, 3)).toBe(3);
    expect(out.slice(0, 3)).toEqual([6, 7, 8]);
    ring.dequeueFinish(3);
    expect(ring.count()).toBe(4);
    expect(ring.dequeueBurstStart(out, 0)).toBe(0);
  });

  it.each([4, 12, 16, 20])('works on %i-byte elements: enqueueElemFinish, dequeue*ElemStart', (esize) => {
    const w = esize / 4;
    const ring = Ring.createElem(eal, `pe${esize}`, esize, 16, -1, flags);
    const src = new Uint32Array(15 * w).map((_, i) => i * 7 + 1);
    expect(ring.enqueueBulkStart(10)).toBe(10);
    expect(codeOf(() => ring.enqueueFinish([1], 1))).toBe('EINVAL'); // numbers on an element ring
    ring.enqueueFinish([], 0); // a cancel works on any esize (the way out after a finish that threw)
    expect(ring.count()).toBe(0);
    expect(ring.enqueueBulkStart(10)).toBe(10);
    ring.enqueueElemFinish(src, 9);
    expect(ring.count()).toBe(9);
    expect(ring.enqueueBurstStart(15)).toBe(6);
    ring.enqueueElemFinish(src.subarray(9 * w), 6);
    const dst = new Uint32Array(16 * w);
    expect(ring.dequeueBulkElemStart(dst, 16)).toBe(0);
    expect(ring.dequeueBulkElemStart(dst, 4)).toBe(4);
    ring.dequeueFinish(4);
    expect(ring.dequeueBurstElemStart(dst.subarray(4 * w), 12)).toBe(11);
    ring.dequeueFinish(11);
    expect(Array.from(dst.subarray(0, 15 * w))).toEqual(Array.from(src));
    expect(codeOf(() => ring.dequeueBulkElemStart(dst, 17))).toBe('EINVAL'); // does not fit dst
  });
});

describe('free_space and available on every bulk and burst call', () => {
  it.each([
    ['MP/MC', 0],
    ['SP/SC', SPSC],
    ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ],
    ['HTS', HTS],
  ])('%s: numbers, elements and the forced calls', (_name, flags) => {
    const ring = Ring.create(eal, 'ov', 32, -1, flags | RING_F_EXACT_SZ);
    const fs = new Uint32Array(1);
    const av = new Uint32Array(1);
    const f64 = new Float64Array(40);
    expect(ring.enqueueBulk(seq(10), 10, fs)).toBe(10);
    expect(fs[0]).toBe(22);
    expect(ring.enqueueBulk(f64, 23, fs)).toBe(0);
    expect(fs[0]).toBe(22);
    expect(ring.enqueueBurst(f64, 40, fs)).toBe(22);
    expect(fs[0]).toBe(0);
    expect(ring.enqueueBurst([], 0, fs)).toBe(0);
    expect(fs[0]).toBe(0);
    expect(ring.dequeueBulk(f64, 5, av)).toBe(5);
    expect(av[0]).toBe(27);
    expect(ring.dequeueBulk([], 28, av)).toBe(0);
    expect(av[0]).toBe(27);
    expect(ring.dequeueBurst(f64, 40, av)).toBe(27);
    expect(av[0]).toBe(0);
    expect(ring.dequeueBurst(f64, 0, av)).toBe(0);
    expect(av[0]).toBe(0);
    if (flags === 0 || flags === SPSC) {
      expect(ring.mpEnqueueBulk([1, 2], 2, fs)).toBe(2);
      expect(fs[0]).toBe(30);
      expect(ring.spEnqueueBurst([3], 1, fs)).toBe(1);
      expect(fs[0]).toBe(29);
      expect(ring.mcDequeueBurst([], 1, av)).toBe(1);
      expect(av[0]).toBe(2);
      expect(ring.scDequeueBulk([], 2, av)).toBe(2);
      expect(av[0]).toBe(0);
    }
    // Element calls on an element ring.
    const er = Ring.createElem(eal, 'ove', 12, 16, -1, flags);
    const words = new Uint32Array(15 * 3);
    expect(er.enqueueBulkElem(words, 4, fs)).toBe(4);
    expect(fs[0]).toBe(11);
    expect(er.enqueueBurstElem(words, 15, fs)).toBe(11);
    expect(fs[0]).toBe(0);
    expect(er.dequeueBulkElem(words, 3, av)).toBe(3);
    expect(av[0]).toBe(12);
    expect(er.dequeueBurstElem(words, 15, av)).toBe(12);
    expect(av[0]).toBe(0);
  });

  it('sees what other handles did (a fresh look, not a cached tail)', () => {
    const a = Ring.create(eal, 'fresh', 16, -1, SPSC);
    const b = Ring.lookup(eal, 'fresh')!;
    const fs = new Uint32Array(1);
    a.enqueueBulk(seq(10));
    b.dequeueBulk([], 8);
    expect(a.enqueueBulk([1], 1, fs)).toBe(1);
    expect(fs[0]).toBe(12);
  });

  it('refuses a bad out value before anything moves', () => {
    const ring = Ring.create(eal, 'obad', 16);
    for (const bad of [new Uint32Array(0), new Int32Array(1), [0], {}]) {
      expect(codeOf(() => ring.enqueueBulk([1], 1, bad as Uint32Array))).toBe('EINVAL');
      expect(codeOf(() => ring.enqueueBurst(new Float64Array(1), 1, bad as Uint32Array))).toBe('EINVAL');
    }
    expect(ring.count()).toBe(0);
    ring.enqueue(1);
    expect(codeOf(() => ring.dequeueBurst(new Float64Array(1), 1, new Float64Array(1) as unknown as Uint32Array))).toBe('EINVAL');
    expect(ring.count()).toBe(1);
  });

  it('allocates nothing per call', () => {
    const ring = Ring.create(eal, 'gar', 1024, -1, SPSC);
    const fs = new Uint32Array(1);
    const z = zc();
    const objs = new Float64Array(32);
    const run = (k: number) => {
      for (let i = 0; i < k; i++) {
        ring.enqueueBulk(objs, 32, fs);
        ring.dequeueBulk(objs, 32, fs);
        ring.enqueueZcBulkStart(32, z, fs);
        ring.enqueueZcFinish(32);
        ring.dequeueZcBulkStart(32, z, fs);
        ring.dequeueZcFinish(32);
      }
    };
    run(20_000); // optimised
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    run(100_000);
    const grown = process.memoryUsage().heapUsed - before;
    // 600 k calls: one 16-byte object per call would be ~10 MB.
    expect(grown).toBeLessThan(2 * MiB);
  });
});
