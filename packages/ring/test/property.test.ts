import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENOBUFS,
  RING_F_MC_HTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  type ZcData,
} from '../src/index.js';
import { Ring, ringBuffer } from './impl.js';
import { codeOf } from '@rtemem/testkit';
import { MODES } from './ring.test.js';

type Op =
  | { kind: 'enqBulk' | 'enqBurst'; n: number; typed: boolean }
  | { kind: 'deqBulk' | 'deqBurst'; n: number; typed: boolean }
  | { kind: 'enq1' }
  | { kind: 'deq1' }
  | { kind: 'zcEnq' | 'zcDeq' | 'peekEnq' | 'peekDeq'; n: number; keep: number; bulk: boolean }
  | { kind: 'outEnq' | 'outDeq'; n: number; bulk: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // typed: a Float64Array (the checked-in-one-go path) rather than a number[].
  fc.record({ kind: fc.constantFrom('enqBulk' as const, 'enqBurst' as const), n: fc.integer({ min: 0, max: 70 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('deqBulk' as const, 'deqBurst' as const), n: fc.integer({ min: 0, max: 70 }), typed: fc.boolean() }),
  fc.record({ kind: fc.constant('enq1' as const) }),
  fc.record({ kind: fc.constant('deq1' as const) }),
  // Zero copy and peek: start n (bulk or burst), finish `keep` of what was got.
  fc.record({ kind: fc.constantFrom('zcEnq' as const, 'zcDeq' as const, 'peekEnq' as const, 'peekDeq' as const), n: fc.integer({ min: 0, max: 70 }), keep: fc.integer({ min: 0, max: 70 }), bulk: fc.boolean() }),
  // Bulk and burst calls with the free_space / available out value.
  fc.record({ kind: fc.constantFrom('outEnq' as const, 'outDeq' as const), n: fc.integer({ min: 0, max: 70 }), bulk: fc.boolean() }),
);

const PROD_PEEK = RING_F_SP_ENQ | RING_F_MP_HTS_ENQ;
const CONS_PEEK = RING_F_SC_DEQ | RING_F_MC_HTS_DEQ;

describe.each(MODES)('%s ring against a queue model (fast-check)', (_name, flags) => {
  it('gives what a FIFO of its capacity gives, for any interleaving of calls', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(opArb, { maxLength: 120 }), (start, ops) => {
        const buf = ringBuffer(Ring.memsize(64));
        Ring.init(buf, 0, 'model', 64, flags);
        // Start the counters anywhere, so wraparound at 2**32 is covered too
        // (before attaching: handles cache the other side's tail).
        const i32 = new Int32Array(buf);
        for (const off of [128, 132, 256, 260]) i32[off >> 2] = start | 0;
        const ring = Ring.attach(buf, 0);
        const model: number[] = [];
        let next = 1;
        const out = new Float64Array(80);
        const zc: ZcData = { ptr1: 0, n1: 0, ptr2: 0, n2: 0 };
        const ov = new Uint32Array(1);
        const prodPeek = (flags & PROD_PEEK) !== 0;
        const consPeek = (flags & CONS_PEEK) !== 0;
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
            case 'zcEnq':
            case 'peekEnq': {
              const zcOp = op.kind === 'zcEnq';
              const start = () => (zcOp ? (op.bulk ? ring.enqueueZcBulkStart(op.n, zc, ov) : ring.enqueueZcBurstStart(op.n, zc, ov)) : op.bulk ? ring.enqueueBulkStart(op.n, ov) : ring.enqueueBurstStart(op.n, ov));
              if (!prodPeek) {
                expect(codeOf(start)).toBe('EINVAL');
                break;
              }
              const room = ring.capacity - model.length;
              const want = op.bulk ? (op.n <= room ? op.n : 0) : Math.min(op.n, room);
              const got = start();
              expect(got).toBe(want);
              expect(ov[0]).toBe(room - got);
              const keep = Math.min(op.keep, got);
              const objs = Array.from({ length: keep }, () => next++);
              if (zcOp) {
                expect(zc.n1 + zc.n2).toBe(got);
                for (let i = 0; i < keep; i++) ring.slots[i < zc.n1 ? zc.ptr1 + i : zc.ptr2 + i - zc.n1] = objs[i]!;
                expect(ring.count()).toBe(model.length); // not published yet
                ring.enqueueZcFinish(keep);
              } else ring.enqueueFinish(objs, keep);
              model.push(...objs);
              break;
            }
            case 'zcDeq':
            case 'peekDeq': {
              const zcOp = op.kind === 'zcDeq';
              const dst: number[] = [];
              const start = () => (zcOp ? (op.bulk ? ring.dequeueZcBulkStart(op.n, zc, ov) : ring.dequeueZcBurstStart(op.n, zc, ov)) : op.bulk ? ring.dequeueBulkStart(dst, op.n, ov) : ring.dequeueBurstStart(dst, op.n, ov));
              if (!consPeek) {
                expect(codeOf(start)).toBe('EINVAL');
                break;
              }
              const want = op.bulk ? (op.n <= model.length ? op.n : 0) : Math.min(op.n, model.length);
              const got = start();
              expect(got).toBe(want);
              expect(ov[0]).toBe(model.length - got);
              if (zcOp) for (let i = 0; i < got; i++) dst.push(ring.slots[i < zc.n1 ? zc.ptr1 + i : zc.ptr2 + i - zc.n1]!);
              expect(dst.slice(0, got)).toEqual(model.slice(0, got));
              expect(ring.count()).toBe(model.length); // still there
              const keep = Math.min(op.keep, got);
              if (zcOp) ring.dequeueZcFinish(keep);
              else ring.dequeueFinish(keep);
              model.splice(0, keep);
              break;
            }
            case 'outEnq': {
              const objs = Float64Array.from({ length: op.n }, () => next++);
              const room = ring.capacity - model.length;
              const want = op.bulk ? (op.n <= room ? op.n : 0) : Math.min(op.n, room);
              const got = op.bulk ? ring.enqueueBulk(objs, op.n, ov) : ring.enqueueBurst(objs, op.n, ov);
              expect(got).toBe(want);
              expect(ov[0]).toBe(room - got);
              model.push(...Array.from(objs.subarray(0, got)));
              break;
            }
            case 'outDeq': {
              const want = op.bulk ? (op.n <= model.length ? op.n : 0) : Math.min(op.n, model.length);
              const got = op.bulk ? ring.dequeueBulk(out, op.n, ov) : ring.dequeueBurst(out, op.n, ov);
              expect(got).toBe(want);
              expect(ov[0]).toBe(model.length - got);
              expect(Array.from(out.subarray(0, got))).toEqual(model.splice(0, got));
              break;
            }
          }
          expect(ring.count()).toBe(model.length);
          expect(ring.freeCount()).toBe(ring.capacity - model.length);
        }
      }),
      { numRuns: 60 },
    );
  });
});
