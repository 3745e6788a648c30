import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6, RouteTable } from '../lib/lpm.mjs';
import { DEFAULT_ROUTES, defaultRouteTable } from '../lib/routes.mjs';
import { allocatedBytes } from './garbage.js';

/** The obvious model: scan every route, keep the longest prefix that matches (the last added wins a tie). */
class NaiveTable {
  readonly routes: { bits: bigint; depth: number; width: number; hop: number }[] = [];
  add(value: bigint, width: number, depth: number, hop: number): void {
    const mask = depth === 0 ? 0n : ((1n << BigInt(depth)) - 1n) << BigInt(width - depth);
    this.routes.push({ bits: value & mask, depth, width, hop });
  }
  lookup(value: bigint, width: number): number {
    let best = -1;
    let bestDepth = -1;
    for (const r of this.routes) {
      if (r.width !== width) continue;
      const mask = r.depth === 0 ? 0n : ((1n << BigInt(r.depth)) - 1n) << BigInt(width - r.depth);
      if ((value & mask) === r.bits && r.depth >= bestDepth) {
        best = r.hop;
        bestDepth = r.depth;
      }
    }
    return best;
  }
}

const v6bytes = (v: bigint) => {
  const b = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
};

describe('RouteTable', () => {
  it('the demo routes: nested prefixes, /32, default routes', () => {
    const t = defaultRouteTable();
    const l4 = (a: string) => t.lookup4(parseIpv4(a));
    const l6 = (a: string) => t.lookup6(parseIpv6(a), 0);
    expect(l4('8.8.8.8')).toBe(0);
    expect(l4('10.9.9.9')).toBe(1);
    expect(l4('10.1.9.9')).toBe(2);
    expect(l4('10.1.2.3')).toBe(3);
    expect(l4('10.1.2.200')).toBe(1);
    expect(l4('172.31.255.255')).toBe(2);
    expect(l4('172.32.0.0')).toBe(0);
    expect(l4('192.168.7.7')).toBe(0);
    expect(l4('192.168.7.8')).toBe(3);
    // The same 32 bits as a signed int32 (as the forwarder passes them).
    expect(t.lookup4(parseIpv4('192.168.7.8') | 0)).toBe(3);
    expect(t.lookup4(parseIpv4('255.255.255.255') | 0)).toBe(0);
    expect(l6('2001:db8:1:2::1')).toBe(3);
    expect(l6('2001:db8:1:3::1')).toBe(2);
    expect(l6('2001:db8:9::1')).toBe(1);
    expect(l6('fd12::1')).toBe(3);
    expect(l6('fe80::1')).toBe(2);
    expect(l6('2a00::1')).toBe(0);
    expect(t.routes()).toEqual(DEFAULT_ROUTES.map((r) => ({ ...r })));
  });

  it('no route: -1', () => {
    const t = new RouteTable().add('10.0.0.0/8', 4).add('2001:db8::/32', 5);
    expect(t.lookup4(parseIpv4('11.0.0.1'))).toBe(-1);
    expect(t.lookup6(parseIpv6('2001:db9::1'), 0)).toBe(-1);
    expect(t.lookup4(parseIpv4('10.255.255.255'))).toBe(4);
  });

  it('host bits below the prefix are ignored; a later add replaces the hop', () => {
    const t = new RouteTable().add('10.1.2.3/8', 1).add('10.0.0.0/8', 2);
    expect(t.lookup4(parseIpv4('10.200.0.1'))).toBe(2);
  });

  it('IPv6 lookup at an offset inside a packet buffer', () => {
    const t = new RouteTable().add('2001:db8:1::/48', 7);
    const buf = new Uint8Array(64).fill(0xff);
    buf.set(parseIpv6('2001:db8:1::9'), 30);
    expect(t.lookup6(buf, 30)).toBe(7);
  });

  it('rejects bad routes with a message', () => {
    const t = new RouteTable();
    expect(() => t.add('10.0.0.0', 1)).toThrow(/prefix length/);
    expect(() => t.add('10.0.0.0/33', 1)).toThrow(/at most 32/);
    expect(() => t.add('::/129', 1)).toThrow(/at most 128/);
    expect(() => t.add('10.0.0/8', 1)).toThrow(/not an IPv4 address/);
    expect(() => t.add('1:2:3/16', 1)).toThrow(/not an IPv6 address/);
    expect(() => t.add('10.0.0.0/8', -1)).toThrow(/next hop/);
  });

  it('parses and formats addresses', () => {
    expect(parseIpv4('192.168.1.2')).toBe(0xc0a80102);
    expect(formatIpv4(0xc0a80102)).toBe('192.168.1.2');
    expect(formatIpv6(parseIpv6('2001:db8::1'))).toBe('2001:db8::1');
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    expect(formatIpv6(parseIpv6('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(Array.from(parseIpv6('::ffff:1'))).toEqual([...Array(12).fill(0), 0xff, 0xff, 0, 1]);
  });

  it('IPv4 agrees with the naive model (fast-check)', () => {
    const route = fc.record({ addr: fc.nat(0xffffffff), depth: fc.integer({ min: 0, max: 32 }), hop: fc.nat(1000) });
    // Addresses near the routes' prefixes too, not only random ones.
    fc.assert(
      fc.property(fc.array(route, { maxLength: 40 }), fc.array(fc.nat(0xffffffff), { maxLength: 40 }), (routes, probes) => {
        const t = new RouteTable();
        const m = new NaiveTable();
        for (const r of routes) {
          t.add(`${formatIpv4(r.addr)}/${r.depth}`, r.hop);
          m.add(BigInt(r.addr), 32, r.depth, r.hop);
        }
        for (const a of [...probes, ...routes.map((r) => r.addr), ...routes.map((r) => (r.addr ^ (1 << (31 - Math.min(r.depth, 31)))) >>> 0)]) {
          expect(t.lookup4(a)).toBe(m.lookup(BigInt(a), 32));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('IPv6 agrees with the naive model (fast-check)', () => {
    const addr = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    const route = fc.record({ addr, depth: fc.integer({ min: 0, max: 128 }), hop: fc.nat(1000) });
    fc.assert(
      fc.property(fc.array(route, { maxLength: 30 }), fc.array(addr, { maxLength: 30 }), (routes, probes) => {
        const t = new RouteTable();
        const m = new NaiveTable();
        for (const r of routes) {
          t.add(`${formatIpv6(v6bytes(r.addr))}/${r.depth}`, r.hop);
          m.add(r.addr, 128, r.depth, r.hop);
        }
        const near = routes.map((r) => r.addr ^ (1n << BigInt(127 - Math.min(r.depth, 127))));
        for (const a of [...probes, ...routes.map((r) => r.addr), ...near]) {
          expect(t.lookup6(v6bytes(a), 0)).toBe(m.lookup(a, 128));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lookups allocate nothing', () => {
    const t = defaultRouteTable();
    const a6 = parseIpv6('2001:db8:1:2::1');
    let sink = 0;
    let i = 0;
    // Addresses as signed int32, as the forwarder passes them: an unsigned
    // value above 2**31 is a heap number at any call V8 does not inline.
    const bytes = allocatedBytes(() => {
      sink += t.lookup4(Math.imul(i++, 0x9e3779b1)) + t.lookup6(a6, 0);
    }, 500_000);
    expect(sink).toBeGreaterThan(0);
    // One heap number per call would be 16 bytes a call; the slack is for
    // what the test runner itself allocates meanwhile (up to ~1 MB).
    expect(bytes / 500_000).toBeLessThan(2);
  });
});
