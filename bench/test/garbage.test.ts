import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/garbage-meter.mjs', import.meta.url));

describe('garbage meter', () => {
  it('shows an allocation per call as bytes and GCs, and a typed-array loop as ~0', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
    const r = JSON.parse(out);
    expect(r.kept).toBe(true);
    // A two-field object is 16 to 40 bytes depending on pointer compression.
    expect(r.allocating.bytesPerOp).toBeGreaterThan(16);
    expect(r.allocating.bytesPerOp).toBeLessThan(100);
    expect(r.allocating.gcs).toBeGreaterThan(0);
    expect(r.allocating.ops).toBe(1e6);
    expect(r.typedLoop.bytesPerOp).toBeLessThan(1);
    expect(r.typedLoop.gcs).toBe(0);
  });

  it('refuses to run without --expose-gc', () => {
    expect(() => execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: 'pipe' })).toThrow(/expose-gc/);
  });
});
