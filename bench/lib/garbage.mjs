/**
 * The garbage meter: JS heap bytes allocated per operation, and the GCs they
 * caused, over many operations. Needs `node --expose-gc` (the runner starts
 * every suite so).
 *
 * allocated = (used_end - used_start) + sum over GCs of (used_before - used_after)
 *
 * where "used" is V8's used heap size: what stayed allocated at the end plus
 * what every GC in between collected. v8.GCProfiler gives each GC's used size
 * before and after, so a GC during the run loses nothing. ArrayBuffer and
 * SharedArrayBuffer backing stores are outside the JS heap: only their small
 * JS objects count here (their GCs do count).
 */
import v8 from 'node:v8';

/** Default number of operations the meter runs. */
export const DEFAULT_GARBAGE_OPS = 1e6;

/** Throws unless the process runs with --expose-gc. */
export function requireGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('the garbage meter needs `node --expose-gc`');
}

/** V8's used heap size now. */
function usedHeap() {
  return v8.getHeapStatistics().used_heap_size;
}

/**
 * A full GC (when exposed), then waits for the used size to settle: the
 * first allocations after a GC (even the statistics object) can make it jump
 * by a whole allocation buffer, up to ~200 KB, which must not be charged to
 * what is measured next.
 */
export function collect() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
  let prev = usedHeap();
  for (let i = 0; i < 20; i++) {
    const now = usedHeap();
    if (now - prev < 4096) return;
    prev = now;
  }
}

/** Starts metering (call collect() first): returns the state meterStop needs. */
export function meterStart() {
  const profiler = new v8.GCProfiler();
  profiler.start();
  return { profiler, start: usedHeap() };
}

/** Stops metering: `{ bytes, gcs }` allocated and collected since meterStart. */
export function meterStop(meter) {
  const end = usedHeap();
  const { statistics } = meter.profiler.stop();
  let collected = 0;
  for (const g of statistics) collected += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  return { bytes: Math.max(0, end - meter.start + collected), gcs: statistics.length };
}

/**
 * Calls `fn` `calls` times in a loop of its own (a new function each time,
 * so the call site sees only `fn`); returns the last result so the calls
 * cannot be optimised away.
 */
export function makeLoop() {
  return new Function('fn', 'calls', 'let r; for (let i = 0; i < calls; i++) r = fn(); return r;');
}

/**
 * V8's test natives, when the process runs with --allow-natives-syntax (the
 * zero-garbage test's child does), else null.
 */
function v8Natives() {
  try {
    return {
      prepare: new Function('f', '%PrepareFunctionForOptimization(f);'),
      optimizeOnNextCall: new Function('f', '%OptimizeFunctionOnNextCall(f);'),
      turbofanned: new Function('f', 'return %ActiveTierIsTurbofan(f);'),
    };
  } catch {
    return null;
  }
}
const natives = v8Natives();

/**
 * Warms `loop(fn, calls)` up before anything counts: `rounds` runs, so that
 * V8 collects the type feedback and tiers fn up (compiling allocates on the
 * heap). Left at that, every later call of `loop` would start again in a
 * lower tier and reach TurboFan by on-stack replacement, compiled on a
 * background thread: under CPU load that thread waits, the lower tiers run
 * meanwhile and allocate (a figure of the machine's load, not of fn). With
 * the natives, TurboFan compiles `loop` itself now, on this thread, so the
 * measured calls enter optimised code.
 *
 * Returns whether `loop` runs TurboFan code, or null without the natives.
 */
export function warmUp(loop, fn, calls, rounds = 3) {
  if (natives !== null) natives.prepare(loop);
  for (let i = 0; i < rounds; i++) loop(fn, calls);
  if (natives === null) return null;
  natives.optimizeOnNextCall(loop);
  loop(fn, 1);
  return natives.turbofanned(loop);
}

/** Whether `loop` still runs TurboFan code (no deopt since warmUp), or null without the natives. */
export function optimized(loop) {
  return natives === null ? null : natives.turbofanned(loop);
}

/**
 * Measures the garbage of `fn`, which does `opsPerCall` operations per call,
 * over at least `ops` operations, after a warm-up of as many, so that the
 * measured calls run optimised code. Returns `{ bytesPerOp, gcs, ops, bytes }`.
 */
export function measureGarbage(fn, { opsPerCall = 1, ops = DEFAULT_GARBAGE_OPS } = {}) {
  requireGc();
  const calls = Math.max(1, Math.ceil(ops / opsPerCall));
  const loop = makeLoop();
  // Warm-up three times as long as the run. One run was too short for a
  // WasmRing bulk call (its f64 result from wasm is boxed until TurboFan
  // inlines the call: 1 B/op that steady state does not have).
  warmUp(loop, fn, calls);
  collect();
  const meter = meterStart();
  loop(fn, calls);
  const { bytes, gcs } = meterStop(meter);
  const done = calls * opsPerCall;
  return { bytesPerOp: bytes / done, gcs, ops: done, bytes };
}
