/**
 * Offload flags of `ol_flags` (bits 0..22 receive, 41..60 transmit, 61..62
 * the mbuf's kind) with DPDK 22.11's values, as bigints (64 bits do not fit
 * a number), and their names as DPDK prints them. On hot paths read the
 * flags with `Mbuf.olFlagsLo/olFlagsHi` or `hasOlFlag` (no bigint made).
 *
 * @see lib/mbuf/rte_mbuf_core.h, rte_get_rx_ol_flag_name and rte_get_tx_ol_flag_name in lib/mbuf/rte_mbuf.c
 */

/* Receive (set by a port's receive path). */
/** The packet had a VLAN tag; vlan_tci holds it. */
export const RTE_MBUF_F_RX_VLAN = 1n << 0n;
/** hash.rss holds the RSS hash. */
export const RTE_MBUF_F_RX_RSS_HASH = 1n << 1n;
/** Flow director matched. */
export const RTE_MBUF_F_RX_FDIR = 1n << 2n;
/** The outer IP checksum is wrong (tunnels). */
export const RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD = 1n << 5n;
/** The VLAN tag was removed from the data (RTE_MBUF_F_RX_VLAN is then set too). */
export const RTE_MBUF_F_RX_VLAN_STRIPPED = 1n << 6n;
/** The two bits of the IP checksum state. */
export const RTE_MBUF_F_RX_IP_CKSUM_MASK = (1n << 4n) | (1n << 7n);
export const RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN = 0n;
export const RTE_MBUF_F_RX_IP_CKSUM_BAD = 1n << 4n;
export const RTE_MBUF_F_RX_IP_CKSUM_GOOD = 1n << 7n;
export const RTE_MBUF_F_RX_IP_CKSUM_NONE = (1n << 4n) | (1n << 7n);
/** The two bits of the L4 checksum state. */
export const RTE_MBUF_F_RX_L4_CKSUM_MASK = (1n << 3n) | (1n << 8n);
export const RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN = 0n;
export const RTE_MBUF_F_RX_L4_CKSUM_BAD = 1n << 3n;
export const RTE_MBUF_F_RX_L4_CKSUM_GOOD = 1n << 8n;
export const RTE_MBUF_F_RX_L4_CKSUM_NONE = (1n << 3n) | (1n << 8n);
export const RTE_MBUF_F_RX_IEEE1588_PTP = 1n << 9n;
export const RTE_MBUF_F_RX_IEEE1588_TMST = 1n << 10n;
export const RTE_MBUF_F_RX_FDIR_ID = 1n << 13n;
export const RTE_MBUF_F_RX_FDIR_FLX = 1n << 14n;
/** The outer VLAN tag was removed too (QinQ). */
export const RTE_MBUF_F_RX_QINQ_STRIPPED = 1n << 15n;
export const RTE_MBUF_F_RX_LRO = 1n << 16n;
export const RTE_MBUF_F_RX_SEC_OFFLOAD = 1n << 18n;
export const RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED = 1n << 19n;
/** The packet had two VLAN tags; vlan_tci_outer holds the outer one. */
export const RTE_MBUF_F_RX_QINQ = 1n << 20n;
export const RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK = (1n << 21n) | (1n << 22n);
export const RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN = 0n;
export const RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD = 1n << 21n;
export const RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD = 1n << 22n;
export const RTE_MBUF_F_RX_OUTER_L4_CKSUM_INVALID = (1n << 21n) | (1n << 22n);
/** Bits 23..40 are free for dynamic flags. */
export const RTE_MBUF_F_FIRST_FREE = 1n << 23n;
export const RTE_MBUF_F_LAST_FREE = 1n << 40n;

/* Transmit (asked of a port's transmit path). */
export const RTE_MBUF_F_TX_OUTER_UDP_CKSUM = 1n << 41n;
export const RTE_MBUF_F_TX_UDP_SEG = 1n << 42n;
export const RTE_MBUF_F_TX_SEC_OFFLOAD = 1n << 43n;
export const RTE_MBUF_F_TX_MACSEC = 1n << 44n;
/** The tunnel type, a 4-bit field at bit 45. */
export const RTE_MBUF_F_TX_TUNNEL_VXLAN = 0x1n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GRE = 0x2n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_IPIP = 0x3n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GENEVE = 0x4n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_MPLSINUDP = 0x5n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE = 0x6n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GTP = 0x7n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_ESP = 0x8n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_IP = 0xdn << 45n;
export const RTE_MBUF_F_TX_TUNNEL_UDP = 0xen << 45n;
export const RTE_MBUF_F_TX_TUNNEL_MASK = 0xfn << 45n;
export const RTE_MBUF_F_TX_QINQ = 1n << 49n;
export const RTE_MBUF_F_TX_TCP_SEG = 1n << 50n;
export const RTE_MBUF_F_TX_IEEE1588_TMST = 1n << 51n;
/** The L4 checksum to compute, a 2-bit field at bit 52. */
export const RTE_MBUF_F_TX_L4_NO_CKSUM = 0n << 52n;
export const RTE_MBUF_F_TX_TCP_CKSUM = 1n << 52n;
export const RTE_MBUF_F_TX_SCTP_CKSUM = 2n << 52n;
export const RTE_MBUF_F_TX_UDP_CKSUM = 3n << 52n;
export const RTE_MBUF_F_TX_L4_MASK = 3n << 52n;
export const RTE_MBUF_F_TX_IP_CKSUM = 1n << 54n;
export const RTE_MBUF_F_TX_IPV4 = 1n << 55n;
export const RTE_MBUF_F_TX_IPV6 = 1n << 56n;
export const RTE_MBUF_F_TX_VLAN = 1n << 57n;
export const RTE_MBUF_F_TX_OUTER_IP_CKSUM = 1n << 58n;
export const RTE_MBUF_F_TX_OUTER_IPV4 = 1n << 59n;
export const RTE_MBUF_F_TX_OUTER_IPV6 = 1n << 60n;
/** Every transmit flag a driver may be asked to honour. @see RTE_MBUF_F_TX_OFFLOAD_MASK */
export const RTE_MBUF_F_TX_OFFLOAD_MASK =
  RTE_MBUF_F_TX_OUTER_IPV6 |
  RTE_MBUF_F_TX_OUTER_IPV4 |
  RTE_MBUF_F_TX_OUTER_IP_CKSUM |
  RTE_MBUF_F_TX_VLAN |
  RTE_MBUF_F_TX_IPV6 |
  RTE_MBUF_F_TX_IPV4 |
  RTE_MBUF_F_TX_IP_CKSUM |
  RTE_MBUF_F_TX_L4_MASK |
  RTE_MBUF_F_TX_IEEE1588_TMST |
  RTE_MBUF_F_TX_TCP_SEG |
  RTE_MBUF_F_TX_QINQ |
  RTE_MBUF_F_TX_TUNNEL_MASK |
  RTE_MBUF_F_TX_MACSEC |
  RTE_MBUF_F_TX_SEC_OFFLOAD |
  RTE_MBUF_F_TX_UDP_SEG |
  RTE_MBUF_F_TX_OUTER_UDP_CKSUM;

/* The mbuf's kind. */
/** The buffer is external (attachExtbuf). */
export const RTE_MBUF_F_EXTERNAL = 1n << 61n;
/** The mbuf is a clone of another (indirect). */
export const RTE_MBUF_F_INDIRECT = 1n << 62n;

/** Receive flags DPDK names, and the names (its rte_get_rx_ol_flag_name). */
const RX_NAMES = new Map<bigint, string>([
  [RTE_MBUF_F_RX_VLAN, 'RTE_MBUF_F_RX_VLAN'],
  [RTE_MBUF_F_RX_RSS_HASH, 'RTE_MBUF_F_RX_RSS_HASH'],
  [RTE_MBUF_F_RX_FDIR, 'RTE_MBUF_F_RX_FDIR'],
  [RTE_MBUF_F_RX_L4_CKSUM_BAD, 'RTE_MBUF_F_RX_L4_CKSUM_BAD'],
  [RTE_MBUF_F_RX_L4_CKSUM_GOOD, 'RTE_MBUF_F_RX_L4_CKSUM_GOOD'],
  [RTE_MBUF_F_RX_L4_CKSUM_NONE, 'RTE_MBUF_F_RX_L4_CKSUM_NONE'],
  [RTE_MBUF_F_RX_IP_CKSUM_BAD, 'RTE_MBUF_F_RX_IP_CKSUM_BAD'],
  [RTE_MBUF_F_RX_IP_CKSUM_GOOD, 'RTE_MBUF_F_RX_IP_CKSUM_GOOD'],
  [RTE_MBUF_F_RX_IP_CKSUM_NONE, 'RTE_MBUF_F_RX_IP_CKSUM_NONE'],
  [RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD, 'RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD'],
  [RTE_MBUF_F_RX_VLAN_STRIPPED, 'RTE_MBUF_F_RX_VLAN_STRIPPED'],
  [RTE_MBUF_F_RX_IEEE1588_PTP, 'RTE_MBUF_F_RX_IEEE1588_PTP'],
  [RTE_MBUF_F_RX_IEEE1588_TMST, 'RTE_MBUF_F_RX_IEEE1588_TMST'],
  [RTE_MBUF_F_RX_FDIR_ID, 'RTE_MBUF_F_RX_FDIR_ID'],
  [RTE_MBUF_F_RX_FDIR_FLX, 'RTE_MBUF_F_RX_FDIR_FLX'],
  [RTE_MBUF_F_RX_QINQ_STRIPPED, 'RTE_MBUF_F_RX_QINQ_STRIPPED'],
  [RTE_MBUF_F_RX_LRO, 'RTE_MBUF_F_RX_LRO'],
  [RTE_MBUF_F_RX_SEC_OFFLOAD, 'RTE_MBUF_F_RX_SEC_OFFLOAD'],
  [RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED, 'RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED'],
  [RTE_MBUF_F_RX_QINQ, 'RTE_MBUF_F_RX_QINQ'],
  [RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD, 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD'],
  [RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD, 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD'],
  [RTE_MBUF_F_RX_OUTER_L4_CKSUM_INVALID, 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_INVALID'],
]);

/**
 * Transmit flags DPDK names (its rte_get_tx_ol_flag_name). As in DPDK
 * 22.11, RTE_MBUF_F_TX_TUNNEL_ESP and RTE_MBUF_F_TX_L4_NO_CKSUM have no name.
 */
const TX_NAMES = new Map<bigint, string>([
  [RTE_MBUF_F_TX_VLAN, 'RTE_MBUF_F_TX_VLAN'],
  [RTE_MBUF_F_TX_IP_CKSUM, 'RTE_MBUF_F_TX_IP_CKSUM'],
  [RTE_MBUF_F_TX_TCP_CKSUM, 'RTE_MBUF_F_TX_TCP_CKSUM'],
  [RTE_MBUF_F_TX_SCTP_CKSUM, 'RTE_MBUF_F_TX_SCTP_CKSUM'],
  [RTE_MBUF_F_TX_UDP_CKSUM, 'RTE_MBUF_F_TX_UDP_CKSUM'],
  [RTE_MBUF_F_TX_IEEE1588_TMST, 'RTE_MBUF_F_TX_IEEE1588_TMST'],
  [RTE_MBUF_F_TX_TCP_SEG, 'RTE_MBUF_F_TX_TCP_SEG'],
  [RTE_MBUF_F_TX_IPV4, 'RTE_MBUF_F_TX_IPV4'],
  [RTE_MBUF_F_TX_IPV6, 'RTE_MBUF_F_TX_IPV6'],
  [RTE_MBUF_F_TX_OUTER_IP_CKSUM, 'RTE_MBUF_F_TX_OUTER_IP_CKSUM'],
  [RTE_MBUF_F_TX_OUTER_IPV4, 'RTE_MBUF_F_TX_OUTER_IPV4'],
  [RTE_MBUF_F_TX_OUTER_IPV6, 'RTE_MBUF_F_TX_OUTER_IPV6'],
  [RTE_MBUF_F_TX_TUNNEL_VXLAN, 'RTE_MBUF_F_TX_TUNNEL_VXLAN'],
  [RTE_MBUF_F_TX_TUNNEL_GTP, 'RTE_MBUF_F_TX_TUNNEL_GTP'],
  [RTE_MBUF_F_TX_TUNNEL_GRE, 'RTE_MBUF_F_TX_TUNNEL_GRE'],
  [RTE_MBUF_F_TX_TUNNEL_IPIP, 'RTE_MBUF_F_TX_TUNNEL_IPIP'],
  [RTE_MBUF_F_TX_TUNNEL_GENEVE, 'RTE_MBUF_F_TX_TUNNEL_GENEVE'],
  [RTE_MBUF_F_TX_TUNNEL_MPLSINUDP, 'RTE_MBUF_F_TX_TUNNEL_MPLSINUDP'],
  [RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE, 'RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE'],
  [RTE_MBUF_F_TX_TUNNEL_IP, 'RTE_MBUF_F_TX_TUNNEL_IP'],
  [RTE_MBUF_F_TX_TUNNEL_UDP, 'RTE_MBUF_F_TX_TUNNEL_UDP'],
  [RTE_MBUF_F_TX_QINQ, 'RTE_MBUF_F_TX_QINQ'],
  [RTE_MBUF_F_TX_MACSEC, 'RTE_MBUF_F_TX_MACSEC'],
  [RTE_MBUF_F_TX_SEC_OFFLOAD, 'RTE_MBUF_F_TX_SEC_OFFLOAD'],
  [RTE_MBUF_F_TX_UDP_SEG, 'RTE_MBUF_F_TX_UDP_SEG'],
  [RTE_MBUF_F_TX_OUTER_UDP_CKSUM, 'RTE_MBUF_F_TX_OUTER_UDP_CKSUM'],
]);

/**
 * The name of receive flag `flag` (one flag, or a multi-bit value such as
 * RTE_MBUF_F_RX_IP_CKSUM_NONE), or null when DPDK has none for it.
 *
 * @example
 * ```ts
 * getRxOlFlagName(RTE_MBUF_F_RX_VLAN) === 'RTE_MBUF_F_RX_VLAN';
 * ```
 * @see rte_get_rx_ol_flag_name
 */
export function getRxOlFlagName(flag: bigint): string | null {
  return typeof flag === 'bigint' ? (RX_NAMES.get(flag) ?? null) : null;
}

/** The name of transmit flag `flag`, or null. @see rte_get_tx_ol_flag_name */
export function getTxOlFlagName(flag: bigint): string | null {
  return typeof flag === 'bigint' ? (TX_NAMES.get(flag) ?? null) : null;
}
