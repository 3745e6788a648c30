import v8 from 'node:v8';

/**
 * JS heap bytes allocated while `fn` runs `calls` times (after a warm-up
 * run of as many), counting what GCs collected in between: used heap at
 * the end minus at the start, plus each GC's collected bytes (v8.GCProfiler).
 */
export function allocatedBytes(fn: () => void, calls: number): number {
  for (let i = 0; i < calls; i++) fn();
  const used = () => v8.getHeapStatistics().used_heap_size;
  const profiler = new v8.GCProfiler();
  profiler.start();
  const start = used();
  for (let i = 0; i < calls; i++) fn();
  const end = used();
  const { statistics } = profiler.stop();
  let collected = 0;
  for (const g of statistics) collected += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  return Math.max(0, end - start + collected);
}
