/**
 * One thread's view of a port: where its memzone is mapped in this thread,
 * what a handle reads once (id, generation, queue counts, interface, pool),
 * the state word of its port-table entry, and the helpers every part of a
 * handle shares: a settings word, whether the port is still open (or its
 * memzone still its own), a queue's socket key, the memzone's lock. A Port
 * (port.ts) holds one; queues.ts, owner.ts, stats.ts and close.ts work on it.
 *
 * @see struct rte_eth_dev_data in DPDK lib/ethdev/ethdev_driver.h, and
 * rte_eth_dev_is_valid_port in lib/ethdev/rte_ethdev.c
 */
import { type Eal, lockAcquire, lockRelease, Mbuf, type Memzone, type MemsegListMap, PktmbufPool, RteError } from '@rtemem/mbuf';
import { P_GEN, P_ID, P_IFNAME, P_IFNAME_LEN, P_LOCK, P_NB_RXQ, P_NB_TXQ, P_POOL, P_POOL_LEN, PE_STATE, PS_FREE, PS_OPEN } from './layout.js';
import { portEntry } from './table.js';

/** What a handle is made from. */
export interface PortParts {
  eal: Eal;
  mz: Memzone;
  /** The handle Port.open returned (its close closes the port). */
  opener: boolean;
}

export class PortCore {
  readonly eal: Eal;
  readonly mz: Memzone;
  readonly list: MemsegListMap;
  /** The memzone's offset in `list`. */
  readonly o: number;
  readonly id: number;
  /** The generation of the open this handle is on. */
  readonly gen: number;
  readonly nbRxQueues: number;
  readonly nbTxQueues: number;
  readonly ifname: string;
  readonly pool: PktmbufPool;
  /** The config region, for the port table. */
  readonly cfg: Uint32Array;
  /** Index in `cfg` of the port's state word. */
  readonly stateW: number;
  /** The state word while this open of the port is open. */
  readonly openWord: number;
  readonly opener: boolean;
  readonly mb: Mbuf;
  /** This handle was closed. */
  closed = false;

  constructor(p: PortParts) {
    this.eal = p.eal;
    this.mz = p.mz;
    const list = p.eal.listOf(p.mz.addr);
    if (list === undefined) throw new RteError('EINVAL', `the memory of port memzone ${p.mz.name} is not mapped in this thread`);
    this.list = list;
    this.o = p.mz.addr - list.baseAddr;
    const u32 = list.u32;
    const o = this.o;
    this.id = u32[(o + P_ID) >> 2]!;
    this.gen = u32[(o + P_GEN) >> 2]!;
    this.nbRxQueues = u32[(o + P_NB_RXQ) >> 2]!;
    this.nbTxQueues = u32[(o + P_NB_TXQ) >> 2]!;
    this.ifname = list.readString(o + P_IFNAME, P_IFNAME_LEN);
    const poolName = list.readString(o + P_POOL, P_POOL_LEN);
    const pool = PktmbufPool.lookup(p.eal, poolName);
    if (pool === null) throw new RteError('ENOENT', `port ${this.ifname} receives into pool ${poolName}, which does not exist (any more)`);
    this.pool = pool;
    this.cfg = p.eal.config.u32;
    this.stateW = (portEntry(p.eal, this.id) + PE_STATE) >> 2;
    this.openWord = PS_OPEN | (this.gen << 2);
    this.opener = p.opener;
    this.mb = Mbuf.of(p.eal);
  }

  /** The u32 at byte `off` of the memzone. */
  word(off: number): number {
    return this.list.u32[(this.o + off) >> 2]!;
  }

  isOpen(): boolean {
    return this.cfg[this.stateW] === this.openWord;
  }

  /**
   * True while the memzone is still this port's (open, or closing and
   * waiting for queues to be let go); false once the closer freed it.
   */
  memzoneAlive(): boolean {
    const w = this.cfg[this.stateW]!;
    return w >>> 2 === this.gen && (w & 3) !== PS_FREE;
  }

  /** The EAL-wide name of a queue's socket (PacketQueue key). */
  key(kind: 'rx' | 'tx', q: number): string {
    return `${this.eal.filePrefix}/port${this.id}.${this.gen}/${kind}${q}`;
  }

  /** Takes the memzone's lock: queue owners, fanout group, promiscuous mode. */
  lock(): void {
    lockAcquire(this.list.i32, this.o + P_LOCK, this.eal.pid, -1);
  }

  unlock(): void {
    lockRelease(this.list.i32, this.o + P_LOCK);
  }

  /** Throws EINVAL when this handle or the port is closed, or `q` is no queue of that kind. */
  checkUsable(kind: 'rx' | 'tx', q: number): void {
    if (this.closed) throw new RteError('EINVAL', `this handle on port ${this.ifname} was closed`);
    if (!this.isOpen()) throw new RteError('EINVAL', `port ${this.ifname} was closed`);
    const nb = kind === 'rx' ? this.nbRxQueues : this.nbTxQueues;
    if (!Number.isInteger(q) || q < 0 || q >= nb) {
      throw new RteError('EINVAL', `port ${this.ifname} has ${nb} ${kind.toUpperCase()} queues (0..${nb - 1}), no queue ${String(q)}`);
    }
  }
}
