/**
 * The entry module of a worker lcore's thread (built to dist/lcore-worker.js;
 * launch.ts starts it). The thread is that lcore: it attaches to the EAL,
 * takes the lcore id its launcher reserved, pins itself to the lcore's CPUs
 * when asked, and then runs what it is sent, one function at a time, like
 * DPDK's eal_thread_loop.
 *
 * @see eal_thread_loop in DPDK eal_common_thread.c
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { threadGetAffinity, threadSetAffinity } from './affinity.js';
import { Eal } from './eal.js';
import { RteError } from './errors.js';
import { LCORE_STATE_FINISHED } from './launch.js';
import { exportedFunction, type LcoreDoneMessage, type LcoreRunMessage, type LcoreWorkerData, serializeError } from './lcore-run.js';
import { lcoreLaunchWord, lcoreSetThread } from './lcore.js';

const data = workerData as LcoreWorkerData;
const port = parentPort;
if (port === null || data?.__rtemem !== 'lcore') {
  throw new Error('@rtemem/eal-hugepage lcore-worker is the entry of a worker lcore\'s thread: Eal.launch starts it, it is not for import');
}

const eal = Eal.attach(data.eal);
const lcore = data.lcore;
// Registered as that lcore before anything runs: per-lcore state above (mempool
// caches, heap caches) is selected by eal.lcoreId().
eal.lcoreCell[0] = lcore;
lcoreSetThread(eal.config, lcore, threadId);

// A pinning failure makes the lcore unusable, as it is fatal for DPDK: every
// launch on it reports why instead of running unpinned.
let pinError: Error | null = null;
if (data.cpus !== null) {
  try {
    threadSetAffinity(data.cpus);
    // The kernel quietly drops CPUs outside the process's cpuset: see what it kept.
    const got = threadGetAffinity();
    const missing = data.cpus.filter((c) => !got.includes(c));
    if (missing.length > 0) {
      throw new RteError('EINVAL', `lcore ${lcore}: CPUs ${missing.join(',')} are not available to this process (offline, or outside its cgroup cpuset); it may use ${got.join(',')}`);
    }
  } catch (e) {
    pinError = e instanceof RteError ? new RteError(e.code, `lcore ${lcore} cannot be pinned to CPUs ${data.cpus.join(',')}: ${e.message}`) : (e as Error);
  }
}

const launchWord = lcoreLaunchWord(lcore);

async function run(m: LcoreRunMessage): Promise<LcoreDoneMessage> {
  try {
    if (pinError !== null) throw pinError;
    const ns = (await import(m.moduleUrl)) as Record<string, unknown>;
    const fn = exportedFunction(ns, m.exportName, m.moduleUrl);
    const value = await fn(eal, m.arg);
    return { type: 'done', seq: m.seq, ok: true, value };
  } catch (e) {
    return { type: 'done', seq: m.seq, ok: false, error: serializeError(e) };
  }
}

port.on('message', (m: LcoreRunMessage) => {
  if (m?.type !== 'run') return;
  void run(m).then((done) => {
    // FINISHED before the message: the launcher may launch again as soon as
    // it sees either, and a later store must never overwrite its RUNNING.
    Atomics.store(eal.config.i32, launchWord, LCORE_STATE_FINISHED);
    try {
      port.postMessage(done);
    } catch (e) {
      const why = new RteError(
        'EINVAL',
        `lcore ${lcore}: ${m.exportName} returned a value that cannot be sent to the main thread (${(e as Error).message}): return plain data, typed arrays or SharedArrayBuffers`,
      );
      port.postMessage({ type: 'done', seq: m.seq, ok: false, error: serializeError(why) } satisfies LcoreDoneMessage);
    }
  });
});
