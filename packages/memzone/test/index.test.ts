// The name index and the used-slot bitmap against a model: random reserves,
// lookups and frees over more names than the table holds, enough frees to
// make the index rebuild itself (past MZI_MAX_TOMBSTONES), and the table
// full. Every lookup must agree with the model, every slot must be findable.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf } from '@rtemem/testkit';
import { Eal, type Memzone, Memzones } from '../src/index.js';
import { MAX_MEMZONE, MEMZONE_AREA_BYTES, MEMZONE_AREA_NAME, MZ_TOMBSTONES, MZI_MAX_TOMBSTONES } from '../src/layout.js';

const MiB = 1024 * 1024;
const eals: Eal[] = [];
afterEach(() => {
  while (eals.length) eals.pop()!.cleanup();
});

type Op = { kind: 'reserve' | 'lookup' | 'free'; name: number };

describe('name index and slot bitmap (model test)', () => {
  it('lookups, reserves and frees agree with a Map, through index rebuilds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom<Op['kind']>('reserve', 'reserve', 'lookup', 'free'), name: fc.nat(3999) }), { minLength: 500, maxLength: 3000 }),
        (ops) => {
          const eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
          eals.push(eal);
          const zones = Memzones.of(eal);
          const model = new Map<string, Memzone>();
          for (const op of ops) {
            // Names of varied lengths and shapes, some non-ASCII.
            const name = op.name % 7 === 0 ? `zoné_${op.name}` : `z${op.name}`.padEnd(1 + (op.name % 30), '_');
            if (op.kind === 'reserve') {
              if (model.has(name)) expect(codeOf(() => zones.reserve(name, 64))).toBe('EEXIST');
              else model.set(name, zones.reserve(name, 64));
            } else if (op.kind === 'lookup') {
              expect(zones.lookup(name)).toBe(model.get(name) ?? null);
            } else {
              const mz = model.get(name);
              if (mz !== undefined) {
                zones.free(mz);
                model.delete(name);
              }
              expect(zones.lookup(name)).toBeNull();
            }
          }
          expect(zones.count()).toBe(model.size);
          for (const [name, mz] of model) expect(zones.lookup(name)).toBe(mz);
          let walked = 0;
          zones.walk(() => walked++);
          expect(walked).toBe(model.size);
          eals.pop()!.cleanup();
        },
      ),
      { numRuns: 8, seed: 1234 },
    );
  });

  it('rebuilds the index once frees leave too many tombstones; fills every slot; frees in any order', () => {
    const eal = Eal.init({ backend: 'sab', memory: 64 * MiB });
    eals.push(eal);
    const zones = Memzones.of(eal);
    const tombs = () => eal.config.u32[(eal.area(MEMZONE_AREA_NAME, MEMZONE_AREA_BYTES) + MZ_TOMBSTONES) >> 2]!;
    // Every slot, then ENOSPC.
    const all = Array.from({ length: MAX_MEMZONE }, (_, i) => zones.reserve(`slot${i}`, 64));
    expect(new Set(all.map((z) => z.index)).size).toBe(MAX_MEMZONE);
    expect(codeOf(() => zones.reserve('one_more', 64))).toBe('ENOSPC');
    // Free every other one: tombstones pile up, then the index is rebuilt.
    let maxTombs = 0;
    for (let i = 0; i < MAX_MEMZONE; i += 2) {
      zones.free(all[i]!);
      maxTombs = Math.max(maxTombs, tombs());
    }
    expect(maxTombs).toBe(MZI_MAX_TOMBSTONES);
    expect(tombs()).toBeLessThan(MZI_MAX_TOMBSTONES);
    for (let i = 0; i < MAX_MEMZONE; i++) expect(zones.lookup(`slot${i}`)).toBe(i % 2 === 0 ? null : all[i]);
    // The freed slots are found again, lowest first.
    expect(zones.reserve('again', 64).index).toBe(all[0]!.index);
  });
});
