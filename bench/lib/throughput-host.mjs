/**
 * The host of one throughput worker, as a worker thread or a child process:
 * imports the worker module, runs its setup, says ready, runs the warm-up
 * and the measured rounds as the control word says, meters the measured
 * round's garbage, and reports back. See throughput.mjs for the protocol.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { collect, meterStart, meterStop } from './garbage.mjs';
import { MEASURE, WARMED, WARMUP } from './throughput.mjs';

/**
 * Runs the worker. `io.send(message)` reports to the harness;
 * `io.waitPhase(p)` resolves once the control word has reached phase p;
 * `io.control` is the word.
 */
async function host(init, io) {
  try {
    const mod = await import(init.file);
    if (typeof mod.run !== 'function') throw new Error(`${init.file} exports no run(state, ctl)`);
    let round = WARMUP;
    const control = io.control;
    const ctl = { index: init.index, running: () => Atomics.load(control, 0) === round };
    const state = typeof mod.setup === 'function' ? await mod.setup(init.data, ctl) : init.data;
    await io.send({ type: 'ready' });
    await io.waitPhase(WARMUP);
    await mod.run(state, ctl);
    collect();
    await io.send({ type: 'warm' });
    await io.waitPhase(MEASURE);
    round = MEASURE;
    const meter = meterStart();
    const t0 = performance.now();
    const count = await mod.run(state, ctl);
    const t1 = performance.now();
    const { bytes, gcs } = meterStop(meter);
    if (typeof mod.teardown === 'function') await mod.teardown(state);
    if (typeof count !== 'number' || !(count >= 0)) throw new Error(`run() returned ${count}, not an object count`);
    await io.send({ type: 'done', count, elapsedMs: t1 - t0, bytes, gcs });
  } catch (e) {
    await io.send({ type: 'error', message: e && e.stack ? e.stack : String(e) });
  }
}

/** Blocks this thread until the control word reaches `phase`. */
function waitWord(control, phase) {
  for (;;) {
    const now = Atomics.load(control, 0);
    if (now >= phase) return;
    Atomics.wait(control, 0, now);
  }
}

// A child's own timer thread: its main thread is busy in run(), so a timer
// there would never fire (and reading the clock per batch would allocate).
// It ends each round after its time, as the harness does for threads.
const ROUND_TIMER = `
const { workerData: w } = require('node:worker_threads');
for (const [phase, ms] of [[w.WARMUP, w.warmupMs], [w.MEASURE, w.durationMs]]) {
  for (let now; (now = Atomics.load(w.control, 0)) < phase; ) Atomics.wait(w.control, 0, now);
  Atomics.wait(w.control, 1, 0, ms);
  Atomics.compareExchange(w.control, 0, phase, phase + 1);
}
`;

if (!isMainThread) {
  const control = workerData.control;
  await host(workerData, {
    control,
    send: async (m) => parentPort.postMessage(m),
    waitPhase: async (phase) => waitWord(control, phase),
  });
} else if (process.send) {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const reached = new Map();
  const waiters = new Map();
  process.on('message', (m) => {
    if (m.type === 'init') {
      const timer = new Worker(ROUND_TIMER, {
        eval: true,
        workerData: { control, warmupMs: m.warmupMs, durationMs: m.durationMs, WARMUP, MEASURE },
      });
      timer.unref();
      const online = new Promise((resolve) => timer.once('online', resolve));
      host(m, {
        control,
        send: async (msg) => {
          if (msg.type === 'ready') await online;
          await new Promise((resolve) => process.send(msg, resolve));
        },
        waitPhase: (phase) => reached.get(phase) ?? new Promise((resolve) => waiters.set(phase, resolve)),
      }).then(() => process.exit(0));
    } else if (m.type === 'phase' && (m.phase === WARMUP || m.phase === MEASURE)) {
      // The harness's WARMED and STOP are the timer thread's job here.
      Atomics.store(control, 0, m.phase);
      Atomics.notify(control, 0);
      reached.set(m.phase, Promise.resolve());
      waiters.get(m.phase)?.();
    }
  });
}
