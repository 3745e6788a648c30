/**
 * Cross-thread throughput: real worker threads (and child processes where a
 * case asks for them) run a worker module's `run` for a fixed time and
 * report how many objects they moved; the harness sums the counting
 * workers' objects and divides by the longest counting worker's time.
 *
 * A worker module exports:
 *   setup(data, ctl)   optional, untimed: returns the state `run` gets (else run gets data)
 *   run(state, ctl)    timed: loops while ctl.running(), returns the objects it moved
 *   teardown(state)    optional, untimed
 * ctl has `index` (the worker's position in `workers`) and `running()`.
 * Call running() once per batch, not per object: in a child process it
 * reads the clock.
 */
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const HOST = new URL('./throughput-host.mjs', import.meta.url);

/** Control word states, shared with the worker threads. */
export const WAIT = 0;
export const GO = 1;
export const STOP = 2;

/** A worker module's location as a file URL string (accepts a URL or a path). */
function moduleUrl(file) {
  if (file instanceof URL) return file.href;
  if (/^file:/.test(file)) return file;
  return pathToFileURL(file).href;
}

/** Starts one worker (thread or child process); resolves `ready` when its setup is done. */
function start(spec, index, control, durationMs) {
  const init = { file: moduleUrl(spec.file), data: spec.data, index, durationMs };
  const events = { ready: null, done: null };
  let handle;
  const finished = new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type === 'ready') events.ready();
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
  const ready = new Promise((resolve) => (events.ready = resolve));
  return { spec, handle, ready, finished };
}

function stopAll(started) {
  for (const w of started) {
    if (w.spec.process) w.handle.kill();
    else w.handle.terminate();
  }
}

/**
 * Runs one throughput measurement. `workers` is a list of
 * `{ file, data, counts = true, process = false }`: `file` a worker module
 * (path or URL), `data` what its setup gets (structured-cloned; a
 * SharedArrayBuffer is shared with threads, never with processes), `counts`
 * whether its objects count (count the consumers of a producer/consumer
 * pair, not both sides), `process` to run it in a child process.
 * Returns `{ name, mobjPerSec, objects, elapsedMs, bytesPerOp, gcs, workers }`.
 */
export async function throughput({ name = 'throughput', workers, durationMs = 500, timeoutMs = durationMs + 60_000 }) {
  if (!Array.isArray(workers) || workers.length === 0) throw new Error(`${name}: throughput needs at least one worker`);
  if (!workers.some((w) => w.counts !== false)) throw new Error(`${name}: no worker counts objects`);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const started = workers.map((spec, i) => start(spec, i, control, durationMs));
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: workers did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const all = Promise.all(started.map((w) => w.finished));
    all.catch(() => {});
    await Promise.race([Promise.all(started.map((w) => w.ready)), all, timeout]);
    Atomics.store(control, 0, GO);
    Atomics.notify(control, 0);
    for (const w of started) if (w.spec.process) w.handle.send({ type: 'go' });
    setTimeout(() => Atomics.store(control, 0, STOP), durationMs).unref();
    const results = await Promise.race([all, timeout]);
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
  } catch (e) {
    stopAll(started);
    throw e;
  } finally {
    clearTimeout(timer);
    await Promise.allSettled(started.map((w) => w.finished));
    // A thread whose module keeps handles open would outlive its run.
    for (const w of started) if (!w.spec.process) await w.handle.terminate();
  }
}
