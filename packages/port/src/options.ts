/**
 * What Port.open checks before it touches shared memory: the options (as
 * rte_eth_dev_configure and the queue setup calls check theirs), the
 * interface (Ethernet, up, an MTU the pool's mbufs can hold) and the pool
 * (direct mbufs with room for a frame), giving the settings a port's
 * memzone records (table.ts writes them).
 *
 * @see rte_eth_dev_configure, rte_eth_rx_queue_setup in DPDK lib/ethdev/rte_ethdev.c;
 * eth_rx_queue_setup, eth_dev_mtu_set in drivers/net/af_packet/rte_eth_af_packet.c
 */
import { interfaceInfo, Mbuf, MBUF_HEADER_SIZE, PktmbufPool, RteError } from '@rtemem/mbuf';
import { M_BUF_ADDR } from './layout.js';
import type { Port } from './port.js';

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

/** What a port's memzone records of its options, interface and pool. */
export interface PortSettings {
  pool: PktmbufPool;
  nbRxq: number;
  nbTxq: number;
  nbRxDesc: number;
  nbTxDesc: number;
  rxMode: 'ring' | 'mmsg';
  scatter: boolean;
  vlanStrip: boolean;
  promisc: boolean;
  /** From an mbuf's start to its first data byte (the same for every mbuf of the pool). */
  bufOffset: number;
  /** Bytes each mbuf holds after its headroom. */
  bufCap: number;
  /** Mbufs one received packet may take (1 without scatter). */
  maxSegs: number;
  /** The longest frame the interface's MTU allows. */
  maxFrame: number;
}

const KNOWN_OPTIONS = new Set(['pool', 'rxQueues', 'txQueues', 'promiscuous', 'scatter', 'vlanStrip', 'nbRxDesc', 'nbTxDesc', 'rxMode']);
/** Queues of each kind per port. */
export const MAX_QUEUES = 64;
const ETHER_OVERHEAD = 18; // Ethernet header and one VLAN tag
const MAX_FRAME = 65535 + ETHER_OVERHEAD; // a GRO super-frame

function count(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RteError('EINVAL', `${name} must be a whole number from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

/**
 * Checks Port.open's options, the interface `ifname` and the pool, in
 * that order; returns the port's settings. Throws EINVAL (bad options, not
 * Ethernet, MTU too large without scatter, mbufs too small or external),
 * ENODEV (no such interface), ENETDOWN (down), ENOBUFS (empty pool).
 */
export function checkOpen(ifname: string, opts: PortOptions): PortSettings {
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
  const bufOffset = bufOffsetOf(pool);
  const maxSegs = scatter ? Math.min(Math.ceil(MAX_FRAME / bufCap), nbRxDesc) : 1;
  return { pool, nbRxq, nbTxq, nbRxDesc, nbTxDesc, rxMode, scatter, vlanStrip, promisc, bufOffset, bufCap, maxSegs, maxFrame };
}

// Offset from the start of a data buffer's mbuf to its first data byte;
// the same for every mbuf of a pool of direct mbufs.
function bufOffsetOf(pool: PktmbufPool): number {
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
