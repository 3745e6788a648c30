/**
 * Cross-thread throughput: real worker threads (and child processes where a
 * case asks for them) run a worker module's `run` for a fixed time and
 * report how many objects they moved; the harness sums the counting
 * workers' objects and divides by the longest counting worker's time.
 *
 * A worker module exports:
 *   setup(data, ctl)   optional, untimed: returns the state `run` gets (else run gets data)
 *   run(state, ctl)    loops while ctl.running(), returns the objects it moved
 *   teardown(state)    optional, untimed
 * ctl has `index` (the worker's position in `workers`) and `running()`.
 * Call running() once per batch, not per object.
 *
 * Every worker calls run twice: a warm-up round (`warmupMs`, not counted,
 * so the JIT has compiled run by the measured round) and the measured round
 * (`durationMs`). All workers start and stop each round together. `run`
 * must leave its state fit for another round (e.g. stop producing, drain
 * what it can).
 */
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const HOST = new URL('./throughput-host.mjs', import.meta.url);

/**
 * Phases of the control word shared with the workers: a round runs while
 * the word is WARMUP or MEASURE and ends when it moves on.
 */
export const WAIT = 0;
export const WARMUP = 1;
export const WARMED = 2;
export const MEASURE = 3;
export const STOP = 4;

/** A worker module's location as a file URL string (accepts a URL or a path). */
function moduleUrl(file) {
  if (file instanceof URL) return file.href;
  if (/^file:/.test(file)) return file;
  return pathToFileURL(file).href;
}

/** Starts one worker (thread or child process); `ready` and `warm` resolve as it gets there. */
function start(spec, index, control, times) {
  const init = { file: moduleUrl(spec.file), data: spec.data, index, ...times };
  const signal = {};
  const ready = new Promise((resolve) => (signal.ready = resolve));
  const warm = new Promise((resolve) => (signal.warm = resolve));
  let handle;
  const finished = new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type === 'ready') signal.ready();
      else if (m.type === 'warm') signal.warm();
      else if (m.type === 'done') resolve(m);
      else if (m.type === 'error') reject(new Error(`worker ${index} (${spec.file}): ${m.message}`));
    };
    if (spec.process) {
      handle = fork(HOST, [], { execArgv: ['--expose-gc'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      handle.on('message', onMessage);
      handle.on('error', reject);
      handle.on('exit', (code) => code !== 0 && reject(new Error(`worker process ${index} (${spec.file}) exited with ${code}`)));
      handle.send({ type: 'init', ...init });
    } else {
      handle = new Worker(HOST, { workerData: { ...init, control } });
      handle.on('message', onMessage);
      handle.on('error', reject);
      handle.on('exit', (code) => code !== 0 && reject(new Error(`worker thread ${index} (${spec.file}) exited with ${code}`)));
    }
  });
  return { spec, handle, ready, warm, finished };
}

/** Moves every worker to `phase`: threads through the shared word, processes by message. */
function setPhase(started, control, phase) {
  Atomics.store(control, 0, phase);
  Atomics.notify(control, 0);
  for (const w of started) if (w.spec.process) w.handle.send({ type: 'phase', phase });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one throughput measurement. `workers` is a list of
 * `{ file, data, counts = true, process = false }`: `file` a worker module
 * (path or URL), `data` what its setup gets (structured-cloned; a
 * SharedArrayBuffer is shared with threads, never with processes), `counts`
 * whether its objects count (count the consumers of a producer/consumer
 * pair, not both sides), `process` to run it in a child process.
 * Returns `{ name, mobjPerSec, objects, elapsedMs, bytesPerOp, gcs, workers }`
 * (bytes and GCs of the measured round, summed over all workers).
 */
export async function throughput({ name = 'throughput', workers, durationMs = 500, warmupMs = Math.min(200, durationMs), timeoutMs = durationMs + warmupMs + 60_000 }) {
  if (!Array.isArray(workers) || workers.length === 0) throw new Error(`${name}: throughput needs at least one worker`);
  if (!workers.some((w) => w.counts !== false)) throw new Error(`${name}: no worker counts objects`);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const started = workers.map((spec, i) => start(spec, i, control, { warmupMs, durationMs }));
  const all = Promise.all(started.map((w) => w.finished));
  all.catch(() => {});
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: workers did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  // Anything that fails (a worker, the time limit) ends the wait at once.
  const until = (p) => Promise.race([p, all, timeout]);
  try {
    await until(Promise.all(started.map((w) => w.ready)));
    setPhase(started, control, WARMUP);
    await until(sleep(warmupMs));
    setPhase(started, control, WARMED);
    await until(Promise.all(started.map((w) => w.warm)));
    setPhase(started, control, MEASURE);
    await until(sleep(durationMs));
    setPhase(started, control, STOP);
    const results = await until(all);
    let objects = 0;
    let elapsedMs = 0;
    let bytes = 0;
    let gcs = 0;
    results.forEach((r, i) => {
      bytes += r.bytes;
      gcs += r.gcs;
      if (workers[i].counts === false) return;
      objects += r.count;
      elapsedMs = Math.max(elapsedMs, r.elapsedMs);
    });
    return {
      name,
      mobjPerSec: objects / (elapsedMs * 1000),
      objects,
      elapsedMs,
      bytesPerOp: objects > 0 ? bytes / objects : 0,
      gcs,
      workers: results.map((r) => ({ count: r.count, elapsedMs: r.elapsedMs, bytes: r.bytes, gcs: r.gcs })),
    };
  } finally {
    clearTimeout(timer);
    for (const w of started) {
      if (w.spec.process) w.handle.kill();
      else await w.handle.terminate();
    }
    await Promise.allSettled(started.map((w) => w.finished));
  }
}
