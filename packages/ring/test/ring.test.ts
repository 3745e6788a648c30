import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Eal,
  ENOBUFS,
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  RING_SZ_MASK,
  RteError,
} from '../src/index.js';
import { Ring, ringBuffer } from './impl.js';
import { HT_HEAD, HT_TAIL, RING_CONS, RING_PROD } from '../src/layout.js';
import { codeOf } from '@rtemem/testkit';

const MiB = 1024 * 1024;

/** Every sync combination a test runs on. */
export const MODES: [string, number][] = [
  ['MP/MC', 0],
  ['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ],
  ['MP/SC', RING_F_SC_DEQ],
  ['SP/MC', RING_F_SP_ENQ],
  ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ],
  ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ],
  ['RTS/SC', RING_F_MP_RTS_ENQ | RING_F_SC_DEQ],
  ['SP/HTS', RING_F_SP_ENQ | RING_F_MC_HTS_DEQ],
];

let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
});
afterEach(() => eal.cleanup());

const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('creating rings (test_ring.c)', () => {
  it.each([
    ['count 0', () => Ring.create(eal, 'r', 0)],
    ['count 4097 without EXACT_SZ', () => Ring.create(eal, 'r', 4097)],
    ['count 0x80000000', () => Ring.create(eal, 'r', 0x80000000)],
    ['a negative count', () => Ring.create(eal, 'r', -16)],
    ['a fractional count', () => Ring.create(eal, 'r', 16.5)],
    ['esize 23', () => Ring.createElem(eal, 'r', 23, 16)],
    ['esize 0', () => Ring.createElem(eal, 'r', 0, 16)],
    ['an unknown flag', () => Ring.create(eal, 'r', 16, -1, 0x80)],
    ['two producer modes', () => Ring.create(eal, 'r', 16, -1, RING_F_SP_ENQ | RING_F_MP_RTS_ENQ)],
    ['two consumer modes', () => Ring.create(eal, 'r', 16, -1, RING_F_MC_HTS_DEQ | RING_F_MC_RTS_DEQ)],
    ['an empty name', () => Ring.create(eal, '', 16)],
  ])('rejects %s with EINVAL', (_what, fn) => {
    expect(codeOf(fn)).toBe('EINVAL');
    expect(Ring.lookup(eal, 'r')).toBeNull();
  });

  it('rejects a duplicate name with EEXIST and a long name with ENAMETOOLONG', () => {
    Ring.create(eal, 'dup', 16);
    expect(codeOf(() => Ring.create(eal, 'dup', 16))).toBe('EEXIST');
    expect(codeOf(() => Ring.create(eal, 'x'.repeat(29), 16))).toBe('ENAMETOOLONG');
    expect(Ring.create(eal, 'x'.repeat(28), 16).name).toBe('x'.repeat(28));
  });

  it('says ENOMEM when the memory is not there', () => {
    expect(codeOf(() => Ring.create(eal, 'huge', 1 << 24))).toBe('ENOMEM');
  });

  it('sizes rings as DPDK: 16 slots hold 15, EXACT_SZ holds exactly the count', () => {
    const r = Ring.create(eal, 'r16', 16);
    expect([r.size, r.capacity, r.esize, r.flags, r.name]).toEqual([16, 15, 8, 0, 'r16']);
    expect(r.enqueueBulk(seq(15))).toBe(15);
    expect(r.enqueue(99)).toBe(-ENOBUFS);
    expect(r.isFull()).toBe(true);
    const x = Ring.create(eal, 'rx', 16, -1, RING_F_EXACT_SZ);
    expect([x.size, x.capacity]).toEqual([32, 16]);
    expect(x.enqueueBulk(seq(16))).toBe(16);
    expect(x.enqueue(1)).toBe(-ENOBUFS);
    const odd = Ring.create(eal, 'rodd', 1000, -1, RING_F_EXACT_SZ);
    expect([odd.size, odd.capacity]).toEqual([1024, 1000]);
  });

  it('computes memsize and refuses bad ones', () => {
    expect(Ring.memsize(1024)).toBe(384 + 8192);
    expect(Ring.memsize(16, 20)).toBe(Math.ceil((384 + 320) / 64) * 64);
    expect(codeOf(() => Ring.memsize(1000))).toBe('EINVAL');
    expect(codeOf(() => Ring.memsize(16, 6))).toBe('EINVAL');
    expect(codeOf(() => Ring.memsize(RING_SZ_MASK + 1))).toBe('EINVAL');
  });

  it('is found by name, and gone once freed', () => {
    const r = Ring.create(eal, 'found', 64);
    r.enqueue(7);
    const again = Ring.lookup(eal, 'found')!;
    expect(again.dequeue()).toBe(7);
    expect(again.memzone!.name).toBe('RG_found');
    expect(Ring.lookup(eal, 'missing')).toBeNull();
    r.free();
    expect(Ring.lookup(eal, 'found')).toBeNull();
    expect(codeOf(() => r.free())).toBe('EINVAL');
    Ring.create(eal, 'found', 64); // the name is free again
  });
});

describe('standalone rings (no EAL)', () => {
  it('live in any SharedArrayBuffer and attach from another handle', () => {
    const buf = ringBuffer(64 + Ring.memsize(256));
    const r = Ring.init(buf, 64, 'solo', 256, RING_F_SP_ENQ | RING_F_SC_DEQ);
    r.enqueueBulk([1, 2, 3]);
    const other = Ring.attach(buf, 64);
    expect(other.name).toBe('solo');
    expect(other.dequeue()).toBe(1);
    expect(r.count()).toBe(2);
    expect(codeOf(() => r.free())).toBe('EINVAL');
  });

  it('refuse bad buffers and offsets', () => {
    const buf = ringBuffer(Ring.memsize(256));
    expect(codeOf(() => Ring.init(buf, 32, 'x', 256))).toBe('EINVAL'); // unaligned
    // does not fit (the wasm ring's buffer is whole 64 KiB pages: the same overhang of 64 bytes)
    expect(codeOf(() => Ring.init(buf, buf.byteLength - Ring.memsize(256) + 64, 'x', 256))).toBe('EINVAL');
    expect(codeOf(() => Ring.init(new ArrayBuffer(4096) as unknown as SharedArrayBuffer, 0, 'x', 16))).toBe('EINVAL');
    expect(codeOf(() => Ring.attach(buf, 0))).toBe('EINVAL'); // nothing there yet
    expect(codeOf(() => Ring.attach(buf, -64))).toBe('EINVAL');
  });
});

describe.each(MODES)('%s ring', (_name, flags) => {
  it('does all-or-nothing bulk and partial burst (29 free: bulk 32 -> 0, burst 32 -> 29)', () => {
    const r = Ring.create(eal, 'b', 64, -1, flags);
    expect(r.enqueueBulk(seq(34))).toBe(34);
    expect(r.freeCount()).toBe(29);
    expect(r.enqueueBulk(seq(32, 100))).toBe(0);
    expect(r.count()).toBe(34);
    expect(r.enqueueBurst(seq(32, 100))).toBe(29);
    expect(r.isFull()).toBe(true);
    const out = new Float64Array(64);
    expect(r.dequeueBulk(out, 64)).toBe(0);
    expect(r.dequeueBurst(out, 64)).toBe(63);
    expect(Array.from(out.subarray(0, 63))).toEqual([...seq(34), ...seq(29, 100)]);
    expect(r.isEmpty()).toBe(true);
    expect(r.dequeue()).toBeUndefined();
    expect(r.dequeueBurst(out, 8)).toBe(0);
  });

  it('keeps FIFO order across the wrap, filling from a random start', () => {
    const r = Ring.create(eal, 'w', 128, -1, flags);
    const start = 1 + Math.floor(Math.random() * 127);
    const out: number[] = [];
    for (let i = 0; i < start; i++) {
      r.enqueue(i);
      r.dequeue();
    }
    expect(r.enqueueBulk(seq(127, 1000))).toBe(127);
    expect(r.dequeueBulk(out, 127)).toBe(127);
    expect(out).toEqual(seq(127, 1000));
    // single elements too
    for (let i = 0; i < 300; i++) {
      expect(r.enqueue(i * 3)).toBe(0);
      expect(r.dequeue()).toBe(i * 3);
    }
  });

  it('carries large safe integers exactly', () => {
    const r = Ring.create(eal, 'big', 16, -1, flags);
    const values = [0, 1, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, 1234567890123];
    r.enqueueBulk(values);
    const out: number[] = [];
    r.dequeueBulk(out, values.length);
    expect(out).toEqual(values);
  });

  it('wraps its 32-bit counters past 2**32', () => {
    const buf = ringBuffer(Ring.memsize(64));
    Ring.init(buf, 0, 'wrap', 64, flags);
    // Counters start 5 short of 2**32 (as int32: -5).
    const i32 = new Int32Array(buf);
    for (const side of [RING_PROD, RING_CONS]) for (const f of [HT_HEAD, HT_TAIL]) i32[(side + f) >> 2] = -5;
    const r = Ring.attach(buf, 0);
    expect(r.count()).toBe(0);
    expect(r.freeCount()).toBe(63);
    const out: number[] = [];
    for (let round = 0; round < 10; round++) {
      expect(r.enqueueBulk(seq(40, round * 100))).toBe(40);
      expect(r.count()).toBe(40);
      expect(r.enqueueBulk(seq(40))).toBe(0);
      expect(r.dequeueBulk(out, 40)).toBe(40);
      expect(out).toEqual(seq(40, round * 100));
    }
    expect(i32[(RING_PROD + HT_HEAD) >> 2]! >>> 0).toBe((2 ** 32 - 5 + 400) % 2 ** 32);
    expect(r.headTail().prodTail).toBe(395);
  });

  it.each([4, 8, 12, 16, 20, 64])('moves %i-byte elements with the element calls', (esize) => {
    const r = Ring.createElem(eal, `e${esize}`, esize, 32, -1, flags);
    const words = esize / 4;
    const src = new Uint32Array(40 * words).map((_, i) => (i * 2654435761) >>> 0);
    const dst = new Uint32Array(40 * words);
    for (let round = 0; round < 5; round++) {
      expect(r.enqueueBulkElem(src, 20)).toBe(20);
      expect(r.enqueueBulkElem(src.subarray(20 * words), 12)).toBe(0); // 11 free
      expect(r.enqueueBurstElem(src.subarray(20 * words), 12)).toBe(11);
      expect(r.dequeueBulkElem(dst, 32)).toBe(0);
      expect(r.dequeueBurstElem(dst, 32)).toBe(31);
      expect(Array.from(dst.subarray(0, 31 * words))).toEqual(Array.from(src.subarray(0, 31 * words)));
    }
    if (esize !== 8) {
      // The number calls, whichever array they get, and nothing moves.
      const before = r.count();
      expect(codeOf(() => r.enqueue(1))).toBe('EINVAL');
      expect(codeOf(() => r.dequeue())).toBe('EINVAL');
      expect(codeOf(() => r.dequeueBulk([], 0))).toBe('EINVAL');
      expect(codeOf(() => r.enqueueBulk(new Float64Array(2), 2))).toBe('EINVAL');
      expect(codeOf(() => r.enqueueBurst(new Float64Array(2), 2))).toBe('EINVAL');
      expect(codeOf(() => r.dequeueBulk(new Float64Array(2), 1))).toBe('EINVAL');
      expect(codeOf(() => r.dequeueBurst(new Float64Array(2), 1))).toBe('EINVAL');
      expect(r.count()).toBe(before);
    }
    expect(codeOf(() => r.enqueueBulkElem(src, 41))).toBe('EINVAL');
    expect(codeOf(() => r.enqueueBulkElem([1, 2] as unknown as Uint32Array, 1))).toBe('EINVAL');
  });

  it('validates n', () => {
    const r = Ring.create(eal, 'n', 16, -1, flags);
    expect(codeOf(() => r.enqueueBulk([1, 2], 3))).toBe('EINVAL');
    expect(codeOf(() => r.enqueueBulk([1, 2], -1))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBurst([], 1.5))).toBe('EINVAL');
    // The same through a Float64Array (the calls' fast path).
    const f = new Float64Array(2);
    expect(codeOf(() => r.enqueueBulk(f, 3))).toBe('EINVAL');
    expect(codeOf(() => r.enqueueBurst(f, -1))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBulk(f, 3))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBurst(f, 1.5))).toBe('EINVAL');
    expect(r.enqueueBulk([], 0)).toBe(0);
    expect(r.count()).toBe(0);
  });

  it('resets to empty and dumps its state', () => {
    const r = Ring.create(eal, 'd', 32, -1, flags);
    r.enqueueBulk(seq(10));
    const text = r.dump();
    expect(text).toMatch(/^ring <d>@\d+\n  flags=[0-9a-f]+\n  size=32\n  capacity=31\n/);
    expect(text).toMatch(/  ct=0\n  ch=0\n  pt=10\n  ph=10\n  used=10\n  avail=21/);
    r.reset();
    expect(r.count()).toBe(0);
    expect(r.dequeue()).toBeUndefined();
    expect(r.enqueue(5)).toBe(0);
    expect(r.dequeue()).toBe(5);
  });
});

describe('forced sync calls (mp/sp/mc/sc)', () => {
  it('work on MP/MC and SP/SC rings whatever their flags', () => {
    const r = Ring.create(eal, 'f', 64, -1, 0);
    const out: number[] = [];
    expect(r.spEnqueueBulk([1, 2])).toBe(2);
    expect(r.mpEnqueueBurst([3])).toBe(1);
    expect(r.scDequeueBulk(out, 2)).toBe(2);
    expect(r.mcDequeueBurst(out, 5)).toBe(1);
    expect(out[0]).toBe(3);
    const s = Ring.create(eal, 's', 64, -1, RING_F_SP_ENQ | RING_F_SC_DEQ);
    expect(s.mpEnqueueBulk([9])).toBe(1);
    expect(s.mcDequeueBulk(out, 1)).toBe(1);
    expect(out[0]).toBe(9);
  });

  it('are refused on RTS and HTS rings', () => {
    for (const flags of [RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ, RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ]) {
      const r = Ring.create(eal, `x${flags}`, 16, -1, flags);
      expect(codeOf(() => r.mpEnqueueBulk([1]))).toBe('EINVAL');
      expect(codeOf(() => r.spEnqueueBurst([1]))).toBe('EINVAL');
      expect(codeOf(() => r.mcDequeueBulk([], 0))).toBe('EINVAL');
      expect(codeOf(() => r.scDequeueBurst([], 0))).toBe('EINVAL');
      expect(r.count()).toBe(0);
    }
  });
});

describe('peek (SP/SC and HTS)', () => {
  it.each([
    ['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ],
    ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ],
  ])('%s: start, look, finish with fewer', (_n, flags) => {
    const r = Ring.create(eal, 'p', 16, -1, flags);
    expect(r.enqueueBulkStart(5)).toBe(5);
    expect(codeOf(() => r.enqueueBulkStart(1))).toBe('EBUSY');
    expect(r.count()).toBe(0); // nothing published yet
    r.enqueueFinish([10, 11, 12], 3); // two of the claimed slots go back
    expect(r.count()).toBe(3);
    expect(r.enqueueBulkStart(20)).toBe(0); // all or none: 12 free
    const out: number[] = [];
    expect(r.dequeueBulkStart(out, 2)).toBe(2);
    expect(out).toEqual([10, 11]);
    expect(r.count()).toBe(3); // still there
    r.dequeueFinish(1);
    expect(r.count()).toBe(2);
    expect(r.dequeue()).toBe(11);
    expect(codeOf(() => r.dequeueFinish(1))).toBe('EINVAL');
    expect(codeOf(() => r.enqueueFinish([1], 1))).toBe('EINVAL');
    expect(r.enqueueBulkStart(2)).toBe(2);
    expect(codeOf(() => r.enqueueFinish([1, 2, 3], 3))).toBe('EINVAL');
    r.enqueueFinish([], 0); // cancel
    expect(r.count()).toBe(1);
  });

  it.each([
    ['MP/MC', 0],
    ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ],
  ])('is refused on %s rings', (_n, flags) => {
    const r = Ring.create(eal, 'np', 16, -1, flags);
    expect(codeOf(() => r.enqueueBulkStart(1))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBulkStart([], 1))).toBe('EINVAL');
  });

  it.each([
    ['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ],
    ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ],
  ])('%s: a plain enqueue or dequeue while a peek is open on the handle is EBUSY, not a hang or a lost slot', (_n, flags) => {
    const r = Ring.create(eal, 'pb', 16, -1, flags);
    expect(r.enqueueBulk([1, 2], 2)).toBe(2);
    expect(r.enqueueBulkStart(3)).toBe(3);
    expect(codeOf(() => r.enqueueBulk([9], 1))).toBe('EBUSY');
    r.enqueueFinish([3, 4, 5], 3);
    const out: number[] = [];
    expect(r.dequeueBulkStart(out, 1)).toBe(1);
    expect(codeOf(() => r.dequeueBulk([], 1))).toBe('EBUSY');
    r.dequeueFinish(1);
    expect(r.dequeueBurst(out, 16)).toBe(4);
    expect(out).toEqual([2, 3, 4, 5]);
  });
});

describe('values that are not numbers', () => {
  it.each(MODES)('%s: refused with EINVAL; the ring stays whole and usable', (_n, flags) => {
    const r = Ring.create(eal, 'nn', 16, -1, flags);
    expect(codeOf(() => r.enqueue(5n as unknown as number))).toBe('EINVAL');
    expect(r.count()).toBe(0);
    // A bad element in a bulk: the claim goes in as NaN (never left half-published) and the call throws.
    const bad = [1, 2, { valueOf: () => { throw new Error('no'); } }] as unknown as number[];
    const code = codeOf(() => r.enqueueBulk(bad, 3));
    expect(code).toBe('EINVAL');
    const out: number[] = [];
    const n = r.dequeueBurst(out, 16);
    expect(out.every((v) => Number.isNaN(v) || v === 1 || v === 2)).toBe(true);
    expect(n === 0 || n === 3).toBe(true);
    // Outputs a dequeue cannot write into are refused before a head moves.
    r.enqueueBulk([7, 8], 2);
    expect(codeOf(() => r.dequeueBulk(Object.freeze([]) as unknown as number[], 1))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBulk(new BigInt64Array(4) as unknown as number[], 1))).toBe('EINVAL');
    expect(codeOf(() => r.dequeueBulk('ab' as unknown as number[], 1))).toBe('EINVAL');
    expect(r.dequeueBurst(out.splice(0), 16)).toBe(2);
    expect(r.enqueue(9)).toBe(0);
    expect(r.dequeue()).toBe(9);
  });
});

describe('RTS head/tail distance', () => {
  it('defaults to capacity / 8 and can be set', () => {
    const r = Ring.create(eal, 'h', 1024, -1, RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ);
    expect(r.prodHtdMax).toBe(127);
    expect(r.consHtdMax).toBe(127);
    r.prodHtdMax = 8;
    expect(Ring.lookup(eal, 'h')!.prodHtdMax).toBe(8);
    expect(codeOf(() => (r.consHtdMax = 5000))).toBe('EINVAL');
    const m = Ring.create(eal, 'm', 16);
    expect(codeOf(() => m.prodHtdMax)).toBe('EINVAL');
  });
});

describe('recovery', () => {
  it("publishes slots a dead producer claimed, as poison, and releases a dead consumer's", () => {
    const r = Ring.create(eal, 'rec', 16, -1, 0);
    r.enqueueBulk([1, 2, 3, 4]);
    // A producer that moved the head and died before publishing, and a
    // consumer that did the same: heads ahead of tails for good.
    const i32 = new Int32Array(r.buffer);
    const ph = (r.byteOffset + RING_PROD + HT_HEAD) >> 2;
    const ch = (r.byteOffset + RING_CONS + HT_HEAD) >> 2;
    i32[ph] = i32[ph]! + 3;
    i32[ch] = i32[ch]! + 1;
    const text = r.dump();
    expect(text).toMatch(/producer: 3 slots claimed but not yet published/);
    expect(text).toMatch(/consumer: 1 slots claimed but not yet released/);
    expect(r.recover(-1)).toEqual({ published: 3, released: 1 });
    expect(r.dump()).not.toMatch(/claimed/);
    const out: number[] = [];
    expect(r.dequeueBurst(out, 16)).toBe(6);
    expect(out.slice(0, 6)).toEqual([2, 3, 4, -1, -1, -1]);
    expect(r.enqueue(7)).toBe(0);
    expect(r.dequeue()).toBe(7);
  });
});

describe('handles in step after reset', () => {
  it('drops the cached tails of every other handle', () => {
    const a = Ring.create(eal, 'gen', 16, -1, RING_F_SP_ENQ | RING_F_SC_DEQ);
    const b = Ring.lookup(eal, 'gen')!;
    a.enqueueBulk(seq(10));
    expect(b.dequeueBulk([], 10)).toBe(10); // b has seen the producer's tail at 10
    a.reset(); // counters back to 0
    expect(b.dequeue()).toBeUndefined(); // b must not believe in 10 entries
    a.enqueue(5);
    expect(b.dequeue()).toBe(5);
    expect(b.enqueueBulk(seq(15))).toBe(15);
    expect(a.enqueue(1)).toBe(-ENOBUFS);
  });
});
