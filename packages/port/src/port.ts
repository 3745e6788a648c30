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
 * @see rte_ethdev.h, drivers/net/af_packet/rte_eth_af_packet.c in DPDK
 */
import {
  type Eal,
  interfaceInfo,
  lockAcquire,
  lockRelease,
  Mbuf,
  MBUF_HEADER_SIZE,
  type Memzone,
  Memzones,
  type MemsegListMap,
  PacketQueue,
  PKT_Q_BUF_CAP,
  PKT_Q_BUF_OFFSET,
  PKT_Q_CAPACITY,
  PKT_Q_MAX_FRAME,
  PKT_Q_MAX_SEGS,
  PKT_Q_POSTED,
  pktAreaOffsets,
  pktAreaSize,
  PktmbufPool,
  processAlive,
  processStartTime,
  RteError,
} from '@rtemem/mbuf';
import {
  align64,
  M_BUF_ADDR,
  MAX_PORTS,
  P_BUF_CAP,
  P_BUF_OFFSET,
  P_FANOUT_ID,
  P_FLAGS,
  P_GEN,
  P_ID,
  P_IFNAME,
  P_IFNAME_LEN,
  P_LOCK,
  P_MAGIC,
  P_MAX_FRAME,
  P_MAX_SEGS,
  P_NB_RX_DESC,
  P_NB_RXQ,
  P_NB_TX_DESC,
  P_NB_TXQ,
  P_POOL,
  P_POOL_LEN,
  P_PROMISC,
  P_PROMISC_GEN,
  P_QUEUES,
  PA_ENTRIES,
  PA_ENTRY_BYTES,
  PA_LOCK,
  PE_GEN,
  PE_MZ,
  PE_STATE,
  PF_MMSG,
  PF_SCATTER,
  PF_VLAN_STRIP,
  PORT_MAGIC,
  PORT_MZ_PREFIX,
  PORTS_AREA_BYTES,
  PORTS_AREA_NAME,
  PS_CLOSING,
  PS_FREE,
  PS_OPEN,
  QB_BYTES,
  QB_BYTES_TOTAL,
  QB_ERRORS,
  QB_MISSED,
  QB_NOMBUF,
  QB_OWNER,
  QB_OWNER_START,
  QB_PACKETS,
  rxBlock,
  txBlock,
} from './layout.js';
import { RxQueue } from './rx.js';
import { TxQueue } from './tx.js';

/** Options of {@link Port.open}, after rte_eth_conf and the queue setup calls. */
export interface PortOptions {
  /** Where received packets go: every RX queue refills from it. */
  pool: PktmbufPool;
  /** RX queues, one PACKET_FANOUT group spreading flows by hash (default 1). @see rte_eth_dev_configure */
  rxQueues?: number;
  /** TX queues, a socket each (default 1). */
  txQueues?: number;
  /** Receive frames for any MAC address (default false). @see rte_eth_promiscuous_enable */
  promiscuous?: boolean;
  /** Packets longer than one mbuf arrive as chains; without it the MTU must fit one mbuf (default false). @see RTE_ETH_RX_OFFLOAD_SCATTER */
  scatter?: boolean;
  /** VLAN tags stay out of the data, in vlan_tci only (default true); false puts them back into the data. @see RTE_ETH_RX_OFFLOAD_VLAN_STRIP */
  vlanStrip?: boolean;
  /** Mbufs posted per RX queue, waiting for packets (default 128, 32..4096). @see nb_rx_desc */
  nbRxDesc?: number;
  /** Descriptors per TX queue: mbuf segments one burst may send (default 512, 32..4096). @see nb_tx_desc */
  nbTxDesc?: number;
  /** How RX queues read the socket: a TPACKET_V3 ring ('ring', the default) or recvmmsg ('mmsg'). */
  rxMode?: 'ring' | 'mmsg';
}

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

const KNOWN_OPTIONS = new Set(['pool', 'rxQueues', 'txQueues', 'promiscuous', 'scatter', 'vlanStrip', 'nbRxDesc', 'nbTxDesc', 'rxMode']);
/** Queues of each kind per port. */
export const MAX_QUEUES = 64;
const ETHER_OVERHEAD = 18; // Ethernet header and one VLAN tag
const MAX_FRAME = 65535 + ETHER_OVERHEAD; // a GRO super-frame
/** How long close() waits for other processes to let go of their queues. */
const RELEASE_WAIT_MS = 3000;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const selfStart = processStartTime(process.pid);

function count(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RteError('EINVAL', `${name} must be a whole number from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

interface Parts {
  eal: Eal;
  mz: Memzone;
  opener: boolean;
}

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
  readonly #eal: Eal;
  readonly #mz: Memzone;
  readonly #list: MemsegListMap;
  readonly #o: number; // the memzone's offset in #list
  readonly #gen: number;
  readonly #cfg: Uint32Array; // the config region, for the port table
  readonly #stateW: number;
  readonly #openWord: number;
  readonly #opener: boolean;
  readonly #mb: Mbuf;
  readonly #rx: (RxQueue | undefined)[] = [];
  readonly #tx: (TxQueue | undefined)[] = [];
  readonly #promiscSeen: number[] = [];
  #closed = false;

  private constructor(p: Parts) {
    this.#eal = p.eal;
    this.#mz = p.mz;
    const list = p.eal.listOf(p.mz.addr);
    if (list === undefined) throw new RteError('EINVAL', `the memory of port memzone ${p.mz.name} is not mapped in this thread`);
    this.#list = list;
    this.#o = p.mz.addr - list.baseAddr;
    const u32 = list.u32;
    const o = this.#o;
    this.id = u32[(o + P_ID) >> 2]!;
    this.#gen = u32[(o + P_GEN) >> 2]!;
    this.nbRxQueues = u32[(o + P_NB_RXQ) >> 2]!;
    this.nbTxQueues = u32[(o + P_NB_TXQ) >> 2]!;
    this.ifname = list.readString(o + P_IFNAME, P_IFNAME_LEN);
    const poolName = list.readString(o + P_POOL, P_POOL_LEN);
    const pool = PktmbufPool.lookup(p.eal, poolName);
    if (pool === null) throw new RteError('ENOENT', `port ${this.ifname} receives into pool ${poolName}, which does not exist (any more)`);
    this.pool = pool;
    this.#cfg = p.eal.config.u32;
    const entry = Port.#entry(p.eal, this.id);
    this.#stateW = (entry + PE_STATE) >> 2;
    this.#openWord = PS_OPEN | (this.#gen << 2);
    this.#opener = p.opener;
    this.#mb = Mbuf.of(p.eal);
  }

  /* ------------------------------------------------------------------ *
   * Control path
   * ------------------------------------------------------------------ */

  // Byte offset in the config region of port `id`'s table entry.
  static #entry(eal: Eal, id: number): number {
    return eal.area(PORTS_AREA_NAME, PORTS_AREA_BYTES) + PA_ENTRIES + id * PA_ENTRY_BYTES;
  }

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
    if (opts === null || typeof opts !== 'object') throw new RteError('EINVAL', 'Port.open needs options with at least a pool: { pool }');
    for (const k of Object.keys(opts)) {
      if (!KNOWN_OPTIONS.has(k)) throw new RteError('EINVAL', `unknown port option ${JSON.stringify(k)}; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    }
    const pool = opts.pool;
    if (!(pool instanceof PktmbufPool)) throw new RteError('EINVAL', 'opts.pool must be a PktmbufPool (PktmbufPool.create or lookup)');
    const nbRxq = count('rxQueues', opts.rxQueues, 1, 1, MAX_QUEUES);
    const nbTxq = count('txQueues', opts.txQueues, 1, 1, MAX_QUEUES);
    const nbRxDesc = count('nbRxDesc', opts.nbRxDesc, 128, 32, 4096);
    const nbTxDesc = count('nbTxDesc', opts.nbTxDesc, 512, 32, 4096);
    const rxMode = opts.rxMode ?? 'ring';
    if (rxMode !== 'ring' && rxMode !== 'mmsg') throw new RteError('EINVAL', `rxMode is 'ring' or 'mmsg', not ${JSON.stringify(rxMode)}`);
    const scatter = opts.scatter === true;
    const vlanStrip = opts.vlanStrip !== false;
    const promisc = opts.promiscuous === true;

    const info = interfaceInfo(ifname); // ENODEV
    if (!info.ethernet) throw new RteError('EINVAL', `interface ${ifname} is not Ethernet: a port sends and receives Ethernet frames`);
    if (!info.up) throw new RteError('ENETDOWN', `interface ${ifname} is down: bring it up with \`ip link set ${ifname} up\``);
    const headroom = pool.headroom;
    const bufCap = pool.dataRoomSize - headroom;
    const maxFrame = info.mtu + ETHER_OVERHEAD;
    if (bufCap < 64) throw new RteError('EINVAL', `the mbufs of pool ${pool.mempool.name} hold ${bufCap} bytes after their headroom: too small for any frame`);
    if (!scatter && maxFrame > bufCap) {
      throw new RteError(
        'EINVAL',
        `the MTU of ${ifname} (${info.mtu}) means frames of up to ${maxFrame} bytes, and the mbufs of pool ${pool.mempool.name} hold ${bufCap}: ` +
          `create the pool with dataRoomSize >= ${maxFrame + headroom}, lower the MTU (\`ip link set ${ifname} mtu ${bufCap - ETHER_OVERHEAD}\`), ` +
          'or pass scatter: true to receive long packets as mbuf chains',
      );
    }
    const bufOffset = Port.#bufOffset(pool);
    const maxSegs = scatter ? Math.min(Math.ceil(MAX_FRAME / bufCap), nbRxDesc) : 1;

    const mzs = Memzones.of(eal);
    const areaBase = align64(P_QUEUES + (nbRxq + nbTxq) * QB_BYTES_TOTAL);
    const rxArea = align64(pktAreaSize(nbRxDesc));
    const txArea = align64(pktAreaSize(nbTxDesc));
    const size = areaBase + nbRxq * rxArea + nbTxq * txArea;
    const cfg = eal.config;
    const areaOff = eal.area(PORTS_AREA_NAME, PORTS_AREA_BYTES);
    lockAcquire(cfg.i32, areaOff + PA_LOCK, eal.pid, -1);
    let mz: Memzone;
    let id = -1;
    try {
      if (mzs.lookup(PORT_MZ_PREFIX + ifname) !== null) {
        throw new RteError('EEXIST', `this EAL already has a port on ${ifname}: use Port.lookup(eal, '${ifname}') for another handle on it`);
      }
      for (let i = 0; i < MAX_PORTS; i++) {
        if ((cfg.u32[(areaOff + PA_ENTRIES + i * PA_ENTRY_BYTES + PE_STATE) >> 2]! & 3) === PS_FREE) {
          id = i;
          break;
        }
      }
      if (id < 0) throw new RteError('ENOSPC', `this EAL has ${MAX_PORTS} ports open: close one first`);
      mz = mzs.reserve(PORT_MZ_PREFIX + ifname, size, pool.mempool.socketId, 0, 64);
      const list = eal.listOf(mz.addr)!;
      const o = mz.addr - list.baseAddr;
      list.u8.fill(0, o, o + size);
      const e = areaOff + PA_ENTRIES + id * PA_ENTRY_BYTES;
      const gen = ((cfg.u32[(e + PE_GEN) >> 2]! + 1) & 0x3fffffff) || 1;
      const u32 = list.u32;
      u32[(o + P_ID) >> 2] = id;
      u32[(o + P_GEN) >> 2] = gen;
      u32[(o + P_NB_RXQ) >> 2] = nbRxq;
      u32[(o + P_NB_TXQ) >> 2] = nbTxq;
      u32[(o + P_FLAGS) >> 2] = (scatter ? PF_SCATTER : 0) | (vlanStrip ? PF_VLAN_STRIP : 0) | (rxMode === 'mmsg' ? PF_MMSG : 0);
      u32[(o + P_NB_RX_DESC) >> 2] = nbRxDesc;
      u32[(o + P_NB_TX_DESC) >> 2] = nbTxDesc;
      u32[(o + P_BUF_OFFSET) >> 2] = bufOffset;
      u32[(o + P_BUF_CAP) >> 2] = bufCap;
      u32[(o + P_MAX_SEGS) >> 2] = maxSegs;
      u32[(o + P_MAX_FRAME) >> 2] = maxFrame;
      u32[(o + P_PROMISC) >> 2] = promisc ? 1 : 0;
      list.writeString(o + P_IFNAME, P_IFNAME_LEN, ifname);
      list.writeString(o + P_POOL, P_POOL_LEN, pool.mempool.name);
      for (let q = 0; q < nbRxq; q++) {
        const a = o + Port.#rxAreaOf(nbRxq, nbTxq, nbRxDesc, q);
        u32[(a + PKT_Q_CAPACITY) >> 2] = nbRxDesc;
        u32[(a + PKT_Q_BUF_OFFSET) >> 2] = bufOffset;
        u32[(a + PKT_Q_BUF_CAP) >> 2] = bufCap;
        u32[(a + PKT_Q_MAX_SEGS) >> 2] = maxSegs;
        u32[(a + PKT_Q_MAX_FRAME) >> 2] = maxFrame;
      }
      for (let q = 0; q < nbTxq; q++) {
        const a = o + Port.#txAreaOf(nbRxq, nbTxq, nbRxDesc, nbTxDesc, q);
        u32[(a + PKT_Q_CAPACITY) >> 2] = nbTxDesc;
      }
      u32[(o + P_MAGIC) >> 2] = PORT_MAGIC;
      cfg.f64[(e + PE_MZ) >> 3] = mz.addr;
      cfg.u32[(e + PE_GEN) >> 2] = gen;
      Atomics.store(cfg.u32, (e + PE_STATE) >> 2, PS_OPEN | (gen << 2));
    } finally {
      lockRelease(cfg.i32, areaOff + PA_LOCK);
    }
    const port = new Port({ eal, mz, opener: true });
    try {
      // The privilege check, now rather than at the first burst: a socket
      // that hears nothing, opened and closed.
      port.#probe();
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
    const mz = Memzones.of(eal).lookup(PORT_MZ_PREFIX + ifname);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined || list.u32[(mz.addr - list.baseAddr + P_MAGIC) >> 2] !== PORT_MAGIC) return null;
    const port = new Port({ eal, mz, opener: false });
    return port.#isOpen() ? port : null;
  }

  // Offset from the start of a data buffer's mbuf to its first data byte;
  // the same for every mbuf of a pool of direct mbufs.
  static #bufOffset(pool: PktmbufPool): number {
    const m = pool.alloc();
    if (m === 0) throw new RteError('ENOBUFS', `pool ${pool.mempool.name} is empty: a port needs mbufs to receive into`);
    try {
      const l = pool.mempool.eal.listOf(m)!;
      const o = m - l.baseAddr;
      const bufAddr = l.f64[(o + M_BUF_ADDR) >> 3]!;
      const off = MBUF_HEADER_SIZE + pool.privSize;
      if (bufAddr !== m + off) {
        throw new RteError('EINVAL', `the mbufs of pool ${pool.mempool.name} keep their data elsewhere (external buffers): a port receives into pools of direct mbufs`);
      }
      return off + pool.headroom;
    } finally {
      Mbuf.of(pool.mempool.eal).free(m);
    }
  }

  static #rxAreaOf(nbRxq: number, nbTxq: number, nbRxDesc: number, q: number): number {
    return align64(P_QUEUES + (nbRxq + nbTxq) * QB_BYTES_TOTAL) + q * align64(pktAreaSize(nbRxDesc));
  }

  static #txAreaOf(nbRxq: number, nbTxq: number, nbRxDesc: number, nbTxDesc: number, q: number): number {
    return Port.#rxAreaOf(nbRxq, nbTxq, nbRxDesc, nbRxq) + q * align64(pktAreaSize(nbTxDesc));
  }

  #u32(off: number): number {
    return this.#list.u32[(this.#o + off) >> 2]!;
  }

  #isOpen(): boolean {
    return this.#cfg[this.#stateW] === this.#openWord;
  }

  // True while the memzone is still this port's (open, or closing and
  // waiting for queues to be let go); false once the closer freed it.
  #memzoneAlive(): boolean {
    const w = this.#cfg[this.#stateW]!;
    return w >>> 2 === this.#gen && (w & 3) !== PS_FREE;
  }

  #key(kind: 'rx' | 'tx', q: number): string {
    return `${this.#eal.filePrefix}/port${this.id}.${this.#gen}/${kind}${q}`;
  }

  #probe(): void {
    const nbRxDesc = this.#u32(P_NB_RX_DESC);
    const area = this.#o + Port.#txAreaOf(this.nbRxQueues, this.nbTxQueues, nbRxDesc, this.#u32(P_NB_TX_DESC), 0);
    const key = `${this.#key('tx', 0)}/probe`;
    const pq = PacketQueue.open(this.#eal, { key, ifname: this.ifname, kind: 'tx', capacity: 1, area: { buffer: this.#list.sab, byteOffset: area } });
    pq.close();
  }

  #lock(): void {
    lockAcquire(this.#list.i32, this.#o + P_LOCK, this.#eal.pid, -1);
  }

  #unlock(): void {
    lockRelease(this.#list.i32, this.#o + P_LOCK);
  }

  // Claims queue block `b` for this process (the caller holds the lock).
  #claim(b: number, what: string): void {
    const i32 = this.#list.i32;
    const f64 = this.#list.f64;
    const at = this.#o + b;
    const owner = i32[(at + QB_OWNER) >> 2]!;
    if (owner !== 0 && owner !== process.pid && processAlive(owner, f64[(at + QB_OWNER_START) >> 3]!)) {
      throw new RteError('EBUSY', `${what} of port ${this.ifname} is served by process ${owner}: one process (one lcore) per queue; stop it there first`);
    }
    i32[(at + QB_OWNER) >> 2] = process.pid;
    f64[(at + QB_OWNER_START) >> 3] = selfStart;
  }

  #unclaim(b: number): void {
    const at = this.#o + b;
    if (this.#list.i32[(at + QB_OWNER) >> 2] === process.pid) this.#list.i32[(at + QB_OWNER) >> 2] = 0;
  }

  #checkUsable(kind: 'rx' | 'tx', q: number): void {
    if (this.#closed) throw new RteError('EINVAL', `this handle on port ${this.ifname} was closed`);
    if (!this.#isOpen()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
    const nb = kind === 'rx' ? this.nbRxQueues : this.nbTxQueues;
    if (!Number.isInteger(q) || q < 0 || q >= nb) {
      throw new RteError('EINVAL', `port ${this.ifname} has ${nb} ${kind.toUpperCase()} queues (0..${nb - 1}), no queue ${String(q)}`);
    }
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
    this.#checkUsable('rx', q);
    if (this.#rx[q] !== undefined) return;
    const nbRxDesc = this.#u32(P_NB_RX_DESC);
    const flags = this.#u32(P_FLAGS);
    const area = this.#o + Port.#rxAreaOf(this.nbRxQueues, this.nbTxQueues, nbRxDesc, q);
    this.#lock();
    try {
      this.#claim(rxBlock(q), `RX queue ${q}`);
      let pq: PacketQueue;
      try {
        pq = this.#openRx(q, area, nbRxDesc, flags);
      } catch (e) {
        this.#unclaim(rxBlock(q));
        throw e;
      }
      this.#rx[q] = new RxQueue({
        eal: this.#eal,
        pool: this.pool,
        pq,
        list: this.#list,
        area,
        block: this.#o + rxBlock(q),
        capacity: nbRxDesc,
        bufCap: this.#u32(P_BUF_CAP),
        portId: this.id,
        vlanStrip: (flags & PF_VLAN_STRIP) !== 0,
      });
      this.#promiscSeen[q] = this.#u32(P_PROMISC_GEN);
    } finally {
      this.#unlock();
    }
  }

  // The caller holds the lock.
  #openRx(q: number, area: number, nbRxDesc: number, flags: number): PacketQueue {
    const base = {
      key: this.#key('rx', q),
      ifname: this.ifname,
      kind: 'rx' as const,
      mode: (flags & PF_MMSG) !== 0 ? ('mmsg' as const) : ('ring' as const),
      capacity: nbRxDesc,
      area: { buffer: this.#list.sab, byteOffset: area },
      promisc: this.#u32(P_PROMISC) === 1,
      // A block holds the longest frame the queue takes (64 KiB GRO frames
      // with scatter). The kernel hands a block over when it is full or 1 ms
      // old, so at low rates a block holds a packet or two: many blocks let
      // an lcore be descheduled for tens of ms without a drop.
      ring: (flags & PF_SCATTER) !== 0 ? { blockSize: 1 << 17, blockNr: 32, frameSize: 2048, tovMs: 1 } : { blockSize: 1 << 15, blockNr: 64, frameSize: 2048, tovMs: 1 },
    };
    if (this.nbRxQueues === 1) return PacketQueue.open(this.#eal, base);
    const u32 = this.#list.u32;
    const idW = (this.#o + P_FANOUT_ID) >> 2;
    const id = u32[idW]!;
    if (id !== 0) {
      try {
        return PacketQueue.open(this.#eal, { ...base, fanoutId: id });
      } catch (e) {
        // The group died with its last socket and its id now names
        // someone else's: start a new one.
        if ((e as RteError).code !== 'EINVAL') throw e;
      }
    }
    const pq = PacketQueue.open(this.#eal, { ...base, fanoutId: 0 });
    u32[idW] = pq.fanoutId();
    return pq;
  }

  /**
   * Makes TX queue `q` ready in this process (see rxQueueStart).
   *
   * @see rte_eth_dev_tx_queue_start
   */
  txQueueStart(q: number): void {
    this.#checkUsable('tx', q);
    if (this.#tx[q] !== undefined) return;
    const nbTxDesc = this.#u32(P_NB_TX_DESC);
    const area = this.#o + Port.#txAreaOf(this.nbRxQueues, this.nbTxQueues, this.#u32(P_NB_RX_DESC), nbTxDesc, q);
    this.#lock();
    try {
      this.#claim(txBlock(this.nbRxQueues, q), `TX queue ${q}`);
      let pq: PacketQueue;
      try {
        pq = PacketQueue.open(this.#eal, { key: this.#key('tx', q), ifname: this.ifname, kind: 'tx', capacity: nbTxDesc, area: { buffer: this.#list.sab, byteOffset: area } });
      } catch (e) {
        this.#unclaim(txBlock(this.nbRxQueues, q));
        throw e;
      }
      this.#tx[q] = new TxQueue({ eal: this.#eal, mb: this.#mb, pq, list: this.#list, area, block: this.#o + txBlock(this.nbRxQueues, q), capacity: nbTxDesc });
    } finally {
      this.#unlock();
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
    if (this.#memzoneAlive()) rq.foldDrops();
    this.#release(rq.pq, rxBlock(q));
  }

  /** Stops TX queue `q` in this thread (see rxQueueStop). @see rte_eth_dev_tx_queue_stop */
  txQueueStop(q: number): void {
    const tq = this.#tx[q];
    if (tq === undefined) return;
    this.#tx[q] = undefined;
    this.#release(tq.pq, txBlock(this.nbRxQueues, q));
  }

  #release(pq: PacketQueue, block: number): void {
    // Other threads of this process still use the socket; or the port is
    // gone with its memzone (nothing there to update).
    if (pq.close() !== 0 || !this.#memzoneAlive()) return;
    this.#lock();
    try {
      this.#unclaim(block);
    } finally {
      this.#unlock();
    }
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
    if (!this.#isOpen()) {
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
    if (!this.#isOpen()) {
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
    return !this.#closed && this.#isOpen();
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
    this.#checkUsable('rx', 0);
    this.#lock();
    try {
      const u32 = this.#list.u32;
      u32[(this.#o + P_PROMISC) >> 2] = on ? 1 : 0;
      u32[(this.#o + P_PROMISC_GEN) >> 2] = (u32[(this.#o + P_PROMISC_GEN) >> 2]! + 1) >>> 0;
    } finally {
      this.#unlock();
    }
    this.#rx.forEach((q, i) => {
      if (q !== undefined) this.#applyPromisc(i, q);
    });
  }

  /** Whether the port asks for promiscuous mode. @see rte_eth_promiscuous_get */
  promiscuousGet(): boolean {
    if (!this.#memzoneAlive()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
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
    if (!this.#memzoneAlive()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
    for (const q of this.#rx) q?.foldDrops();
    const f64 = this.#list.f64;
    const at = (b: number, f: number) => f64[(this.#o + b + f) >> 3]!;
    const s: PortStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0, rxNombuf: 0, queues: [] };
    for (let q = 0; q < Math.max(this.nbRxQueues, this.nbTxQueues); q++) {
      const qs: PortQueueStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, errors: 0 };
      if (q < this.nbRxQueues) {
        const b = rxBlock(q);
        qs.ipackets = at(b, QB_PACKETS);
        qs.ibytes = at(b, QB_BYTES);
        qs.errors = at(b, QB_ERRORS);
        s.imissed += at(b, QB_MISSED);
        s.rxNombuf += at(b, QB_NOMBUF);
      }
      if (q < this.nbTxQueues) {
        const b = txBlock(this.nbRxQueues, q);
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

  /** Zeroes every counter. @see rte_eth_stats_reset */
  statsReset(): void {
    if (!this.#memzoneAlive()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
    for (const q of this.#rx) q?.foldDrops();
    const f64 = this.#list.f64;
    const blocks = [...Array.from({ length: this.nbRxQueues }, (_, q) => rxBlock(q)), ...Array.from({ length: this.nbTxQueues }, (_, q) => txBlock(this.nbRxQueues, q))];
    for (const b of blocks) for (const f of [QB_PACKETS, QB_BYTES, QB_ERRORS, QB_MISSED, QB_NOMBUF]) f64[(this.#o + b + f) >> 3] = 0;
  }

  /** Mbufs posted to RX queues now, waiting for packets (they count as in use in the pool). */
  postedMbufs(): number {
    if (!this.#memzoneAlive()) return 0;
    let n = 0;
    const nbRxDesc = this.#u32(P_NB_RX_DESC);
    for (let q = 0; q < this.nbRxQueues; q++) n += this.#u32(Port.#rxAreaOf(this.nbRxQueues, this.nbTxQueues, nbRxDesc, q) + PKT_Q_POSTED);
    return n;
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
    if (this.#closed) return;
    if (!this.#opener) {
      this.#stopAll();
      this.#closed = true;
      return;
    }
    const eal = this.#eal;
    const cfg = eal.config;
    const areaOff = eal.area(PORTS_AREA_NAME, PORTS_AREA_BYTES);
    const e = areaOff + PA_ENTRIES + this.id * PA_ENTRY_BYTES;
    if (this.#isOpen()) Atomics.store(cfg.u32, (e + PE_STATE) >> 2, PS_CLOSING | (this.#gen << 2));
    this.#stopAll();
    // Every queue let go: by the other threads of this process (their
    // sockets), and by other processes (their ownership), each at its next
    // burst, which sees the port closing.
    const blocks = [...Array.from({ length: this.nbRxQueues }, (_, q) => rxBlock(q)), ...Array.from({ length: this.nbTxQueues }, (_, q) => txBlock(this.nbRxQueues, q))];
    const keys = [...Array.from({ length: this.nbRxQueues }, (_, q) => this.#key('rx', q)), ...Array.from({ length: this.nbTxQueues }, (_, q) => this.#key('tx', q))];
    const deadline = performance.now() + RELEASE_WAIT_MS;
    for (;;) {
      const here = keys.findIndex((k) => PacketQueue.refs(k) > 0);
      const elsewhere = blocks.find((b) => {
        const pid = this.#list.i32[(this.#o + b + QB_OWNER) >> 2]!;
        return pid !== 0 && pid !== process.pid && processAlive(pid, this.#list.f64[(this.#o + b + QB_OWNER_START) >> 3]!);
      });
      if (here < 0 && elsewhere === undefined) break;
      if (performance.now() > deadline) {
        const who = here >= 0 ? `another thread of this process still serves ${keys[here]!.split('/').pop()}` : `process ${this.#list.i32[(this.#o + elsewhere! + QB_OWNER) >> 2]} still serves a queue`;
        throw new RteError('EBUSY', `port ${this.ifname}: ${who} (it lets go at its next burst, or when its handle closes): stop its lcores, then call close() again`);
      }
      Atomics.wait(sleepCell, 0, 0, 1);
    }
    this.#lock();
    try {
      for (const b of blocks) this.#unclaim(b);
    } finally {
      this.#unlock();
    }
    // Posted mbufs back to the pool.
    const nbRxDesc = this.#u32(P_NB_RX_DESC);
    const f64 = this.#list.f64;
    for (let q = 0; q < this.nbRxQueues; q++) {
      const a = this.#o + Port.#rxAreaOf(this.nbRxQueues, this.nbTxQueues, nbRxDesc, q);
      const posted = this.#list.u32[(a + PKT_Q_POSTED) >> 2]!;
      if (posted === 0) continue;
      const first = (a + pktAreaOffsets(nbRxDesc).posted) >> 3;
      this.#mb.freeBulk(f64.slice(first, first + posted), posted);
      this.#list.u32[(a + PKT_Q_POSTED) >> 2] = 0;
    }
    this.#closed = true;
    this.#list.u32[(this.#o + P_MAGIC) >> 2] = 0;
    lockAcquire(cfg.i32, areaOff + PA_LOCK, eal.pid, -1);
    try {
      Memzones.of(eal).free(this.#mz);
      Atomics.store(cfg.u32, (e + PE_STATE) >> 2, PS_FREE | (this.#gen << 2));
    } finally {
      lockRelease(cfg.i32, areaOff + PA_LOCK);
    }
  }
}
