import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeNodeRun, nodesTable, parseNodes, readNodes } from '../lib/nodes.mjs';
import { resultsMarkdown } from '../lib/report.mjs';

const runJs = fileURLToPath(new URL('../run.mjs', import.meta.url));
const suites = fileURLToPath(new URL('./fixtures/suites', import.meta.url));
const major = process.versions.node.split('.')[0]!;

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bench-nodes-'));
  temps.push(d);
  return d;
}

function row(c: string, unit: string, median: number, vsBest: number | null, bestPeer: string | null) {
  return { case: c, backend: 'sab', unit, rtemem: { median }, vsBest, bestPeer };
}
function machine(node: string, v8: string, date: string) {
  return { node: `v${node}`, v8, date };
}

describe('--node', () => {
  it('takes one major or a list, and refuses anything else', () => {
    expect(parseNodes('24')).toEqual(['24']);
    expect(parseNodes('20, 24,v24')).toEqual(['20', '24']);
    expect(() => parseNodes('lts')).toThrow(/--node takes Node majors, as 24 or 20,24 \(got 'lts'\)/);
    expect(() => parseNodes('')).toThrow(/--node takes Node majors/);
  });

  it('compares each case across Nodes: medians, the later Nodes against the first (> 1: faster there), and rtemem against its best peer on each', () => {
    const nodes = [
      { major: '20', version: '20.20.2', v8: null },
      { major: '24', version: '24.22.3', v8: null },
    ];
    let doc = mergeNodeRun(null, nodes, 'ring', '20', { title: 'rings', reps: 3, rows: [row('pair', 'ns/op', 20, 2, 'denque'), row('mt', 'Mobj/s', 100, 1.5, 'ringbuf.js')] }, machine('20.20.2', '11.3', 'd1'));
    doc = mergeNodeRun(doc, nodes, 'ring', '24', { title: 'rings', reps: 3, rows: [row('pair', 'ns/op', 10, 3, 'denque'), row('mt', 'Mobj/s', 80, 1.2, 'ringbuf.js')] }, machine('24.22.3', '13.6', 'd2'));
    expect(doc.nodes).toEqual([
      { major: '20', version: '20.20.2', v8: '11.3' },
      { major: '24', version: '24.22.3', v8: '13.6' },
    ]);
    expect(Object.keys(doc.suites.ring.byNode)).toEqual(['20', '24']);
    const t = nodesTable(doc.nodes, doc.suites.ring);
    expect(t.header).toEqual(['case', 'backend', 'unit', 'Node 20', 'Node 24', '24 vs 20', 'vs best peer, 20', 'vs best peer, 24']);
    // Time halves: 2x faster on 24; throughput 100 -> 80: 0.8x.
    expect(t.rows).toEqual([
      ['pair', 'sab', 'ns/op', '20.0', '10.0', '2.00x', '2.00x (denque)', '3.00x (denque)'],
      ['mt', 'sab', 'Mobj/s', '100', '80.0', '0.80x', '1.50x (ringbuf.js)', '1.20x (ringbuf.js)'],
    ]);
    const md = resultsMarkdown({ machine: null, suites: {} }, { nodes: doc });
    expect(md).toContain('## Node 20 vs 24');
    expect(md).toContain('| pair | sab | ns/op | 20.0 | 10.0 | 2.00x | 2.00x (denque) | 3.00x (denque) |');
    // Another pair of Nodes starts the file over.
    const other = mergeNodeRun(doc, [nodes[0]!, { major: '22', version: '22.23.5', v8: null }], 'ring', '22', { title: 'rings', reps: 3, rows: [] }, machine('22.23.5', '12.4', 'd3'));
    expect(Object.keys(other.suites.ring.byNode)).toEqual(['22']);
  });

  it(`--node ${major} (the Node running it) runs as without it, on this Node`, () => {
    const out = temp();
    execFileSync(process.execPath, [runJs, '--suites', suites, '--out', out, '--reps', '1', '--node', major, 'alpha'], { encoding: 'utf8', stdio: 'pipe' });
    const doc = JSON.parse(readFileSync(join(out, 'results', 'latest.json'), 'utf8'));
    expect(doc.machine.node).toBe(process.version);
    expect(Object.keys(doc.suites)).toEqual(['alpha']);
    expect(readNodes(join(out, 'results', 'nodes.json'))).toBeNull();
  });

  // Another Node to compare with, when this checkout has one (CI fetches 20, 22 and 24).
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const other = ['24', '22', '20'].find((m) => m !== major && existsSync(join(repo, '.cache', 'node', m, 'package', 'bin', 'node')));
  it.skipIf(other === undefined)(
    `--node ${major},${other ?? '<another>'} runs each suite on both, into nodes.json and RESULTS.md, leaving latest.json alone${other === undefined ? ' [skipped: no other Node in .cache/node; node scripts/node-dist.mjs 24 fetches one]' : ''}`,
    () => {
      const out = temp();
      const r = spawnSync(process.execPath, [runJs, '--suites', suites, '--out', out, '--reps', '1', '--node', `${major},${other}`, 'alpha'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`== alpha: Node ${major} vs ${other}`);
      expect(existsSync(join(out, 'results', 'latest.json'))).toBe(false);
      const doc = readNodes(join(out, 'results', 'nodes.json'));
      expect(doc.nodes.map((n: { major: string }) => n.major)).toEqual([major, other]);
      expect(doc.suites.alpha.byNode[other!].machine.node).toMatch(new RegExp(`^v${other}\\.`));
      expect(doc.suites.alpha.byNode[major].machine.node).toBe(process.version);
      expect(readFileSync(join(out, 'RESULTS.md'), 'utf8')).toContain(`| sum 64 | - | ns/op |`);
    },
  );
});
