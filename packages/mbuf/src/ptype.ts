/**
 * Packet types (`packet_type`) with DPDK 22.11's values: a 4-bit field per
 * layer (L2, L3, L4, tunnel, inner L2, inner L3, inner L4), and their names.
 *
 * @see lib/mbuf/rte_mbuf_ptype.h, lib/mbuf/rte_mbuf_ptype.c
 */

export const RTE_PTYPE_UNKNOWN = 0x00000000;
export const RTE_PTYPE_L2_ETHER = 0x00000001;
export const RTE_PTYPE_L2_ETHER_TIMESYNC = 0x00000002;
export const RTE_PTYPE_L2_ETHER_ARP = 0x00000003;
export const RTE_PTYPE_L2_ETHER_LLDP = 0x00000004;
export const RTE_PTYPE_L2_ETHER_NSH = 0x00000005;
export const RTE_PTYPE_L2_ETHER_VLAN = 0x00000006;
export const RTE_PTYPE_L2_ETHER_QINQ = 0x00000007;
export const RTE_PTYPE_L2_ETHER_PPPOE = 0x00000008;
export const RTE_PTYPE_L2_ETHER_FCOE = 0x00000009;
export const RTE_PTYPE_L2_ETHER_MPLS = 0x0000000a;
export const RTE_PTYPE_L2_MASK = 0x0000000f;
export const RTE_PTYPE_L3_IPV4 = 0x00000010;
export const RTE_PTYPE_L3_IPV4_EXT = 0x00000030;
export const RTE_PTYPE_L3_IPV6 = 0x00000040;
export const RTE_PTYPE_L3_IPV4_EXT_UNKNOWN = 0x00000090;
export const RTE_PTYPE_L3_IPV6_EXT = 0x000000c0;
export const RTE_PTYPE_L3_IPV6_EXT_UNKNOWN = 0x000000e0;
export const RTE_PTYPE_L3_MASK = 0x000000f0;
export const RTE_PTYPE_L4_TCP = 0x00000100;
export const RTE_PTYPE_L4_UDP = 0x00000200;
export const RTE_PTYPE_L4_FRAG = 0x00000300;
export const RTE_PTYPE_L4_SCTP = 0x00000400;
export const RTE_PTYPE_L4_ICMP = 0x00000500;
export const RTE_PTYPE_L4_NONFRAG = 0x00000600;
export const RTE_PTYPE_L4_IGMP = 0x00000700;
export const RTE_PTYPE_L4_MASK = 0x00000f00;
export const RTE_PTYPE_TUNNEL_IP = 0x00001000;
export const RTE_PTYPE_TUNNEL_GRE = 0x00002000;
export const RTE_PTYPE_TUNNEL_VXLAN = 0x00003000;
export const RTE_PTYPE_TUNNEL_NVGRE = 0x00004000;
export const RTE_PTYPE_TUNNEL_GENEVE = 0x00005000;
export const RTE_PTYPE_TUNNEL_GRENAT = 0x00006000;
export const RTE_PTYPE_TUNNEL_GTPC = 0x00007000;
export const RTE_PTYPE_TUNNEL_GTPU = 0x00008000;
export const RTE_PTYPE_TUNNEL_ESP = 0x00009000;
export const RTE_PTYPE_TUNNEL_L2TP = 0x0000a000;
export const RTE_PTYPE_TUNNEL_VXLAN_GPE = 0x0000b000;
export const RTE_PTYPE_TUNNEL_MPLS_IN_GRE = 0x0000c000;
export const RTE_PTYPE_TUNNEL_MPLS_IN_UDP = 0x0000d000;
export const RTE_PTYPE_TUNNEL_MASK = 0x0000f000;
export const RTE_PTYPE_INNER_L2_ETHER = 0x00010000;
export const RTE_PTYPE_INNER_L2_ETHER_VLAN = 0x00020000;
export const RTE_PTYPE_INNER_L2_ETHER_QINQ = 0x00030000;
export const RTE_PTYPE_INNER_L2_MASK = 0x000f0000;
export const RTE_PTYPE_INNER_L3_IPV4 = 0x00100000;
export const RTE_PTYPE_INNER_L3_IPV4_EXT = 0x00200000;
export const RTE_PTYPE_INNER_L3_IPV6 = 0x00300000;
export const RTE_PTYPE_INNER_L3_IPV4_EXT_UNKNOWN = 0x00400000;
export const RTE_PTYPE_INNER_L3_IPV6_EXT = 0x00500000;
export const RTE_PTYPE_INNER_L3_IPV6_EXT_UNKNOWN = 0x00600000;
export const RTE_PTYPE_INNER_L3_MASK = 0x00f00000;
export const RTE_PTYPE_INNER_L4_TCP = 0x01000000;
export const RTE_PTYPE_INNER_L4_UDP = 0x02000000;
export const RTE_PTYPE_INNER_L4_FRAG = 0x03000000;
export const RTE_PTYPE_INNER_L4_SCTP = 0x04000000;
export const RTE_PTYPE_INNER_L4_ICMP = 0x05000000;
export const RTE_PTYPE_INNER_L4_NONFRAG = 0x06000000;
export const RTE_PTYPE_INNER_L4_MASK = 0x0f000000;
export const RTE_PTYPE_ALL_MASK = 0x0fffffff;

/** Each layer's field: its mask, the names of its values, and what an unnamed value is called. */
const LAYERS: readonly { mask: number; names: ReadonlyMap<number, string>; unknown: string }[] = [
  {
    mask: RTE_PTYPE_L2_MASK,
    unknown: 'L2_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_L2_ETHER, 'L2_ETHER'],
      [RTE_PTYPE_L2_ETHER_TIMESYNC, 'L2_ETHER_TIMESYNC'],
      [RTE_PTYPE_L2_ETHER_ARP, 'L2_ETHER_ARP'],
      [RTE_PTYPE_L2_ETHER_LLDP, 'L2_ETHER_LLDP'],
      [RTE_PTYPE_L2_ETHER_NSH, 'L2_ETHER_NSH'],
      [RTE_PTYPE_L2_ETHER_VLAN, 'L2_ETHER_VLAN'],
      [RTE_PTYPE_L2_ETHER_QINQ, 'L2_ETHER_QINQ'],
      [RTE_PTYPE_L2_ETHER_PPPOE, 'L2_ETHER_PPPOE'],
      [RTE_PTYPE_L2_ETHER_FCOE, 'L2_ETHER_FCOE'],
      [RTE_PTYPE_L2_ETHER_MPLS, 'L2_ETHER_MPLS'],
    ]),
  },
  {
    mask: RTE_PTYPE_L3_MASK,
    unknown: 'L3_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_L3_IPV4, 'L3_IPV4'],
      [RTE_PTYPE_L3_IPV4_EXT, 'L3_IPV4_EXT'],
      [RTE_PTYPE_L3_IPV6, 'L3_IPV6'],
      [RTE_PTYPE_L3_IPV4_EXT_UNKNOWN, 'L3_IPV4_EXT_UNKNOWN'],
      [RTE_PTYPE_L3_IPV6_EXT, 'L3_IPV6_EXT'],
      [RTE_PTYPE_L3_IPV6_EXT_UNKNOWN, 'L3_IPV6_EXT_UNKNOWN'],
    ]),
  },
  {
    mask: RTE_PTYPE_L4_MASK,
    unknown: 'L4_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_L4_TCP, 'L4_TCP'],
      [RTE_PTYPE_L4_UDP, 'L4_UDP'],
      [RTE_PTYPE_L4_FRAG, 'L4_FRAG'],
      [RTE_PTYPE_L4_SCTP, 'L4_SCTP'],
      [RTE_PTYPE_L4_ICMP, 'L4_ICMP'],
      [RTE_PTYPE_L4_NONFRAG, 'L4_NONFRAG'],
      [RTE_PTYPE_L4_IGMP, 'L4_IGMP'],
    ]),
  },
  {
    mask: RTE_PTYPE_TUNNEL_MASK,
    unknown: 'TUNNEL_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_TUNNEL_IP, 'TUNNEL_IP'],
      [RTE_PTYPE_TUNNEL_GRE, 'TUNNEL_GRE'],
      [RTE_PTYPE_TUNNEL_VXLAN, 'TUNNEL_VXLAN'],
      [RTE_PTYPE_TUNNEL_NVGRE, 'TUNNEL_NVGRE'],
      [RTE_PTYPE_TUNNEL_GENEVE, 'TUNNEL_GENEVE'],
      [RTE_PTYPE_TUNNEL_GRENAT, 'TUNNEL_GRENAT'],
      [RTE_PTYPE_TUNNEL_GTPC, 'TUNNEL_GTPC'],
      [RTE_PTYPE_TUNNEL_GTPU, 'TUNNEL_GTPU'],
      [RTE_PTYPE_TUNNEL_ESP, 'TUNNEL_ESP'],
      [RTE_PTYPE_TUNNEL_L2TP, 'TUNNEL_L2TP'],
      [RTE_PTYPE_TUNNEL_VXLAN_GPE, 'TUNNEL_VXLAN_GPE'],
      [RTE_PTYPE_TUNNEL_MPLS_IN_GRE, 'TUNNEL_MPLS_IN_GRE'],
      [RTE_PTYPE_TUNNEL_MPLS_IN_UDP, 'TUNNEL_MPLS_IN_UDP'],
    ]),
  },
  {
    mask: RTE_PTYPE_INNER_L2_MASK,
    unknown: 'INNER_L2_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_INNER_L2_ETHER, 'INNER_L2_ETHER'],
      [RTE_PTYPE_INNER_L2_ETHER_VLAN, 'INNER_L2_ETHER_VLAN'],
      [RTE_PTYPE_INNER_L2_ETHER_QINQ, 'INNER_L2_ETHER_QINQ'],
    ]),
  },
  {
    mask: RTE_PTYPE_INNER_L3_MASK,
    unknown: 'INNER_L3_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_INNER_L3_IPV4, 'INNER_L3_IPV4'],
      [RTE_PTYPE_INNER_L3_IPV4_EXT, 'INNER_L3_IPV4_EXT'],
      [RTE_PTYPE_INNER_L3_IPV6, 'INNER_L3_IPV6'],
      [RTE_PTYPE_INNER_L3_IPV4_EXT_UNKNOWN, 'INNER_L3_IPV4_EXT_UNKNOWN'],
      [RTE_PTYPE_INNER_L3_IPV6_EXT, 'INNER_L3_IPV6_EXT'],
      [RTE_PTYPE_INNER_L3_IPV6_EXT_UNKNOWN, 'INNER_L3_IPV6_EXT_UNKNOWN'],
    ]),
  },
  {
    mask: RTE_PTYPE_INNER_L4_MASK,
    unknown: 'INNER_L4_UNKNOWN',
    names: new Map([
      [RTE_PTYPE_INNER_L4_TCP, 'INNER_L4_TCP'],
      [RTE_PTYPE_INNER_L4_UDP, 'INNER_L4_UDP'],
      [RTE_PTYPE_INNER_L4_FRAG, 'INNER_L4_FRAG'],
      [RTE_PTYPE_INNER_L4_SCTP, 'INNER_L4_SCTP'],
      [RTE_PTYPE_INNER_L4_ICMP, 'INNER_L4_ICMP'],
      [RTE_PTYPE_INNER_L4_NONFRAG, 'INNER_L4_NONFRAG'],
    ]),
  },
];

/**
 * The names of a packet type's layers, space-separated ("L2_ETHER L3_IPV4
 * L4_TCP"; DPDK's trailing space trimmed), "UNKNOWN" for 0. A layer whose
 * value has no name is "<layer>_UNKNOWN"; bits above RTE_PTYPE_ALL_MASK are
 * ignored, as DPDK does.
 *
 * @example
 * ```ts
 * getPtypeName(RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP) === 'L2_ETHER L3_IPV4 L4_UDP';
 * ```
 * @see rte_get_ptype_name
 */
export function getPtypeName(ptype: number): string {
  const parts: string[] = [];
  for (const layer of LAYERS) {
    const v = ptype & layer.mask;
    if (v !== 0) parts.push(layer.names.get(v) ?? layer.unknown);
  }
  return parts.length === 0 ? 'UNKNOWN' : parts.join(' ');
}
