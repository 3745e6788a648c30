// @ts-check
/**
 * Packet parsing and forwarding on raw bytes: Ethernet, 802.1Q / 802.1ad
 * tags, IPv4 (options), IPv6 (extension headers), TCP, UDP; TTL / hop limit,
 * the IPv4 header checksum, MAC rewrite. Every function works on a
 * Uint8Array and an offset (the mbuf's memory list and the packet's place
 * in it), reads only bytes it has checked are there, never throws on
 * packet content and allocates nothing.
 *
 * @see examples/l3fwd in DPDK (l3fwd_lpm.h, l3fwd_common.h)
 */

/** Ethernet header: destination MAC, source MAC, ethertype. */
export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
/** 802.1ad service tag (the outer tag of QinQ). */
export const ETHERTYPE_QINQ = 0x88a8;
/** The pre-standard QinQ outer tag some switches still send. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
/** At most this many VLAN tags and IPv6 extension headers are walked. */
export const MAX_VLAN_TAGS = 4;
export const MAX_EXT_HEADERS = 8;

/*
 * Verdicts. 0 is "forward"; a drop reason is a small positive number, an
 * index into DROP_REASONS (and into the stats slot's drop counters).
 */
export const FORWARD = 0;
/** TTL or hop limit would reach 0. */
export const DROP_TTL_EXCEEDED = 1;
/** No route for the destination (cannot happen while a default route exists). */
export const DROP_NO_ROUTE = 2;
/** Ethertype after the tags is neither IPv4 nor IPv6 (ARP, LLDP, ...). */
export const DROP_NOT_IP = 3;
/** Shorter than the Ethernet header or a VLAN tag. */
export const DROP_TRUNCATED_L2 = 4;
/** Shorter than the IPv4 header (20 bytes, or IHL * 4) or the IPv6 header (40). */
export const DROP_TRUNCATED_L3 = 5;
/** IP version field does not match the ethertype. */
export const DROP_BAD_VERSION = 6;
/** IPv4 IHL below 5. */
export const DROP_BAD_IHL = 7;
/** IPv4 total length below the header or past the packet; IPv6 payload length past the packet. */
export const DROP_BAD_LENGTH = 8;
/** IPv4 header checksum wrong (RFC 1812 5.2.2: a router verifies it). */
export const DROP_BAD_CHECKSUM = 9;
/** An IPv6 extension header runs past the payload. */
export const DROP_TRUNCATED_EXT = 10;
/** Hop-by-hop options not first, or more than MAX_EXT_HEADERS extension headers. */
export const DROP_BAD_EXT = 11;
/** TCP or UDP header runs past the IP payload. */
export const DROP_TRUNCATED_L4 = 12;
/** TCP data offset below 5 or past the payload; UDP length below 8 or past the payload. */
export const DROP_BAD_L4 = 13;
/** Headers cross an mbuf segment boundary (not supported; needs > 2 KiB of headers). */
export const DROP_SPLIT_HEADER = 14;

/** Names of the drop reasons, by code (index 0 is unused). */
export const DROP_REASONS = Object.freeze([
  '',
  'ttl-exceeded',
  'no-route',
  'not-ip',
  'truncated-l2',
  'truncated-l3',
  'bad-version',
  'bad-ihl',
  'bad-length',
  'bad-checksum',
  'truncated-ext',
  'bad-ext',
  'truncated-l4',
  'bad-l4',
  'split-header',
]);
export const DROP_REASON_COUNT = DROP_REASONS.length;

/* Slots of the parse result (an Int32Array of PARSE_SLOTS). Offsets are from the frame's first byte. */
/** Bytes of Ethernet header and tags: the offset of the IP header. */
export const P_L3_OFF = 0;
/** 4 or 6. */
export const P_IP_VERSION = 1;
/** Number of VLAN tags (0, 1, 2 for QinQ, ...). */
export const P_VLANS = 2;
/** Outermost VLAN id, -1 without tags. */
export const P_VLAN_ID = 3;
/** IPv4 header length (IHL * 4), or 40 + the IPv6 extension headers. */
export const P_L3_LEN = 4;
/** IPv4 protocol, or the IPv6 next header after the extension headers. */
export const P_L4_PROTO = 5;
/** Offset of the TCP / UDP header, -1 when not parsed (other protocol, later fragment). */
export const P_L4_OFF = 6;
/** End of the IP packet (the frame may carry Ethernet padding after it). */
export const P_L3_END = 7;
/** 0 not a fragment, 1 first fragment, 2 later fragment. */
export const P_FRAG = 8;
/** Number of IPv6 extension headers walked. */
export const P_EXT_HEADERS = 9;
export const PARSE_SLOTS = 16;

/**
 * Parses the headers of the frame at `u8[off]`: `segLen` bytes are
 * contiguous there (the first mbuf segment), `pktLen` is the whole packet.
 * Fills `r` (P_* slots) and returns FORWARD (0), or a drop reason when the
 * packet is not IP or is malformed. Header bytes past `segLen` but within
 * `pktLen` give DROP_SPLIT_HEADER.
 *
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} segLen
 * @param {number} pktLen
 * @param {Int32Array} r
 * @returns {number}
 */
export function parse(u8, off, segLen, pktLen, r) {
  r[P_VLANS] = 0;
  r[P_VLAN_ID] = -1;
  r[P_L4_OFF] = -1;
  r[P_FRAG] = 0;
  r[P_EXT_HEADERS] = 0;
  r[P_IP_VERSION] = 0;
  if (pktLen < ETH_HLEN) return DROP_TRUNCATED_L2;
  if (segLen < ETH_HLEN) return DROP_SPLIT_HEADER;
  let l3 = ETH_HLEN;
  let type = (u8[off + 12] << 8) | u8[off + 13];
  let vlans = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (vlans === MAX_VLAN_TAGS) return DROP_NOT_IP;
    // A tag: 2 bytes of TCI, then the next ethertype.
    if (l3 + 4 > pktLen) return DROP_TRUNCATED_L2;
    if (l3 + 4 > segLen) return DROP_SPLIT_HEADER;
    if (vlans === 0) r[P_VLAN_ID] = ((u8[off + l3] << 8) | u8[off + l3 + 1]) & 0xfff;
    type = (u8[off + l3 + 2] << 8) | u8[off + l3 + 3];
    l3 += 4;
    vlans++;
  }
  r[P_VLANS] = vlans;
  r[P_L3_OFF] = l3;
  if (type === ETHERTYPE_IPV4) return parseIpv4(u8, off, l3, segLen, pktLen, r);
  if (type === ETHERTYPE_IPV6) return parseIpv6(u8, off, l3, segLen, pktLen, r);
  return DROP_NOT_IP;
}

/**
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} l3
 * @param {number} segLen
 * @param {number} pktLen
 * @param {Int32Array} r
 */
function parseIpv4(u8, off, l3, segLen, pktLen, r) {
  if (l3 + 20 > pktLen) return DROP_TRUNCATED_L3;
  if (l3 + 20 > segLen) return DROP_SPLIT_HEADER;
  const a = off + l3;
  const vihl = u8[a];
  if (vihl >> 4 !== 4) return DROP_BAD_VERSION;
  const hl = (vihl & 0x0f) << 2;
  if (hl < 20) return DROP_BAD_IHL;
  if (l3 + hl > pktLen) return DROP_TRUNCATED_L3;
  if (l3 + hl > segLen) return DROP_SPLIT_HEADER;
  const total = (u8[a + 2] << 8) | u8[a + 3];
  if (total < hl || l3 + total > pktLen) return DROP_BAD_LENGTH;
  const fragWord = (u8[a + 6] << 8) | u8[a + 7];
  // Fragment offset (13 bits) and More Fragments (0x2000).
  const frag = (fragWord & 0x1fff) !== 0 ? 2 : (fragWord & 0x2000) !== 0 ? 1 : 0;
  const proto = u8[a + 9];
  r[P_IP_VERSION] = 4;
  r[P_L3_LEN] = hl;
  r[P_L3_END] = l3 + total;
  r[P_L4_PROTO] = proto;
  r[P_FRAG] = frag;
  if (frag === 2) return FORWARD;
  return parseL4(u8, off, l3 + hl, l3 + total, segLen, proto, frag, r);
}

/**
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} l3
 * @param {number} segLen
 * @param {number} pktLen
 * @param {Int32Array} r
 */
function parseIpv6(u8, off, l3, segLen, pktLen, r) {
  if (l3 + 40 > pktLen) return DROP_TRUNCATED_L3;
  if (l3 + 40 > segLen) return DROP_SPLIT_HEADER;
  const a = off + l3;
  if (u8[a] >> 4 !== 6) return DROP_BAD_VERSION;
  const end = l3 + 40 + ((u8[a + 4] << 8) | u8[a + 5]);
  if (end > pktLen) return DROP_BAD_LENGTH;
  let nh = u8[a + 6];
  let p = l3 + 40;
  let n = 0;
  let frag = 0;
  for (;;) {
    let len;
    if (nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_DSTOPTS || nh === IPPROTO_AH) {
      // RFC 8200 4.1: hop-by-hop options only right after the IPv6 header.
      if (nh === IPPROTO_HOPOPTS && n !== 0) return DROP_BAD_EXT;
      if (p + 2 > end) return DROP_TRUNCATED_EXT;
      if (p + 2 > segLen) return DROP_SPLIT_HEADER;
      // Length in 8-byte units not counting the first 8; AH (RFC 4302) in 4-byte units not counting the first 8.
      len = nh === IPPROTO_AH ? (u8[off + p + 1] + 2) << 2 : (u8[off + p + 1] + 1) << 3;
    } else if (nh === IPPROTO_FRAGMENT) {
      len = 8;
      if (p + 8 > end) return DROP_TRUNCATED_EXT;
      if (p + 8 > segLen) return DROP_SPLIT_HEADER;
      const fo = (u8[off + p + 2] << 8) | u8[off + p + 3];
      if (fo >>> 3 !== 0) frag = 2;
      else if ((fo & 1) !== 0 && frag === 0) frag = 1;
    } else {
      break;
    }
    if (n === MAX_EXT_HEADERS) return DROP_BAD_EXT;
    if (p + len > end) return DROP_TRUNCATED_EXT;
    nh = u8[off + p];
    p += len;
    n++;
  }
  r[P_IP_VERSION] = 6;
  r[P_L3_LEN] = p - l3;
  r[P_L3_END] = end;
  r[P_L4_PROTO] = nh;
  r[P_FRAG] = frag;
  r[P_EXT_HEADERS] = n;
  if (frag === 2) return FORWARD;
  return parseL4(u8, off, p, end, segLen, nh, frag, r);
}

/**
 * TCP and UDP headers must lie within the IP payload; other protocols are
 * not looked at. A first fragment carries the L4 header but not the whole
 * datagram, so UDP's length is checked against the payload only on
 * unfragmented packets.
 *
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} l4
 * @param {number} end
 * @param {number} segLen
 * @param {number} proto
 * @param {number} frag
 * @param {Int32Array} r
 */
function parseL4(u8, off, l4, end, segLen, proto, frag, r) {
  if (proto === IPPROTO_TCP) {
    if (l4 + 20 > end) return DROP_TRUNCATED_L4;
    if (l4 + 20 > segLen) return DROP_SPLIT_HEADER;
    const doff = u8[off + l4 + 12] >> 4;
    if (doff < 5 || l4 + (doff << 2) > end) return DROP_BAD_L4;
    r[P_L4_OFF] = l4;
  } else if (proto === IPPROTO_UDP) {
    if (l4 + 8 > end) return DROP_TRUNCATED_L4;
    if (l4 + 8 > segLen) return DROP_SPLIT_HEADER;
    // A first fragment holds only part of the datagram its UDP length counts.
    const ulen = (u8[off + l4 + 4] << 8) | u8[off + l4 + 5];
    if (ulen < 8 || (frag === 0 && l4 + ulen > end)) return DROP_BAD_L4;
    r[P_L4_OFF] = l4;
  }
  return FORWARD;
}

/**
 * Ones' complement sum of `len` bytes at `u8[at]` (big-endian 16-bit words,
 * an odd last byte padded with zero), folded to 16 bits.
 *
 * @param {Uint8Array} u8
 * @param {number} at
 * @param {number} len
 * @returns {number}
 */
export function onesSum(u8, at, len) {
  let s = 0;
  const last = at + (len & ~1);
  for (let i = at; i < last; i += 2) s += (u8[i] << 8) | u8[i + 1];
  if ((len & 1) !== 0) s += u8[last] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * The IPv4 header checksum of the `hl`-byte header at `u8[at]`, computed
 * from scratch (the checksum field counted as zero).
 *
 * @param {Uint8Array} u8
 * @param {number} at
 * @param {number} hl
 * @returns {number}
 */
export function ipv4Checksum(u8, at, hl) {
  let s = onesSum(u8, at, hl) + (~((u8[at + 10] << 8) | u8[at + 11]) & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * RFC 1624 eqn. 3: the checksum after one 16-bit word of the header
 * changed from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m'). Unlike
 * RFC 1141's form it never turns a checksum into 0xffff where a full
 * recompute gives 0x0000 (see the tests).
 *
 * @param {number} check
 * @param {number} oldWord
 * @param {number} newWord
 * @returns {number}
 */
export function checksumUpdate16(check, oldWord, newWord) {
  let s = (~check & 0xffff) + (~oldWord & 0xffff) + newWord;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * @typedef {object} Fib
 * @property {(addr: number) => number} lookup4  next hop (port) of an IPv4 address (32 bits, signed or unsigned), -1 without a route
 * @property {(u8: Uint8Array, at: number) => number} lookup6  next hop of the IPv6 address at u8[at..at+16), -1 without a route
 */

/**
 * Forwards a parsed IP packet in place: verifies the IPv4 header checksum,
 * drops at TTL / hop limit 1 or 0, looks up the output port, decrements the
 * TTL (updating the checksum) or hop limit, and rewrites the MACs from
 * `macs` (12 bytes per port: destination then source). Returns the port,
 * or minus a drop reason. Call only after parse() returned FORWARD.
 *
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {Int32Array} r  the parse result
 * @param {Fib} fib
 * @param {Uint8Array} macs
 * @returns {number}
 */
export function forward(u8, off, r, fib, macs) {
  const a = off + r[P_L3_OFF];
  let port;
  if (r[P_IP_VERSION] === 4) {
    const hl = r[P_L3_LEN];
    if (onesSum(u8, a, hl) !== 0xffff) return -DROP_BAD_CHECKSUM;
    const ttl = u8[a + 8];
    if (ttl <= 1) return -DROP_TTL_EXCEEDED;
    // Signed int32: an unsigned address above 2**31 would be a heap number
    // (an allocation) whenever the call is not inlined.
    port = fib.lookup4((u8[a + 16] << 24) | (u8[a + 17] << 16) | (u8[a + 18] << 8) | u8[a + 19]);
    if (port < 0) return -DROP_NO_ROUTE;
    const proto = u8[a + 9];
    const check = checksumUpdate16((u8[a + 10] << 8) | u8[a + 11], (ttl << 8) | proto, ((ttl - 1) << 8) | proto);
    u8[a + 8] = ttl - 1;
    u8[a + 10] = check >>> 8;
    u8[a + 11] = check & 0xff;
  } else {
    const hlim = u8[a + 7];
    if (hlim <= 1) return -DROP_TTL_EXCEEDED;
    port = fib.lookup6(u8, a + 24);
    if (port < 0) return -DROP_NO_ROUTE;
    u8[a + 7] = hlim - 1;
  }
  const m = port * 12;
  for (let i = 0; i < 12; i++) u8[off + i] = macs[m + i];
  return port;
}

/**
 * parse() then forward(): the port, or minus a drop reason.
 *
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} segLen
 * @param {number} pktLen
 * @param {Int32Array} r
 * @param {Fib} fib
 * @param {Uint8Array} macs
 * @returns {number}
 */
export function processPacket(u8, off, segLen, pktLen, r, fib, macs) {
  const v = parse(u8, off, segLen, pktLen, r);
  if (v !== FORWARD) return -v;
  return forward(u8, off, r, fib, macs);
}

/* murmur3's mixing steps: cheap, and spread well enough for a RETA. */
/**
 * @param {number} h
 * @param {number} k
 */
function mix(h, k) {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** @param {number} h */
function fmix(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // Signed: an int32 is a small integer to V8, an unsigned value above
  // 2**31 would be boxed into a heap number on every call.
  return h | 0;
}

/**
 * @param {Uint8Array} u8
 * @param {number} at
 */
function be32(u8, at) {
  return (u8[at] << 24) | (u8[at + 1] << 16) | (u8[at + 2] << 8) | u8[at + 3];
}

/**
 * The RX flow hash, as a NIC's RSS would compute it: over source and
 * destination address, protocol and (for TCP and UDP, unfragmented)
 * ports; over the addresses only for IPv4 fragments and IPv6 packets with
 * extension headers, so that all packets of a flow get one hash. Non-IP
 * and truncated frames hash their ethertype. Reads only `len` bytes,
 * never throws.
 *
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} len
 * @returns {number} the 32-bit hash as a signed int32 (mbuf.setHash stores
 *   it as is; `>>> 0` gives the unsigned value)
 */
export function rssHash(u8, off, len) {
  if (len < ETH_HLEN) return 0;
  let l3 = ETH_HLEN;
  let type = (u8[off + 12] << 8) | u8[off + 13];
  for (let v = 0; v < MAX_VLAN_TAGS && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD); v++) {
    if (l3 + 4 > len) return fmix(type);
    type = (u8[off + l3 + 2] << 8) | u8[off + l3 + 3];
    l3 += 4;
  }
  const a = off + l3;
  let h = 0x2545f491;
  if (type === ETHERTYPE_IPV4 && l3 + 20 <= len) {
    const proto = u8[a + 9];
    h = mix(mix(mix(h, be32(u8, a + 12)), be32(u8, a + 16)), proto);
    const hl = (u8[a] & 0x0f) << 2;
    const unfragmented = (((u8[a + 6] << 8) | u8[a + 7]) & 0x3fff) === 0;
    if (unfragmented && hl >= 20 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && l3 + hl + 4 <= len) h = mix(h, be32(u8, a + hl));
    return fmix(h);
  }
  if (type === ETHERTYPE_IPV6 && l3 + 40 <= len) {
    const nh = u8[a + 6];
    for (let i = 8; i < 40; i += 4) h = mix(h, be32(u8, a + i));
    h = mix(h, nh);
    if ((nh === IPPROTO_TCP || nh === IPPROTO_UDP) && l3 + 44 <= len) h = mix(h, be32(u8, a + 40));
    return fmix(h);
  }
  return fmix(mix(h, type));
}
