import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, Heap, Mbuf, PktmbufPool, Ring } from '../src/index.js';
// @ts-expect-error -- plain ESM fixture without types
import { lengthOf } from './fixtures/mbuf-peer.mjs';

const PEER = new URL('./fixtures/mbuf-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

const tick = () => new Promise((r) => setTimeout(r, 1));

// Receives `count` packets from `ring` in this thread, checks what the
// producer and the transformer did to each, frees them.
async function consume(eal: Eal, ring: string, count: number): Promise<{ bad: string[]; chains: number; seen: Set<number> }> {
  const mb = Mbuf.of(eal);
  const r = Ring.lookup(eal, ring)!;
  const out = new Float64Array(64);
  const scratch = new Uint8Array(2048);
  const bad: string[] = [];
  const seen = new Set<number>();
  let chains = 0;
  while (seen.size < count) {
    const n = r.dequeueBurst(out, 64);
    if (n === 0) {
      await tick();
      continue;
    }
    for (let i = 0; i < n; i++) {
      const m = out[i]!;
      const seq = mb.hash(m);
      const len = lengthOf(seq) as number;
      seen.add(seq);
      const why = mb.check(m, true);
      if (why !== null) bad.push(`${seq}: ${why}`);
      if (mb.port(m) !== 2 || mb.pktLen(m) !== len + 4) bad.push(`${seq}: port ${mb.port(m)} len ${mb.pktLen(m)}`);
      if (mb.nbSegs(m) === 2) chains++;
      else if (seq % 11 === 0 && len > 100) bad.push(`${seq}: not split`);
      const bytes = mb.read(m, 0, len + 4, scratch)!;
      if (bytes[0] !== 0xca || bytes[1] !== 0xfe || bytes[2] !== (seq & 0xff) || bytes[3] !== ((seq >> 8) & 0xff)) bad.push(`${seq}: tag`);
      for (let j = 0; j < len; j++) {
        if (bytes[4 + j] !== ((seq * 13 + j) & 0xff)) {
          bad.push(`${seq}: byte ${j}`);
          break;
        }
      }
      if (mb.refcnt(m) !== 1 || !mb.isDirect(m)) bad.push(`${seq}: refcnt ${mb.refcnt(m)}`);
    }
    mb.freeBulk(out, n);
  }
  return { bad, chains, seen };
}

describe('mbufs shared by threads and processes', () => {
  it('are allocated in one worker, passed through a ring, modified in another, freed in the main thread; the pool ends full', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
    eals.push(eal);
    const pool = PktmbufPool.create(eal, 'pkts', 1024, 32);
    Ring.create(eal, 'rx', 256);
    Ring.create(eal, 'tx', 256);
    const [producer, transformer] = await Promise.all([Peer.worker(PEER, eal.workerData()), Peer.worker(PEER, eal.workerData())]);
    peers.push(producer!, transformer!);
    await producer!.call('init', { attach: true });
    await transformer!.call('init', { attach: true });
    const count = 20_000;
    const [, transformBad, got] = await Promise.all([
      producer!.call('produce', { pool: 'pkts', ring: 'rx', count }),
      transformer!.call<number>('transform', { pool: 'pkts', inRing: 'rx', outRing: 'tx', count }),
      consume(eal, 'tx', count),
    ]);
    expect(transformBad).toBe(0);
    expect(got.bad).toEqual([]);
    expect(got.seen.size).toBe(count);
    expect(got.chains).toBeGreaterThan(count / 12);
    expect(pool.mempool.isFull()).toBe(true);
    pool.mempool.audit();
  });

  it.skipIf(skipWithoutNative)(nativeTitle('cross a secondary process the same way (producer in a secondary, transformer in a worker)'), async () => {
    const prefix = uniquePrefix('mbufmp');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 32 * MiB });
    eals.push(eal);
    const pool = PktmbufPool.create(eal, 'pkts', 1024, 32);
    Ring.create(eal, 'rx', 256);
    Ring.create(eal, 'tx', 256);
    const child = await Peer.child(PEER);
    const worker = await Peer.worker(PEER, eal.workerData());
    peers.push(child, worker);
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    await worker.call('init', { attach: true });
    const count = 10_000;
    const [, transformBad, got] = await Promise.all([
      child.call('produce', { pool: 'pkts', ring: 'rx', count }),
      worker.call<number>('transform', { pool: 'pkts', inRing: 'rx', outRing: 'tx', count }),
      consume(eal, 'tx', count),
    ]);
    expect(transformBad).toBe(0);
    expect(got.bad).toEqual([]);
    expect(got.seen.size).toBe(count);
    expect(pool.mempool.isFull()).toBe(true);
    pool.mempool.audit();
  });

  it('keep the reference count exact when threads clone and free one mbuf at once', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
    eals.push(eal);
    const pool = PktmbufPool.create(eal, 'storm', 256, 0);
    const mb = Mbuf.of(eal);
    const m = pool.alloc();
    mb.append(m, 64);
    const workers = await Promise.all([Peer.worker(PEER, eal.workerData()), Peer.worker(PEER, eal.workerData())]);
    peers.push(...workers);
    for (const w of workers) await w.call('init', { attach: true });
    await Promise.all(workers.map((w) => w.call('cloneStorm', { pool: 'storm', m, n: 50_000 })));
    expect(mb.refcnt(m)).toBe(1);
    expect(pool.mempool.inUseCount()).toBe(1);
    mb.free(m);
    expect(pool.mempool.isFull()).toBe(true);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('give every thread and process the same dynamic field offsets and flag bits'), async () => {
    const prefix = uniquePrefix('mbufdyn');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const mb = Mbuf.of(eal);
    const worker = await Peer.worker(PEER, eal.workerData());
    const child = await Peer.child(PEER);
    peers.push(worker, child);
    await worker.call('init', { attach: true });
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    const mine = mb.dynfieldRegister('app-seq', 8, 8);
    // The worker registers the same name (same offset) and a new one.
    expect(await worker.call('dynfield', { name: 'app-seq', size: 8, align: 8 })).toEqual({ offset: mine, lookup: mine });
    const theirs = await worker.call<{ offset: number }>('dynfield', { name: 'app-ts', size: 4, align: 4 });
    expect(mb.dynfieldLookup('app-ts')).toBe(theirs.offset);
    expect(theirs.offset + 4 <= mine || theirs.offset >= mine + 8).toBe(true);
    // The secondary sees both, and gets EEXIST for a clash.
    expect(await child.call('dynfield', { name: 'app-ts', size: 4, align: 4 })).toEqual({ offset: theirs.offset, lookup: theirs.offset });
    expect(await child.call('dynfield', { name: 'app-seq', size: 4, align: 4 })).toEqual({ code: 'EEXIST' });
    const bit = await child.call<{ bit: number }>('dynflag', { name: 'app-flag' });
    expect(mb.dynflagLookup('app-flag')).toBe(bit.bit);
    expect(await worker.call('dynflag', { name: 'app-flag' })).toEqual({ bit: bit.bit, lookup: bit.bit });
  });

  it('run an external buffer\'s free callback once, in the thread that drops the last reference', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const pool = PktmbufPool.create(eal, 'ext', 16, 0);
    const mb = Mbuf.of(eal);
    const ext = Heap.of(eal).malloc(4096);
    const mainCalls: number[] = [];
    const r = mb.extbufInitShinfo(ext, 4096, (addr) => mainCalls.push(addr), 7)!;
    const m = pool.alloc();
    mb.attachExtbuf(m, ext, -1n, r.bufLen, r.shinfo);
    mb.append(m, 100);
    const c = mb.clone(m, pool);
    const worker = await Peer.worker(PEER, eal.workerData());
    peers.push(worker);
    await worker.call('init', { attach: true });
    mb.free(m); // not the last reference
    expect(mb.extRefcnt(r.shinfo)).toBe(1);
    expect(await worker.call('freeExt', { m: c, shinfo: r.shinfo })).toEqual([[ext, 7]]);
    expect(mainCalls).toEqual([]);
    expect(mb.extRefcnt(r.shinfo)).toBe(0);
    expect(pool.mempool.isFull()).toBe(true);
  });

  it('share a pinned external buffer between threads: clones in workers, the mbuf back in its pool after the last one', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
    eals.push(eal);
    const area = Heap.of(eal).malloc(8 * 2048, 64);
    const pinned = PktmbufPool.createExtbuf(eal, 'pinned', 8, 0, 0, 1500, -1, [{ addr: area, iova: -1n, len: 8 * 2048, eltSize: 2048 }]);
    const pool = PktmbufPool.create(eal, 'storm', 256, 0);
    const mb = Mbuf.of(eal);
    const m = pinned.alloc();
    mb.append(m, 64);
    const shinfo = new DataView(eal.list(1)!.sab).getFloat64(m - eal.list(1)!.baseAddr + 80, true);
    const workers = await Promise.all([Peer.worker(PEER, eal.workerData()), Peer.worker(PEER, eal.workerData())]);
    peers.push(...workers);
    for (const w of workers) await w.call('init', { attach: true });
    // Both threads clone and free the pinned mbuf at once: every count comes back exact.
    await Promise.all(workers.map((w) => w.call('cloneStorm', { pool: 'storm', m, n: 20_000 })));
    expect([mb.refcnt(m), mb.extRefcnt(shinfo)]).toEqual([1, 1]);
    expect(pool.mempool.isFull()).toBe(true);
    // The owner freed first; the worker's free of the last clone puts it back (no callback runs).
    const c = mb.clone(m, pool);
    mb.free(m);
    expect(pinned.mempool.availCount()).toBe(7);
    expect(await workers[0]!.call('freeExt', { m: c, shinfo })).toEqual([]);
    expect(pinned.mempool.isFull()).toBe(true);
    expect(pool.mempool.isFull()).toBe(true);
    expect(mb.extRefcnt(shinfo)).toBe(1);
  });
});
