/**
 * malloc: the shared malloc heap of @rtemem/malloc-heap against JS
 * allocators (issue 4's cases).
 *
 * 1. malloc + free of 64 B, one pair after another (a registered lcore: the
 *    lcore cache path, the common case of a packet pipeline's small blocks).
 * 2. Random sizes 16..4096, 1000 blocks live, each step freeing a random
 *    one and allocating a new random size in its place (first fit, split and
 *    merge on every step).
 *
 * Peers: @thi.ng/malloc's MemPool over an ArrayBuffer (single-threaded, no
 * lock, no sharing), and Node's new ArrayBuffer(n) / Buffer.allocUnsafe(n)
 * (freed by dropping the reference: their cost shows as GC).
 */
import { MemPool } from '@thi.ng/malloc';
import { rtemem } from '../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Heap } = await rtemem('@rtemem/malloc-heap');

const MiB = 1 << 20;
const PAIRS = 1024;
const LIVE = 1000;
const STEPS = 1000;
const TABLE = 1 << 16;

/** The same random sizes (16..4096) and victims (0..999) for everyone (xorshift32, fixed seed). */
function tables() {
  const sizes = new Int32Array(TABLE);
  const victims = new Int32Array(TABLE);
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < TABLE; i++) {
    sizes[i] = 16 + (next() % 4081);
    victims[i] = next() % LIVE;
  }
  return { sizes, victims };
}
const { sizes, victims } = tables();

// A random-size churn over any malloc/free pair that returns numbers.
function churnNumbers(malloc, free) {
  const live = new Float64Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = malloc(sizes[i]);
  const sink = new Float64Array(1);
  let pos = LIVE;
  return function churn() {
    let s = 0;
    for (let i = 0; i < STEPS; i++) {
      const k = victims[pos & (TABLE - 1)];
      free(live[k]);
      const p = malloc(sizes[pos & (TABLE - 1)]);
      live[k] = p;
      s += p;
      pos++;
    }
    sink[0] += s;
  };
}

// The same churn over allocators that return objects (freed by dropping them).
function churnObjects(alloc) {
  const live = new Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = alloc(sizes[i]);
  const sink = new Float64Array(1);
  let pos = LIVE;
  return function churn() {
    let s = 0;
    for (let i = 0; i < STEPS; i++) {
      const k = victims[pos & (TABLE - 1)];
      const b = alloc(sizes[pos & (TABLE - 1)]);
      live[k] = b;
      s += b.byteLength;
      pos++;
    }
    sink[0] += s;
  };
}

export default {
  name: 'malloc',
  title: 'malloc heap (shared, thread- and process-safe) against JS allocators',
  backends: ['sab', 'anonymous', 'hugetlbfs'],
  hugepages: 40,
  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: 64 * MiB, filePrefix });
    return { eal, heap: Heap.of(eal) };
  },
  teardown(ctx) {
    ctx.eal.cleanup();
  },
  cases: [
    {
      name: 'malloc+free 64 B',
      opsPerCall: PAIRS,
      target: { max: 40, unit: 'ns/op' },
      note: 'ns per malloc+free pair. DPDK C (measured on this machine): 55 ns. @thi.ng/malloc takes no lock and shares nothing.',
      rtemem: (ctx) => {
        const heap = ctx.heap;
        const sink = new Float64Array(1);
        return () => {
          let s = 0;
          for (let i = 0; i < PAIRS; i++) {
            const p = heap.malloc(64);
            s += p;
            heap.free(p);
          }
          sink[0] += s;
        };
      },
      peers: {
        '@thi.ng/malloc': () => {
          const pool = new MemPool({ size: 16 * MiB });
          const sink = new Float64Array(1);
          return () => {
            let s = 0;
            for (let i = 0; i < PAIRS; i++) {
              const p = pool.malloc(64);
              s += p;
              pool.free(p);
            }
            sink[0] += s;
          };
        },
        'new ArrayBuffer': () => {
          const sink = new Float64Array(1);
          return () => {
            let s = 0;
            for (let i = 0; i < PAIRS; i++) s += new ArrayBuffer(64).byteLength;
            sink[0] += s;
          };
        },
        'Buffer.allocUnsafe': () => {
          const sink = new Float64Array(1);
          return () => {
            let s = 0;
            for (let i = 0; i < PAIRS; i++) s += Buffer.allocUnsafe(64).length;
            sink[0] += s;
          };
        },
      },
    },
    {
      name: 'random 16..4096, 1000 live',
      opsPerCall: STEPS,
      target: { max: 150, unit: 'ns/op' },
      garbageOps: 2e5,
      note: 'ns per free+malloc step with 1000 blocks live, freed in random order. DPDK C: 220 ns (93 with --legacy-mem); @thi.ng/malloc: ~2200 ns (its free is linear).',
      rtemem: (ctx) => churnNumbers(
        (n) => ctx.heap.malloc(n),
        (p) => ctx.heap.free(p),
      ),
      peers: {
        '@thi.ng/malloc': () => {
          const pool = new MemPool({ size: 32 * MiB });
          return churnNumbers(
            (n) => pool.malloc(n),
            (p) => pool.free(p),
          );
        },
        'new ArrayBuffer': () => churnObjects((n) => new ArrayBuffer(n)),
        'Buffer.allocUnsafe': () => churnObjects((n) => Buffer.allocUnsafe(n)),
      },
    },
  ],
};
