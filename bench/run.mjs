#!/usr/bin/env node
/**
 * `pnpm bench [suite...]`: runs the suites in bench/suites (all, or those
 * named), each in a `node --expose-gc --allow-natives-syntax` process of
 * its own (the natives let the garbage meter have TurboFan compile its loop
 * before it measures: see lib/garbage.mjs warmUp); prints their
 * tables; merges their results into results/latest.json (other suites'
 * entries stay); regenerates RESULTS.md and results/chart.svg.
 *
 * Every suite runs once per module entry (`import`, then `require`), each
 * in its own process; the rows keep the import figures and carry the
 * require figure of rtemem beside them (`rtememRequire`).
 *
 * Options: --reps N (repetitions per figure, default 5), --entry esm|cjs|both
 * (default both), --list,
 * --report (run nothing: regenerate RESULTS.md and the chart from latest.json),
 * --suites DIR and --out DIR (where suites are, and where RESULTS.md and
 * results/ go: for tests of the harness).
 *
 * --node 24 (or RTEMEM_BENCH_NODE=24): run everything on Node 24, from the
 * npm registry's package when it is not the Node running this (see
 * lib/nodes.mjs). --node 20,24: run each suite on each Node in turn, in this
 * one session, into results/nodes.json and the "Node 20 vs 24" section of
 * RESULTS.md; latest.json is left as it was.
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hugepageInfo } from '@rtemem/eal-hugepage';
import { filePrefixOf, hugepagesFree, leftoverFiles } from './lib/backends.mjs';
import { renderChart } from './lib/chart.mjs';
import { mergeNodeRun, parseNodes, prepareNode, readNodes } from './lib/nodes.mjs';
import { nodesText, suiteText, resultsMarkdown } from './lib/report.mjs';
import { machineInfo, mergeSuite, readResults, writeJsonAtomic } from './lib/results.mjs';
import { ENTRIES } from './lib/entry.mjs';
import { attachRequire, combineParts, DEFAULT_REPS } from './lib/runner.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const o = { names: [], reps: DEFAULT_REPS, entries: ENTRIES, list: false, report: false, suites: join(here, 'suites'), out: here, node: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') o.reps = Number(argv[++i]);
    else if (a === '--entry') {
      const e = argv[++i];
      if (e !== 'both' && !ENTRIES.includes(e)) throw new Error(`--entry takes esm, cjs or both, not ${e}`);
      o.entries = e === 'both' ? ENTRIES : [e];
    } else if (a === '--list') o.list = true;
    else if (a === '--report') o.report = true;
    else if (a === '--suites') o.suites = resolve(argv[++i]);
    else if (a === '--out') o.out = resolve(argv[++i]);
    else if (a === '--node') o.node = argv[++i] ?? '';
    else if (a === '--help' || a === '-h') o.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a} (see --help)`);
    else o.names.push(a);
  }
  if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error('--reps takes a whole number >= 1');
  return o;
}

/** Runs one suite file in a child process loading rtemem through `entry`; resolves its result, or null when it failed. */
function runChild(file, reps, backend, entry) {
  return new Promise((resolvePromise) => {
    const child = fork(join(here, 'lib', 'suite-child.mjs'), [file, String(reps), backend ?? ''], {
      execArgv: ['--expose-gc', '--allow-natives-syntax'],
      serialization: 'advanced',
      env: { ...process.env, RTEMEM_BENCH_ENTRY: entry },
    });
    let result = null;
    child.on('message', (m) => {
      if (m.type === 'result') result = m.result;
    });
    child.on('exit', (code, signal) => resolvePromise({ pid: child.pid, result: code === 0 ? result : null, code, signal }));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) {
    console.log('usage: pnpm bench [suite...] [--reps N] [--entry esm|cjs|both] [--node 24 | --node 20,24] [--list] [--report]\n(see bench/README.md)');
    return 0;
  }
  const available = readdirSync(o.suites).filter((f) => f.endsWith('.mjs')).map((f) => basename(f, '.mjs')).sort();
  if (o.list) {
    console.log(available.join('\n'));
    return 0;
  }
  const unknown = o.names.filter((n) => !available.includes(n));
  if (unknown.length > 0) throw new Error(`no suite ${unknown.join(', ')}: the suites are ${available.join(', ')}`);
  const names = o.report ? [] : o.names.length > 0 ? [...new Set(o.names)] : available;
  const resultsDir = join(o.out, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const latest = join(resultsDir, 'latest.json');
  const nodesFile = join(resultsDir, 'nodes.json');

  const nodeSpec = o.node ?? (process.env.RTEMEM_BENCH_NODE || null);
  if (nodeSpec !== null && !o.report) {
    const majors = parseNodes(nodeSpec);
    if (majors.length > 1) return compareNodes(o, majors, names, { latest, nodesFile });
    const n = await prepareNode(majors[0]);
    if (n.version !== process.versions.node) {
      // The whole run under that Node: its suites, its machine info.
      const args = process.argv.slice(2).filter((a, i, all) => a !== '--node' && all[i - 1] !== '--node');
      const r = spawnSync(n.node, [fileURLToPath(import.meta.url), ...args], { stdio: 'inherit', env: { ...process.env, RTEMEM_BENCH_NODE: '' } });
      return r.status ?? 1;
    }
  }

  let failed = 0;
  for (const name of names) {
    console.log(`\n>> ${name}`);
    const freeBefore = await hugepagesFree();
    const loadAverage1m = loadavg()[0];
    // One process per backend: each gets a fresh JIT, as an application with one EAL has.
    const file = join(o.suites, `${name}.mjs`);
    const suite = (await import(pathToFileURL(file).href)).default;
    const runs = [];
    const byEntry = Object.fromEntries(o.entries.map((e) => [e, []]));
    for (const backend of suite.backends ?? [null]) {
      for (const entry of o.entries) {
        console.log(`   (${entry === 'esm' ? 'import' : 'require'})`);
        const r = await runChild(file, o.reps, backend, entry);
        runs.push(r);
        byEntry[entry].push(r);
      }
    }
    const freeAfter = await hugepagesFree();
    const left = (await Promise.all(runs.map((r) => leftoverFiles(filePrefixOf(r.pid))))).flat();
    if (left.length > 0) {
      console.error(`!! suite ${name} left files behind (an EAL without cleanup()): ${left.join(', ')}`);
      failed++;
    }
    if (freeBefore !== null && freeAfter !== freeBefore) {
      // Other processes on the machine may take or give back hugepages too, so this is a warning.
      console.warn(`!! HugePages_Free was ${freeBefore} before suite ${name} and is ${freeAfter} after`);
    } else if (freeBefore !== null) {
      console.log(`hugepages free before and after: ${freeAfter}`);
    }
    const broken = runs.filter((r) => r.result === null);
    if (broken.length > 0) {
      console.error(`!! suite ${name} failed (exit ${broken.map((r) => r.code ?? r.signal).join(', ')}): its old results, if any, are kept`);
      failed++;
      continue;
    }
    const main = o.entries[0];
    let result = combineParts(suite, byEntry[main].map((r) => r.result), o.reps);
    if (main === 'esm' && byEntry.cjs) result = attachRequire(result, combineParts(suite, byEntry.cjs.map((r) => r.result), o.reps));
    result.entry = main === 'esm' ? 'import' : 'require';
    const run = { result };
    console.log(`\n${suiteText(run.result)}`);
    // Merge right away so that a later failure keeps this suite's figures.
    const doc = mergeSuite(readResults(latest), run.result, machineInfo({ hugepages: hugepageInfo(), cwd: o.out, loadAverage1m }));
    writeJsonAtomic(latest, doc);
  }

  const doc = readResults(latest);
  writeFileSync(join(o.out, 'RESULTS.md'), resultsMarkdown(doc, { nodes: readNodes(nodesFile) }));
  writeFileSync(join(resultsDir, 'chart.svg'), await renderChart(doc));
  console.log(`\nwrote ${names.length > 0 ? `${latest}, ` : ''}${join(o.out, 'RESULTS.md')}, ${join(resultsDir, 'chart.svg')}`);
  return failed > 0 ? 1 : 0;
}

/**
 * --node 20,24: each suite on each Node in turn (suite by suite, so that both
 * see the same machine), each as a run of this script under that Node into a
 * scratch --out; their results go into nodes.json, and RESULTS.md gets the
 * comparison. latest.json is not touched.
 */
async function compareNodes(o, majors, names, { latest, nodesFile }) {
  const nodes = [];
  for (const m of majors) nodes.push(await prepareNode(m));
  const scratch = mkdtempSync(join(tmpdir(), 'rtemem-bench-nodes-'));
  let failed = 0;
  try {
    for (const name of names) {
      for (const n of nodes) {
        console.log(`\n>> ${name} on Node ${n.version}`);
        const out = join(scratch, n.major);
        const r = spawnSync(n.node, [fileURLToPath(import.meta.url), name, '--reps', String(o.reps), ...(o.entries.length === 1 ? ['--entry', o.entries[0]] : []), '--suites', o.suites, '--out', out], {
          stdio: 'inherit',
          env: { ...process.env, RTEMEM_BENCH_NODE: '' },
        });
        const got = readResults(join(out, 'results', 'latest.json')).suites[name];
        if (r.status !== 0 || got === undefined) {
          console.error(`!! suite ${name} failed on Node ${n.version} (exit ${r.status ?? r.signal})`);
          failed++;
          continue;
        }
        const list = nodes.map((x) => ({ major: x.major, version: x.version, v8: null }));
        const doc = mergeNodeRun(readNodes(nodesFile), list, name, n.major, got, got.machine);
        writeJsonAtomic(nodesFile, doc);
      }
      const doc = readNodes(nodesFile);
      if (doc?.suites[name]) console.log(`\n== ${name}: Node ${majors.join(' vs ')}\n${nodesText(doc, name)}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeFileSync(join(o.out, 'RESULTS.md'), resultsMarkdown(readResults(latest), { nodes: readNodes(nodesFile) }));
  console.log(`\nwrote ${nodesFile}, ${join(o.out, 'RESULTS.md')}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e.message);
    process.exit(2);
  },
);
