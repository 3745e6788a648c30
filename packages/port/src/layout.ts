/**
 * Shared-memory layout of ports: the port table (a config area, never
 * freed, so a handle can always ask whether its port is still open), and
 * each port's memzone (settings, per-queue owners and counters, and the
 * descriptor areas of the EAL's packet service, one per queue).
 *
 * ```
 * config area "ports" (PORTS_AREA_BYTES)
 *   0    lock (8 B): guards the table
 *   64   MAX_PORTS entries of 16 B: u32 gen, u32 state | gen << 2, f64 memzone address
 *
 * memzone "port_<ifname>"
 *   0    u32 magic       4 u32 port id     8 u32 gen        12 u32 nbRxq
 *   16   u32 nbTxq       20 u32 flags      24 u32 nbRxDesc  28 u32 nbTxDesc
 *   32   lock (8 B): queue owners, fanout group
 *   40   u32 fanout id   44 u32 promiscuous generation
 *   48   u32 bufOffset   52 u32 bufCap     56 u32 maxSegs   60 u32 maxFrame
 *   64   ifname (16 B)   80 pool name (32 B)  112 u32 promiscuous (0/1)
 *   128  queue blocks, RX queues then TX queues, QB_BYTES each
 *   ...  descriptor areas (pktAreaSize of nbRxDesc / nbTxDesc), RX then TX, 64-aligned
 * ```
 * Counters are float64, each written by its queue's one lcore and read by
 * anyone (an aligned 8-byte store is never torn on x86-64 or arm64).
 *
 * @see struct rte_eth_dev_data, struct rte_eth_stats in DPDK
 */
import { pktAreaSize } from '@rtemem/mbuf';

export const PORTS_AREA_NAME = 'ports';
/** Ports per EAL. @see RTE_MAX_ETHPORTS */
export const MAX_PORTS = 32;
export const PA_LOCK = 0;
export const PA_ENTRIES = 64;
export const PA_ENTRY_BYTES = 16;
export const PE_GEN = 0; // u32 bumped by every open of this id: handles of an older open see a mismatch
export const PE_STATE = 4; // u32 PS_* | gen << 2: one load tells a handle its port is still the one it opened
export const PE_MZ = 8; // f64 address of the port's memzone
export const PORTS_AREA_BYTES = 576; // PA_ENTRIES + MAX_PORTS * PA_ENTRY_BYTES

export const PS_FREE = 0;
export const PS_OPEN = 1;
export const PS_CLOSING = 2;

export const PORT_MZ_PREFIX = 'port_';
export const PORT_MAGIC = 0x54524f50; // 'PORT'
export const P_MAGIC = 0;
export const P_ID = 4;
export const P_GEN = 8;
export const P_NB_RXQ = 12;
export const P_NB_TXQ = 16;
export const P_FLAGS = 20;
export const P_NB_RX_DESC = 24;
export const P_NB_TX_DESC = 28;
export const P_LOCK = 32;
export const P_FANOUT_ID = 40;
export const P_PROMISC_GEN = 44;
export const P_BUF_OFFSET = 48;
export const P_BUF_CAP = 52;
export const P_MAX_SEGS = 56;
export const P_MAX_FRAME = 60;
export const P_IFNAME = 64;
export const P_IFNAME_LEN = 16;
export const P_POOL = 80;
export const P_POOL_LEN = 32;
export const P_PROMISC = 112;
export const P_QUEUES = 128;

/* Port flags. */
export const PF_SCATTER = 0x1; // RTE_ETH_RX_OFFLOAD_SCATTER: long packets become chains
export const PF_VLAN_STRIP = 0x2; // RTE_ETH_RX_OFFLOAD_VLAN_STRIP: tags stay out of the data
export const PF_MMSG = 0x4; // RX through recvmmsg instead of the TPACKET_V3 ring

/* A queue block. */
export const QB_OWNER = 0; // i32 pid of the process whose socket serves the queue (0: none)
export const QB_OWNER_START = 8; // f64 that process's start time (a reused pid is not the owner)
export const QB_PACKETS = 16; // f64 packets received / sent
export const QB_BYTES = 24; // f64 bytes of them
export const QB_ERRORS = 32; // f64 ierrors / oerrors
export const QB_MISSED = 40; // f64 RX: dropped by the kernel, the queue's buffer being full (imissed)
export const QB_NOMBUF = 48; // f64 RX: mbuf allocation failures (rx_nombuf)
export const QB_BYTES_TOTAL = 64;

/** Byte offset of RX queue `q`'s block. */
export function rxBlock(q: number): number {
  return P_QUEUES + q * QB_BYTES_TOTAL;
}

/** Byte offset of TX queue `q`'s block. */
export function txBlock(nbRxq: number, q: number): number {
  return P_QUEUES + (nbRxq + q) * QB_BYTES_TOTAL;
}

/** Bytes rounded up to a cache line. */
export function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Byte offset in the memzone of RX queue `q`'s descriptor area. */
export function rxAreaOf(nbRxq: number, nbTxq: number, nbRxDesc: number, q: number): number {
  return align64(P_QUEUES + (nbRxq + nbTxq) * QB_BYTES_TOTAL) + q * align64(pktAreaSize(nbRxDesc));
}

/** Byte offset in the memzone of TX queue `q`'s descriptor area (after every RX queue's). */
export function txAreaOf(nbRxq: number, nbTxq: number, nbRxDesc: number, nbTxDesc: number, q: number): number {
  return rxAreaOf(nbRxq, nbTxq, nbRxDesc, nbRxq) + q * align64(pktAreaSize(nbTxDesc));
}

/*
 * mbuf header fields the bursts read and write in place (DPDK 22.11 x86_64
 * offsets; a test checks them against @rtemem/mbuf's MBUF_FIELD). Literals,
 * so the bundler inlines them in the hot loops.
 */
export const M_BUF_ADDR = 0; // f64
export const M_DATA_OFF = 16; // u16
export const M_REFCNT = 18; // u16
export const M_NB_SEGS = 20; // u16
export const M_PORT = 22; // u16
export const M_OL_FLAGS = 24; // u32 low half
export const M_OL_FLAGS_HI = 28; // u32 high half
export const M_PKT_LEN = 36; // u32
export const M_DATA_LEN = 40; // u16
export const M_VLAN_TCI = 42; // u16
export const M_NEXT = 64; // f64
/** LIST_SPAN of @rtemem/eal-hugepage as a literal (a test checks they agree). */
export const SPAN = 1073741824;
