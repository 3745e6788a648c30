// @ts-check
/**
 * The TX lcore: polls every worker's TX ring, counts packets per output
 * port, writes each packet (every segment of a chain) to the pcap file when
 * there is one, and frees the mbufs in bulk, or, with real ports, sends
 * each out of its port's TX queue 0 (which frees it). Done when every
 * worker is done and the rings are empty.
 *
 * @see rte_eth_tx_burst in DPDK
 */
import { LIST_SPAN, Mbuf, Ring } from '@rtemem/mbuf';
import { PcapWriter } from './pcap.mjs';
import { lookupPorts, sendAll } from './ports.mjs';
import {
  Backoff,
  BURST,
  C_ABORT,
  C_WORKERS_DONE,
  epochMs,
  MAX_PORTS,
  S_BYTES,
  S_DROPS,
  S_END_MS,
  S_IDLE,
  S_OUT,
  S_PKTS,
  S_PORT_BASE,
  S_IDLE_MS,
  S_START_MS,
  S_STATE,
  ST_DONE,
  ST_RUNNING,
  TIMESTAMP_DYNFIELD,
  waitGo,
  txRingName,
  F_BUF_ADDR,
  F_DATA_OFF,
  F_DATA_LEN,
  F_PKT_LEN,
  F_PORT,
  F_NEXT,
} from './shared.mjs';


/**
 * @param {import('./lcore.mjs').LcoreEnv} env
 */
export function runTx(env) {
  const { eal, cfg, stats } = env;
  const nw = cfg.workers;
  const rings = Array.from({ length: nw }, (_, w) => {
    const r = Ring.lookup(eal, txRingName(w));
    if (r === null) throw new Error(`ring ${txRingName(w)} not found`);
    return r;
  });
  const mb = Mbuf.of(eal);
  const tsOff = mb.dynfieldLookup(TIMESTAMP_DYNFIELD);
  if (tsOff < 0) throw new Error(`dynfield ${TIMESTAMP_DYNFIELD} is not registered`);
  const writer = cfg.out !== null ? new PcapWriter(cfg.out, { nanos: cfg.outNanos }) : null;
  const burst = new Float64Array(BURST);
  /** @type {(import('@rtemem/mbuf').MemsegListMap | undefined)[]} */
  const lists = [];
  /** @param {number} li */
  const list = (li) => {
    let l = lists[li];
    if (l === undefined) {
      l = eal.list(li);
      if (l === undefined) throw new Error(`memory list ${li} is not mapped here`);
      lists[li] = l;
    }
    return l;
  };

  const { ctl, f64 } = stats;
  const base = stats.at(stats.txSlot, 0);
  const backoff = new Backoff(ctl, env.alive, f64, base + S_IDLE_MS);
  const ports = cfg.ports.length > 0 ? lookupPorts(eal, cfg.ports) : null;
  const nPorts = ports?.length ?? 0;
  const perPort = Array.from({ length: nPorts }, () => new Float64Array(BURST));
  const perPortN = new Int32Array(nPorts);
  const unrouted = new Float64Array(BURST);
  const sendBackoff = new Backoff(ctl, env.alive);
  try {
    if (ports !== null) for (const p of ports) p.txQueueStart(0);
    env.ready();
    if (!waitGo(ctl, env.alive)) return;
    f64[base + S_STATE] = ST_RUNNING;
    f64[base + S_START_MS] = epochMs();
    let finishing = false;
    for (;;) {
      if (Atomics.load(ctl, C_ABORT) !== 0) return;
      // Workers publish their last enqueue before they count themselves done.
      if (!finishing && Atomics.load(ctl, C_WORKERS_DONE) === nw) finishing = true;
      let got = 0;
      let unroutedN = 0;
      for (let w = 0; w < nw; w++) {
        const n = rings[w].dequeueBurst(burst, BURST);
        if (n === 0) continue;
        got += n;
        let bytes = 0;
        for (let i = 0; i < n; i++) {
          const m = burst[i];
          const li = Math.floor(m / LIST_SPAN);
          const l = list(li);
          const o = m - li * LIST_SPAN;
          const pktLen = l.u32[(o >>> 2) + F_PKT_LEN];
          const port = l.u16[(o >>> 1) + F_PORT];
          if (port < MAX_PORTS) f64[base + S_PORT_BASE + port]++;
          if (ports !== null) {
            if (port < nPorts) perPort[port][perPortN[port]++] = m;
            else unrouted[unroutedN++] = m;
          }
          bytes += pktLen;
          if (writer !== null) {
            const tso = (o + tsOff) >>> 2;
            const sec = l.u32[tso];
            const ns = l.u32[tso + 1];
            writer.begin(sec, cfg.outNanos ? ns : Math.floor(ns / 1000), pktLen);
            // Every segment of the chain, in order.
            let seg = m;
            let so = o;
            let sl = l;
            for (;;) {
              const data = sl.f64[(so >>> 3) + F_BUF_ADDR] + sl.u16[(so >>> 1) + F_DATA_OFF];
              const dli = Math.floor(data / LIST_SPAN);
              writer.append(list(dli).u8, data - dli * LIST_SPAN, sl.u16[(so >>> 1) + F_DATA_LEN]);
              seg = sl.f64[(so >>> 3) + F_NEXT];
              if (seg === 0) break;
              const sli = Math.floor(seg / LIST_SPAN);
              sl = list(sli);
              so = seg - sli * LIST_SPAN;
            }
          }
        }
        let dropped = 0;
        if (ports === null) mb.freeBulk(burst, n);
        else {
          for (let p = 0; p < nPorts; p++) {
            if (perPortN[p] !== 0) dropped += sendAll(ports[p], perPort[p], perPortN[p], mb, sendBackoff, ctl);
            perPortN[p] = 0;
          }
          if (unroutedN !== 0) mb.freeBulk(unrouted, unroutedN);
          dropped += unroutedN;
          unroutedN = 0;
        }
        f64[base + S_PKTS] += n;
        f64[base + S_OUT] += n - dropped;
        f64[base + S_DROPS] += dropped;
        f64[base + S_BYTES] += bytes;
      }
      if (got !== 0) {
        backoff.reset();
        continue;
      }
      if (finishing) break;
      f64[base + S_IDLE]++;
      backoff.idle();
    }
    f64[base + S_END_MS] = epochMs();
  } finally {
    writer?.close();
    if (ports !== null) for (const p of ports) p.close();
  }
  f64[base + S_STATE] = ST_DONE;
}
