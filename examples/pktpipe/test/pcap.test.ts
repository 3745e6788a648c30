import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePcap, PcapError, PcapWriter, readPcap, writePcapFile } from '../lib/pcap.mjs';
import { describeTshark, tsharkFields } from './tshark.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The sample captures live next to the repository (../shared/data/pcap); RTEMEM_PCAP_DIR points elsewhere.
const PCAP_DIR = process.env.RTEMEM_PCAP_DIR ?? resolve(repoRoot, '../shared/data/pcap');
const dir = mkdtempSync(join(tmpdir(), 'pktpipe-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packets of assorted sizes with distinct contents. */
function samplePackets(n: number): { data: Uint8Array; sec: number; frac: number; origLen: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const len = [60, 1514, 14, 9000, 300][i % 5]!;
    const data = new Uint8Array(len);
    for (let k = 0; k < len; k++) data[k] = (k * 31 + i * 7) & 0xff;
    return { data, sec: 1_700_000_000 + i, frac: (i * 123_457) % 1_000_000, origLen: i % 3 === 0 ? len + 100 : len };
  });
}

/** A pcap built byte by byte (not with the writer), in either byte order and unit. */
function handMade(littleEndian: boolean, nanos: boolean, packets: { data: Uint8Array; sec: number; frac: number }[]): Uint8Array {
  const size = 24 + packets.reduce((a, p) => a + 16 + p.data.length, 0);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  dv.setUint16(4, 2, littleEndian);
  dv.setUint16(6, 4, littleEndian);
  dv.setUint32(16, 65535, littleEndian);
  dv.setUint32(20, 1, littleEndian);
  let at = 24;
  for (const p of packets) {
    dv.setUint32(at, p.sec, littleEndian);
    dv.setUint32(at + 4, p.frac, littleEndian);
    dv.setUint32(at + 8, p.data.length, littleEndian);
    dv.setUint32(at + 12, p.data.length, littleEndian);
    b.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return b;
}

describe('pcap reader', () => {
  for (const littleEndian of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads a hand-made ${littleEndian ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'} file`, () => {
        const pk = samplePackets(7);
        const p = parsePcap(handMade(littleEndian, nanos, pk));
        expect(p.littleEndian).toBe(littleEndian);
        expect(p.nanos).toBe(nanos);
        expect(p.snaplen).toBe(65535);
        expect(p.linktype).toBe(1);
        expect(p.count).toBe(7);
        expect(p.truncated).toBe(false);
        pk.forEach((q, i) => {
          expect(p.packet(i)).toEqual(q.data);
          expect(p.tsSec[i]).toBe(q.sec);
          expect(p.tsFrac[i]).toBe(q.frac);
        });
      });
    }
  }

  it('refuses pcapng with a hint to convert', () => {
    // A minimal pcapng Section Header Block.
    const shb = Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0]);
    expect(() => parsePcap(shb, 'cap.pcapng')).toThrow(PcapError);
    expect(() => parsePcap(shb, 'cap.pcapng')).toThrow(/pcapng.*editcap -F pcap cap\.pcapng/);
  });

  it('refuses other files, other link types and impossible records', () => {
    expect(() => parsePcap(new TextEncoder().encode('hello world, not a capture'))).toThrow(/not a pcap file/);
    expect(() => parsePcap(new Uint8Array(2))).toThrow(/too short/);
    const raw = handMade(true, false, samplePackets(1));
    new DataView(raw.buffer).setUint32(20, 101, true); // LINKTYPE_RAW
    expect(() => parsePcap(raw)).toThrow(/link type 101/);
    const huge = handMade(true, false, samplePackets(1));
    new DataView(huge.buffer).setUint32(24 + 8, 1 << 30, true);
    expect(() => parsePcap(huge)).toThrow(/corrupt/);
    expect(() => readPcap(join(dir, 'missing.pcap'))).toThrow(/no such file/);
  });

  it('a file cut inside a record: the whole records, and truncated set', () => {
    const full = handMade(false, true, samplePackets(3));
    const p = parsePcap(full.subarray(0, full.length - 5));
    expect(p.count).toBe(2);
    expect(p.truncated).toBe(true);
    expect(parsePcap(full.subarray(0, 24 + 10)).count).toBe(0);
  });
});

describe('pcap writer', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`round-trips ${bigEndian ? 'big' : 'little'}-endian ${nanos ? 'nanosecond' : 'microsecond'} files, matching a hand-made one`, () => {
        const pk = samplePackets(25);
        const file = join(dir, `rt-${bigEndian}-${nanos}.pcap`);
        writePcapFile(file, pk, { bigEndian, nanos, snaplen: 65535, bufferBytes: 4096 });
        const p = readPcap(file);
        expect(p.littleEndian).toBe(!bigEndian);
        expect(p.nanos).toBe(nanos);
        expect(p.count).toBe(25);
        pk.forEach((q, i) => {
          expect(p.packet(i)).toEqual(q.data);
          expect(p.tsSec[i]).toBe(q.sec);
          expect(p.tsFrac[i]).toBe(q.frac);
          expect(p.origLengths[i]).toBe(q.origLen);
        });
        // Byte for byte what the hand-made encoder writes (where orig == captured).
        const same = pk.map((q) => ({ ...q, origLen: q.data.length }));
        writePcapFile(file, same, { bigEndian, nanos, snaplen: 65535 });
        expect(new Uint8Array(readFileSync(file))).toEqual(handMade(!bigEndian, nanos, same));
      });
    }
  }

  it('a packet written in pieces (an mbuf chain) equals one written whole; records bigger than the buffer', () => {
    const data = samplePackets(4)[3]!.data; // 9000 bytes
    const whole = join(dir, 'whole.pcap');
    const pieces = join(dir, 'pieces.pcap');
    writePcapFile(whole, [{ data, sec: 5, frac: 6 }]);
    const w = new PcapWriter(pieces, { bufferBytes: 4096 });
    w.begin(5, 6, data.length);
    for (let at = 0; at < data.length; at += 2048) w.append(data, at, Math.min(2048, data.length - at));
    w.close();
    w.close(); // twice is harmless
    expect(readFileSync(pieces)).toEqual(readFileSync(whole));
    expect(w.count).toBe(1);
    expect(w.bytes).toBe(9000);
  });
});

describeTshark('tshark reads what the writer writes', () => {
  it('every byte order and unit', () => {
    for (const bigEndian of [false, true]) {
      for (const nanos of [false, true]) {
        const file = join(dir, `tshark-${bigEndian}-${nanos}.pcap`);
        const pk = samplePackets(5);
        writePcapFile(file, pk, { bigEndian, nanos });
        const rows = tsharkFields(file, ['frame.len', 'frame.cap_len', 'frame.time_epoch']);
        expect(rows.map((r) => Number(r[1]))).toEqual(pk.map((q) => q.data.length));
        expect(rows.map((r) => Number(r[0]))).toEqual(pk.map((q) => q.origLen));
        const epoch = rows.map((r) => r[2]!);
        pk.forEach((q, i) => {
          const [s, f = ''] = epoch[i]!.split('.');
          expect(Number(s)).toBe(q.sec);
          expect(Number(f.padEnd(9, '0').slice(0, nanos ? 9 : 6))).toBe(q.frac);
        });
      }
    }
  });
});

const haveSamples = existsSync(PCAP_DIR);
(haveSamples ? describe : describe.skip)(`sample captures in ${PCAP_DIR}${haveSamples ? '' : ' [skipped: the directory is absent]'}`, () => {
  it('read completely, every record', () => {
    // (The directory's README says 1 packet for 802.1ad_QinQ.pcap; the file holds 2.)
    const expected: Record<string, number> = { 'afs.pcap': 601, 'mptcp-v0.pcap': 264, 'pim-packet-assortment.pcap': 245, '802.1ad_QinQ.pcap': 2 };
    for (const [name, count] of Object.entries(expected)) {
      const p = readPcap(join(PCAP_DIR, name));
      expect(p.count, name).toBe(count);
      expect(p.truncated).toBe(false);
      expect(p.littleEndian && !p.nanos).toBe(true);
    }
  });
});
