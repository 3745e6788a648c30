/**
 * Which Node runs the suites (`pnpm bench --node 24`, RTEMEM_BENCH_NODE=24),
 * and the comparison of two or more (`--node 20,24`), kept in
 * bench/results/nodes.json and shown in RESULTS.md:
 *
 *   { version: 1, date, nodes: [{ major, version, v8 }],
 *     suites: { <name>: { title, date, reps, byNode: { <major>: suite result } } } }
 *
 * A Node other than the one running `pnpm bench` comes from the npm
 * registry's node-linux-<arch> package (scripts/node-dist.mjs), and the
 * eal-hugepage addon is built for it when it has none (its own ABI).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, fmtRatio, ratio } from './figures.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NODES_VERSION = 1;

/** '24' or '20,24' (from --node or RTEMEM_BENCH_NODE) -> ['24'] / ['20', '24']; throws on anything else. */
export function parseNodes(spec) {
  const majors = String(spec)
    .split(',')
    .map((s) => s.trim().replace(/^v/, ''))
    .filter(Boolean);
  if (majors.length === 0 || majors.some((m) => !/^\d+$/.test(m))) throw new Error(`--node takes Node majors, as 24 or 20,24 (got '${spec}')`);
  return [...new Set(majors)];
}

/**
 * Node `major` ready to run the suites: { major, version, node (path),
 * nodedir }. Fetches it from the registry when needed (once), and builds the
 * native addon for its ABI when the package has no binary for it.
 */
export async function prepareNode(major, { log = console.log } = {}) {
  const { nodeDist } = await import(join(REPO, 'scripts', 'node-dist.mjs'));
  const d = nodeDist(major);
  log(`Node ${d.version} (${d.source === 'running' ? 'the one running this' : d.node})`);
  const build = join(REPO, 'packages', 'eal-hugepage', 'scripts', 'build-native.cjs');
  const r = spawnSync(d.node, [build, '--if-missing'], { stdio: 'inherit', env: { ...process.env, npm_config_nodedir: d.nodedir } });
  if (r.status !== 0) log(`!! no native addon for Node ${d.version}: its suites run on the sab backend only`);
  return { major: String(d.major), version: d.version, node: d.node, nodedir: d.nodedir };
}

/** nodes.json with one Node run of `name` put in (`result` a runner result, `machine` its machine info). */
export function mergeNodeRun(doc, nodes, name, major, result, machine) {
  const sameNodes = doc && doc.version === NODES_VERSION && JSON.stringify(doc.nodes.map((n) => n.major)) === JSON.stringify(nodes.map((n) => n.major));
  const base = sameNodes ? doc : { version: NODES_VERSION, date: null, nodes, suites: {} };
  const prev = base.suites[name];
  const byNode = { ...(prev ? prev.byNode : {}), [major]: { ...result, machine } };
  const node = { major, version: machine.node.replace(/^v/, ''), v8: machine.v8 };
  return {
    version: NODES_VERSION,
    date: machine.date,
    nodes: base.nodes.map((n) => (n.major === major ? node : n)),
    suites: { ...base.suites, [name]: { title: result.title, date: machine.date, reps: result.reps, byNode } },
  };
}

/** Reads nodes.json, or null when there is none (or it is of another version). */
export function readNodes(path) {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    return doc.version === NODES_VERSION ? doc : null;
  } catch {
    return null;
  }
}

/**
 * The table of one suite across Nodes: rtemem's median on each, the later
 * Nodes against the first (> 1: faster there), and rtemem against its best
 * peer on each Node (what a newer V8 did to the peers too).
 */
export function nodesTable(nodes, suite) {
  const [first, ...later] = nodes;
  const byKey = new Map();
  for (const n of nodes) {
    for (const r of suite.byNode[n.major]?.rows ?? []) {
      const key = `${r.case}\u0000${r.backend}`;
      if (!byKey.has(key)) byKey.set(key, { case: r.case, backend: r.backend, unit: r.unit, byNode: {} });
      byKey.get(key).byNode[n.major] = r;
    }
  }
  const header = [
    'case',
    'backend',
    'unit',
    ...nodes.map((n) => `Node ${n.major}`),
    ...later.map((n) => `${n.major} vs ${first.major}`),
    ...nodes.map((n) => `vs best peer, ${n.major}`),
  ];
  const rows = [...byKey.values()].map((k) => {
    const med = (n) => k.byNode[n.major]?.rtemem?.median ?? null;
    return [
      k.case,
      k.backend,
      k.unit,
      ...nodes.map((n) => (med(n) === null ? 'n/a' : fmt(med(n)))),
      ...later.map((n) => fmtRatio(med(n) === null || med(first) === null ? null : ratio(k.unit, med(n), med(first)))),
      ...nodes.map((n) => {
        const r = k.byNode[n.major];
        return r ? `${fmtRatio(r.vsBest)}${r.bestPeer ? ` (${r.bestPeer})` : ''}` : 'n/a';
      }),
    ];
  });
  return { header, rows };
}
