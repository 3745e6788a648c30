import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CACHE_MAX_SIZE, Eal, EXTERNAL_HEAP_MIN_SOCKET_ID, freeListIndex, Heap, LIST_SPAN, MAX_HEAPS, RteError, SOCKET_ID_ANY } from '../src/index.js';
import { SPAN } from '../src/layout.js';
import { codeOf } from '@rtemem/testkit';

const MiB = 1024 * 1024;

let eal: Eal;
let heap: Heap;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
  heap = Heap.of(eal);
});
afterEach(() => eal.cleanup());

function bytes(addr: number, len: number): Uint8Array {
  const off = addr - LIST_SPAN;
  return eal.lists[0]!.u8.subarray(off, off + len);
}

/** Stats and audit, for "nothing changed" checks. */
function snapshot(): string {
  heap.audit();
  return JSON.stringify(heap.socketStats(0));
}

describe('malloc (DPDK malloc_autotest)', () => {
  it('returns 0 for size 0 and 64-byte aligned blocks for alignment 0', () => {
    expect(heap.malloc(0)).toBe(0);
    for (const size of [1, 7, 64, 100, 1000, 5000, 100_000]) {
      const p = heap.malloc(size);
      expect(p).toBeGreaterThan(0);
      expect(p % 64).toBe(0);
      expect(heap.usableSize(p)).toBeGreaterThanOrEqual(size);
      heap.free(p);
    }
  });

  it('honours alignments 8, 64, 2048 and 4096 without overlap', () => {
    const blocks: [number, number][] = [];
    for (const align of [8, 64, 2048, 4096]) {
      for (const size of [17, 64, 1000, 3000]) {
        const p = heap.malloc(size, align);
        expect(p % Math.max(64, align)).toBe(0);
        blocks.push([p, heap.usableSize(p)]);
      }
    }
    blocks.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i - 1]![0] + blocks[i - 1]![1]).toBeLessThanOrEqual(blocks[i]![0]);
    for (const [p] of blocks) heap.validate(p);
    for (const [p] of blocks) heap.free(p);
    heap.audit();
  });

  it('zmalloc and calloc give zeroed memory, even when it was used before', () => {
    const dirty = heap.malloc(4000);
    bytes(dirty, 4000).fill(0xff);
    heap.free(dirty);
    heap.cacheFlush();
    const z = heap.zmalloc(4000);
    expect(bytes(z, 4000).every((b) => b === 0)).toBe(true);
    bytes(z, 4000).fill(0xee);
    heap.free(z);
    const c = heap.calloc(100, 40);
    expect(heap.usableSize(c)).toBeGreaterThanOrEqual(4000);
    expect(bytes(c, 4000).every((b) => b === 0)).toBe(true);
    heap.free(c);
  });

  it('gives the stats back to their baseline after freeing everything', () => {
    const base = heap.socketStats(0);
    expect(base.heapTotalBytes).toBe(16 * MiB);
    expect(base.allocCount).toBe(0);
    const ps = [];
    for (let i = 0; i < 200; i++) ps.push(heap.malloc(1 + ((i * 7919) % 9000), i % 3 === 0 ? 256 : 0));
    const busy = heap.socketStats(0);
    expect(busy.allocCount).toBe(200);
    expect(busy.heapAllocBytes).toBeGreaterThan(200 * 64);
    expect(busy.heapFreeBytes + busy.heapAllocBytes).toBe(busy.heapTotalBytes);
    for (const p of ps) heap.free(p);
    // Small blocks sit in the lcore cache: free bytes are back at once, and
    // after a flush everything has merged again.
    expect(heap.socketStats(0).heapFreeBytes).toBe(base.heapFreeBytes);
    expect(heap.socketStats(0).allocCount).toBe(0);
    heap.cacheFlush();
    expect(heap.socketStats(0)).toEqual(base);
    heap.audit();
  });

  it('has a heap on each socket of the EAL and none elsewhere', () => {
    const socket = eal.lists[0]!.socketId;
    const p = heap.malloc(100, 0, socket);
    expect(heap.socketOf(p)).toBe(socket);
    heap.free(p);
    expect(codeOf(() => heap.malloc(100, 0, 7))).toBe('EINVAL');
    expect(codeOf(() => heap.socketStats(7))).toBe('EINVAL');
    expect(codeOf(() => heap.socketStats(SOCKET_ID_ANY))).toBe('EINVAL');
  });

  it('returns 0 for a valid size that no heap can hold', () => {
    const before = snapshot();
    expect(heap.malloc(64 * MiB)).toBe(0);
    expect(heap.malloc(2 ** 52)).toBe(0);
    expect(heap.malloc(100, 2 ** 40)).toBe(0);
    expect(snapshot()).toBe(before);
  });

  it('allocates the largest block with allocBiggest', () => {
    const r = heap.allocBiggest(0)!;
    expect(r.len).toBeGreaterThan(15 * MiB);
    expect(heap.malloc(64)).toBe(0);
    heap.free(r.addr);
    heap.audit();
  });

  it('never lets a block cross its bound', () => {
    const ps = [];
    for (let i = 0; i < 50; i++) {
      const p = heap.allocOnSocket(3000, 0, { bound: 4096 });
      expect(Math.floor(p / 4096)).toBe(Math.floor((p + 2999) / 4096));
      ps.push(p);
    }
    for (const p of ps) heap.free(p);
    heap.audit();
  });
});

describe('realloc', () => {
  it('keeps the data when it moves the block', () => {
    const p = heap.malloc(1000);
    const blocker = heap.malloc(1000); // no room to grow in place
    bytes(p, 1000).forEach((_, i, a) => (a[i] = i & 0xff));
    const q = heap.realloc(p, 50_000);
    expect(q).not.toBe(p);
    expect(bytes(q, 1000).every((b, i) => b === (i & 0xff))).toBe(true);
    expect(codeOf(() => heap.usableSize(p))).toBe('EINVAL');
    heap.free(q);
    heap.free(blocker);
    heap.audit();
  });

  it('grows and shrinks in place when it can', () => {
    // Blocks come from the top of free memory: b sits right below a.
    const a = heap.malloc(10_000);
    const b = heap.malloc(10_000);
    expect(b).toBeLessThan(a);
    bytes(b, 10_000).fill(3);
    heap.free(a);
    expect(heap.realloc(b, 18_000)).toBe(b); // grown into a's space
    expect(heap.usableSize(b)).toBeGreaterThanOrEqual(18_000);
    expect(heap.realloc(b, 1000)).toBe(b); // shrunk, the tail given back
    expect(heap.usableSize(b)).toBeLessThan(2000);
    expect(heap.realloc(b, 9000)).toBe(b); // and grown again
    expect(bytes(b, 1000).every((x) => x === 3)).toBe(true);
    heap.free(b);
    heap.cacheFlush();
    heap.audit();
    expect(heap.socketStats(0).freeCount).toBe(1);
  });

  it('keeps the old block when there is no room, and treats addr 0 as malloc', () => {
    const p = heap.malloc(100);
    bytes(p, 100).fill(9);
    const before = snapshot();
    expect(heap.realloc(p, 64 * MiB)).toBe(0);
    expect(bytes(p, 100).every((b) => b === 9)).toBe(true);
    expect(snapshot()).toBe(before);
    const q = heap.realloc(0, 100);
    expect(q).toBeGreaterThan(0);
    heap.free(q);
    heap.free(p);
  });

  it('moves a block to satisfy a larger alignment', () => {
    let p = heap.malloc(100);
    while (p % 4096 === 0) p = heap.malloc(100);
    const q = heap.realloc(p, 100, 4096);
    expect(q % 4096).toBe(0);
    heap.free(q);
  });
});

describe('bad input: a clear EINVAL and an unchanged heap', () => {
  it.each([
    ['a negative size', () => heap.malloc(-1)],
    ['NaN', () => heap.malloc(Number.NaN)],
    ['a fractional size', () => heap.malloc(1.5)],
    ['a size above 2**52', () => heap.malloc(2 ** 53)],
    ['Infinity', () => heap.malloc(Number.POSITIVE_INFINITY)],
    ['a string size', () => heap.malloc('64' as unknown as number)],
    ['alignment 3', () => heap.malloc(64, 3)],
    ['a negative alignment', () => heap.malloc(64, -64)],
    ['a fractional alignment', () => heap.malloc(64, 0.5)],
    ['calloc overflowing 2**52', () => heap.calloc(2 ** 30, 2 ** 30)],
    ['zmalloc of a negative size', () => heap.zmalloc(-5)],
    ['realloc to a negative size', () => heap.realloc(heap.malloc(64), -1)],
  ])('%s', (_what, fn) => {
    const before = snapshot();
    expect(codeOf(fn)).toBe('EINVAL');
    heap.cacheFlush();
    const after = JSON.parse(snapshot());
    // realloc's own malloc(64) is the only block allowed to remain.
    if (after.allocCount === 1) return;
    expect(JSON.stringify(after)).toBe(before);
  });

  it('refuses foreign and freed pointers, and pointers into a block', () => {
    const keep = heap.malloc(5000);
    const small = heap.malloc(100);
    const padded = heap.malloc(200, 4096);
    const before = snapshot();
    for (const bad of [1, 12345, LIST_SPAN, LIST_SPAN + 17, 5 * LIST_SPAN + 64, keep + 64, keep + 4096, -64, 2 ** 60, Number.NaN]) {
      expect(codeOf(() => heap.free(bad))).toBe('EINVAL');
      expect(codeOf(() => heap.usableSize(bad))).toBe('EINVAL');
      expect(codeOf(() => heap.validate(bad))).toBe('EINVAL');
      expect(codeOf(() => heap.realloc(bad, 10))).toBe('EINVAL');
    }
    expect(codeOf(() => heap.free('x' as unknown as number))).toBe('EINVAL');
    expect(snapshot()).toBe(before);
    heap.free(small);
    heap.free(keep);
    heap.free(padded);
    const afterFree = snapshot();
    for (const freed of [small, keep, padded]) {
      expect(codeOf(() => heap.free(freed))).toBe('EINVAL');
      expect(codeOf(() => heap.realloc(freed, 10))).toBe('EINVAL');
    }
    expect(snapshot()).toBe(afterFree);
  });

  it('says "double free" for a block freed twice', () => {
    const p = heap.malloc(6000);
    heap.free(p);
    expect(() => heap.free(p)).toThrow(/already free/);
    const q = heap.malloc(50); // goes to the lcore cache when freed
    heap.free(q);
    expect(() => heap.free(q)).toThrow(/already free/);
  });

  it('free(0) does nothing', () => {
    const before = snapshot();
    heap.free(0);
    expect(snapshot()).toBe(before);
  });
});

describe('validate', () => {
  it('catches an overrun into the next element and a corrupt header', () => {
    const a = heap.malloc(1000);
    const b = heap.malloc(1000); // b sits below a: a's end touches the next element
    heap.validate(a);
    heap.validate(b);
    const usable = heap.usableSize(b);
    const next = bytes(b + usable, 64);
    const saved = next.slice();
    next.fill(0x41); // an overrun past b's end
    expect(() => heap.validate(b)).toThrow(/next element|overlaps|corrupt/);
    next.set(saved);
    heap.validate(b);
    const hdr = bytes(a - 64, 64);
    const savedHdr = hdr.slice();
    hdr[48] ^= 0xff; // the header cookie
    expect(codeOf(() => heap.validate(a))).toBe('EINVAL');
    expect(codeOf(() => heap.free(a))).toBe('EINVAL');
    hdr.set(savedHdr);
    heap.free(a);
    heap.free(b);
    heap.audit();
  });
});

describe('lcore caches', () => {
  it('keep small blocks on the lcore and count them as free', () => {
    const base = heap.socketStats(0);
    const p = heap.malloc(100);
    heap.free(p);
    const s = heap.socketStats(0);
    expect(s.heapFreeBytes).toBe(base.heapFreeBytes);
    expect(s.freeCount).toBe(base.freeCount + 1); // the cached block and the rest
    expect(heap.malloc(100)).toBe(p); // served from the cache
    heap.free(p);
    expect(heap.cacheFlush()).toBe(1);
    expect(heap.socketStats(0)).toEqual(base);
  });

  it('are not used by a thread without an lcore', () => {
    const other = Eal.attach(eal.workerData());
    const h2 = Heap.of(other);
    const base = h2.socketStats(0);
    const p = h2.malloc(100);
    h2.free(p);
    expect(h2.socketStats(0)).toEqual(base); // merged straight back
    expect(h2.cacheFlush()).toBe(0);
    other.cleanup();
  });

  it('serve sizes up to CACHE_MAX_SIZE only', () => {
    const big = heap.malloc(CACHE_MAX_SIZE + 1);
    const base = heap.socketStats(0);
    heap.free(big);
    heap.cacheFlush();
    expect(heap.socketStats(0).freeCount).toBeLessThanOrEqual(base.freeCount + 1);
    expect(heap.cacheFlush()).toBe(0);
  });

  it('are flushed to satisfy a request they starve', () => {
    // Fill the heap, then free a run of neighbours: they park in the cache.
    const blocks = [];
    for (let p = heap.malloc(4000); p !== 0; p = heap.malloc(4000)) blocks.push(p);
    expect(heap.malloc(6000)).toBe(0);
    const run = blocks.slice(-7); // consecutive blocks, lowest addresses last
    for (const p of run) heap.free(p);
    // Parked, not merged: the stats count them as cached, and the greatest
    // free size as the block they make once merged (what a malloc reclaims).
    const parked = heap.socketStats(0);
    expect(parked.cacheCount).toBe(7);
    expect(parked.cacheBytes).toBe(7 * 4032 + 7 * 64);
    expect(parked.greatestFreeSize).toBe(7 * 4096);
    // Only after the cache gives them back do they merge into room for 6000 bytes.
    const big = heap.malloc(6000);
    expect(big).toBeGreaterThan(0);
    expect(heap.socketStats(0).cacheCount).toBe(0);
    heap.free(big);
    for (const p of blocks.slice(0, -7)) heap.free(p);
    heap.cacheFlush();
    heap.audit();
    expect(heap.socketStats(0).freeCount).toBe(1);
  });
});

describe('external heaps', () => {
  it('create, add memory, allocate, refuse to remove while busy, remove, destroy', () => {
    const socket = heap.createHeap('ext1');
    expect(socket).toBeGreaterThanOrEqual(EXTERNAL_HEAP_MIN_SOCKET_ID);
    expect(heap.heapSocket('ext1')).toBe(socket);
    expect(codeOf(() => heap.createHeap('ext1'))).toBe('EEXIST');
    expect(codeOf(() => heap.createHeap('x'.repeat(32)))).toBe('ENAMETOOLONG');
    expect(codeOf(() => heap.createHeap(''))).toBe('EINVAL');
    expect(heap.malloc(100, 0, socket)).toBe(0); // no memory yet
    const buf = new SharedArrayBuffer(MiB);
    heap.addMemory('ext1', buf);
    expect(codeOf(() => heap.addMemory('ext1', buf))).toBe('EEXIST');
    expect(codeOf(() => heap.addMemory('ext1', new SharedArrayBuffer(1000)))).toBe('EINVAL');
    expect(codeOf(() => heap.addMemory('nope', new SharedArrayBuffer(4096)))).toBe('ENOENT');
    expect(heap.socketStats(socket).heapTotalBytes).toBe(MiB);
    const p = heap.malloc(1000, 0, socket);
    expect(heap.socketOf(p)).toBe(socket);
    // The block lives in the user's buffer.
    const off = p % LIST_SPAN;
    new Uint8Array(buf)[off] = 42;
    heap.validate(p);
    expect(codeOf(() => heap.removeMemory('ext1', buf))).toBe('EBUSY');
    expect(codeOf(() => heap.destroyHeap('ext1'))).toBe('EBUSY');
    heap.free(p); // external blocks never enter lcore caches
    heap.audit();
    heap.removeMemory('ext1', buf);
    expect(heap.socketStats(socket).heapTotalBytes).toBe(0);
    heap.destroyHeap('ext1');
    expect(codeOf(() => heap.heapSocket('ext1'))).toBe('ENOENT');
    expect(codeOf(() => heap.destroyHeap('socket_0'))).toBe('EPERM');
  });

  it('are shared with another thread that attaches the buffer', () => {
    const socket = heap.createHeap('ext2');
    const buf = new SharedArrayBuffer(MiB);
    heap.addMemory('ext2', buf);
    const p = heap.malloc(100, 0, socket);
    const other = Eal.attach(eal.workerData());
    const h2 = Heap.of(other);
    expect(codeOf(() => h2.free(p))).toBe('EINVAL'); // not attached there yet
    expect(codeOf(() => h2.attachMemory('ext2', new SharedArrayBuffer(2 * MiB)))).toBe('ENOENT');
    h2.attachMemory('ext2', buf);
    h2.free(p);
    heap.audit();
    other.cleanup();
    heap.removeMemory('ext2', buf);
    heap.destroyHeap('ext2');
  });

  it('say ENOSPC when all heaps exist', () => {
    const made = [];
    for (let i = 0; ; i++) {
      try {
        heap.createHeap(`many_${i}`);
        made.push(`many_${i}`);
      } catch (e) {
        expect((e as RteError).code).toBe('ENOSPC');
        break;
      }
    }
    expect(made.length).toBe(MAX_HEAPS - 1); // one socket heap
    for (const name of made) heap.destroyHeap(name);
  });
});

describe('dumps and layout', () => {
  it('dumps stats in DPDK form', () => {
    const text = heap.dumpStats();
    expect(text).toMatch(/^Heap id:0\n\tHeap name:socket_0\n\tHeap_size:16777216,\n\tFree_size:16777216,/);
    expect(text).toMatch(/\tAlloc_count:0,\n\tFree_count:1,/);
  });

  it('uses DPDK free-list classes', () => {
    expect([1, 256, 257, 1024, 1025, 4096, 4097, 2 ** 30, 2 ** 31].map(freeListIndex)).toEqual([0, 0, 1, 1, 2, 2, 3, 11, 12]);
  });

  it('keeps layout constants literal (so the bundler inlines them) and in step with the EAL', () => {
    expect(SPAN).toBe(LIST_SPAN);
    const src = readFileSync(new URL('../src/layout.ts', import.meta.url), 'utf8');
    const consts = [...src.matchAll(/^export const (\w+) = ([^;]+);/gm)];
    expect(consts.length).toBeGreaterThan(40);
    for (const [, name, value] of consts) expect(`${name} = ${value}`).toMatch(/= (-?\d+|0x[0-9a-f]+|'[^']*')$/);
    // Functions come after every constant.
    expect(src.indexOf('export function')).toBeGreaterThan(src.lastIndexOf('export const'));
  });
});
