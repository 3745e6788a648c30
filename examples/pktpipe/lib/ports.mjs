// @ts-check
/**
 * Real interfaces (--port): the RX lcore reads packets from each port's RX
 * queue 0 (@rtemem/port: straight into mbufs of the pipeline's pool) instead
 * of making them, and the TX lcore sends each forwarded packet out of the
 * port the workers routed it to. Everything between (rings, workers, the
 * parser and the route lookup) is the same pipeline.
 *
 * The primary opens the ports (Port.open) before the lcores start and
 * closes them after they stop; the RX and TX lcores take their queues with
 * Port.lookup in their own thread.
 *
 * @see examples/l3fwd in DPDK (one RX queue per port on the RX lcore, one TX queue per port)
 */
import { LIST_SPAN, Mbuf, PktmbufPool, Port, Ring } from '@rtemem/port';
import { rssHash } from './packet.mjs';
import {
  Backoff,
  BURST,
  C_ABORT,
  C_RX_DONE,
  C_STOP,
  epochMs,
  F_BUF_ADDR,
  F_DATA_LEN,
  F_DATA_OFF,
  F_HASH,
  F_OL_FLAGS,
  POOL_NAME,
  rxRingName,
  S_BYTES,
  S_END_MS,
  S_IDLE,
  S_IDLE_MS,
  S_OUT,
  S_PKTS,
  S_SEGS,
  S_START_MS,
  S_STATE,
  ST_DONE,
  ST_RUNNING,
  TIMESTAMP_DYNFIELD,
  waitGo,
} from './shared.mjs';
import { enqueueAll } from './rx.mjs';

/** RETA entries, as on many NICs. */
const RETA_SIZE = 128;
/** Bursts between clock reads (a power of two). */
const CLOCK_BURSTS = 16;
/** RTE_MBUF_F_RX_RSS_HASH, in the low word of ol_flags. */
const F_RX_RSS_HASH = 1 << 1;
/** How many times TX tries a burst the port did not take whole before it drops the rest. */
const TX_RETRIES = 1000;

/**
 * Opens every port in the primary.
 * @param {import('@rtemem/port').Eal} eal
 * @param {import('@rtemem/port').PktmbufPool} pool
 * @param {string[]} ifnames
 * @param {boolean} promiscuous
 * @returns {Port[]}
 */
export function openPorts(eal, pool, ifnames, promiscuous) {
  /** @type {Port[]} */
  const ports = [];
  try {
    // vlanStrip false: tags stay in the frame, where the workers parse them
    // and whence they go out again, as a router forwards them.
    for (const ifname of ifnames) ports.push(Port.open(eal, ifname, { pool, promiscuous, vlanStrip: false }));
  } catch (e) {
    for (const p of ports) p.close();
    throw e;
  }
  return ports;
}

/**
 * Each port's handle in this thread, by index.
 * @param {import('@rtemem/port').Eal} eal
 * @param {string[]} ifnames
 */
export function lookupPorts(eal, ifnames) {
  return ifnames.map((ifname) => {
    const p = Port.lookup(eal, ifname);
    if (p === null) throw new Error(`port ${ifname} is not open: the primary opens the ports`);
    return p;
  });
}

/**
 * The RX lcore with real ports: polls RX queue 0 of every port, hashes each
 * packet (RSS), stamps the RX time, and spreads the mbufs over the workers
 * by the redirection table. A full worker ring makes it wait (the port's
 * queue then fills, and the kernel counts what it cannot hold as imissed).
 *
 * @param {import('./lcore.mjs').LcoreEnv} env
 */
export function runRxPorts(env) {
  const { eal, cfg, stats } = env;
  const pool = PktmbufPool.lookup(eal, POOL_NAME);
  if (pool === null) throw new Error(`pool ${POOL_NAME} not found`);
  const mb = Mbuf.of(eal);
  const tsOff = mb.dynfieldLookup(TIMESTAMP_DYNFIELD);
  if (tsOff < 0) throw new Error(`dynfield ${TIMESTAMP_DYNFIELD} is not registered`);
  const nw = cfg.workers;
  const rings = Array.from({ length: nw }, (_, w) => {
    const r = Ring.lookup(eal, rxRingName(w));
    if (r === null) throw new Error(`ring ${rxRingName(w)} not found`);
    return r;
  });
  const ports = lookupPorts(eal, cfg.ports);
  // The sockets exist from here on: frames that arrive before GO wait in them.
  for (const p of ports) p.rxQueueStart(0);
  const reta = new Uint8Array(RETA_SIZE);
  for (let i = 0; i < RETA_SIZE; i++) reta[i] = i % nw;
  const stage = rings.map(() => new Float64Array(BURST));
  const staged = new Int32Array(nw);
  const mbufs = new Float64Array(BURST);
  /** @type {(import('@rtemem/port').MemsegListMap | undefined)[]} */
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
  const base = stats.at(stats.rxSlot, 0);
  const backoff = new Backoff(ctl, env.alive, f64, base + S_IDLE_MS);
  try {
    env.ready();
    if (!waitGo(ctl, env.alive)) return;
    f64[base + S_STATE] = ST_RUNNING;
    const t0 = epochMs();
    f64[base + S_START_MS] = t0;
    let now = t0;
    let bursts = 0;
    const limit = cfg.packets > 0 ? cfg.packets : Infinity;
    const deadline = cfg.seconds > 0 ? t0 + cfg.seconds * 1000 : Infinity;
    let got = 0;
    const nPorts = ports.length;
    while (got < limit) {
      if (Atomics.load(ctl, C_STOP) !== 0 || Atomics.load(ctl, C_ABORT) !== 0) break;
      if ((++bursts & (CLOCK_BURSTS - 1)) === 0) now = epochMs();
      if (now >= deadline) break;
      let any = 0;
      for (let p = 0; p < nPorts; p++) {
        const want = limit - got < BURST ? limit - got : BURST;
        const n = ports[p].rxBurst(0, mbufs, want);
        if (n === 0) continue;
        any += n;
        const sec = Math.floor(now / 1000);
        const ns = Math.floor((now - sec * 1000) * 1e6);
        let bytes = 0;
        let segs = 0;
        for (let i = 0; i < n; i++) {
          const m = mbufs[i];
          const li = Math.floor(m / LIST_SPAN);
          const l = list(li);
          const o = m - li * LIST_SPAN;
          const a = l.f64[(o >>> 3) + F_BUF_ADDR] + l.u16[(o >>> 1) + F_DATA_OFF];
          const dli = Math.floor(a / LIST_SPAN);
          const h = rssHash(list(dli).u8, a - dli * LIST_SPAN, l.u16[(o >>> 1) + F_DATA_LEN]);
          l.u32[(o >>> 2) + F_HASH] = h;
          l.u32[(o >>> 2) + F_OL_FLAGS] |= F_RX_RSS_HASH;
          const tso = (o + tsOff) >>> 2;
          l.u32[tso] = sec;
          l.u32[tso + 1] = ns;
          const w = reta[h & (RETA_SIZE - 1)];
          stage[w][staged[w]++] = m;
          bytes += mb.pktLen(m);
          segs += mb.nbSegs(m);
        }
        got += n;
        for (let w = 0; w < nw; w++) {
          if (staged[w] !== 0) enqueueAll(rings[w], stage[w], staged[w], ctl, f64, base, backoff);
          staged[w] = 0;
        }
        f64[base + S_PKTS] += n;
        f64[base + S_OUT] += n;
        f64[base + S_BYTES] += bytes;
        f64[base + S_SEGS] += segs;
      }
      if (any !== 0) {
        backoff.reset();
        continue;
      }
      f64[base + S_IDLE]++;
      backoff.idle();
    }
    f64[base + S_END_MS] = epochMs();
    Atomics.store(ctl, C_RX_DONE, 1);
    f64[base + S_STATE] = ST_DONE;
  } finally {
    for (const p of ports) p.close();
  }
}

/**
 * The TX side of one port: sends `n` mbufs of `burst`, trying again while
 * the port takes only part of them (its socket buffer is full), up to
 * TX_RETRIES times; then frees the rest. Returns how many it dropped.
 * @param {Port} port
 * @param {Float64Array} burst
 * @param {number} n
 * @param {Mbuf} mb
 * @param {Backoff} backoff
 * @param {Int32Array} ctl
 */
export function sendAll(port, burst, n, mb, backoff, ctl) {
  let sent = port.txBurst(0, burst, n);
  for (let tries = 0; sent < n; tries++) {
    if (tries === TX_RETRIES || Atomics.load(ctl, C_ABORT) !== 0) {
      mb.freeBulk(burst.subarray(sent, n), n - sent);
      return n - sent;
    }
    burst.copyWithin(0, sent, n);
    n -= sent;
    backoff.idle();
    sent = port.txBurst(0, burst, n);
  }
  backoff.reset();
  return 0;
}
