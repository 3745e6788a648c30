import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Eal, ENOENT, Mempool } from '../src/index.js';
import { ringOps } from './impl.js';

type Op =
  | { kind: 'get' }
  | { kind: 'put'; pick: number }
  | { kind: 'getBulk'; n: number; typed: boolean }
  | { kind: 'putBulk'; n: number; typed: boolean };

// typed: a Float64Array (the path checked in one go) rather than a number[].
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('get' as const) }),
  fc.record({ kind: fc.constant('put' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('getBulk' as const), n: fc.integer({ min: 0, max: 48 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constant('putBulk' as const), n: fc.integer({ min: 0, max: 48 }), typed: fc.boolean() }),
);

const SIZE = 100;
let eal: Eal;
beforeAll(() => {
  eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
});
afterAll(() => eal.cleanup());

let poolNo = 0;

describe.each([
  ['no cache', 0, ringOps('ring_mp_mc')],
  ['cache 8', 8, ringOps('ring_mp_mc')],
  ['cache 64', 64, ringOps('ring_sp_sc')],
  ['cache 32 over a stack', 32, 'stack'],
] as const)('mempool with %s against a model (fast-check)', (_name, cacheSize, ops) => {
  it('never hands out an object twice, loses none, and counts what it holds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (seq) => {
        const mp = Mempool.create(eal, `prop${poolNo++}`, SIZE, 24, cacheSize, 0, { ops });
        const held: number[] = [];
        const heldSet = new Set<number>();
        const take = (obj: number) => {
          expect(mp.isObject(obj)).toBe(true);
          expect(heldSet.has(obj)).toBe(false);
          heldSet.add(obj);
          held.push(obj);
        };
        const half = cacheSize >> 1;
        try {
          for (const op of seq) {
            const avail = SIZE - held.length;
            switch (op.kind) {
              case 'get': {
                const obj = mp.get();
                if (avail === 0) expect(obj).toBe(0);
                else take(obj);
                break;
              }
              case 'put': {
                if (held.length === 0) break;
                const [obj] = held.splice(op.pick % held.length, 1);
                heldSet.delete(obj!);
                mp.put(obj!);
                break;
              }
              case 'getBulk': {
                const out: Float64Array | number[] = op.typed ? new Float64Array(op.n) : [];
                const r = mp.getBulk(out, op.n);
                // Through the cache (n <= half a cache) it is all or nothing on
                // what is available; bigger requests go to the driver alone,
                // which may lack objects that sit in the cache.
                if (cacheSize === 0 || op.n <= half) expect(r).toBe(avail >= op.n ? 0 : -ENOENT);
                else expect([0, -ENOENT]).toContain(r);
                if (avail < op.n) expect(r).toBe(-ENOENT);
                if (r === 0) for (let i = 0; i < op.n; i++) take(out[i]!);
                break;
              }
              case 'putBulk': {
                const k = Math.min(op.n, held.length);
                const objs = held.splice(held.length - k, k);
                for (const o of objs) heldSet.delete(o);
                mp.putBulk(op.typed ? Float64Array.from(objs) : objs, k);
                break;
              }
            }
            expect(mp.availCount()).toBe(SIZE - held.length);
            expect(mp.inUseCount()).toBe(held.length);
          }
          for (const o of held) mp.put(o);
          expect(mp.availCount()).toBe(SIZE);
          mp.audit();
        } finally {
          mp.free();
        }
      }),
      { numRuns: 80 },
    );
  });
});
