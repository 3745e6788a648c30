/**
 * The mbuf offload flags a port sets on received packets and reads on sent
 * ones, as bits of ol_flags' two u32 words (the low half, bits 0..31, and the
 * high half, bits 32..63, are separate words in the mbuf) for the hot paths.
 * The flags themselves, as bigints, are @rtemem/mbuf's RTE_MBUF_F_* (DPDK
 * 22.11 values); a test checks that these bits are theirs.
 *
 * @see lib/mbuf/rte_mbuf_core.h in DPDK 22.11
 */

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
