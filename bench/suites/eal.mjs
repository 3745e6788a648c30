/**
 * eal: what @rtemem/eal-hugepage gives the layers above, against what Node
 * gives without it.
 *
 * 1. Random 8-byte reads over 512 MiB: the TLB effect of 2 MiB hugepages
 *    that the large-pool cases of later suites rely on. Same read loop, same
 *    precomputed random indexes, same contents; only the memory differs.
 *    Independent reads (the CPU overlaps many misses: throughput) and a
 *    dependent chain (each read's index depends on the one before: latency).
 * 2. A fresh 2 MiB shared region: rtemem backs pages and gives them back
 *    to the OS at once; the peers allocate, and leave the freeing to GC.
 */
import { rtemem } from '../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal } = await rtemem('@rtemem/eal-hugepage');

const MiB = 1 << 20;
const REGION_BYTES = 512 * MiB;
const REGION_F64 = REGION_BYTES / 8;
const READS_PER_CALL = 1024;
/** 4 Mi indexes (16 MiB): 4 Mi distinct cache lines, far more than any cache holds. */
const INDEX_COUNT = 1 << 22;
const FRESH_BYTES = 2 * MiB;
const SMALL_PAGE = 4096;

let indexes = null;

/** The same random Float64Array indexes for every backend and peer (xorshift32, fixed seed). */
function randomIndexes() {
  if (indexes) return indexes;
  indexes = new Int32Array(INDEX_COUNT);
  let x = 0x9e3779b9;
  for (let i = 0; i < INDEX_COUNT; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    indexes[i] = (x >>> 0) % REGION_F64;
  }
  return indexes;
}

/**
 * Gives every region the same contents, zeros (the dependent chain adds the
 * value read to the next index), written so that every page has real memory:
 * an untouched page would read as the one shared zero page.
 */
function fill(f64) {
  f64.fill(0, 0, REGION_F64);
  return f64;
}

/**
 * The read loop every implementation runs: READS_PER_CALL reads at the next
 * precomputed indexes, summed into a typed array so nothing is optimised
 * away and nothing is allocated.
 */
function randomReader(f64, idx) {
  const sink = new Float64Array(1);
  const mask = idx.length - 1;
  let pos = 0;
  return function read() {
    let s = 0;
    let p = pos;
    for (let i = 0; i < READS_PER_CALL; i++) {
      s += f64[idx[p]];
      p = (p + 1) & mask;
    }
    pos = p;
    sink[0] += s;
  };
}

/**
 * The same with a dependent chain: each index adds the value just read
 * (always 0), so a read cannot start before the previous one ended.
 */
function chainedReader(f64, idx) {
  const sink = new Float64Array(1);
  const mask = idx.length - 1;
  let pos = 0;
  return function readChained() {
    let v = 0;
    let p = pos;
    for (let i = 0; i < READS_PER_CALL; i++) {
      v = f64[idx[p] + (v | 0)];
      p = (p + 1) & mask;
    }
    pos = p;
    sink[0] += v;
  };
}

/** Writes one byte in every 4 KiB page of `u8[off, off + len)`. */
function touch(u8, off, len) {
  for (let i = off; i < off + len; i += SMALL_PAGE) u8[i] = 1;
}

/** A random-read case over rtemem's first list and the two peers, with `makeReader`'s loop. */
function randomReadCase(name, makeReader, note) {
  return {
    name,
    opsPerCall: READS_PER_CALL,
    note,
    rtemem: (ctx) => makeReader(ctx.eal.lists[0].f64, ctx.idx),
    peers: {
      'new ArrayBuffer': (ctx) => makeReader(fill(new Float64Array(new ArrayBuffer(REGION_BYTES))), ctx.idx),
      'Buffer.allocUnsafe': (ctx) => {
        const b = Buffer.allocUnsafe(REGION_BYTES);
        return makeReader(fill(new Float64Array(b.buffer, b.byteOffset, REGION_F64)), ctx.idx);
      },
    },
  };
}

export default {
  name: 'eal',
  title: 'EAL memory: hugepage TLB effect and fresh shared regions',
  note:
    'Random reads: the same loop over a Float64Array, at the same 4 Mi precomputed random indexes, over 512 MiB of the same ' +
    'contents, for rtemem (the first memseg list of an EAL with 512 MiB) and the peers. hugetlbfs maps 2 MiB pages; sab, ' +
    'anonymous (/dev/shm), new ArrayBuffer and Buffer.allocUnsafe get 4 KiB pages (transparent hugepages are used only ' +
    'where madvised: see the machine line).',
  backends: ['sab', 'anonymous', 'hugetlbfs'],
  // 256 pages for the 512 MiB region, one more for the fresh 2 MiB region.
  hugepages: REGION_BYTES / (2 * MiB) + 1,

  setup({ backend, filePrefix }) {
    const eal = Eal.init({ backend, memory: REGION_BYTES, filePrefix });
    try {
      fill(eal.lists[0].f64);
      return { backend, eal, idx: randomIndexes() };
    } catch (e) {
      eal.cleanup();
      throw e;
    }
  },

  teardown(ctx) {
    ctx.eal.cleanup();
  },

  cases: [
    randomReadCase(
      'random 8-byte reads, 512 MiB',
      randomReader,
      'ns per read. Independent reads: the CPU overlaps many cache and TLB misses, so this is a throughput. No target.',
    ),
    randomReadCase(
      'random 8-byte reads, 512 MiB, dependent',
      chainedReader,
      'ns per read. Each read waits for the one before (its index adds the value just read): a latency, ' +
        'where a page walk cannot hide behind other misses. No target.',
    ),
    {
      name: 'fresh 2 MiB region',
      backends: ['anonymous', 'hugetlbfs'],
      opsPerCall: 1,
      garbageOps: 2000,
      note:
        'ns per 2 MiB region, every 4 KiB page written once. rtemem: lockMemseg, backPages, touch, releasePages, unlockMemseg ' +
        '(the memory goes back to the OS at once; on anonymous that is 512 pages of 4 KiB, each with its own segment entry and IOVA); ' +
        'the peers allocate and touch, and GC frees later (its cost is in the mean). The peers swing with the process\'s ' +
        'history: Buffer.allocUnsafe from ~10 µs (malloc hands back a freed block, already faulted in) to ~1 ms (fresh pages), ' +
        'new SharedArrayBuffer from ~0.2 to ~1 ms: see their repetitions in ' +
        'latest.json. sab cannot back or release pages, so it has no row. No target.',
      rtemem: (ctx) => {
        const eal = ctx.eal;
        const list = eal.lists[0];
        // The first segment past the 512 MiB that init reserved for good.
        const first = REGION_BYTES / list.pageSize;
        const count = FRESH_BYTES / list.pageSize;
        const off = first * list.pageSize;
        return function freshRegion() {
          eal.lockMemseg();
          const backed = eal.backPages(list.index, first, count);
          if (backed === 0) touch(list.u8, off, FRESH_BYTES);
          const released = backed === 0 ? eal.releasePages(list.index, first, count) : 0;
          eal.unlockMemseg();
          if (backed !== 0 || released !== 0) throw new Error(`backPages ${backed}, releasePages ${released}`);
        };
      },
      peers: {
        'new SharedArrayBuffer': () =>
          function freshSab() {
            touch(new Uint8Array(new SharedArrayBuffer(FRESH_BYTES)), 0, FRESH_BYTES);
          },
        'Buffer.allocUnsafe': () =>
          function freshBuffer() {
            touch(Buffer.allocUnsafe(FRESH_BYTES), 0, FRESH_BYTES);
          },
      },
    },
  ],
};
