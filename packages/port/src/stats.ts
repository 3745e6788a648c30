/**
 * A port's counters: read and zeroed from any thread or process, summed
 * over every queue's block in the memzone, whichever process serves it
 * (each block is written by its queue's one lcore, rx.ts and tx.ts); and
 * the mbufs posted to RX queues, waiting for packets.
 *
 * @see rte_eth_stats_get, rte_eth_stats_reset in DPDK lib/ethdev/rte_ethdev.c;
 * eth_stats_get, eth_stats_reset in drivers/net/af_packet/rte_eth_af_packet.c
 */
import { PKT_Q_POSTED, RteError } from '@rtemem/mbuf';
import type { PortCore } from './core.js';
import { P_NB_RX_DESC, QB_BYTES, QB_ERRORS, QB_MISSED, QB_NOMBUF, QB_PACKETS, rxAreaOf, rxBlock, txBlock } from './layout.js';
import type { RxQueue } from './rx.js';

/** Counters of one queue pair (RX queue i and TX queue i). @see q_ipackets in struct rte_eth_stats */
export interface PortQueueStats {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  /** RX packets dropped as bad (too long for the buffers, truncated). @see q_errors */
  errors: number;
}

/** @see struct rte_eth_stats */
export interface PortStats {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  /** Dropped by the kernel, an RX queue's buffer being full. */
  imissed: number;
  ierrors: number;
  oerrors: number;
  /** Times an RX queue could not get mbufs from the pool. */
  rxNombuf: number;
  queues: PortQueueStats[];
}

/** Port.stats: `rx` are this thread's RX queues, whose kernel drops are folded in first. */
export function readStats(c: PortCore, rx: readonly (RxQueue | undefined)[]): PortStats {
  if (!c.memzoneAlive()) throw new RteError('EINVAL', `port ${c.ifname} was closed`);
  for (const q of rx) q?.foldDrops();
  const f64 = c.list.f64;
  const at = (b: number, f: number) => f64[(c.o + b + f) >> 3]!;
  const s: PortStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0, rxNombuf: 0, queues: [] };
  for (let q = 0; q < Math.max(c.nbRxQueues, c.nbTxQueues); q++) {
    const qs: PortQueueStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, errors: 0 };
    if (q < c.nbRxQueues) {
      const b = rxBlock(q);
      qs.ipackets = at(b, QB_PACKETS);
      qs.ibytes = at(b, QB_BYTES);
      qs.errors = at(b, QB_ERRORS);
      s.imissed += at(b, QB_MISSED);
      s.rxNombuf += at(b, QB_NOMBUF);
    }
    if (q < c.nbTxQueues) {
      const b = txBlock(c.nbRxQueues, q);
      qs.opackets = at(b, QB_PACKETS);
      qs.obytes = at(b, QB_BYTES);
      s.oerrors += at(b, QB_ERRORS);
    }
    s.ipackets += qs.ipackets;
    s.opackets += qs.opackets;
    s.ibytes += qs.ibytes;
    s.obytes += qs.obytes;
    s.ierrors += qs.errors;
    s.queues.push(qs);
  }
  return s;
}

/** Port.statsReset (see readStats). */
export function resetStats(c: PortCore, rx: readonly (RxQueue | undefined)[]): void {
  if (!c.memzoneAlive()) throw new RteError('EINVAL', `port ${c.ifname} was closed`);
  for (const q of rx) q?.foldDrops();
  const f64 = c.list.f64;
  const blocks = [...Array.from({ length: c.nbRxQueues }, (_, q) => rxBlock(q)), ...Array.from({ length: c.nbTxQueues }, (_, q) => txBlock(c.nbRxQueues, q))];
  for (const b of blocks) for (const f of [QB_PACKETS, QB_BYTES, QB_ERRORS, QB_MISSED, QB_NOMBUF]) f64[(c.o + b + f) >> 3] = 0;
}

/** Port.postedMbufs: mbufs posted to the RX queues' descriptor areas (0 once the memzone is gone). */
export function postedMbufs(c: PortCore): number {
  if (!c.memzoneAlive()) return 0;
  let n = 0;
  const nbRxDesc = c.word(P_NB_RX_DESC);
  for (let q = 0; q < c.nbRxQueues; q++) n += c.word(rxAreaOf(c.nbRxQueues, c.nbTxQueues, nbRxDesc, q) + PKT_Q_POSTED);
  return n;
}
