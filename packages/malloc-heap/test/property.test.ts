import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Eal, Heap, LIST_SPAN, type SocketStats } from '../src/index.js';

const MiB = 1024 * 1024;

type Op =
  | { kind: 'malloc'; size: number; align: number }
  | { kind: 'zmalloc'; size: number }
  | { kind: 'realloc'; pick: number; size: number }
  | { kind: 'free'; pick: number };

const sizeArb = fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 8192 }), fc.integer({ min: 8192, max: 300_000 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('malloc' as const), size: sizeArb, align: fc.constantFrom(0, 8, 64, 128, 1024, 4096) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zmalloc' as const), size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('realloc' as const), pick: fc.nat(), size: sizeArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
);

interface Block {
  addr: number;
  size: number;
  seed: number;
}

describe('heap against a model (fast-check)', () => {
  // A fresh heap per run, so that a counterexample stands on its own.
  let eal: Eal;
  let heap: Heap;
  let u8: Uint8Array;
  let baseline: SocketStats;
  const fresh = () => {
    eal?.cleanup();
    eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
    heap = Heap.of(eal);
    u8 = eal.lists[0]!.u8;
    baseline = heap.socketStats(0);
  };
  afterAll(() => eal.cleanup());

  const fill = (b: Block) => {
    const off = b.addr - LIST_SPAN;
    for (let i = 0; i < b.size; i++) u8[off + i] = (b.seed + i * 31) & 0xff;
  };
  const intact = (b: Block, len = b.size) => {
    const off = b.addr - LIST_SPAN;
    for (let i = 0; i < len; i++) if (u8[off + i] !== ((b.seed + i * 31) & 0xff)) return false;
    return true;
  };
  const noOverlap = (live: Block[]) => {
    const sorted = live.map((b) => [b.addr, b.addr + heap.usableSize(b.addr)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) if (sorted[i - 1]![1] > sorted[i]![0]) return false;
    return true;
  };

  it('keeps blocks aligned, disjoint and intact, and ends where it started', () => {
    let seed = 1;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        fresh();
        const live: Block[] = [];
        for (const op of ops) {
          if (op.kind === 'malloc' || op.kind === 'zmalloc') {
            const addr = op.kind === 'malloc' ? heap.malloc(op.size, op.align) : heap.zmalloc(op.size);
            if (addr === 0) continue; // full: allowed
            const align = op.kind === 'malloc' ? Math.max(64, op.align) : 64;
            expect(addr % align).toBe(0);
            expect(heap.usableSize(addr)).toBeGreaterThanOrEqual(op.size);
            if (op.kind === 'zmalloc') expect(u8.subarray(addr - LIST_SPAN, addr - LIST_SPAN + op.size).every((x) => x === 0)).toBe(true);
            const b = { addr, size: op.size, seed: seed++ };
            fill(b);
            live.push(b);
          } else if (live.length > 0) {
            const i = op.pick % live.length;
            const b = live[i]!;
            expect(intact(b)).toBe(true);
            if (op.kind === 'free') {
              heap.free(b.addr);
              live.splice(i, 1);
            } else {
              const addr = heap.realloc(b.addr, op.size);
              if (addr === 0) {
                expect(intact(b)).toBe(true); // the old block is kept
                continue;
              }
              const moved = { addr, size: Math.min(b.size, op.size), seed: b.seed };
              expect(intact(moved)).toBe(true);
              const grown = { addr, size: op.size, seed: seed++ };
              fill(grown);
              live[i] = grown;
            }
          }
          expect(noOverlap(live)).toBe(true);
        }
        for (const b of live) {
          expect(intact(b)).toBe(true);
          heap.validate(b.addr);
        }
        for (const b of live) heap.free(b.addr);
        heap.cacheFlush();
        heap.audit();
        // Nothing leaked, everything merged.
        const s = heap.socketStats(0);
        expect(s.heapFreeBytes).toBe(baseline.heapFreeBytes);
        expect(s.freeCount).toBe(baseline.freeCount);
        expect(s.allocCount).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
