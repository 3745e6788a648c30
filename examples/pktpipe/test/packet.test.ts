import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumUpdate16,
  DROP_BAD_CHECKSUM,
  DROP_BAD_EXT,
  DROP_BAD_IHL,
  DROP_BAD_L4,
  DROP_BAD_LENGTH,
  DROP_BAD_VERSION,
  DROP_NO_ROUTE,
  DROP_NOT_IP,
  DROP_REASONS,
  DROP_SPLIT_HEADER,
  DROP_TRUNCATED_EXT,
  DROP_TRUNCATED_L2,
  DROP_TRUNCATED_L3,
  DROP_TRUNCATED_L4,
  DROP_TTL_EXCEEDED,
  FORWARD,
  forward,
  ipv4Checksum,
  P_EXT_HEADERS,
  P_FRAG,
  P_IP_VERSION,
  P_L3_END,
  P_L3_LEN,
  P_L3_OFF,
  P_L4_OFF,
  P_L4_PROTO,
  P_VLAN_ID,
  P_VLANS,
  PARSE_SLOTS,
  parse,
  processPacket,
  rssHash,
} from '../lib/packet.mjs';
import { buildTraffic } from '../lib/generator.mjs';
import { defaultRouteTable, macTable, neighbourMac, portMac } from '../lib/routes.mjs';
import { be16, bytes, checksum, eth, ethTagged, ext8, fragHdr, ipv4, ipv6, ipv6Addr, tcp, udp } from './frames.js';
import { allocatedBytes } from './garbage.js';

const r = new Int32Array(PARSE_SLOTS);
const fib = defaultRouteTable();
const macs = macTable();

function parseFrame(f: Uint8Array, segLen = f.length): number {
  return parse(f, 0, segLen, f.length, r);
}

/** The frame placed at an offset inside a bigger buffer, as in a memory list. */
function atOffset(f: Uint8Array, off: number): Uint8Array {
  const big = new Uint8Array(off + f.length + 64).fill(0xee);
  big.set(f, off);
  return big;
}

const macText = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');

describe('parse: encapsulations', () => {
  it('Ethernet + IPv4 + UDP', () => {
    const f = bytes(eth(0x0800), ipv4(udp(10)));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_L3_OFF]).toBe(14);
    expect(r[P_IP_VERSION]).toBe(4);
    expect(r[P_L3_LEN]).toBe(20);
    expect(r[P_L4_PROTO]).toBe(17);
    expect(r[P_L4_OFF]).toBe(34);
    expect(r[P_L3_END]).toBe(f.length);
    expect(r[P_VLANS]).toBe(0);
    expect(r[P_VLAN_ID]).toBe(-1);
  });

  it('802.1Q VLAN + IPv4 + TCP', () => {
    const f = bytes(ethTagged([[0x8100, 0x2064]], 0x0800), ipv4(tcp(), { proto: 6 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_VLANS]).toBe(1);
    expect(r[P_VLAN_ID]).toBe(0x064); // priority bits masked off
    expect(r[P_L3_OFF]).toBe(18);
    expect(r[P_L4_OFF]).toBe(38);
  });

  it('QinQ (0x88a8 outer, 0x8100 inner) and the old 0x9100 outer tag', () => {
    for (const outer of [0x88a8, 0x9100]) {
      const f = bytes(
        ethTagged(
          [
            [outer, 200],
            [0x8100, 2001],
          ],
          0x86dd,
        ),
        ipv6(udp(4)),
      );
      expect(parseFrame(f)).toBe(FORWARD);
      expect(r[P_VLANS]).toBe(2);
      expect(r[P_VLAN_ID]).toBe(200);
      expect(r[P_L3_OFF]).toBe(22);
      expect(r[P_IP_VERSION]).toBe(6);
      expect(r[P_L4_OFF]).toBe(62);
    }
  });

  it('IPv4 with options: IHL says where L4 starts', () => {
    const f = bytes(eth(0x0800), ipv4(tcp(), { proto: 6, options: [0x94, 0x04, 0, 0, 1, 1, 1, 0] }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_L3_LEN]).toBe(28);
    expect(r[P_L4_OFF]).toBe(14 + 28);
  });

  it('IPv4 with Ethernet padding after the IP packet', () => {
    const f = bytes(eth(0x0800), ipv4(udp(0)), Array(18).fill(0));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_L3_END]).toBe(14 + 28);
  });

  it('IPv4 fragments: first fragment parses L4, later ones do not', () => {
    let f = bytes(eth(0x0800), ipv4(udp(8, 1000), { fragment: 0x2000 }));
    expect(parseFrame(f)).toBe(FORWARD); // UDP length counts the whole datagram
    expect(r[P_FRAG]).toBe(1);
    expect(r[P_L4_OFF]).toBe(34);
    f = bytes(eth(0x0800), ipv4([1, 2, 3], { fragment: 0x0010 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_FRAG]).toBe(2);
    expect(r[P_L4_OFF]).toBe(-1);
  });

  it('IPv6 extension headers: hop-by-hop, routing, fragment, destination options, then TCP', () => {
    const chain = [...ext8(43), ...ext8(44), ...fragHdr(60, 0, true), ...ext8(6)];
    const f = bytes(eth(0x86dd), ipv6(bytes(chain, tcp()), { next: 0 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_EXT_HEADERS]).toBe(4);
    expect(r[P_L3_LEN]).toBe(40 + 32);
    expect(r[P_L4_PROTO]).toBe(6);
    expect(r[P_L4_OFF]).toBe(14 + 72);
    expect(r[P_FRAG]).toBe(1);
  });

  it('IPv6 later fragment: no L4', () => {
    const f = bytes(eth(0x86dd), ipv6(bytes(fragHdr(17, 100, false), [1, 2, 3, 4]), { next: 44 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_FRAG]).toBe(2);
    expect(r[P_L4_OFF]).toBe(-1);
  });

  it('IPv6 authentication header length is in 4-byte units', () => {
    const ah = [17, 4, 0, 0, ...Array(20).fill(0)]; // (4 + 2) * 4 = 24 bytes
    const f = bytes(eth(0x86dd), ipv6(bytes(ah, udp(4)), { next: 51 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_L4_OFF]).toBe(14 + 40 + 24);
  });

  it('other L4 protocols are not looked at', () => {
    const f = bytes(eth(0x0800), ipv4([8, 0, 0, 0], { proto: 1 }));
    expect(parseFrame(f)).toBe(FORWARD);
    expect(r[P_L4_OFF]).toBe(-1);
    expect(r[P_L4_PROTO]).toBe(1);
  });
});

describe('parse: every drop reason', () => {
  const cases: [string, Uint8Array, number][] = [
    ['ARP', bytes(eth(0x0806), Array(46).fill(0)), DROP_NOT_IP],
    ['ARP in QinQ', bytes(ethTagged([[0x88a8, 200], [0x8100, 2001]], 0x0806), Array(28).fill(0)), DROP_NOT_IP],
    ['five VLAN tags', bytes(ethTagged(Array(5).fill([0x8100, 1]) as [number, number][], 0x0800), ipv4(udp())), DROP_NOT_IP],
    ['13-byte frame', new Uint8Array(13), DROP_TRUNCATED_L2],
    ['VLAN tag cut short', Uint8Array.from(eth(0x8100)), DROP_TRUNCATED_L2],
    ['inner tag of QinQ cut short', Uint8Array.from([...eth(0x88a8), 0, 200, 0x81, 0x00, 0]), DROP_TRUNCATED_L2],
    ['IPv4 header cut at 19 bytes', bytes(eth(0x0800), ipv4([]).subarray(0, 19)), DROP_TRUNCATED_L3],
    ['IPv4 options cut short', bytes(eth(0x0800), ipv4([], { options: [1, 1, 1, 0] }).subarray(0, 22)), DROP_TRUNCATED_L3],
    ['IPv6 header cut at 39 bytes', bytes(eth(0x86dd), ipv6([]).subarray(0, 39)), DROP_TRUNCATED_L3],
    ['version 6 under the IPv4 ethertype', bytes(eth(0x0800), ipv4(udp(), { version: 6 })), DROP_BAD_VERSION],
    ['version 4 under the IPv6 ethertype', bytes(eth(0x86dd), ipv6(udp(), { version: 4 })), DROP_BAD_VERSION],
    ['IHL 4', bytes(eth(0x0800), ipv4(udp(), { ihl: 4 })), DROP_BAD_IHL],
    ['IHL 0', bytes(eth(0x0800), ipv4(udp(), { ihl: 0 })), DROP_BAD_IHL],
    ['IPv4 total length past the frame', bytes(eth(0x0800), ipv4(udp(), { totalLength: 20 + 16 + 1 })), DROP_BAD_LENGTH],
    ['IPv4 total length below the header', bytes(eth(0x0800), ipv4(udp(), { totalLength: 19 })), DROP_BAD_LENGTH],
    ['IPv4 total length below IHL * 4', bytes(eth(0x0800), ipv4(udp(), { options: [1, 1, 1, 0], totalLength: 22 })), DROP_BAD_LENGTH],
    ['IPv6 payload length past the frame', bytes(eth(0x86dd), ipv6(udp(), { payloadLength: 17 })), DROP_BAD_LENGTH],
    ['IPv4 checksum wrong', bytes(eth(0x0800), ipv4(udp(), { badChecksum: true })), DROP_BAD_CHECKSUM],
    ['hop-by-hop past the payload', bytes(eth(0x86dd), ipv6([17, 5, 1, 4, 0, 0, 0, 0], { next: 0 })), DROP_TRUNCATED_EXT],
    ['extension header cut inside its first 2 bytes', bytes(eth(0x86dd), ipv6([17], { next: 60 })), DROP_TRUNCATED_EXT],
    ['fragment header cut short', bytes(eth(0x86dd), ipv6([17, 0, 0, 0], { next: 44 })), DROP_TRUNCATED_EXT],
    ['hop-by-hop after destination options', bytes(eth(0x86dd), ipv6(bytes(ext8(0), ext8(17), udp()), { next: 60 })), DROP_BAD_EXT],
    ['nine extension headers', bytes(eth(0x86dd), ipv6(bytes(...Array.from({ length: 9 }, (_, i) => ext8(i === 8 ? 17 : 60)), udp()), { next: 60 })), DROP_BAD_EXT],
    ['TCP header past the IPv4 payload', bytes(eth(0x0800), ipv4(tcp().slice(0, 19), { proto: 6 })), DROP_TRUNCATED_L4],
    ['UDP header past the IPv6 payload', bytes(eth(0x86dd), ipv6(udp().slice(0, 7))), DROP_TRUNCATED_L4],
    ['TCP data offset 4', bytes(eth(0x0800), ipv4(tcp(8, 4), { proto: 6 })), DROP_BAD_L4],
    ['TCP data offset past the payload', bytes(eth(0x0800), ipv4(tcp(0, 6), { proto: 6 })), DROP_BAD_L4],
    ['UDP length 7', bytes(eth(0x0800), ipv4(udp(8, 7))), DROP_BAD_L4],
    ['UDP length past the payload', bytes(eth(0x86dd), ipv6(udp(8, 17))), DROP_BAD_L4],
    ['UDP length 7 in a first fragment', bytes(eth(0x86dd), ipv6(bytes(fragHdr(17, 0, true), udp(8, 7)), { next: 44 })), DROP_BAD_L4],
  ];
  for (const [name, f, reason] of cases) {
    it(`${name}: ${DROP_REASONS[reason]}`, () => {
      // The checksum is checked by forward(); everything else by parse().
      const v = reason === DROP_BAD_CHECKSUM ? -processPacket(f, 0, f.length, f.length, r, fib, macs) : parseFrame(f);
      expect(DROP_REASONS[v]).toBe(DROP_REASONS[reason]);
      // Same verdict at an offset inside a bigger buffer whose other bytes are garbage.
      const big = atOffset(f, 1000);
      expect(-processPacket(big, 1000, f.length, f.length, r, fib, macs)).toBe(reason);
    });
  }

  it('headers beyond the first segment: split-header', () => {
    const f = bytes(eth(0x0800), ipv4(udp(100)));
    expect(parse(f, 0, 30, f.length, r)).toBe(DROP_SPLIT_HEADER);
    expect(parse(f, 0, 10, f.length, r)).toBe(DROP_SPLIT_HEADER);
    expect(parse(f, 0, 38, f.length, r)).toBe(DROP_SPLIT_HEADER); // UDP header cut by the segment
    expect(parse(f, 0, 42, f.length, r)).toBe(FORWARD); // payload in later segments is fine
  });

  it('every reason has a name and the codes are distinct', () => {
    const codes = [
      DROP_TTL_EXCEEDED,
      DROP_NO_ROUTE,
      DROP_NOT_IP,
      DROP_TRUNCATED_L2,
      DROP_TRUNCATED_L3,
      DROP_BAD_VERSION,
      DROP_BAD_IHL,
      DROP_BAD_LENGTH,
      DROP_BAD_CHECKSUM,
      DROP_TRUNCATED_EXT,
      DROP_BAD_EXT,
      DROP_TRUNCATED_L4,
      DROP_BAD_L4,
      DROP_SPLIT_HEADER,
    ];
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(DROP_REASONS[c]).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('forward', () => {
  it('IPv4: TTL - 1, checksum valid and equal to a full recompute, MACs of the route port', () => {
    const f = bytes(eth(0x0800), ipv4(tcp(), { proto: 6, ttl: 64, dst: [10, 1, 2, 3], options: [0x94, 4, 0, 0] }));
    expect(parseFrame(f)).toBe(FORWARD);
    const port = forward(f, 0, r, fib, macs);
    expect(port).toBe(3); // 10.1.2.0/24
    expect(f[14 + 8]).toBe(63);
    expect(checksum(f.subarray(14, 14 + 24))).toBe(0); // a valid header sums to all ones
    expect((f[24]! << 8) | f[25]!).toBe(ipv4Checksum(f, 14, 24));
    expect(macText(f, 0)).toBe(neighbourMac(3));
    expect(macText(f, 6)).toBe(portMac(3));
  });

  it('IPv6: hop limit - 1, MACs of the route port, payload untouched', () => {
    const f = bytes(ethTagged([[0x8100, 5]], 0x86dd), ipv6(udp(16), { hlim: 2, dst: ipv6Addr('2001:db8:1:77::1') }));
    const before = f.slice();
    expect(processPacket(f, 0, f.length, f.length, r, fib, macs)).toBe(2); // 2001:db8:1::/48
    expect(f[18 + 7]).toBe(1);
    expect(f.subarray(12)).toEqual(Uint8Array.from([...before.subarray(12, 25), 1, ...before.subarray(26)]));
  });

  it('drops at TTL 1 and 0 and hop limit 1 and 0, leaving the packet as it was', () => {
    for (const ttl of [0, 1]) {
      const f4 = bytes(eth(0x0800), ipv4(udp(), { ttl }));
      const c4 = f4.slice();
      expect(processPacket(f4, 0, f4.length, f4.length, r, fib, macs)).toBe(-DROP_TTL_EXCEEDED);
      expect(f4).toEqual(c4);
      const f6 = bytes(eth(0x86dd), ipv6(udp(), { hlim: ttl }));
      expect(processPacket(f6, 0, f6.length, f6.length, r, fib, macs)).toBe(-DROP_TTL_EXCEEDED);
    }
  });

  it('no route without a default route', () => {
    const only = { lookup4: () => -1, lookup6: () => -1 };
    const f = bytes(eth(0x0800), ipv4(udp()));
    expect(processPacket(f, 0, f.length, f.length, r, only, macs)).toBe(-DROP_NO_ROUTE);
  });

  it('incremental checksum after the TTL decrement always equals a full recompute (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 2, max: 255 }),
        (hdr, optWords, ttl) => {
          const h = new Uint8Array(20 + optWords * 4);
          h.set(hdr);
          for (let i = 20; i < h.length; i++) h[i] = (hdr[i % 20]! * 7 + i) & 0xff;
          h[0] = 0x40 | (5 + optWords);
          h[8] = ttl;
          h[10] = 0;
          h[11] = 0;
          const c = checksum(h);
          h[10] = c >> 8;
          h[11] = c & 0xff;
          const updated = checksumUpdate16(c, (ttl << 8) | h[9]!, ((ttl - 1) << 8) | h[9]!);
          h[8] = ttl - 1;
          expect(updated).toBe(ipv4Checksum(h, 0, h.length));
          h[10] = updated >> 8;
          h[11] = updated & 0xff;
          expect(checksum(h)).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the 0x0000 / 0xffff corner: a header whose recomputed checksum is 0x0000', () => {
    // Find a header whose new checksum is 0 after the decrement: RFC 1141's
    // formula gives 0xffff there, RFC 1624's gives 0x0000 like a recompute.
    const h = new Uint8Array(20);
    h[0] = 0x45;
    h[8] = 64;
    h[9] = 17;
    let found = false;
    for (let x = 0; x < 65536 && !found; x++) {
      h[12] = x >> 8;
      h[13] = x & 0xff;
      h[8] = 63;
      h[10] = 0;
      h[11] = 0;
      if (ipv4Checksum(h, 0, 20) !== 0) continue;
      found = true;
      h[8] = 64;
      const c = ipv4Checksum(h, 0, 20);
      expect(checksumUpdate16(c, (64 << 8) | 17, (63 << 8) | 17)).toBe(0);
    }
    expect(found).toBe(true);
  });
});

describe('never throws, never reads outside the packet', () => {
  it('random frames (fast-check): parse, forward, rssHash', () => {
    const templates = [
      bytes(eth(0x0800), ipv4(tcp(), { proto: 6 })),
      bytes(ethTagged([[0x88a8, 1], [0x8100, 2]], 0x86dd), ipv6(bytes(ext8(43), ext8(17), udp()), { next: 0 })),
      bytes(eth(0x86dd), ipv6(bytes(fragHdr(6, 0, true), tcp()), { next: 44 })),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: templates.length - 1 }),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 6 }),
        fc.nat(120),
        fc.nat(120),
        (t, edits, cut, segCut) => {
          const f = templates[t]!.slice();
          for (const [at, v] of edits) if (at < f.length) f[at] = v;
          const len = Math.max(0, f.length - cut);
          const seg = Math.max(0, len - segCut);
          // Surround the packet with bytes that would change the verdict if read.
          const big = new Uint8Array(512).fill(0x45);
          big.set(f.subarray(0, len), 100);
          const copy = big.slice();
          const v = processPacket(big, 100, seg, len, r, fib, macs);
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(-DROP_REASONS.length);
          // Only the packet's own bytes may change.
          expect(big.subarray(0, 100)).toEqual(copy.subarray(0, 100));
          expect(big.subarray(100 + len)).toEqual(copy.subarray(100 + len));
          const h = rssHash(big, 100, seg);
          expect(h | 0).toBe(h);
          // The same bytes alone, with nothing around them: same verdict.
          const alone = copy.slice(100, 100 + len);
          expect(processPacket(alone, 0, seg, len, new Int32Array(PARSE_SLOTS), fib, macs)).toBe(v);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('rssHash', () => {
  it('same flow, same hash; ports and addresses change it; IPv4 fragments hash without ports', () => {
    const a = bytes(eth(0x0800), ipv4(udp(10)));
    const b = bytes(eth(0x0800), ipv4(udp(500)));
    expect(rssHash(a, 0, a.length)).toBe(rssHash(b, 0, b.length));
    const c = a.slice();
    c[34 + 1] ^= 1; // source port
    expect(rssHash(c, 0, c.length)).not.toBe(rssHash(a, 0, a.length));
    const d = a.slice();
    d[14 + 19] ^= 1; // destination address
    expect(rssHash(d, 0, d.length)).not.toBe(rssHash(a, 0, a.length));
    const first = bytes(eth(0x0800), ipv4(udp(10), { fragment: 0x2000 }));
    const later = bytes(eth(0x0800), ipv4([9, 9, 9, 9, 9, 9, 9, 9], { fragment: 0x0002 }));
    expect(rssHash(first, 0, first.length)).toBe(rssHash(later, 0, later.length));
  });

  it('VLAN tags do not change the flow hash; IPv6 uses both addresses', () => {
    const plain = bytes(eth(0x86dd), ipv6(udp()));
    const tagged = bytes(ethTagged([[0x8100, 9]], 0x86dd), ipv6(udp()));
    expect(rssHash(plain, 0, plain.length)).toBe(rssHash(tagged, 0, tagged.length));
    const other = bytes(eth(0x86dd), ipv6(udp(), { src: ipv6Addr('2001:db8:ffff::2') }));
    expect(rssHash(other, 0, other.length)).not.toBe(rssHash(plain, 0, plain.length));
  });

  it('spreads flows evenly over a RETA', () => {
    const buckets = new Array(4).fill(0);
    for (let i = 0; i < 4096; i++) {
      const f = bytes(eth(0x0800), ipv4(udp(), { src: [10, 200, i >> 8, i & 255] }));
      buckets[rssHash(f, 0, f.length) & 3]++;
    }
    for (const n of buckets) expect(n).toBeGreaterThan(850);
  });

  it('non-IP frames hash too (to one queue)', () => {
    const f = bytes(eth(0x0806), Array(46).fill(0));
    expect(rssHash(f, 0, f.length)).toBe(rssHash(f, 0, f.length));
    expect(rssHash(f, 0, 5)).toBe(0);
    expect(be16(0x1234)).toEqual([0x12, 0x34]);
  });
});

describe('hot path', () => {
  it('parse + forward + rssHash allocate nothing (generator traffic, every kind of packet)', () => {
    const t = buildTraffic({ templates: 4096 });
    const data = t.data.slice();
    const res = new Int32Array(PARSE_SLOTS);
    let i = 0;
    let ports = 0;
    const calls = 400_000;
    const bytes = allocatedBytes(() => {
      const k = i++ & 4095;
      const v = processPacket(data, t.offsets[k]!, t.lengths[k]!, t.lengths[k]!, res, fib, macs);
      if (v >= 0) ports += v;
      // Put TTLs back now and then so the packets keep forwarding.
      if (k === 4095) data.set(t.data);
      rssHash(data, t.offsets[k]!, t.lengths[k]!);
    }, calls);
    expect(ports).toBeGreaterThan(0);
    // A heap number per call would be 16 bytes; the slack is for the test runner's own allocations.
    expect(bytes / calls).toBeLessThan(2);
  });
});
