// Zero garbage as a test: every hot path, 1e6 operations (and again 2e6) in
// a child process with --expose-gc; the JS heap bytes the extra million
// allocated must be (next to) none. The allocating forms the hot paths
// avoid (Mbuf.data, Mbuf.olFlags) run as controls, to show the meter sees them.
// What is measured is the steady state: the child (with V8's test natives,
// --allow-natives-syntax) has TurboFan compile each measuring loop before
// the runs, and measures again when the loop was deoptimized meanwhile.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeTitle, skipWithoutNative } from '@rtemem/testkit';

const script = fileURLToPath(new URL('./fixtures/hot-paths.mjs', import.meta.url));

interface Figure {
  perMillion: number;
  short: number;
  long: number;
  /** The loop ran TurboFan code before the first measured run and after the last (null: no natives). */
  optimized: boolean | null;
  /** Measurements it took (a deopt in between starts again, three at most). */
  attempts: number;
}
interface Report {
  backend: string;
  ops: number;
  results: Record<string, Figure>;
  controls: Record<string, Figure>;
}

function run(backend: string): Report {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', script, backend, '1000000'], { encoding: 'utf8', timeout: 300_000 })) as Report;
}

/**
 * "Next to nothing per million operations". One object per operation is 16+ MB
 * per million, one per thousand operations 16+ KB. What stays below this is
 * V8's own one-off work (a feedback vector or a code object of ~1 KiB, which
 * Node 22 and 24 sometimes allocate during the longer run only), not the path's.
 */
const FEW_BYTES = 4096;

function check(r: Report): void {
  expect(Object.keys(r.results)).toHaveLength(19);
  for (const [name, f] of Object.entries(r.results)) {
    expect(f.optimized, `${name}: the measuring loop left TurboFan code (deoptimized) in each of 3 attempts: ${JSON.stringify(f)}`).toBe(true);
    expect(f.perMillion, `${name}: ${JSON.stringify(f)}`).toBeLessThanOrEqual(FEW_BYTES);
  }
  expect(r.controls['mbuf data() (a view per call)']!.perMillion).toBeGreaterThan(16e6);
  expect(r.controls['mbuf olFlags() (a bigint per call)']!.perMillion).toBeGreaterThan(16e6);
}

describe('hot paths make no garbage (1e6 operations in a --expose-gc child)', () => {
  it('on the sab backend', () => check(run('sab')));
  it.skipIf(skipWithoutNative)(nativeTitle('on the anonymous backend'), () => check(run('anonymous')));
});
