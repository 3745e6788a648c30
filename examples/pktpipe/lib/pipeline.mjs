// @ts-check
/**
 * The primary: sets up the EAL, the pktmbuf pool, the rings and the stats
 * memzone, launches the lcores (on the EAL's worker lcores: `eal.launch`;
 * with --procs the workers are secondary processes, started and stopped with
 * multi-process messages), shows progress, stops cleanly (on its own, on
 * Ctrl-C, or on a failure), checks that every mbuf came back to the pool,
 * and returns the report. The EAL is cleaned up and every thread and child
 * process is gone on every path out of runPipeline.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Eal, MBUF_DEFAULT_BUF_SIZE, MBUF_HEADER_SIZE, Mbuf, nativeAvailable, nativeLoadError, PktmbufPool, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ, SOCKET_ID_ANY } from '@rtemem/mbuf';
import { readPcap } from './pcap.mjs';
import { openPorts } from './ports.mjs';
import { dropsByReason, progressLine, snapshot, stageReport, summary } from './report.mjs';
import { macTableOf, NB_PORTS, neighbourMac, routesFor } from './routes.mjs';
import {
  C_ABORT,
  C_GO,
  C_RX_DONE,
  C_STOP,
  epochMs,
  MP_DONE,
  MP_HELLO,
  MP_START,
  MP_STOP,
  POOL_NAME,
  rxRingName,
  S_STATE,
  SharedStats,
  ST_FAILED,
  ST_READY,
  TIMESTAMP_DYNFIELD,
  txRingName,
} from './shared.mjs';

const LCORE_URL = new URL('./lcore.mjs', import.meta.url);
const LCORE_FILE = fileURLToPath(LCORE_URL);
/** How long lcores may take to set up (a secondary process maps the memory, RX builds its traffic). */
const READY_TIMEOUT_MS = 60_000;
/** How long draining may take after RX is done. */
const DRAIN_TIMEOUT_MS = 60_000;
/** How long lcores get to notice an abort before they are killed. */
const ABORT_GRACE_MS = 3_000;
/** How long secondary processes get to exit after the stop message. */
const STOP_GRACE_MS = 5_000;

/** A failure at run time (not a usage error): main prints it and exits with 1. */
export class PipelineError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'PipelineError';
  }
}

/**
 * @typedef {object} Io
 * @property {(text: string) => void} log        a line of text output
 * @property {(line: string) => void} progress   the live progress line
 * @property {() => void} endProgress            before other output follows the progress line
 */

/**
 * @typedef {object} Lcore
 * @property {string} name
 * @property {number} slot          its counter slot in the stats memzone
 * @property {'thread' | 'process'} kind
 * @property {number} pid
 * @property {Promise<{ ok: boolean, message: string }>} exited   its lcore's function returned (ok) or failed
 * @property {() => Promise<void>} kill    ends it (a thread: left to eal.cleanup; a process: SIGKILL)
 * @property {boolean} gone
 * @property {Promise<unknown>} [hello]    a process: attached and ready to start
 * @property {Promise<unknown>} [processExited]
 */

/**
 * @typedef {ReturnType<typeof stageReport>} StageReport
 * @typedef {object} Report
 * @property {boolean} ok
 * @property {string | null} error
 * @property {'completed' | 'interrupted' | 'aborted'} stopped
 * @property {string} backend
 * @property {string} backendReason
 * @property {number} pageSize
 * @property {string} filePrefix
 * @property {'threads' | 'procs'} mode
 * @property {number} workers
 * @property {{ kind: 'synthetic' | 'pcap' | 'ports', pcap: string | null, pcapPackets: number | null, loops: number, packets: number, seconds: number, seed: number, flows: number, templates: number }} input
 * @property {{ pcap: string | null, packets: number }} output
 * @property {number} elapsedSec
 * @property {number} mpps                         packets in per second over the run
 * @property {{ rx: StageReport, workers: StageReport[], tx: StageReport }} stages
 * @property {{ in: number, out: number, dropped: number, dropsByReason: Record<string, number>, consistent: boolean }} packets
 * @property {number[]} ports
 * @property {{ name: string, size: number, cacheSize: number, dataRoomSize: number, inUseAtEnd: number, full: boolean }} pool
 * @property {{ size: number, count: number }} rings
 * @property {{ ifname: string, port: number, mac: string, nextHop: string, stats: import('@rtemem/port').PortStats }[]} interfaces  real ports (--port)
 */

/**
 * Runs the pipeline with `opts` (args.mjs). Throws PipelineError (or an
 * RteError from the EAL) when it cannot run; returns the report otherwise,
 * whose `ok` says whether the run was clean.
 *
 * @param {import('./args.mjs').Options} opts
 * @param {Io} io
 * @returns {Promise<Report>}
 */
export async function runPipeline(opts, io) {
  if (opts.procs && !nativeAvailable()) {
    throw new PipelineError(`--procs needs the native addon (secondary processes map the primary's shared files), and it did not load: ${nativeLoadError()}`);
  }
  const pcap = opts.pcap !== null ? readPcap(opts.pcap) : null;
  if (pcap !== null && pcap.count === 0) throw new PipelineError(`${opts.pcap} holds no packets`);
  if (pcap?.truncated) io.log(`warning: ${opts.pcap} ends inside a packet record; that record is left out`);
  const nw = opts.workers;
  const mbufBytes = MBUF_HEADER_SIZE + MBUF_DEFAULT_BUF_SIZE + 128;
  const memory = Math.max(64 << 20, Math.ceil((opts.poolSize * mbufBytes + (16 << 20)) / (2 << 20)) * (2 << 20));

  // RX, TX and the workers each run on a worker lcore; with --procs the workers' lcores are in their own processes.
  const eal = Eal.init({ backend: opts.backend, filePrefix: opts.filePrefix, memory, lcores: opts.procs ? 2 : nw + 2 });
  /** @type {Lcore[]} */
  const lcores = [];
  /** @type {import('@rtemem/port').Port[]} */
  let ports = [];
  /** @type {NodeJS.Timeout | null} */
  let ticker = null;
  /** @type {(() => void) | null} */
  let onSignal = null;
  try {
    if (opts.procs && eal.backend === 'sab') {
      throw new PipelineError(`--procs needs hugetlbfs or anonymous memory, but the EAL fell back to sab (${eal.backendReason})`);
    }
    const stats = SharedStats.create(eal, nw);
    const { ctl } = stats;
    // Caches small enough that mbufs parked in the lcores' caches can never starve RX.
    const cacheSize = Math.min(256, Math.floor(opts.poolSize / (4 * (nw + 2))));
    const pool = PktmbufPool.create(eal, POOL_NAME, opts.poolSize, cacheSize);
    Mbuf.of(eal).dynfieldRegister(TIMESTAMP_DYNFIELD, 8, 8);
    const flags = RING_F_SP_ENQ | RING_F_SC_DEQ;
    const rxRings = Array.from({ length: nw }, (_, w) => Ring.create(eal, rxRingName(w), opts.ringSize, SOCKET_ID_ANY, flags));
    const txRings = Array.from({ length: nw }, (_, w) => Ring.create(eal, txRingName(w), opts.ringSize, SOCKET_ID_ANY, flags));
    // Real ports: opened here (EPERM, ENODEV, ... before any lcore starts), their queues taken by RX and TX.
    ports = opts.ports.length > 0 ? openPorts(eal, pool, opts.ports, opts.promiscuous) : [];
    const nPorts = ports.length > 0 ? ports.length : NB_PORTS;
    const nextHops = ports.map((_, p) => opts.ethDest[p] ?? neighbourMac(p));
    const portMacs = ports.map((p) => p.macAddr);
    const routes = ports.length > 0 ? routesFor(opts.routes, ports.length) : null;

    const inputText = ports.length > 0 ? `ports ${ports.map((p, i) => `${i}: ${p.ifname} (${portMacs[i]}, next hop ${nextHops[i]})`).join(', ')}` : pcap !== null ? `${opts.pcap} (${pcap.count} packets${opts.loops !== 1 ? `, ${opts.loops === 0 ? 'looped' : `x${opts.loops}`}` : ''})` : `synthetic traffic (${opts.flows} flows)`;
    const limits = [opts.packets > 0 ? `${opts.packets} packets` : '', opts.seconds > 0 ? `${opts.seconds} s` : ''].filter(Boolean).join(' or ');
    io.log(`pktpipe: ${inputText}${limits ? `, up to ${limits}` : ''}; ${nw} workers as ${opts.procs ? 'secondary processes' : 'worker threads'}`);
    io.log(`  EAL: ${eal.backend} (${eal.backendReason}), file prefix ${eal.filePrefix}; pool of ${opts.poolSize} mbufs (cache ${cacheSize}), rings of ${opts.ringSize}`);

    // What the input is: handed to every lcore, and echoed in the report.
    const input = {
      pcap: opts.pcap,
      loops: opts.loops,
      packets: opts.packets,
      seconds: opts.seconds,
      seed: opts.seed,
      flows: opts.flows,
      templates: opts.templates,
    };
    /** @type {import('./lcore.mjs').LcoreConfig} */
    const base = {
      role: 'rx',
      index: 0,
      filePrefix: eal.filePrefix,
      workers: nw,
      ...input,
      out: opts.out,
      outNanos: pcap?.nanos ?? false,
      ports: opts.ports,
      routes,
      macs: ports.length > 0 ? Array.from(macTableOf(portMacs, nextHops)) : null,
    };
    /** @type {string | null} */
    let failure = null;
    let interrupted = false;
    let allGone = false;
    // Ctrl-C from here on stops cleanly (before the start too: RX then stops at once).
    onSignal = () => {
      if (Atomics.load(ctl, C_STOP) === 0) {
        interrupted = true;
        Atomics.store(ctl, C_STOP, 1);
        io.endProgress();
        io.log('stopping: RX stops, the rings drain (Ctrl-C again to abort)');
      } else {
        failure ??= 'aborted by a second Ctrl-C';
        Atomics.store(ctl, C_ABORT, 1);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    // Secondary processes report over multi-process messages: attached (hello), lcore done.
    /** @type {Map<number, (v: { ok: boolean, message: string }) => void>} */
    const doneOf = new Map();
    /** @type {Map<number, () => void>} */
    const helloOf = new Map();
    if (opts.procs) {
      eal.mpActionRegister(MP_HELLO, (msg) => helloOf.get(/** @type {{ index: number }} */ (fromJson(msg.data)).index)?.());
      eal.mpActionRegister(MP_DONE, (msg) => {
        const d = /** @type {{ index: number, ok: boolean, message: string }} */ (fromJson(msg.data));
        doneOf.get(d.index)?.({ ok: d.ok, message: d.message });
      });
    }
    const [txLcore, ...others] = eal.workerLcores();
    const rxLcore = /** @type {number} */ (others.pop());
    lcores.push(launchLcore(eal, /** @type {number} */ (txLcore), { ...base, role: 'tx' }, 'tx', stats.txSlot));
    for (let w = 0; w < nw; w++) {
      const cfg = { ...base, role: /** @type {const} */ ('worker'), index: w };
      const slot = stats.workerSlot(w);
      lcores.push(opts.procs ? startProcess(cfg, `worker ${w}`, slot, doneOf, helloOf) : launchLcore(eal, /** @type {number} */ (others[w]), cfg, `worker ${w}`, slot));
    }
    lcores.push(launchLcore(eal, rxLcore, base, 'rx', stats.rxSlot));

    /** @type {() => void} */
    let onFailure = () => {};
    const failed = new Promise((resolve) => (onFailure = () => resolve(undefined)));
    const finished = Promise.all(
      lcores.map((l) =>
        l.exited.then((r) => {
          l.gone = true;
          if (!r.ok) {
            failure ??= `${l.name} (${l.kind} ${l.pid}) ${r.message}`;
            Atomics.store(ctl, C_ABORT, 1);
            onFailure();
          }
        }),
      ),
    ).then(() => {
      allGone = true;
    });

    // --procs: once every secondary said hello, one request starts them all (each launches its lcore).
    const procs = lcores.filter((l) => l.kind === 'process');
    if (procs.length > 0 && failure === null) {
      const attached = await within(Promise.race([Promise.all(procs.map((l) => l.hello)).then(() => true), failed.then(() => false)]), READY_TIMEOUT_MS, false);
      if (!attached) {
        failure ??= `worker processes did not attach within ${READY_TIMEOUT_MS / 1000} s`;
      } else {
        try {
          const r = await eal.mpRequestSync({ name: MP_START, data: new Uint8Array(0) }, READY_TIMEOUT_MS);
          const refused = r.msgs.map((m) => /** @type {{ ok: boolean, message: string }} */ (fromJson(m.data))).filter((x) => !x.ok);
          if (refused.length > 0) failure ??= `a worker process could not start: ${refused[0]?.message}`;
          else if (r.nbReceived !== procs.length) failure ??= `${r.nbReceived} of ${procs.length} worker processes answered the start`;
        } catch (e) {
          failure ??= `cannot start the worker processes: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    }

    // Every lcore ready (or one failed) before the clock starts.
    const readyBy = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = lcores.map((l) => stats.get(l.slot, S_STATE));
      if (failure !== null || states.some((s) => s === ST_FAILED)) break;
      if (states.every((s) => s >= ST_READY)) break;
      if (Date.now() > readyBy) {
        failure = `lcores not ready after ${READY_TIMEOUT_MS / 1000} s`;
        break;
      }
      await sleep(5);
    }
    if (failure !== null) Atomics.store(ctl, C_ABORT, 1);
    else {
      Atomics.store(ctl, C_GO, 1);
      // Tests wait for this line before they send traffic: RX's sockets are open by now.
      if (ports.length > 0) io.log(`pktpipe: forwarding between ${ports.map((p) => p.ifname).join(' and ')}; Ctrl-C stops`);
    }

    const goMs = epochMs();
    let prev = snapshot(stats, nPorts);
    let prevMs = goMs;
    /** @type {number | null} */
    let drainFrom = null;
    /** @type {number | null} */
    let abortFrom = null;
    let tick = 0;
    ticker = setInterval(() => {
      const now = epochMs();
      if (Atomics.load(ctl, C_ABORT) !== 0) {
        abortFrom ??= now;
        if (now - abortFrom > ABORT_GRACE_MS) for (const l of lcores) if (!l.gone) void l.kill();
      } else if (Atomics.load(ctl, C_RX_DONE) !== 0) {
        drainFrom ??= now;
        if (now - drainFrom > DRAIN_TIMEOUT_MS) {
          failure ??= `the pipeline did not drain within ${DRAIN_TIMEOUT_MS / 1000} s`;
          Atomics.store(ctl, C_ABORT, 1);
        }
      }
      if (opts.quiet || ++tick % 10 !== 0 || allGone) return;
      const cur = snapshot(stats, nPorts);
      io.progress(
        progressLine(prev, cur, (now - prevMs) / 1000, {
          elapsedSec: (now - goMs) / 1000,
          poolInUse: pool.mempool.inUseCount(),
          poolSize: pool.mempool.size,
          rxFill: rxRings.map((r) => r.count() / r.capacity),
          txFill: txRings.map((r) => r.count() / r.capacity),
        }),
      );
      prev = cur;
      prevMs = now;
    }, 100);

    await finished;
    clearInterval(ticker);
    ticker = null;
    io.endProgress();

    const end = snapshot(stats, nPorts);
    // The ports' counters, then the ports closed: the mbufs posted to their RX queues go back to the pool.
    const interfaces = ports.map((p, i) => ({ ifname: p.ifname, port: p.id, mac: portMacs[i], nextHop: nextHops[i], stats: p.stats() }));
    for (const p of ports) p.close();
    ports = [];
    const lastMs = Math.max(end.rx.endMs, end.tx.endMs, ...end.workers.map((w) => w.endMs));
    const elapsedSec = Math.max(0, (lastMs > 0 ? lastMs : epochMs()) - goMs) / 1000;
    const drops = dropsByReason(end.workers);
    const dropped = end.workers.reduce((a, w) => a + w.dropped, 0);
    const workerIn = end.workers.reduce((a, w) => a + w.packets, 0);
    const workerOut = end.workers.reduce((a, w) => a + w.out, 0);
    // TX drops only what a port would not take (real ports).
    const consistent =
      end.rx.out === workerIn &&
      workerOut === end.tx.packets &&
      end.rx.packets === end.tx.out + dropped + end.tx.dropped &&
      Object.values(drops).reduce((a, b) => a + b, 0) === dropped;
    const inUse = pool.mempool.inUseCount();
    const full = pool.mempool.isFull();
    const aborted = failure !== null;
    if (!aborted && !consistent) failure = 'the stage counters do not add up';
    if (!aborted && !full) failure = `${inUse} mbufs did not come back to the pool`;
    /** @type {Report} */
    const report = {
      ok: failure === null,
      error: failure,
      stopped: aborted ? 'aborted' : interrupted ? 'interrupted' : 'completed',
      backend: eal.backend,
      backendReason: eal.backendReason,
      pageSize: eal.pageSize,
      filePrefix: eal.filePrefix,
      mode: opts.procs ? 'procs' : 'threads',
      workers: nw,
      input: {
        kind: ports.length > 0 || interfaces.length > 0 ? 'ports' : pcap !== null ? 'pcap' : 'synthetic',
        ...input,
        pcapPackets: pcap?.count ?? null,
      },
      output: { pcap: opts.out, packets: opts.out !== null ? end.tx.out : 0 },
      elapsedSec,
      mpps: elapsedSec > 0 ? end.rx.packets / elapsedSec / 1e6 : 0,
      stages: {
        rx: stageReport(end.rx, elapsedSec),
        workers: end.workers.map((w) => stageReport(w, elapsedSec)),
        tx: stageReport(end.tx, elapsedSec),
      },
      packets: { in: end.rx.packets, out: end.tx.out, dropped: dropped + end.tx.dropped, dropsByReason: end.tx.dropped > 0 ? { ...drops, 'tx-refused': end.tx.dropped } : drops, consistent },
      ports: end.tx.ports,
      pool: { name: POOL_NAME, size: pool.mempool.size, cacheSize, dataRoomSize: pool.dataRoomSize, inUseAtEnd: inUse, full },
      rings: { size: opts.ringSize, count: 2 * nw },
      interfaces,
    };
    io.log(summary(report));
    return report;
  } finally {
    if (ticker !== null) clearInterval(ticker);
    if (onSignal !== null) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    // Secondaries exit on the stop message (their lcores are done, or stop on C_ABORT); the rest are killed.
    const procs = lcores.filter((l) => l.processExited !== undefined);
    if (procs.length > 0) {
      try {
        eal.mpSendmsg({ name: MP_STOP, data: new Uint8Array(0) });
      } catch {
        // No secondary left to tell.
      }
      await within(Promise.all(procs.map((l) => l.processExited)), STOP_GRACE_MS, undefined);
    }
    await Promise.all(lcores.map((l) => l.kill()));
    for (const p of ports) {
      try {
        p.close();
      } catch {
        // EBUSY from a killed lcore's queue: the EAL goes anyway.
      }
    }
    eal.cleanup();
  }
}

/** @param {Uint8Array} data */
function fromJson(data) {
  return JSON.parse(new TextDecoder().decode(data));
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `p`, or `otherwise` after `ms` if it has not settled by then; the timer
 * is cleared either way (a pending timer would keep the process alive).
 * @template T, U
 * @param {Promise<T>} p
 * @param {number} ms
 * @param {U} otherwise
 * @returns {Promise<T | U>}
 */
function within(p, ms, otherwise) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(otherwise), ms)));
  return /** @type {Promise<T | U>} */ (Promise.race([p, late]).finally(() => clearTimeout(timer)));
}

/**
 * An lcore of this process: `runLcore` (lcore.mjs) launched on worker lcore
 * `lcore` of the EAL, whose thread is that lcore.
 * @param {Eal} eal
 * @param {number} lcore
 * @param {import('./lcore.mjs').LcoreConfig} cfg
 * @param {string} name
 * @param {number} slot
 * @returns {Lcore}
 */
function launchLcore(eal, lcore, cfg, name, slot) {
  eal.launch(lcore, LCORE_URL, 'runLcore', cfg);
  /** @type {(r: { ok: boolean, message: string }) => void} */
  let abandon = () => {};
  /** @type {Lcore} */
  const l = {
    name,
    slot,
    kind: 'thread',
    pid: process.pid,
    gone: false,
    exited: Promise.race([
      eal.waitLcore(lcore).then(
        () => ({ ok: true, message: '' }),
        (e) => ({ ok: false, message: `failed: ${e instanceof Error ? e.message : String(e)}` }),
      ),
      new Promise((resolve) => (abandon = resolve)),
    ]),
    // A thread cannot be killed alone: stop waiting for it; eal.cleanup() terminates it.
    kill: async () => {
      if (!l.gone) abandon({ ok: false, message: `did not stop within ${ABORT_GRACE_MS / 1000} s of the abort` });
    },
  };
  return l;
}

/**
 * An lcore as a secondary process (child_process.fork of lcore.mjs), which
 * reports over multi-process messages: hello when attached, done when its
 * lcore returned.
 * @param {import('./lcore.mjs').LcoreConfig} cfg
 * @param {string} name
 * @param {number} slot
 * @param {Map<number, (v: { ok: boolean, message: string }) => void>} doneOf
 * @param {Map<number, () => void>} helloOf
 * @returns {Lcore}
 */
function startProcess(cfg, name, slot, doneOf, helloOf) {
  const child = fork(LCORE_FILE, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  /** @type {Promise<{ ok: boolean, message: string }>} */
  const processExited = new Promise((resolve) => {
    child.on('error', (e) => resolve({ ok: false, message: `could not start: ${e.message}` }));
    child.on('exit', (code, signal) =>
      resolve(signal !== null ? { ok: false, message: `killed by ${signal}` } : { ok: false, message: code === 0 ? 'exited before its lcore reported' : `exited with code ${code}` }),
    );
  });
  const done = new Promise((resolve) => doneOf.set(cfg.index, resolve));
  /** @type {Lcore} */
  const l = {
    name,
    slot,
    kind: 'process',
    pid: child.pid ?? -1,
    gone: false,
    hello: new Promise((resolve) => helloOf.set(cfg.index, () => resolve(undefined))),
    exited: /** @type {Promise<{ ok: boolean, message: string }>} */ (Promise.race([done, processExited])),
    processExited,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await processExited;
    },
  };
  return l;
}
