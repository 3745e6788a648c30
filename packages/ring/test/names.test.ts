import { describe, expect, it } from 'vitest';
import {
  Ring,
  RING_F_EXACT_SZ,
  RING_F_MC_HTS_DEQ,
  RING_F_MC_RTS_DEQ,
  RING_F_MP_HTS_ENQ,
  RING_F_MP_RTS_ENQ,
  RING_F_SC_DEQ,
  RING_F_SP_ENQ,
  ringFlagNames,
  ringSyncNames,
} from '../src/index.js';

describe('ringFlagNames / ringSyncNames', () => {
  it('name every RING_F_* bit, lowest first, and leave other bits out', () => {
    expect(ringFlagNames(0)).toEqual([]);
    expect(ringFlagNames(RING_F_SC_DEQ | RING_F_SP_ENQ)).toEqual(['SP_ENQ', 'SC_DEQ']);
    expect(ringFlagNames(RING_F_EXACT_SZ | RING_F_MP_RTS_ENQ | RING_F_MC_HTS_DEQ | 0x1000)).toEqual(['EXACT_SZ', 'MP_RTS_ENQ', 'MC_HTS_DEQ']);
    expect(ringFlagNames(RING_F_MC_RTS_DEQ | RING_F_MP_HTS_ENQ)).toEqual(['MC_RTS_DEQ', 'MP_HTS_ENQ']);
  });

  it('name each side\'s sync mode as a ring of those flags runs it', () => {
    const cases: [number, string, string][] = [
      [0, 'MP', 'MC'],
      [RING_F_SP_ENQ | RING_F_SC_DEQ, 'SP', 'SC'],
      [RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ, 'MP RTS', 'MC RTS'],
      [RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ, 'MP HTS', 'MC HTS'],
      [RING_F_SP_ENQ | RING_F_MC_HTS_DEQ | RING_F_EXACT_SZ, 'SP', 'MC HTS'],
      [RING_F_MP_RTS_ENQ | RING_F_SC_DEQ, 'MP RTS', 'SC'],
    ];
    for (const [flags, prod, cons] of cases) {
      expect(ringSyncNames(flags)).toEqual({ prod, cons });
      // What the ring's own dump says of a ring created with these flags.
      const buf = new SharedArrayBuffer(Ring.memsize(32));
      const r = Ring.init(buf, 0, 'n', 16, flags);
      expect(ringSyncNames(r.flags)).toEqual({ prod, cons });
      const dumped = /prod sync=(\S+) cons sync=(\S+)/.exec(r.dump())!;
      const kind = (s: string) => (s.includes('RTS') ? 'RTS' : s.includes('HTS') ? 'HTS' : s.startsWith('S') ? 'SP/SC' : 'MP/MC');
      expect(dumped[1]).toBe(kind(prod));
      expect(dumped[2]).toBe(kind(cons));
    }
  });
});
