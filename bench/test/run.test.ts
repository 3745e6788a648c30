import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const runJs = fileURLToPath(new URL('../run.mjs', import.meta.url));
const suites = fileURLToPath(new URL('./fixtures/suites', import.meta.url));

// Every output directory a test makes, removed after it (also when it fails).
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bench-run-'));
  made.push(d);
  return d;
}

function bench(out: string, ...args: string[]) {
  return execFileSync(process.execPath, [runJs, '--suites', suites, '--out', out, '--reps', '1', ...args], { encoding: 'utf8' });
}

function latest(out: string) {
  return JSON.parse(readFileSync(join(out, 'results', 'latest.json'), 'utf8'));
}

describe('pnpm bench (run.mjs)', () => {
  it('runs the named suites only, merges their results, and regenerates RESULTS.md and the chart', () => {
    const out = outDir();
    const printed = bench(out, 'alpha');
    // rtemem, its range, rtemem via require (÷ import), the peer (ratio), vs best, target, verdict.
    expect(printed).toMatch(/sum 64\s+-\s+ns\/op\s+\S+\s+\S+\.\.\S+\s+\S+ \(\d+\.\d\d\)\s+\S+ \(\S+x\)\s+\S+x\s+<= 1000000 ns\/op\s+PASS/);
    expect(printed).toContain('(import)');
    expect(printed).toContain('(require)');
    expect(printed).toMatch(/count\s+-\s+Mobj\/s/);
    let doc = latest(out);
    expect(Object.keys(doc.suites)).toEqual(['alpha']);
    const alpha = doc.suites.alpha;
    expect(alpha.rows.map((r: { case: string }) => r.case)).toEqual(['sum 64', 'count']);
    expect(alpha.rows[0].rtemem.reps).toHaveLength(1);
    // The same case again in a process loading through require, beside it.
    expect(alpha.rows[0].rtememRequire.reps).toHaveLength(1);
    expect(alpha.rows[0].requireRatio).toBeGreaterThan(0);
    expect(alpha.entry).toBe('import');
    // The peer allocates an array per call, rtemem nothing.
    expect(alpha.rows[0].peers['array push'].garbage.bytesPerOp).toBeGreaterThan(1);
    expect(alpha.rows[0].rtemem.garbage.bytesPerOp).toBeLessThan(1);
    expect(alpha.rows[1].rtemem.median).toBeGreaterThan(0);
    expect(doc.machine.node).toBe(process.version);

    bench(out, 'beta');
    doc = latest(out);
    expect(Object.keys(doc.suites)).toEqual(['alpha', 'beta']);
    expect(doc.suites.alpha).toEqual(alpha);
    const beta = doc.suites.beta;
    expect(beta.rows).toHaveLength(1);
    expect(beta.rows[0].backend).toBe('sab');
    expect(beta.rows[0].verdict).toBe('MISS');
    expect(beta.skipped).toHaveLength(1);
    expect(beta.skipped[0].backend).toBe('hugetlbfs');

    const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
    expect(md).toContain('## alpha: alpha fixture');
    expect(md).toContain('## beta: beta fixture');
    expect(md).toMatch(/\| noop \| sab \| ns\/op \| .* \| MISS \|/);
    expect(md).toContain('- skipped `hugetlbfs`:');
    const svg = readFileSync(join(out, 'results', 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    // One bar per figure: alpha's two, the throughput case's one, beta's one.
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(4);
    expect(svg).toContain('alpha: sum 64');
    expect(svg).toContain('beta: noop [sab]');
  });

  it('--entry esm runs the import process only (no require column)', () => {
    const out = outDir();
    const printed = bench(out, 'alpha', '--entry', 'esm');
    expect(printed).not.toContain('(require)');
    expect(latest(out).suites.alpha.rows[0].rtememRequire).toBeUndefined();
    expect(readFileSync(join(out, 'RESULTS.md'), 'utf8')).not.toContain('rtemem via require (÷ import) |');
  });

  it('a suite process loads the packages through the entry it is given (lib/entry.mjs)', () => {
    const probe = `
      import { createRequire } from 'node:module';
      const { rtemem, ENTRY } = await import(${JSON.stringify(new URL('../lib/entry.mjs', import.meta.url).href)});
      const { Ring } = await rtemem('@rtemem/ring');
      const cjs = Object.keys(createRequire(import.meta.url).cache).some((k) => k.endsWith('/ring/dist/index.cjs'));
      console.log(JSON.stringify({ ENTRY, cjs, ring: typeof Ring }));`;
    const run = (entry: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, RTEMEM_BENCH_ENTRY: entry }, cwd: fileURLToPath(new URL('..', import.meta.url)) }));
    expect(run('cjs')).toEqual({ ENTRY: 'cjs', cjs: true, ring: 'function' });
    expect(run('esm')).toEqual({ ENTRY: 'esm', cjs: false, ring: 'function' });
  });

  it('refuses an unknown suite, naming the ones there are', () => {
    const out = outDir();
    const r = spawnSync(process.execPath, [runJs, '--suites', suites, '--out', out, 'gamma'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no suite gamma: the suites are alpha, beta');
  });
});
