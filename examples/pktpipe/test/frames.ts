/**
 * Hand-built frames for the parser tests: each helper returns plain bytes,
 * written out field by field, independent of the generator.
 */

export function bytes(...parts: (number[] | Uint8Array)[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

export function eth(type: number, dst = [2, 0, 0, 0, 0, 0], src = [2, 0, 0, 0, 0x10, 1]): number[] {
  return [...dst, ...src, ...be16(type)];
}

/** Ethernet with tags: `tags` as [tpid, vid] pairs, outermost first, then `type`. */
export function ethTagged(tags: [number, number][], type: number): number[] {
  const out = [2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x10, 1];
  for (const [tpid, vid] of tags) out.push(...be16(tpid), ...be16(vid));
  out.push(...be16(type));
  return out;
}

/** Ones' complement checksum of big-endian 16-bit words (reference implementation). */
export function checksum(b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ipv4Opts {
  ttl?: number;
  proto?: number;
  src?: number[];
  dst?: number[];
  options?: number[];
  totalLength?: number; // default: header + payload
  version?: number;
  ihl?: number; // default from options
  fragment?: number; // flags + offset word
  badChecksum?: boolean;
}

export function ipv4(payload: number[] | Uint8Array, o: Ipv4Opts = {}): Uint8Array {
  const options = o.options ?? [];
  const hl = 20 + options.length;
  const h = [
    ((o.version ?? 4) << 4) | (o.ihl ?? hl / 4),
    0,
    ...be16(o.totalLength ?? hl + payload.length),
    0x12,
    0x34,
    ...be16(o.fragment ?? 0x4000),
    o.ttl ?? 64,
    o.proto ?? 17,
    0,
    0,
    ...(o.src ?? [10, 200, 0, 1]),
    ...(o.dst ?? [10, 1, 2, 3]),
    ...options,
  ];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = (c & 0xff) ^ (o.badChecksum ? 0x01 : 0);
  return bytes(h, payload);
}

export interface Ipv6Opts {
  hlim?: number;
  next?: number;
  src?: number[];
  dst?: number[];
  payloadLength?: number;
  version?: number;
}

export function ipv6Addr(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => be16(parseInt(g, 16)));
}

export function ipv6(payload: number[] | Uint8Array, o: Ipv6Opts = {}): Uint8Array {
  const h = [
    (o.version ?? 6) << 4,
    0,
    0,
    0,
    ...be16(o.payloadLength ?? payload.length),
    o.next ?? 17,
    o.hlim ?? 64,
    ...(o.src ?? ipv6Addr('2001:db8:ffff::1')),
    ...(o.dst ?? ipv6Addr('2001:db8:1:2::9')),
  ];
  return bytes(h, payload);
}

/** An extension header of 8 bytes (hop-by-hop, routing, destination options): next, len 0, PadN. */
export function ext8(next: number): number[] {
  return [next, 0, 1, 4, 0, 0, 0, 0];
}

export function fragHdr(next: number, offset: number, more: boolean): number[] {
  return [next, 0, ...be16((offset << 3) | (more ? 1 : 0)), 0, 0, 0, 1];
}

export function udp(payloadLen = 8, len?: number): number[] {
  return [0xc0, 0x00, 0x13, 0x89, ...be16(len ?? 8 + payloadLen), 0, 0, ...Array(payloadLen).fill(0xab)];
}

export function tcp(payloadLen = 8, dataOffset = 5): number[] {
  return [0xc0, 0x01, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, dataOffset << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0, ...Array(payloadLen).fill(0xcd)];
}
