/**
 * Timing of single-thread micro cases, by mitata: one repetition is one
 * mitata measurement, whose figure is the mean time per call (so the cost of
 * any GC the function causes is in it, amortised) divided by the operations
 * one call does.
 */
import { measure } from 'mitata';

/** Default CPU time of one repetition. */
export const DEFAULT_TIME_MS = 400;

/**
 * Times `fn` (which does `opsPerCall` operations per call) once: returns
 * ns per operation.
 */
export async function timeOnce(fn, { opsPerCall = 1, timeMs = DEFAULT_TIME_MS } = {}) {
  const stats = await measure(fn, { min_cpu_time: timeMs * 1e6 });
  return stats.avg / opsPerCall;
}
