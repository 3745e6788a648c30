/**
 * Ports: DPDK's ethdev burst API on a Linux interface, through packet
 * sockets (AF_PACKET), after DPDK's net_af_packet PMD. A port's state (its
 * settings, which process serves each queue, the queues' counters and
 * descriptor areas) lives in a memzone; a handle is one thread's view of it.
 *
 * Queues and processes: a socket belongs to a process. A queue is served by
 * the first process that starts it (`rxQueueStart`, or its first burst);
 * every thread of that process shares the socket, and another process gets
 * EBUSY until the owner stops it or dies. So a secondary process serves its
 * queues with sockets of its own: `Port.lookup(eal, ifname)` then bursts on
 * queues nobody else serves. RX queues are one PACKET_FANOUT group (flows
 * spread by hash, like RSS), whichever process opened each socket.
 *
 * This is the facade and the burst entry points; the rest is one concept
 * per file:
 *
 * ```
 * options.ts  Port.open's checks: options, interface, pool
 * table.ts    the port table and a port's memzone: open, lookup, free
 * core.ts     PortCore, one thread's view of a port (what every file works on)
 * owner.ts    which process serves a queue (EBUSY, dead owners)
 * queues.ts   starting and stopping queues in this process (sockets, fanout)
 * rx.ts       an RX queue's burst      tx.ts   a TX queue's burst
 * stats.ts    counters, posted mbufs
 * close.ts    closing: waiting for queues, posted mbufs back to the pool
 * layout.ts   every offset             flags.ts  mbuf offload flag bits
 * ```
 *
 * @see rte_ethdev.h, drivers/net/af_packet/rte_eth_af_packet.c in DPDK
 */
import { type Eal, interfaceInfo, type MemsegListMap, type PktmbufPool, RteError } from '@rtemem/mbuf';
import { finishClose } from './close.js';
import { PortCore, type PortParts } from './core.js';
import { P_PROMISC, P_PROMISC_GEN, rxBlock, txBlock } from './layout.js';
import { checkOpen, type PortOptions } from './options.js';
import { probe, releaseQueue, startRx, startTx } from './queues.js';
import type { RxQueue } from './rx.js';
import { postedMbufs, readStats, resetStats, type PortStats } from './stats.js';
import { findPort, markClosing, reservePort } from './table.js';
import type { TxQueue } from './tx.js';

/**
 * A port on a Linux network interface (one thread's handle).
 *
 * @example
 * ```ts
 * import { Eal, PktmbufPool, Port } from '@rtemem/port';
 * const eal = Eal.init();
 * const pool = PktmbufPool.create(eal, 'rx', 8191, 256);
 * const port = Port.open(eal, 'veth0', { pool, rxQueues: 1, txQueues: 1 });   // root or CAP_NET_RAW
 * const burst = new Float64Array(32);
 * const n = port.rxBurst(0, burst, 32);        // mbufs in burst[0..n)
 * const sent = port.txBurst(0, burst, n);      // sent ones are freed; burst[sent..n) are still yours
 * Mbuf.of(eal).freeBulk(burst.subarray(sent, n));
 * port.close();
 * eal.cleanup();
 * ```
 * @see rte_eth_dev_configure, rte_eth_rx_burst, rte_eth_tx_burst
 */
export class Port {
  /** Port id: the `port` field of every mbuf it receives. */
  readonly id: number;
  readonly ifname: string;
  readonly nbRxQueues: number;
  readonly nbTxQueues: number;
  /** The pool RX queues take mbufs from. */
  readonly pool: PktmbufPool;
  readonly #core: PortCore;
  /* The data path's own copies of what it reads (one load fewer than through #core). */
  readonly #list: MemsegListMap;
  readonly #o: number; // the memzone's offset in #list
  readonly #cfg: Uint32Array; // the config region, for the port table
  readonly #stateW: number;
  readonly #openWord: number;
  readonly #rx: (RxQueue | undefined)[] = [];
  readonly #tx: (TxQueue | undefined)[] = [];
  readonly #promiscSeen: number[] = [];

  private constructor(p: PortParts) {
    const c = new PortCore(p);
    this.#core = c;
    this.id = c.id;
    this.ifname = c.ifname;
    this.nbRxQueues = c.nbRxQueues;
    this.nbTxQueues = c.nbTxQueues;
    this.pool = c.pool;
    this.#list = c.list;
    this.#o = c.o;
    this.#cfg = c.cfg;
    this.#stateW = c.stateW;
    this.#openWord = c.openWord;
  }

  /* ------------------------------------------------------------------ *
   * Control path
   * ------------------------------------------------------------------ */

  /**
   * Opens a port on interface `ifname` of this process's network namespace.
   * Checks the interface and the caller's privilege at once; each queue's
   * socket opens when a process starts the queue (its first burst, or
   * rxQueueStart / txQueueStart).
   *
   * Throws EPERM without CAP_NET_RAW (run as root, or give node the
   * capability), ENODEV when there is no such interface, ENETDOWN when it is
   * down, EINVAL when it is not Ethernet, when its MTU does not fit the
   * pool's mbufs (without `scatter`) or for bad options, EEXIST when the
   * EAL already has a port on it (use Port.lookup), ENOSPC when it has
   * MAX_PORTS ports, ENOTSUP without the native addon.
   *
   * @see rte_eth_dev_configure, rte_eth_rx_queue_setup, rte_eth_tx_queue_setup, rte_eth_dev_start
   */
  static open(eal: Eal, ifname: string, opts: PortOptions): Port {
    const mz = reservePort(eal, ifname, checkOpen(ifname, opts));
    const port = new Port({ eal, mz, opener: true });
    try {
      // The privilege check, now rather than at the first burst.
      probe(port.#core);
    } catch (e) {
      port.close();
      throw e;
    }
    return port;
  }

  /**
   * Another handle on the port an EAL has on `ifname` (from any thread or
   * process of that EAL), or null. It serves the queues it starts.
   *
   * @see rte_eth_dev_get_port_by_name
   */
  static lookup(eal: Eal, ifname: string): Port | null {
    if (typeof ifname !== 'string') throw new RteError('EINVAL', 'an interface name is a string');
    const mz = findPort(eal, ifname);
    if (mz === null) return null;
    const port = new Port({ eal, mz, opener: false });
    return port.#core.isOpen() ? port : null;
  }

  #u32(off: number): number {
    return this.#list.u32[(this.#o + off) >> 2]!;
  }

  /**
   * Makes RX queue `q` ready in this process: opens its socket (in the
   * port's fanout group) unless this process has it already. Bursts do it
   * on first use; calling it first gets its errors (EPERM, EBUSY when
   * another live process serves the queue) out of the data path.
   *
   * @see rte_eth_dev_rx_queue_start
   */
  rxQueueStart(q: number): void {
    const c = this.#core;
    c.checkUsable('rx', q);
    if (this.#rx[q] !== undefined) return;
    c.lock();
    try {
      this.#rx[q] = startRx(c, q);
      this.#promiscSeen[q] = this.#u32(P_PROMISC_GEN);
    } finally {
      c.unlock();
    }
  }

  /**
   * Makes TX queue `q` ready in this process (see rxQueueStart).
   *
   * @see rte_eth_dev_tx_queue_start
   */
  txQueueStart(q: number): void {
    const c = this.#core;
    c.checkUsable('tx', q);
    if (this.#tx[q] !== undefined) return;
    c.lock();
    try {
      this.#tx[q] = startTx(c, q);
    } finally {
      c.unlock();
    }
  }

  /**
   * Stops RX queue `q` in this thread; the socket closes, and the queue is
   * free for another process, once no thread of this process uses it. The
   * mbufs posted to it stay posted for whoever serves it next.
   *
   * @see rte_eth_dev_rx_queue_stop
   */
  rxQueueStop(q: number): void {
    const rq = this.#rx[q];
    if (rq === undefined) return;
    this.#rx[q] = undefined;
    if (this.#core.memzoneAlive()) rq.foldDrops();
    releaseQueue(this.#core, rq.pq, rxBlock(q));
  }

  /** Stops TX queue `q` in this thread (see rxQueueStop). @see rte_eth_dev_tx_queue_stop */
  txQueueStop(q: number): void {
    const tq = this.#tx[q];
    if (tq === undefined) return;
    this.#tx[q] = undefined;
    releaseQueue(this.#core, tq.pq, txBlock(this.nbRxQueues, q));
  }

  /* ------------------------------------------------------------------ *
   * Data path
   * ------------------------------------------------------------------ */

  /**
   * Receives up to `n` packets from RX queue `queue` into `mbufs[0..)`:
   * returns how many (0 when none are waiting). Each is an mbuf (a chain
   * for packets longer than one mbuf, with `scatter`) from the port's pool,
   * with pkt_len, data_len, nb_segs, port and, for tagged frames, vlan_tci
   * with RX_VLAN (and RX_VLAN_STRIPPED) set. One lcore per queue.
   * The first burst of a process on a queue starts it there (see
   * rxQueueStart, whose errors it throws). Returns 0 once the port is closed.
   *
   * @see rte_eth_rx_burst
   */
  rxBurst(queue: number, mbufs: Float64Array, n: number): number {
    const q = this.#rx[queue];
    if (q === undefined || this.#cfg[this.#stateW] !== this.#openWord || (n | 0) !== n || n < 0 || n > mbufs.length) return this.#rxSlow(queue, mbufs, n);
    if (this.#u32(P_PROMISC_GEN) !== this.#promiscSeen[queue]) this.#applyPromisc(queue, q);
    return q.burst(mbufs, n);
  }

  #rxSlow(queue: number, mbufs: Float64Array, n: number): number {
    if (!this.#core.isOpen()) {
      this.#stopAll();
      return 0;
    }
    Port.#checkBurst(mbufs, n);
    this.rxQueueStart(queue);
    return this.rxBurst(queue, mbufs, n);
  }

  static #checkBurst(mbufs: Float64Array, n: number): void {
    if (!(mbufs instanceof Float64Array)) throw new RteError('EINVAL', 'mbufs must be a Float64Array of mbuf addresses');
    if (!Number.isInteger(n) || n < 0 || n > mbufs.length) throw new RteError('EINVAL', `n must be a whole number from 0 to mbufs.length (${mbufs.length}), not ${String(n)}`);
  }

  #applyPromisc(queue: number, q: RxQueue): void {
    this.#promiscSeen[queue] = this.#u32(P_PROMISC_GEN);
    q.pq.promisc(this.#u32(P_PROMISC) === 1);
  }

  /**
   * Sends up to `n` packets of `mbufs[0..)` on TX queue `queue`: returns
   * how many it took, a prefix of the array. Those are freed (or were
   * dropped as bad, counted in oerrors: too long for the link, the link
   * down, a VLAN tag that cannot be inserted); `mbufs[ret..n)` stay the
   * caller's, to send again or free. An mbuf with RTE_MBUF_F_TX_VLAN gets
   * vlan_tci inserted as an 802.1Q tag. One lcore per queue.
   *
   * @see rte_eth_tx_burst
   */
  txBurst(queue: number, mbufs: Float64Array, n: number): number {
    const q = this.#tx[queue];
    if (q === undefined || this.#cfg[this.#stateW] !== this.#openWord || (n | 0) !== n || n < 0 || n > mbufs.length) return this.#txSlow(queue, mbufs, n);
    return q.burst(mbufs, n);
  }

  #txSlow(queue: number, mbufs: Float64Array, n: number): number {
    if (!this.#core.isOpen()) {
      this.#stopAll();
      return 0;
    }
    Port.#checkBurst(mbufs, n);
    this.txQueueStart(queue);
    return this.txBurst(queue, mbufs, n);
  }

  /* ------------------------------------------------------------------ *
   * Settings and counters
   * ------------------------------------------------------------------ */

  /** The interface's MAC address, "aa:bb:cc:dd:ee:ff". @see rte_eth_macaddr_get */
  get macAddr(): string {
    return interfaceInfo(this.ifname).mac;
  }

  /** The interface's MTU now. @see rte_eth_dev_get_mtu */
  get mtu(): number {
    return interfaceInfo(this.ifname).mtu;
  }

  /** The interface index (in this process's network namespace). */
  get ifindex(): number {
    return interfaceInfo(this.ifname).ifindex;
  }

  /** True while the port is open (another handle may have closed it). */
  get isOpen(): boolean {
    return !this.#core.closed && this.#core.isOpen();
  }

  /**
   * Receives frames for any MAC address (on), or only the interface's own,
   * broadcast and multicast (off), on every RX queue in every process: a
   * queue served elsewhere follows at its next burst. The kernel keeps the
   * interface promiscuous while any socket asks for it.
   *
   * @see rte_eth_promiscuous_enable, rte_eth_promiscuous_disable
   */
  promiscuous(on: boolean): void {
    if (typeof on !== 'boolean') throw new RteError('EINVAL', 'promiscuous takes true or false');
    const c = this.#core;
    c.checkUsable('rx', 0);
    c.lock();
    try {
      const u32 = this.#list.u32;
      u32[(this.#o + P_PROMISC) >> 2] = on ? 1 : 0;
      u32[(this.#o + P_PROMISC_GEN) >> 2] = (u32[(this.#o + P_PROMISC_GEN) >> 2]! + 1) >>> 0;
    } finally {
      c.unlock();
    }
    this.#rx.forEach((q, i) => {
      if (q !== undefined) this.#applyPromisc(i, q);
    });
  }

  /** Whether the port asks for promiscuous mode. @see rte_eth_promiscuous_get */
  promiscuousGet(): boolean {
    if (!this.#core.memzoneAlive()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
    return this.#u32(P_PROMISC) === 1;
  }

  /**
   * Counters, summed over every queue whichever process serves it. A
   * queue's imissed is read from its socket by the process serving it,
   * every 256 bursts and when it stops (and here, for this thread's queues).
   *
   * @see rte_eth_stats_get
   */
  stats(): PortStats {
    return readStats(this.#core, this.#rx);
  }

  /** Zeroes every counter. @see rte_eth_stats_reset */
  statsReset(): void {
    resetStats(this.#core, this.#rx);
  }

  /** Mbufs posted to RX queues now, waiting for packets (they count as in use in the pool). */
  postedMbufs(): number {
    return postedMbufs(this.#core);
  }

  /* ------------------------------------------------------------------ *
   * Closing
   * ------------------------------------------------------------------ */

  #stopAll(): void {
    for (let q = 0; q < this.#rx.length; q++) this.rxQueueStop(q);
    for (let q = 0; q < this.#tx.length; q++) this.txQueueStop(q);
  }

  /**
   * On the handle Port.open returned: closes the port for every thread and
   * process. Handles in other threads and processes let go of their queues
   * at their next burst (which returns 0) or when they close; close waits
   * up to 3 s for that (EBUSY after it: stop those lcores, as DPDK stops a
   * port before closing it, and call it again). Then the mbufs posted to RX
   * queues go back to the pool and the memzone is freed.
   *
   * On a handle from Port.lookup: stops this thread's queues and forgets
   * the handle; the port stays open.
   *
   * @see rte_eth_dev_stop, rte_eth_dev_close
   */
  close(): void {
    const c = this.#core;
    if (c.closed) return;
    if (!c.opener) {
      this.#stopAll();
      c.closed = true;
      return;
    }
    markClosing(c);
    this.#stopAll();
    finishClose(c);
  }
}
