/**
 * A port's queues in this process: starting one opens its socket through
 * the EAL's packet service (RX sockets join the port's PACKET_FANOUT group,
 * whose id is in the memzone) over the queue's descriptor area, claims the
 * queue for this process (owner.ts) and gives back the RxQueue / TxQueue a
 * thread bursts on (rx.ts, tx.ts); stopping one closes this thread's use of
 * the socket and lets go of the queue with the process's last user. Also
 * the privilege probe Port.open makes.
 *
 * @see rte_eth_dev_rx_queue_start, rte_eth_dev_tx_queue_start, rte_eth_dev_rx_queue_stop in DPDK
 * lib/ethdev/rte_ethdev.c; eth_rx_queue_setup, eth_tx_queue_setup and the PACKET_FANOUT setup of
 * rte_pmd_init_internals in drivers/net/af_packet/rte_eth_af_packet.c
 */
import { PacketQueue, type RteError } from '@rtemem/mbuf';
import type { PortCore } from './core.js';
import { P_BUF_CAP, P_FANOUT_ID, P_FLAGS, P_NB_RX_DESC, P_NB_TX_DESC, P_PROMISC, PF_MMSG, PF_SCATTER, PF_VLAN_STRIP, rxAreaOf, rxBlock, txAreaOf, txBlock } from './layout.js';
import { claimQueue, unclaimQueue } from './owner.js';
import { RxQueue } from './rx.js';
import { TxQueue } from './tx.js';

/**
 * Claims RX queue `q` for this process and opens its socket (the caller
 * holds the lock and checked the queue number): the queue as this thread
 * drives it. EBUSY when another live process serves it, and the socket's
 * errors (EPERM, ...), the claim undone.
 */
export function startRx(c: PortCore, q: number): RxQueue {
  const nbRxDesc = c.word(P_NB_RX_DESC);
  const flags = c.word(P_FLAGS);
  const area = c.o + rxAreaOf(c.nbRxQueues, c.nbTxQueues, nbRxDesc, q);
  claimQueue(c, rxBlock(q), `RX queue ${q}`);
  let pq: PacketQueue;
  try {
    pq = openRx(c, q, area, nbRxDesc, flags);
  } catch (e) {
    unclaimQueue(c, rxBlock(q));
    throw e;
  }
  return new RxQueue({
    eal: c.eal,
    pool: c.pool,
    pq,
    list: c.list,
    area,
    block: c.o + rxBlock(q),
    capacity: nbRxDesc,
    bufCap: c.word(P_BUF_CAP),
    portId: c.id,
    vlanStrip: (flags & PF_VLAN_STRIP) !== 0,
  });
}

// The caller holds the lock.
function openRx(c: PortCore, q: number, area: number, nbRxDesc: number, flags: number): PacketQueue {
  const base = {
    key: c.key('rx', q),
    ifname: c.ifname,
    kind: 'rx' as const,
    mode: (flags & PF_MMSG) !== 0 ? ('mmsg' as const) : ('ring' as const),
    capacity: nbRxDesc,
    area: { buffer: c.list.sab, byteOffset: area },
    promisc: c.word(P_PROMISC) === 1,
    // A block holds the longest frame the queue takes (64 KiB GRO frames
    // with scatter). The kernel hands a block over when it is full or 1 ms
    // old, so at low rates a block holds a packet or two: many blocks let
    // an lcore be descheduled for tens of ms without a drop.
    ring: (flags & PF_SCATTER) !== 0 ? { blockSize: 1 << 17, blockNr: 32, frameSize: 2048, tovMs: 1 } : { blockSize: 1 << 15, blockNr: 64, frameSize: 2048, tovMs: 1 },
  };
  if (c.nbRxQueues === 1) return PacketQueue.open(c.eal, base);
  const u32 = c.list.u32;
  const idW = (c.o + P_FANOUT_ID) >> 2;
  const id = u32[idW]!;
  if (id !== 0) {
    try {
      return PacketQueue.open(c.eal, { ...base, fanoutId: id });
    } catch (e) {
      // The group died with its last socket and its id now names
      // someone else's: start a new one.
      if ((e as RteError).code !== 'EINVAL') throw e;
    }
  }
  const pq = PacketQueue.open(c.eal, { ...base, fanoutId: 0 });
  u32[idW] = pq.fanoutId();
  return pq;
}

/** Claims TX queue `q` for this process and opens its socket (see startRx). */
export function startTx(c: PortCore, q: number): TxQueue {
  const nbTxDesc = c.word(P_NB_TX_DESC);
  const area = c.o + txAreaOf(c.nbRxQueues, c.nbTxQueues, c.word(P_NB_RX_DESC), nbTxDesc, q);
  claimQueue(c, txBlock(c.nbRxQueues, q), `TX queue ${q}`);
  let pq: PacketQueue;
  try {
    pq = PacketQueue.open(c.eal, { key: c.key('tx', q), ifname: c.ifname, kind: 'tx', capacity: nbTxDesc, area: { buffer: c.list.sab, byteOffset: area } });
  } catch (e) {
    unclaimQueue(c, txBlock(c.nbRxQueues, q));
    throw e;
  }
  return new TxQueue({ eal: c.eal, mb: c.mb, pq, list: c.list, area, block: c.o + txBlock(c.nbRxQueues, q), capacity: nbTxDesc });
}

/** This thread is done with a queue's socket: the process lets go of queue block `block` with its last user. */
export function releaseQueue(c: PortCore, pq: PacketQueue, block: number): void {
  // Other threads of this process still use the socket; or the port is
  // gone with its memzone (nothing there to update).
  if (pq.close() !== 0 || !c.memzoneAlive()) return;
  c.lock();
  try {
    unclaimQueue(c, block);
  } finally {
    c.unlock();
  }
}

/**
 * The privilege check of Port.open, there rather than at the first burst:
 * a socket that hears nothing, opened and closed. EPERM without CAP_NET_RAW.
 */
export function probe(c: PortCore): void {
  const nbRxDesc = c.word(P_NB_RX_DESC);
  const area = c.o + txAreaOf(c.nbRxQueues, c.nbTxQueues, nbRxDesc, c.word(P_NB_TX_DESC), 0);
  const key = `${c.key('tx', 0)}/probe`;
  const pq = PacketQueue.open(c.eal, { key, ifname: c.ifname, kind: 'tx', capacity: 1, area: { buffer: c.list.sab, byteOffset: area } });
  pq.close();
}
