// The WebAssembly ring on the EAL's memory: lists are WebAssembly memories
// (every backend), the ring interoperates with @rtemem/ring's Ring on the
// same layout, and threads, secondary processes and killed processes see
// one memory. The Ring API itself is tested by packages/ring's tests, which
// run on this implementation too (RTEMEM_RING_IMPL=wasm).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, describeHugepages, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import * as Layout from '../../ring/src/layout.js';
import { Ring } from '../../ring/src/index.js';
import { Eal, WasmRing, RING_F_MC_HTS_DEQ, RING_F_MC_RTS_DEQ, RING_F_MP_HTS_ENQ, RING_F_MP_RTS_ENQ, RING_F_SC_DEQ, RING_F_SP_ENQ, wasmMemoryOf, ENOBUFS } from '../src/index.js';

const PEER = new URL('./fixtures/wasm-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;
const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer } } }).WebAssembly;

describe('standalone', () => {
  it("a new handle does not trust this thread's cached tail of a ring that was where the new one is", () => {
    const SPSC = RING_F_SP_ENQ | RING_F_SC_DEQ;
    for (const sync of [SPSC, 0]) {
      const memory = new WA.Memory({ initial: 1, maximum: 1, shared: true });
      const old = WasmRing.init(memory as never, 128, 'old', 16, sync); // capacity 15
      // The producer side of this thread caches the consumer tail at 10: it
      // reads the real one only when the cached one shows no room.
      for (let i = 0; i < 10; i++) old.enqueue(i);
      for (let i = 0; i < 10; i++) old.dequeue();
      for (let i = 0; i < 6; i++) expect(old.enqueue(i)).toBe(0);
      // A new ring at the same place, 14 of its 15 slots filled by the JS ring.
      const js = Ring.init(memory.buffer, 128, 'new', 16, sync);
      for (let i = 0; i < 14; i++) js.enqueue(100 + i);
      const ring = WasmRing.attach(memory as never, 128);
      // By the stale cached tail there would be 11 free slots; there is one.
      expect(ring.enqueueBurst(Float64Array.of(200, 201, 202, 203, 204), 5)).toBe(1);
      expect(ring.enqueueBulk(Float64Array.of(300), 1)).toBe(0);
      const out = new Float64Array(16);
      expect(js.dequeueBurst(out, 16)).toBe(15);
      expect([...out.subarray(0, 15)]).toEqual([...Array.from({ length: 14 }, (_, i) => 100 + i), 200]);
    }
  });

  it('free_space and available come from the real tails, not from a cached one', () => {
    const memory = new WA.Memory({ initial: 1, maximum: 1, shared: true });
    const prod = WasmRing.init(memory as never, 128, 'fs', 16, 0);
    const js = Ring.attach(memory.buffer, 128);
    const fs = new Uint32Array(1);
    prod.enqueueBulk(Float64Array.of(1, 2, 3), 3);
    js.dequeueBurst(new Float64Array(3), 3); // the consumer moves on behind this thread's back
    expect(prod.enqueueBulk(Float64Array.of(4), 1, fs)).toBe(1);
    expect(fs[0]).toBe(14);
    js.enqueueBulk([5, 6], 2);
    const av = new Uint32Array(1);
    expect(prod.dequeueBulk(new Float64Array(1), 1, av)).toBe(1);
    expect(av[0]).toBe(2);
  });

  it('runs on a shared WebAssembly.Memory, and refuses memory it cannot run on', () => {
    const memory = new WA.Memory({ initial: 1, maximum: 1, shared: true });
    const r = WasmRing.init(memory as never, 128, 'solo', 1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
    expect(r.enqueue(5)).toBe(0);
    expect(WasmRing.attach(memory as never, 128).dequeue()).toBe(5);
    // A JS Ring on the same bytes is the same ring.
    const js = Ring.attach(memory.buffer, 128);
    js.enqueueBulk([1, 2, 3]);
    expect(r.dequeueBurst([], 8)).toBe(3);
    expect(codeOf(() => WasmRing.init(new SharedArrayBuffer(65536), 0, 'x', 16))).toBe('ENOTSUP');
    expect(codeOf(() => WasmRing.init(new WA.Memory({ initial: 1, maximum: 1 }) as never, 0, 'x', 16))).toBe('EINVAL');
    expect(codeOf(() => WasmRing.init(memory as never, 65536 - 64, 'x', 16))).toBe('EINVAL');
  });
});

// A move hands JavaScript (count << log2(size)) | slot index as one i32
// below 2**30; a claim of more than that packs (2**16 slots, 2**14 or more
// objects) comes back through the instance's last_count / last_head instead.
describe('claims too big to pack into one i32', () => {
  const SIZE = 2 ** 16;
  const N = 2 ** 14 + 3;
  it.each([
    ['MP/MC', 0],
    ['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ],
    ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ],
    ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ],
  ])('%s: bulk and burst calls move them whole, with out values, across the 2**32 wrap of the counters', (_name, flags) => {
    const bytes = WasmRing.memsize(SIZE, 8);
    const pages = Math.ceil(bytes / 65536);
    const memory = new WA.Memory({ initial: pages, maximum: pages, shared: true });
    WasmRing.init(memory as never, 0, 'big', SIZE, flags);
    // Counters 1000 short of 2**32, and the slot index off the start.
    const i32 = new Int32Array(memory.buffer);
    const start = (2 ** 32 - 1000) | 0;
    for (const side of [Layout.RING_PROD, Layout.RING_CONS]) for (const f of [Layout.HT_HEAD, Layout.HT_TAIL]) i32[(side + f) >> 2] = start;
    const r = WasmRing.attach(memory as never, 0);
    let next = 1;
    const batch = (n: number) => Float64Array.from({ length: n }, () => next++);
    let expectNext = 1;
    const check = (out: ArrayLike<number>, m: number) => {
      let bad = -1;
      for (let i = 0; i < m && bad < 0; i++) if (out[i] !== expectNext + i) bad = i;
      expect(bad, `element ${bad}: ${out[bad]} instead of ${expectNext + bad}`).toBe(-1);
      expectNext += m;
    };
    const out = new Float64Array(SIZE);
    for (let round = 0; round < 3; round++) {
      // Float64Array (the bulk fast path), then number[] (the generic path).
      expect(r.enqueueBulk(batch(N), N)).toBe(N);
      expect(r.enqueueBurst(Array.from(batch(N)), N)).toBe(N);
      expect(r.count()).toBe(2 * N);
      expect(r.dequeueBulk(out, N)).toBe(N);
      check(out, N);
      const arr: number[] = [];
      expect(r.dequeueBurst(arr, 2 * N)).toBe(N);
      check(arr, N);
      // A burst that takes less than asked, still too many to pack: the free slots.
      const free = r.freeCount();
      const space = new Uint32Array(1);
      expect(r.enqueueBurst(batch(SIZE), SIZE, space)).toBe(free);
      expect(space[0]).toBe(0);
      next -= SIZE - free; // the ones that did not go in come again
      const avail = new Uint32Array(1);
      expect(r.dequeueBurst(out, SIZE, avail)).toBe(free);
      expect(avail[0]).toBe(0);
      check(out, free);
    }
    expect(r.isEmpty()).toBe(true);
    const ht = r.headTail();
    expect(ht.prodHead).toBe(ht.prodTail);
    expect(ht.consHead).toBe(ht.consTail);
    expect(ht.prodTail).toBe((start + 3 * (2 * N + SIZE - 1)) >>> 0);
  });

  it('element rings, and a zero-copy claim of that size, too', () => {
    const size = 2 ** 16;
    const esize = 8;
    const bytes = WasmRing.memsize(size, esize);
    const pages = Math.ceil(bytes / 65536);
    const memory = new WA.Memory({ initial: pages, maximum: pages, shared: true });
    const r = WasmRing.init(memory as never, 0, 'bigel', size, RING_F_SP_ENQ | RING_F_SC_DEQ, esize);
    const n = 2 ** 14 + 5;
    const src = Uint32Array.from({ length: 2 * n }, (_, i) => i ^ 0x5a5a);
    const dst = new Uint32Array(2 * n);
    expect(r.enqueueBulkElem(src, n)).toBe(n);
    expect(r.dequeueBulkElem(dst, n)).toBe(n);
    expect(dst).toEqual(src);
    const zc = { ptr1: 0, n1: 0, ptr2: 0, n2: 0 };
    expect(r.enqueueZcBulkStart(n, zc)).toBe(n);
    expect(zc.n1 + zc.n2).toBe(n);
    expect(zc.ptr1).toBe(n); // where the first bulk left the head
    r.enqueueZcFinish(n);
    expect(r.count()).toBe(n);
    expect(r.dequeueZcBurstStart(n, zc)).toBe(n);
    expect(zc.ptr1).toBe(n);
    r.dequeueZcFinish(n);
    expect(r.isEmpty()).toBe(true);
  });
});

describe.each(['sab', 'anonymous'] as const)('%s backend', (backend) => {
  it.skipIf(backend !== 'sab' && skipWithoutNative)(nativeTitle('keeps every memseg list in a WebAssembly memory, and rings there are both implementations\'s'), () => {
    const eal = Eal.init({ backend, memory: 16 * MiB, filePrefix: uniquePrefix('wr') });
    eals.push(eal);
    for (const list of eal.lists) {
      const wm = wasmMemoryOf(list.sab)!;
      expect(wm).toBeDefined();
      expect(wm.offset).toBe(0);
      expect(wm.memory.buffer).toBe(list.sab); // the list's buffer is the Memory's
    }
    const w = WasmRing.create(eal, 'both', 64, -1, 0);
    const j = Ring.lookup(eal, 'both')!;
    for (let i = 0; i < 200; i++) {
      expect((i & 1 ? w : j).enqueue(i)).toBe(0);
      expect((i & 2 ? j : w).dequeue()).toBe(i);
    }
    expect(j.enqueueBulk(Array.from({ length: 63 }, (_, i) => i))).toBe(63);
    expect(w.enqueue(1)).toBe(-ENOBUFS);
    expect(WasmRing.lookup(eal, 'both')!.dump()).toBe(j.dump());
    w.free();
    expect(Ring.lookup(eal, 'both')).toBeNull();
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('a list file mapped over a WebAssembly memory'), () => {
  it('is the file: another mapping of it sees the wasm memory\'s writes, and the other way round', async () => {
    const { native } = await import('../../eal-hugepage/src/native.js');
    const eal = Eal.init({ backend: 'anonymous', memory: 8 * MiB, filePrefix: uniquePrefix('wrfile') });
    eals.push(eal);
    const list = eal.lists[0]!;
    const other = native()!.mapFile(list.fd, 1 * MiB, 0) as SharedArrayBuffer;
    const a = new Float64Array(wasmMemoryOf(list.sab)!.memory.buffer);
    const b = new Float64Array(other);
    a[1000] = 42.5;
    expect(b[1000]).toBe(42.5);
    b[2000] = 7;
    expect(a[2000]).toBe(7);
    native()!.release(other);
  });

  it('is refused over anything that is not a shared WebAssembly.Memory, or past its end', async () => {
    const { native } = await import('../../eal-hugepage/src/native.js');
    const n = native()!;
    const memory = new WA.Memory({ initial: 2, maximum: 2, shared: true });
    const eal = Eal.init({ backend: 'anonymous', memory: 8 * MiB, filePrefix: uniquePrefix('wrref') });
    eals.push(eal);
    const fd = eal.lists[0]!.fd;
    expect(n.wasmMemoryMap(new SharedArrayBuffer(65536) as never, 0, 65536, fd, 0)).toBe(-22);
    expect(n.wasmMemoryMap(memory as never, 0, 3 * 65536, fd, 0)).toBe(-22);
    expect(n.wasmMemoryMap(memory as never, 100, 4096, fd, 0)).toBe(-22);
    expect(n.wasmMemoryView(memory as never, 0, 4096)).toBe(-22); // memory.buffer is that view
    expect(n.wasmMemoryView(memory as never, 65536, 2 * 65536)).toBe(-22);
  });

  it('is unmapped once, by V8, when the Memory is collected; a view keeps it alive until then', async () => {
    // A real collector, whatever the test runner's flags.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { native } = await import('../../eal-hugepage/src/native.js');
    const n = native()!;
    const eal = Eal.init({ backend: 'anonymous', memory: 8 * MiB, filePrefix: uniquePrefix('wrgc') });
    eals.push(eal);
    const list = eal.lists[0]!;
    const path = `/dev/shm/${list.fileName}`;
    const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(path)).length;
    const baseline = mappings();
    // 40 Memories of 1 GiB (10 GiB of V8 reservation each: 400 GiB in all), each with the file over it.
    // (In functions of their own: no local of the test keeps a Memory alive.)
    const mapMany = () => {
      let failed = 0;
      for (let i = 0; i < 40; i++) {
        const memory = new WA.Memory({ initial: 16384, maximum: 16384, shared: true });
        if (n.wasmMemoryMap(memory as never, 0, list.length, list.fd, 0) !== 0) failed++;
        new Float64Array(memory.buffer)[i] = i;
      }
      return failed;
    };
    const viewOfDropped = () => {
      const memory = new WA.Memory({ initial: 32, maximum: 32, shared: true });
      expect(n.wasmMemoryMap(memory as never, 0, 32 * 65536, list.fd, 0)).toBe(0);
      return n.wasmMemoryView(memory as never, 65536, 65536) as SharedArrayBuffer;
    };
    expect(mapMany()).toBe(0);
    let view: SharedArrayBuffer | null = viewOfDropped();
    const settle = async () => {
      for (let i = 0; i < 6; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await settle();
    expect(mappings()).toBe(baseline + 1); // only the one the view holds
    expect(new Float64Array(view)[0]).toBe(new Float64Array(list.sab)[65536 / 8]); // still the file
    expect(new Float64Array(list.sab)[39]).toBe(39);
    view = null;
    await settle();
    expect(mappings()).toBe(baseline);
  });

  it('works at the wasm32 maximum: a 4 GiB Memory over a 4 GiB file, its last page too', async () => {
    const { native } = await import('../../eal-hugepage/src/native.js');
    const { openSync, ftruncateSync, closeSync, unlinkSync } = await import('node:fs');
    const n = native()!;
    const path = `/dev/shm/${uniquePrefix('wr4g')}`;
    const fd = openSync(path, 'w+', 0o600);
    try {
      ftruncateSync(fd, 4 * 1024 * MiB);
      const memory = new WA.Memory({ initial: 65536, maximum: 65536, shared: true });
      expect(memory.buffer.byteLength).toBe(2 ** 32);
      expect(n.wasmMemoryMap(memory as never, 0, 2 ** 32, fd, 0)).toBe(0);
      expect(n.fallocate(fd, false, 2 ** 32 - 65536, 65536, -1)).toBe(0);
      const u8 = new Uint8Array(memory.buffer);
      u8[2 ** 32 - 1] = 0xab;
      const tail = n.mapFile(fd, 65536, 2 ** 32 - 65536) as SharedArrayBuffer;
      expect(new Uint8Array(tail)[65535]).toBe(0xab);
      n.release(tail);
      expect(() => new WA.Memory({ initial: 65537, maximum: 65537, shared: true })).toThrow(RangeError);
    } finally {
      closeSync(fd);
      unlinkSync(path);
    }
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('threads and processes on one WebAssembly ring'), () => {
  it('a worker and a secondary process produce into a WasmRing the primary drains; one killed mid-run leaves the rest whole', async () => {
    const prefix = uniquePrefix('wrmp');
    const eal = Eal.init({ backend: 'anonymous', memory: 16 * MiB, filePrefix: prefix });
    eals.push(eal);
    const ring = WasmRing.create(eal, 'mp', 1024, -1, 0);
    WasmRing.create(eal, 'side', 1024, -1, 0);
    const worker = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    const victim = await Peer.child(PEER);
    peers.push(worker, child, victim);
    expect(await worker.call('init', { attach: true })).toEqual({ wasm: true, offset: 0 });
    expect(await child.call('init', { processType: 'secondary', filePrefix: prefix })).toEqual({ wasm: true, offset: 0 });
    await victim.call('init', { processType: 'secondary', filePrefix: prefix });
    // The secondary writes through its own WebAssembly memory; the primary reads its own.
    expect(await child.call('poke', { at: 8 * MiB, value: 123.25 })).toBe(123.25);
    expect(eal.lists[0]!.f64[(8 * MiB) / 8]).toBe(123.25);
    // A process killed while it moves objects between two wasm rings.
    void victim.call('pump', { from: 'side', to: 'side' }).catch(() => undefined);
    WasmRing.lookup(eal, 'side')!.enqueueBulk([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 50));
    await victim.kill();
    peers.splice(peers.indexOf(victim), 1); // nothing left to close
    const got = new Set<number>();
    const producing = [worker.call('produce', { ring: 'mp', from: 0, count: 20_000 }), child.call('produce', { ring: 'mp', from: 1e6, count: 20_000 })];
    const out = new Float64Array(64);
    while (got.size < 40_000) {
      const k = ring.dequeueBurst(out, 64);
      for (let i = 0; i < k; i++) got.add(out[i]!);
    }
    await Promise.all(producing);
    expect(got.size).toBe(40_000);
    expect(ring.isEmpty()).toBe(true);
    // The killed pump held at most one object between its dequeue and enqueue.
    const side = WasmRing.lookup(eal, 'side')!;
    side.recover();
    expect(side.count()).toBeGreaterThanOrEqual(2);
  });
});

describeHugepages('hugetlbfs backend', () => {
  it('maps the hugepage file at a 2 MiB boundary inside the Memory (a view from there), and rings run there', async () => {
    const { native } = await import('../../eal-hugepage/src/native.js');
    const eal = Eal.init({ backend: 'hugetlbfs', memory: 8 * MiB, filePrefix: uniquePrefix('wrhuge') });
    eals.push(eal);
    const list = eal.lists[0]!;
    const wm = wasmMemoryOf(list.sab)!;
    expect(wm).toBeDefined();
    expect(native()!.addressOf(list.sab) % BigInt(list.pageSize)).toBe(0n);
    expect(wm.offset % 65536).toBe(0);
    expect(wm.offset).toBeLessThan(list.pageSize);
    if (wm.offset === 0) expect(wm.memory.buffer).toBe(list.sab);
    // The view and the Memory are the same bytes.
    list.f64[10] = 9.5;
    expect(new Float64Array(wm.memory.buffer)[(wm.offset + 80) / 8]).toBe(9.5);
    const r = WasmRing.create(eal, 'h', 4096, -1, 0);
    const objs = Float64Array.from({ length: 32 }, (_, i) => i * 3);
    const out = new Float64Array(32);
    for (let k = 0; k < 500; k++) {
      expect(r.enqueueBulk(objs, 32)).toBe(32);
      expect(r.dequeueBulk(out, 32)).toBe(32);
    }
    expect(Array.from(out)).toEqual(Array.from(objs));
    expect(Ring.lookup(eal, 'h')!.headTail().prodTail).toBe(16_000);
  });
}, 8);
