/**
 * memzone: named zones in the shared table of @rtemem/memzone (issue 21's
 * cases), against what a Node program keeps named buffers in: a Map.
 *
 * 1. reserve(64 B) + lookup + free of one zone, with 10 and with 1000 other
 *    zones live (DPDK's C does the three in 205 ns on this machine).
 * 2. lookup alone, with 1000 zones live: a name that exists, and one that
 *    does not.
 * 3. walk of 1000 zones, per zone.
 *
 * Peers: a Map from name to a new ArrayBuffer(64) (or SharedArrayBuffer):
 * one thread, nothing shared, no lock; rtemem's table is seen by every
 * thread and process, under a lock.
 */
import { rtemem } from '../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Memzones } = await rtemem('@rtemem/memzone');

const LOOP = 256;
const NAMES = Array.from({ length: 1000 }, (_, i) => `zone_${i}`);

/** Makes `zones` hold exactly `n` zones named zone_0.. (reserving or freeing the last ones). */
function liveZones(zones, n) {
  for (let i = 0; i < n; i++) if (zones.lookup(NAMES[i]) === null) zones.reserve(NAMES[i], 64);
  for (let i = n; i < NAMES.length; i++) {
    const mz = zones.lookup(NAMES[i]);
    if (mz !== null) zones.free(mz);
  }
}

function mapWith(n, Buf) {
  const map = new Map();
  for (let i = 0; i < n; i++) map.set(NAMES[i], new Buf(64));
  return map;
}

/** reserve + lookup + free of the name 'x', LOOP times a call. */
function rlfRtemem(zones) {
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      const mz = zones.reserve('x', 64);
      s += zones.lookup('x').addr;
      zones.free(mz);
    }
    sink[0] += s;
  };
}

function rlfMap(map, Buf) {
  const sink = new Float64Array(1);
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) {
      map.set('x', new Buf(64));
      s += map.get('x').byteLength;
      map.delete('x');
    }
    sink[0] += s;
  };
}

function lookups(get, names) {
  const sink = new Float64Array(1);
  const mask = names.length - 1;
  let k = 0;
  return () => {
    let s = 0;
    for (let i = 0; i < LOOP; i++) s += get(names[k++ & mask]) === null ? 1 : 2;
    sink[0] += s;
  };
}

export default {
  name: 'memzone',
  title: 'rte_memzone reserve, lookup, walk against a Map of buffers',
  backends: ['sab', 'anonymous', 'hugetlbfs'],
  hugepages: 64,

  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: 64 << 20, filePrefix });
    return { eal, zones: Memzones.of(eal) };
  },
  teardown(ctx) {
    ctx.eal.cleanup();
  },

  cases: [
    {
      name: 'reserve+lookup+free 64 B, 10 zones live',
      opsPerCall: LOOP,
      target: { max: 1000, unit: 'ns/op' },
      garbageOps: 2e5,
      note: 'ns per reserve+lookup+free. DPDK C: 205 ns (its table is scanned, under a lock). The garbage is the Memzone handle each reserve returns (a freed zone\'s handle never becomes another zone\'s).',
      rtemem: (ctx) => {
        liveZones(ctx.zones, 10);
        return rlfRtemem(ctx.zones);
      },
      peers: {
        'Map + ArrayBuffer': () => rlfMap(mapWith(10, ArrayBuffer), ArrayBuffer),
        'Map + SharedArrayBuffer': () => rlfMap(mapWith(10, SharedArrayBuffer), SharedArrayBuffer),
      },
    },
    {
      name: 'reserve+lookup+free 64 B, 1000 zones live',
      opsPerCall: LOOP,
      garbageOps: 2e5,
      note: 'ns per reserve+lookup+free: the name index and the used-slot bitmap keep it close to the 10-zone figure.',
      rtemem: (ctx) => {
        liveZones(ctx.zones, 1000);
        return rlfRtemem(ctx.zones);
      },
      peers: {
        'Map + ArrayBuffer': () => rlfMap(mapWith(1000, ArrayBuffer), ArrayBuffer),
      },
    },
    {
      name: 'lookup hit, 1000 zones live',
      opsPerCall: LOOP,
      target: { max: 200, unit: 'ns/op' },
      note: 'ns per lookup of a zone that exists (a different name each time, 1024 of them).',
      rtemem: (ctx) => {
        liveZones(ctx.zones, 1000);
        return lookups((n) => ctx.zones.lookup(n), NAMES.slice(0, 1000).concat(NAMES.slice(0, 24)));
      },
      peers: {
        Map: () => {
          const map = mapWith(1000, ArrayBuffer);
          return lookups((n) => map.get(n) ?? null, NAMES.slice(0, 1000).concat(NAMES.slice(0, 24)));
        },
      },
    },
    {
      name: 'lookup miss, 1000 zones live',
      opsPerCall: LOOP,
      target: { max: 200, unit: 'ns/op' },
      note: 'ns per lookup of a name that does not exist.',
      rtemem: (ctx) => {
        liveZones(ctx.zones, 1000);
        const missing = Array.from({ length: 1024 }, (_, i) => `missing_${i}`);
        return lookups((n) => ctx.zones.lookup(n), missing);
      },
      peers: {
        Map: () => {
          const map = mapWith(1000, ArrayBuffer);
          const missing = Array.from({ length: 1024 }, (_, i) => `missing_${i}`);
          return lookups((n) => map.get(n) ?? null, missing);
        },
      },
    },
    {
      name: 'walk 1000 zones',
      opsPerCall: 1000,
      garbageOps: 2e6,
      note: 'ns per zone visited.',
      rtemem: (ctx) => {
        liveZones(ctx.zones, 1000);
        const sink = new Float64Array(1);
        let s = 0;
        const visit = (mz) => {
          s += mz.len;
        };
        return () => {
          s = 0;
          ctx.zones.walk(visit);
          sink[0] += s;
        };
      },
      peers: {
        Map: () => {
          const map = mapWith(1000, ArrayBuffer);
          const sink = new Float64Array(1);
          let s = 0;
          const visit = (b) => {
            s += b.byteLength;
          };
          return () => {
            s = 0;
            map.forEach(visit);
            sink[0] += s;
          };
        },
      },
    },
  ],
};
