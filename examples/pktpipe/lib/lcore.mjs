// @ts-check
/**
 * Every lcore of the pipeline runs `runLcore` (this module's export),
 * launched with `eal.launch` on a worker lcore of the EAL:
 *
 *   threads:  the primary launches RX, TX and the workers on its own worker lcores
 *   --procs:  RX and TX as above; each worker is a secondary process (this
 *             file, forked with its config as argv[2]) that attaches to the
 *             primary and launches the worker role on a worker lcore of its own
 *
 * `runLcore` finds the pool, rings and stats memzone by name and runs its
 * role. A failure marks the lcore's slot failed and raises C_ABORT, so the
 * rest of the pipeline stops instead of waiting for it.
 *
 * A secondary process is started and stopped with multi-process messages
 * (eal.mp*), not by polling: it says `pktpipe_hello` when attached, launches
 * its lcore on the primary's `pktpipe_start` request, reports
 * `pktpipe_done` when its lcore returns, and exits on `pktpipe_stop`. Its
 * main thread stays free for those messages while the lcore runs.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { Eal } from '@rtemem/mbuf';
import { runRxPorts } from './ports.mjs';
import { runRx } from './rx.mjs';
import { runTx } from './tx.mjs';
import { runWorker } from './worker.mjs';
import { C_ABORT, MP_DONE, MP_HELLO, MP_START, MP_STOP, S_LCORE, S_PID, S_STATE, SharedStats, ST_FAILED, ST_READY } from './shared.mjs';

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
 * The function every lcore runs, as `fn(eal, arg)` on its worker lcore.
 * @param {Eal} eal
 * @param {LcoreConfig} cfg
 */
export function runLcore(eal, cfg) {
  // Registered by launch already: this returns the lcore's id.
  const lcore = eal.threadRegister();
  // The loops ask now and then whether the primary still lives: if it
  // died without a word, nobody would ever set C_STOP.
  const alive = eal.processType === 'secondary' ? () => eal.primaryAlive() : () => true;
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

/** @param {unknown} value */
const json = (value) => new TextEncoder().encode(JSON.stringify(value));

/** How long a stopping secondary waits for its lcore after the primary's stop (then exits, ending it). */
const STOP_GRACE_MS = 3_000;

/** A worker lcore as a secondary process: attach, say hello, then do what the primary asks. */
function secondaryMain() {
  // Ctrl-C reaches the whole process group: the primary decides when to stop
  // (through C_STOP), so ignore it here.
  process.on('SIGINT', () => {});
  const cfg = /** @type {LcoreConfig} */ (JSON.parse(process.argv[2] ?? '{}'));
  const who = `pktpipe ${cfg.role} ${cfg.index} (pid ${process.pid})`;
  /** @type {Eal} */
  let eal;
  try {
    eal = Eal.init({ processType: 'secondary', filePrefix: cfg.filePrefix, lcores: 1 });
  } catch (e) {
    process.stderr.write(`${who}: cannot attach to the primary: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const lcore = eal.workerLcores()[0];
  /** @type {Promise<void> | null} */
  let done = null;
  const exit = (/** @type {number} */ code) => {
    clearInterval(watchdog);
    eal.cleanup();
    process.exit(code);
  };
  // Keeps the process alive between messages, and ends it if the primary
  // dies before it could say stop (a primary killed with SIGKILL).
  const watchdog = setInterval(() => {
    if (!eal.primaryAlive()) exit(1);
  }, 500);

  eal.mpActionRegister(MP_START, (_msg, peer) => {
    let reply = { ok: true, message: '' };
    try {
      eal.launch(lcore, import.meta.url, 'runLcore', cfg);
      done = eal.waitLcore(lcore).then(
        () => eal.mpSendmsg({ name: MP_DONE, data: json({ index: cfg.index, ok: true, message: '' }) }),
        (e) => {
          process.stderr.write(`${who} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
          eal.mpSendmsg({ name: MP_DONE, data: json({ index: cfg.index, ok: false, message: `failed: ${e instanceof Error ? e.message : String(e)}` }) });
        },
      );
      // A primary gone meanwhile cannot be told: the watchdog ends this process.
      done = done.catch(() => undefined);
    } catch (e) {
      reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    eal.mpReply({ name: MP_START, data: json(reply) }, peer);
  });
  eal.mpActionRegister(MP_STOP, async () => {
    // Normally the lcore is done already; after an abort it stops on C_ABORT.
    const finished = await Promise.race([done ?? Promise.resolve(), new Promise((r) => setTimeout(() => r('late'), STOP_GRACE_MS))]);
    exit(finished === 'late' ? 1 : 0);
  });
  eal.mpSendmsg({ name: MP_HELLO, data: json({ index: cfg.index, pid: process.pid }) });
}

// Run as a program (a forked secondary), not when a worker lcore's thread imports runLcore.
if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) secondaryMain();
