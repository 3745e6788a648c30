/**
 * Packet sockets (AF_PACKET) that receive into and send from the EAL's
 * shared memory: the small, generic service of the native addon that
 * @rtemem/port builds DPDK's net_af_packet PMD on. It knows buffers, not
 * mbufs: the layer above posts buffer addresses and reads completions, as a
 * driver does with a NIC's descriptor rings.
 *
 * A queue is one socket of this process and a descriptor area in shared
 * memory (any SharedArrayBuffer the caller owns, usually a memzone):
 *
 * ```
 * area (PKT_Q_HEADER + capacity * 32 bytes, 8-byte aligned)
 *   0  u32 posted     RX: buffers on the posted stack (the service pops from the top)
 *   4  u32 capacity   entries of each array below (fixed at open)
 *   8  u32 bufOffset  bytes from a posted address to its buffer's first byte
 *   12 u32 bufCap     bytes each buffer holds
 *   16 u32 maxSegs    RX: buffers one packet may take (1: longer ones are dropped)
 *   20 u32 maxFrame   RX with 'mmsg': the longest frame expected (buffers per message)
 *   24 u32 errors     set by each call: packets dropped as bad in it
 *   28 u32 used       RX: entries the last call wrote to USED
 *   64                POSTED   capacity x f64: RX buffer addresses (a stack)
 *   64 + 8 cap        USED     capacity x f64: RX buffers filled, in packet order
 *   64 + 16 cap       ENTRIES  capacity x 16 B:
 *                       RX completion: u32 len, u32 segs, u16 vlanTci, u16 vlanTpid, u32 status
 *                       TX descriptor: f64 address, u32 len, u32 flags (PKT_TX_EOP ends a packet;
 *                       a call sets PKT_TX_ERR on the last one of a packet it dropped)
 * ```
 * Addresses are rtemem addresses; the queue maps every memseg list of the
 * EAL it was opened with and keeps those mappings alive until it closes.
 * Sockets belong to a process: every thread of the process shares a queue
 * opened under one key, and another process opens its own.
 *
 * @see drivers/net/af_packet/rte_eth_af_packet.c in DPDK
 */
import { MAX_LISTS } from './layout.js';
import type { Eal } from './eal.js';
import { fromErrno, RteError } from './errors.js';
import { native } from './native.js';

export const PKT_Q_POSTED = 0;
export const PKT_Q_CAPACITY = 4;
export const PKT_Q_BUF_OFFSET = 8;
export const PKT_Q_BUF_CAP = 12;
export const PKT_Q_MAX_SEGS = 16;
export const PKT_Q_MAX_FRAME = 20;
export const PKT_Q_ERRORS = 24;
export const PKT_Q_USED = 28;
/** Bytes of the area's header; POSTED starts here. */
export const PKT_Q_HEADER = 64;
/** Bytes of one completion or descriptor. */
export const PKT_ENTRY_BYTES = 16;

/** RX completion status: a VLAN tag was stripped (vlanTci, vlanTpid hold it). @see TP_STATUS_VLAN_VALID */
export const PKT_ST_VLAN = 1;
/** RX completion status: sent by this host with its L4 checksum left to the device. @see TP_STATUS_CSUMNOTREADY */
export const PKT_ST_CSUM_NOT_READY = 2;
/** RX completion status: the device checked the L4 checksum. @see TP_STATUS_CSUM_VALID */
export const PKT_ST_CSUM_VALID = 4;
/** TX descriptor flag: the last buffer of a packet. */
export const PKT_TX_EOP = 1;
/** TX descriptor flag, set by a call on the last descriptor of a packet it dropped (bad address, refused by the link). */
export const PKT_TX_ERR = 2;

/** Bytes of the descriptor area of a queue of `capacity` entries. */
export function pktAreaSize(capacity: number): number {
  return PKT_Q_HEADER + capacity * (16 + PKT_ENTRY_BYTES);
}

/** Byte offset in the area of POSTED, USED and ENTRIES. */
export function pktAreaOffsets(capacity: number): { posted: number; used: number; entries: number } {
  return { posted: PKT_Q_HEADER, used: PKT_Q_HEADER + 8 * capacity, entries: PKT_Q_HEADER + 16 * capacity };
}

/* Interface flags (net/if.h). */
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_PROMISC = 0x100;
const ARPHRD_ETHER = 1;

/** An interface as the kernel reports it. @see SIOCGIFINDEX, SIOCGIFMTU, SIOCGIFFLAGS, SIOCGIFHWADDR */
export interface InterfaceInfo {
  ifname: string;
  ifindex: number;
  mtu: number;
  /** IFF_* flags. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Up with a carrier (IFF_RUNNING): a veth whose peer is down is up but not running. */
  running: boolean;
  promiscuous: boolean;
  /** Ethernet (ARPHRD_ETHER): the only link type a port takes. */
  ethernet: boolean;
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
}

interface PacketAddon {
  packetIfInfo(ifname: string): { ifindex: number; mtu: number; flags: number; mac: Uint8Array; hwType: number } | number;
  packetOpen(key: string, ifname: string, opts: Record<string, number>, area: SharedArrayBuffer, areaOffset: number, lists: (SharedArrayBuffer | undefined)[]): number;
  packetClose(handle: number): number;
  packetCloseKey(key: string): number;
  packetRefs(key: string): number;
  packetRx(handle: number, max: number): number;
  packetTx(handle: number, descriptors: number): number;
  packetDrops(handle: number): number;
  packetPromisc(handle: number, on: boolean): number;
  packetFanoutId(handle: number): number;
  packetSetList(handle: number, index: number, sab: SharedArrayBuffer): number;
}

function addon(what: string): PacketAddon {
  const n = native() as unknown as Partial<PacketAddon> | null;
  if (n === null) throw new RteError('ENOTSUP', `${what} needs the native addon, which did not load`);
  if (typeof n.packetOpen !== 'function') {
    throw new RteError('ENOTSUP', `${what}: the loaded native addon predates packet sockets; rebuild it with \`pnpm --filter @rtemem/eal-hugepage build:native\``);
  }
  return n as PacketAddon;
}

function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

function checkIfname(ifname: unknown): string {
  if (typeof ifname !== 'string' || ifname === '' || Buffer.byteLength(ifname) > 15 || /[\s/]/.test(ifname)) {
    throw new RteError('EINVAL', `an interface name is 1 to 15 bytes without spaces or slashes, not ${JSON.stringify(ifname)}`);
  }
  return ifname;
}

/**
 * Index, MTU, flags and MAC address of interface `ifname` in this process's
 * network namespace. Needs no privilege. Throws ENODEV when there is no
 * such interface.
 *
 * @example
 * ```ts
 * import { interfaceInfo } from '@rtemem/eal-hugepage';
 * interfaceInfo('lo').mtu; // 65536
 * ```
 * @see rte_eth_dev_info_get, rte_eth_macaddr_get, rte_eth_dev_get_mtu
 */
export function interfaceInfo(ifname: string): InterfaceInfo {
  checkIfname(ifname);
  const r = addon('interfaceInfo').packetIfInfo(ifname);
  if (typeof r === 'number') {
    if (r === -19) throw new RteError('ENODEV', `no interface "${ifname}" in this network namespace (\`ip link show\` lists them)`);
    throw fromErrno(r, `cannot query interface "${ifname}"`);
  }
  return {
    ifname,
    ifindex: r.ifindex,
    mtu: r.mtu,
    flags: r.flags,
    up: (r.flags & IFF_UP) !== 0,
    running: (r.flags & IFF_RUNNING) !== 0,
    promiscuous: (r.flags & IFF_PROMISC) !== 0,
    ethernet: r.hwType === ARPHRD_ETHER,
    mac: formatMac(r.mac),
  };
}

/** Options of {@link PacketQueue.open}. */
export interface PacketQueueOptions {
  /** Names the queue in this process: a second open of the same key shares the socket. */
  key: string;
  ifname: string;
  kind: 'rx' | 'tx';
  /** RX path: a TPACKET_V3 ring copied into the buffers ('ring', the default) or recvmmsg into them ('mmsg'). */
  mode?: 'ring' | 'mmsg';
  /** Entries of the area's arrays. */
  capacity: number;
  /** Where the descriptor area is: pktAreaSize(capacity) bytes at byteOffset (8-aligned). */
  area: { buffer: SharedArrayBuffer; byteOffset: number };
  /** RX: join PACKET_FANOUT group `fanoutId` (0: a new group with a unique id; see fanoutId()). */
  fanoutId?: number;
  /** RX: PACKET_MR_PROMISC membership (the interface is promiscuous while any socket holds one). */
  promisc?: boolean;
  /** RX ring geometry: bytes per block, blocks, nominal frame size, block timeout in ms. */
  ring?: { blockSize?: number; blockNr?: number; frameSize?: number; tovMs?: number };
}

const PACKET_FANOUT_HASH = 0;

/**
 * One packet socket of this process with its descriptor area. `rx` and `tx`
 * are the hot path: one native call each, no JS objects.
 *
 * @see eth_af_packet_rx, eth_af_packet_tx in DPDK
 */
export class PacketQueue {
  /** The native handle (a slot in this process's queue table). */
  readonly handle: number;
  readonly key: string;
  readonly kind: 'rx' | 'tx';
  readonly mode: 'ring' | 'mmsg';
  readonly #n: PacketAddon;
  #open = true;
  readonly #mapped = new Uint8Array(MAX_LISTS + 1);

  private constructor(n: PacketAddon, handle: number, o: PacketQueueOptions, mode: 'ring' | 'mmsg', mapped: Uint8Array) {
    this.#n = n;
    this.handle = handle;
    this.key = o.key;
    this.kind = o.kind;
    this.mode = mode;
    this.#mapped.set(mapped);
  }

  /**
   * Opens (or, for a key already open in this process, shares) a packet
   * socket on `ifname`, bound to it, non-blocking; RX sockets get VLAN tags
   * (PACKET_AUXDATA) and skip this host's own transmissions. Throws EPERM
   * without CAP_NET_RAW, ENODEV for an unknown interface, EINVAL for a bad
   * area, ENOTSUP without the native addon.
   *
   * @see rte_eth_rx_queue_setup, rte_eth_tx_queue_setup
   */
  static open(eal: Eal, o: PacketQueueOptions): PacketQueue {
    const n = addon('a packet queue');
    checkIfname(o.ifname);
    if (typeof o.key !== 'string' || o.key === '') throw new RteError('EINVAL', 'a packet queue needs a non-empty key');
    if (o.kind !== 'rx' && o.kind !== 'tx') throw new RteError('EINVAL', `kind is 'rx' or 'tx', not ${JSON.stringify(o.kind)}`);
    const mode = o.mode ?? 'ring';
    if (mode !== 'ring' && mode !== 'mmsg') throw new RteError('EINVAL', `mode is 'ring' or 'mmsg', not ${JSON.stringify(mode)}`);
    if (!Number.isInteger(o.capacity) || o.capacity < 1 || o.capacity > 65536) throw new RteError('EINVAL', `capacity must be 1..65536, not ${String(o.capacity)}`);
    if (!(o.area?.buffer instanceof SharedArrayBuffer)) throw new RteError('EINVAL', 'the descriptor area must be in a SharedArrayBuffer');
    const lists: (SharedArrayBuffer | undefined)[] = [];
    const mapped = new Uint8Array(MAX_LISTS + 1);
    for (let i = 1; i <= MAX_LISTS; i++) {
      const l = eal.list(i);
      if (l !== undefined) {
        lists[i] = l.sab;
        mapped[i] = 1;
      }
    }
    const ring = o.ring ?? {};
    const opts: Record<string, number> = {
      kind: o.kind === 'rx' ? 0 : 1,
      mode: mode === 'ring' ? 0 : 1,
      capacity: o.capacity,
      fanoutId: o.fanoutId ?? -1,
      fanoutMode: PACKET_FANOUT_HASH,
      promisc: o.promisc === true ? 1 : 0,
      blockSize: ring.blockSize ?? 1 << 20,
      blockNr: ring.blockNr ?? 4,
      frameSize: ring.frameSize ?? 2048,
      tovMs: ring.tovMs ?? 1,
    };
    const h = n.packetOpen(o.key, o.ifname, opts, o.area.buffer, o.area.byteOffset, lists);
    if (h < 0) throw openError(h, o.ifname);
    return new PacketQueue(n, h, o, mode, mapped);
  }

  /**
   * Receives up to `max` packets into posted buffers; returns how many
   * (completions and the buffers used are in the area), or a negated errno.
   */
  rx(max: number): number {
    return this.#n.packetRx(this.handle, max);
  }

  /** Sends the packets of descriptors [0, count); returns the packets taken, or a negated errno. */
  tx(count: number): number {
    return this.#n.packetTx(this.handle, count);
  }

  /** Packets the kernel dropped for this socket (its buffer was full) since the last call. */
  drops(): number {
    const r = this.#n.packetDrops(this.handle);
    return r < 0 ? 0 : r;
  }

  /** Adds or drops this socket's promiscuous membership. @see rte_eth_promiscuous_enable */
  promisc(on: boolean): void {
    const r = this.#n.packetPromisc(this.handle, on);
    if (r < 0) throw fromErrno(r, `cannot turn promiscuous mode ${on ? 'on' : 'off'}`);
  }

  /** The PACKET_FANOUT group this socket is in. */
  fanoutId(): number {
    const r = this.#n.packetFanoutId(this.handle);
    if (r < 0) throw fromErrno(r, 'this socket is in no fanout group');
    return r;
  }

  /** True when memseg list `index` is mapped into this queue. */
  mapsList(index: number): boolean {
    return this.#mapped[index] === 1;
  }

  /** Maps memseg list `index` (registered after the queue opened) into it. */
  mapList(eal: Eal, index: number): void {
    const l = eal.list(index);
    if (l === undefined) throw new RteError('EINVAL', `memseg list ${index} is not mapped in this thread`);
    const r = this.#n.packetSetList(this.handle, index, l.sab);
    if (r < 0) throw fromErrno(r, `cannot map list ${index} into the packet queue`);
    this.#mapped[index] = 1;
  }

  /**
   * Closes the queue open under `key` in this process, whatever its
   * references (every handle on it then reads -EBADF). Returns true when
   * one was open.
   */
  static closeKey(key: string): boolean {
    const n = native() as unknown as Partial<PacketAddon> | null;
    if (n === null || typeof n.packetCloseKey !== 'function') return false;
    return n.packetCloseKey(key) === 1;
  }

  /** Handles open on the queue under `key` in this process (every thread's): 0 when it is not open here. */
  static refs(key: string): number {
    const n = native() as unknown as Partial<PacketAddon> | null;
    if (n === null || typeof n.packetRefs !== 'function') return 0;
    const r = n.packetRefs(key);
    return r < 0 ? 0 : r;
  }

  /** Drops this handle's reference; the socket closes with the process's last. Returns the references left. */
  close(): number {
    if (!this.#open) return 0;
    this.#open = false;
    const r = this.#n.packetClose(this.handle);
    return r < 0 ? 0 : r;
  }
}

function openError(errno: number, ifname: string): RteError {
  switch (-errno) {
    case 1:
      return new RteError(
        'EPERM',
        `opening a packet socket on "${ifname}" needs CAP_NET_RAW: run as root, or give node the capability (\`sudo setcap cap_net_raw+ep "$(readlink -f "$(which node)")"\`)`,
      );
    case 19:
      return new RteError('ENODEV', `no interface "${ifname}" in this network namespace (\`ip link show\` lists them)`);
    case 24:
      return new RteError('EMFILE', 'too many packet queues open in this process (1024)');
    case 100:
      return new RteError('ENETDOWN', `interface "${ifname}" is down: \`ip link set ${ifname} up\``);
    default:
      return fromErrno(errno, `cannot open a packet socket on "${ifname}"`);
  }
}
