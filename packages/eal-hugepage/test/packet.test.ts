/**
 * The packet service on its own: interfaceInfo, and queues on a veth pair
 * made here (root only; skipped otherwise, saying why): one end sends with
 * a TX queue, the other receives into buffers of the EAL's memory. Bad
 * input (areas, posted addresses, descriptors) is refused or dropped and
 * counted, never dereferenced.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Eal,
  interfaceInfo,
  nativeAvailable,
  PacketQueue,
  PKT_Q_BUF_CAP,
  PKT_Q_BUF_OFFSET,
  PKT_Q_CAPACITY,
  PKT_Q_ERRORS,
  PKT_Q_MAX_FRAME,
  PKT_Q_MAX_SEGS,
  PKT_Q_POSTED,
  PKT_Q_USED,
  PKT_TX_EOP,
  PKT_TX_ERR,
  pktAreaOffsets,
  pktAreaSize,
} from '../src/index.js';

const required = process.env.RTEMEM_REQUIRE_HUGEPAGES === '1';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

function sh(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

describe.skipIf(!nativeAvailable() && !required)('interfaceInfo', () => {
  it('reads the loopback interface without privilege; ENODEV and EINVAL for bad names', () => {
    const lo = interfaceInfo('lo');
    expect(lo).toMatchObject({ ifname: 'lo', up: true, ethernet: false, mac: '00:00:00:00:00:00' });
    expect(lo.ifindex).toBeGreaterThan(0);
    expect(lo.mtu).toBeGreaterThan(1500);
    expect(codeOf(() => interfaceInfo('rtp-nothing'))).toBe('ENODEV');
    expect(codeOf(() => interfaceInfo(''))).toBe('EINVAL');
    expect(codeOf(() => interfaceInfo('a/b'))).toBe('EINVAL');
    expect(codeOf(() => interfaceInfo('x'.repeat(16)))).toBe('EINVAL');
    expect(codeOf(() => interfaceInfo(7 as never))).toBe('EINVAL');
  });
});

const runQueues = nativeAvailable() && isRoot;
const title = runQueues ? 'packet queues on a veth pair' : `packet queues on a veth pair [skipped: ${nativeAvailable() ? 'not root: veth pairs and packet sockets need root' : 'native addon not loaded'}]`;

describe.skipIf(!runQueues && !required)(title, () => {
  // Named as the testkit's (rtp<pid>x...), so a later run removes them if this one dies.
  const a = `rtp${process.pid.toString(36)}xqa`;
  const b = `rtp${process.pid.toString(36)}xqb`;
  let eal: Eal;
  const CAP = 64;
  const BUF = 2048;

  beforeAll(() => {
    sh('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    for (const d of [a, b]) {
      spawnSync('sysctl', ['-qw', `net.ipv6.conf.${d}.disable_ipv6=1`]);
      sh('link', 'set', d, 'up');
    }
    eal = Eal.init({ backend: 'sab', memory: 8 << 20 });
  });
  afterAll(() => {
    eal?.cleanup();
    spawnSync('ip', ['link', 'del', a]);
  });

  // The list, and where things go in it: RX area at 0, TX area after it, buffers from 1 MiB.
  const list = () => eal.lists[0]!;
  const rxArea = 0;
  const txArea = pktAreaSize(CAP) + 64;
  const bufAt = (i: number) => list().baseAddr + (1 << 20) + i * BUF;

  function post(n: number, first = 0): void {
    const l = list();
    const o = pktAreaOffsets(CAP);
    l.u32[(rxArea + PKT_Q_CAPACITY) >> 2] = CAP;
    l.u32[(rxArea + PKT_Q_BUF_OFFSET) >> 2] = 0;
    l.u32[(rxArea + PKT_Q_BUF_CAP) >> 2] = BUF;
    l.u32[(rxArea + PKT_Q_MAX_SEGS) >> 2] = 4;
    l.u32[(rxArea + PKT_Q_MAX_FRAME) >> 2] = 1518;
    for (let i = 0; i < n; i++) l.f64[(rxArea + o.posted) / 8 + i] = bufAt(first + i);
    l.u32[(rxArea + PKT_Q_POSTED) >> 2] = n;
  }

  /** Writes TX descriptors of frames of `lens` bytes (byte j = seed + i + j); `bad` ones point nowhere. */
  function describe_(lens: number[], seed: number, bad: number[] = []): void {
    const l = list();
    const o = pktAreaOffsets(CAP);
    lens.forEach((len, i) => {
      const at = bufAt(32 + i) - l.baseAddr;
      l.u8.fill(0xff, at, at + 6); // broadcast
      for (let j = 6; j < len; j++) l.u8[at + j] = (seed + i + j) & 0xff;
      l.u8[at + 12] = 0x88; // an ethertype nobody handles
      l.u8[at + 13] = 0xb5;
      const e = txArea + o.entries + 16 * i;
      l.f64[e >> 3] = bad.includes(i) ? 12345 : bufAt(32 + i);
      l.u32[(e + 8) >> 2] = len;
      l.u32[(e + 12) >> 2] = PKT_TX_EOP;
    });
  }

  /** describe_, then send them with a TX queue on b; returns what tx() took. */
  function send(tx: PacketQueue, lens: number[], seed: number, bad: number[] = []): number {
    describe_(lens, seed, bad);
    return tx.tx(lens.length);
  }

  interface Frame {
    len: number;
    segs: number;
    /** Byte 20 of the frame, as the buffer it landed in holds it. */
    byte20: number;
  }

  /**
   * Receives until `want` frames came (or 2 s passed), over as many rx()
   * calls as the kernel needs: the softirq may hand a packet socket the
   * frames of one send in more than one batch. Returns each frame as the
   * call that took it described it.
   */
  async function rxAll(q: PacketQueue, want: number): Promise<Frame[]> {
    const l = list();
    const o = pktAreaOffsets(CAP);
    const got: Frame[] = [];
    for (let t = 0; t < 400 && got.length < want; t++) {
      const n = q.rx(CAP);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(l.u32[(rxArea + PKT_Q_USED) >> 2]).toBe(n);
      for (let i = 0; i < n; i++) {
        const e = (rxArea + o.entries + 16 * i) >> 2;
        const buf = l.f64[(rxArea + o.used) / 8 + i]! - l.baseAddr;
        got.push({ len: l.u32[e]!, segs: l.u32[e + 1]!, byte20: l.u8[buf + 20]! });
      }
      if (got.length < want) await new Promise((r) => setTimeout(r, 5));
    }
    return got;
  }

  it.each(['ring', 'mmsg'] as const)('%s: frames sent by a TX queue land in the posted buffers; bad posted addresses are dropped, not written', async (mode) => {
    const rx = PacketQueue.open(eal, { key: `rx-${mode}`, ifname: a, kind: 'rx', mode, capacity: CAP, area: { buffer: list().sab, byteOffset: rxArea } });
    const tx = PacketQueue.open(eal, { key: `tx-${mode}`, ifname: b, kind: 'tx', capacity: CAP, area: { buffer: list().sab, byteOffset: txArea } });
    try {
      post(8);
      expect(send(tx, [60, 200, 1500], 1)).toBe(3);
      expect(list().u32[(txArea + PKT_Q_ERRORS) >> 2]).toBe(0);
      const frames = await rxAll(rx, 3);
      const l = list();
      const o = pktAreaOffsets(CAP);
      expect(frames).toEqual([60, 200, 1500].map((len, i) => ({ len, segs: 1, byte20: (1 + i + 20) & 0xff })));
      expect(l.u32[(rxArea + PKT_Q_POSTED) >> 2]).toBe(5);
      // A posted address outside every list: the packet is dropped and counted, the stack unchanged.
      post(1);
      l.f64[(rxArea + o.posted) / 8] = 7 * 2 ** 30 + 64;
      expect(send(tx, [100], 9)).toBe(1);
      // Until the frame came and was counted as an error (rx takes it and writes nothing).
      let taken = 0;
      for (let t = 0; t < 400 && l.u32[(rxArea + PKT_Q_ERRORS) >> 2] === 0; t++) {
        taken += rx.rx(CAP);
        if (l.u32[(rxArea + PKT_Q_ERRORS) >> 2] === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(taken).toBe(0);
      expect(l.u32[(rxArea + PKT_Q_ERRORS) >> 2]).toBe(1);
      expect(l.u32[(rxArea + PKT_Q_POSTED) >> 2]).toBe(1);
      expect(l.f64[(rxArea + o.posted) / 8]).toBe(7 * 2 ** 30 + 64);
      // More posted than the area holds: refused.
      l.u32[(rxArea + PKT_Q_POSTED) >> 2] = CAP + 1;
      expect(rx.rx(CAP)).toBe(-22);
      l.u32[(rxArea + PKT_Q_POSTED) >> 2] = 0;
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('TX: a descriptor outside the lists drops its packet (marked, counted, taken); a packet without its end is not taken', async () => {
    const tx = PacketQueue.open(eal, { key: 'tx-bad', ifname: b, kind: 'tx', capacity: CAP, area: { buffer: list().sab, byteOffset: txArea } });
    const rx = PacketQueue.open(eal, { key: 'rx-bad', ifname: a, kind: 'rx', capacity: CAP, area: { buffer: list().sab, byteOffset: rxArea } });
    try {
      post(8);
      const l = list();
      const o = pktAreaOffsets(CAP);
      expect(send(tx, [80, 80, 80], 3, [1])).toBe(3);
      expect(l.u32[(txArea + PKT_Q_ERRORS) >> 2]).toBe(1);
      expect(l.u32[(txArea + o.entries + 16 + 12) >> 2]).toBe(PKT_TX_EOP | PKT_TX_ERR);
      expect(await rxAll(rx, 2)).toHaveLength(2);
      // The last descriptor without end of packet: only the first packet goes.
      describe_([80, 80], 4);
      l.u32[(txArea + o.entries + 16 + 12) >> 2] = 0;
      expect(tx.tx(2)).toBe(1);
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('refuses bad areas and options; one key shares one socket; closeKey closes it under every handle', () => {
    const area = { buffer: list().sab, byteOffset: rxArea };
    const open = (o: object) => codeOf(() => PacketQueue.open(eal, { key: 'k', ifname: a, kind: 'rx', capacity: CAP, area, ...o }));
    expect(open({ area: { buffer: list().sab, byteOffset: list().sab.byteLength - 64 } })).toBe('EINVAL');
    expect(open({ area: { buffer: list().sab, byteOffset: 4 } })).toBe('EINVAL');
    expect(open({ area: { buffer: new ArrayBuffer(4096), byteOffset: 0 } })).toBe('EINVAL');
    expect(open({ capacity: 0 })).toBe('EINVAL');
    expect(open({ kind: 'both' })).toBe('EINVAL');
    expect(open({ mode: 'xdp' })).toBe('EINVAL');
    expect(open({ key: '' })).toBe('EINVAL');
    expect(open({ ifname: 'rtp-nothing' })).toBe('ENODEV');
    const q1 = PacketQueue.open(eal, { key: 'shared', ifname: a, kind: 'rx', capacity: CAP, area });
    const q2 = PacketQueue.open(eal, { key: 'shared', ifname: a, kind: 'rx', capacity: CAP, area });
    expect(q2.handle).toBe(q1.handle);
    expect(q1.close()).toBe(1);
    expect(PacketQueue.closeKey('shared')).toBe(true);
    expect(PacketQueue.closeKey('shared')).toBe(false);
    expect(q2.rx(4)).toBe(-9); // EBADF: never a crash, never another queue
    const q3 = PacketQueue.open(eal, { key: 'shared', ifname: a, kind: 'rx', capacity: CAP, area });
    expect(q2.rx(4)).toBe(-9); // a stale handle does not reach the new queue in its slot
    q3.close();
  });
});
