// The shared-memory lock: mutual exclusion across threads and processes,
// owner recording, dead-owner take-over, and bounded waiting (a starving
// waiter's reservation).
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import { Eal } from '../src/index.js';
import { LOCK_RESERVED, lockAcquire, lockOwner, lockRelease, lockTry } from '../src/lock.js';

const LOCKER = new URL('./fixtures/lock-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => (p.child !== null && (p.child.exitCode !== null || p.child.signalCode !== null) ? undefined : p.close())));
  while (eals.length) eals.pop()!.cleanup();
});

describe('shared lock', () => {
  it('records its owner, refuses a second taker, and keeps a reservation across a release', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    expect(lockOwner(i32, 0)).toBeNull();
    expect(lockTry(i32, 0, 1234, 5)).toBe(true);
    expect(lockOwner(i32, 0)).toEqual({ pid: 1234, lcore: 5 });
    expect(lockTry(i32, 0, 999, 1)).toBe(false);
    // A starving waiter's reservation: the owner word keeps the bit, the owner stays the owner.
    Atomics.or(i32, 0, LOCK_RESERVED);
    expect(lockOwner(i32, 0)).toEqual({ pid: 1234, lcore: 5 });
    lockRelease(i32, 0);
    expect(lockOwner(i32, 0)).toBeNull();
    expect(i32[0]).toBe(LOCK_RESERVED);
    // Reserved: nobody takes it on the fast path.
    expect(lockTry(i32, 0, 999, 1)).toBe(false);
    // A reservation nobody claims is void after a while: a waiter takes the lock.
    lockAcquire(i32, 0, 999, 1);
    expect(lockOwner(i32, 0)).toEqual({ pid: 999, lcore: 1 });
    expect(i32[0]).toBe(999);
    lockRelease(i32, 0);
    expect(i32[0]).toBe(0);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('keeps a counter exact under 3 threads and 2 processes, every taker done'), async () => {
    const prefix = uniquePrefix('lock');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    eals.push(eal);
    const off = eal.area('lock_test', 64);
    const threads = await Promise.all([0, 1, 2].map(() => Peer.worker(LOCKER, eal.workerData())));
    const procs = await Promise.all([0, 1].map(() => Peer.child(LOCKER)));
    peers.push(...threads, ...procs);
    for (const t of threads) await t.call('init', { attach: true });
    for (const p of procs) await p.call('init', { processType: 'secondary', filePrefix: prefix });
    const iters = 20_000;
    const results = await Promise.all([...threads, ...procs].map((p) => p.call<{ n: number; maxWaitMs: number }>('hammer', { iters })));
    expect(eal.config.i32[(off + 16) >> 2]).toBe(5 * iters);
    expect(lockOwner(eal.config.i32, off)).toBeNull();
    for (const r of results) expect(r.n).toBe(iters);
    console.log(`lock: max wait per taker (ms): ${results.map((r) => r.maxWaitMs.toFixed(1)).join(', ')}`);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('is taken over from a process killed while holding it, with onRecover naming the dead owner'), async () => {
    const prefix = uniquePrefix('lockdead');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    eals.push(eal);
    const off = eal.area('lock_test', 64);
    const p = await Peer.child(LOCKER);
    peers.push(p);
    await p.call('init', { processType: 'secondary', filePrefix: prefix });
    const pid = await p.call<number>('hold');
    expect(lockOwner(eal.config.i32, off)).toEqual({ pid, lcore: 7 });
    // A starving waiter's reservation does not hide the dead owner.
    Atomics.or(eal.config.i32, off >> 2, LOCK_RESERVED);
    await p.kill('SIGKILL');
    const dead: { pid: number; lcore: number }[] = [];
    lockAcquire(eal.config.i32, off, process.pid, 3, (d) => dead.push(d));
    expect(dead).toEqual([{ pid, lcore: 7 }]);
    expect(lockOwner(eal.config.i32, off)).toEqual({ pid: process.pid, lcore: 3 });
    lockRelease(eal.config.i32, off);
    expect(eal.config.i32[off >> 2]).toBe(0);
  });
});
