import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Eal,
  ENOENT,
  ENOMEM,
  EOVERFLOW,
  Heap,
  LIST_SPAN,
  Mbuf,
  MBUF_DEFAULT_BUF_SIZE,
  MBUF_DEFAULT_DATAROOM,
  MBUF_F_EXTERNAL_BIT,
  MBUF_F_INDIRECT_BIT,
  MBUF_FIELD,
  MBUF_HEADER_SIZE,
  MBUF_MAX_NB_SEGS,
  MBUF_PORT_INVALID,
  Mempool,
  PKTMBUF_HEADROOM,
  PktmbufPool,
  RteError,
} from '../src/index.js';
import { DYN_NAME_LEN, DYNFIELD1_BYTES, DYNFLAG_FIRST, DYNFLAG_LAST, MAX_DYN_FIELDS, OFF_OL_FLAGS_HI, SHINFO_BYTES, SHINFO_CB } from '../src/layout.js';
import { codeOf } from '@rtemem/testkit';
import { ringOps } from './impl.js';

const MiB = 1024 * 1024;
const NB_MBUF = 128;

let eal: Eal;
let mb: Mbuf;
let pool: PktmbufPool;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
  mb = Mbuf.of(eal);
  pool = PktmbufPool.create(eal, 'test_pool', NB_MBUF, 32);
});
afterEach(() => eal.cleanup());

// Raw views onto an mbuf header, as another language would see it.
function raw(m: number): DataView {
  const li = Math.floor(m / LIST_SPAN);
  const l = eal.list(li)!;
  return new DataView(l.sab, m - li * LIST_SPAN, MBUF_HEADER_SIZE);
}

function bytesAt(addr: number, len: number): Uint8Array {
  const li = Math.floor(addr / LIST_SPAN);
  return eal.list(li)!.u8.subarray(addr - li * LIST_SPAN, addr - li * LIST_SPAN + len);
}

function pattern(len: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (i * 7 + seed) & 0xff);
}

function packetBytes(m: number): number[] {
  const out: number[] = [];
  for (let s = m; s !== 0; s = mb.next(s)) out.push(...mb.data(s));
  return out;
}

function expectPoolFull(p: PktmbufPool = pool): void {
  expect(p.mempool.availCount()).toBe(p.mempool.size);
  expect(p.mempool.inUseCount()).toBe(0);
}

describe('layout (rte_mbuf_core.h, DPDK 22.11 x86_64)', () => {
  it('has every field at its DPDK offset, and the accessors read those bytes', () => {
    expect(MBUF_FIELD).toEqual({
      bufAddr: 0,
      bufIova: 8,
      dataOff: 16,
      refcnt: 18,
      nbSegs: 20,
      port: 22,
      olFlags: 24,
      packetType: 32,
      pktLen: 36,
      dataLen: 40,
      vlanTci: 42,
      hash: 44,
      vlanTciOuter: 52,
      bufLen: 54,
      pool: 56,
      next: 64,
      txOffload: 72,
      shinfo: 80,
      privSize: 88,
      timesync: 90,
      dynfield1: 92,
    });
    expect(MBUF_HEADER_SIZE).toBe(128);
    expect(PKTMBUF_HEADROOM).toBe(128);
    expect(MBUF_DEFAULT_DATAROOM).toBe(2048);
    expect(MBUF_DEFAULT_BUF_SIZE).toBe(2048 + 128);
    const m = pool.alloc();
    const v = raw(m);
    v.setUint16(MBUF_FIELD.port, 7, true);
    v.setUint32(MBUF_FIELD.packetType, 0x11223344, true);
    v.setUint16(MBUF_FIELD.vlanTci, 0x0abc, true);
    v.setUint32(MBUF_FIELD.hash, 0xdeadbeef, true);
    v.setUint32(MBUF_FIELD.olFlags, 0x5, true);
    v.setUint32(OFF_OL_FLAGS_HI, 0x1, true);
    expect(mb.port(m)).toBe(7);
    expect(mb.packetType(m)).toBe(0x11223344);
    expect(mb.vlanTci(m)).toBe(0x0abc);
    expect(mb.hash(m)).toBe(0xdeadbeef);
    expect(mb.olFlags(m)).toBe((1n << 32n) | 5n);
    expect([mb.olFlagsLo(m), mb.olFlagsHi(m)]).toEqual([5, 1]);
    expect(mb.hasOlFlag(m, 2)).toBe(true);
    expect(mb.hasOlFlag(m, 32)).toBe(true);
    expect(mb.hasOlFlag(m, 1)).toBe(false);
    mb.setPort(m, 3);
    mb.setPacketType(m, 0x21);
    mb.setVlanTci(m, 100);
    mb.setHash(m, 0x1234);
    mb.setOlFlags(m, (1n << 40n) | 1n);
    mb.setOlFlag(m, 3);
    mb.setOlFlag(m, 0, false);
    expect(v.getUint16(MBUF_FIELD.port, true)).toBe(3);
    expect(v.getUint32(MBUF_FIELD.packetType, true)).toBe(0x21);
    expect(v.getUint16(MBUF_FIELD.vlanTci, true)).toBe(100);
    expect(v.getUint32(MBUF_FIELD.hash, true)).toBe(0x1234);
    expect(v.getBigUint64(MBUF_FIELD.olFlags, true)).toBe((1n << 40n) | 8n);
    expect(v.getUint16(MBUF_FIELD.refcnt, true)).toBe(mb.refcnt(m));
    expect(v.getUint16(MBUF_FIELD.nbSegs, true)).toBe(mb.nbSegs(m));
    expect(v.getUint16(MBUF_FIELD.bufLen, true)).toBe(mb.bufLen(m));
    expect(v.getUint16(MBUF_FIELD.dataOff, true)).toBe(mb.dataOff(m));
    expect(v.getFloat64(MBUF_FIELD.bufAddr, true)).toBe(mb.bufAddr(m));
    expect(v.getFloat64(MBUF_FIELD.pool, true)).toBe(mb.pool(m));
    mb.free(m);
  });

  it('keeps layout constants literal (so the bundler inlines them), and copies none of the EAL', () => {
    const src = readFileSync(new URL('../src/layout.ts', import.meta.url), 'utf8');
    const consts = [...src.matchAll(/^export const (\w+) = ([^;]+);/gm)];
    expect(consts.length).toBeGreaterThan(40);
    for (const [, name, value] of consts) expect(`${name} = ${value}`).toMatch(/= (-?\d+|0x[0-9a-f]+|'[^']*')$/);
    // Addresses are decoded by the EAL's ListCursor: no copy of LIST_SPAN (or its log2 / mask) or of MAX_LCORE here.
    for (const [, name] of consts) expect(name).not.toMatch(/SPAN|LCORE/);
    expect(src).not.toMatch(/1073741824|0x3fffffff/);
    // MBUF_FIELD is derived from the OFF_* constants, not written out again.
    const fields = readFileSync(new URL('../src/fields.ts', import.meta.url), 'utf8');
    const table = fields.slice(fields.indexOf('export const MBUF_FIELD'), fields.indexOf('} as const'));
    expect(table).not.toMatch(/:\s*\d/);
    const built = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8');
    expect(built).not.toMatch(/\bOFF_[A-Z_]+\b/);
  });
});

describe('PktmbufPool (test_mbuf.c: pool, drain and refill)', () => {
  it('initialises every mbuf as rte_pktmbuf_init does, and alloc resets it', () => {
    const p = PktmbufPool.create(eal, 'priv', 16, 0, 64, 1024);
    expect(p.dataRoomSize).toBe(1024);
    expect(p.privSize).toBe(64);
    expect(p.headroom).toBe(PKTMBUF_HEADROOM);
    const seen = new Set<number>();
    p.mempool.objIter((m) => {
      seen.add(m);
      expect(mb.bufAddr(m)).toBe(m + MBUF_HEADER_SIZE + 64);
      expect(mb.privSize(m)).toBe(64);
      expect(mb.bufLen(m)).toBe(1024);
      expect(mb.refcnt(m)).toBe(1);
      expect(mb.nbSegs(m)).toBe(1);
      expect(mb.next(m)).toBe(0);
      expect(mb.pool(m)).toBe(p.mempool.memzone.addr);
      expect(mb.bufIova(m)).toBe(-1n); // sab backend: no physical addresses
    });
    expect(seen.size).toBe(16);
    const m = p.alloc();
    expect(seen.has(m)).toBe(true);
    // data_off == headroom, empty, one segment, no port.
    expect(mb.dataOff(m)).toBe(PKTMBUF_HEADROOM);
    expect(mb.headroom(m)).toBe(PKTMBUF_HEADROOM);
    expect(mb.dataLen(m)).toBe(0);
    expect(mb.pktLen(m)).toBe(0);
    expect(mb.tailroom(m)).toBe(1024 - PKTMBUF_HEADROOM);
    expect(mb.port(m)).toBe(MBUF_PORT_INVALID);
    expect(mb.olFlags(m)).toBe(0n);
    expect(mb.isDirect(m)).toBe(true);
    expect(mb.check(m, true)).toBeNull();
    // Dirty it, free it, allocate it again: reset.
    mb.append(m, 100);
    mb.setPort(m, 4);
    mb.setOlFlags(m, 0xffn);
    mb.setPacketType(m, 9);
    mb.setVlanTci(m, 5);
    mb.free(m);
    const again: number[] = [];
    for (let x = p.alloc(); x !== 0; x = p.alloc()) again.push(x);
    expect(again).toContain(m);
    for (const x of again) {
      expect([mb.dataLen(x), mb.pktLen(x), mb.dataOff(x), mb.port(x), mb.packetType(x), mb.vlanTci(x)]).toEqual([0, 0, PKTMBUF_HEADROOM, MBUF_PORT_INVALID, 0, 0]);
      expect(mb.olFlags(x)).toBe(0n);
    }
    mb.freeBulk(again);
    expectPoolFull(p);
  });

  it('caps the headroom at the data room for tiny buffers', () => {
    const p = PktmbufPool.create(eal, 'tiny', 8, 0, 0, 64);
    const m = p.alloc();
    expect(mb.dataOff(m)).toBe(64);
    expect(mb.tailroom(m)).toBe(0);
    expect(mb.append(m, 1)).toBe(0);
    mb.free(m);
  });

  it('drains the pool, fails the next alloc, and refills it with no leak', () => {
    for (let round = 0; round < 3; round++) {
      const ms: number[] = [];
      for (let i = 0; i < NB_MBUF; i++) {
        const m = pool.alloc();
        expect(m).not.toBe(0);
        ms.push(m);
      }
      expect(new Set(ms).size).toBe(NB_MBUF);
      expect(pool.alloc()).toBe(0);
      expect(pool.mempool.availCount()).toBe(0);
      for (const m of ms) mb.free(m);
      expectPoolFull();
    }
  });

  it('allocBulk is all or nothing (never partial)', () => {
    const out = new Float64Array(NB_MBUF);
    expect(pool.allocBulk(out, 100)).toBe(0);
    const rest: number[] = [];
    expect(pool.allocBulk(rest, NB_MBUF - 100 + 1)).toBe(-ENOENT);
    expect(rest.length).toBe(0);
    expect(pool.mempool.availCount()).toBe(NB_MBUF - 100);
    expect(pool.allocBulk(rest, NB_MBUF - 100)).toBe(0);
    expect(pool.mempool.availCount()).toBe(0);
    mb.freeBulk(out, 100);
    mb.freeBulk(rest);
    expectPoolFull();
  });

  it('is found by name; a plain mempool is not a pktmbuf pool', () => {
    expect(PktmbufPool.lookup(eal, 'test_pool')).toBe(pool);
    expect(PktmbufPool.lookup(eal, 'nope')).toBeNull();
    Mempool.create(eal, 'plain', 64, 256, 0, 16);
    expect(PktmbufPool.lookup(eal, 'plain')).toBeNull();
  });

  it('works over every mempool driver', () => {
    for (const ops of ['ring_mp_mc', 'ring_sp_sc', 'ring_mt_rts', 'ring_mt_hts', 'stack', 'lf_stack'].map(ringOps)) {
      const p = PktmbufPool.create(eal, `p_${ops}`, 64, 8, 0, 512, undefined, ops);
      expect(p.mempool.opsName).toBe(ops);
      const out: number[] = [];
      expect(p.allocBulk(out, 64)).toBe(0);
      expect(p.alloc()).toBe(0);
      mb.freeBulk(out);
      expectPoolFull(p);
    }
  });

  it('rejects bad sizes with EINVAL and duplicate names with EEXIST, reserving nothing', () => {
    const before = JSON.stringify(Heap.of(eal).socketStats(0));
    expect(codeOf(() => PktmbufPool.create(eal, 'bad', 16, 0, 12))).toBe('EINVAL');
    expect(codeOf(() => PktmbufPool.create(eal, 'bad', 16, 0, -8))).toBe('EINVAL');
    expect(codeOf(() => PktmbufPool.create(eal, 'bad', 16, 0, 0, 70000))).toBe('EINVAL');
    expect(codeOf(() => PktmbufPool.create(eal, 'bad', 16, 0, 0, 1.5))).toBe('EINVAL');
    expect(codeOf(() => PktmbufPool.create(eal, 'bad', 16, 0, 0, 2048, undefined, 'no_such_driver'))).toBeDefined();
    expect(codeOf(() => PktmbufPool.create(eal, 'test_pool', 16))).toBe('EEXIST');
    Heap.of(eal).cacheFlush();
    expect(JSON.stringify(Heap.of(eal).socketStats(0))).toBe(before);
    expect(PktmbufPool.lookup(eal, 'bad')).toBeNull();
  });
});

describe('one mbuf (test_mbuf.c: test_one_pktmbuf)', () => {
  it('appends, prepends, adjusts and trims, and leaves the mbuf unchanged when they fail', () => {
    const m = pool.alloc();
    const hdr = mb.headroom(m);
    const room = mb.tailroom(m);
    const state = () => [mb.dataLen(m), mb.pktLen(m), mb.dataOff(m), mb.tailroom(m)];
    // Failing append: more than the tailroom.
    let s = state();
    expect(mb.append(m, room + 1)).toBe(0);
    expect(state()).toEqual(s);
    expect(mb.append(m, -1)).toBe(0);
    expect(state()).toEqual(s);
    // Append 1000.
    const tail = mb.append(m, 1000);
    expect(tail).toBe(mb.bufAddr(m) + hdr);
    expect(mb.mtod(m)).toBe(tail);
    expect([mb.dataLen(m), mb.pktLen(m)]).toEqual([1000, 1000]);
    bytesAt(tail, 1000).fill(0x66);
    // Failing prepend: more than the headroom.
    s = state();
    expect(mb.prepend(m, hdr + 1)).toBe(0);
    expect(state()).toEqual(s);
    // Prepend 14 (an Ethernet header).
    const head = mb.prepend(m, 14);
    expect(head).toBe(tail - 14);
    expect([mb.dataLen(m), mb.pktLen(m), mb.headroom(m)]).toEqual([1014, 1014, hdr - 14]);
    // Append the rest of the room, then one byte more fails.
    expect(mb.append(m, mb.tailroom(m))).not.toBe(0);
    expect(mb.tailroom(m)).toBe(0);
    s = state();
    expect(mb.append(m, 1)).toBe(0);
    expect(state()).toEqual(s);
    // adj: failing (more than data_len), then 14 bytes.
    const len = mb.dataLen(m);
    expect(mb.adj(m, len + 1)).toBe(0);
    expect(state()).toEqual(s);
    expect(mb.adj(m, 14)).toBe(tail);
    expect([mb.dataLen(m), mb.pktLen(m), mb.dataOff(m)]).toEqual([len - 14, len - 14, hdr]);
    // trim: failing, then everything.
    s = state();
    expect(mb.trim(m, len)).toBe(-1);
    expect(state()).toEqual(s);
    expect(mb.trim(m, len - 14)).toBe(0);
    expect([mb.dataLen(m), mb.pktLen(m)]).toEqual([0, 0]);
    expect(mb.check(m, true)).toBeNull();
    mb.free(m);
    expectPoolFull();
  });

  it('reads a view inside a segment, writes bytes, and refuses out-of-range reads and writes', () => {
    const m = pool.alloc();
    mb.append(m, 200);
    const src = pattern(64, 3);
    expect(mb.write(m, 10, src)).toBe(0);
    const v = mb.read(m, 10, 64)!;
    expect([...v]).toEqual([...src]);
    // A view onto the segment, not a copy.
    expect(v.buffer).toBe(eal.list(Math.floor(m / LIST_SPAN))!.sab);
    expect(mb.read(m, 150, 51)).toBeNull();
    expect(mb.read(m, -1, 1)).toBeNull();
    expect(mb.write(m, 190, pattern(11))).toBe(-1);
    expect(mb.write(m, -1, pattern(1))).toBe(-1);
    expect(mb.read(m, 10, 64)![0]).toBe(src[0]);
    expect([...mb.data(m).subarray(10, 74)]).toEqual([...src]);
    mb.free(m);
  });

  it('counts references atomically; free with refcnt > 1 only drops one', () => {
    const m = pool.alloc();
    expect(mb.refcnt(m)).toBe(1);
    expect(mb.refcntUpdate(m, 2)).toBe(3);
    mb.free(m);
    mb.free(m);
    expect(mb.refcnt(m)).toBe(1);
    expect(pool.mempool.inUseCount()).toBe(1);
    mb.free(m);
    expectPoolFull();
    mb.free(0); // free(NULL) is a no-op
    // In the pool every mbuf has refcnt 1 (as DPDK keeps them).
    pool.mempool.objIter((x) => expect(mb.refcnt(x)).toBe(1));
  });
});

describe('chains (test_mbuf.c: chain, split, nb_segs and next reset)', () => {
  function chainOf(lens: number[], p: PktmbufPool = pool): number {
    let head = 0;
    for (const [i, len] of lens.entries()) {
      const m = p.alloc();
      expect(m).not.toBe(0);
      mb.append(m, len);
      bytesAt(mb.mtod(m), len).set(pattern(len, i * 31));
      if (head === 0) head = m;
      else expect(mb.chain(head, m)).toBe(0);
    }
    return head;
  }

  it('chains segments, appends/trims at the last one, frees every segment', () => {
    const head = chainOf([100, 200, 300]);
    expect(mb.nbSegs(head)).toBe(3);
    expect(mb.pktLen(head)).toBe(600);
    expect(mb.dataLen(head)).toBe(100);
    const last = mb.lastseg(head);
    expect(mb.next(last)).toBe(0);
    expect(mb.dataLen(last)).toBe(300);
    expect(mb.check(head, true)).toBeNull();
    // append/trim work on the last segment, pkt_len on the head.
    expect(mb.append(head, 10)).toBe(mb.mtod(last) + 300);
    expect([mb.pktLen(head), mb.dataLen(last)]).toEqual([610, 310]);
    expect(mb.trim(head, 310)).toBe(0);
    expect(mb.trim(head, 1)).toBe(-1); // only the last segment's bytes can go
    expect(mb.pktLen(head)).toBe(300);
    mb.trim(head, 0);
    expect(pool.mempool.inUseCount()).toBe(3);
    mb.free(head);
    expectPoolFull();
  });

  it('resets next and nb_segs of every mbuf that goes back, even from a hand-split chain', () => {
    const m0 = chainOf([10, 10, 10]);
    const m1 = mb.next(m0);
    const m2 = mb.next(m1);
    // Split between m1 and m2 as test_nb_segs_and_next_reset does.
    const v0 = raw(m0);
    v0.setUint16(MBUF_FIELD.nbSegs, 2, true);
    v0.setUint32(MBUF_FIELD.pktLen, 20, true);
    raw(m1).setFloat64(MBUF_FIELD.next, 0, true);
    raw(m2).setUint16(MBUF_FIELD.nbSegs, 1, true);
    raw(m2).setUint32(MBUF_FIELD.pktLen, 10, true);
    expect(mb.check(m0, true)).toBeNull();
    expect(mb.check(m2, true)).toBeNull();
    mb.free(m0);
    mb.free(m2);
    // Raw gets (no reset): next and nb_segs were reset on the way in.
    const all: number[] = [];
    for (let m = pool.mempool.get(); m !== 0; m = pool.mempool.get()) all.push(m);
    expect(all).toEqual(expect.arrayContaining([m0, m1, m2]));
    for (const m of all) expect([mb.next(m), mb.nbSegs(m)]).toEqual([0, 1]);
    pool.mempool.putBulk(all);
    expectPoolFull();
  });

  it('says -EOVERFLOW (changing nothing) past 65535 segments', () => {
    const head = chainOf([1, 1]);
    const tail = chainOf([1]);
    raw(head).setUint16(MBUF_FIELD.nbSegs, MBUF_MAX_NB_SEGS - 1 + 1, true);
    expect(mb.chain(head, tail)).toBe(-EOVERFLOW);
    expect(mb.next(mb.next(head))).toBe(0);
    expect(mb.pktLen(head)).toBe(2);
    raw(head).setUint16(MBUF_FIELD.nbSegs, 2, true);
    expect(mb.chain(head, tail)).toBe(0);
    expect(mb.nbSegs(head)).toBe(3);
    mb.free(head);
    expectPoolFull();
  });

  it('readInto copies any range across segments into the caller\'s array (no allocation), -1 past pkt_len', () => {
    const head = chainOf([100, 50, 100]);
    const whole = packetBytes(head);
    const dst = new Uint8Array(256).fill(0xaa);
    for (const [off, len] of [[0, 250], [110, 30], [90, 80], [99, 2], [150, 100], [249, 1], [0, 0]] as const) {
      expect(mb.readInto(head, off, len, dst)).toBe(len);
      expect([...dst.subarray(0, len)]).toEqual(whole.slice(off, off + len));
    }
    dst.fill(0xaa);
    expect(mb.readInto(head, 200, 51, dst)).toBe(-1);
    expect(mb.readInto(head, -1, 1, dst)).toBe(-1);
    expect(mb.readInto(head, 0.5, 1, dst)).toBe(-1);
    expect(dst.every((b) => b === 0xaa)).toBe(true);
    expect(codeOf(() => mb.readInto(head, 0, 30, new Uint8Array(29)))).toBe('EINVAL');
    expect(codeOf(() => mb.readInto(head, 0, 3, [1, 2, 3] as unknown as Uint8Array))).toBe('EINVAL');
    // bufView + dataIndex: the same bytes as data(), segment by segment, without a view per call.
    for (let seg = head; seg !== 0; seg = mb.next(seg)) {
      const u8 = mb.bufView(seg);
      const at = mb.dataIndex(seg);
      expect([...u8.subarray(at, at + mb.dataLen(seg))]).toEqual([...mb.data(seg)]);
      expect(mb.dataIndex(seg, 7)).toBe(at + 7);
      expect(u8.buffer).toBe(mb.data(seg).buffer);
    }
    mb.free(head);
    expectPoolFull();
  });

  it('reads and writes across segments, using the scratch buffer only when the bytes span two', () => {
    const head = chainOf([100, 50, 100]);
    const whole = packetBytes(head);
    const scratch = new Uint8Array(256);
    const inOne = mb.read(head, 110, 30, scratch)!;
    expect(inOne.buffer).not.toBe(scratch.buffer);
    expect([...inOne]).toEqual(whole.slice(110, 140));
    const spanning = mb.read(head, 90, 80, scratch)!;
    expect(spanning.buffer).toBe(scratch.buffer);
    expect([...spanning]).toEqual(whole.slice(90, 170));
    // Without a scratch buffer a fresh array is made.
    expect([...mb.read(head, 0, 250)!]).toEqual(whole);
    expect(mb.read(head, 200, 51)).toBeNull();
    // Write across all three segments.
    const src = pattern(200, 99);
    expect(mb.write(head, 25, src)).toBe(0);
    const after = packetBytes(head);
    expect(after.slice(25, 225)).toEqual([...src]);
    expect(after.slice(0, 25)).toEqual(whole.slice(0, 25));
    expect(after.slice(225)).toEqual(whole.slice(225));
    expect(mb.write(head, 240, pattern(11))).toBe(-1);
    mb.free(head);
    expectPoolFull();
  });

  it('linearizes a chain into its first segment, or fails unchanged without room', () => {
    const head = chainOf([100, 200, 300]);
    const whole = packetBytes(head);
    expect(mb.linearize(head)).toBe(0);
    expect([mb.nbSegs(head), mb.next(head), mb.dataLen(head), mb.pktLen(head)]).toEqual([1, 0, 600, 600]);
    expect(packetBytes(head)).toEqual(whole);
    expect(pool.mempool.inUseCount()).toBe(1);
    mb.free(head);
    const big = chainOf([2000, 2000]);
    const bigBytes = packetBytes(big);
    expect(mb.linearize(big)).toBe(-ENOMEM);
    expect(mb.nbSegs(big)).toBe(2);
    expect(packetBytes(big)).toEqual(bigBytes);
    mb.free(big);
    expectPoolFull();
  });
});

describe('clones and copies (test_mbuf.c: test_pktmbuf_clone, test_pktmbuf_copy)', () => {
  it('clones: refcnt 2 after one clone, 3 after cloning the clone; data shared; frees give everything back', () => {
    const clonePool = PktmbufPool.create(eal, 'clones', 32, 0, 0, 0);
    const m = pool.alloc();
    mb.append(m, 64);
    mb.write(m, 0, pattern(64));
    mb.setPort(m, 2);
    mb.setHash(m, 0xabcd);
    const c1 = mb.clone(m, clonePool);
    expect(c1).not.toBe(0);
    expect(mb.refcnt(m)).toBe(2);
    expect(mb.isIndirect(c1)).toBe(true);
    expect(mb.isDirect(c1)).toBe(false);
    expect(mb.hasOlFlag(c1, MBUF_F_INDIRECT_BIT)).toBe(true);
    expect(mb.mtod(c1)).toBe(mb.mtod(m));
    expect([mb.pktLen(c1), mb.dataLen(c1), mb.port(c1), mb.hash(c1)]).toEqual([64, 64, 2, 0xabcd]);
    const c2 = mb.clone(c1, clonePool);
    expect(mb.refcnt(m)).toBe(3); // the clone of a clone references the direct mbuf
    expect(mb.refcnt(c1)).toBe(1);
    expect(mb.mtod(c2)).toBe(mb.mtod(m));
    // One buffer: a write through the original shows in the clones.
    mb.write(m, 0, Uint8Array.of(0xee));
    expect(mb.read(c2, 0, 1)![0]).toBe(0xee);
    expect(mb.check(c1, true)).toBeNull();
    // A copy of a clone is a direct mbuf with its own bytes.
    const cp = mb.copy(c2, pool);
    expect(mb.isDirect(cp)).toBe(true);
    expect(mb.mtod(cp)).not.toBe(mb.mtod(m));
    expect(packetBytes(cp)).toEqual(packetBytes(m));
    expect([mb.port(cp), mb.hash(cp)]).toEqual([2, 0xabcd]);
    expect(mb.refcnt(m)).toBe(3);
    mb.free(m);
    expect(mb.refcnt(m)).toBe(2);
    expect(pool.mempool.inUseCount()).toBe(2); // m (held by clones) and cp
    mb.free(c1);
    expect(mb.refcnt(m)).toBe(1);
    mb.free(c2);
    mb.free(cp);
    expectPoolFull();
    expectPoolFull(clonePool);
    // A freed clone comes back as a direct mbuf with its own buffer.
    const again = clonePool.alloc();
    expect(mb.isDirect(again)).toBe(true);
    expect(mb.bufAddr(again)).toBe(again + MBUF_HEADER_SIZE);
    expect(mb.bufLen(again)).toBe(0);
    mb.free(again);
  });

  it('clones a chain segment by segment, and fails without leaking when the pool runs dry', () => {
    const small = PktmbufPool.create(eal, 'small', 2, 0, 0, 0);
    const head = pool.alloc();
    mb.append(head, 10);
    for (let i = 0; i < 2; i++) {
      const s = pool.alloc();
      mb.append(s, 20);
      mb.chain(head, s);
    }
    expect(mb.clone(head, small)).toBe(0); // needs 3
    expectPoolFull(small);
    for (let s = head; s !== 0; s = mb.next(s)) expect(mb.refcnt(s)).toBe(1);
    const big = PktmbufPool.create(eal, 'big', 8, 0, 0, 0);
    const c = mb.clone(head, big);
    expect([mb.nbSegs(c), mb.pktLen(c)]).toEqual([3, 50]);
    expect(mb.check(c, true)).toBeNull();
    expect(packetBytes(c)).toEqual(packetBytes(head));
    for (let s = head; s !== 0; s = mb.next(s)) expect(mb.refcnt(s)).toBe(2);
    mb.free(head);
    mb.free(c);
    expectPoolFull();
    expectPoolFull(big);
  });

  it('copies a range across segments into chained direct mbufs', () => {
    const head = pool.alloc();
    mb.append(head, 1500);
    const s = pool.alloc();
    mb.append(s, 1500);
    mb.chain(head, s);
    mb.write(head, 0, pattern(3000, 5));
    const whole = packetBytes(head);
    const cp = mb.copy(head, pool, 500, 4000);
    expect(mb.pktLen(cp)).toBe(2500); // clamped at the end of the data
    expect(mb.nbSegs(cp)).toBe(2); // 2048 bytes of room per mbuf
    expect(mb.dataLen(cp)).toBe(MBUF_DEFAULT_DATAROOM);
    expect(packetBytes(cp)).toEqual(whole.slice(500));
    expect(mb.check(cp, true)).toBeNull();
    expect(mb.copy(head, pool, 3000)).toBe(0);
    const part = mb.copy(head, pool, 10, 20);
    expect(packetBytes(part)).toEqual(whole.slice(10, 30));
    mb.freeBulk([head, cp, part]);
    expectPoolFull();
  });
});

describe('external buffers (test_mbuf.c: test_pktmbuf_ext_shinfo_init_helper)', () => {
  it('shares one external buffer; its free callback runs exactly once, on the last reference', () => {
    const heap = Heap.of(eal);
    const ext = heap.malloc(4096, 64);
    const calls: [number, number][] = [];
    const r = mb.extbufInitShinfo(ext, 4096, (addr, opaque) => calls.push([addr, opaque]), 42)!;
    expect(r.bufLen).toBeLessThan(4096);
    expect(r.shinfo).toBeGreaterThanOrEqual(ext + r.bufLen);
    expect(mb.extRefcnt(r.shinfo)).toBe(1);
    const m = pool.alloc();
    const ownBuf = mb.bufAddr(m);
    mb.attachExtbuf(m, ext, -1n, r.bufLen, r.shinfo);
    expect(mb.hasExtbuf(m)).toBe(true);
    expect(mb.hasOlFlag(m, MBUF_F_EXTERNAL_BIT)).toBe(true);
    expect(mb.isDirect(m)).toBe(false);
    expect(mb.bufAddr(m)).toBe(ext);
    expect(mb.append(m, 1000)).toBe(ext);
    mb.write(m, 0, pattern(1000));
    expect([...bytesAt(ext, 10)]).toEqual([...pattern(10)]);
    const clones = [mb.clone(m, pool), mb.clone(m, pool)];
    expect(mb.extRefcnt(r.shinfo)).toBe(3);
    expect(mb.refcnt(m)).toBe(1); // clones reference the shared info, not m
    expect(mb.mtod(clones[0]!)).toBe(ext);
    mb.free(m);
    expect(calls).toEqual([]);
    mb.free(clones[0]!);
    expect(calls).toEqual([]);
    mb.free(clones[1]!);
    expect(calls).toEqual([[ext, 42]]);
    expectPoolFull();
    // The mbuf has its own buffer back.
    pool.mempool.objIter((x) => {
      if (x === m) {
        expect(mb.bufAddr(x)).toBe(ownBuf);
        expect(mb.hasExtbuf(x)).toBe(false);
      }
    });
    heap.free(ext);
  });

  it('refuses a buffer too small for the shared info, and bad attach arguments', () => {
    const ext = Heap.of(eal).malloc(64);
    expect(mb.extbufInitShinfo(ext, 8, () => {}, 0)).toBeNull();
    expect(codeOf(() => mb.extbufInitShinfo(ext, 64, 'nope' as never, 0))).toBe('EINVAL');
    const r = mb.extbufInitShinfo(ext, 64, () => {}, 0)!;
    const m = pool.alloc();
    expect(codeOf(() => mb.attachExtbuf(m, ext, -1n, 70000, r.shinfo))).toBe('EINVAL');
    mb.refcntUpdate(m, 1);
    expect(codeOf(() => mb.attachExtbuf(m, ext, -1n, r.bufLen, r.shinfo))).toBe('EINVAL');
    mb.refcntSet(m, 1);
    mb.free(m);
    expectPoolFull();
  });

  it('says ENOENT when the last reference drops in a thread without the callback, yet gives the mbuf back', () => {
    const ext = Heap.of(eal).malloc(2048);
    const r = mb.extbufInitShinfo(ext, 2048, () => {}, 0)!;
    const m = pool.alloc();
    mb.attachExtbuf(m, ext, -1n, r.bufLen, r.shinfo);
    // Another EAL handle onto the same memory stands in for another thread.
    const other = Eal.attach(eal.workerData());
    try {
      const mb2 = Mbuf.of(other);
      const shinfoWord = new DataView(eal.list(Math.floor(r.shinfo / LIST_SPAN))!.sab, r.shinfo - Math.floor(r.shinfo / LIST_SPAN) * LIST_SPAN, SHINFO_BYTES);
      shinfoWord.setUint32(SHINFO_CB, 0xfffffff0, true); // an id nobody registered
      expect(codeOf(() => mb2.free(m))).toBe('ENOENT');
      expect(mb.extRefcnt(r.shinfo)).toBe(0);
      expectPoolFull();
      expect(mb.hasExtbuf(m)).toBe(false);
    } finally {
      other.cleanup();
    }
  });
});

describe('sanity checks (test_mbuf.c: test_mbuf_validate_tx_offload, test_failing_mbuf_sanity_check)', () => {
  it('names the reason for each kind of damage', () => {
    const m = pool.alloc();
    mb.append(m, 100);
    expect(mb.check(m, true)).toBeNull();
    expect(mb.check(0, true)).toBe('mbuf is NULL');
    expect(mb.check(5 * LIST_SPAN + 64, true)).toBe('bad mbuf address');
    const v = raw(m);
    const damage = (field: number, set: (v: DataView) => void, reason: string, isHeader = true) => {
      const saved = new Uint8Array(MBUF_HEADER_SIZE);
      saved.set(new Uint8Array(v.buffer, v.byteOffset, MBUF_HEADER_SIZE));
      set(v);
      expect(mb.check(m, isHeader), `field at ${field}`).toBe(reason);
      const err = (() => {
        try {
          mb.sanityCheck(m, isHeader);
        } catch (e) {
          return e as RteError;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(RteError);
      expect(err!.code).toBe('EINVAL');
      expect(err!.message).toContain(reason);
      new Uint8Array(v.buffer, v.byteOffset, MBUF_HEADER_SIZE).set(saved);
      expect(mb.check(m, true)).toBeNull();
    };
    damage(MBUF_FIELD.pool, (d) => d.setFloat64(MBUF_FIELD.pool, 12345, true), 'bad mbuf pool');
    damage(MBUF_FIELD.bufAddr, (d) => d.setFloat64(MBUF_FIELD.bufAddr, 0, true), 'bad virt addr');
    damage(MBUF_FIELD.refcnt, (d) => d.setUint16(MBUF_FIELD.refcnt, 0, true), 'bad ref cnt', false);
    damage(MBUF_FIELD.dataLen, (d) => d.setUint16(MBUF_FIELD.dataLen, 101, true), 'bad data_len');
    damage(MBUF_FIELD.nbSegs, (d) => d.setUint16(MBUF_FIELD.nbSegs, 2, true), 'bad nb_segs');
    damage(MBUF_FIELD.pktLen, (d) => d.setUint32(MBUF_FIELD.pktLen, 200, true), 'bad pkt_len');
    damage(MBUF_FIELD.dataOff, (d) => d.setUint16(MBUF_FIELD.dataOff, 5000, true), 'data offset too big in mbuf segment');
    damage(MBUF_FIELD.dataOff, (d) => d.setUint16(MBUF_FIELD.dataOff, 2100, true), 'data length too big in mbuf segment');
    // Not a header: segment-level checks only.
    v.setUint16(MBUF_FIELD.nbSegs, 9, true);
    expect(mb.check(m, false)).toBeNull();
    expect(mb.check(m, true)).toBe('bad nb_segs');
    v.setUint16(MBUF_FIELD.nbSegs, 1, true);
    mb.free(m);
    expectPoolFull();
  });

  it('dumps in DPDK\'s format', () => {
    const m = pool.alloc();
    mb.append(m, 40);
    mb.write(m, 0, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n!!!'));
    mb.setPort(m, 1);
    const s = mb.dump(m, 32);
    const lines = s.split('\n');
    expect(lines[0]).toBe(`dump mbuf at 0x${m.toString(16)}, iova=BAD_IOVA, buf_len=${MBUF_DEFAULT_BUF_SIZE}`);
    expect(lines[1]).toBe('  pkt_len=40, ol_flags=0x0, nb_segs=1, port=1, ptype=0x0');
    expect(lines[2]).toBe(`  segment at 0x${m.toString(16)}, data=0x${mb.mtod(m).toString(16)}, len=40, off=${PKTMBUF_HEADROOM}, refcnt=1`);
    expect(lines[3]).toBe(`  dump data at [0x${mb.mtod(m).toString(16)}], len=32`);
    expect(lines[4]).toBe('00000000: 47 45 54 20 2F 20 48 54 54 50 2F 31 2E 31 0D 0A | GET / HTTP/1.1..');
    expect(lines.length).toBe(6);
    expect(mb.dump(m).split('\n').length).toBe(3);
    mb.free(m);
  });
});

describe('dynamic fields and flags (test_mbuf.c: test_mbuf_dyn)', () => {
  it('registers fields inside dynfield1, aligned, idempotently; EEXIST on a clash; ENOSPC when full', () => {
    const a = mb.dynfieldRegister('test-dynfield', 4, 4);
    expect(a).toBeGreaterThanOrEqual(MBUF_FIELD.dynfield1);
    expect(a % 4).toBe(0);
    expect(a + 4).toBeLessThanOrEqual(MBUF_FIELD.dynfield1 + DYNFIELD1_BYTES);
    expect(mb.dynfieldRegister('test-dynfield', 4, 4)).toBe(a);
    expect(mb.dynfieldLookup('test-dynfield')).toBe(a);
    expect(mb.dynfieldLookup('absent')).toBe(-1);
    expect(codeOf(() => mb.dynfieldRegister('test-dynfield', 8, 8))).toBe('EEXIST');
    const b = mb.dynfieldRegister('test-dynfield2', 8, 8);
    expect(b % 8).toBe(0);
    expect(b >= a + 4 || b + 8 <= a).toBe(true);
    // Bad input.
    expect(codeOf(() => mb.dynfieldRegister('', 4, 4))).toBe('EINVAL');
    expect(codeOf(() => mb.dynfieldRegister('x'.repeat(DYN_NAME_LEN), 4, 4))).toBe('ENAMETOOLONG');
    expect(codeOf(() => mb.dynfieldRegister('odd-align', 4, 3))).toBe('EINVAL');
    expect(codeOf(() => mb.dynfieldRegister('too-big', 100, 1))).toBe('EINVAL');
    // Fill the rest one byte at a time: 36 - 12 bytes left, then ENOSPC.
    let n = 0;
    for (;;) {
      try {
        const off = mb.dynfieldRegister(`byte-${n}`, 1, 1);
        expect(off).toBeGreaterThanOrEqual(MBUF_FIELD.dynfield1);
        n++;
      } catch (e) {
        expect((e as RteError).code).toBe('ENOSPC');
        break;
      }
    }
    expect(n).toBe(36 - 12);
    expect(n).toBeLessThan(MAX_DYN_FIELDS);
    // Values written through the field survive a clone's header copy.
    const m = pool.alloc();
    raw(m).setUint32(a, 0xc0ffee, true);
    const c = mb.clone(m, pool);
    expect(raw(c).getUint32(a, true)).toBe(0xc0ffee);
    mb.freeBulk([c, m]);
  });

  it('registers flags in the free bits (23..40), idempotently; ENOSPC when full', () => {
    const f = mb.dynflagRegister('test-dynflag');
    expect(f).toBeGreaterThanOrEqual(DYNFLAG_FIRST);
    expect(f).toBeLessThanOrEqual(DYNFLAG_LAST);
    expect(mb.dynflagRegister('test-dynflag')).toBe(f);
    expect(mb.dynflagLookup('test-dynflag')).toBe(f);
    expect(mb.dynflagLookup('nope')).toBe(-1);
    const bits = new Set([f]);
    for (let i = 0; ; i++) {
      try {
        bits.add(mb.dynflagRegister(`flag-${i}`));
      } catch (e) {
        expect((e as RteError).code).toBe('ENOSPC');
        break;
      }
    }
    expect(bits.size).toBe(DYNFLAG_LAST - DYNFLAG_FIRST + 1);
    const m = pool.alloc();
    mb.setOlFlag(m, f);
    expect(mb.hasOlFlag(m, f)).toBe(true);
    expect(mb.olFlags(m)).toBe(1n << BigInt(f));
    mb.free(m);
  });
});

describe('bad input', () => {
  it('says EINVAL for addresses that are not mapped mbufs, and never touches shared state', () => {
    const before = pool.mempool.availCount();
    for (const bad of [Number.NaN, -1, 7 * LIST_SPAN, 1e300]) {
      expect(codeOf(() => mb.free(bad))).toBe('EINVAL');
      expect(codeOf(() => mb.dataLen(bad))).toBe('EINVAL');
    }
    const m = pool.alloc();
    const other = pool.alloc();
    mb.refcntUpdate(other, 1);
    expect(codeOf(() => mb.attach(other, m))).toBe('EINVAL');
    mb.refcntSet(other, 1);
    const c = mb.clone(m, pool);
    expect(codeOf(() => mb.attach(c, m))).toBe('EINVAL'); // indirect already
    expect(mb.append(m, Number.NaN)).toBe(0);
    expect(mb.prepend(m, Number.NaN)).toBe(0);
    expect(mb.adj(m, -5)).toBe(0);
    expect(mb.trim(m, Number.NaN)).toBe(-1);
    expect(mb.pktLen(m)).toBe(0);
    mb.freeBulk([m, other, c]);
    expect(pool.mempool.availCount()).toBe(before);
  });

  it('refuses addresses past the end of a mapped list, odd lengths, foreign memory and non-bigint flags, leaving everything as it was', () => {
    const before = pool.mempool.availCount();
    const m = pool.alloc();
    expect(mb.append(m, 10)).not.toBe(0);
    const list = eal.listOf(m)!;
    // Inside the list's address span but past its mapped bytes (the last header would not fit).
    const pastEnd = list.baseAddr + list.u8.byteLength - 64;
    for (const f of [() => mb.dataLen(pastEnd), () => mb.refcnt(pastEnd), () => mb.free(pastEnd), () => mb.freeBulk([pastEnd]), () => mb.append(pastEnd, 1)]) {
      expect(codeOf(f)).toBe('EINVAL');
    }
    // freeBulk frees what comes before a bad address, once, and leaves the rest.
    const batch = [pool.alloc(), pool.alloc(), pastEnd, pool.alloc()];
    const mid = pool.mempool.availCount();
    expect(codeOf(() => mb.freeBulk(batch))).toBe('EINVAL');
    expect(pool.mempool.availCount()).toBe(mid + 2);
    expect(mb.refcnt(batch[3]!)).toBe(1);
    mb.freeBulk([batch[3]!]); // nothing of the failed call is put again with it
    expect(pool.mempool.availCount()).toBe(mid + 3);
    pool.mempool.audit();
    // Lengths and offsets that are not whole numbers change nothing.
    expect(mb.append(m, 0.5)).toBe(0);
    expect(mb.prepend(m, 1e-6)).toBe(0);
    expect(mb.adj(m, 2.5)).toBe(0);
    expect(mb.trim(m, 0.25)).toBe(-1);
    expect(mb.read(m, 0.5, 2)).toBeNull();
    expect(mb.write(m, 1.5, new Uint8Array(2))).toBe(-1);
    expect([mb.dataLen(m), mb.pktLen(m), mb.headroom(m)]).toEqual([10, 10, PKTMBUF_HEADROOM]);
    expect(codeOf(() => mb.setOlFlags(m, 5 as unknown as bigint))).toBe('EINVAL');
    expect(mb.olFlags(m)).toBe(0n);
    // Zeroed memory of the list is no mbuf: chain, clone, copy and attach refuse it before taking or changing anything.
    const heap = Heap.of(eal);
    const junk = heap.malloc(4096, 64);
    expect(codeOf(() => mb.chain(m, junk))).toBe('EINVAL');
    expect(codeOf(() => mb.chain(junk, m))).toBe('EINVAL');
    expect(codeOf(() => mb.clone(junk, pool))).toBe('EINVAL');
    expect(codeOf(() => mb.copy(junk, pool))).toBe('EINVAL');
    const mi = pool.alloc();
    expect(codeOf(() => mb.attach(mi, junk + 128))).toBe('EINVAL');
    expect(mb.isDirect(mi)).toBe(true);
    expect([mb.nbSegs(m), mb.next(m), mb.pktLen(m)]).toEqual([1, 0, 10]);
    // An external buffer with a bad iova or unaligned shared info is refused before the mbuf changes.
    expect(codeOf(() => mb.attachExtbuf(mi, junk, 'x' as unknown as bigint, 1024, junk + 2048))).toBe('EINVAL');
    expect(codeOf(() => mb.attachExtbuf(mi, junk, -1n, 1024, junk + 2049))).toBe('EINVAL');
    expect(codeOf(() => mb.extRefcnt(junk + 3))).toBe('EINVAL');
    expect(mb.hasExtbuf(mi)).toBe(false);
    expect(mb.check(mi, true)).toBeNull();
    heap.free(junk);
    mb.freeBulk([m, mi]);
    expect(pool.mempool.availCount()).toBe(before);
  });

  it('keeps every invariant under random append/prepend/adj/trim/chain sequences (fast-check model)', () => {
    const roomOf = MBUF_DEFAULT_BUF_SIZE - PKTMBUF_HEADROOM;
    const op = fc.oneof(
      fc.record({ k: fc.constant('append' as const), n: fc.integer({ min: -2, max: 2200 }) }),
      fc.record({ k: fc.constant('prepend' as const), n: fc.integer({ min: -2, max: 200 }) }),
      fc.record({ k: fc.constant('adj' as const), n: fc.integer({ min: -2, max: 2200 }) }),
      fc.record({ k: fc.constant('trim' as const), n: fc.integer({ min: -2, max: 2200 }) }),
      fc.record({ k: fc.constant('chain' as const), n: fc.integer({ min: 0, max: 2000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const head = pool.alloc();
        // Model: per segment [dataOff, dataLen].
        const segs: [number, number][] = [[PKTMBUF_HEADROOM, 0]];
        const pkt = () => segs.reduce((a, s) => a + s[1], 0);
        for (const { k, n } of ops) {
          const last = segs[segs.length - 1]!;
          if (k === 'append') {
            const ok = n >= 0 && n <= roomOf + PKTMBUF_HEADROOM - last[0] - last[1];
            expect(mb.append(head, n) !== 0).toBe(ok);
            if (ok) last[1] += n;
          } else if (k === 'prepend') {
            const ok = n >= 0 && n <= segs[0]![0];
            expect(mb.prepend(head, n) !== 0).toBe(ok);
            if (ok) {
              segs[0]![0] -= n;
              segs[0]![1] += n;
            }
          } else if (k === 'adj') {
            const ok = n >= 0 && n <= segs[0]![1];
            expect(mb.adj(head, n) !== 0).toBe(ok);
            if (ok) {
              segs[0]![0] += n;
              segs[0]![1] -= n;
            }
          } else if (k === 'trim') {
            const ok = n >= 0 && n <= last[1];
            expect(mb.trim(head, n)).toBe(ok ? 0 : -1);
            if (ok) last[1] -= n;
          } else {
            const t = pool.alloc();
            if (t === 0) continue;
            mb.append(t, n);
            expect(mb.chain(head, t)).toBe(0);
            segs.push([PKTMBUF_HEADROOM, n]);
          }
          expect(mb.check(head, true)).toBeNull();
          expect(mb.pktLen(head)).toBe(pkt());
          expect(mb.nbSegs(head)).toBe(segs.length);
          let s = head;
          for (const [off, len] of segs) {
            expect([mb.dataOff(s), mb.dataLen(s)]).toEqual([off, len]);
            s = mb.next(s);
          }
        }
        mb.free(head);
        expectPoolFull();
      }),
      { numRuns: 150 },
    );
  });
});

describe('the README example', () => {
  it('runs', () => {
    const e = Eal.init({ backend: 'sab', memory: 32 << 20 });
    try {
      const p = PktmbufPool.create(e, 'rx', 4096, 256);
      const m2 = Mbuf.of(e);
      const m = p.alloc();
      const at = m2.append(m, 4);
      expect(at).toBe(m2.mtod(m));
      expect(m2.write(m, 0, Uint8Array.of(1, 2, 3, 4))).toBe(0);
      expect(m2.pktLen(m)).toBe(4);
      expect([...m2.read(m, 0, 4)!]).toEqual([1, 2, 3, 4]);
      m2.free(m);
      expect(p.mempool.isFull()).toBe(true);
    } finally {
      e.cleanup();
    }
  });
});
