// @ts-check
/**
 * The primary: sets up the EAL, the pktmbuf pool, the rings and the stats
 * memzone, starts the lcores (worker threads, or secondary processes for
 * the workers with --procs), shows progress, stops cleanly (on its own, on
 * Ctrl-C, or on a failure), checks that every mbuf came back to the pool,
 * and returns the report. The EAL is cleaned up and every thread and child
 * process is gone on every path out of runPipeline.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
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
  POOL_NAME,
  rxRingName,
  S_STATE,
  SharedStats,
  ST_FAILED,
  ST_READY,
  TIMESTAMP_DYNFIELD,
  txRingName,
} from './shared.mjs';

const LCORE_FILE = fileURLToPath(new URL('./lcore.mjs', import.meta.url));
/** How long lcores may take to set up (a secondary process maps the memory, RX builds its traffic). */
const READY_TIMEOUT_MS = 60_000;
/** How long draining may take after RX is done. */
const DRAIN_TIMEOUT_MS = 60_000;
/** How long lcores get to notice an abort before they are killed. */
const ABORT_GRACE_MS = 3_000;

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
 * @property {Promise<{ ok: boolean, message: string }>} exited
 * @property {() => Promise<void>} kill
 * @property {boolean} gone
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

  const eal = Eal.init({ backend: opts.backend, filePrefix: opts.filePrefix, memory });
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

    lcores.push(startThread(eal, { ...base, role: 'tx' }, 'tx', stats.txSlot));
    for (let w = 0; w < nw; w++) {
      const cfg = { ...base, role: /** @type {const} */ ('worker'), index: w };
      const slot = stats.workerSlot(w);
      lcores.push(opts.procs ? startProcess(cfg, `worker ${w}`, slot) : startThread(eal, cfg, `worker ${w}`, slot));
    }
    lcores.push(startThread(eal, base, 'rx', stats.rxSlot));

    const finished = Promise.all(
      lcores.map((l) =>
        l.exited.then((r) => {
          l.gone = true;
          if (!r.ok) {
            failure ??= `${l.name} (${l.kind} ${l.pid}) ${r.message}`;
            Atomics.store(ctl, C_ABORT, 1);
          }
        }),
      ),
    ).then(() => {
      allGone = true;
    });

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
    await Promise.all(lcores.filter((l) => !l.gone).map((l) => l.kill()));
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

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * An lcore as a worker thread of this process.
 * @param {Eal} eal
 * @param {import('./lcore.mjs').LcoreConfig} cfg
 * @param {string} name
 * @param {number} slot
 * @returns {Lcore}
 */
function startThread(eal, cfg, name, slot) {
  const worker = new Worker(LCORE_FILE, { workerData: { eal: eal.workerData(), cfg } });
  /** @type {Error | null} */
  let error = null;
  worker.on('error', (e) => {
    error = e;
  });
  /** @type {Lcore} */
  const l = {
    name,
    slot,
    kind: 'thread',
    pid: process.pid,
    gone: false,
    exited: new Promise((resolve) => {
      worker.on('exit', (code) => {
        const e = /** @type {Error | null} */ (error);
        resolve(e !== null ? { ok: false, message: `failed: ${e.message}` } : code === 0 ? { ok: true, message: '' } : { ok: false, message: `exited with code ${code}` });
      });
    }),
    kill: async () => {
      if (l.gone) return;
      await worker.terminate();
    },
  };
  return l;
}

/**
 * An lcore as a secondary process (child_process.fork of lcore.mjs).
 * @param {import('./lcore.mjs').LcoreConfig} cfg
 * @param {string} name
 * @param {number} slot
 * @returns {Lcore}
 */
function startProcess(cfg, name, slot) {
  const child = fork(LCORE_FILE, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  /** @type {Lcore} */
  const l = {
    name,
    slot,
    kind: 'process',
    pid: child.pid ?? -1,
    gone: false,
    exited: new Promise((resolve) => {
      child.on('error', (e) => resolve({ ok: false, message: `could not start: ${e.message}` }));
      child.on('exit', (code, signal) =>
        resolve(code === 0 ? { ok: true, message: '' } : { ok: false, message: signal !== null ? `killed by ${signal}` : `exited with code ${code}` }),
      );
    }),
    kill: async () => {
      if (l.gone || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await l.exited;
    },
  };
  return l;
}
