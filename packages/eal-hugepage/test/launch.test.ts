import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import {
  CALL_MAIN,
  Eal,
  type EalOptions,
  LCORE_STATE_FINISHED,
  LCORE_STATE_RUNNING,
  LCORE_STATE_WAIT,
  MAX_LCORE,
  nativeAvailable,
  SKIP_MAIN,
  threadGetAffinity,
  threadSetAffinity,
} from '../src/index.js';

const WORK = new URL('./fixtures/lcore-work.mjs', import.meta.url);
const WORK_CJS = new URL('./fixtures/lcore-work.cjs', import.meta.url);
const PEER = new URL('./fixtures/mp-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const eals: Eal[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

function init(opts: EalOptions = {}): Eal {
  const eal = Eal.init({ backend: 'sab', memory: 4 * MiB, ...opts });
  eals.push(eal);
  return eal;
}

/** The errno code of a synchronous RteError (by name: the worker's errors are rebuilt as src's RteError). */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('RteError');
    return (e as { code: string }).code;
  }
  return undefined;
}

/** The rejection of `p`, which must reject. */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; lcore?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** A shared word a gated function waits on, and how to open it. */
function gate(): { sab: SharedArrayBuffer; open: (value?: number) => void } {
  const sab = new SharedArrayBuffer(8);
  const i32 = new Int32Array(sab);
  return {
    sab,
    open: (value = 1) => {
      Atomics.store(i32, 0, value);
      Atomics.notify(i32, 0);
    },
  };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('worker lcores (EalOptions.lcores)', () => {
  it('reserves the lowest free ids as worker lcores of this process; lcoreCount counts the main lcore too', () => {
    const eal = init({ lcores: 3 });
    expect(eal.workerLcores()).toEqual([1, 2, 3]);
    expect(eal.lcoreCount()).toBe(4);
    const table = eal.lcores();
    expect(table.map((c) => [c.lcoreId, c.role, c.state])).toEqual([
      [0, 'main', null],
      [1, 'worker', 'WAIT'],
      [2, 'worker', 'WAIT'],
      [3, 'worker', 'WAIT'],
    ]);
    // Threads come on first launch: none yet.
    expect(table.filter((c) => c.role === 'worker').every((c) => c.threadId === 0)).toBe(true);
    // A thread registering now gets the next free id.
    expect(eal.threadRegister()).toBe(0);
  });

  it('reserves exactly the ids listed (DPDK -l), in RTE_LCORE_FOREACH_WORKER order', () => {
    const eal = init({ lcores: [7, 5, 9] });
    expect(eal.workerLcores()).toEqual([5, 7, 9]);
    expect(eal.lcoreCount()).toBe(4);
  });

  it('has none by default: launch says how to reserve them', () => {
    const eal = init();
    expect(eal.workerLcores()).toEqual([]);
    expect(eal.lcoreCount()).toBe(1);
    expect(() => eal.launch(1, WORK, 'whoami')).toThrow(/Eal.init\(\{ lcores: N \}\)/);
    expect(codeOf(() => eal.mpRemoteLaunch(WORK, 'whoami'))).toBe('EINVAL');
  });

  it('refuses bad lcores / lcoreCpus options with EINVAL, and ids in use with EBUSY', async () => {
    for (const lcores of [-1, 1.5, MAX_LCORE, [0], [1, 1], [MAX_LCORE], ['1'], 'two', {}] as unknown[]) {
      expect(codeOf(() => Eal.init({ backend: 'sab', memory: 4 * MiB, lcores: lcores as number })), JSON.stringify(lcores)).toBe('EINVAL');
    }
    for (const lcoreCpus of [[1], null, { x: [0] }, { 1: [] }, { 1: [-1] }, { 1: [0, 0] }, { 1: 'a' }, { 1: [4096] }] as unknown[]) {
      expect(codeOf(() => Eal.init({ backend: 'sab', memory: 4 * MiB, lcores: 1, lcoreCpus: lcoreCpus as Record<number, number[]> })), JSON.stringify(lcoreCpus)).toBe('EINVAL');
    }
    // lcoreCpus for an lcore that is not reserved: nothing stays reserved.
    expect(codeOf(() => Eal.init({ backend: 'sab', memory: 4 * MiB, lcores: [1], lcoreCpus: { 2: [0] } }))).toBe('EINVAL');
    const eal = init({ lcores: [2] });
    expect(eal.lcores().map((c) => c.lcoreId)).toEqual([0, 2]);
    expect(eal.threadRegister()).toBe(0);
    if (nativeAvailable()) {
      // Another process's secondary cannot take lcore 2 of the same table.
      const prefix = uniquePrefix('lbusy');
      const primary = init({ backend: 'anonymous', filePrefix: prefix, lcores: [2] });
      expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix, lcores: [2] }))).toBe('EBUSY');
      expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix, lcores: MAX_LCORE - 1 }))).toBe('ENOSPC');
      expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix, readOnly: true, lcores: 1 }))).toBe('EINVAL');
      // The failed inits gave back what they took.
      expect(primary.lcores().map((c) => c.lcoreId)).toEqual([0, 2]);
    }
  });

  it('gives the ids back at cleanup', () => {
    const eal = init({ lcores: 2 });
    eal.cleanup();
    const next = init({ lcores: [1, 2] });
    expect(next.workerLcores()).toEqual([1, 2]);
  });
});

describe('launch and waitLcore (rte_eal_remote_launch, rte_eal_wait_lcore)', () => {
  it('runs the function on a worker thread that is that lcore, registered before it runs', async () => {
    const eal = init({ lcores: 2 });
    eal.launch(2, WORK, 'whoami', { hello: 'lcore' });
    const r = (await eal.waitLcore(2)) as { lcore: number; registered: number; threadId: number; isWorker: boolean; arg: unknown; workers: number[]; count: number };
    expect(r.lcore).toBe(2);
    expect(r.registered).toBe(2);
    expect(r.isWorker).toBe(true);
    expect(r.threadId).toBeGreaterThan(0);
    expect(r.arg).toEqual({ hello: 'lcore' });
    // Any handle of the process sees the same worker lcores.
    expect(r.workers).toEqual([1, 2]);
    expect(r.count).toBe(3);
    // The table records the thread that runs lcore 2.
    expect(eal.lcores().find((c) => c.lcoreId === 2)!.threadId).toBe(r.threadId);
    // The same thread runs the next launch on that lcore.
    eal.launch(2, WORK, 'whoami');
    expect(((await eal.waitLcore(2)) as { threadId: number }).threadId).toBe(r.threadId);
  });

  it("shares the EAL's memory and SharedArrayBuffer arguments (never copies them)", async () => {
    const eal = init({ lcores: 2 });
    const sab = new SharedArrayBuffer(8);
    eal.launch(1, WORK, 'count', { sab, index: 0, n: 5000 });
    eal.launch(2, WORK, 'count', { sab, index: 0, n: 5000 });
    expect(await eal.waitLcore(1)).toBe(1);
    expect(await eal.waitLcore(2)).toBe(2);
    expect(Atomics.load(new Int32Array(sab), 0)).toBe(10_000);
    eal.launch(1, WORK, 'writeList', 4096);
    expect(await eal.waitLcore(1)).toBe(4096);
    expect(eal.list(1)!.u8[4096]).toBe(1);
  });

  it('waits for async functions; reports the last outcome again until the next launch, and 0 for an lcore never launched', async () => {
    const eal = init({ lcores: 2 });
    expect(await eal.waitLcore(2)).toBe(0);
    eal.launch(1, WORK, 'later', { ms: 30, value: { big: 'x'.repeat(1000) } });
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_RUNNING);
    expect(await eal.waitLcore(1)).toEqual({ big: 'x'.repeat(1000) });
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    expect(await eal.waitLcore(1)).toEqual({ big: 'x'.repeat(1000) });
    // Two waits of one run both get its value.
    eal.launch(1, WORK, 'later', { ms: 10, value: 7 });
    expect(await Promise.all([eal.waitLcore(1), eal.waitLcore(1)])).toEqual([7, 7]);
  });

  it('loads a CommonJS module too', async () => {
    const eal = init({ lcores: 1 });
    eal.launch(1, WORK_CJS, 'fromCjs', 3);
    expect(await eal.waitLcore(1)).toEqual({ lcore: 1, arg: 3, kind: 'cjs' });
    // An absolute path and a 'file:' string are accepted as the module.
    eal.launch(1, fileURLToPath(WORK_CJS), 'fromCjs', 4);
    expect(await eal.waitLcore(1)).toMatchObject({ arg: 4 });
    eal.launch(1, WORK_CJS.href, 'fromCjs', 5);
    expect(await eal.waitLcore(1)).toMatchObject({ arg: 5 });
  });

  it("rejects with the function's error: its class, message, code and the worker's stack", async () => {
    const eal = init({ lcores: 2 });
    eal.launch(1, WORK, 'explode', 'kaboom');
    const e = await rejection(eal.waitLcore(1));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('kaboom');
    expect(e.lcore).toBe(1);
    // Where it was thrown, in the lcore's thread: the fixture's functions and file.
    expect(e.stack).toMatch(/at innerExplode \(.*lcore-work\.mjs:\d+:\d+\)/);
    expect(e.stack).toMatch(/at explode \(.*lcore-work\.mjs:\d+:\d+\)/);
    expect(e.stack).toContain('at lcore 1');
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);

    eal.launch(2, WORK, 'rteFail');
    const r = await rejection(eal.waitLcore(2));
    expect(r.name).toBe('RteError');
    expect(r.code).toBe('ENOSPC');
    expect((r as { errno?: number }).errno).toBe(28);

    eal.launch(1, WORK, 'asyncFail', 'later on');
    const a = await rejection(eal.waitLcore(1));
    expect(a).toBeInstanceOf(RangeError);
    expect(a.stack).toMatch(/at asyncFail \(.*lcore-work\.mjs/);

    eal.launch(2, WORK, 'throwString');
    const s = await rejection(eal.waitLcore(2));
    expect(s.message).toContain('a plain string');
    expect((s as { thrown?: unknown }).thrown).toBe('a plain string');
  });

  it('EBUSY while the lcore is RUNNING; a FINISHED lcore takes new work (DPDK 22.11); states seen through lcoreState and the shared table', async () => {
    const eal = init({ lcores: 2 });
    const g = gate();
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    eal.launch(1, WORK, 'gate', { sab: g.sab, index: 0 });
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_RUNNING);
    expect(eal.lcores().find((c) => c.lcoreId === 1)!.state).toBe('RUNNING');
    expect(codeOf(() => eal.launch(1, WORK, 'whoami'))).toBe('EBUSY');
    expect(codeOf(() => eal.mpRemoteLaunch(WORK, 'whoami'))).toBe('EBUSY');
    // mpRemoteLaunch launched nothing: lcore 2 still waits.
    expect(eal.lcoreState(2)).toBe(LCORE_STATE_WAIT);
    g.open(41);
    await until(() => eal.lcoreState(1) === LCORE_STATE_FINISHED, 'FINISHED');
    expect(eal.lcores().find((c) => c.lcoreId === 1)!.state).toBe('FINISHED');
    // Not waited for, and yet it takes new work; the outcome reported is the new run's.
    eal.launch(1, WORK, 'later', { ms: 1, value: 'second' });
    expect(await eal.waitLcore(1)).toBe('second');
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    expect(eal.lcores().find((c) => c.lcoreId === 1)!.state).toBe('WAIT');
  });

  it('refuses bad input with a clear error and leaves the lcore as it was', async () => {
    const eal = init({ lcores: 2 });
    expect(() => eal.launch(0, WORK, 'whoami')).toThrow(/lcore 0 is the main lcore/);
    for (const id of [0, 3, 99, -1, 1.5, Number.NaN, '1'] as unknown[]) {
      expect(codeOf(() => eal.launch(id as number, WORK, 'whoami')), String(id)).toBe('EINVAL');
      expect((await rejection(eal.waitLcore(id as number))).code).toBe('EINVAL');
    }
    expect(codeOf(() => eal.lcoreState(3))).toBe('EINVAL');
    expect(eal.lcoreState(0)).toBe(LCORE_STATE_WAIT);
    for (const url of ['./fixtures/lcore-work.mjs', 'lcore-work.mjs', '@rtemem/eal-hugepage', 'https://example.com/x.mjs', 'data:text/javascript,export const f = 1', 7, null] as unknown[]) {
      expect(codeOf(() => eal.launch(1, url as string, 'whoami')), String(url)).toBe('EINVAL');
    }
    expect(codeOf(() => eal.launch(1, new URL('./fixtures/no-such-module.mjs', import.meta.url), 'whoami'))).toBe('ENOENT');
    expect(codeOf(() => eal.launch(1, new URL('./fixtures/', import.meta.url), 'whoami'))).toBe('ENOENT');
    expect(codeOf(() => eal.launch(1, WORK, ''))).toBe('EINVAL');
    // An arg that cannot be posted: nothing runs, the lcore stays WAIT.
    expect(codeOf(() => eal.launch(1, WORK, 'whoami', { f: () => 1 }))).toBe('EINVAL');
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    expect(codeOf(() => eal.mpRemoteLaunch(WORK, 'whoami', { f: () => 1 }))).toBe('EINVAL');
    expect(codeOf(() => eal.mpRemoteLaunch(WORK, 'whoami', 1, 2))).toBe('EINVAL');
    expect([eal.lcoreState(1), eal.lcoreState(2)]).toEqual([LCORE_STATE_WAIT, LCORE_STATE_WAIT]);
    // Errors found in the lcore's thread come out of waitLcore.
    eal.launch(1, WORK, 'noSuchExport');
    const missing = await rejection(eal.waitLcore(1));
    expect(missing.code).toBe('EINVAL');
    expect(missing.message).toMatch(/exports no function named "noSuchExport" \(its functions: .*whoami/);
    eal.launch(1, WORK, 'notAFunction');
    expect((await rejection(eal.waitLcore(1))).code).toBe('EINVAL');
    eal.launch(1, WORK, 'unclonable');
    const unclonable = await rejection(eal.waitLcore(1));
    expect(unclonable.code).toBe('EINVAL');
    expect(unclonable.message).toMatch(/cannot be sent to the main thread/);
    // The lcore still works.
    eal.launch(1, WORK, 'whoami', 'fine');
    expect(await eal.waitLcore(1)).toMatchObject({ lcore: 1, arg: 'fine' });
  });

  it('a thread that exits while running is an EPIPE error; the next launch gets a new thread', async () => {
    const eal = init({ lcores: 1 });
    eal.launch(1, WORK, 'whoami');
    const first = ((await eal.waitLcore(1)) as { threadId: number }).threadId;
    eal.launch(1, WORK, 'exitThread', 0);
    const e = await rejection(eal.waitLcore(1));
    expect(e.code).toBe('EPIPE');
    expect(e.message).toMatch(/lcore 1's thread exited \(code 0\) while running exitThread/);
    expect(eal.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    eal.launch(1, WORK, 'whoami');
    const next = (await eal.waitLcore(1)) as { lcore: number; threadId: number };
    expect(next.lcore).toBe(1);
    expect(next.threadId).not.toBe(first);
  });

  it('launch and waitLcore belong to the handle Eal.init returned, not to worker handles', async () => {
    const eal = init({ lcores: 1 });
    const inWorker = Eal.attach(eal.workerData());
    expect(() => inWorker.launch(1, WORK, 'whoami')).toThrow(/the main lcore only/);
    expect((await rejection(inWorker.waitLcore(1))).code).toBe('EINVAL');
    // Reading states is fine from any handle of the process.
    expect(inWorker.workerLcores()).toEqual([1]);
    expect(inWorker.lcoreState(1)).toBe(LCORE_STATE_WAIT);
    inWorker.cleanup();
  });

  it('cleanup ends running lcores: their waits reject, their ids go back, their threads stop', async () => {
    const eal = init({ lcores: 2 });
    const g = gate();
    eal.launch(1, WORK, 'gate', { sab: g.sab, index: 0 });
    eal.launch(2, WORK, 'whoami');
    await eal.waitLcore(2);
    const waiting = eal.waitLcore(1);
    eal.cleanup();
    const e = await rejection(waiting);
    expect(e.code).toBe('EPIPE');
    expect(e.message).toMatch(/cleaned up while lcore 1 ran gate/);
    const next = init({ lcores: [1, 2] });
    expect(next.workerLcores()).toEqual([1, 2]);
    expect(codeOf(() => eal.launch(1, WORK, 'whoami'))).toBe('EINVAL');
    expect((await rejection(eal.mpWaitLcore())).code).toBe('EINVAL');
  });

  it('idle lcore threads do not keep a program alive (it exits without cleanup)', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/lcore-no-cleanup.mjs', import.meta.url))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['x', 'x']);
  });

  it('works from a CommonJS program through the require() entry', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/lcore-cjs-main.cjs', import.meta.url))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      one: { lcore: 1, arg: 'a', kind: 'cjs' },
      two: { lcore: 2, arg: 'b' },
      // CALL_MAIN: the main lcore's value first, then the workers'.
      all: [
        { lcore: 0, arg: 'all', kind: 'cjs' },
        { lcore: 1, arg: 'all', kind: 'cjs' },
        { lcore: 2, arg: 'all', kind: 'cjs' },
      ],
    });
  });
});

describe('mpRemoteLaunch and mpWaitLcore (rte_eal_mp_remote_launch, rte_eal_mp_wait_lcore)', () => {
  // DPDK app/test/test_per_lcore.c (per_lcore_autotest), ported.
  it('per_lcore_autotest: per-lcore variables through launches, and no second launch while running', async () => {
    const eal = init({ lcores: 3 });
    eal.mpRemoteLaunch(WORK, 'assignVars', undefined, SKIP_MAIN);
    for (const id of eal.workerLcores()) expect(await eal.waitLcore(id)).toBe(0);
    eal.mpRemoteLaunch(WORK, 'displayVars', undefined, SKIP_MAIN);
    for (const id of eal.workerLcores()) expect(await eal.waitLcore(id)).toBe(0);
    // Two launches at the same time: the first works, the second may not.
    eal.mpRemoteLaunch(WORK, 'delay', 100, SKIP_MAIN);
    expect(codeOf(() => eal.mpRemoteLaunch(WORK, 'delay', 100, SKIP_MAIN))).toBe('EBUSY');
    for (const id of eal.workerLcores()) expect(await eal.waitLcore(id)).toBe(0);
    // After mp_wait_lcore every worker lcore is in WAIT.
    expect(eal.workerLcores().map((id) => eal.lcoreState(id))).toEqual([0, 0, 0]);
  });

  it('values in RTE_LCORE_FOREACH order: with CALL_MAIN the main lcore (on the calling thread) first', async () => {
    const eal = init({ lcores: [2, 4] });
    eal.mpRemoteLaunch(WORK, 'whoami', 'w');
    const skip = (await eal.mpWaitLcore()) as { lcore: number; isWorker: boolean }[];
    expect(skip.map((v) => [v.lcore, v.isWorker])).toEqual([
      [2, true],
      [4, true],
    ]);
    eal.mpRemoteLaunch(WORK, 'whoami', 'm', CALL_MAIN);
    const all = (await eal.mpWaitLcore()) as { lcore: number; isWorker: boolean; arg: string }[];
    expect(all.map((v) => [v.lcore, v.isWorker, v.arg])).toEqual([
      [0, false, 'm'],
      [2, true, 'm'],
      [4, true, 'm'],
    ]);
    expect([0, 2, 4].map((id) => eal.lcoreState(id))).toEqual([0, 0, 0]);
    // An async function on the main lcore is waited for too.
    eal.mpRemoteLaunch(WORK, 'later', { ms: 20, value: 'v' }, CALL_MAIN);
    expect(await eal.mpWaitLcore()).toEqual(['v', 'v', 'v']);
  });

  it('rejects after every lcore is done: with the error, or an AggregateError of several', async () => {
    const eal = init({ lcores: 2 });
    eal.mpRemoteLaunch(WORK, 'explode', 'all of them', CALL_MAIN);
    const e = await rejection(eal.mpWaitLcore());
    expect(e).toBeInstanceOf(AggregateError);
    const errors = (e as AggregateError).errors as (Error & { lcore?: number })[];
    expect(errors).toHaveLength(3);
    expect(errors.map((x) => x.message)).toEqual(['all of them', 'all of them', 'all of them']);
    expect(errors.slice(1).map((x) => x.lcore)).toEqual([1, 2]);
    expect(e.message).toMatch(/lcores 0, 1, 2/);
    expect(eal.workerLcores().map((id) => eal.lcoreState(id))).toEqual([0, 0]);
    // One failure: that error itself.
    const g = gate();
    eal.launch(1, WORK, 'rteFail');
    await rejection(eal.waitLcore(1));
    eal.mpRemoteLaunch(WORK, 'gate', { sab: g.sab, index: 0 });
    g.open(5);
    expect(await eal.mpWaitLcore()).toEqual([5, 5]);
    eal.launch(2, WORK, 'rteFail');
    eal.launch(1, WORK, 'whoami');
    const one = await rejection(eal.mpWaitLcore());
    expect(one.code).toBe('ENOSPC');
  });

  it('CALL_MAIN with a module that uses top-level await is refused clearly', async () => {
    const eal = init({ lcores: 1 });
    const tla = new URL('./fixtures/lcore-tla.mjs', import.meta.url);
    eal.mpRemoteLaunch(tla, 'fn', 1, CALL_MAIN);
    const e = await rejection(eal.mpWaitLcore());
    // The worker lcore ran it (import() allows top-level await); the main lcore could not.
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/top-level await: use SKIP_MAIN/);
    expect(await eal.waitLcore(1)).toBe('tla 1');
  });
});

describe('CPU affinity', () => {
  it('threadSetAffinity refuses bad CPU lists with EINVAL', () => {
    for (const cpus of [[], [-1], [1.5], [4096], 'x', [0, 0], null] as unknown[]) {
      expect(codeOf(() => threadSetAffinity(cpus as number[])), JSON.stringify(cpus)).toBe('EINVAL');
    }
  });

  it.skipIf(skipWithoutNative)(nativeTitle('pins a worker lcore to its CPUs (lcoreCpus) and leaves the main thread alone'), async () => {
    const mine = threadGetAffinity();
    expect(mine.length).toBeGreaterThan(0);
    const cpu = mine[mine.length - 1]!;
    const eal = init({ lcores: 2, lcoreCpus: { 1: [cpu] } });
    eal.mpRemoteLaunch(WORK, 'affinity');
    const [one, two] = (await eal.mpWaitLcore()) as number[][];
    expect(one).toEqual([cpu]);
    expect(two).toEqual(mine);
    expect(threadGetAffinity()).toEqual(mine);
  });

  it.skipIf(skipWithoutNative)(nativeTitle('a CPU the process cannot use makes every launch on that lcore fail, saying why'), async () => {
    const eal = init({ lcores: 1, lcoreCpus: { 1: [1023] } });
    eal.launch(1, WORK, 'whoami');
    const e = await rejection(eal.waitLcore(1));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/lcore 1 cannot be pinned to CPUs 1023/);
    eal.launch(1, WORK, 'whoami');
    expect((await rejection(eal.waitLcore(1))).code).toBe('EINVAL');
  });

  it.skipIf(skipWithoutNative)(nativeTitle('the calling thread can pin itself and go back'), () => {
    const mine = threadGetAffinity();
    try {
      threadSetAffinity(mine[0]!);
      expect(threadGetAffinity()).toEqual([mine[0]]);
      expect(codeOf(() => threadSetAffinity([1023]))).toBe('EINVAL');
    } finally {
      threadSetAffinity(mine);
    }
    expect(threadGetAffinity()).toEqual(mine);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('worker lcores across processes'), () => {
  it("a secondary's worker lcores are its own; their states are visible to every process", async () => {
    const prefix = uniquePrefix('lsec');
    const eal = init({ backend: 'anonymous', filePrefix: prefix, lcores: 1 });
    const child = await Peer.child(PEER);
    peers.push(child);
    const info = await child.call<{ lcore: number; workers: number[] }>('init', { processType: 'secondary', filePrefix: prefix, lcores: 2 });
    expect(info.lcore).toBe(2);
    expect(info.workers).toEqual([3, 4]);
    expect(eal.workerLcores()).toEqual([1]);
    // The primary cannot launch on the secondary's lcores.
    expect(codeOf(() => eal.launch(3, WORK, 'whoami'))).toBe('EINVAL');
    expect(await child.call('launch', { lcore: 3, module: WORK.href, fn: 'later', arg: { ms: 300, value: 'sec' } })).toBe(LCORE_STATE_RUNNING);
    // The primary (and `rtemem info`) sees lcore 3 of the other process RUNNING.
    const three = eal.lcores().find((c) => c.lcoreId === 3)!;
    expect(three).toMatchObject({ role: 'worker', pid: child.pid, state: 'RUNNING' });
    expect(await child.call('waitLcore', 3)).toBe('sec');
    expect(eal.lcores().find((c) => c.lcoreId === 3)!.state).toBe('WAIT');
    expect(await child.call('launch', { lcore: 4, module: WORK.href, fn: 'whoami', arg: 1 })).toBe(LCORE_STATE_RUNNING);
    expect(await child.call('waitLcore', 4)).toMatchObject({ lcore: 4, workers: [3, 4], count: 3 });
    // A killed secondary's worker lcores are reclaimed like any of its lcores.
    await child.kill();
    peers.splice(peers.indexOf(child), 1);
    const next = Eal.init({ processType: 'secondary', filePrefix: prefix, lcores: [3, 4] });
    eals.push(next);
    expect(next.workerLcores()).toEqual([1, 3, 4]);
  });
});
