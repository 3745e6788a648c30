// Bad input: fast-check over every public function of every layer with
// arbitrary arguments, in a child process (fixtures/fuzz.mjs) so that a
// crash is a dead child seen here. Every call must return its documented
// kind of value or throw RteError (errno code) or TypeError; the shared
// state must pass its audits after each API. RTEMEM_FUZZ_RUNS (default 200
// cases per API) and RTEMEM_FUZZ_SEED vary the run; RTEMEM_FUZZ_ONLY (names,
// comma-separated) runs only those APIs.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Peers, writeReport } from './support.js';
import { nativeTitle, skipWithoutNative } from '@rtemem/testkit';

const FUZZ = new URL('./fixtures/fuzz.mjs', import.meta.url);
const RUNS = Number(process.env.RTEMEM_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.RTEMEM_FUZZ_SEED ?? 4242);
const ONLY = process.env.RTEMEM_FUZZ_ONLY?.split(',') ?? null;

interface ApiStat {
  cases: number;
  ok: number;
  outcomes: Record<string, number>;
  bad: number;
  badExamples: string[];
  inconsistency: string | null;
}

const peers = new Peers();
afterAll(() => peers.closeAll(), 60_000);

describe.skipIf(skipWithoutNative)(nativeTitle('fuzz: every public function with bad input'), () => {
  it(
    `${RUNS} cases per API (seed ${SEED}): documented values or RteError/TypeError, no crash, audits pass`,
    async () => {
      const progress = join(tmpdir(), `rtemem-fuzz-progress-${process.pid}.txt`);
      rmSync(progress, { force: true });
      // Debug cookies in every pool: a freed mbuf or object put back again is then an error, not a duplicate.
      const child = await peers.child(FUZZ, null, { RTEMEM_MEMPOOL_DEBUG: '1' });
      let answer: { results: Record<string, ApiStat>; final: string | null; apis: number };
      try {
        answer = await child.call('fuzz', { backend: 'anonymous', runs: RUNS, seed: SEED, progress, only: ONLY });
      } catch (e) {
        const lines = readFileSync(progress, 'utf8').trim().split('\n');
        throw new Error(`the fuzz child died in ${lines[lines.length - 1]}: ${(e as Error).message}`);
      }
      const { results, final } = answer;
      const rows = Object.entries(results).map(([api, s]) => ({ api, ...s }));
      const total = rows.reduce((n, r) => n + r.cases, 0);
      const bad = rows.filter((r) => r.bad > 0).map((r) => `${r.api}: ${r.bad} bad, e.g. ${r.badExamples.join(' | ')}`);
      const broken = rows.filter((r) => r.inconsistency !== null).map((r) => `after ${r.api}: ${r.inconsistency}`);
      const path = writeReport('fuzz', { runs: RUNS, seed: SEED, apis: rows.length, totalCases: total, final, bad, broken, results });
      console.log(`fuzz: ${rows.length} APIs, ${total} cases; ${bad.length} APIs with bad outcomes, ${broken.length} audits failed; report ${path}`);
      console.log(rows.map((r) => `  ${r.api}: ${r.cases} (ok ${r.ok}; ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('\n'));
      expect(bad).toEqual([]);
      expect(broken).toEqual([]);
      expect(final).toBeNull();
      expect(rows.length).toBe(answer.apis);
      for (const r of rows) expect(r.cases).toBeGreaterThanOrEqual(10);
      rmSync(progress, { force: true });
    },
    600_000,
  );
});
