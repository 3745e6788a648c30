/**
 * ring: rte_ring of @rtemem/ring against JS queues (issue 6's cases).
 *
 * Single thread: enqueue+dequeue of 1 and of a bulk of 32, SP/SC and MP/MC,
 * ns per object, against ringbuf.js (the best SPSC ring for JS, over a
 * SharedArrayBuffer too), denque and a plain JS array used as a queue.
 * Two workers: a producer and a consumer moving bulks of 32 through an SP/SC
 * and an MP/MC ring, million objects per second, against ringbuf.js.
 *
 * Every case also runs @rtemem/ring-wasm's WasmRing on the same kind of
 * ring (a peer column, "WasmRing"): the same API with its head/tail moves
 * in WebAssembly, so its ratio is JS ring / wasm ring in the same run.
 */
import { rtemem } from '../lib/entry.mjs';
import { RingBuffer } from 'ringbuf.js';
import Denque from 'denque';
import { ownCopy } from '../lib/own-copy.mjs';
import { wasmFloor } from '../lib/wasm-floor.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } = await rtemem('@rtemem/ring');
const { WasmRing } = await rtemem('@rtemem/ring-wasm');
// The least a wasm MP/MC enqueue and dequeue can cost (lib/wasm-floor.mjs).
const floor = await wasmFloor();

const MiB = 1 << 20;
const LOOP = 1024;
const SPSC = RING_F_SP_ENQ | RING_F_SC_DEQ;

// single and bulk32 run through ownCopy: one compiled copy per case.
function single(ring, loop) {
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop; i++) {
      ring.enqueue(i);
      s += ring.dequeue();
    }
    sink[0] += s;
  };
}

function bulk32(ring, loop) {
  const objs = new Float64Array(32).map((_, i) => i + 1);
  const out = new Float64Array(32);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop / 32; i++) {
      ring.enqueueBulk(objs, 32);
      s += ring.dequeueBulk(out, 32);
    }
    sink[0] += s + out[31];
  };
}

// The same work through the zero-copy API and through bulk calls of a
// Float64Array: a producer makes 32 values, a consumer sums them. Zero copy
// writes and reads them in the ring's slots; the bulk calls go through the
// caller's arrays (a copy each way).
function zcBulk32(ring, loop) {
  const zc = { ptr1: 0, n1: 0, ptr2: 0, n2: 0 };
  const slots = ring.slots;
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop / 32; i++) {
      ring.enqueueZcBulkStart(32, zc);
      let p = zc.ptr1;
      const n1 = zc.n1;
      for (let k = 0; k < n1; k++) slots[p + k] = i + k;
      p = zc.ptr2 - n1;
      for (let k = n1; k < 32; k++) slots[p + k] = i + k;
      ring.enqueueZcFinish(32);
      ring.dequeueZcBulkStart(32, zc);
      p = zc.ptr1;
      const m1 = zc.n1;
      for (let k = 0; k < m1; k++) s += slots[p + k];
      p = zc.ptr2 - m1;
      for (let k = m1; k < 32; k++) s += slots[p + k];
      ring.dequeueZcFinish(32);
    }
    sink[0] += s;
  };
}

function copyBulk32(ring, loop) {
  const objs = new Float64Array(32);
  const out = new Float64Array(32);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < loop / 32; i++) {
      for (let k = 0; k < 32; k++) objs[k] = i + k;
      ring.enqueueBulk(objs, 32);
      ring.dequeueBulk(out, 32);
      for (let k = 0; k < 32; k++) s += out[k];
    }
    sink[0] += s;
  };
}

function ringbufSingle() {
  const rb = new RingBuffer(RingBuffer.getStorageForCapacity(1024, Float64Array), Float64Array);
  const one = new Float64Array(1);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      one[0] = i;
      rb.push(one, 1);
      s += rb.pop(one, 1) + one[0];
    }
    sink[0] += s;
  };
}

function ringbufBulk32() {
  const rb = new RingBuffer(RingBuffer.getStorageForCapacity(1024, Float64Array), Float64Array);
  const objs = new Float64Array(32).map((_, i) => i + 1);
  const out = new Float64Array(32);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP / 32; i++) {
      rb.push(objs, 32);
      s += rb.pop(out, 32);
    }
    sink[0] += s + out[31];
  };
}

function arrayQueue(n) {
  return () => {
    const q = [];
    const sink = new Float64Array(1);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / n; i++) {
        for (let k = 0; k < n; k++) q.push(i + k);
        for (let k = 0; k < n; k++) s += q.shift();
      }
      sink[0] += s;
    };
  };
}

function denque(n) {
  return () => {
    const q = new Denque();
    const sink = new Float64Array(1);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / n; i++) {
        for (let k = 0; k < n; k++) q.push(i + k);
        for (let k = 0; k < n; k++) s += q.shift();
      }
      sink[0] += s;
    };
  };
}

const workerFile = (name) => new URL(`./ring/${name}.mjs`, import.meta.url);

function pair(ctx, ringName, impl = 'js') {
  const data = { eal: ctx.eal.workerData(), ring: ringName, impl };
  return {
    workers: [
      { file: workerFile('producer'), data, counts: false },
      { file: workerFile('consumer'), data },
    ],
  };
}

function ringbufPair() {
  const sab = RingBuffer.getStorageForCapacity(4096, Float64Array);
  return {
    workers: [
      { file: workerFile('ringbuf-producer'), data: { sab }, counts: false },
      { file: workerFile('ringbuf-consumer'), data: { sab } },
    ],
  };
}

export default {
  name: 'ring',
  title: 'rte_ring against JS queues',
  backends: ['sab', 'hugetlbfs'],
  hugepages: 40,
  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: 64 * MiB, filePrefix });
    return {
      eal,
      spsc: Ring.create(eal, 'spsc', 1024, -1, SPSC),
      mpmc: Ring.create(eal, 'mpmc', 1024, -1, 0),
      tspsc: Ring.create(eal, 'tspsc', 4096, -1, SPSC),
      tmpmc: Ring.create(eal, 'tmpmc', 4096, -1, 0),
      wspsc: WasmRing.create(eal, 'wspsc', 1024, -1, SPSC),
      wmpmc: WasmRing.create(eal, 'wmpmc', 1024, -1, 0),
      wtspsc: WasmRing.create(eal, 'wtspsc', 4096, -1, SPSC),
      wtmpmc: WasmRing.create(eal, 'wtmpmc', 4096, -1, 0),
    };
  },
  teardown(ctx) {
    ctx.eal.cleanup();
  },
  cases: [
    {
      name: 'SP/SC enqueue+dequeue 1',
      opsPerCall: LOOP,
      target: { max: 20, unit: 'ns/op' },
      note: 'ns per object. DPDK C: 2.2 ns; ringbuf.js: 53 ns (measured on this machine).',
      rtemem: (ctx) => ownCopy(single)(ctx.spsc, LOOP),
      peers: { WasmRing: (ctx) => ownCopy(single)(ctx.wspsc, LOOP), 'ringbuf.js': ringbufSingle, denque: denque(1), 'JS array': arrayQueue(1) },
    },
    {
      name: 'MP/MC enqueue+dequeue 1',
      opsPerCall: LOOP,
      target: { max: 40, unit: 'ns/op' },
      note: 'ns per object. DPDK C: 11.7 ns. ringbuf.js is SPSC only: the nearest peer.',
      rtemem: (ctx) => ownCopy(single)(ctx.mpmc, LOOP),
      peers: { 'ringbuf.js': ringbufSingle, denque: denque(1), 'JS array': arrayQueue(1) },
    },
    {
      name: 'SP/SC bulk 32',
      opsPerCall: LOOP,
      target: { max: 1.2, unit: 'ns/op' },
      note: 'ns per object. DPDK C: 0.47 ns; ringbuf.js: 2.35 ns.',
      rtemem: (ctx) => ownCopy(bulk32)(ctx.spsc, LOOP),
      peers: { WasmRing: (ctx) => ownCopy(bulk32)(ctx.wspsc, LOOP), 'ringbuf.js': ringbufBulk32, denque: denque(32), 'JS array': arrayQueue(32) },
    },
    {
      name: 'SP/SC bulk 32, zero copy',
      opsPerCall: LOOP,
      note: 'ns per object: 32 values made, enqueued, dequeued and summed. rtemem writes and reads them in the slots (enqueueZcBulkStart/Finish, dequeueZcBulkStart/Finish); its peer "bulk calls" does the same work through enqueueBulk/dequeueBulk of a Float64Array on the same kind of ring.',
      rtemem: (ctx) => ownCopy(zcBulk32)(ctx.spsc, LOOP),
      peers: { 'bulk calls (Float64Array)': (ctx) => ownCopy(copyBulk32)(ctx.spsc, LOOP) },
    },
    {
      name: 'MP/MC bulk 32',
      opsPerCall: LOOP,
      note: 'ns per object. DPDK C: 0.63 ns.',
      rtemem: (ctx) => ownCopy(bulk32)(ctx.mpmc, LOOP),
      peers: { WasmRing: (ctx) => ownCopy(bulk32)(ctx.wmpmc, LOOP), 'ringbuf.js': ringbufBulk32, denque: denque(32), 'JS array': arrayQueue(32) },
    },
    {
      name: 'two workers SP/SC bulk 32',
      kind: 'throughput',
      target: { min: 400, unit: 'Mobj/s' },
      note: 'Million objects per second from a producer worker to a consumer worker. DPDK C between two cores: 988 Mobj/s; ringbuf.js: 290-340.',
      rtemem: (ctx) => pair(ctx, 'tspsc'),
      peers: { WasmRing: (ctx) => pair(ctx, 'wtspsc', 'wasm'), 'ringbuf.js': ringbufPair },
    },
    {
      name: 'two workers MP/MC bulk 32',
      kind: 'throughput',
      target: { min: 200, unit: 'Mobj/s' },
      note: 'The MP/MC code path with one producer and one consumer. DPDK C: 511 Mobj/s.',
      rtemem: (ctx) => pair(ctx, 'tmpmc'),
      peers: { 'ringbuf.js': ringbufPair },
    },
    // Issue 18's targets for the WebAssembly ring: WasmRing is the rtemem
    // column here, the JS Ring on the same kind of ring its peer.
    {
      name: 'MP/MC enqueue+dequeue 1, WasmRing',
      opsPerCall: LOOP,
      target: { max: 20, unit: 'ns/op' },
      note: 'ns per object through @rtemem/ring-wasm (one wasm call per enqueue and per dequeue); peers: @rtemem/ring on the same kind of ring, and "wasm floor": one call per operation doing only a head load, a compare-and-swap, the slot and a tail store (wasm atomics are seq-cst, so the tail store is an xchg where DPDK C has a plain mov): the least any wasm ring pays. DPDK C: 11.7 ns.',
      rtemem: (ctx) => ownCopy(single)(ctx.wmpmc, LOOP),
      peers: { 'Ring (JS)': (ctx) => ownCopy(single)(ctx.mpmc, LOOP), 'wasm floor': () => ownCopy(single)({ enqueue: floor.enq, dequeue: floor.deq }, LOOP) },
    },
    {
      name: 'SP/SC bulk 32 zero copy, WasmRing',
      opsPerCall: LOOP,
      target: { max: 1.5, unit: 'ns/op' },
      note: 'ns per object: 32 values made, enqueued, dequeued and summed through the zero-copy API of @rtemem/ring-wasm; peers: the same work through bulk calls of a Float64Array, and through the JS Ring.',
      rtemem: (ctx) => ownCopy(zcBulk32)(ctx.wspsc, LOOP),
      peers: {
        'WasmRing bulk calls': (ctx) => ownCopy(copyBulk32)(ctx.wspsc, LOOP),
        'Ring (JS) zero copy': (ctx) => ownCopy(zcBulk32)(ctx.spsc, LOOP),
        'Ring (JS) bulk calls': (ctx) => ownCopy(copyBulk32)(ctx.spsc, LOOP),
      },
    },
    {
      name: 'two workers MP/MC bulk 32, WasmRing',
      kind: 'throughput',
      target: { min: 300, unit: 'Mobj/s' },
      note: 'A producer and a consumer worker through an MP/MC ring of @rtemem/ring-wasm; peer: the JS Ring. DPDK C: 511 Mobj/s.',
      rtemem: (ctx) => pair(ctx, 'wtmpmc', 'wasm'),
      peers: { 'Ring (JS)': (ctx) => pair(ctx, 'tmpmc') },
    },
  ],
};
