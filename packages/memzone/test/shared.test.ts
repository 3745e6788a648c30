// The memzone table seen from worker threads and secondary processes: lookup
// both ways, reserve and free from a secondary, concurrent reserve/free from
// 2 workers + 1 secondary + the main thread, and repair after a process dies
// holding the table's lock.
import { afterEach, describe, expect, it } from 'vitest';
import { describeHugepages, nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, Heap, type Memzone, Memzones, RteError } from '../src/index.js';
import { entryOffset, MEMZONE_AREA_BYTES, MZ_LOCK, MZE_ADDR, MZE_STATE, MZS_RESERVING } from '../src/layout.js';
// @ts-expect-error plain JS fixture shared with the peers
import { churn } from './fixtures/memzone-peer.mjs';

const PEER = new URL('./fixtures/memzone-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

interface Fields {
  name: string;
  addr: number;
  iova: bigint;
  len: number;
  hugepageSz: number;
  socketId: number;
  flags: number;
  index: number;
}
interface ChurnResult {
  reserved: number;
  freed: number;
  nomem: number;
  corrupt: number;
  start: number;
  end: number;
}

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

function fieldsOf(mz: Memzone): Fields {
  return { name: mz.name, addr: mz.addr, iova: mz.iova, len: mz.len, hugepageSz: mz.hugepageSz, socketId: mz.socketId, flags: mz.flags, index: mz.index };
}

async function worker(eal: Eal): Promise<Peer> {
  const p = await Peer.worker(PEER, eal.workerData());
  peers.push(p);
  await p.call('init', { attach: true });
  return p;
}

async function secondary(prefix: string): Promise<Peer> {
  const p = await Peer.child(PEER);
  peers.push(p);
  await p.call('init', { processType: 'secondary', filePrefix: prefix });
  return p;
}

describe('worker threads', () => {
  it('a worker finds a zone of the main thread, sees its bytes, and the main thread finds the worker\'s (sab backend)', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const mz = zones.reserve('from_main', 1000, -1, 0, 256);
    mz.bytes().fill(0x11);
    const w = await worker(eal);
    expect(await w.call<Fields>('lookup', 'from_main')).toEqual(fieldsOf(mz));
    expect(await w.call('read', { name: 'from_main', n: 3 })).toEqual([0x11, 0x11, 0x11]);
    await w.call('write', { name: 'from_main', byte: 0x22 });
    expect(mz.bytes()[999]).toBe(0x22);
    const theirs = await w.call<Fields>('reserve', { name: 'from_worker', len: 5000, align: 4096 });
    expect(zones.lookup('from_worker')).toMatchObject(theirs);
    expect(zones.count()).toBe(2);
    await w.call('free', 'from_main');
    expect(zones.lookup('from_main')).toBeNull();
    expect(mz.live).toBe(false);
    expect(() => zones.free(mz)).toThrow(RteError);
    expect(await w.call('lookup', 'nothing')).toBeNull();
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('secondary processes'), () => {
  it('a secondary finds the primary\'s zones, reserves and frees its own, and the primary sees it all', async () => {
    const prefix = uniquePrefix('mzsec');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const mz = zones.reserve('from_primary', 3000, -1, 0, 1024);
    mz.bytes().fill(0x33);
    const child = await secondary(prefix);
    expect(await child.call<Fields>('lookup', 'from_primary')).toEqual(fieldsOf(mz));
    expect(await child.call('read', { name: 'from_primary', n: 2 })).toEqual([0x33, 0x33]);
    await child.call('write', { name: 'from_primary', byte: 0x44 });
    expect(mz.bytes()[2999]).toBe(0x44);

    const theirs = await child.call<Fields>('reserve', { name: 'from_secondary', len: 100_000, tag: 0x55 });
    const seen = zones.lookup('from_secondary')!;
    expect(fieldsOf(seen)).toEqual(theirs);
    expect(seen.bytes().every((b) => b === 0x55)).toBe(true);
    // The same checks hold across processes.
    await expect(child.call('reserve', { name: 'from_primary', len: 64 })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(() => zones.reserve('from_secondary', 64)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(await child.call('count')).toBe(2);
    expect(await child.call<string>('dump')).toContain('<from_primary>');

    await child.call('free', 'from_secondary');
    expect(zones.lookup('from_secondary')).toBeNull();
    expect(seen.live).toBe(false);
    zones.free(mz);
    expect(await child.call('lookup', 'from_primary')).toBeNull();
    expect(await child.call('count')).toBe(0);
    Heap.of(eal).audit();
  });

  it('a process that dies in the middle of a reserve, holding the lock, leaves no entry and no leak', async () => {
    const prefix = uniquePrefix('mzdead');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const heap = Heap.of(eal);
    zones.reserve('survivor', 64);
    heap.cacheFlush();
    const base = JSON.stringify(heap.socketStats(0));
    const child = await Peer.child(PEER);
    await child.call('init', { processType: 'secondary', filePrefix: prefix });
    const addr = await child.call<number>('halfReserve', {
      areaBytes: MEMZONE_AREA_BYTES,
      lockOff: MZ_LOCK,
      entryOff: entryOffset(1),
      addrOff: MZE_ADDR,
      stateOff: MZE_STATE,
      reserving: MZS_RESERVING,
      len: 50_000,
    });
    expect(addr).toBeGreaterThan(0);
    expect(heap.socketStats(0).allocCount).toBe(2);
    await child.kill('SIGKILL');
    // The next user of the table takes the dead owner's lock and repairs the entry.
    const after = zones.reserve('after', 64);
    expect(after.index).toBe(1);
    expect(zones.count()).toBe(2);
    zones.free(after);
    heap.cacheFlush();
    heap.audit();
    expect(JSON.stringify(heap.socketStats(0))).toBe(base);
    expect(zones.lookup('survivor')).not.toBeNull();
  });
});

async function concurrent(backend: 'anonymous' | 'hugetlbfs'): Promise<void> {
  const prefix = uniquePrefix(`mzmt_${backend}`);
  const eal = Eal.init({ backend, filePrefix: prefix, memory: 32 * MiB });
  eals.push(eal);
  const zones = Memzones.of(eal);
  const heap = Heap.of(eal);
  heap.cacheFlush();
  const base = heap.socketStats(0);
  const w1 = await worker(eal);
  const w2 = await worker(eal);
  const child = await secondary(prefix);
  const args = (seed: number, prefixName: string) => ({ ops: 3000, seed, maxLive: 200, maxLen: 64 * 1024, prefix: prefixName });
  const remote = Promise.all([w1.call<ChurnResult>('churn', args(11, 'w1_')), w2.call<ChurnResult>('churn', args(22, 'w2_')), child.call<ChurnResult>('churn', args(33, 'p2_'))]);
  const mine = new Map<string, { mz: Memzone; tag: number }>();
  const local: ChurnResult = churn(zones, { ...args(44, 'm_'), ops: 2000 }, mine);
  const results = [...(await remote), local];
  // They really ran at the same time: every churn overlaps every other.
  for (const a of results) for (const b of results) expect(a.start).toBeLessThan(b.end);
  for (const r of results) {
    expect(r.corrupt).toBe(0);
    expect(r.reserved).toBeGreaterThan(500);
  }
  // Every zone still held is in the table, found by every thread, intact.
  const held = [...(await Promise.all([w1, w2, child].map((p) => p.call<{ name: string; tag: number }[]>('held')))).flat(), ...[...mine].map(([name, { tag }]) => ({ name, tag }))];
  expect(zones.count()).toBe(held.length);
  const total = results.reduce((n, r) => n + r.reserved - r.freed, 0);
  expect(held.length).toBe(total);
  const found: Memzone[] = [];
  for (const { name, tag } of held) {
    const mz = zones.lookup(name)!;
    expect(mz).not.toBeNull();
    expect(mz.bytes().every((b) => b === tag)).toBe(true);
    found.push(mz);
  }
  found.sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < found.length; i++) expect(found[i - 1]!.addr + found[i - 1]!.len).toBeLessThanOrEqual(found[i]!.addr);
  let walked = 0;
  zones.walk(() => walked++);
  expect(walked).toBe(held.length);
  expect(await child.call('count')).toBe(held.length);
  heap.audit();

  for (const p of [w1, w2, child]) expect(await p.call<{ corrupt: number }>('freeAll')).toMatchObject({ corrupt: 0 });
  for (const { mz } of mine.values()) zones.free(mz);
  expect(zones.count()).toBe(0);
  heap.cacheFlush();
  heap.trim();
  heap.audit();
  expect(heap.socketStats(0)).toEqual(base);
}

describe.skipIf(skipWithoutNative)(nativeTitle('concurrent reserve and free'), () => {
  it('2 workers, 1 secondary and the main thread reserve and free distinct names at once: table and heap stay consistent (anonymous)', async () => {
    await concurrent('anonymous');
  });

  it('racing for the same names: each name is reserved exactly once', async () => {
    const prefix = uniquePrefix('mzrace');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const w1 = await worker(eal);
    const w2 = await worker(eal);
    const child = await secondary(prefix);
    const names = Array.from({ length: 2400 }, (_, i) => `race${i}`);
    // All three wait on a flag in a zone, so that they start together.
    const go = zones.reserve('race_go', 64);
    const racing = Promise.all([w1, w2, child].map((p, i) => p.call<{ got: string[]; start: number; end: number }>('race', { go: 'race_go', names, first: i * 800, len: 256 })));
    // Go once all three are spinning on the flag (they count themselves in word 1).
    const flag = new Int32Array(go.bytes().buffer, go.bytes().byteOffset, 2);
    const deadline = Date.now() + 60_000;
    while (Atomics.load(flag, 1) < 3) {
      if (Date.now() > deadline) throw new Error(`only ${Atomics.load(flag, 1)} of 3 racers reached the start in 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    Atomics.store(flag, 0, 1);
    const results = await racing;
    const got = results.map((r) => r.got);
    const all = got.flat();
    expect(all.length).toBe(names.length);
    expect(new Set(all).size).toBe(names.length);
    // It was a race: they all ran at the same time. (Who wins how many is up
    // to the scheduler and the lock: on 2 cores one peer may win them all.)
    for (const a of results) for (const b of results) expect(a.start).toBeLessThan(b.end);
    expect(zones.count()).toBe(names.length + 1);
    Heap.of(eal).audit();
  });
});

describeHugepages('concurrent reserve and free on hugepages', () => {
  it('2 workers, 1 secondary and the main thread at once: table and heap stay consistent (hugetlbfs)', async () => {
    await concurrent('hugetlbfs');
  });
});
