// @ts-check
/**
 * The synthetic traffic generator: a deterministic (seeded) set of
 * `templates` packets over `flows` flows that RX replays in a cycle
 * (packet i is template i % templates). Each template records what a
 * correct router does with it (`expect`: forward, or the drop reason), so
 * tests can check the pipeline against the generator's intent rather than
 * against the parser itself.
 *
 * Mix: IMIX frame sizes 64 / 576 / 1500 in 7:4:1 (a frame too small for its
 * headers grows to fit them); ~70% IPv4, ~30% IPv6; ~60% TCP, ~40% UDP; ~15%
 * of flows VLAN-tagged, ~5% QinQ (802.1ad + 802.1Q); IPv4 options on some
 * flows, IPv6 extension headers (hop-by-hop, routing, fragment, destination
 * options) on some; ~1% TTL / hop limit 1 or 0, ~0.5% not IP (ARP), ~1.5%
 * malformed in one of the ways the parser counts.
 */
import {
  DROP_BAD_CHECKSUM,
  DROP_BAD_EXT,
  DROP_BAD_IHL,
  DROP_BAD_L4,
  DROP_BAD_LENGTH,
  DROP_BAD_VERSION,
  DROP_NOT_IP,
  DROP_TRUNCATED_EXT,
  DROP_TRUNCATED_L2,
  DROP_TRUNCATED_L3,
  DROP_TRUNCATED_L4,
  DROP_TTL_EXCEEDED,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  FORWARD,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4Checksum,
  onesSum,
} from './packet.mjs';

export const GENERATOR_DEFAULTS = Object.freeze({ seed: 1, flows: 4096, templates: 16384 });
/** IMIX: 7 x 64, 4 x 576, 1 x 1500 bytes per 12 packets. */
export const IMIX = Object.freeze([64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500]);

/** Shares of special packets, in parts per 10000. */
const TTL_EXPIRED_PPM = 100;
const NOT_IP_PPM = 50;
const MALFORMED_PPM = 150;

/** mulberry32: a small seeded PRNG, so a seed always gives the same traffic. */
/** @param {number} seed */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {object} Flow
 * @property {4 | 6} ipv
 * @property {number} proto         IPPROTO_TCP or IPPROTO_UDP
 * @property {number[]} tags        VLAN tags, outermost first: [tpid, vid, ...]
 * @property {Uint8Array} src       4 or 16 bytes
 * @property {Uint8Array} dst
 * @property {number} sport
 * @property {number} dport
 * @property {number} ttl
 * @property {Uint8Array} ipOptions  IPv4 options (a multiple of 4 bytes)
 * @property {Uint8Array} ext       IPv6 extension headers, chained, ending with proto
 * @property {number} extFirst      next header value of the IPv6 header
 * @property {number} seq           TCP sequence / UDP counter
 * @property {number} ipId
 * @property {number} mac           low bytes of the host MACs
 */

/**
 * @param {() => number} rnd
 * @param {number} n
 */
function pick(rnd, n) {
  return Math.floor(rnd() * n);
}

/**
 * Destinations spread over the routes of routes.mjs (nested prefixes,
 * default route), IPv4.
 * @param {() => number} rnd
 */
function dst4(rnd) {
  const b = new Uint8Array(4);
  const r = pick(rnd, 8);
  const x = pick(rnd, 256);
  const y = pick(rnd, 256);
  const v = [
    [10, 1, 2, x & 127], // 10.1.2.0/24
    [10, 1, 2, 128 | x], // 10.1.2.128/25
    [10, 1, x, y], // 10.1.0.0/16 (or deeper)
    [10, x, y, 1], // 10.0.0.0/8
    [172, 16 + (x & 15), y, 9], // 172.16.0.0/12
    [192, 168, x, y], // 192.168.0.0/16 (and now and then 192.168.7.7)
    [192, 168, 7, 7],
    [100 + (x & 63), y, x, 7], // default route
  ][r];
  b.set(v);
  return b;
}

/**
 * IPv6 destinations over the routes of routes.mjs.
 * @param {() => number} rnd
 */
function dst6(rnd) {
  const b = new Uint8Array(16);
  const r = pick(rnd, 6);
  const x = pick(rnd, 65536);
  const prefixes = [
    [0x2001, 0x0db8, 0x0001, 0x0002], // /64
    [0x2001, 0x0db8, 0x0001, x], // /48
    [0x2001, 0x0db8, x, 0x0005], // /32
    [0xfd00 | (x & 0xff), 0x0001, 0x0002, 0x0003], // fd00::/8
    [0xfe80, 0, 0, 0], // fe80::/10
    [0x2a00 | (x & 0xff), 0x1450, x, 0x0001], // default route
  ][r];
  prefixes.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  for (let i = 8; i < 16; i++) b[i] = pick(rnd, 256);
  return b;
}

/**
 * IPv6 extension headers (8-byte multiples) ending with `proto`.
 * @param {() => number} rnd
 * @param {number} proto
 * @returns {{ first: number, bytes: Uint8Array }}
 */
function extChain(rnd, proto) {
  const chains = [
    [IPPROTO_HOPOPTS],
    [IPPROTO_HOPOPTS, IPPROTO_DSTOPTS],
    [IPPROTO_ROUTING],
    [IPPROTO_FRAGMENT],
    [IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_DSTOPTS],
  ];
  const chain = chains[pick(rnd, chains.length)];
  /** @type {number[]} */
  const out = [];
  for (let i = 0; i < chain.length; i++) {
    const next = i + 1 < chain.length ? chain[i + 1] : proto;
    const t = chain[i];
    if (t === IPPROTO_HOPOPTS || t === IPPROTO_DSTOPTS) {
      // 8 bytes: next, len 0, PadN option of 4 bytes (type 1, length 4, zeros).
      out.push(next, 0, 1, 4, 0, 0, 0, 0);
    } else if (t === IPPROTO_ROUTING) {
      // Segment routing header (type 4), segments left 0, one segment: 24 bytes.
      out.push(next, 2, 4, 0, 0, 0, 0, 0);
      out.push(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    } else {
      // Fragment header: offset 0, M = 1 (a first fragment), an id.
      out.push(next, 0, 0, 1, 0x12, 0x34, pick(rnd, 256), pick(rnd, 256));
    }
  }
  return { first: chain[0], bytes: Uint8Array.from(out) };
}

/**
 * @param {() => number} rnd
 * @param {number} i
 * @returns {Flow}
 */
function makeFlow(rnd, i) {
  const ipv = rnd() < 0.3 ? 6 : 4;
  const proto = rnd() < 0.6 ? IPPROTO_TCP : IPPROTO_UDP;
  const e = rnd();
  const tags = e < 0.8 ? [] : e < 0.95 ? [ETHERTYPE_VLAN, 1 + pick(rnd, 4094)] : [ETHERTYPE_QINQ, 1 + pick(rnd, 4094), ETHERTYPE_VLAN, 1 + pick(rnd, 4094)];
  let src;
  if (ipv === 4) {
    src = Uint8Array.of(10, 200, (i >> 8) & 255, i & 255);
  } else {
    src = new Uint8Array(16);
    src.set([0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff]);
    src[14] = (i >> 8) & 255;
    src[15] = i & 255;
  }
  /** @type {Uint8Array} */
  let ipOptions = new Uint8Array(0);
  /** @type {Uint8Array} */
  let ext = new Uint8Array(0);
  let extFirst = proto;
  if (ipv === 4 && rnd() < 0.1) {
    // Router Alert (RFC 2113), or NOPs and an End of Options list padded to 8 bytes.
    ipOptions = rnd() < 0.5 ? Uint8Array.of(0x94, 0x04, 0x00, 0x00) : Uint8Array.of(1, 1, 1, 0, 0, 0, 0, 0);
  }
  if (ipv === 6 && rnd() < 0.25) {
    const c = extChain(rnd, proto);
    ext = c.bytes;
    extFirst = c.first;
  }
  const ttls = [64, 64, 128, 255, 30];
  return {
    ipv,
    proto,
    tags,
    src,
    dst: ipv === 4 ? dst4(rnd) : dst6(rnd),
    sport: 49152 + pick(rnd, 16384),
    // No ports whose dissectors would decode the filler payload as a tunnel (DNS 53, VXLAN 4789).
    dport: [80, 443, 5001, 8080, 9000, 49152 + pick(rnd, 16384)][pick(rnd, 6)],
    ttl: ttls[pick(rnd, ttls.length)],
    ipOptions,
    ext,
    extFirst,
    seq: pick(rnd, 0x7fffffff),
    ipId: pick(rnd, 65536),
    mac: i,
  };
}

/**
 * @typedef {object} Traffic
 * @property {number} count
 * @property {Uint8Array} data         every packet, back to back
 * @property {Uint32Array} offsets
 * @property {Uint32Array} lengths
 * @property {Uint8Array} expect       FORWARD (0) or the drop reason a correct router gives
 * @property {Uint16Array} flowOf      the flow of each packet
 * @property {(i: number) => Uint8Array} packet  a view of packet i
 */

/**
 * Builds the templates.
 * @param {{ seed?: number, flows?: number, templates?: number }} [opts]
 * @returns {Traffic}
 */
export function buildTraffic(opts = {}) {
  const seed = opts.seed ?? GENERATOR_DEFAULTS.seed;
  const nFlows = opts.flows ?? GENERATOR_DEFAULTS.flows;
  const count = opts.templates ?? GENERATOR_DEFAULTS.templates;
  if (!Number.isInteger(nFlows) || nFlows < 1 || nFlows > 65536) throw new Error(`flows must be an integer in 1..65536 (got ${nFlows})`);
  if (!Number.isInteger(count) || count < 1 || count > 1 << 20) throw new Error(`templates must be an integer in 1..${1 << 20} (got ${count})`);
  const rnd = prng(seed);
  const flows = Array.from({ length: nFlows }, (_, i) => makeFlow(rnd, i));
  const data = new Uint8Array(count * 1600);
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count);
  const expect = new Uint8Array(count);
  const flowOf = new Uint16Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const f = pick(rnd, nFlows);
    const flow = flows[f];
    const size = IMIX[pick(rnd, IMIX.length)];
    const special = pick(rnd, 10000);
    /** @type {Mode} */
    let mode = 'ok';
    if (special < TTL_EXPIRED_PPM) mode = special < TTL_EXPIRED_PPM / 5 ? 'ttl0' : 'ttl1';
    else if (special < TTL_EXPIRED_PPM + NOT_IP_PPM) mode = 'arp';
    else if (special < TTL_EXPIRED_PPM + NOT_IP_PPM + MALFORMED_PPM) {
      const kinds = flow.ipv === 4 ? MALFORMED_V4 : MALFORMED_V6;
      mode = kinds[pick(rnd, kinds.length)];
    }
    const out = data.subarray(at, at + 1600);
    const r = buildPacket(out, flow, size, mode);
    offsets[i] = at;
    lengths[i] = r.len;
    expect[i] = r.expect;
    flowOf[i] = f;
    at += r.len;
    flow.seq = (flow.seq + r.len) >>> 0;
    flow.ipId = (flow.ipId + 1) & 0xffff;
  }
  const packed = data.slice(0, at);
  return {
    count,
    data: packed,
    offsets,
    lengths,
    expect,
    flowOf,
    packet: (i) => packed.subarray(offsets[i], offsets[i] + lengths[i]),
  };
}

/** @typedef {'ok' | 'ttl1' | 'ttl0' | 'arp' | 'trunc-l2' | 'trunc-vlan' | 'trunc-l3' | 'bad-version' | 'bad-ihl' | 'bad-length' | 'bad-checksum' | 'trunc-l4' | 'bad-l4' | 'trunc-ext' | 'bad-ext'} Mode */

/** @type {Mode[]} */
const MALFORMED_V4 = ['trunc-l2', 'trunc-vlan', 'trunc-l3', 'bad-version', 'bad-ihl', 'bad-length', 'bad-checksum', 'trunc-l4', 'bad-l4'];
/** @type {Mode[]} */
const MALFORMED_V6 = ['trunc-l3', 'bad-version', 'bad-length', 'trunc-ext', 'bad-ext', 'trunc-l4', 'bad-l4'];

/**
 * Writes one packet of `flow` into `b` (at least 1600 bytes).
 * @param {Uint8Array} b
 * @param {Flow} flow
 * @param {number} size  the IMIX frame size
 * @param {Mode} mode
 * @returns {{ len: number, expect: number }}
 */
function buildPacket(b, flow, size, mode) {
  b.fill(0, 0, 1600);
  // Ethernet: destination is the router's port 0, source a host.
  b.set([0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x10, (flow.mac >> 8) & 255, flow.mac & 255], 0);
  let p = 12;
  const tags = mode === 'trunc-vlan' && flow.tags.length === 0 ? [ETHERTYPE_VLAN, 7] : flow.tags;
  for (let t = 0; t < tags.length; t += 2) {
    be16(b, p, tags[t]);
    be16(b, p + 2, tags[t + 1]);
    p += 4;
  }
  if (mode === 'trunc-l2') return { len: 10, expect: DROP_TRUNCATED_L2 };
  // Cut inside the innermost tag: its next ethertype is missing.
  if (mode === 'trunc-vlan') return { len: p - 2, expect: DROP_TRUNCATED_L2 };
  if (mode === 'arp') {
    be16(b, p, 0x0806);
    // An ARP request (htype 1, ptype IPv4, sizes 6 / 4, op 1), padded to 60 bytes.
    b.set([0, 1, 8, 0, 6, 4, 0, 1], p + 2);
    return { len: Math.max(60, p + 2 + 28), expect: DROP_NOT_IP };
  }
  const l3 = p + 2;
  const v4 = flow.ipv === 4;
  be16(b, p, v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
  const hl = v4 ? 20 + flow.ipOptions.length : 40 + flow.ext.length;
  const l4len = flow.proto === IPPROTO_TCP ? 20 : 8;
  const l4 = l3 + hl;
  const len = Math.max(size, l4 + l4len + 4);
  const ttl = mode === 'ttl1' ? 1 : mode === 'ttl0' ? 0 : flow.ttl;
  let ipEnd = len;
  let expect = mode === 'ttl1' || mode === 'ttl0' ? DROP_TTL_EXCEEDED : FORWARD;

  // L4 header and payload (a counter and a pattern), checksummed below.
  be16(b, l4, flow.sport);
  be16(b, l4 + 2, flow.dport);
  if (flow.proto === IPPROTO_TCP) {
    be32(b, l4 + 4, flow.seq);
    be32(b, l4 + 8, 0);
    b[l4 + 12] = 5 << 4;
    b[l4 + 13] = 0x18; // PSH, ACK
    be16(b, l4 + 14, 65535);
  } else {
    be16(b, l4 + 4, len - l4);
  }
  be32(b, l4 + l4len, flow.seq);
  for (let i = l4 + l4len + 4; i < len; i++) b[i] = (i * 7 + flow.mac) & 0xff;

  if (v4) {
    b[l3] = 0x40 | (hl >> 2);
    be16(b, l3 + 2, len - l3);
    be16(b, l3 + 4, flow.ipId);
    be16(b, l3 + 6, 0x4000); // DF
    b[l3 + 8] = ttl;
    b[l3 + 9] = flow.proto;
    b.set(flow.src, l3 + 12);
    b.set(flow.dst, l3 + 16);
    b.set(flow.ipOptions, l3 + 20);
  } else {
    b[l3] = 0x60;
    b[l3 + 1] = 0x0;
    be16(b, l3 + 2, flow.mac & 0xffff); // flow label
    be16(b, l3 + 4, len - l3 - 40);
    b[l3 + 6] = flow.extFirst;
    b[l3 + 7] = ttl;
    b.set(flow.src, l3 + 8);
    b.set(flow.dst, l3 + 24);
    b.set(flow.ext, l3 + 40);
  }
  l4Checksum(b, l3, l4, len, flow);
  if (v4) be16(b, l3 + 10, ipv4Checksum(b, l3, hl));

  // Malformations, applied to the otherwise valid packet; the IPv4 checksum
  // is fixed up after each so that only the intended fault remains.
  switch (mode) {
    case 'trunc-l3':
      ipEnd = l3 + (v4 ? 12 : 30);
      return { len: ipEnd, expect: DROP_TRUNCATED_L3 };
    case 'bad-version':
      b[l3] = v4 ? 0x60 | (hl >> 2) : 0x40;
      expect = DROP_BAD_VERSION;
      break;
    case 'bad-ihl':
      b[l3] = 0x43;
      expect = DROP_BAD_IHL;
      break;
    case 'bad-length':
      if (v4) be16(b, l3 + 2, len - l3 + 50);
      else be16(b, l3 + 4, len - l3 - 40 + 50);
      expect = DROP_BAD_LENGTH;
      break;
    case 'bad-checksum':
      b[l3 + 11] ^= 0x5a;
      return { len, expect: DROP_BAD_CHECKSUM };
    case 'trunc-l4':
      // The IP packet ends 4 bytes into the L4 header; the frame keeps its padding.
      if (v4) be16(b, l3 + 2, hl + 4);
      else be16(b, l3 + 4, hl - 40 + 4);
      expect = DROP_TRUNCATED_L4;
      break;
    case 'bad-l4':
      if (flow.proto === IPPROTO_TCP) b[l4 + 12] = 3 << 4;
      else be16(b, l4 + 4, 4);
      expect = DROP_BAD_L4;
      break;
    case 'trunc-ext':
      // A hop-by-hop header claiming 808 bytes in a payload that has fewer.
      b[l3 + 6] = IPPROTO_HOPOPTS;
      b.copyWithin(l3 + 48, l3 + 40, len - 8);
      b.set([flow.extFirst, 100, 1, 4, 0, 0, 0, 0], l3 + 40);
      be16(b, l3 + 4, Math.min(len - l3 - 40, 700));
      return { len, expect: DROP_TRUNCATED_EXT };
    case 'bad-ext':
      // Destination options, then hop-by-hop (which must come first).
      b[l3 + 6] = IPPROTO_DSTOPTS;
      b.copyWithin(l3 + 56, l3 + 40, len - 16);
      b.set([IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, flow.extFirst, 0, 1, 4, 0, 0, 0, 0], l3 + 40);
      return { len, expect: DROP_BAD_EXT };
    default:
      break;
  }
  if (v4) {
    be16(b, l3 + 10, 0);
    be16(b, l3 + 10, ipv4Checksum(b, l3, hl));
  }
  return { len, expect };
}

/**
 * TCP / UDP checksum over the pseudo-header (RFC 793, RFC 8200 8.1) and
 * the segment from l4 to `end`.
 * @param {Uint8Array} b
 * @param {number} l3
 * @param {number} l4
 * @param {number} end
 * @param {Flow} flow
 */
function l4Checksum(b, l3, l4, end, flow) {
  const at = l4 + (flow.proto === IPPROTO_TCP ? 16 : 6);
  be16(b, at, 0);
  const segLen = end - l4;
  let s = flow.ipv === 4 ? onesSum(b, l3 + 12, 8) : onesSum(b, l3 + 8, 32);
  s += flow.proto + segLen + onesSum(b, l4, segLen);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  let c = ~s & 0xffff;
  if (c === 0 && flow.proto === IPPROTO_UDP) c = 0xffff; // UDP sends a zero sum as all ones
  be16(b, at, c);
}

/**
 * @param {Uint8Array} b
 * @param {number} at
 * @param {number} v
 */
function be16(b, at, v) {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/**
 * @param {Uint8Array} b
 * @param {number} at
 * @param {number} v
 */
function be32(b, at, v) {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
