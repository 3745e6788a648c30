// @ts-check
/**
 * Entry point of every lcore, as a worker thread (the default) or as a
 * secondary process (--procs, forked with the config as argv[2]):
 *
 *   thread:  Eal.attach(workerData.eal), eal.threadRegister()
 *   process: Eal.init({ processType: 'secondary', filePrefix }), eal.threadRegister()
 *
 * then finds the pool, rings and stats memzone by name and runs its role.
 * A failure marks the lcore's slot failed and raises C_ABORT, so the rest
 * of the pipeline stops instead of waiting for it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Eal } from '@rtemem/mbuf';
import { runRxPorts } from './ports.mjs';
import { runRx } from './rx.mjs';
import { runTx } from './tx.mjs';
import { runWorker } from './worker.mjs';
import { C_ABORT, epochMs, S_LCORE, S_PID, S_STATE, SharedStats, ST_FAILED, ST_READY } from './shared.mjs';

/**
 * @typedef {object} LcoreConfig
 * @property {'rx' | 'worker' | 'tx'} role
 * @property {number} index         worker index (workers only)
 * @property {string} filePrefix
 * @property {number} workers
 * @property {string | null} pcap
 * @property {number} loops         pcap replays (0: until --packets / --seconds)
 * @property {number} packets       0: no limit
 * @property {number} seconds       0: no limit
 * @property {number} seed
 * @property {number} flows
 * @property {number} templates
 * @property {string | null} out
 * @property {boolean} outNanos
 * @property {string[]} ports      real ports (interface names; empty: synthetic or pcap input)
 * @property {{ prefix: string, port: number }[] | null} routes   with real ports: the route table
 * @property {number[] | null} macs  with real ports: 12 bytes per port, next hop's MAC then the port's own
 */

/**
 * @typedef {object} LcoreEnv
 * @property {Eal} eal
 * @property {LcoreConfig} cfg
 * @property {SharedStats} stats
 * @property {() => void} ready     marks the lcore ready (after its setup)
 * @property {() => boolean} alive  false once the primary process is gone
 */

/**
 * @param {Eal} eal
 * @param {LcoreConfig} cfg
 * @param {() => boolean} alive
 */
function run(eal, cfg, alive) {
  const lcore = eal.threadRegister();
  const stats = SharedStats.lookup(eal, cfg.workers);
  const slot = cfg.role === 'rx' ? stats.rxSlot : cfg.role === 'tx' ? stats.txSlot : stats.workerSlot(cfg.index);
  const base = stats.at(slot, 0);
  stats.f64[base + S_LCORE] = lcore;
  stats.f64[base + S_PID] = process.pid;
  /** @type {LcoreEnv} */
  const env = { eal, cfg, stats, alive, ready: () => void (stats.f64[base + S_STATE] = ST_READY) };
  try {
    if (cfg.role === 'rx') (cfg.ports.length > 0 ? runRxPorts : runRx)(env);
    else if (cfg.role === 'tx') runTx(env);
    else runWorker(env);
  } catch (e) {
    stats.f64[base + S_STATE] = ST_FAILED;
    Atomics.store(stats.ctl, C_ABORT, 1);
    throw e;
  }
}

if (!isMainThread) {
  // A worker thread: the parent's EAL, shared (not copied) through workerData.
  const data = /** @type {{ eal: import('@rtemem/mbuf').EalWorkerData, cfg: LcoreConfig }} */ (workerData);
  const eal = Eal.attach(data.eal);
  try {
    run(eal, data.cfg, () => true);
  } finally {
    eal.cleanup();
  }
  parentPort?.postMessage({ type: 'done', at: epochMs() });
} else {
  // A secondary process. Ctrl-C reaches the whole process group: the
  // primary decides when to stop (through C_STOP), so ignore it here.
  process.on('SIGINT', () => {});
  const cfg = /** @type {LcoreConfig} */ (JSON.parse(process.argv[2] ?? '{}'));
  let eal;
  try {
    eal = Eal.init({ processType: 'secondary', filePrefix: cfg.filePrefix });
  } catch (e) {
    process.stderr.write(`pktpipe ${cfg.role} ${cfg.index}: cannot attach to the primary: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  try {
    // The loops ask now and then whether the primary still lives: if it
    // died without a word, nobody would ever set C_STOP.
    const attached = eal;
    run(eal, cfg, () => attached.primaryAlive());
    eal.cleanup();
    process.exitCode = 0;
  } catch (e) {
    process.stderr.write(`pktpipe ${cfg.role} ${cfg.index} (pid ${process.pid}) failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    eal.cleanup();
    process.exitCode = 1;
  }
}
