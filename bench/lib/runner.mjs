/**
 * Runs one suite in this process (the runner's child, started with
 * --expose-gc): every backend it declares, every case, rtemem and its peers
 * interleaved repetition by repetition so that drift hits all alike.
 * Returns the suite's result record (see results.mjs).
 */
import { BACKENDS, filePrefixOf, unavailableReason } from './backends.mjs';
import { aggregate, checkTarget, checkUnit, ratios, verdict } from './figures.mjs';
import { DEFAULT_GARBAGE_OPS, measureGarbage, requireGc } from './garbage.mjs';
import { throughput } from './throughput.mjs';
import { DEFAULT_TIME_MS, timeOnce } from './timing.mjs';

export const DEFAULT_REPS = 5;

/** Throws with a clear message unless `suite` is well formed. */
export function validateSuite(suite) {
  const where = `suite '${suite?.name}'`;
  if (!suite || typeof suite.name !== 'string' || !/^[a-z0-9-]+$/.test(suite.name)) throw new Error(`${where}: needs a name of [a-z0-9-]`);
  if (!Array.isArray(suite.cases) || suite.cases.length === 0) throw new Error(`${where}: needs cases`);
  for (const b of suite.backends ?? []) if (!BACKENDS.includes(b)) throw new Error(`${where}: unknown backend '${b}'`);
  const names = new Set();
  for (const c of suite.cases) {
    const at = `${where}, case '${c.name}'`;
    if (typeof c.name !== 'string' || c.name === '') throw new Error(`${where}: a case needs a name`);
    if (names.has(c.name)) throw new Error(`${at}: duplicate name`);
    names.add(c.name);
    const kind = c.kind ?? 'micro';
    if (kind !== 'micro' && kind !== 'throughput') throw new Error(`${at}: kind is 'micro' or 'throughput'`);
    const unit = kind === 'micro' ? 'ns/op' : 'Mobj/s';
    checkUnit(unit);
    checkTarget(c.target, unit, at);
    if (typeof c.rtemem !== 'function') throw new Error(`${at}: rtemem must be a factory (ctx) => ${kind === 'micro' ? 'fn' : '{ workers }'}`);
    for (const [p, f] of Object.entries(c.peers ?? {})) if (typeof f !== 'function') throw new Error(`${at}: peer '${p}' must be a factory`);
    for (const b of c.backends ?? []) if (!(suite.backends ?? []).includes(b)) throw new Error(`${at}: backend '${b}' is not one of the suite's`);
  }
}

/** Builds a row's figures and derived ratio and verdict from raw repetitions. */
export function makeRow(c, backend, unit, raw) {
  const figures = {};
  for (const [impl, r] of Object.entries(raw)) {
    figures[impl] = r === null ? null : { ...aggregate(r.reps, unit), garbage: r.garbage };
  }
  const rtemem = figures.rtemem ?? null;
  const peers = {};
  for (const [impl, f] of Object.entries(figures)) if (impl !== 'rtemem') peers[impl] = f;
  const peerMedians = {};
  for (const [p, f] of Object.entries(peers)) if (f) peerMedians[p] = f.median;
  const r = rtemem ? ratios(unit, rtemem.median, peerMedians) : { byPeer: {}, vsBest: null, bestPeer: null };
  return {
    case: c.name,
    backend: backend ?? '-',
    kind: c.kind ?? 'micro',
    unit,
    opsPerCall: c.kind === 'throughput' ? null : (c.opsPerCall ?? 1),
    target: c.target ?? null,
    rtemem,
    peers,
    ratios: r.byPeer,
    vsBest: r.vsBest,
    bestPeer: r.bestPeer,
    verdict: verdict(c.target, rtemem?.median),
    note: c.note ?? null,
  };
}

/** The implementations of a case: [name, factory] with rtemem first. */
function implementations(c) {
  return [['rtemem', c.rtemem], ...Object.entries(c.peers ?? {})];
}

async function runMicro(c, ctx, reps, log) {
  const opsPerCall = c.opsPerCall ?? 1;
  const timeMs = c.timeMs ?? DEFAULT_TIME_MS;
  const fns = implementations(c).map(([name, make]) => [name, make(ctx)]);
  const raw = {};
  for (const [name, fn] of fns) {
    if (fn !== null && typeof fn !== 'function') throw new Error(`case '${c.name}': ${name}'s factory returned ${typeof fn}, not a function (or null)`);
    raw[name] = fn === null ? null : { reps: [], garbage: null };
  }
  for (let r = 0; r < reps; r++) {
    for (const [name, fn] of fns) if (fn) raw[name].reps.push(await timeOnce(fn, { opsPerCall, timeMs }));
  }
  for (const [name, fn] of fns) {
    if (!fn) continue;
    raw[name].garbage = measureGarbage(fn, { opsPerCall, ops: c.garbageOps ?? DEFAULT_GARBAGE_OPS });
    log(`      ${name}: ${raw[name].reps.map((x) => x.toFixed(2)).join(' ')} ns/op, ${raw[name].garbage.bytesPerOp.toFixed(3)} B/op`);
  }
  return raw;
}

async function runThroughput(c, ctx, reps, log) {
  const setups = [];
  const raw = {};
  try {
    for (const [name, make] of implementations(c)) {
      const s = await make(ctx);
      if (s !== null && !Array.isArray(s?.workers)) throw new Error(`case '${c.name}': ${name}'s factory returned no { workers }`);
      setups.push([name, s]);
      raw[name] = s === null ? null : { reps: [], garbage: { bytesPerOp: 0, gcs: 0, ops: 0, bytes: 0 } };
    }
    for (let r = 0; r < reps; r++) {
      for (const [name, s] of setups) {
        if (!s) continue;
        const t = await throughput({ name: `${c.name} (${name})`, workers: s.workers, durationMs: c.durationMs ?? 500, warmupMs: c.warmupMs });
        raw[name].reps.push(t.mobjPerSec);
        const g = raw[name].garbage;
        g.gcs += t.gcs;
        g.ops += t.objects;
        g.bytes += t.bytesPerOp * t.objects;
        g.bytesPerOp = g.ops > 0 ? g.bytes / g.ops : 0;
      }
    }
    for (const [name, s] of setups) if (s) log(`      ${name}: ${raw[name].reps.map((x) => x.toFixed(1)).join(' ')} Mobj/s`);
  } finally {
    for (const [, s] of setups) if (s?.teardown) await s.teardown();
  }
  return raw;
}

/**
 * Runs `suite` and returns `{ name, title, backends, rows, skipped, reps }`.
 * `log` gets progress lines.
 */
export async function runSuite(suite, { reps = DEFAULT_REPS, log = console.log, only = null } = {}) {
  validateSuite(suite);
  requireGc();
  const rows = [];
  const skipped = [];
  const backends = suite.backends ?? [null];
  for (const backend of backends) {
    if (only !== null && backend !== only) continue;
    if (backend !== null) {
      const reason = unavailableReason(backend, { hugepages: suite.hugepages ?? 1 });
      if (reason) {
        log(`  [${backend}] skipped: ${reason}`);
        skipped.push({ backend, reason });
        continue;
      }
    }
    const filePrefix = `${filePrefixOf(process.pid)}${backend ?? 'none'}`;
    let ctx;
    try {
      ctx = suite.setup ? await suite.setup({ backend, filePrefix }) : { backend, filePrefix };
    } catch (e) {
      const reason = `setup failed: ${e.message}`;
      log(`  [${backend}] skipped: ${reason}`);
      skipped.push({ backend, reason });
      continue;
    }
    try {
      for (const c of suite.cases) {
        if (c.backends && !c.backends.includes(backend)) continue;
        const kind = c.kind ?? 'micro';
        log(`  [${backend ?? '-'}] ${c.name}`);
        const raw = kind === 'micro' ? await runMicro(c, ctx, reps, log) : await runThroughput(c, ctx, reps, log);
        rows.push(makeRow(c, backend, kind === 'micro' ? 'ns/op' : 'Mobj/s', raw));
        globalThis.gc();
      }
    } finally {
      if (suite.teardown) await suite.teardown(ctx);
      globalThis.gc();
    }
  }
  return combineParts(suite, [{ rows, skipped }], reps);
}

/**
 * One suite result from the parts run separately (one process per backend):
 * rows case by case, each case's backends together in the suite's order.
 */
export function combineParts(suite, parts, reps) {
  const rows = parts.flatMap((p) => p.rows);
  const skipped = parts.flatMap((p) => p.skipped);
  const caseIndex = new Map(suite.cases.map((c, i) => [c.name, i]));
  const backendIndex = new Map((suite.backends ?? [null]).map((b, i) => [b ?? '-', i]));
  rows.sort((a, b) => caseIndex.get(a.case) - caseIndex.get(b.case) || backendIndex.get(a.backend) - backendIndex.get(b.backend));
  return { name: suite.name, title: suite.title ?? suite.name, note: suite.note ?? null, backends: suite.backends ?? [], rows, skipped, reps };
}

/**
 * The import run's result with the require run's rtemem figures beside
 * each row (`rtememRequire`, and `requireRatio`: require / import time, so
 * 1.00 is "as fast", 1.10 "10 % slower").
 */
export function attachRequire(esm, cjs) {
  const key = (r) => `${r.case}\u0000${r.backend}`;
  const other = new Map(cjs.rows.map((r) => [key(r), r]));
  const rows = esm.rows.map((r) => {
    const c = other.get(key(r));
    const f = c?.rtemem ?? null;
    if (!f || !r.rtemem) return { ...r, rtememRequire: f, requireRatio: null };
    const ratio = r.unit === 'ns/op' ? f.median / r.rtemem.median : r.rtemem.median / f.median;
    return { ...r, rtememRequire: f, requireRatio: ratio };
  });
  return { ...esm, rows };
}
