import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTraffic, GENERATOR_DEFAULTS } from '../lib/generator.mjs';
import { DROP_REASONS, FORWARD, P_EXT_HEADERS, P_IP_VERSION, P_L3_LEN, P_L4_PROTO, P_VLANS, PARSE_SLOTS, parse, processPacket } from '../lib/packet.mjs';
import { writePcapFile } from '../lib/pcap.mjs';
import { defaultRouteTable, macTable } from '../lib/routes.mjs';
import { describeTshark, tsharkFields } from './tshark.js';

const t = buildTraffic();
const dir = mkdtempSync(join(tmpdir(), 'pktpipe-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthetic traffic', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    // Buffer.equals: vitest's deep equality is slow on megabytes.
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    const again = buildTraffic({ seed: GENERATOR_DEFAULTS.seed });
    expect(same(again.data, t.data)).toBe(true);
    expect(same(again.expect, t.expect)).toBe(true);
    const other = buildTraffic({ seed: 2, templates: 1000 });
    expect(same(other.data.subarray(0, 5000), t.data.subarray(0, 5000))).toBe(false);
    expect(same(buildTraffic({ seed: 2, templates: 1000 }).data, other.data)).toBe(true);
  });

  it('has the mix it promises: IMIX 7:4:1, IPv4/IPv6, TCP/UDP, VLAN and QinQ, options, extension headers, many flows', () => {
    const r = new Int32Array(PARSE_SLOTS);
    const n = t.count;
    const sizes = new Map<number, number>();
    let v4 = 0;
    let v6 = 0;
    let tcp = 0;
    let udp = 0;
    let vlan = 0;
    let qinq = 0;
    let options = 0;
    let ext = 0;
    for (let i = 0; i < n; i++) {
      const p = t.packet(i);
      if (t.expect[i] !== FORWARD) continue;
      // Frames too small for their headers (IPv6, QinQ, options) grow past 64 bytes but stay far below 576.
      const size = p.length < 300 ? 64 : p.length <= 576 ? 576 : 1500;
      sizes.set(size, (sizes.get(size) ?? 0) + 1);
      expect(parse(p, 0, p.length, p.length, r)).toBe(FORWARD);
      if (r[P_IP_VERSION] === 4) v4++;
      else v6++;
      if (r[P_L4_PROTO] === 6) tcp++;
      if (r[P_L4_PROTO] === 17) udp++;
      if (r[P_VLANS] === 1) vlan++;
      if (r[P_VLANS] === 2) qinq++;
      if (r[P_IP_VERSION] === 4 && r[P_L3_LEN]! > 20) options++;
      if (r[P_EXT_HEADERS]! > 0) ext++;
    }
    const fwd = [...sizes.values()].reduce((a, b) => a + b, 0);
    const share = (x: number) => x / fwd;
    // 7:4:1 is 58%, 33%, 8%.
    expect(share(sizes.get(64) ?? 0)).toBeGreaterThan(0.5);
    expect(share(sizes.get(576) ?? 0)).toBeGreaterThan(0.28);
    expect(share(sizes.get(1500) ?? 0)).toBeGreaterThan(0.06);
    expect(share(v4)).toBeGreaterThan(0.6);
    expect(share(v6)).toBeGreaterThan(0.2);
    expect(share(tcp)).toBeGreaterThan(0.5);
    expect(share(udp)).toBeGreaterThan(0.3);
    expect(share(vlan)).toBeGreaterThan(0.1);
    expect(share(qinq)).toBeGreaterThan(0.02);
    expect(options).toBeGreaterThan(200);
    expect(ext).toBeGreaterThan(200);
    expect(new Set(t.flowOf).size).toBeGreaterThan(3500);
  });

  it('has TTL-expired, non-IP and malformed packets of every kind, a few percent in all', () => {
    const byReason = new Map<string, number>();
    for (const e of t.expect) if (e !== FORWARD) byReason.set(DROP_REASONS[e]!, (byReason.get(DROP_REASONS[e]!) ?? 0) + 1);
    for (const reason of ['ttl-exceeded', 'not-ip', 'truncated-l2', 'truncated-l3', 'bad-version', 'bad-ihl', 'bad-length', 'bad-checksum', 'truncated-ext', 'bad-ext', 'truncated-l4', 'bad-l4']) {
      expect(byReason.get(reason), reason).toBeGreaterThan(0);
    }
    const dropped = [...byReason.values()].reduce((a, b) => a + b, 0);
    expect(dropped / t.count).toBeGreaterThan(0.02);
    expect(dropped / t.count).toBeLessThan(0.05);
  });

  it("the parser's verdict on every packet is the one the generator intended", () => {
    const data = t.data.slice();
    const r = new Int32Array(PARSE_SLOTS);
    const fib = defaultRouteTable();
    const macs = macTable();
    const wrong: string[] = [];
    for (let i = 0; i < t.count; i++) {
      const v = processPacket(data, t.offsets[i]!, t.lengths[i]!, t.lengths[i]!, r, fib, macs);
      const got = v >= 0 ? FORWARD : -v;
      if (got !== t.expect[i]) wrong.push(`#${i}: intended ${DROP_REASONS[t.expect[i]!] || 'forward'}, got ${DROP_REASONS[got] || 'forward'}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('rejects bad sizes', () => {
    expect(() => buildTraffic({ flows: 0 })).toThrow(/flows/);
    expect(() => buildTraffic({ templates: 1.5 })).toThrow(/templates/);
  });
});

describeTshark('synthetic traffic, as tshark sees it', () => {
  it('valid IPv4 header checksums and TCP / UDP checksums on every packet meant to be forwarded', () => {
    const small = buildTraffic({ templates: 3000 });
    const file = join(dir, 'synthetic.pcap');
    writePcapFile(
      file,
      Array.from({ length: small.count }, (_, i) => ({ data: small.packet(i) })),
    );
    const rows = tsharkFields(file, ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'ip.src', 'ipv6.src', 'frame.protocols'], ['-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE']);
    expect(rows.length).toBe(small.count);
    let checked = 0;
    rows.forEach((row, i) => {
      if (small.expect[i] !== FORWARD) return;
      const [ip, tcp, udp, v4, v6, protocols] = row;
      expect(v4 !== '' || v6 !== '', `packet ${i} is IP`).toBe(true);
      if (v4 !== '') expect(ip, `packet ${i} IPv4 checksum`).toBe('1');
      // tshark leaves the L4 checksum of a fragment unverified (2).
      expect(`${tcp}${udp}`, `packet ${i} L4 checksum`).toBe(protocols!.includes('ipv6.fraghdr') ? '2' : '1');
      checked++;
    });
    expect(checked).toBeGreaterThan(2800);
  });
});
