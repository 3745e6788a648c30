// @ts-check
/**
 * A worker lcore: dequeues bursts from its RX ring, parses and forwards
 * each packet in place (packet.mjs) against its own copy of the route
 * table, frees what it drops, counting each reason, and passes the rest to
 * TX through its TX ring. Works on the mbuf bytes through the memory
 * list's typed arrays: nothing is allocated per packet.
 *
 * @see examples/l3fwd l3fwd_lpm_send_packets in DPDK
 */
import { LIST_SPAN, Mbuf, Ring } from '@rtemem/mbuf';
import { PARSE_SLOTS, processPacket } from './packet.mjs';
import { defaultRouteTable, macTable, NB_PORTS, routeTable } from './routes.mjs';
import { enqueueAll } from './rx.mjs';
import {
  Backoff,
  BURST,
  C_ABORT,
  C_RX_DONE,
  C_WORKERS_DONE,
  epochMs,
  rxRingName,
  S_BYTES,
  S_DROP_BASE,
  S_DROPS,
  S_END_MS,
  S_IDLE,
  S_OUT,
  S_PKTS,
  S_IDLE_MS,
  S_START_MS,
  S_STATE,
  ST_DONE,
  ST_RUNNING,
  txRingName,
  waitGo,
  F_BUF_ADDR,
  F_DATA_OFF,
  F_DATA_LEN,
  F_PKT_LEN,
  F_PORT,
} from './shared.mjs';


/**
 * @param {import('./lcore.mjs').LcoreEnv} env
 */
export function runWorker(env) {
  const { eal, cfg, stats } = env;
  const w = cfg.index;
  const inRing = Ring.lookup(eal, rxRingName(w));
  const outRing = Ring.lookup(eal, txRingName(w));
  if (inRing === null || outRing === null) throw new Error(`rings of worker ${w} not found`);
  const mb = Mbuf.of(eal);
  // Real ports: their routes and MACs, from the primary; else the demo's four.
  const fib = cfg.routes !== null ? routeTable(cfg.routes) : defaultRouteTable();
  const macs = cfg.macs !== null ? Uint8Array.from(cfg.macs) : macTable(NB_PORTS);
  const r = new Int32Array(PARSE_SLOTS);
  const burst = new Float64Array(BURST);
  const fwd = new Float64Array(BURST);
  const drop = new Float64Array(BURST);
  /** @type {(import('@rtemem/mbuf').MemsegListMap | undefined)[]} */
  const lists = [];

  const { ctl, f64 } = stats;
  const base = stats.at(stats.workerSlot(w), 0);
  const backoff = new Backoff(ctl, env.alive, f64, base + S_IDLE_MS);
  // Waits for room in the TX ring are timed as waits, not as idle time.
  const waitBackoff = new Backoff(ctl, env.alive);
  env.ready();
  if (!waitGo(ctl, env.alive)) return;
  f64[base + S_STATE] = ST_RUNNING;
  f64[base + S_START_MS] = epochMs();

  for (;;) {
    if (Atomics.load(ctl, C_ABORT) !== 0) return;
    let n = inRing.dequeueBurst(burst, BURST);
    if (n === 0) {
      // RX publishes its last enqueue before it sets C_RX_DONE: seen done
      // and then empty is empty for good.
      if (Atomics.load(ctl, C_RX_DONE) === 0) {
        f64[base + S_IDLE]++;
        backoff.idle();
        continue;
      }
      n = inRing.dequeueBurst(burst, BURST);
      if (n === 0) break;
    }
    backoff.reset();
    let k = 0;
    let d = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const m = burst[i];
      const li = Math.floor(m / LIST_SPAN);
      let l = lists[li];
      if (l === undefined) {
        l = eal.list(li);
        if (l === undefined) throw new Error(`memory list ${li} is not mapped here`);
        lists[li] = l;
      }
      const o = m - li * LIST_SPAN;
      const pktLen = l.u32[(o >>> 2) + F_PKT_LEN];
      const data = l.f64[(o >>> 3) + F_BUF_ADDR] + l.u16[(o >>> 1) + F_DATA_OFF];
      const dli = Math.floor(data / LIST_SPAN);
      let dl = lists[dli];
      if (dl === undefined) {
        dl = eal.list(dli);
        if (dl === undefined) throw new Error(`memory list ${dli} is not mapped here`);
        lists[dli] = dl;
      }
      const v = processPacket(dl.u8, data - dli * LIST_SPAN, l.u16[(o >>> 1) + F_DATA_LEN], pktLen, r, fib, macs);
      if (v >= 0) {
        l.u16[(o >>> 1) + F_PORT] = v;
        fwd[k++] = m;
        bytes += pktLen;
      } else {
        f64[base + S_DROP_BASE - v]++;
        drop[d++] = m;
      }
    }
    if (d !== 0) mb.freeBulk(drop, d);
    if (k !== 0) enqueueAll(outRing, fwd, k, ctl, f64, base, waitBackoff);
    f64[base + S_PKTS] += n;
    f64[base + S_OUT] += k;
    f64[base + S_DROPS] += d;
    f64[base + S_BYTES] += bytes;
  }
  f64[base + S_END_MS] = epochMs();
  Atomics.add(ctl, C_WORKERS_DONE, 1);
  f64[base + S_STATE] = ST_DONE;
}
