// Soak: one primary, two secondary processes, two worker threads in each of
// the three, all hammering the same rings (every sync mode, numbers and
// elements), mempools, heap and memzone table for a bounded time, while the
// primary's main thread audits. At the end nothing is lost or duplicated,
// every audit passes, and the heap, the pools and the memzone table are back
// at their baselines. RTEMEM_SOAK_SECONDS (default 60) bounds the whole
// test; RTEMEM_SOAK_BACKEND picks the backend (default anonymous).
import { afterAll, describe, expect, it } from 'vitest';
import { Eal, Heap, Mempool, Memzones, Ring } from '@rtemem/mbuf';
import { nativeTitle, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { MiB, NODE, Peers, writeReport } from './support.js';
// @ts-expect-error plain JS fixture shared with the peers
import { createShared, ELEM_RINGS, MP_RINGS, mix, POOLS, spscName } from './fixtures/workload.mjs';

const SECONDS = Number(process.env.RTEMEM_SOAK_SECONDS ?? 60);
const BACKEND = (process.env.RTEMEM_SOAK_BACKEND ?? 'anonymous') as 'anonymous' | 'hugetlbfs';
// Start-up, drain and checks take a few seconds of the budget.
const TRAFFIC_MS = Math.max(5, SECONDS - 8) * 1000;
const PARTICIPANTS = 8;

interface Tally {
  n: number;
  sum: number;
  hash: number;
  order: number;
}
interface Result {
  me: number;
  ops: Record<string, number>;
  errors: string[];
  latency: Record<string, { max: number; over100ms: number }>;
  produced: Record<string, number>;
  seen: Record<string, Record<string, Tally>>;
  iterations: number;
  ms: number;
  drainMs: number;
}

const peers = new Peers();
afterAll(() => peers.closeAll(), 60_000);

describe.skipIf(skipWithoutNative)(nativeTitle(`soak: primary + 2 secondaries, 2 workers each (${BACKEND})`), () => {
  it(
    `runs ${SECONDS} s of traffic on rings, mempools, heap and memzones; nothing lost, duplicated or left behind`,
    async () => {
      const prefix = uniquePrefix('soak');
      const eal = Eal.init({ backend: BACKEND, filePrefix: prefix, memory: 64 * MiB });
      try {
        const heap = Heap.of(eal);
        const zones = Memzones.of(eal);
        createShared(eal, PARTICIPANTS);
        const rings: Ring[] = [...MP_RINGS, ...ELEM_RINGS].map((d: { name: string }) => Ring.lookup(eal, d.name)!);
        for (let k = 0; k < PARTICIPANTS; k++) rings.push(Ring.lookup(eal, spscName(k))!);
        const pools: Mempool[] = POOLS.map((d: { name: string }) => Mempool.lookup(eal, d.name)!);
        heap.cacheFlush();
        heap.trim();
        const base = { heap: heap.socketStats(0), zones: zones.count(), pools: pools.map((p) => p.availCount()), segments: eal.usedSegments(1) };

        // Participants 0, 1: the primary's workers; 2 (+3, 4) and 5 (+6, 7): the secondaries and their workers.
        const started = Date.now();
        const w0 = await peers.worker(NODE, { eal: eal.workerData() });
        const w1 = await peers.worker(NODE, { eal: eal.workerData() });
        const a = await peers.child();
        const b = await peers.child();
        for (const w of [w0, w1]) await w.call('init');
        for (const s of [a, b]) {
          await s.call('init', { processType: 'secondary', filePrefix: prefix });
          await s.call('startWorkers', 2);
        }
        const lcores = eal.lcores();
        expect(lcores.length).toBe(1 + PARTICIPANTS);
        const deadline = Date.now() + TRAFFIC_MS;
        const cfg = (me: number, seed: number) => ({ me, participants: PARTICIPANTS, deadline, seed });
        const running: Promise<Result[]>[] = [
          w0.call<Result[]>('soak', cfg(0, 101)),
          w1.call<Result[]>('soak', cfg(1, 202)),
          a.call<Result[]>('soak', { ...cfg(2, 303), workerIds: [3, 4] }),
          b.call<Result[]>('soak', { ...cfg(5, 606), workerIds: [6, 7] }),
        ];
        // Meanwhile the primary audits everything every couple of seconds.
        let finished = false;
        const all = Promise.all(running).finally(() => {
          finished = true;
        });
        const audits = { heap: 0, mempool: 0, ring: 0 };
        const auditErrors: string[] = [];
        while (!finished) {
          await Promise.race([all.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
          try {
            heap.audit();
            audits.heap++;
            for (const p of pools) {
              p.audit();
              audits.mempool++;
            }
            for (const r of rings) {
              if (r.count() > r.capacity) throw new Error(`${r.name}: count ${r.count()} > capacity ${r.capacity}`);
              audits.ring++;
            }
          } catch (e) {
            auditErrors.push((e as Error).message);
          }
        }
        const results = (await all).flat();
        const elapsed = Date.now() - started;

        // Operations and errors, per kind, over every participant.
        const ops: Record<string, number> = {};
        const errors: string[] = [...auditErrors];
        const latency: Record<string, { max: number; over100ms: number }> = {};
        for (const r of results) {
          for (const [k, v] of Object.entries(r.ops)) ops[k] = (ops[k] ?? 0) + v;
          errors.push(...r.errors.map((e) => `participant ${r.me}: ${e}`));
          for (const [k, v] of Object.entries(r.latency)) {
            const l = (latency[k] ??= { max: 0, over100ms: 0 });
            l.max = Math.max(l.max, v.max);
            l.over100ms += v.over100ms;
          }
        }
        expect(results.map((r) => r.me).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

        // Every value produced on every ring was consumed exactly once, in order per consumer.
        const ringChecks: Record<string, { produced: number; consumed: number; problems: string[] }> = {};
        const names = [...MP_RINGS.map((d: { name: string }) => d.name), ...ELEM_RINGS.map((d: { name: string }) => d.name)];
        for (let k = 0; k < PARTICIPANTS; k++) names.push(spscName(k));
        for (const name of names) {
          const check = (ringChecks[name] = { produced: 0, consumed: 0, problems: [] as string[] });
          for (const producer of results) {
            const n = producer.produced[name];
            if (n === undefined) continue;
            check.produced += n;
            let got = 0;
            let sum = 0;
            let hash = 0;
            let order = 0;
            for (const consumer of results) {
              const t = consumer.seen[name]?.[producer.me];
              if (t === undefined) continue;
              got += t.n;
              sum += t.sum;
              hash = (hash + t.hash) >>> 0;
              order += t.order;
            }
            let want = 0;
            for (let s = 0; s < n; s++) want = (want + mix(0x5eed, s)) >>> 0;
            check.consumed += got;
            if (got !== n || sum !== (n * (n - 1)) / 2 || hash !== want) {
              check.problems.push(`producer ${producer.me}: produced ${n}, consumed ${got} (sum ${sum}, want ${(n * (n - 1)) / 2})`);
            }
            if (order !== 0) check.problems.push(`producer ${producer.me}: ${order} values out of order`);
          }
        }
        for (const r of rings) {
          if (!r.isEmpty()) errors.push(`${r.name} holds ${r.count()} after the drain`);
          if (/claimed/.test(r.dump())) errors.push(`${r.name}: ${r.dump()}`);
        }
        for (const [name, c] of Object.entries(ringChecks)) errors.push(...c.problems.map((p) => `${name}: ${p}`));

        // Baselines: everything given back.
        heap.cacheFlush();
        heap.audit();
        for (const p of pools) p.audit();
        heap.trim();
        const end = { heap: heap.socketStats(0), zones: zones.count(), pools: pools.map((p) => p.availCount()), segments: eal.usedSegments(1) };
        // The objects the primary can reach are distinct objects of their pool.
        for (const p of pools) {
          const got: number[] = [];
          for (let o = p.get(); o !== 0; o = p.get()) got.push(o);
          if (new Set(got).size !== got.length) errors.push(`${p.name}: an object came out twice`);
          if (!got.every((o) => p.isObject(o))) errors.push(`${p.name}: a foreign object came out`);
          p.putBulk(got);
        }

        const report = {
          test: 'soak',
          backend: eal.backend,
          seconds: SECONDS,
          trafficMs: TRAFFIC_MS,
          elapsedMs: elapsed,
          participants: results.map((r) => ({ me: r.me, iterations: r.iterations, ms: r.ms, drainMs: r.drainMs })),
          ops,
          totalOps: Object.entries(ops)
            .filter(([k]) => !k.startsWith('error'))
            .reduce((n, [, v]) => n + v, 0),
          rings: ringChecks,
          audits,
          latencyMs: latency,
          base,
          end,
          errors,
        };
        const path = writeReport('soak', report);
        console.log(`soak (${eal.backend}, ${elapsed} ms): ${report.totalOps} operations, ${errors.length} errors; report ${path}`);
        console.log(Object.entries(ops).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
        console.log(`  audits during traffic: ${JSON.stringify(audits)}; max latency (ms): ${JSON.stringify(latency)}`);

        expect(errors).toEqual([]);
        for (const c of Object.values(ringChecks)) expect(c.produced).toBeGreaterThan(0);
        expect(audits.heap).toBeGreaterThan(0);
        expect(end.heap).toEqual(base.heap);
        expect(end.zones).toBe(base.zones);
        expect(end.pools).toEqual(base.pools);
        expect(end.segments).toBe(base.segments);
        for (const kind of ['heap malloc', 'heap free', 'heap realloc', 'memzone reserve', 'memzone free']) expect(ops[kind]).toBeGreaterThan(0);
      } finally {
        await peers.closeAll();
        eal.cleanup();
      }
    },
    (SECONDS + 240) * 1000,
  );
});

