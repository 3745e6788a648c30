import { describe, expect, it } from 'vitest';
import { throughput } from '../lib/throughput.mjs';

const worker = new URL('./fixtures/count-worker.mjs', import.meta.url);

describe('throughput', () => {
  it('runs real threads for the duration and counts only the counting workers', async () => {
    const sab = new SharedArrayBuffer(32);
    const r = await throughput({
      name: 'count',
      workers: [
        { file: worker, data: { sab } },
        { file: worker, data: { sab }, counts: false },
      ],
      durationMs: 200,
    });
    const slots = new Int32Array(sab);
    // What each thread reported is what its last round counted, after a warm-up round.
    expect(r.workers[0].count).toBe(slots[0]);
    expect(r.workers[1].count).toBe(slots[1]);
    expect(slots[4]).toBe(2);
    expect(slots[5]).toBe(2);
    expect(r.objects).toBe(slots[0]);
    expect(r.elapsedMs).toBeGreaterThan(150);
    expect(r.elapsedMs).toBeLessThan(1000);
    expect(r.mobjPerSec).toBeCloseTo(r.objects / (r.elapsedMs * 1000), 6);
    expect(r.mobjPerSec).toBeGreaterThan(0);
  });

  it('runs a worker in a child process', async () => {
    const r = await throughput({ name: 'child', workers: [{ file: worker, data: {}, process: true }], durationMs: 200 });
    expect(r.objects).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeGreaterThan(150);
    expect(r.elapsedMs).toBeLessThan(1000);
  });

  it("rejects with the worker's error", async () => {
    await expect(throughput({ name: 'bad', workers: [{ file: worker, data: { fail: true } }], durationMs: 100 })).rejects.toThrow(/setup refused/);
    await expect(throughput({ name: 'none', workers: [{ file: worker, data: {}, counts: false }] })).rejects.toThrow(/no worker counts/);
  });
});
