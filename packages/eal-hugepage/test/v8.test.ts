/**
 * What rtemem relies on from V8, checked on the Node that runs the tests (CI
 * runs them on Node 20, 22 and 24, V8 11.3, 12.4 and 13.6): a mapping's
 * SharedArrayBuffer, made by the addon over external memory, behaves the same
 * on each. Structured clone shares it (never copies), v8.serialize refuses it,
 * the backing store's deleter unmaps it only once the last clone in any
 * thread is collected, Atomics work on it across threads, and a worker
 * blocked on it is terminated without harm to the others.
 *
 * Where the versions do differ, the code takes the smaller side: Node 20
 * refuses typed arrays over 4 GiB (22 and 24 allow them), so a memseg list
 * spans at most 4 GiB on every Node; Atomics.pause exists on Node 24 only, so
 * waiting loops back off with Atomics.wait (ring's backoff, the EAL's lock).
 */
import { constants as bufferConstants } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { findBinary, native, nativeAvailable, nativeLoadError, type NativeAddon } from '../src/native.js';
import { LIST_SPAN } from '../src/index.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = nativeAvailable() || process.env.RTEMEM_REQUIRE_HUGEPAGES === '1';
const suffix = run ? '' : ` [skipped: native addon not loaded: ${nativeLoadError()}]`;
const V8 = `V8 ${process.versions.v8} (Node ${process.versions.node})`;

const MiB = 1 << 20;
const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.terminate();
});

/** A 1 MiB shared mapping of a /dev/shm file (unlinked at once: the mapping keeps its pages). */
function mapShm(a: NativeAddon): SharedArrayBuffer {
  const file = `/dev/shm/rtemem-v8-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = openSync(file, 'w+');
  try {
    ftruncateSync(fd, MiB);
    expect(a.fallocate(fd, false, 0, MiB, -1)).toBe(0);
    const sab = a.mapFile(fd, MiB, 0);
    if (typeof sab === 'number') throw new Error(`mapFile: errno ${-sab}`);
    return sab;
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}

function addon(): NativeAddon {
  const a = native();
  if (a === null) throw new Error(`native addon not loaded: ${nativeLoadError()}`);
  return a;
}

/** A worker (CommonJS, eval'd) that loads the addon binary itself. */
function worker(body: string, workerData: unknown): Worker {
  const w = new Worker(`const { parentPort, workerData } = require('node:worker_threads');\nconst addon = require(workerData.binary);\n${body}`, {
    eval: true,
    workerData,
  });
  workers.push(w);
  return w;
}

function binary(): string {
  const { file } = findBinary(PKG);
  if (file === null) throw new Error(`no binary: ${nativeLoadError()}`);
  return file;
}

describe.skipIf(!run)(`a mapped SharedArrayBuffer on ${V8}${suffix}`, () => {
  it('is shared, not copied, by structuredClone, a MessageChannel and a worker, and refused by v8.serialize', async () => {
    const a = addon();
    const sab = mapShm(a);
    const addr = a.addressOf(sab);
    const clone = structuredClone(sab);
    expect(clone).not.toBe(sab);
    expect((clone as SharedArrayBuffer & { growable: boolean }).growable).toBe(false);
    expect(a.addressOf(clone)).toBe(addr);
    new Int32Array(sab)[0] = 41;
    Atomics.add(new Int32Array(clone), 0, 1);
    expect(new Int32Array(sab)[0]).toBe(42);

    const { port1, port2 } = new MessageChannel();
    const got = new Promise<SharedArrayBuffer>((r) => port2.once('message', r));
    port1.postMessage(sab);
    const viaPort = await got;
    port1.close();
    port2.close();
    expect(a.addressOf(viaPort)).toBe(addr);

    const w = worker('parentPort.postMessage(String(addon.addressOf(workerData.sab)));', { binary: binary(), sab });
    expect(await new Promise((r) => w.once('message', r))).toBe(String(addr));

    // Processes never get a SharedArrayBuffer: they attach as secondaries.
    expect(() => serialize(sab)).toThrow(/could not be cloned/);
    a.release(sab);
  });

  it('Atomics.wait / notify and waitAsync work across threads on it', async () => {
    const a = addon();
    const sab = mapShm(a);
    const i32 = new Int32Array(sab);
    const w = worker(
      `const i32 = new Int32Array(workerData.sab);
       parentPort.postMessage('waiting');
       const r = Atomics.wait(i32, 1, 0, 10000);
       Atomics.store(i32, 2, r === 'ok' ? 1 : 2);
       Atomics.notify(i32, 2);`,
      { binary: binary(), sab },
    );
    await new Promise((r) => w.once('message', r));
    // ES2024, in every supported Node; lib es2022 does not declare it.
    const { waitAsync } = Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> } };
    const woken = waitAsync(i32, 2, 0, 10_000);
    expect(woken.async).toBe(true);
    // The word stays 0, so the worker's wait can only end by a notify (or its
    // timeout): notify until one reaches it, which also counts it as woken.
    let woke = 0;
    while (woke === 0) {
      woke = Atomics.notify(i32, 1, 1);
      if (woke === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(woke).toBe(1);
    expect(await woken.value).toBe('ok');
    expect(Atomics.load(i32, 2)).toBe(1);
    a.release(sab);
  });

  it('a worker blocked in Atomics.wait on it is terminated promptly, and the memory stays intact for the others', async () => {
    const a = addon();
    const sab = mapShm(a);
    const i32 = new Int32Array(sab);
    i32[3] = 7;
    const w = worker('const i32 = new Int32Array(workerData.sab); Atomics.add(i32, 3, 1); parentPort.postMessage(0); Atomics.wait(i32, 0, 0);', { binary: binary(), sab });
    await new Promise((r) => w.once('message', r));
    const t0 = performance.now();
    expect(await w.terminate()).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(Atomics.load(i32, 3)).toBe(8);
    Atomics.store(i32, 4, 9);
    expect(a.addressOf(sab) > 0n).toBe(true);
    expect(Atomics.load(i32, 4)).toBe(9);
    a.release(sab);
  });

  it("stays mapped while any thread holds a clone, and the backing store's deleter unmaps it once the last is collected", () => {
    // A child with --expose-gc: the test owns that process's heap.
    const script = `
      const { Worker } = require('node:worker_threads');
      const { openSync, closeSync, unlinkSync, ftruncateSync, readFileSync } = require('node:fs');
      const a = require(process.argv[1]);
      const file = '/dev/shm/rtemem-v8gc-' + process.pid;
      const fd = openSync(file, 'w+'); ftruncateSync(fd, 1 << 20); a.fallocate(fd, false, 0, 1 << 20, -1);
      let sab = a.mapFile(fd, 1 << 20, 0); closeSync(fd); unlinkSync(file);
      const hex = a.addressOf(sab).toString(16);
      const mapped = () => readFileSync('/proc/self/maps', 'utf8').split('\\n').some((l) => l.startsWith(hex + '-'));
      const settle = async (want) => { for (let i = 0; i < 200 && mapped() !== want; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); } return mapped(); };
      (async () => {
        const out = {};
        const w = new Worker('const { parentPort, workerData } = require("node:worker_threads"); let s = workerData; parentPort.on("message", () => { s = null; gc(); parentPort.postMessage(0); });', { eval: true, workerData: sab });
        await new Promise((r) => w.once('online', r));
        sab = null;
        out.heldByWorker = await settle(false);
        w.postMessage(0);
        await new Promise((r) => w.once('message', r));
        await w.terminate();
        out.afterLast = await settle(false);
        console.log(JSON.stringify(out));
      })();
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script, binary()], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ heldByWorker: true, afterLast: false });
  });
});

describe(`typed-array limits on ${V8}`, () => {
  it('a memseg list spans at most 4 GiB, the largest typed array Node 20 allows (22 and 24 allow more)', () => {
    // buffer.constants.MAX_LENGTH is V8's largest typed array, in bytes.
    const major = Number(process.versions.node.split('.')[0]);
    if (major <= 20) expect(bufferConstants.MAX_LENGTH).toBe(2 ** 32);
    else expect(bufferConstants.MAX_LENGTH).toBeGreaterThan(2 ** 32);
    expect(LIST_SPAN).toBeLessThanOrEqual(2 ** 32);
    expect(LIST_SPAN).toBeLessThanOrEqual(bufferConstants.MAX_LENGTH);
  });
});
