import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import { type Backend, Eal, LCORE_ID_ANY, nativeAvailable } from '../src/index.js';

const PEER = new URL('./fixtures/eal-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

async function worker(eal: Eal): Promise<Peer> {
  const p = await Peer.worker(PEER, eal.workerData());
  peers.push(p);
  await p.call('init', { attach: true });
  return p;
}

const backends: Backend[] = nativeAvailable() ? ['sab', 'anonymous', 'hugetlbfs'] : ['sab'];

describe.each(backends)('worker threads on the %s backend', (backend) => {
  function init(): Eal | null {
    try {
      const eal = Eal.init({ backend, filePrefix: uniquePrefix(`w${backend}`), memory: 4 * MiB });
      eals.push(eal);
      return eal;
    } catch (e) {
      // hugetlbfs without pages is covered (and required in CI) by hugepages.test.ts.
      if (backend === 'hugetlbfs' && process.env.RTEMEM_REQUIRE_HUGEPAGES !== '1') return null;
      throw e;
    }
  }

  it('share the very same mapping (same virtual address, never re-wrapped) and see each other\'s writes', async () => {
    const eal = init();
    if (!eal) return;
    const list = eal.lists[0]!;
    const w = await worker(eal);
    if (backend !== 'sab') expect(await w.call('va', 1)).toBe(list.va.toString(16));
    list.u8.set([5, 6, 7], 1000);
    expect(await w.call('read', { index: 1, off: 1000, len: 3 })).toEqual([5, 6, 7]);
    await w.call('write', { index: 1, off: 2000, bytes: [1, 1, 2, 3, 5, 8] });
    expect(Array.from(list.u8.subarray(2000, 2006))).toEqual([1, 1, 2, 3, 5, 8]);
  });

  it('can Atomics.wait in a worker for a notify from the main thread', async () => {
    const eal = init();
    if (!eal) return;
    const list = eal.lists[0]!;
    const w = await worker(eal);
    const waited = w.call<string>('wait', { index: 1, off: 4096, value: 0, timeoutMs: 10_000 });
    // Notify until the worker is parked and woken.
    let woke = 0;
    const started = Date.now();
    while (woke === 0 && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 5));
      woke = Atomics.notify(list.i32, 4096 >> 2, 1);
    }
    expect(woke).toBe(1);
    expect(await waited).toBe('ok');
  });

  it('register distinct lcores from the shared table and give them back', async () => {
    const eal = init();
    if (!eal) return;
    const ws = await Promise.all([worker(eal), worker(eal), worker(eal)]);
    expect(await Promise.all(ws.map((w) => w.call('lcore')))).toEqual([LCORE_ID_ANY, LCORE_ID_ANY, LCORE_ID_ANY]);
    const ids = await Promise.all(ws.map((w) => w.call<number>('register')));
    expect(new Set([0, ...ids]).size).toBe(4);
    expect(eal.lcores()).toHaveLength(4);
    expect(await ws[1]!.call('unregister')).toBe(LCORE_ID_ANY);
    expect(eal.lcores()).toHaveLength(3);
    // A worker's cleanup gives its lcore back but leaves the memory mapped.
    await ws[0]!.call('cleanup');
    expect(eal.lcores()).toHaveLength(2);
    eal.lists[0]!.u8[10] = 77;
    expect(await ws[2]!.call('read', { index: 1, off: 10, len: 1 })).toEqual([77]);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('lcores across threads and processes'), () => {
  it('workers and a secondary process all get distinct lcore ids', async () => {
    const prefix = uniquePrefix('mix');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    eals.push(eal);
    const w1 = await worker(eal);
    const w2 = await worker(eal);
    const child = await Peer.child(PEER);
    peers.push(child);
    const c = await child.call<{ lcore: number }>('init', { processType: 'secondary', filePrefix: prefix });
    const ids = [0, await w1.call<number>('register'), await w2.call<number>('register'), c.lcore];
    expect(new Set(ids).size).toBe(4);
    const table = eal.lcores();
    expect(table.map((x) => x.lcoreId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect(table.find((x) => x.lcoreId === c.lcore)).toMatchObject({ role: 'secondary', pid: child.pid });
    expect(table.filter((x) => x.role === 'thread').every((x) => x.pid === process.pid && x.threadId > 0)).toBe(true);
  });

  it('reclaims the lcores of a SIGKILLed secondary when the table fills up', async () => {
    const prefix = uniquePrefix('reclaim');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    eals.push(eal);
    const child = await Peer.child(PEER);
    const c = await child.call<{ lcore: number }>('init', { processType: 'secondary', filePrefix: prefix });
    await child.kill('SIGKILL');
    expect(eal.lcores().some((x) => x.lcoreId === c.lcore)).toBe(true);
    const handles = [];
    for (let i = 0; i < 127; i++) {
      const h = Eal.attach(eal.workerData());
      h.threadRegister();
      handles.push(h);
    }
    expect(handles.map((h) => h.lcoreId())).toContain(c.lcore);
    for (const h of handles) h.cleanup();
  });
});
