/**
 * The EAL's port table and a port's memzone: taking a free port id and
 * writing the memzone when a port opens (its settings and each queue's
 * descriptor area), finding it again by interface name, and the table
 * entry's state word through closing (open, closing, free) until the
 * memzone is freed. The table is a config area that is never freed, so a
 * handle can always tell whether its port is still the one it opened.
 *
 * @see rte_eth_dev_allocate, rte_eth_dev_release_port, rte_eth_dev_get_port_by_name
 * in DPDK lib/ethdev/rte_ethdev.c; rte_pmd_init_internals in drivers/net/af_packet/rte_eth_af_packet.c
 */
import {
  type Eal,
  lockAcquire,
  lockRelease,
  type Memzone,
  Memzones,
  PKT_Q_BUF_CAP,
  PKT_Q_BUF_OFFSET,
  PKT_Q_CAPACITY,
  PKT_Q_MAX_FRAME,
  PKT_Q_MAX_SEGS,
  pktAreaSize,
  RteError,
} from '@rtemem/mbuf';
import type { PortCore } from './core.js';
import {
  align64,
  MAX_PORTS,
  P_BUF_CAP,
  P_BUF_OFFSET,
  P_FLAGS,
  P_GEN,
  P_ID,
  P_IFNAME,
  P_IFNAME_LEN,
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
  QB_BYTES_TOTAL,
  rxAreaOf,
  txAreaOf,
} from './layout.js';
import type { PortSettings } from './options.js';

/** Byte offset in the config region of port `id`'s table entry. */
export function portEntry(eal: Eal, id: number): number {
  return eal.area(PORTS_AREA_NAME, PORTS_AREA_BYTES) + PA_ENTRIES + id * PA_ENTRY_BYTES;
}

/**
 * Takes a free port id for `ifname` and reserves and writes its memzone,
 * all under the table's lock; the port is open when it returns. Throws
 * EEXIST (the EAL has a port on `ifname`), ENOSPC (MAX_PORTS ports), and
 * the memzone's errors.
 */
export function reservePort(eal: Eal, ifname: string, s: PortSettings): Memzone {
  const { pool, nbRxq, nbTxq, nbRxDesc, nbTxDesc, bufOffset, bufCap, maxSegs, maxFrame } = s;
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
    u32[(o + P_FLAGS) >> 2] = (s.scatter ? PF_SCATTER : 0) | (s.vlanStrip ? PF_VLAN_STRIP : 0) | (s.rxMode === 'mmsg' ? PF_MMSG : 0);
    u32[(o + P_NB_RX_DESC) >> 2] = nbRxDesc;
    u32[(o + P_NB_TX_DESC) >> 2] = nbTxDesc;
    u32[(o + P_BUF_OFFSET) >> 2] = bufOffset;
    u32[(o + P_BUF_CAP) >> 2] = bufCap;
    u32[(o + P_MAX_SEGS) >> 2] = maxSegs;
    u32[(o + P_MAX_FRAME) >> 2] = maxFrame;
    u32[(o + P_PROMISC) >> 2] = s.promisc ? 1 : 0;
    list.writeString(o + P_IFNAME, P_IFNAME_LEN, ifname);
    list.writeString(o + P_POOL, P_POOL_LEN, pool.mempool.name);
    for (let q = 0; q < nbRxq; q++) {
      const a = o + rxAreaOf(nbRxq, nbTxq, nbRxDesc, q);
      u32[(a + PKT_Q_CAPACITY) >> 2] = nbRxDesc;
      u32[(a + PKT_Q_BUF_OFFSET) >> 2] = bufOffset;
      u32[(a + PKT_Q_BUF_CAP) >> 2] = bufCap;
      u32[(a + PKT_Q_MAX_SEGS) >> 2] = maxSegs;
      u32[(a + PKT_Q_MAX_FRAME) >> 2] = maxFrame;
    }
    for (let q = 0; q < nbTxq; q++) {
      const a = o + txAreaOf(nbRxq, nbTxq, nbRxDesc, nbTxDesc, q);
      u32[(a + PKT_Q_CAPACITY) >> 2] = nbTxDesc;
    }
    u32[(o + P_MAGIC) >> 2] = PORT_MAGIC;
    cfg.f64[(e + PE_MZ) >> 3] = mz.addr;
    cfg.u32[(e + PE_GEN) >> 2] = gen;
    Atomics.store(cfg.u32, (e + PE_STATE) >> 2, PS_OPEN | (gen << 2));
  } finally {
    lockRelease(cfg.i32, areaOff + PA_LOCK);
  }
  return mz;
}

/** The memzone of the port on `ifname`, or null when there is none (or it is not a whole port). */
export function findPort(eal: Eal, ifname: string): Memzone | null {
  const mz = Memzones.of(eal).lookup(PORT_MZ_PREFIX + ifname);
  if (mz === null) return null;
  const list = eal.listOf(mz.addr);
  if (list === undefined || list.u32[(mz.addr - list.baseAddr + P_MAGIC) >> 2] !== PORT_MAGIC) return null;
  return mz;
}

/** Marks the port closing, if it is still open: every handle's next burst sees it and lets go. */
export function markClosing(c: PortCore): void {
  if (c.isOpen()) Atomics.store(c.cfg, c.stateW, PS_CLOSING | (c.gen << 2));
}

/** Frees the port's memzone and its id, under the table's lock; the closer does it last. */
export function freePort(c: PortCore): void {
  const eal = c.eal;
  const cfg = eal.config;
  const areaOff = eal.area(PORTS_AREA_NAME, PORTS_AREA_BYTES);
  c.list.u32[(c.o + P_MAGIC) >> 2] = 0;
  lockAcquire(cfg.i32, areaOff + PA_LOCK, eal.pid, -1);
  try {
    Memzones.of(eal).free(c.mz);
    Atomics.store(cfg.u32, c.stateW, PS_FREE | (c.gen << 2));
  } finally {
    lockRelease(cfg.i32, areaOff + PA_LOCK);
  }
}
