/**
 * The copies without TypedArray.set (src/copy.ts) behind write and
 * readInto: every alignment and length against a reference copy, both
 * directions, the one-entry caches, overlapping copies in one buffer,
 * non-Uint8Array sources, and bit patterns a float could lose (NaNs)
 * after V8 has optimised the copy.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, LIST_SPAN, Mbuf, PktmbufPool } from '../src/index.js';
import { BYTE_COPY_MAX, ByteCopier, INLINE_COPY_MAX } from '../src/copy.js';

const MiB = 1024 * 1024;

describe('ByteCopier (copies without TypedArray.set)', () => {
  const sab = new SharedArrayBuffer(4096);
  const du8 = new Uint8Array(sab);
  const df64 = new Float64Array(sab, 0, sab.byteLength >> 3);

  // A source of `size` random bytes at byte `base` of its buffer, shared or not.
  const source = fc.record({
    bytes: fc.uint8Array({ minLength: 0, maxLength: 2 * INLINE_COPY_MAX + 40 }),
    base: fc.integer({ min: 0, max: 15 }),
    shared: fc.boolean(),
  });

  function place(bytes: Uint8Array, base: number, shared: boolean): Uint8Array {
    const buf = shared ? new SharedArrayBuffer(base + bytes.length + 3) : new ArrayBuffer(base + bytes.length + 3);
    const a = new Uint8Array(buf, base, bytes.length);
    a.set(bytes);
    return a;
  }

  it('toShared copies any part of any source to any offset, bytes around untouched', () => {
    const cp = new ByteCopier();
    fc.assert(
      fc.property(source, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3000 }), fc.boolean(), ({ bytes, base, shared }, a, b, at, reuse) => {
        const src = place(bytes, base, shared);
        const from = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const len = (bytes.length - from === 0 ? 0 : b % (bytes.length - from + 1));
        du8.fill(0xa5);
        cp.toShared(du8, df64, at, src, from, len);
        // Again from the cache (same array), after its bytes changed.
        if (reuse) {
          src.reverse();
          cp.toShared(du8, df64, at, src, from, len);
        }
        const want = new Uint8Array(sab.byteLength).fill(0xa5);
        want.set(src.subarray(from, from + len), at);
        expect(Buffer.compare(du8, want)).toBe(0);
      }),
      { numRuns: 1500 },
    );
  });

  it('fromShared copies any part of shared memory into any part of any array', () => {
    const cp = new ByteCopier();
    for (let i = 0; i < du8.length; i++) du8[i] = (i * 131 + 7) & 0xff;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * INLINE_COPY_MAX + 40 }),
        fc.integer({ min: 0, max: 15 }),
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 3000 }),
        (size, base, shared, a, b, at) => {
          const dst = place(new Uint8Array(size).fill(0x3c), base, shared);
          const to = size === 0 ? 0 : a % (size + 1);
          const len = size - to === 0 ? 0 : b % (size - to + 1);
          cp.fromShared(du8, df64, at, dst, to, len);
          const want = new Uint8Array(size).fill(0x3c);
          want.set(du8.subarray(at, at + len), to);
          expect(Buffer.compare(dst, want)).toBe(0);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('copies within one shared buffer as memmove does (overlapping ranges)', () => {
    const cp = new ByteCopier();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 300 }), fc.boolean(), (from, at, len, out) => {
        for (let i = 0; i < du8.length; i++) du8[i] = (i * 13) & 0xff;
        const want = Uint8Array.from(du8);
        want.copyWithin(at, from, from + len);
        if (out) cp.fromShared(du8, df64, from, du8.subarray(at, at + len), 0, len);
        else cp.toShared(du8, df64, at, du8.subarray(from, from + len), 0, len);
        expect(Buffer.compare(du8, want)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('copies arrays that are not Uint8Arrays element by element, as set converts them', () => {
    const cp = new ByteCopier();
    du8.fill(0);
    cp.toShared(du8, df64, 8, [1, 258, -1, 3.7] as unknown as Uint8Array, 0, 4);
    cp.toShared(du8, df64, 16, Uint16Array.of(0x1234, 0xff) as unknown as Uint8Array, 0, 2);
    expect([...du8.subarray(8, 12)]).toEqual([1, 2, 255, 3]);
    expect([...du8.subarray(16, 18)]).toEqual([0x34, 0xff]);
  });

  it('keeps NaN payloads and signalling NaNs bit for bit once V8 has optimised the copy', () => {
    const cp = new ByteCopier();
    // Little-endian doubles: signalling NaN, quiet NaN with payload, V8's hole NaN, -sNaN, the largest sNaN, -qNaN.
    const words = [0x7ff00000_00000001n, 0x7ff80000_12345678n, 0xfff7ffff_fff7ffffn, 0xfff00000_deadbeefn, 0x7ff7ffff_ffffffffn, 0xfff80000_00000000n, 0x7ff00000_00000000n, 0n];
    const src = new Uint8Array(new BigUint64Array(words).buffer);
    const out = new Uint8Array(src.length);
    let bad = 0;
    // Enough calls for TurboFan (and Maglev where there is one) to compile both directions.
    for (let i = 0; i < 30_000; i++) {
      const at = 256 + ((i & 7) << 6);
      cp.toShared(du8, df64, at, src, 0, src.length);
      cp.fromShared(du8, df64, at, out, 0, out.length);
      if (Buffer.compare(out, src) !== 0) bad++;
    }
    expect(bad).toBe(0);
    expect(BYTE_COPY_MAX).toBeLessThan(INLINE_COPY_MAX);
  });
});

describe('Mbuf.write and readInto over the copier', () => {
  let eal: Eal;
  let mb: Mbuf;
  let pool: PktmbufPool;
  beforeEach(() => {
    eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
    mb = Mbuf.of(eal);
    pool = PktmbufPool.create(eal, 'copy_pool', 64, 0, 0, 512);
  });
  afterEach(() => eal.cleanup());

  function dataBytes(m: number): Uint8Array {
    const a = mb.mtod(m);
    const li = Math.floor(a / LIST_SPAN);
    return eal.list(li)!.u8.subarray(a - li * LIST_SPAN, a - li * LIST_SPAN + mb.dataLen(m));
  }

  it('write then readInto give back the bytes at every offset, length and source alignment (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 380 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 7 }),
        (off, bytes, base, prepend) => {
          const m = pool.alloc();
          try {
            mb.prepend(m, prepend); // moves the data off its 8-byte boundary
            mb.append(m, 384 - prepend);
            const before = Uint8Array.from(dataBytes(m));
            const src = new Uint8Array(new ArrayBuffer(base + bytes.length), base, bytes.length);
            src.set(bytes);
            const fits = off + bytes.length <= 384;
            expect(mb.write(m, off, src)).toBe(fits ? 0 : -1);
            const want = Uint8Array.from(before);
            if (fits) want.set(bytes, off);
            expect(Buffer.compare(dataBytes(m), want)).toBe(0);
            const back = new Uint8Array(new ArrayBuffer(bytes.length + 9), (base + 3) % 9, bytes.length);
            expect(mb.readInto(m, off, bytes.length, back)).toBe(fits ? bytes.length : -1);
            if (fits) expect(Buffer.compare(back, bytes)).toBe(0);
          } finally {
            mb.free(m);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('write, readInto and read across segments match a reference packet', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (lens, a, b, base) => {
        const segs = lens.map((l) => {
          const s = pool.alloc();
          mb.append(s, l);
          dataBytes(s).fill(0);
          return s;
        });
        const head = segs[0]!;
        try {
          for (const s of segs.slice(1)) expect(mb.chain(head, s)).toBe(0);
          const total = mb.pktLen(head);
          const off = a % total;
          const len = b % (total - off + 1);
          const src = new Uint8Array(new ArrayBuffer(len + base), base, len).map((_, i) => (i * 29 + 1) & 0xff);
          expect(mb.write(head, off, src)).toBe(0);
          const want = new Uint8Array(total);
          want.set(src, off);
          const all = new Uint8Array(total);
          expect(mb.readInto(head, 0, total, all)).toBe(total);
          expect(Buffer.compare(all, want)).toBe(0);
          // read: a view of one segment or a copy into the scratch, the same bytes either way.
          const got = mb.read(head, off, len, new Uint8Array(len + 3))!;
          expect(Buffer.compare(got, want.subarray(off, off + len))).toBe(0);
        } finally {
          mb.free(head);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes from another mbuf of the same memory (a view of the list) as a copy of those bytes', () => {
    const m = pool.alloc();
    const n = pool.alloc();
    mb.append(m, 100);
    mb.append(n, 100);
    dataBytes(n).forEach((_, i, a) => (a[i] = i));
    expect(mb.write(m, 3, dataBytes(n).subarray(0, 90))).toBe(0);
    expect([...dataBytes(m).subarray(3, 93)]).toEqual([...Array(90).keys()]);
    // Overlapping: the packet's own bytes shifted by 5, as memmove.
    const want = Uint8Array.from(dataBytes(m));
    want.copyWithin(5, 0, 64);
    expect(mb.write(m, 5, dataBytes(m).subarray(0, 64))).toBe(0);
    expect(Buffer.compare(dataBytes(m), want)).toBe(0);
    mb.free(m);
    mb.free(n);
  });
});
