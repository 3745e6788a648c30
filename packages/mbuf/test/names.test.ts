// Offload flag and packet type constants, and their names, against DPDK
// 22.11's own librte_mbuf: fixtures/dpdk-22.11-names.json is the output of
// fixtures/dpdk-names.c linked with it; where libdpdk is installed the test
// builds and runs that program again and compares with the fixture too.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as mbuf from '../src/index.js';
import {
  getPtypeName,
  getRxOlFlagName,
  getTxOlFlagName,
  RTE_MBUF_F_EXTERNAL,
  RTE_MBUF_F_INDIRECT,
  RTE_MBUF_F_RX_IP_CKSUM_GOOD,
  RTE_MBUF_F_RX_RSS_HASH,
  RTE_MBUF_F_RX_VLAN,
  RTE_MBUF_F_TX_IP_CKSUM,
  RTE_MBUF_F_TX_IPV4,
  RTE_MBUF_F_TX_OFFLOAD_MASK,
  RTE_PTYPE_L2_ETHER,
  RTE_PTYPE_L3_IPV4,
  RTE_PTYPE_L3_IPV6,
  RTE_PTYPE_L4_TCP,
  RTE_PTYPE_L4_UDP,
  MBUF_F_EXTERNAL_BIT,
  MBUF_F_INDIRECT_BIT,
} from '../src/index.js';

const source = fileURLToPath(new URL('./fixtures/dpdk-names.c', import.meta.url));
const fixture = JSON.parse(readFileSync(new URL('./fixtures/dpdk-22.11-names.json', import.meta.url), 'utf8')) as {
  rx: Record<string, string | null>;
  tx: Record<string, string | null>;
  ptype: Record<string, string>;
};

describe('offload flags and packet types (DPDK 22.11 values and names)', () => {
  it('has the values API.md and rte_mbuf_core.h give', () => {
    expect(RTE_MBUF_F_RX_VLAN).toBe(1n << 0n);
    expect(RTE_MBUF_F_RX_RSS_HASH).toBe(1n << 1n);
    expect(RTE_MBUF_F_RX_IP_CKSUM_GOOD).toBe(1n << 7n);
    expect(RTE_MBUF_F_TX_IPV4).toBe(1n << 55n);
    expect(RTE_MBUF_F_TX_IP_CKSUM).toBe(1n << 54n);
    expect(RTE_MBUF_F_EXTERNAL).toBe(1n << BigInt(MBUF_F_EXTERNAL_BIT));
    expect(RTE_MBUF_F_INDIRECT).toBe(1n << BigInt(MBUF_F_INDIRECT_BIT));
    expect(RTE_MBUF_F_TX_OFFLOAD_MASK & ((1n << 41n) - 1n)).toBe(0n);
    expect([RTE_PTYPE_L2_ETHER, RTE_PTYPE_L3_IPV4, RTE_PTYPE_L3_IPV6, RTE_PTYPE_L4_TCP, RTE_PTYPE_L4_UDP]).toEqual([0x1, 0x10, 0x40, 0x100, 0x200]);
  });

  it('names every receive and transmit flag (single bits and multi-bit values) as DPDK does, null where it has none', () => {
    for (const [mask, name] of Object.entries(fixture.rx)) expect(getRxOlFlagName(BigInt(mask)), `rx ${mask}`).toBe(name);
    for (const [mask, name] of Object.entries(fixture.tx)) expect(getTxOlFlagName(BigInt(mask)), `tx ${mask}`).toBe(name);
    expect(Object.keys(fixture.rx)).toHaveLength(64 + 3);
    expect(getRxOlFlagName(1 as unknown as bigint)).toBeNull();
  });

  it('names packet types layer by layer as DPDK does (its trailing space trimmed)', () => {
    for (const [ptype, name] of Object.entries(fixture.ptype)) expect(getPtypeName(Number(ptype)), ptype).toBe(name.trimEnd());
    expect(getPtypeName(0)).toBe('UNKNOWN');
    expect(getPtypeName(RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP)).toBe('L2_ETHER L3_IPV4 L4_TCP');
  });

  it('exports a constant for every RTE_MBUF_F_* and RTE_PTYPE_* name DPDK prints', () => {
    const exported = new Set(Object.keys(mbuf));
    for (const name of Object.values(fixture.rx).concat(Object.values(fixture.tx))) if (name) expect(exported.has(name), name).toBe(true);
    for (const name of Object.values(fixture.ptype)) {
      for (const part of name.trim().split(' ')) if (part !== 'UNKNOWN' && !part.endsWith('_UNKNOWN')) expect(exported.has(`RTE_PTYPE_${part}`), part).toBe(true);
    }
  });

  const dpdk = spawnSync('pkg-config', ['--exists', 'libdpdk']).status === 0 && spawnSync('cc', ['--version']).status === 0;
  it.skipIf(!dpdk)(`the fixture is what DPDK's librte_mbuf prints here${dpdk ? '' : ' [skipped: no libdpdk-dev (pkg-config libdpdk) or no C compiler]'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtemem-dpdk-names-'));
    try {
      const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libdpdk'], { encoding: 'utf8' }).trim().split(/\s+/);
      execFileSync('cc', ['-O1', '-o', join(dir, 'names'), source, ...flags]);
      const out = JSON.parse(execFileSync(join(dir, 'names'), { encoding: 'utf8' }));
      expect(out).toEqual(fixture);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
