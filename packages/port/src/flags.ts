/**
 * The mbuf offload flags a port sets on received packets and reads on sent
 * ones, with DPDK 22.11's values. The low half of ol_flags (bits 0..31) and
 * the high half (bits 32..63) are separate u32 words in the mbuf, so each
 * flag is given as the bit within its word for the hot paths, and as a
 * bigint for users.
 *
 * @see lib/mbuf/rte_mbuf_core.h in DPDK 22.11
 */

/** The mbuf's vlan_tci holds the packet's VLAN tag. @see RTE_MBUF_F_RX_VLAN */
export const RTE_MBUF_F_RX_VLAN = 1n << 0n;
/** The tag was taken out of the packet data (it is only in vlan_tci). @see RTE_MBUF_F_RX_VLAN_STRIPPED */
export const RTE_MBUF_F_RX_VLAN_STRIPPED = 1n << 6n;
/** @see RTE_MBUF_F_RX_L4_CKSUM_BAD */
export const RTE_MBUF_F_RX_L4_CKSUM_BAD = 1n << 3n;
/** @see RTE_MBUF_F_RX_L4_CKSUM_GOOD */
export const RTE_MBUF_F_RX_L4_CKSUM_GOOD = 1n << 8n;
/**
 * BAD | GOOD: the L4 checksum in the data is not filled in, but the data is
 * intact (a packet this host sent, its checksum left to the device).
 * @see RTE_MBUF_F_RX_L4_CKSUM_NONE
 */
export const RTE_MBUF_F_RX_L4_CKSUM_NONE = RTE_MBUF_F_RX_L4_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
/** Insert vlan_tci as an 802.1Q tag on transmit. @see RTE_MBUF_F_TX_VLAN */
export const RTE_MBUF_F_TX_VLAN = 1n << 57n;

/* The same, as bits of the u32 halves (hot paths). */
export const LO_RX_VLAN = 1 << 0;
export const LO_RX_VLAN_STRIPPED = 1 << 6;
export const LO_RX_L4_CKSUM_BAD = 1 << 3;
export const LO_RX_L4_CKSUM_GOOD = 1 << 8;
export const HI_TX_VLAN = 1 << (57 - 32);
/* mbuf flags of the high half that make a buffer unsafe to write (shared data). */
export const HI_EXTERNAL = 1 << (61 - 32);
export const HI_INDIRECT = 1 << (62 - 32);

/** 802.1Q tag protocol identifier. @see RTE_ETHER_TYPE_VLAN */
export const ETHER_TYPE_VLAN = 0x8100;
