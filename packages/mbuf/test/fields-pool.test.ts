/**
 * The accessors of issue 17 (tx_offload and its bit-fields, vlan_tci_outer,
 * timesync, hash.fdir, mbufToPriv), rawAlloc/rawFree, and pools with pinned
 * external buffers (test_mbuf.c: test_pktmbuf_ext_pinned_buffer), checked
 * against DPDK 22.11's layout through raw views of the header.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, Heap, LIST_SPAN, Mbuf, MBUF_HEADER_SIZE, PktmbufPool, RTE_MBUF_F_EXTERNAL } from '../src/index.js';
import { codeOf } from '@rtemem/testkit';
import { ringOps } from './impl.js';

const MiB = 1024 * 1024;

let eal: Eal;
let mb: Mbuf;
let pool: PktmbufPool;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
  mb = Mbuf.of(eal);
  pool = PktmbufPool.create(eal, 'fp_pool', 64, 0, 16, 2176, undefined, ringOps('ring_mp_mc'));
});
afterEach(() => eal.cleanup());

function raw(m: number): DataView {
  const li = Math.floor(m / LIST_SPAN);
  return new DataView(eal.list(li)!.sab, m - li * LIST_SPAN, MBUF_HEADER_SIZE);
}

describe('tx_offload (rte_mbuf_tx_offload layout)', () => {
  it('packs l2/l3/l4, tso_segsz and the outer lengths as DPDK does, and reads each back', () => {
    const m = pool.alloc();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 511 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 511 }),
        (l2, l3, l4, tso, ol2, ol3) => {
          mb.setTxOffload(m, l2, l3, l4, tso, ol2, ol3);
          // rte_mbuf_tx_offload(il2, il3, il4, tso, ol3, ol2, 0) with RTE_MBUF_*_OFS of 22.11.
          const want = BigInt(l2) | (BigInt(l3) << 7n) | (BigInt(l4) << 16n) | (BigInt(tso) << 24n) | (BigInt(ol3) << 40n) | (BigInt(ol2) << 49n);
          expect(raw(m).getBigUint64(72, true)).toBe(want);
          expect(mb.txOffload(m)).toBe(want);
          expect([mb.l2Len(m), mb.l3Len(m), mb.l4Len(m), mb.tsoSegsz(m), mb.outerL2Len(m), mb.outerL3Len(m)]).toEqual([l2, l3, l4, tso, ol2, ol3]);
        },
      ),
      { numRuns: 300 },
    );
    mb.free(m);
  });

  it('sets one bit-field at a time, the others unchanged (fast-check model against setTxOffload)', () => {
    const m = pool.alloc();
    const bits = [7, 9, 8, 16, 7, 9];
    const setters = [mb.setL2Len, mb.setL3Len, mb.setL4Len, mb.setTsoSegsz, mb.setOuterL2Len, mb.setOuterL3Len];
    const getters = [mb.l2Len, mb.l3Len, mb.l4Len, mb.tsoSegsz, mb.outerL2Len, mb.outerL3Len];
    const step = fc.integer({ min: 0, max: 5 }).chain((f) => fc.tuple(fc.constant(f), fc.integer({ min: 0, max: 2 ** bits[f]! - 1 })));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const model = [0, 0, 0, 0, 0, 0];
        mb.setTxOffload(m, 0, 0, 0);
        for (const [f, v] of steps) {
          setters[f]!.call(mb, m, v);
          model[f] = v;
        }
        expect(getters.map((g) => g.call(mb, m))).toEqual(model);
        const word = mb.txOffload(m);
        mb.setTxOffload(m, model[0]!, model[1]!, model[2]!, model[3]!, model[4]!, model[5]!);
        expect(mb.txOffload(m)).toBe(word);
      }),
      { numRuns: 300 },
    );
    mb.setTxOffload(m, 1, 2, 3, 4, 5, 6);
    for (let f = 0; f < 6; f++) expect(codeOf(() => setters[f]!.call(mb, m, 2 ** bits[f]!))).toBe('EINVAL');
    expect(codeOf(() => mb.setL2Len(m, -1))).toBe('EINVAL');
    expect(getters.map((g) => g.call(mb, m))).toEqual([1, 2, 3, 4, 5, 6]);
    mb.free(m);
  });

  it('rejects a value that does not fit its field with EINVAL, the word unchanged', () => {
    const m = pool.alloc();
    mb.setTxOffload(m, 14, 20, 20, 1460);
    const before = mb.txOffload(m);
    for (const args of [
      [128, 0, 0],
      [0, 512, 0],
      [0, 0, 256],
      [0, 0, 0, 65536],
      [0, 0, 0, 0, 128],
      [0, 0, 0, 0, 0, 512],
      [-1, 0, 0],
      [1.5, 0, 0],
      [Number.NaN, 0, 0],
    ] as const) {
      expect(codeOf(() => (mb.setTxOffload as (...a: number[]) => void).call(mb, m, ...args))).toBe('EINVAL');
    }
    expect(mb.txOffload(m)).toBe(before);
    expect(mb.tsoSegsz(m)).toBe(1460);
    mb.free(m);
  });

  it('is cleared by a fresh allocation and copied by a clone (rte_pktmbuf_reset, __rte_pktmbuf_copy_hdr)', () => {
    const m = pool.alloc();
    mb.setTxOffload(m, 14, 20, 32, 1448, 14, 20);
    const c = mb.clone(m, pool);
    expect(mb.txOffload(c)).toBe(mb.txOffload(m));
    mb.reset(m);
    expect(mb.txOffload(m)).toBe(0n);
    mb.free(c);
    mb.free(m);
  });
});

describe('vlan_tci_outer, timesync, hash.fdir, private area', () => {
  it('read and write the fields at DPDK offsets', () => {
    const m = pool.alloc();
    mb.setVlanTciOuter(m, 0xbeef);
    mb.setTimesync(m, 3);
    mb.setFdirHi(m, 0xdeadbeef);
    mb.setFdirLo(m, 0x00120034);
    const v = raw(m);
    expect(v.getUint16(52, true)).toBe(0xbeef);
    expect(v.getUint16(90, true)).toBe(3);
    expect(v.getUint32(48, true)).toBe(0xdeadbeef);
    expect(v.getUint32(44, true)).toBe(0x00120034);
    expect([mb.vlanTciOuter(m), mb.timesync(m), mb.fdirHi(m), mb.fdirLo(m)]).toEqual([0xbeef, 3, 0xdeadbeef, 0x00120034]);
    // hash.fdir.lo is { uint16_t hash; uint16_t id; } and the same word as hash.rss.
    expect([mb.fdirHash(m), mb.fdirId(m), mb.hash(m)]).toEqual([0x34, 0x12, 0x00120034]);
    v.setUint16(52, 7, true);
    expect(mb.vlanTciOuter(m)).toBe(7);
    mb.free(m);
  });

  it('mbufToPriv is the address right after the header, where privSize bytes belong to the user', () => {
    const m = pool.alloc();
    expect(mb.privSize(m)).toBe(16);
    const priv = mb.mbufToPriv(m);
    expect(priv).toBe(m + MBUF_HEADER_SIZE);
    // The private area lies between the header and the buffer.
    expect(mb.bufAddr(m)).toBe(priv + 16);
    const li = Math.floor(priv / LIST_SPAN);
    eal.list(li)!.u8.fill(0x77, priv - li * LIST_SPAN, priv - li * LIST_SPAN + 16);
    expect(mb.check(m, true)).toBeNull();
    expect(mb.dataLen(m)).toBe(0);
    expect(codeOf(() => mb.mbufToPriv(-5))).toBe('EINVAL');
    expect(codeOf(() => mb.mbufToPriv(LIST_SPAN * 40))).toBe('EINVAL');
    mb.free(m);
  });
});

describe('rawAlloc / rawFree (rte_mbuf_raw_alloc, rte_mbuf_raw_free)', () => {
  it('rawAlloc gives an mbuf as it lies in the pool: no reset', () => {
    const one = PktmbufPool.create(eal, 'fp_one', 1);
    const m = one.alloc();
    mb.append(m, 40);
    mb.setPort(m, 9);
    mb.free(m);
    const r = one.rawAlloc();
    expect(r).toBe(m);
    // A free leaves the fields; rawAlloc does not reset them (alloc would).
    expect([mb.dataLen(r), mb.port(r), mb.refcnt(r), mb.nbSegs(r), mb.next(r)]).toEqual([40, 9, 1, 1, 0]);
    expect(one.rawAlloc()).toBe(0);
    one.rawFree(r);
    const a = one.alloc();
    expect([mb.dataLen(a), mb.port(a)]).toEqual([0, 0xffff]);
    mb.free(a);
  });

  it('rawFree puts a sane mbuf back, and refuses with EINVAL what DPDK asserts against', () => {
    const avail = pool.mempool.availCount();
    const m = pool.rawAlloc();
    expect(pool.mempool.availCount()).toBe(avail - 1);
    pool.rawFree(m);
    expect(pool.mempool.availCount()).toBe(avail);

    const a = pool.alloc();
    const b = pool.alloc();
    mb.refcntUpdate(a, 1);
    expect(codeOf(() => pool.rawFree(a))).toBe('EINVAL'); // refcnt 2
    mb.refcntUpdate(a, -1);
    expect(mb.chain(a, b)).toBe(0);
    expect(codeOf(() => pool.rawFree(a))).toBe('EINVAL'); // chained, nb_segs 2
    mb.free(a);
    const c = pool.alloc();
    const cl = mb.clone(c, pool);
    expect(codeOf(() => pool.rawFree(cl))).toBe('EINVAL'); // indirect
    const other = PktmbufPool.create(eal, 'fp_other', 4);
    const o = other.alloc();
    expect(codeOf(() => pool.rawFree(o))).toBe('EINVAL'); // another pool's
    expect(codeOf(() => pool.rawFree(0))).toBe('EINVAL');
    mb.freeBulk([cl, c, o]);
    expect(pool.mempool.availCount()).toBe(avail);
    expect(other.mempool.availCount()).toBe(4);
  });
});

describe('pinned external buffers (test_mbuf.c: test_pktmbuf_ext_pinned_buffer)', () => {
  const ELT = 2048;

  function extPool(n: number, areas = 2) {
    const heap = Heap.of(eal);
    const per = Math.ceil(n / areas);
    const extMem = Array.from({ length: areas }, () => ({ addr: heap.malloc(per * ELT + 100, 64), iova: -1n, len: per * ELT + 100, eltSize: ELT }));
    return { p: PktmbufPool.createExtbuf(eal, 'fp_pinned', n, 0, 8, 1500, -1, extMem), extMem };
  }

  it('points every mbuf into the areas in order, flags it EXTERNAL and the pool PINNED_EXT_BUF', () => {
    const { p, extMem } = extPool(10);
    expect(p.flags & 1).toBe(1);
    expect(p.dataRoomSize).toBe(1500);
    const bufs: number[] = [];
    p.mempool.objIter((m) => {
      bufs.push(mb.bufAddr(m));
      expect(mb.olFlags(m)).toBe(RTE_MBUF_F_EXTERNAL);
      expect(mb.hasPinnedExtbuf(m)).toBe(true);
      expect(mb.isDirect(m)).toBe(false);
      expect(mb.bufLen(m)).toBe(1500);
      expect(mb.privSize(m)).toBe(8);
      expect(mb.check(m, true)).toBeNull();
    });
    const want = extMem.flatMap((e) => [0, 1, 2, 3, 4].map((i) => e.addr + i * ELT));
    expect(bufs.sort((x, y) => x - y)).toEqual(want.sort((x, y) => x - y));
  });

  it('keeps the buffer across free and alloc, with data written and read through it', () => {
    const { p } = extPool(4);
    const m = p.alloc();
    const buf = mb.bufAddr(m);
    expect(mb.append(m, 100)).toBe(buf + 128);
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i * 5);
    expect(mb.write(m, 0, bytes)).toBe(0);
    const back = new Uint8Array(100);
    expect(mb.readInto(m, 0, 100, back)).toBe(100);
    expect([...back]).toEqual([...bytes]);
    mb.free(m);
    expect(p.mempool.availCount()).toBe(4);
    // Still pinned after the free and a reset: same buffer, still EXTERNAL.
    expect(mb.bufAddr(m)).toBe(buf);
    const again = p.rawAlloc();
    expect(mb.hasExtbuf(again)).toBe(true);
    p.rawFree(again); // a pinned external buffer may go back raw
    expect(p.mempool.availCount()).toBe(4);
  });

  it('a clone holds the pinned buffer: the mbuf returns to its pool only when the last clone is freed', () => {
    const { p } = extPool(4);
    const m = p.alloc();
    mb.append(m, 64);
    mb.write(m, 0, new Uint8Array(64).fill(0xab));
    const shinfo = raw(m).getFloat64(80, true);
    const c1 = mb.clone(m, pool);
    const c2 = mb.clone(m, pool);
    expect(mb.extRefcnt(shinfo)).toBe(3);
    expect(mb.bufAddr(c1)).toBe(mb.bufAddr(m));
    mb.free(m);
    // Clones still read the bytes; the mbuf is not back.
    expect(p.mempool.availCount()).toBe(3);
    expect(mb.extRefcnt(shinfo)).toBe(2);
    expect([...mb.data(c2)].every((x) => x === 0xab)).toBe(true);
    mb.free(c1);
    expect(p.mempool.availCount()).toBe(3);
    mb.free(c2);
    expect(p.mempool.availCount()).toBe(4);
    expect(mb.extRefcnt(shinfo)).toBe(1);
    expect(pool.mempool.availCount()).toBe(64);
    // Back as a free leaves it: one reference, EXTERNAL only, ready to allocate.
    expect([mb.refcnt(m), mb.nbSegs(m), mb.next(m), mb.olFlags(m)]).toEqual([1, 1, 0, RTE_MBUF_F_EXTERNAL]);
    const all = new Float64Array(4);
    expect(p.allocBulk(all, 4)).toBe(0);
    mb.freeBulk(all);
  });

  it('rejects bad areas with EINVAL and too little memory with ENOMEM, leaving no pool behind', () => {
    const heap = Heap.of(eal);
    const addr = heap.malloc(8 * ELT, 64);
    const ok = { addr, iova: -1n, len: 8 * ELT, eltSize: ELT };
    const bad: [unknown[], string][] = [
      [[{ ...ok, eltSize: 0 }], 'EINVAL'],
      [[{ ...ok, len: 0 }], 'EINVAL'],
      [[{ ...ok, addr: 0 }], 'EINVAL'],
      [[{ ...ok, eltSize: 1000 }], 'EINVAL'], // smaller than the data room
      [[{ ...ok, iova: 5 }], 'EINVAL'],
      [[{ ...ok, addr: LIST_SPAN * 50 }], 'EINVAL'], // not mapped
      [[null], 'EINVAL'],
      [[ok], 'ENOMEM'], // 8 buffers for 9 mbufs
      [[], 'ENOMEM'],
    ];
    for (const [extMem, code] of bad) {
      expect(codeOf(() => PktmbufPool.createExtbuf(eal, 'fp_bad', 9, 0, 0, 1500, -1, extMem as never))).toBe(code);
      expect(PktmbufPool.lookup(eal, 'fp_bad')).toBeNull();
    }
    expect(codeOf(() => PktmbufPool.createExtbuf(eal, 'fp_bad', 4, 0, 3, 1500, -1, [ok]))).toBe('EINVAL'); // privSize
    expect(PktmbufPool.createExtbuf(eal, 'fp_ok', 8, 0, 0, 1500, -1, [ok]).mempool.size).toBe(8);
  });
});
