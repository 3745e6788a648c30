/**
 * The end of Port.close on the opening handle, once the port is marked
 * closing and this thread's queues are stopped: wait (up to 3 s, then
 * EBUSY) until every other thread of this process and every other live
 * process has let go of its queues (each does at its next burst, which
 * sees the port closing), give the mbufs posted to RX queues back to the
 * pool, and free the memzone and the port id (table.ts).
 *
 * @see rte_eth_dev_stop, rte_eth_dev_close in DPDK lib/ethdev/rte_ethdev.c;
 * eth_dev_stop, eth_dev_close in drivers/net/af_packet/rte_eth_af_packet.c
 */
import { PacketQueue, PKT_Q_POSTED, pktAreaOffsets, RteError } from '@rtemem/mbuf';
import type { PortCore } from './core.js';
import { P_NB_RX_DESC, rxAreaOf, rxBlock, txBlock } from './layout.js';
import { queueOwner, servedElsewhere, unclaimQueue } from './owner.js';
import { freePort } from './table.js';

/** How long close() waits for other processes to let go of their queues. */
const RELEASE_WAIT_MS = 3000;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Waits for every queue to be let go, then frees the port (see above). EBUSY after RELEASE_WAIT_MS. */
export function finishClose(c: PortCore): void {
  // Every queue let go: by the other threads of this process (their
  // sockets), and by other processes (their ownership), each at its next
  // burst, which sees the port closing.
  const blocks = [...Array.from({ length: c.nbRxQueues }, (_, q) => rxBlock(q)), ...Array.from({ length: c.nbTxQueues }, (_, q) => txBlock(c.nbRxQueues, q))];
  const keys = [...Array.from({ length: c.nbRxQueues }, (_, q) => c.key('rx', q)), ...Array.from({ length: c.nbTxQueues }, (_, q) => c.key('tx', q))];
  const deadline = performance.now() + RELEASE_WAIT_MS;
  for (;;) {
    const here = keys.findIndex((k) => PacketQueue.refs(k) > 0);
    const elsewhere = blocks.find((b) => servedElsewhere(c, b));
    if (here < 0 && elsewhere === undefined) break;
    if (performance.now() > deadline) {
      const who = here >= 0 ? `another thread of this process still serves ${keys[here]!.split('/').pop()}` : `process ${queueOwner(c, elsewhere!)} still serves a queue`;
      throw new RteError('EBUSY', `port ${c.ifname}: ${who} (it lets go at its next burst, or when its handle closes): stop its lcores, then call close() again`);
    }
    Atomics.wait(sleepCell, 0, 0, 1);
  }
  c.lock();
  try {
    for (const b of blocks) unclaimQueue(c, b);
  } finally {
    c.unlock();
  }
  // Posted mbufs back to the pool.
  const nbRxDesc = c.word(P_NB_RX_DESC);
  const f64 = c.list.f64;
  for (let q = 0; q < c.nbRxQueues; q++) {
    const a = c.o + rxAreaOf(c.nbRxQueues, c.nbTxQueues, nbRxDesc, q);
    const posted = c.list.u32[(a + PKT_Q_POSTED) >> 2]!;
    if (posted === 0) continue;
    const first = (a + pktAreaOffsets(nbRxDesc).posted) >> 3;
    c.mb.freeBulk(f64.slice(first, first + posted), posted);
    c.list.u32[(a + PKT_Q_POSTED) >> 2] = 0;
  }
  c.closed = true;
  freePort(c);
}
