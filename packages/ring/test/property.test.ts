import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENOBUFS, Ring } from '../src/index.js';
import { HT_HEAD, HT_TAIL, RING_CONS, RING_PROD } from '../src/layout.js';
import { MODES } from './fixtures/modes.js';

type Op =
  | { kind: 'enqBulk' | 'enqBurst'; n: number; typed: boolean }
  | { kind: 'deqBulk' | 'deqBurst'; n: number; typed: boolean }
  | { kind: 'enq1' }
  | { kind: 'deq1' }
  | { kind: 'peekDeq'; n: number; keep: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // typed: a Float64Array (the checked-in-one-go path) rather than a number[].
  fc.record({ kind: fc.constantFrom('enqBulk' as const, 'enqBurst' as const), n: fc.integer({ min: 0, max: 70 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('deqBulk' as const, 'deqBurst' as const), n: fc.integer({ min: 0, max: 70 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constant('enq1' as const) }),
  fc.record({ kind: fc.constant('deq1' as const) }),
);

describe.each(MODES)('%s ring against a queue model (fast-check)', (_name, flags) => {
  it('gives what a FIFO of its capacity gives, for any interleaving of calls', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(opArb, { maxLength: 120 }), (start, ops) => {
        const buf = new SharedArrayBuffer(Ring.memsize(64));
        Ring.init(buf, 0, 'model', 64, flags);
        // Start the counters anywhere, so wraparound at 2**32 is covered too
        // (before attaching: handles cache the other side's tail).
        const i32 = new Int32Array(buf);
        for (const off of [RING_PROD + HT_HEAD, RING_PROD + HT_TAIL, RING_CONS + HT_HEAD, RING_CONS + HT_TAIL]) i32[off >> 2] = start | 0;
        const ring = Ring.attach(buf, 0);
        const model: number[] = [];
        let next = 1;
        const out = new Float64Array(80);
        for (const op of ops) {
          switch (op.kind) {
            case 'enqBulk':
            case 'enqBurst': {
              const objs = Array.from({ length: op.n }, () => next++);
              const src = op.typed ? Float64Array.from(objs) : objs;
              const room = ring.capacity - model.length;
              const want = op.kind === 'enqBulk' ? (op.n <= room ? op.n : 0) : Math.min(op.n, room);
              const got = op.kind === 'enqBulk' ? ring.enqueueBulk(src) : ring.enqueueBurst(src);
              expect(got).toBe(want);
              model.push(...objs.slice(0, got));
              break;
            }
            case 'deqBulk':
            case 'deqBurst': {
              const want = op.kind === 'deqBulk' ? (op.n <= model.length ? op.n : 0) : Math.min(op.n, model.length);
              const dst: number[] | Float64Array = op.typed ? out : [];
              const got = op.kind === 'deqBulk' ? ring.dequeueBulk(dst, op.n) : ring.dequeueBurst(dst, op.n);
              expect(got).toBe(want);
              expect(Array.from(dst.slice(0, got))).toEqual(model.splice(0, got));
              break;
            }
            case 'enq1': {
              const r = ring.enqueue(next);
              if (model.length < ring.capacity) {
                expect(r).toBe(0);
                model.push(next);
              } else expect(r).toBe(-ENOBUFS);
              next++;
              break;
            }
            case 'deq1':
              expect(ring.dequeue()).toBe(model.shift());
              break;
          }
          expect(ring.count()).toBe(model.length);
          expect(ring.freeCount()).toBe(ring.capacity - model.length);
        }
      }),
      { numRuns: 60 },
    );
  });
});
