import { describe, expect, it } from 'vitest';
import { alignCeil, alignFloor, alignPow2, BAD_IOVA, hex, iovaFromWords, iovaToWords, IOVA_UNKNOWN, isPowerOfTwo } from '../src/index.js';

describe('common helpers (rte_common.h)', () => {
  it('align up and down to any multiple', () => {
    expect([alignCeil(0, 64), alignCeil(1, 64), alignCeil(64, 64), alignCeil(65, 64), alignCeil(10, 3)]).toEqual([0, 64, 64, 128, 12]);
    expect([alignFloor(63, 64), alignFloor(64, 64), alignFloor(2 ** 40 + 5, 2 ** 21)]).toEqual([0, 64, 2 ** 40]);
  });

  it('powers of two, small and beyond 32 bits; the next one up', () => {
    for (const n of [1, 2, 4, 1024, 2 ** 30, 2 ** 31, 2 ** 40, 2 ** 52]) expect(isPowerOfTwo(n), String(n)).toBe(true);
    for (const n of [0, -2, 3, 6, 2 ** 31 - 1, 2 ** 40 + 2, 1.5, Number.NaN, Infinity]) expect(isPowerOfTwo(n), String(n)).toBe(false);
    expect([alignPow2(0), alignPow2(1), alignPow2(3), alignPow2(1024), alignPow2(1025), alignPow2(2 ** 33 + 1)]).toEqual([1, 1, 4, 1024, 2048, 2 ** 34]);
  });

  it('hex of numbers and bigints', () => {
    expect([hex(0), hex(255), hex(2 ** 40), hex(0xdeadbeefn)]).toEqual(['0x0', '0xff', '0x10000000000', '0xdeadbeef']);
  });

  it('IOVAs to two words and back; BAD_IOVA is both words unknown', () => {
    const w = new Uint32Array(2);
    for (const iova of [0n, 0x1234n, 0x1_0000_0000n, 0xffff_fffe_ffff_ffffn]) {
      iovaToWords(iova, w);
      expect(iovaFromWords(w[0]!, w[1]!)).toBe(iova);
    }
    iovaToWords(BAD_IOVA, w);
    expect([...w]).toEqual([IOVA_UNKNOWN, IOVA_UNKNOWN]);
    expect(iovaFromWords(IOVA_UNKNOWN, IOVA_UNKNOWN)).toBe(BAD_IOVA);
  });
});
