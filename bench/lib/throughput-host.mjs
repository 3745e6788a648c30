/**
 * The host of one throughput worker, as a worker thread or a child process:
 * imports the worker module, runs its setup, says ready, waits for the
 * start, times `run` and meters its garbage, and reports back.
 * See throughput.mjs for the protocol.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import v8 from 'node:v8';
import { GO, STOP, WAIT } from './throughput.mjs';

// Waits for the start, then for durationMs, then says stop.
const STOP_TIMER = `
const { workerData: w } = require('node:worker_threads');
Atomics.wait(w.control, 0, w.wait);
Atomics.wait(w.control, 1, 0, w.durationMs);
Atomics.store(w.control, 0, w.stop);
`;

async function host(init, send, waitStart, running) {
  try {
    const mod = await import(init.file);
    if (typeof mod.run !== 'function') throw new Error(`${init.file} exports no run(state, ctl)`);
    const ctl = { index: init.index, running };
    const state = typeof mod.setup === 'function' ? await mod.setup(init.data, ctl) : init.data;
    if (typeof globalThis.gc === 'function') globalThis.gc();
    send({ type: 'ready' });
    await waitStart();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const h0 = v8.getHeapStatistics().used_heap_size;
    const t0 = performance.now();
    const count = await mod.run(state, ctl);
    const t1 = performance.now();
    const h1 = v8.getHeapStatistics().used_heap_size;
    const { statistics } = profiler.stop();
    let collected = 0;
    for (const g of statistics) collected += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
    if (typeof mod.teardown === 'function') await mod.teardown(state);
    if (typeof count !== 'number' || !(count >= 0)) throw new Error(`run() returned ${count}, not an object count`);
    await send({ type: 'done', count, elapsedMs: t1 - t0, bytes: Math.max(0, h1 - h0 + collected), gcs: statistics.length });
  } catch (e) {
    await send({ type: 'error', message: e && e.stack ? e.stack : String(e) });
  }
}

if (!isMainThread) {
  const control = workerData.control;
  await host(
    workerData,
    (m) => parentPort.postMessage(m),
    async () => {
      Atomics.wait(control, 0, WAIT);
    },
    () => Atomics.load(control, 0) === GO,
  );
} else if (process.send) {
  // The child's main thread is busy in run(), so a timer there would never
  // fire and reading the clock per batch would allocate: a small thread of
  // its own flips the same kind of control word the worker threads read.
  const control = new Int32Array(new SharedArrayBuffer(8));
  let onGo;
  const go = new Promise((resolve) => (onGo = resolve));
  process.on('message', (m) => {
    if (m.type === 'init') {
      const timer = new Worker(STOP_TIMER, { eval: true, workerData: { control, durationMs: m.durationMs, wait: WAIT, stop: STOP } });
      timer.unref();
      const timerOnline = new Promise((resolve) => timer.once('online', resolve));
      host(
        m,
        async (msg) => {
          if (msg.type === 'ready') await timerOnline;
          await new Promise((resolve) => process.send(msg, resolve));
        },
        () => go,
        () => Atomics.load(control, 0) === GO,
      ).then(() => process.exit(0));
    } else if (m.type === 'go') {
      Atomics.store(control, 0, GO);
      Atomics.notify(control, 0);
      onGo();
    }
  });
}
