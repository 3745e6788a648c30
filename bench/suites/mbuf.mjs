/**
 * mbuf: packet buffers of @rtemem/mbuf against JS packet buffers (issue 8).
 *
 * The per-packet work of a receive path: allocate a buffer, append 64 bytes,
 * write 64 bytes into them, free it; and the burst form, allocBulk/freeBulk
 * of 32. Peers: a fresh Buffer.allocUnsafe(2048) per packet (freed by GC), and
 * a preallocated JS pool of 2 KiB Uint8Array views with a length array (the
 * best a single-threaded JS program can do). The rtemem pool is shared by
 * every thread and process and keeps DPDK's mbuf layout.
 */
import { rtemem } from '../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Mbuf, PktmbufPool } = await rtemem('@rtemem/mbuf');

const MiB = 1 << 20;
const N = 4096;
const LOOP = 1024;
const BURST = 32;
const ROOM = 2048;
const HEADROOM = 128;

const payload = new Uint8Array(64).map((_, i) => i * 3);

function single(ctx) {
  const { pool, mb } = ctx;
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      const m = pool.alloc();
      s += mb.append(m, 64);
      mb.write(m, 0, payload);
      mb.free(m);
    }
    sink[0] += s;
  };
}

function bulk(ctx) {
  const { pool, mb } = ctx;
  const ms = new Float64Array(BURST);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP / BURST; i++) {
      s += pool.allocBulk(ms, BURST);
      mb.freeBulk(ms, BURST);
    }
    sink[0] += s + ms[0];
  };
}

// write 64 B into one mbuf: the inline copy of Mbuf.write (src/copy.ts)
// against TypedArray.set of the same bytes into the same place.
function write64(ctx) {
  const { pool, mb } = ctx;
  const m = pool.alloc();
  mb.append(m, 64);
  return () => {
    for (let i = 0; i < LOOP; i++) mb.write(m, 0, payload);
  };
}

function set64(ctx) {
  const { pool, mb } = ctx;
  const m = pool.alloc();
  mb.append(m, 64);
  const u8 = mb.bufView(m);
  const at = mb.dataIndex(m);
  return () => {
    for (let i = 0; i < LOOP; i++) u8.set(payload, at);
  };
}

// A packet's fields read and written by address: what a parser touches.
function fields(ctx) {
  const { pool, mb } = ctx;
  const m = pool.alloc();
  mb.append(m, 64);
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      s += mb.pktLen(m) + mb.dataLen(m) + mb.port(m);
      mb.setPort(m, i & 7);
      mb.setPacketType(m, i);
      mb.setHash(m, s);
    }
    sink[0] += s;
  };
}

// Preallocated JS pool: views over one ArrayBuffer, a free stack of
// indices (Int32Array) and packet lengths in an Int32Array.
function jsPool(burst) {
  return () => {
    const views = [];
    const backing = new ArrayBuffer(N * (ROOM + HEADROOM));
    for (let i = 0; i < N; i++) views.push(new Uint8Array(backing, i * (ROOM + HEADROOM), ROOM + HEADROOM));
    const free = Int32Array.from({ length: N }, (_, i) => i);
    const lens = new Int32Array(N);
    let top = N;
    const sink = new Float64Array(1);
    if (burst === 1) {
      return () => {
        let s = 0;
        for (let i = 0; i < LOOP; i++) {
          const p = free[--top];
          lens[p] = 64;
          views[p].set(payload, HEADROOM);
          s += p;
          lens[p] = 0;
          free[top++] = p;
        }
        sink[0] += s;
      };
    }
    const held = new Int32Array(burst);
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / burst; i++) {
        for (let k = 0; k < burst; k++) {
          const p = free[--top];
          lens[p] = 0;
          held[k] = p;
        }
        for (let k = 0; k < burst; k++) {
          s += held[k];
          free[top++] = held[k];
        }
      }
      sink[0] += s;
    };
  };
}

function fresh(burst) {
  return () => {
    const sink = new Float64Array(1);
    const held = new Array(BURST);
    if (burst === 1) {
      return () => {
        let s = 0;
        for (let i = 0; i < LOOP; i++) {
          const b = Buffer.allocUnsafe(ROOM);
          b.set(payload, HEADROOM);
          s += b.length;
        }
        sink[0] += s;
      };
    }
    return () => {
      let s = 0;
      for (let i = 0; i < LOOP / burst; i++) {
        for (let k = 0; k < burst; k++) held[k] = Buffer.allocUnsafe(ROOM);
        s += held[0].length;
      }
      sink[0] += s;
    };
  };
}

function jsFields() {
  // A plain JS packet object with the same fields.
  const p = { pktLen: 64, dataLen: 64, port: 0, packetType: 0, hash: 0 };
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      s += p.pktLen + p.dataLen + p.port;
      p.port = i & 7;
      p.packetType = i;
      p.hash = s;
    }
    sink[0] += s;
  };
}

export default {
  name: 'mbuf',
  title: 'rte_mbuf (DPDK layout, shared pools) against JS packet buffers',
  backends: ['sab', 'anonymous', 'hugetlbfs'],
  hugepages: 64,
  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: 64 * MiB, filePrefix });
    const pool = PktmbufPool.create(eal, 'bench', N, 256);
    return { eal, pool, mb: Mbuf.of(eal) };
  },
  teardown(ctx) {
    ctx.eal.cleanup();
  },
  cases: [
    {
      name: 'alloc + append 64 + write 64 + free',
      opsPerCall: LOOP,
      target: { max: 25, unit: 'ns/op' },
      note: 'ns per packet, lcore cache 256. DPDK C: 7.7 ns; Buffer.allocUnsafe(2048): 231 ns (issue 8, this machine).',
      rtemem: single,
      peers: { 'Buffer.allocUnsafe(2048)': fresh(1), 'JS Uint8Array pool': jsPool(1) },
    },
    {
      name: 'allocBulk + freeBulk 32',
      opsPerCall: LOOP,
      target: { max: 8, unit: 'ns/op' },
      note: 'ns per packet. DPDK C: 3.2 ns.',
      rtemem: bulk,
      peers: { 'Buffer.allocUnsafe(2048)': fresh(BURST), 'JS Uint8Array pool': jsPool(BURST) },
    },
    {
      name: 'write 64 B: inline stores vs set',
      opsPerCall: LOOP,
      note: 'ns per write of 64 bytes into an mbuf\'s data: Mbuf.write (address decode, bounds, Float64Array moves) against Uint8Array.prototype.set of the same bytes at a precomputed index (V8 copies set into shared memory with a relaxed memmove behind a C call).',
      rtemem: write64,
      peers: { 'Uint8Array.set': set64 },
    },
    {
      name: 'field access (3 reads, 3 writes)',
      opsPerCall: LOOP,
      note: 'ns per packet: pkt_len, data_len, port read; port, packet_type, hash written, by mbuf address on the pool\'s cached typed arrays.',
      rtemem: fields,
      peers: { 'JS object': jsFields },
    },
  ],
};
