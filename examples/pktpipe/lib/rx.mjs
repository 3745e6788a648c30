// @ts-check
/**
 * The RX lcore: plays the NIC. Copies packets (synthetic templates or a
 * pcap's records) into mbufs from the pktmbuf pool, chaining segments for
 * packets bigger than one data room, stamps the RX time into the timestamp
 * dynfield, computes the RSS hash, and spreads the mbufs over the workers'
 * rings through a redirection table (RETA), a burst at a time. A full ring
 * or an empty pool makes RX wait (back-pressure), never drop.
 *
 * @see examples/l3fwd main loop, rte_eth_rx_burst in DPDK
 */
import { LIST_SPAN, Mbuf, PKTMBUF_HEADROOM, PktmbufPool, Ring } from '@rtemem/mbuf';
import { buildTraffic } from './generator.mjs';
import { rssHash } from './packet.mjs';
import { readPcap } from './pcap.mjs';
import {
  Backoff,
  BURST,
  C_ABORT,
  C_RX_DONE,
  C_STOP,
  epochMs,
  POOL_NAME,
  rxRingName,
  S_BYTES,
  S_END_MS,
  S_OUT,
  S_PKTS,
  S_SEGS,
  S_START_MS,
  S_STATE,
  S_NOMBUF,
  S_WAIT_MS,
  S_WAITS,
  ST_DONE,
  ST_RUNNING,
  TIMESTAMP_DYNFIELD,
  waitGo,
  F_BUF_ADDR,
  F_DATA_OFF,
  F_DATA_LEN,
  F_PKT_LEN,
  F_HASH,
  F_OL_FLAGS,
} from './shared.mjs';

/** RETA entries, as on many NICs. */
const RETA_SIZE = 128;
/** Bursts between clock reads (a power of two). */
const CLOCK_BURSTS = 16;
/** RTE_MBUF_F_RX_RSS_HASH, in the low word of ol_flags. */
const F_RX_RSS_HASH = 1 << 1;

/**
 * @typedef {object} Source
 * @property {number} count
 * @property {Uint8Array[]} views     one per packet, made once (the hot path copies from them without allocating)
 * @property {Int32Array} hashes      the RSS hash of each packet (as a NIC computes it in hardware: once, here)
 * @property {Uint32Array | null} tsSec  capture timestamps, null to stamp RX time
 * @property {Uint32Array | null} tsNs
 */

/**
 * @param {import('./lcore.mjs').LcoreConfig} cfg
 * @param {number} room  bytes of the first segment (the hash sees only those)
 * @returns {Source}
 */
export function openSource(cfg, room) {
  /** @type {Uint8Array[]} */
  let views;
  /** @type {Uint32Array | null} */
  let tsSec = null;
  /** @type {Uint32Array | null} */
  let tsNs = null;
  if (cfg.pcap !== null) {
    const p = readPcap(cfg.pcap);
    tsNs = new Uint32Array(p.count);
    for (let i = 0; i < p.count; i++) tsNs[i] = p.nanos ? p.tsFrac[i] : p.tsFrac[i] * 1000;
    tsSec = p.tsSec;
    views = Array.from({ length: p.count }, (_, i) => p.packet(i));
  } else {
    const t = buildTraffic({ seed: cfg.seed, flows: cfg.flows, templates: cfg.templates });
    views = Array.from({ length: t.count }, (_, i) => t.packet(i));
  }
  const hashes = Int32Array.from(views, (v) => rssHash(v, 0, Math.min(v.length, room)));
  return { count: views.length, views, hashes, tsSec, tsNs };
}

/**
 * @param {import('./lcore.mjs').LcoreEnv} env
 */
export function runRx(env) {
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
  const room = pool.dataRoomSize - PKTMBUF_HEADROOM;
  const src = openSource(cfg, room);
  if (src.count === 0) throw new Error(`${cfg.pcap} holds no packets`);

  const reta = new Uint8Array(RETA_SIZE);
  for (let i = 0; i < RETA_SIZE; i++) reta[i] = i % nw;
  const stage = rings.map(() => new Float64Array(BURST));
  const staged = new Int32Array(nw);
  const mbufs = new Float64Array(BURST);
  /** Memory lists by index, as this thread maps them. @type {(import('@rtemem/mbuf').MemsegListMap | undefined)[]} */
  const lists = [];
  /** @param {number} li */
  const mapList = (li) => {
    const l = eal.list(li);
    if (l === undefined) throw new Error(`memory list ${li} is not mapped here`);
    lists[li] = l;
    return l;
  };

  const { ctl, f64 } = stats;
  const slot = stats.rxSlot;
  const base = stats.at(slot, 0);
  const backoff = new Backoff(ctl, env.alive);
  env.ready();
  if (!waitGo(ctl, env.alive)) return;
  f64[base + S_STATE] = ST_RUNNING;
  const t0 = epochMs();
  f64[base + S_START_MS] = t0;
  // Reading the clock allocates (a heap number): read it every CLOCK_BURSTS
  // bursts, for the RX timestamps and the --seconds deadline.
  let now = t0;
  let bursts = 0;
  const limit = cfg.packets > 0 ? cfg.packets : Infinity;
  const total = cfg.pcap !== null && cfg.loops > 0 ? Math.min(limit, src.count * cfg.loops) : limit;
  const deadline = cfg.seconds > 0 ? t0 + cfg.seconds * 1000 : Infinity;
  const views = src.views;
  const hashes = src.hashes;
  const tsSec = src.tsSec;
  const tsNs = src.tsNs;
  let idx = 0;
  let made = 0;

  while (made < total) {
    if (Atomics.load(ctl, C_STOP) !== 0 || Atomics.load(ctl, C_ABORT) !== 0) break;
    if ((++bursts & (CLOCK_BURSTS - 1)) === 0) now = epochMs();
    if (now >= deadline) break;
    const n = total - made < BURST ? total - made : BURST;
    if (pool.allocBulk(mbufs, n) !== 0) {
      f64[base + S_NOMBUF]++;
      const w0 = epochMs();
      backoff.idle();
      now = epochMs();
      f64[base + S_WAIT_MS] += now - w0;
      continue;
    }
    backoff.reset();
    const sec = Math.floor(now / 1000);
    const ns = Math.floor((now - sec * 1000) * 1e6);
    let bytes = 0;
    let segs = 0;
    for (let i = 0; i < n; i++) {
      const m = mbufs[i];
      const view = views[idx];
      const len = view.length;
      const first = len <= room ? len : room;
      // Filled as a PMD fills a fresh mbuf: the header fields written in
      // place (what rte_pktmbuf_append, setHash and setOlFlag would do).
      const li = Math.floor(m / LIST_SPAN);
      const l = lists[li] ?? mapList(li);
      const o = m - li * LIST_SPAN;
      const a = l.f64[(o >>> 3) + F_BUF_ADDR] + l.u16[(o >>> 1) + F_DATA_OFF];
      l.u16[(o >>> 1) + F_DATA_LEN] = first;
      l.u32[(o >>> 2) + F_PKT_LEN] = first;
      const dli = Math.floor(a / LIST_SPAN);
      const u8 = (lists[dli] ?? mapList(dli)).u8;
      const at = a - dli * LIST_SPAN;
      if (first === len) u8.set(view, at);
      else {
        u8.set(view.subarray(0, first), at);
        segs += chainRest(env, pool, mb, m, view, first, room);
      }
      const h = hashes[idx];
      l.u32[(o >>> 2) + F_HASH] = h;
      l.u32[(o >>> 2) + F_OL_FLAGS] |= F_RX_RSS_HASH;
      const tso = (o + tsOff) >>> 2;
      l.u32[tso] = tsSec === null ? sec : tsSec[idx];
      l.u32[tso + 1] = tsNs === null ? ns : /** @type {Uint32Array} */ (tsNs)[idx];
      const w = reta[h & (RETA_SIZE - 1)];
      stage[w][staged[w]++] = m;
      bytes += len;
      segs++;
      if (++idx === src.count) idx = 0;
    }
    made += n;
    for (let w = 0; w < nw; w++) {
      if (staged[w] !== 0) enqueueAll(rings[w], stage[w], staged[w], ctl, f64, base, backoff);
      staged[w] = 0;
    }
    f64[base + S_PKTS] += n;
    f64[base + S_OUT] += n;
    f64[base + S_BYTES] += bytes;
    f64[base + S_SEGS] += segs;
  }
  f64[base + S_END_MS] = epochMs();
  Atomics.store(ctl, C_RX_DONE, 1);
  f64[base + S_STATE] = ST_DONE;
}

/**
 * Copies the rest of a big packet into new segments chained to `m`.
 * Returns the number of segments added.
 * @param {import('./lcore.mjs').LcoreEnv} env
 * @param {PktmbufPool} pool
 * @param {Mbuf} mb
 * @param {number} m
 * @param {Uint8Array} view
 * @param {number} done
 * @param {number} room
 */
function chainRest(env, pool, mb, m, view, done, room) {
  const ctl = env.stats.ctl;
  const backoff = new Backoff(ctl, env.alive);
  let added = 0;
  while (done < view.length) {
    let s = pool.alloc();
    while (s === 0) {
      if (Atomics.load(ctl, C_ABORT) !== 0) throw new Error('aborted while waiting for mbufs');
      backoff.idle();
      s = pool.alloc();
    }
    const take = Math.min(room, view.length - done);
    const a = mb.append(s, take);
    const li = Math.floor(a / LIST_SPAN);
    const l = env.eal.list(li);
    if (l === undefined) throw new Error(`memory list ${li} is not mapped here`);
    l.u8.set(view.subarray(done, done + take), a - li * LIST_SPAN);
    if (mb.chain(m, s) !== 0) throw new Error('mbuf chain too long');
    done += take;
    added++;
  }
  return added;
}

/**
 * Enqueues `n` mbufs, waiting for room as long as needed (back-pressure),
 * counting the waits and their time in the slot at `base`. Returns early only on abort (the mbufs left
 * then show up as missing in the pool check, which the report names).
 * @param {Ring} ring
 * @param {Float64Array} objs
 * @param {number} n
 * @param {Int32Array} ctl
 * @param {Float64Array} f64
 * @param {number} base  the slot's first index
 * @param {Backoff} backoff
 */
export function enqueueAll(ring, objs, n, ctl, f64, base, backoff) {
  let sent = ring.enqueueBurst(objs, n);
  if (sent === n) return;
  const w0 = epochMs();
  f64[base + S_WAITS]++;
  while (sent < n) {
    if (Atomics.load(ctl, C_ABORT) !== 0) break;
    backoff.idle();
    objs.copyWithin(0, sent, n);
    n -= sent;
    sent = ring.enqueueBurst(objs, n);
  }
  backoff.reset();
  f64[base + S_WAIT_MS] += epochMs() - w0;
}
