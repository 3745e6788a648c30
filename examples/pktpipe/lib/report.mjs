// @ts-check
/**
 * Reading the shared counters, and showing them: the live progress line,
 * the final summary table, and the JSON report.
 */
import { formatSize } from '@rtemem/mbuf';
import { DROP_REASON_COUNT, DROP_REASONS } from './packet.mjs';
import {
  S_BYTES,
  S_DROP_BASE,
  S_DROPS,
  S_END_MS,
  S_IDLE,
  S_IDLE_MS,
  S_LCORE,
  S_OUT,
  S_PID,
  S_PKTS,
  S_PORT_BASE,
  S_SEGS,
  S_START_MS,
  S_STATE,
  S_NOMBUF,
  S_WAIT_MS,
  S_WAITS,
  SharedStats,
} from './shared.mjs';

const STATE_NAMES = ['starting', 'ready', 'running', 'done', 'failed'];

/**
 * @typedef {object} StageCounters
 * @property {string} name
 * @property {string} state
 * @property {number} lcore
 * @property {number} pid
 * @property {number} packets  taken in
 * @property {number} bytes
 * @property {number} out      passed on
 * @property {number} dropped
 * @property {number} waits    times the next ring was full
 * @property {number} nombuf   times RX found too few free mbufs
 * @property {number} waitMs   time spent waiting for either
 * @property {number} idle
 * @property {number} busyMs   time on packets: the active window minus sleeps and waits
 * @property {number} idleMs   time asleep with nothing to do
 * @property {number} startMs
 * @property {number} endMs
 * @property {number} segs
 * @property {Record<string, number>} drops  by reason (workers)
 * @property {number[]} ports                per output port (TX)
 */

/**
 * The counters of every stage, now.
 * @param {SharedStats} stats
 * @param {number} nPorts
 * @returns {{ rx: StageCounters, workers: StageCounters[], tx: StageCounters }}
 */
export function snapshot(stats, nPorts) {
  /**
   * @param {number} slot
   * @param {string} name
   * @returns {StageCounters}
   */
  const read = (slot, name) => {
    /** @param {number} f */
    const g = (f) => stats.get(slot, f);
    /** @type {Record<string, number>} */
    const drops = {};
    for (let r = 1; r < DROP_REASON_COUNT; r++) {
      const n = g(S_DROP_BASE + r);
      if (n !== 0) drops[DROP_REASONS[r]] = n;
    }
    return {
      name,
      state: STATE_NAMES[g(S_STATE)] ?? 'unknown',
      lcore: g(S_LCORE),
      pid: g(S_PID),
      packets: g(S_PKTS),
      bytes: g(S_BYTES),
      out: g(S_OUT),
      dropped: g(S_DROPS),
      waits: g(S_WAITS),
      nombuf: g(S_NOMBUF),
      waitMs: g(S_WAIT_MS),
      idle: g(S_IDLE),
      // Active window minus sleeps and waits (0 until the lcore has finished).
      busyMs: g(S_END_MS) > 0 ? Math.max(0, g(S_END_MS) - g(S_START_MS) - g(S_IDLE_MS) - g(S_WAIT_MS)) : 0,
      idleMs: g(S_IDLE_MS),
      startMs: g(S_START_MS),
      endMs: g(S_END_MS),
      segs: g(S_SEGS),
      drops,
      ports: Array.from({ length: nPorts }, (_, p) => g(S_PORT_BASE + p)),
    };
  };
  return {
    rx: read(stats.rxSlot, 'rx'),
    workers: Array.from({ length: stats.nWorkers }, (_, w) => read(stats.workerSlot(w), `worker ${w}`)),
    tx: read(stats.txSlot, 'tx'),
  };
}

/**
 * Drops by reason over all workers.
 * @param {StageCounters[]} workers
 */
export function dropsByReason(workers) {
  /** @type {Record<string, number>} */
  const all = {};
  for (const w of workers) for (const [k, v] of Object.entries(w.drops)) all[k] = (all[k] ?? 0) + v;
  return all;
}

/** @param {number} n */
export function fmtCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** @param {number} pps */
export function fmtRate(pps) {
  return `${(pps / 1e6).toFixed(3)} Mpps`;
}

/**
 * One progress line from two snapshots `dtSec` apart.
 * @param {ReturnType<typeof snapshot>} prev
 * @param {ReturnType<typeof snapshot>} cur
 * @param {number} dtSec
 * @param {{ elapsedSec: number, poolInUse: number, poolSize: number, rxFill: number[], txFill: number[] }} extra
 *        ring fills as fractions 0..1
 */
export function progressLine(prev, cur, dtSec, extra) {
  /** @param {number} a @param {number} b */
  const rate = (a, b) => fmtCount((a - b) / dtSec);
  const workers = cur.workers.map((w, i) => rate(w.packets, prev.workers[i].packets)).join('/');
  const drops = dropsByReason(cur.workers);
  const dropTotal = Object.values(drops).reduce((a, b) => a + b, 0);
  const top = Object.entries(drops)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${fmtCount(v)}`)
    .join(', ');
  /** @param {number[]} f */
  const fills = (f) => f.map((x) => `${Math.round(x * 100)}%`).join('/');
  return (
    `[${extra.elapsedSec.toFixed(0).padStart(3)}s] pps rx ${rate(cur.rx.packets, prev.rx.packets)} | w ${workers} | tx ${rate(cur.tx.packets, prev.tx.packets)}` +
    ` | drops ${fmtCount(dropTotal)}${top ? ` (${top})` : ''}` +
    ` | pool ${fmtCount(extra.poolInUse)}/${fmtCount(extra.poolSize)} in use | rings rx ${fills(extra.rxFill)} tx ${fills(extra.txFill)}`
  );
}

/**
 * @param {StageCounters} s
 * @param {number} elapsedSec
 */
export function stageReport(s, elapsedSec) {
  const busySec = s.busyMs / 1000;
  return {
    lcore: s.lcore,
    pid: s.pid,
    state: s.state,
    packets: s.packets,
    bytes: s.bytes,
    out: s.out,
    dropped: s.dropped,
    ringFullWaits: s.waits,
    noMbufWaits: s.nombuf,
    waitSec: round(s.waitMs / 1000, 4),
    idlePolls: s.idle,
    /** Seconds spent on bursts of packets, waits not included. */
    busySec: round(busySec, 4),
    /** Packets per second over the whole run. */
    mpps: elapsedSec > 0 ? round(s.packets / elapsedSec / 1e6, 4) : 0,
    /** Packets per second of busy time: what this lcore could do if never idle. */
    busyMpps: busySec > 0 ? round(s.packets / busySec / 1e6, 4) : 0,
    gbps: elapsedSec > 0 ? round((s.bytes * 8) / elapsedSec / 1e9, 4) : 0,
  };
}

/**
 * @param {number} x
 * @param {number} digits
 */
function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * @param {string[][]} rows  first row is the header
 * @param {boolean[]} [right]  right-align column i
 */
export function table(rows, right = []) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The summary shown at the end.
 * @param {import('./pipeline.mjs').Report} r
 */
export function summary(r) {
  const lines = [];
  const input = r.input.kind === 'ports' ? `ports ${r.interfaces.map((i) => i.ifname).join(', ')}` : r.input.kind === 'pcap' ? `${r.input.pcap} x${r.input.loops === 0 ? '∞' : r.input.loops}` : `synthetic (seed ${r.input.seed}, ${r.input.flows} flows, ${r.input.templates} distinct packets)`;
  lines.push(`pktpipe: ${r.stopped}, ${r.elapsedSec.toFixed(2)} s, input ${input}`);
  lines.push(
    `  backend ${r.backend} (${formatSize(r.pageSize)} pages), file prefix ${r.filePrefix}, ${r.workers} workers as ${r.mode === 'procs' ? 'secondary processes' : 'worker threads'}`,
  );
  lines.push('');
  /** @type {string[][]} */
  const rows = [['stage', 'lcore', 'pid', 'packets', 'out', 'dropped', 'Mpps', 'busy', 'Mpps busy', 'Gbit/s', 'waited']];
  /**
   * @param {string} name
   * @param {ReturnType<typeof stageReport>} s
   */
  const row = (name, s) => [
    name,
    String(s.lcore),
    String(s.pid),
    String(s.packets),
    String(s.out),
    String(s.dropped),
    s.mpps.toFixed(3),
    `${r.elapsedSec > 0 ? Math.round((s.busySec / r.elapsedSec) * 100) : 0}%`,
    s.busyMpps.toFixed(3),
    s.gbps.toFixed(2),
    `${r.elapsedSec > 0 ? Math.round((s.waitSec / r.elapsedSec) * 100) : 0}%`,
  ];
  rows.push(row('rx', r.stages.rx));
  r.stages.workers.forEach((w, i) => rows.push(row(`worker ${i}`, w)));
  rows.push(row('tx', r.stages.tx));
  lines.push(table(rows, [false, true, true, true, true, true, true, true, true, true, true]));
  lines.push('  (Mpps: over the whole run; busy: share of the run neither asleep nor waiting; Mpps busy: the rate while busy;');
  lines.push('   waited: share of the run spent waiting for ring room or free mbufs)');
  lines.push('');
  lines.push(`packets: ${r.packets.in} in, ${r.packets.out} out, ${r.packets.dropped} dropped${r.packets.consistent ? '' : '  (COUNTS DO NOT ADD UP)'}`);
  const reasons = Object.entries(r.packets.dropsByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) {
    lines.push(table([['  drop reason', 'packets'], ...reasons.map(([k, v]) => [`  ${k}`, String(v)])], [false, true]));
  }
  lines.push(`output ports: ${r.ports.map((n, p) => `${p}: ${n}`).join(', ')}`);
  if (r.interfaces.length > 0) {
    /** @type {string[][]} */
    const ifRows = [['  port', 'interface', 'mac', 'rx packets', 'tx packets', 'imissed', 'ierrors', 'oerrors', 'rx nombuf']];
    for (const i of r.interfaces) {
      ifRows.push([`  ${i.port}`, i.ifname, i.mac, String(i.stats.ipackets), String(i.stats.opackets), String(i.stats.imissed), String(i.stats.ierrors), String(i.stats.oerrors), String(i.stats.rxNombuf)]);
    }
    lines.push(table(ifRows, [false, false, false, true, true, true, true, true, true]));
  }
  if (r.output.pcap !== null) lines.push(`wrote ${r.output.packets} packets to ${r.output.pcap}`);
  lines.push(
    `pool ${r.pool.name}: ${r.pool.size} mbufs, ${r.pool.inUseAtEnd} in use at the end -> ${r.pool.full ? 'full (every mbuf came back)' : 'NOT FULL (mbufs leaked)'}`,
  );
  lines.push(r.ok ? 'result: ok' : `result: FAILED${r.error ? ` (${r.error})` : ''}`);
  return lines.join('\n');
}
