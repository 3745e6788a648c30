/**
 * Helpers of the port tests: frames written out byte by byte, a plain
 * AF_PACKET socket (testkit's fixtures/rawsock.py) to put frames on a link and
 * read them off, and polling a port until packets arrive.
 */
import type { Mbuf, Port } from '../src/index.js';

export { hex, sendFrames, startCapture } from '@rtemem/testkit/netns';

export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => parseInt(h, 16));
}

/** Ones' complement checksum of big-endian 16-bit words. */
export function checksum(b: ArrayLike<number>, from = 0, to = b.length): number {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface FrameOpts {
  dst?: string;
  src?: string;
  /** 802.1Q tags, outermost first: [tpid, tci]. */
  tags?: [number, number][];
  ttl?: number;
  srcIp?: number[];
  dstIp?: number[];
  srcPort?: number;
  dstPort?: number;
  /** Bytes of UDP payload; byte i is (seed + i) & 0xff. */
  payload?: number;
  seed?: number;
}

/** An Ethernet / IPv4 / UDP frame with valid IPv4 and UDP checksums. */
export function udpFrame(o: FrameOpts = {}): Uint8Array {
  const payload = Array.from({ length: o.payload ?? 18 }, (_, i) => ((o.seed ?? 0) + i) & 0xff);
  const src = o.srcIp ?? [10, 9, 0, 1];
  const dst = o.dstIp ?? [10, 9, 1, 1];
  const udpLen = 8 + payload.length;
  const udp = [...be16(o.srcPort ?? 4000), ...be16(o.dstPort ?? 5000), ...be16(udpLen), 0, 0, ...payload];
  const pseudo = [...src, ...dst, 0, 17, ...be16(udpLen), ...udp];
  const uc = checksum(pseudo) || 0xffff;
  udp[6] = uc >> 8;
  udp[7] = uc & 0xff;
  const ip = [0x45, 0, ...be16(20 + udpLen), 0, 1, 0x40, 0, o.ttl ?? 64, 17, 0, 0, ...src, ...dst];
  const ic = checksum(ip);
  ip[10] = ic >> 8;
  ip[11] = ic & 0xff;
  const l2 = [...macBytes(o.dst ?? 'ff:ff:ff:ff:ff:ff'), ...macBytes(o.src ?? '02:00:00:00:99:01')];
  for (const [tpid, tci] of o.tags ?? []) l2.push(...be16(tpid), ...be16(tci));
  l2.push(0x08, 0x00);
  return Uint8Array.from([...l2, ...ip, ...udp]);
}

/**
 * Bursts on RX queue `q` until `n` packets came, or `ms` passed, or (once
 * some came) none came for `quietMs`; returns the mbufs.
 */
export async function receive(port: Port, q: number, n: number, ms = 3000, quietMs = 1000): Promise<number[]> {
  const got: number[] = [];
  const burst = new Float64Array(32);
  const until = Date.now() + ms;
  let last = Date.now();
  while (got.length < n && Date.now() < until && (got.length === 0 || Date.now() - last < quietMs)) {
    const k = port.rxBurst(q, burst, Math.min(32, n - got.length));
    for (let i = 0; i < k; i++) got.push(burst[i]!);
    if (k > 0) last = Date.now();
    else await new Promise((r) => setTimeout(r, 2));
  }
  return got;
}

/** Every byte of a packet (all segments), copied out. */
export function packetBytes(mb: Mbuf, m: number): Uint8Array {
  const out = new Uint8Array(mb.pktLen(m));
  let at = 0;
  for (let s = m; s !== 0; s = mb.next(s)) {
    out.set(mb.data(s), at);
    at += mb.dataLen(s);
  }
  return out;
}
