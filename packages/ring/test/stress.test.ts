import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import {
  Eal,
  Memzones,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
} from '../src/index.js';
import { Ring, ringBuffer } from './impl.js';

const PEER = new URL('./fixtures/ring-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;
const PER_PRODUCER = 100_000;

const peers: Peer[] = [];
const eals: Eal[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

interface Consumed {
  stats: Record<string, { count: number; sum: number; sumsq: number }>;
  orderErrors: number;
}

// Every producer's values 0..PER_PRODUCER-1 arrived exactly once, in order per consumer.
function check(results: Consumed[], producers: number[]) {
  const expectSum = (PER_PRODUCER * (PER_PRODUCER - 1)) / 2;
  const expectSumsq = ((PER_PRODUCER - 1) * PER_PRODUCER * (2 * PER_PRODUCER - 1)) / 6;
  for (const r of results) expect(r.orderErrors).toBe(0);
  for (const p of producers) {
    const total = { count: 0, sum: 0, sumsq: 0 };
    for (const r of results) {
      const s = r.stats[p];
      if (!s) continue;
      total.count += s.count;
      total.sum += s.sum;
      total.sumsq += s.sumsq;
    }
    expect(total).toEqual({ count: PER_PRODUCER, sum: expectSum, sumsq: expectSumsq });
  }
}

const MODES: [string, number, number, number][] = [
  // name, flags, producers, consumers
  ['MP/MC', 0, 2, 2],
  ['RTS', RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ, 2, 2],
  ['HTS', RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ, 2, 2],
  ['MP/SC', RING_F_SC_DEQ, 2, 1],
  ['SP/MC', RING_F_SP_ENQ, 1, 2],
  ['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ, 1, 1],
];

async function run(eal: Eal, flags: number, producers: Peer[], consumers: Peer[], mix: boolean, api = 'copy', impls: (string | undefined)[] = []) {
  const ring = Ring.create(eal, 'stress', 512, -1, flags);
  const ctlName = 'stress_ctl';
  Memzones.of(eal).reserve(ctlName, 64);
  const total = producers.length * PER_PRODUCER;
  const consuming = consumers.map((c, k) => c.call<Consumed>('consume', { ring: 'stress', ctlName, total, api, impl: impls[producers.length + k] }));
  const producing = producers.map((p, id) => p.call('produce', { ring: 'stress', id: id + 1, count: PER_PRODUCER, mix, api, impl: impls[id] }));
  await Promise.all(producing);
  const results = await Promise.all(consuming);
  check(results, producers.map((_, id) => id + 1));
  expect(ring.count()).toBe(0);
  expect(ring.isEmpty()).toBe(true);
  const ht = ring.headTail();
  expect(ht.prodHead).toBe(ht.prodTail);
  expect(ht.consHead).toBe(ht.consTail);
  expect(ht.prodTail).toBe(total);
}

describe.each(MODES)('stress, %s ring, worker threads', (_name, flags, np, nc) => {
  it(`${np} producers and ${nc} consumers: nothing lost, duplicated or reordered`, async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const ws = await Promise.all(Array.from({ length: np + nc }, () => Peer.worker(PEER, eal.workerData())));
    peers.push(...ws);
    for (const w of ws) await w.call('init', { attach: true });
    await run(eal, flags, ws.slice(0, np), ws.slice(np), true);
  });
});

describe.skipIf(skipWithoutNative).each(MODES.filter(([, , np, nc]) => np === 2 && nc === 2))(
  nativeTitle('stress, %s ring, threads and a secondary process'),
  (_name, flags) => {
    it('a secondary process and a worker produce, two workers consume', async () => {
      const prefix = uniquePrefix('ringstress');
      const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 16 * MiB });
      eals.push(eal);
      const child = await Peer.child(PEER);
      const ws = await Promise.all([0, 1, 2].map(() => Peer.worker(PEER, eal.workerData())));
      peers.push(child, ...ws);
      await child.call('init', { processType: 'secondary', filePrefix: prefix });
      for (const w of ws) await w.call('init', { attach: true });
      await run(eal, flags, [child, ws[0]!], [ws[1]!, ws[2]!], true);
    });
  },
);

// test_ring_mt_peek_stress_zc / test_ring_st_peek_stress_zc: zero-copy
// starts and finishes (some finished short) from every thread.
describe.each(MODES.filter(([name]) => name === 'HTS' || name === 'SP/SC'))('stress, %s ring, zero copy, worker threads', (_name, flags, np, nc) => {
  it(`${np} producers and ${nc} consumers writing and reading the slots in place: nothing lost, duplicated or reordered`, async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const ws = await Promise.all(Array.from({ length: np + nc }, () => Peer.worker(PEER, eal.workerData())));
    peers.push(...ws);
    for (const w of ws) await w.call('init', { attach: true });
    await run(eal, flags, ws.slice(0, np), ws.slice(np), false, 'zc');
  });
});

// The layout is the contract: one ring driven by both implementations at once.
describe.each(MODES.filter(([, , np, nc]) => np === 2 && nc === 2))('stress, %s ring, JS and wasm rings on the same ring', (_name, flags) => {
  it('a JS and a wasm producer, a JS and a wasm consumer: nothing lost, duplicated or reordered', async () => {
    const eal = Eal.init({ backend: 'sab', memory: 16 * MiB });
    eals.push(eal);
    const ws = await Promise.all([0, 1, 2, 3].map(() => Peer.worker(PEER, eal.workerData())));
    peers.push(...ws);
    for (const w of ws) await w.call('init', { attach: true });
    await run(eal, flags, ws.slice(0, 2), ws.slice(2), true, 'copy', ['js', 'wasm', 'wasm', 'js']);
  });
});
