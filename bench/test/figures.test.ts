import { describe, expect, it } from 'vitest';
import { aggregate, checkTarget, median, ratio, ratios, targetText, verdict } from '../lib/figures.mjs';

describe('ratio', () => {
  it('is peer / rtemem for time, so a faster rtemem is above 1', () => {
    expect(ratio('ns/op', 20, 50)).toBe(2.5);
    expect(ratio('ns/op', 50, 20)).toBe(0.4);
  });

  it('is rtemem / peer for throughput, so a faster rtemem is above 1', () => {
    expect(ratio('Mobj/s', 400, 100)).toBe(4);
    expect(ratio('Mobj/s', 100, 400)).toBe(0.25);
  });

  it('has no value without both figures, and rejects unknown units', () => {
    expect(ratio('ns/op', 0, 10)).toBeNull();
    expect(ratio('ns/op', 10, Number.NaN)).toBeNull();
    expect(() => ratio('ms', 1, 2)).toThrow(/unknown unit/);
  });

  it('against the best peer takes the peer rtemem beats by the least', () => {
    const r = ratios('ns/op', 10, { slow: 40, fast: 12, faster: 8 });
    expect(r.byPeer).toEqual({ slow: 4, fast: 1.2, faster: 0.8 });
    expect(r.vsBest).toBe(0.8);
    expect(r.bestPeer).toBe('faster');
    const t = ratios('Mobj/s', 300, { a: 100, b: 150 });
    expect(t.vsBest).toBe(2);
    expect(t.bestPeer).toBe('b');
  });
});

describe('verdict', () => {
  it('passes a time at or under its max and misses above it', () => {
    const target = { max: 40, unit: 'ns/op' };
    expect(verdict(target, 39.9)).toBe('PASS');
    expect(verdict(target, 40)).toBe('PASS');
    expect(verdict(target, 40.1)).toBe('MISS');
  });

  it('passes a throughput at or over its min and misses below it', () => {
    const target = { min: 400, unit: 'Mobj/s' };
    expect(verdict(target, 400)).toBe('PASS');
    expect(verdict(target, 1000)).toBe('PASS');
    expect(verdict(target, 399)).toBe('MISS');
  });

  it("is '-' without a target or without a figure", () => {
    expect(verdict(undefined, 10)).toBe('-');
    expect(verdict(null, 10)).toBe('-');
    expect(verdict({ max: 1, unit: 'ns/op' }, undefined)).toBe('-');
    expect(targetText(undefined)).toBe('-');
    expect(targetText({ max: 40, unit: 'ns/op' })).toBe('<= 40 ns/op');
    expect(targetText({ min: 400, unit: 'Mobj/s' })).toBe('>= 400 Mobj/s');
  });

  it('rejects targets whose direction or unit does not fit the case', () => {
    expect(() => checkTarget({ min: 40, unit: 'ns/op' }, 'ns/op', 'c')).toThrow(/max/);
    expect(() => checkTarget({ max: 400, unit: 'Mobj/s' }, 'Mobj/s', 'c')).toThrow(/min/);
    expect(() => checkTarget({ max: 40, unit: 'Mobj/s' }, 'ns/op', 'c')).toThrow(/unit/);
    expect(() => checkTarget({ max: 40, min: 1, unit: 'ns/op' }, 'ns/op', 'c')).toThrow(/exactly one/);
    expect(() => checkTarget({ max: 40, unit: 'ns/op' }, 'ns/op', 'c')).not.toThrow();
  });
});

describe('aggregate', () => {
  it('takes the min and the median of the repetitions', () => {
    const f = aggregate([12, 10, 50, 11, 13], 'ns/op');
    expect(f.min).toBe(10);
    expect(f.median).toBe(12);
    expect(f.max).toBe(50);
    expect(f.best).toBe(10);
    expect(f.reps).toEqual([12, 10, 50, 11, 13]);
  });

  it('averages the middle two of an even count, and the best throughput is the max', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const f = aggregate([100, 300, 200, 400], 'Mobj/s');
    expect(f.median).toBe(250);
    expect(f.best).toBe(400);
    expect(f.min).toBe(100);
  });

  it('refuses no repetitions and non-positive ones', () => {
    expect(() => aggregate([], 'ns/op')).toThrow();
    expect(() => aggregate([1, 0], 'ns/op')).toThrow(/bad repetition/);
    expect(() => aggregate([1, Number.NaN], 'ns/op')).toThrow(/bad repetition/);
  });
});
