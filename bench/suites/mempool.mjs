/**
 * mempool: rte_mempool of @rtemem/mempool against JS object pools (issue 7's
 * cases), and the TLB effect of hugepages on a large pool (issue 3).
 *
 * get+put of 1 and of a bulk of 32, with a per-lcore cache of 256 and with
 * none (straight to the ring_mp_mc driver), ns per object. Peers: a plain JS
 * array free list of preallocated 2 KiB Uint8Array views (the best a
 * single-threaded JS program can do), the typedarray-pool package, and a
 * fresh Buffer.allocUnsafe(2048) / new ArrayBuffer(2048) per object (freed by
 * GC). The rtemem pools are shared by every thread and process.
 *
 * Large pool: 1 M objects of 64 bytes (128 MiB with headers), a field of
 * 1024 random objects written per call, per backend: the page size shows.
 */
import { createRequire } from 'node:module';
import { rtemem } from '../lib/entry.mjs';
import { ownCopy } from '../lib/own-copy.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, LIST_SPAN, Mempool } = await rtemem('@rtemem/mempool');

const require = createRequire(import.meta.url);
const tpool = require('typedarray-pool');

const MiB = 1 << 20;
const N = 1024;
const ELT = 2048;
const LOOP = 1024;
const BIG = 1 << 20;
const TOUCH = 1024;

// single and bulk run through ownCopy: one compiled copy per case.
function single(mp, loop) {
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop; i++) {
      const o = mp.get();
      s += o;
      mp.put(o);
    }
    sink[0] += s;
  };
}

function bulk(mp, loop) {
  const out = new Float64Array(32);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop / 32; i++) {
      s += mp.getBulk(out, 32);
      mp.putBulk(out, 32);
    }
    sink[0] += s + out[31];
  };
}

// The best plain-JS pool: a free list (array) of preallocated views.
function arrayPool(n) {
  return () => {
    const backing = new ArrayBuffer(N * ELT);
    const free = [];
    for (let i = 0; i < N; i++) free.push(new Uint8Array(backing, i * ELT, ELT));
    const sink = new Float64Array(1);
    if (n === 1) {
      return () => {
        let s = 0;
        for (let i = 0; i < LOOP; i++) {
          const v = free.pop();
          s += v.byteOffset;
          free.push(v);
        }
        sink[0] += s;
      };
    }
    const held = new Array(n);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / n; i++) {
        for (let k = 0; k < n; k++) held[k] = free.pop();
        for (let k = 0; k < n; k++) {
          s += held[k].byteOffset;
          free.push(held[k]);
        }
      }
      sink[0] += s;
    };
  };
}

function typedarrayPool(n) {
  return () => {
    const held = new Array(32);
    const sink = new Float64Array(1);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / n; i++) {
        for (let k = 0; k < n; k++) held[k] = tpool.mallocUint8(ELT);
        for (let k = 0; k < n; k++) {
          s += held[k].length;
          tpool.freeUint8(held[k]);
        }
      }
      sink[0] += s;
    };
  };
}

function fresh(make) {
  return () => {
    const sink = new Float64Array(1);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP; i++) s += make().byteLength;
      sink[0] += s;
    };
  };
}

const peers = (n) => ({
  'JS array pool': arrayPool(n),
  'typedarray-pool': typedarrayPool(n),
  'Buffer.allocUnsafe(2048)': n === 1 ? fresh(() => Buffer.allocUnsafe(ELT)) : undefined,
  'new ArrayBuffer(2048)': n === 1 ? fresh(() => new ArrayBuffer(ELT)) : undefined,
});

function clean(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

export default {
  name: 'mempool',
  title: 'rte_mempool (shared, per-lcore caches) against JS object pools',
  backends: ['sab', 'anonymous', 'hugetlbfs'],
  hugepages: 200,
  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: 256 * MiB, filePrefix });
    const big = Mempool.create(eal, 'big', BIG, 64, 0, 0, { flags: 0x20 /* NO_IOVA_CONTIG: one run of elements */ });
    // The objects follow each other at a fixed stride: address = first + i * stride.
    const objs = [];
    big.objIter((o, i) => i < 2 && objs.push(o));
    let last = 0;
    const stride = objs[1] - objs[0];
    big.objIter((o, i) => {
      if (o !== objs[0] + i * stride) throw new Error('the 1M-object pool is not one run of elements');
      last = o;
    });
    return {
      eal,
      cached: Mempool.create(eal, 'cached', N, ELT, 256),
      uncached: Mempool.create(eal, 'uncached', N, ELT, 0),
      // The two ring drivers side by side: the default above is one of them.
      uncachedJs: Mempool.create(eal, 'uncached_js', N, ELT, 0, 0, { ops: 'ring_mp_mc' }),
      uncachedWasm: Mempool.create(eal, 'uncached_wasm', N, ELT, 0, 0, { ops: 'ring_mp_mc_wasm' }),
      big,
      first: objs[0],
      stride,
      last,
    };
  },
  teardown(ctx) {
    ctx.eal.cleanup();
  },
  cases: [
    {
      name: 'get+put 1, cache 256',
      opsPerCall: LOOP,
      target: { max: 5, unit: 'ns/op' },
      note: 'ns per object (a get and a put). DPDK C: 1.9 ns; a plain JS array pool: 5.1 ns; typedarray-pool 6.0 ns (measured on this machine).',
      rtemem: (ctx) => ownCopy(single)(ctx.cached, LOOP),
      peers: clean(peers(1)),
    },
    {
      name: 'get+put bulk 32, cache 256',
      opsPerCall: LOOP,
      target: { max: 1.0, unit: 'ns/op' },
      note: 'ns per object. DPDK C: 0.30 ns.',
      rtemem: (ctx) => ownCopy(bulk)(ctx.cached, LOOP),
      peers: clean(peers(32)),
    },
    {
      name: 'get+put 1, no cache',
      opsPerCall: LOOP,
      target: { max: 25, unit: 'ns/op' },
      note: 'ns per object, straight to the default driver (ring_mp_mc_wasm unless RTEMEM_RING_IMPL=js: two compare-and-swaps, in WebAssembly); peers include both ring drivers by name, so this row shows which is faster (the faster is the default). Target 25 ns: issue 18. DPDK C: 14.6 ns.',
      rtemem: (ctx) => ownCopy(single)(ctx.uncached, LOOP),
      peers: { 'driver ring_mp_mc (JS ring)': (ctx) => ownCopy(single)(ctx.uncachedJs, LOOP), 'driver ring_mp_mc_wasm': (ctx) => ownCopy(single)(ctx.uncachedWasm, LOOP), ...clean(peers(1)) },
    },
    {
      name: 'get+put bulk 32, no cache',
      opsPerCall: LOOP,
      note: 'ns per object. DPDK C: 0.77 ns.',
      rtemem: (ctx) => ownCopy(bulk)(ctx.uncached, LOOP),
      peers: { 'driver ring_mp_mc (JS ring)': (ctx) => ownCopy(bulk)(ctx.uncachedJs, LOOP), 'driver ring_mp_mc_wasm': (ctx) => ownCopy(bulk)(ctx.uncachedWasm, LOOP), ...clean(peers(32)) },
    },
    {
      name: '1M-object pool, random touch',
      opsPerCall: TOUCH,
      garbageOps: 2e5,
      note: 'ns per object: a field of a random object of a 1 M-object pool written (128 MiB of elements); the address is computed, so only the pool memory is touched. 2 MiB pages need 64 TLB entries for it, 4 KiB pages 32768. The peer is 1 M Float64Array(8) objects in the JS heap.',
      rtemem: (ctx) => {
        const list = ctx.eal.list(Math.floor(ctx.first / LIST_SPAN));
        const f64 = list.f64;
        const first = ctx.first - list.baseAddr;
        const stride = ctx.stride;
        let x = 0x1234567;
        return () => {
          for (let i = 0; i < TOUCH; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            f64[(first + ((x >>> 0) & (BIG - 1)) * stride) >> 3] += 1;
          }
        };
      },
      peers: {
        'JS objects': () => {
          const objs = Array.from({ length: BIG }, () => new Float64Array(8));
          let x = 0x1234567;
          return () => {
            for (let i = 0; i < TOUCH; i++) {
              x ^= x << 13;
              x ^= x >>> 17;
              x ^= x << 5;
              objs[(x >>> 0) & (BIG - 1)][0] += 1;
            }
          };
        },
      },
    },
  ],
};
