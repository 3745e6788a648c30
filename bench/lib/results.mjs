/**
 * The results file, bench/results/latest.json:
 *
 *   { version: 1, machine, suites: { <name>: { title, date, machine, reps,
 *       backends, skipped: [{ backend, reason }], rows: [row...] } } }
 *
 * A row (runner.mjs makeRow): { case, backend, kind, unit, opsPerCall,
 * target, rtemem: figure | null, peers: { <peer>: figure | null }, ratios,
 * vsBest, bestPeer, verdict, note }; a figure: { median, min, max, best,
 * reps, garbage: { bytesPerOp, gcs, ops } }.
 *
 * Running some suites replaces only their entries (mergeSuite); `machine`
 * at the top is the latest run's, each suite keeps the one it ran on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export const RESULTS_VERSION = 1;

/** An empty results document. */
export function emptyResults() {
  return { version: RESULTS_VERSION, machine: null, suites: {} };
}

/** Reads a results file; an absent file is empty results, a malformed one throws. */
export function readResults(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return emptyResults();
    throw e;
  }
  const doc = JSON.parse(text);
  if (doc.version !== RESULTS_VERSION || typeof doc.suites !== 'object') {
    throw new Error(`${path} is not a version ${RESULTS_VERSION} results file: delete it and run every suite again`);
  }
  return doc;
}

/**
 * A new results document: `doc` with suite `result` (a runner result) put in
 * place of any older entry of the same name, stamped with `machine`. Other
 * suites are kept as they were. Does not modify `doc`.
 */
export function mergeSuite(doc, result, machine) {
  const suites = { ...doc.suites, [result.name]: { ...result, date: machine.date, machine } };
  const sorted = Object.fromEntries(Object.keys(suites).sort().map((k) => [k, suites[k]]));
  return { version: RESULTS_VERSION, machine, suites: sorted };
}

/** Writes JSON through a temporary file, so a crash never leaves half a file. */
export function writeJsonAtomic(path, value) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function gitCommit(cwd) {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

/**
 * What the figures were measured on: CPU, cores, memory, kernel, Node and V8,
 * transparent hugepages, the hugepage pool, load (pass the one from before
 * the run: the run itself loads the machine), commit and date.
 * `hugepages` is hugepageInfo()'s answer (passed in to keep this module free
 * of rtemem imports).
 */
export function machineInfo({ hugepages = [], cwd = process.cwd(), loadAverage1m = os.loadavg()[0] } = {}) {
  const cpus = os.cpus();
  const thp = readText('/sys/kernel/mm/transparent_hugepage/enabled');
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    transparentHugepages: thp ? (/\[(\w+)\]/.exec(thp)?.[1] ?? thp) : null,
    hugepages: hugepages.map((h) => ({ pageSize: h.pageSize, total: h.total, free: h.free, mountPoint: h.mountPoint })),
    loadAverage1m: Number(loadAverage1m.toFixed(2)),
    commit: gitCommit(cwd),
    date: new Date().toISOString(),
  };
}
