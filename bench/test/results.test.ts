import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartData } from '../lib/chart.mjs';
import { garbageTable, resultsMarkdown, timingTable } from '../lib/report.mjs';
import { emptyResults, mergeSuite, readResults } from '../lib/results.mjs';
import { makeRow } from '../lib/runner.mjs';

const garbage = { bytesPerOp: 0, gcs: 0, ops: 1e6, bytes: 0 };

function suite(name: string, rows: unknown[]) {
  return { name, title: `${name} title`, backends: [], rows, skipped: [], reps: 5 };
}

function machine(date: string) {
  return { cpu: 'cpu', cores: 2, memoryBytes: 2 ** 34, kernel: 'Linux', node: 'v20', v8: '11', transparentHugepages: 'madvise', hugepages: [], loadAverage1m: 0, commit: null, date };
}

describe('makeRow', () => {
  it('aggregates repetitions and derives ratios and the verdict from the medians', () => {
    const c = { name: 'get', opsPerCall: 32, target: { max: 40, unit: 'ns/op' } };
    const row = makeRow(c, 'hugetlbfs', 'ns/op', {
      rtemem: { reps: [30, 31, 29, 35, 30], garbage },
      denque: { reps: [60, 61, 59, 62, 60], garbage },
      absent: null,
    });
    expect(row.rtemem.median).toBe(30);
    expect(row.rtemem.min).toBe(29);
    expect(row.peers.denque.median).toBe(60);
    expect(row.peers.absent).toBeNull();
    expect(row.ratios.denque).toBe(2);
    expect(row.vsBest).toBe(2);
    expect(row.verdict).toBe('PASS');
    expect(row.backend).toBe('hugetlbfs');
    const miss = makeRow(c, null, 'ns/op', { rtemem: { reps: [41, 42, 43, 44, 45], garbage } });
    expect(miss.verdict).toBe('MISS');
    expect(miss.backend).toBe('-');
    expect(miss.vsBest).toBeNull();
  });

  it('orients throughput ratios so that > 1 means rtemem wins', () => {
    const c = { name: 'mpmc', kind: 'throughput', target: { min: 400, unit: 'Mobj/s' } };
    const row = makeRow(c, 'sab', 'Mobj/s', {
      rtemem: { reps: [300, 310, 290, 305, 300], garbage },
      'ringbuf.js': { reps: [100, 100, 100, 100, 100], garbage },
    });
    expect(row.ratios['ringbuf.js']).toBe(3);
    expect(row.verdict).toBe('MISS');
    expect(row.opsPerCall).toBeNull();
  });
});

describe('results file', () => {
  const c = { name: 'case a', target: { max: 40, unit: 'ns/op' } };
  const rowA = makeRow(c, null, 'ns/op', { rtemem: { reps: [10, 10, 10, 10, 10], garbage }, peer: { reps: [20, 20, 20, 20, 20], garbage } });
  const rowB = makeRow({ name: 'case b' }, null, 'ns/op', { rtemem: { reps: [5, 5, 5, 5, 5], garbage } });

  it('merges one suite without touching the others', () => {
    const first = mergeSuite(emptyResults(), suite('ring', [rowA]), machine('d1'));
    const second = mergeSuite(first, suite('mempool', [rowB]), machine('d2'));
    expect(Object.keys(second.suites)).toEqual(['mempool', 'ring']);
    expect(second.suites.ring.date).toBe('d1');
    expect(second.machine.date).toBe('d2');
    const third = mergeSuite(second, suite('ring', [rowB]), machine('d3'));
    expect(third.suites.ring.rows[0].case).toBe('case b');
    expect(third.suites.ring.date).toBe('d3');
    expect(third.suites.mempool).toEqual(second.suites.mempool);
    // The input document is left as it was.
    expect(second.suites.ring.rows[0].case).toBe('case a');
  });

  it('reads an absent file as empty and refuses a foreign one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    try {
      expect(readResults(join(dir, 'none.json'))).toEqual(emptyResults());
      writeFileSync(join(dir, 'old.json'), JSON.stringify({ version: 0, suites: {} }));
      expect(() => readResults(join(dir, 'old.json'))).toThrow(/version 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders tables with figures, ratios, targets and verdicts', () => {
    const s = suite('ring', [rowA, rowB]);
    const t = timingTable(s);
    expect(t.header).toEqual(['case', 'backend', 'unit', 'rtemem', 'rtemem min..max', 'peer', 'vs best', 'target', 'verdict']);
    expect(t.rows[0]).toEqual(['case a', '-', 'ns/op', '10.0', '10.0..10.0', '20.0 (2.00x)', '2.00x', '<= 40 ns/op', 'PASS']);
    expect(t.rows[1]).toEqual(['case b', '-', 'ns/op', '5.00', '5.00..5.00', '', '-', '-', '-']);
    const g = garbageTable(s);
    expect(g.rows[0]).toEqual(['case a', '-', '1M', '0.000 B/op, 0 GC', '0.000 B/op, 0 GC']);
    const md = resultsMarkdown(mergeSuite(emptyResults(), s, machine('d1')));
    expect(md).toContain('## ring: ring title');
    expect(md).toContain('| case a | - | ns/op | 10.0 | 10.0..10.0 | 20.0 (2.00x) | 2.00x | <= 40 ns/op | PASS |');
    expect(md).toContain('](results/chart.svg)');
  });

  it('charts every figure in ns per op, throughput as 1000 / Mobj/s', () => {
    const tp = makeRow({ name: 'tp', kind: 'throughput' }, 'sab', 'Mobj/s', { rtemem: { reps: [250, 250, 250, 250, 250], garbage } });
    const doc = mergeSuite(emptyResults(), suite('ring', [rowA, tp]), machine('d'));
    const data = chartData(doc);
    expect(data.map((d: { impl: string; ns: number }) => [d.impl, d.ns])).toEqual([
      ['rtemem', 10],
      ['peer', 20],
      ['rtemem', 4],
    ]);
  });
});
