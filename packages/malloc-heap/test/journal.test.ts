// The heap's undo journal: an operation cut short at any of its writes
// (here by a throwing test hook, which takes the same rollback path as a
// waiter taking the lock over from a killed process) leaves the heap exactly
// as it was before the operation, byte for byte, and usable.
import { afterEach, describe, expect, it } from 'vitest';
import { Eal, Heap, MAX_LCORE, nativeAvailable, SEG_F_USED, segState, setHeapFaultHook } from '../src/index.js';
import { HEAP_AREA_NAME, heapAreaBytes, J_COUNT, JOURNAL_AREA_BYTES, JOURNAL_AREA_NAME, JOURNAL_BYTES, MAX_HEAPS } from '../src/layout.js';


const MiB = 1024 * 1024;

class Fault extends Error {}

const eals: Eal[] = [];
afterEach(() => {
  setHeapFaultHook(null);
  while (eals.length) eals.pop()!.cleanup();
});

/** A digest of bytes [from, to) of `u8` (4-aligned): two 32-bit hashes over its words. */
function digest(u8: Uint8Array, from: number, to: number): string {
  const w = new Int32Array(u8.buffer, u8.byteOffset + from, (to - from) >> 2);
  let a = 0x811c9dc5;
  let b = 17;
  for (let i = 0; i < w.length; i++) {
    a = Math.imul(a ^ w[i]!, 0x01000193);
    b = (Math.imul(b, 31) + w[i]! + i) | 0;
  }
  return `${(a >>> 0).toString(16)}.${(b >>> 0).toString(16)}`;
}

/** Everything the heap keeps: its config area, which pages are backed, and every backed page. */
function image(eal: Eal): string {
  const area = eal.area(HEAP_AREA_NAME, heapAreaBytes(MAX_LCORE));
  // The journal's entries stay behind as junk; what counts is that no
  // journal is left open (every count word 0).
  const journal = eal.area(JOURNAL_AREA_NAME, JOURNAL_AREA_BYTES);
  for (let h = 0; h < MAX_HEAPS; h++) expect(eal.config.u32[(journal + h * JOURNAL_BYTES + J_COUNT) >> 2]).toBe(0);
  const parts = [digest(eal.config.u8, area, area + heapAreaBytes(MAX_LCORE))];
  for (const l of eal.lists) {
    let run = -1;
    let backed = '';
    for (let s = 0; s <= l.nSegs; s++) {
      const used = s < l.nSegs && (segState(eal.config, l, s) & SEG_F_USED) !== 0;
      if (used && run < 0) run = s;
      if (!used && run >= 0) {
        backed += `${run}-${s},`;
        parts.push(digest(l.u8, run * l.pageSize, s * l.pageSize));
        run = -1;
      }
    }
    parts.push(backed);
  }
  return parts.join('|');
}

/** Writes per committed step that `op` makes when nothing stops it. */
function countWrites(op: () => void): number[] {
  const steps: number[] = [];
  setHeapFaultHook((n) => {
    if (n === 1) steps.push(0);
    steps[steps.length - 1] = n;
  });
  try {
    op();
  } finally {
    setHeapFaultHook(null);
  }
  return steps;
}

/**
 * Cuts `op` short at every write of every committed step, one cut per run,
 * and checks each time that the heap is byte for byte what it was when that
 * step began, and passes audit. `undo` reverts a completed op (and one cut
 * after its first step, whose first step stands). Returns the cuts made.
 */
function cutEverywhere(eal: Eal, heap: Heap, op: () => void, undo: () => void): number {
  const steps = countWrites(op);
  undo();
  expect(steps.length).toBeGreaterThan(0);
  let tried = 0;
  steps.forEach((writes, step) => {
    for (let at = 1; at <= writes; at++) {
      // Step 0 must leave the heap as before the call (pages it was adding
      // included); a later step as its previous step committed it.
      let snapshot: string | null = step === 0 ? image(eal) : null;
      let s = -1;
      setHeapFaultHook((n) => {
        if (n === 1) s++;
        if (s !== step) return;
        // Called after the entry is journaled, before the word changes: at
        // the step's first write, memory is what the step starts from.
        if (n === 1 && step > 0) snapshot = image(eal);
        if (n === at) throw new Fault(`cut at write ${at} of step ${step}`);
      });
      let cut = false;
      try {
        op();
      } catch (e) {
        if (!(e instanceof Fault)) throw e;
        cut = true;
      } finally {
        setHeapFaultHook(null);
      }
      if (!cut) {
        // An earlier cut left the heap in another shape (a page kept, not
        // released): this run took other paths and completed.
        heap.audit();
        undo();
        continue;
      }
      tried++;
      heap.audit();
      expect(image(eal) === snapshot, `heap changed after a cut at write ${at} of ${writes}, step ${step}`).toBe(true);
      if (step > 0) undo();
    }
  });
  heap.audit();
  return tried;
}

describe('the heap journal', () => {
  it('rolls back malloc, free, realloc and allocBiggest cut at every write', () => {
    const eal = Eal.init({ backend: 'sab', memory: 2 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    eal.threadUnregister(); // no lcore cache: every call takes the lock
    const keep: number[] = [];
    // A fragmented heap: free neighbours on both sides of what is freed.
    for (let i = 0; i < 40; i++) keep.push(heap.malloc(100 + i * 300));
    for (let i = 0; i < 40; i += 3) heap.free(keep[i]!);
    const a = keep[4]!;
    let got = 0;
    let tried = 0;
    // malloc: split in front and behind (aligned) and a plain split.
    for (const [size, align] of [
      [5000, 0],
      [300, 4096],
      [64, 0],
    ] as const) {
      tried += cutEverywhere(
        eal,
        heap,
        () => {
          got = heap.malloc(size, align);
        },
        () => heap.free(got),
      );
    }
    // free with merges on both sides.
    tried += cutEverywhere(
      eal,
      heap,
      () => heap.free(keep[7]!),
      () => {
        keep[7] = heap.malloc(100 + 7 * 300);
      },
    );
    // realloc in place, growing into the free neighbour and shrinking.
    for (const size of [2000, 64]) {
      const old = heap.usableSize(a);
      tried += cutEverywhere(
        eal,
        heap,
        () => {
          expect(heap.realloc(a, size)).toBe(a);
        },
        () => {
          expect(heap.realloc(a, old)).toBe(a);
        },
      );
    }
    // The biggest block (memzones reserve with len 0).
    let big = 0;
    tried += cutEverywhere(
      eal,
      heap,
      () => {
        big = heap.allocBiggest(-1)!.addr;
      },
      () => heap.free(big),
    );
    expect(tried).toBeGreaterThan(100);
    keep.forEach((p, i) => {
      if (i % 3 !== 0) heap.validate(p);
    });
  });

  it('rolls back a free that releases pages, and a malloc that grows the heap, giving the new pages back', () => {
    if (!nativeAvailable()) return;
    const eal = Eal.init({ backend: 'anonymous', filePrefix: `t${process.pid}_journal`, memory: 2 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    eal.threadUnregister();
    const used = () => eal.usedSegments(1);
    const base = used();
    let p = 0;
    // Growing: more than the 2 MiB reserved.
    const grown = cutEverywhere(
      eal,
      heap,
      () => {
        p = heap.malloc(3 * MiB);
        expect(p).not.toBe(0);
      },
      () => {
        heap.free(p);
        heap.trim();
      },
    );
    expect(grown).toBeGreaterThan(20);
    expect(used()).toBe(base);
    // Releasing: the free gives whole pages back once the block is merged.
    p = heap.malloc(3 * MiB);
    const released = cutEverywhere(
      eal,
      heap,
      () => heap.free(p),
      () => {
        p = heap.malloc(3 * MiB);
      },
    );
    expect(released).toBeGreaterThan(5);
    heap.free(p);
    heap.trim();
    heap.audit();
    expect(used()).toBe(base);
  });

  it('a throwing operation leaves no journal behind, and later ones work', () => {
    const eal = Eal.init({ backend: 'sab', memory: 4 * MiB });
    eals.push(eal);
    const heap = Heap.of(eal);
    eal.threadUnregister();
    const stats = JSON.stringify(heap.socketStats(0));
    setHeapFaultHook((n) => {
      if (n === 3) throw new Fault('cut');
    });
    expect(() => heap.malloc(1000)).toThrow(Fault);
    setHeapFaultHook(null);
    expect(JSON.stringify(heap.socketStats(0))).toBe(stats);
    const q = heap.malloc(1000);
    heap.validate(q);
    heap.free(q);
    heap.audit();
    expect(heap.recoveries).toBe(0);
  });
});
