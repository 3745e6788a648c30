#!/usr/bin/env node
/**
 * `pnpm bench [suite...]`: runs the suites in bench/suites (all, or those
 * named), each in a `node --expose-gc` process of its own; prints their
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
 */
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hugepageInfo } from '@rtemem/eal-hugepage';
import { filePrefixOf, hugepagesFree, leftoverFiles } from './lib/backends.mjs';
import { renderChart } from './lib/chart.mjs';
import { suiteText, resultsMarkdown } from './lib/report.mjs';
import { machineInfo, mergeSuite, readResults, writeJsonAtomic } from './lib/results.mjs';
import { ENTRIES } from './lib/entry.mjs';
import { attachRequire, combineParts, DEFAULT_REPS } from './lib/runner.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const o = { names: [], reps: DEFAULT_REPS, entries: ENTRIES, list: false, report: false, suites: join(here, 'suites'), out: here };
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
      execArgv: ['--expose-gc'],
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
    console.log('usage: pnpm bench [suite...] [--reps N] [--entry esm|cjs|both] [--list] [--report]\n(see bench/README.md)');
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
  writeFileSync(join(o.out, 'RESULTS.md'), resultsMarkdown(doc));
  writeFileSync(join(resultsDir, 'chart.svg'), await renderChart(doc));
  console.log(`\nwrote ${names.length > 0 ? `${latest}, ` : ''}${join(o.out, 'RESULTS.md')}, ${join(resultsDir, 'chart.svg')}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e.message);
    process.exit(2);
  },
);
