// Faults: SIGKILL of secondaries at seeded random moments of the workload,
// and deliberately while holding (or half way through an operation under)
// the heap lock, the memzone lock and a stack's lock; a killed primary; a
// ring producer (MP/MC, RTS, HTS) killed between moving the head and
// publishing; every process killed and
// the next primary cleaning up (hugepages back). After each fault the
// structures are consistent (audits, validate, the memzone table) and
// usable. RTEMEM_FAULT_SEED and RTEMEM_FAULT_ROUNDS vary the random rounds.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  defaultHugepageSize,
  Eal,
  Heap,
  hugepageInfo,
  lockOwner,
  Mempool,
  Memzones,
  Ring,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RteError,
  runtimeDirFor,
  Stack,
  STACK_MZ_PREFIX,
  type Memzone,
} from '@rtemem/mbuf';
import { describeHugepages, hugepagesFree, nativeTitle, type Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { HEAPS_OFF, HP_LOCK, HEAP_AREA_NAME, heapAreaBytes } from '../../malloc-heap/src/layout.js';
import { MEMZONE_AREA_BYTES, MEMZONE_AREA_NAME, MZ_LOCK } from '../../memzone/src/layout.js';
import { STK_LOCK } from '../../ring/src/layout.js';
import { eventually, MiB, NODE, Peers, rng, sleep, writeReport } from './support.js';
// @ts-expect-error plain JS fixture shared with the peers
import { createShared, CTL_ZONE, decode, ELEM_RINGS, MP_RINGS, mix, POOLS, spscName } from './fixtures/workload.mjs';

const SEED = Number(process.env.RTEMEM_FAULT_SEED ?? 20261121);
const ROUNDS = Number(process.env.RTEMEM_FAULT_ROUNDS ?? 6);
const MAX_LCORE = 128;

const peers = new Peers();
const eals: Eal[] = [];
afterEach(async () => {
  await peers.closeAll();
  while (eals.length) eals.pop()!.cleanup();
}, 60_000);

const report: Record<string, unknown> = { seed: SEED, rounds: ROUNDS };
afterAll(() => {
  const path = writeReport('faults', report);
  console.log(`faults report: ${path}\n${JSON.stringify(report, null, 1)}`);
});

/** The primary's EAL with the workload's shared structures. */
function primary(tag: string, participants: number, backend: 'anonymous' | 'hugetlbfs' = 'anonymous'): Eal {
  const eal = Eal.init({ backend, filePrefix: uniquePrefix(tag), memory: 64 * MiB });
  eals.push(eal);
  createShared(eal, participants);
  return eal;
}

function heapLockOff(eal: Eal): number {
  return eal.area(HEAP_AREA_NAME, heapAreaBytes(MAX_LCORE)) + HEAPS_OFF + HP_LOCK;
}

function zoneLockOff(eal: Eal): number {
  return eal.area(MEMZONE_AREA_NAME, MEMZONE_AREA_BYTES) + MZ_LOCK;
}

/** A secondary process of `eal`, with `workers` worker threads of its own. */
async function secondary(eal: Eal, workers = 0): Promise<Peer> {
  const p = await peers.child();
  await p.call('init', { processType: 'secondary', filePrefix: eal.filePrefix });
  if (workers > 0) await p.call('startWorkers', workers);
  return p;
}

/** Resolves with `p`'s value, or rejects when it takes longer than `ms` (a hang). */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what} did not return within ${ms} ms (hung)`)))]);
}

interface Consistency {
  ringRecoveries: { ring: string; published: number; released: number }[];
  poolRecoveries: { pool: string; dropped: number; released: number }[];
  poison: number;
  drained: number;
  deadZonesFreed: number;
  heapRecoveries: number;
}

/**
 * After a secondary running the workload was killed: recovers what its
 * death left half done (the documented paths: ring.recover and mp.recover,
 * the other users being stopped), then checks that every structure is
 * consistent and usable. Throws on any inconsistency.
 */
function checkAfterKill(eal: Eal, deadZonePrefix: RegExp): Consistency {
  const heap = Heap.of(eal);
  const zones = Memzones.of(eal);
  const out: Consistency = { ringRecoveries: [], poolRecoveries: [], poison: 0, drained: 0, deadZonesFreed: 0, heapRecoveries: 0 };
  const recovered = heap.recoveries;
  // The heap and the memzone table: whoever held their lock is taken over from.
  const probe = heap.malloc(1000);
  expect(probe).not.toBe(0);
  heap.validate(probe);
  heap.free(probe);
  const z = zones.reserve('probe', 4096);
  zones.free(z);
  out.heapRecoveries = heap.recoveries - recovered;
  heap.audit();
  // The table: count matches the walk, every zone is found by name at its
  // address, and its memory is a live heap block. The dead process's zones go.
  const live: Memzone[] = [];
  zones.walk((mz) => live.push(mz));
  expect(zones.count()).toBe(live.length);
  for (const mz of live) {
    expect(zones.lookup(mz.name)?.addr).toBe(mz.addr);
    heap.validate(mz.addr);
    if (deadZonePrefix.test(mz.name)) {
      zones.free(mz);
      out.deadZonesFreed++;
    }
  }
  heap.audit();
  // Rings: a side stuck behind the dead process is reported and recovered;
  // then every value left is whole (or the poison of a dead producer's slot).
  const rings = [...MP_RINGS, ...ELEM_RINGS].map((d: { name: string }) => d.name);
  for (let k = 0; k < 8; k++) if (Ring.lookup(eal, spscName(k))) rings.push(spscName(k));
  for (const name of rings) {
    const r = Ring.lookup(eal, name)!;
    if (/claimed/.test(r.dump())) {
      const fixed = r.recover();
      out.ringRecoveries.push({ ring: name, ...fixed });
      expect(r.dump()).not.toMatch(/claimed/);
    }
    if (r.esize === 8) {
      const all: number[] = [];
      r.dequeueBurst(all, r.capacity);
      for (const v of all) {
        if (Number.isNaN(v)) out.poison++;
        else if (decode(v) === null) throw new Error(`${name}: a torn value ${v}`);
      }
      out.drained += all.length;
    } else {
      const w = r.esize / 4;
      const words = new Uint32Array(r.capacity * w);
      const n = r.dequeueBurstElem(words, r.capacity);
      for (let i = 0; i < n; i++) {
        const e = words.subarray(i * w, i * w + w);
        if (e.every((x) => x === 0xffffffff)) {
          out.poison++;
          continue;
        }
        if (e[2] !== mix(e[0], e[1]) || (w > 3 && e[3] !== (~e[1]! >>> 0))) throw new Error(`${name}: a torn element [${Array.from(e)}]`);
      }
      out.drained += n;
    }
    expect(r.isEmpty()).toBe(true);
    // Usable: a value goes through.
    if (r.esize === 8) {
      expect(r.enqueue(42)).toBe(0);
      expect(r.dequeue()).toBe(42);
    }
  }
  // Pools: recovered when their driver ring is stuck; audited; every object
  // that can be reached is distinct, a real object, and stamped free.
  for (const d of POOLS as { name: string }[]) {
    const mp = Mempool.lookup(eal, d.name)!;
    const driver = Ring.lookup(eal, `MP_${d.name}`);
    if (driver !== null && /claimed/.test(driver.dump())) out.poolRecoveries.push({ pool: d.name, ...mp.recover() });
    mp.audit();
    const got: number[] = [];
    for (let o = mp.get(); o !== 0; o = mp.get()) got.push(o);
    expect(new Set(got).size).toBe(got.length);
    for (const o of got) {
      expect(mp.isObject(o)).toBe(true);
      const l = eal.listOf(o)!;
      expect(l.u32[(o - l.baseAddr) >> 2]).toBe(0);
    }
    mp.putBulk(got);
    mp.audit();
  }
  heap.audit();
  return out;
}

describe.skipIf(skipWithoutNative)(nativeTitle('faults'), () => {
  it(
    `SIGKILL of a secondary (2 worker threads) at ${ROUNDS} seeded random moments of the workload: consistent and usable after each`,
    async () => {
      const rand = rng(SEED);
      const eal = primary('fkill', 3);
      const rounds: unknown[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const victim = await secondary(eal, 2);
        const delay = 200 + (rand() % 2500);
        // Odd rounds mostly work under the heap and memzone locks, to die inside them more often.
        const focus = round % 2 === 0 ? 'mixed' : 'locks';
        const cfg = { participants: 3, deadline: Date.now() + 120_000, seed: rand(), focus };
        const running = victim.call('soak', { ...cfg, me: 0, workerIds: [1, 2] }).catch((e: Error) => e.message);
        await sleep(delay);
        await victim.kill('SIGKILL');
        expect(await running).toMatch(/SIGKILL/);
        const held = [lockOwner(eal.config.i32, heapLockOff(eal)) ? 'heap' : '', lockOwner(eal.config.i32, zoneLockOff(eal)) ? 'memzone' : ''].filter(Boolean);
        const t = Date.now();
        const c = checkAfterKill(eal, /^sz[012]_/);
        rounds.push({ round, focus, killedAfterMs: delay, diedHolding: held, checkMs: Date.now() - t, ...c });
      }
      report.randomKills = rounds;
      // Every round's victim reached the workload (it made heap and ring traffic to recover from).
      expect(rounds.length).toBe(ROUNDS);
    },
    ROUNDS * 30_000 + 60_000,
  );

  it('a secondary killed while holding the heap lock, then the memzone lock: a waiter in another process takes each over', async () => {
    const eal = primary('fhold', 1);
    const heap = Heap.of(eal);
    const zones = Memzones.of(eal);
    heap.cacheFlush();
    const stats = JSON.stringify(heap.socketStats(0));
    const count = zones.count();
    const waiter = await secondary(eal);
    const results: unknown[] = [];
    for (const [what, off] of [
      ['heap', heapLockOff(eal)],
      ['memzone', zoneLockOff(eal)],
    ] as const) {
      const victim = await secondary(eal);
      const pid = await victim.call<number>('holdLock', { off });
      // The waiter blocks on the lock the victim holds...
      const waiting = what === 'heap' ? waiter.call<number>('heapMalloc', 5000) : waiter.call<number>('zoneReserve', { name: 'waiter', len: 5000 });
      await sleep(300);
      expect(await Promise.race([waiting.then(() => 'done'), sleep(100).then(() => 'waiting')])).toBe('waiting');
      // ...until the victim dies: then it takes the lock over and finishes.
      await victim.kill('SIGKILL');
      const t = Date.now();
      const addr = await bounded(waiting, 30_000, `the ${what} waiter`);
      results.push({ lock: what, owner: pid, waiterDoneMs: Date.now() - t });
      expect(addr).toBeGreaterThan(0);
      if (what === 'heap') await waiter.call('heapFree', addr);
      else await waiter.call('zoneFree', 'waiter');
      heap.audit();
    }
    heap.cacheFlush();
    expect(JSON.stringify(heap.socketStats(0))).toBe(stats);
    expect(zones.count()).toBe(count);
    report.lockHolders = results;
  });

  it('a secondary killed half way through a heap operation, alone and inside a memzone reserve: rolled back, nothing leaked', async () => {
    const eal = primary('finside', 1);
    eal.threadUnregister(); // no lcore caches: stats compare exactly
    const heap = Heap.of(eal);
    const zones = Memzones.of(eal);
    const rand = rng(SEED ^ 0x5a5a);
    const cuts: unknown[] = [];
    for (const kind of ['heap', 'memzone', 'heap', 'memzone', 'heap', 'memzone']) {
      const stats = JSON.stringify(heap.socketStats(0));
      const count = zones.count();
      const used = eal.usedSegments(1);
      const at = 1 + (rand() % 20);
      // Big enough to make the heap grow: the cut may land while pages are added.
      const len = rand() & 1 ? 200_000 : 80 * MiB;
      const victim = await secondary(eal);
      const answer = await victim.call('dieInside', { kind, at, len }).catch((e: Error) => e.message);
      expect(answer).toMatch(/SIGKILL/);
      const recovered = heap.recoveries;
      // The next users take the locks over: the memzone table repairs its entry, the heap rolls back.
      const z = zones.reserve('after', 64);
      zones.free(z);
      expect(zones.lookup('doomed')).toBeNull();
      expect(zones.count()).toBe(count);
      heap.audit();
      expect(heap.recoveries).toBe(recovered + 1);
      expect(JSON.stringify(heap.socketStats(0))).toBe(stats);
      expect(eal.usedSegments(1)).toBe(used);
      cuts.push({ kind, cutAtWrite: at, len });
    }
    report.killedInside = cuts;
  });

  it('a killed primary: secondaries notice, keep working without hanging (locks it held taken over), and a new secondary gets a clear RteError', async () => {
    const prefix = uniquePrefix('fprim');
    const first = await peers.child();
    await first.call('init', { backend: 'anonymous', filePrefix: prefix, memory: 32 * MiB });
    await first.call('setupShared', 1);
    const other = await peers.child();
    await other.call('init', { processType: 'secondary', filePrefix: prefix });
    const eal = Eal.init({ processType: 'secondary', filePrefix: prefix });
    eals.push(eal);
    // The primary dies holding both locks.
    await first.call('holdLock', { off: heapLockOff(eal) });
    await first.call('holdLock', { off: zoneLockOff(eal) });
    expect(eal.primaryAlive()).toBe(true);
    await first.kill('SIGKILL');
    expect(eal.primaryAlive()).toBe(false);
    expect(await other.call('primaryAlive')).toBe(false);
    // Calls that do not need the primary work, in both secondaries, and return.
    const heap = Heap.of(eal);
    const p = heap.malloc(10_000);
    expect(p).toBeGreaterThan(0);
    heap.free(p);
    expect(await bounded(other.call<number>('zoneReserve', { name: 'orphan', len: 1000 }), 30_000, 'reserve in a secondary')).toBeGreaterThan(0);
    expect(await bounded(other.call<number>('heapMalloc', 1000), 30_000, 'malloc in a secondary')).toBeGreaterThan(0);
    const ring = Ring.lookup(eal, 'soak_mpmc')!;
    expect(ring.enqueue(7)).toBe(0);
    expect(ring.dequeue()).toBe(7);
    const mp = Mempool.lookup(eal, 'soak_pool')!;
    const o = mp.get();
    mp.put(o);
    mp.audit();
    heap.audit();
    // What needs the primary says so at once: a new secondary cannot attach.
    const t = Date.now();
    let err: unknown = null;
    try {
      Eal.init({ processType: 'secondary', filePrefix: prefix });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RteError);
    expect((err as RteError).code).toBe('ENOENT');
    expect((err as RteError).message).toMatch(/not running.*start a new primary/);
    const waitedMs = Date.now() - t;
    // A new primary takes the prefix over; the orphans keep their own memory and still see theirs dead.
    const next = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 8 * MiB });
    eals.push(next);
    expect(next.staleFilesRemoved.length).toBeGreaterThan(0);
    expect(eal.primaryAlive()).toBe(false);
    expect(await other.call('primaryAlive')).toBe(false);
    const q = heap.malloc(100);
    heap.free(q);
    heap.audit();
    report.primaryKilled = { newSecondaryRefusedAfterMs: waitedMs, error: (err as RteError).message };
  });

  it.each([
    ['MP/MC', 0],
    ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ],
    ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ],
  ])('a %s producer killed between moving the head and publishing: dump() reports it, recover() publishes poison, the ring works again', async (mode, flags) => {
    const eal = primary(`fring${flags}`, 1);
    const name = `fault_${flags}`;
    const ring = Ring.create(eal, name, 4096, -1, flags);
    const ctl = Memzones.of(eal).lookup(CTL_ZONE)!;
    const beat = new Int32Array(ctl.bytes().buffer, ctl.bytes().byteOffset, 16);
    const rand = rng(SEED + flags);
    let attempts = 0;
    let stuck: RegExpExecArray | null = null;
    while (stuck === null && attempts < 40) {
      attempts++;
      ring.recover(); // a consumer caught half way by an earlier kill
      ring.reset();
      Atomics.store(beat, 1, 0);
      const pump = await secondary(eal);
      const pumping = pump.call('ringPump', { name, bulk: 1024 }).catch(() => undefined);
      expect(await eventually(() => Atomics.load(beat, 1) > 2, 20_000, 5)).toBe(true);
      await sleep(rand() % 40);
      await pump.kill('SIGKILL');
      await pumping;
      stuck = /producer: (\d+) slots claimed but not yet published/.exec(ring.dump());
    }
    expect(stuck, `no kill landed inside an enqueue in ${attempts} attempts`).not.toBeNull();
    const claimed = Number(stuck![1]);
    expect(claimed).toBe(1024);
    // The documented path: with the ring's users stopped, recover.
    const fixed = ring.recover();
    expect(fixed.published).toBe(claimed);
    expect(ring.dump()).not.toMatch(/claimed/);
    const all: number[] = [];
    ring.dequeueBurst(all, ring.capacity);
    const good = all.filter((v) => !Number.isNaN(v));
    expect(all.length - good.length).toBe(claimed);
    // What the dead producer had published is whole and in order, then come its poisoned slots.
    expect(good.length).toBeGreaterThan(0);
    for (let i = 1; i < good.length; i++) expect(good[i]).toBe(good[i - 1]! + 1);
    expect(all.slice(good.length).every((v) => Number.isNaN(v))).toBe(true);
    const poison = claimed;
    // Usable: producers and consumers go on.
    const batch = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(ring.enqueueBulk(batch, 100)).toBe(100);
    const back: number[] = [];
    expect(ring.dequeueBulk(back, 100)).toBe(100);
    expect(back).toEqual(batch);
    const killed = (report.ringProducerKilled ??= {}) as Record<string, unknown>;
    killed[mode] = { attempts, claimed, poison, publishedBefore: good.length };
  });

  it('a secondary killed while holding a lock-based stack\'s lock: the next push takes the lock over, nothing half pushed shows', async () => {
    const eal = primary('fstack', 1);
    const name = 'fault_stk';
    const stk = Stack.create(eal, name, 4096);
    const mz = Memzones.of(eal).lookup(`${STACK_MZ_PREFIX}${name}`)!;
    const list = eal.listOf(mz.addr)!;
    const lockOff = mz.addr - list.baseAddr + STK_LOCK;
    const i32 = list.i32;
    const ctl = Memzones.of(eal).lookup(CTL_ZONE)!;
    const beat = new Int32Array(ctl.bytes().buffer, ctl.bytes().byteOffset, 16);
    const rand = rng(SEED + 77);
    const bulk = 64;
    let attempts = 0;
    let heldBy: { pid: number; lcore: number } | null = null;
    let pid = 0;
    while (heldBy === null && attempts < 40) {
      attempts++;
      const all = new Float64Array(stk.count());
      expect(stk.pop(all, all.length)).toBe(all.length);
      Atomics.store(beat, 1, 0);
      const pump = await secondary(eal);
      pid = pump.pid;
      const pumping = pump.call('stackPump', { name, bulk }).catch(() => undefined);
      expect(await eventually(() => Atomics.load(beat, 1) > 2, 20_000, 5)).toBe(true);
      await sleep(rand() % 40);
      await pump.kill('SIGKILL');
      await pumping;
      heldBy = lockOwner(i32, lockOff);
    }
    expect(heldBy, `no kill landed while the stack lock was held in ${attempts} attempts`).not.toBeNull();
    expect(heldBy!.pid).toBe(pid);
    // What the dead process pushed before it died is there in whole bulks,
    // each a run of consecutive numbers; a push it did not finish is not.
    const count = stk.count();
    expect(count % bulk).toBe(0);
    // The next user takes the lock over from the dead owner, and the stack works.
    const t0 = performance.now();
    const batch = Float64Array.from({ length: bulk }, (_, i) => 1e9 + i);
    expect(stk.push(batch, bulk)).toBe(bulk);
    const tookOverMs = performance.now() - t0;
    expect(lockOwner(i32, lockOff)).toBeNull();
    const out = new Float64Array(count + bulk);
    expect(stk.pop(out, count + bulk)).toBe(count + bulk);
    expect(Array.from(out.subarray(0, bulk))).toEqual(Array.from(batch).reverse());
    for (let k = bulk; k < count + bulk; k += bulk) {
      for (let i = 1; i < bulk; i++) expect(out[k + i]).toBe(out[k + i - 1]! - 1);
    }
    expect(stk.count()).toBe(0);
    expect(stk.pop(out, 1)).toBe(0);
    report.stackLockHolderKilled = { attempts, count, tookOverMs: Math.round(tookOverMs) };
  });
});

describeHugepages(
  'faults with hugepages',
  () => {
    it('SIGKILL of every process (primary, 2 secondaries, their workers) mid-workload: the next primary removes the stale files and HugePages_Free comes back', async () => {
      const pageSize = defaultHugepageSize();
      const mount = hugepageInfo().find((h) => h.pageSize === pageSize)!.mountPoint!;
      const before = hugepagesFree();
      const prefix = uniquePrefix('fhuge');
      const prim = await peers.child();
      await prim.call('init', { backend: 'hugetlbfs', filePrefix: prefix, memory: 32 * MiB });
      await prim.call('setupShared', 9);
      await prim.call('startWorkers', 2);
      const secs = [await peers.child(), await peers.child()];
      for (const s of secs) {
        await s.call('init', { processType: 'secondary', filePrefix: prefix });
        await s.call('startWorkers', 2);
      }
      const cfg = (me: number, ids: number[]) => ({ me, workerIds: ids, participants: 9, deadline: Date.now() + 120_000, seed: me + 1 });
      const running = [prim.call('soak', cfg(0, [1, 2])), secs[0]!.call('soak', cfg(3, [4, 5])), secs[1]!.call('soak', cfg(6, [7, 8]))].map((p) => p.catch(() => undefined));
      // Running once the primary's pages are mapped and the secondaries are at work.
      expect(await eventually(() => before - hugepagesFree() >= (32 * MiB) / pageSize, 30_000), 'the primary\'s hugepages mapped').toBe(true);
      await sleep(300);
      const held = before - hugepagesFree();
      expect(held).toBeGreaterThanOrEqual((32 * MiB) / pageSize);
      for (const p of [secs[1]!, prim, secs[0]!]) await p.kill('SIGKILL');
      await Promise.all(running);
      // The dead primary's files still hold its pages.
      expect(readdirSync(mount).filter((f) => f.startsWith(prefix)).length).toBeGreaterThan(0);
      expect(existsSync(join(runtimeDirFor(prefix), 'config'))).toBe(true);
      const next = Eal.init({ backend: 'hugetlbfs', filePrefix: prefix, memory: 4 * MiB });
      expect(next.staleFilesRemoved.some((f) => f.startsWith(join(mount, prefix)))).toBe(true);
      expect(next.staleFilesRemoved).toContain(join(runtimeDirFor(prefix), 'config'));
      next.cleanup();
      expect(readdirSync(mount).filter((f) => f.startsWith(prefix))).toEqual([]);
      // Other processes on this machine may hold pages for a moment, and may
      // have held some when `before` was read and let them go since: wait for
      // the count to come back to at least where it was. (The pages of the
      // killed processes could only stay held by files of this prefix, and
      // none is left, checked above.)
      const back = await eventually(() => hugepagesFree() >= before, 15_000);
      report.hugepages = { before, heldWhileRunning: held, after: hugepagesFree() };
      expect(back, `HugePages_Free ${hugepagesFree()}, was ${before} before the test`).toBe(true);
    }, 120_000);
  },
  64,
);
