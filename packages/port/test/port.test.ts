/**
 * Ports on real interfaces: a veth pair made by the test, one end here (the
 * port's), the other in a namespace of its own where a plain AF_PACKET
 * socket (testkit's fixtures/rawsock.py) writes frames and captures what the port
 * sends. Both RX paths ('ring' and 'mmsg') run the same tests.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { codeOf, Peer, skipWithoutNative } from '@rtemem/testkit';
import { describeNetns, sweepStale, TestNet } from '@rtemem/testkit/netns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Eal,
  interfaceInfo,
  LIST_SPAN,
  MBUF_FIELD,
  Mbuf,
  PktmbufPool,
  Port,
  RTE_MBUF_F_EXTERNAL,
  RTE_MBUF_F_INDIRECT,
  RTE_MBUF_F_RX_L4_CKSUM_BAD,
  RTE_MBUF_F_RX_L4_CKSUM_GOOD,
  RTE_MBUF_F_RX_VLAN,
  RTE_MBUF_F_RX_VLAN_STRIPPED,
  RTE_MBUF_F_TX_VLAN,
} from '../src/index.js';
import * as F from '../src/flags.js';
import * as L from '../src/layout.js';
import { hex, packetBytes, receive, sendFrames, startCapture, udpFrame } from './support.js';

const PEER = fileURLToPath(new URL('./fixtures/port-peer.mjs', import.meta.url));
const EPERM = fileURLToPath(new URL('./fixtures/eperm.mjs', import.meta.url));

describe('layout', () => {
  it('mbuf offsets and LIST_SPAN are those of @rtemem/mbuf and @rtemem/eal-hugepage', () => {
    expect(L.M_BUF_ADDR).toBe(MBUF_FIELD.bufAddr);
    expect(L.M_DATA_OFF).toBe(MBUF_FIELD.dataOff);
    expect(L.M_REFCNT).toBe(MBUF_FIELD.refcnt);
    expect(L.M_NB_SEGS).toBe(MBUF_FIELD.nbSegs);
    expect(L.M_PORT).toBe(MBUF_FIELD.port);
    expect(L.M_OL_FLAGS).toBe(MBUF_FIELD.olFlags);
    expect(L.M_OL_FLAGS_HI).toBe(MBUF_FIELD.olFlags + 4);
    expect(L.M_PKT_LEN).toBe(MBUF_FIELD.pktLen);
    expect(L.M_DATA_LEN).toBe(MBUF_FIELD.dataLen);
    expect(L.M_VLAN_TCI).toBe(MBUF_FIELD.vlanTci);
    expect(L.M_NEXT).toBe(MBUF_FIELD.next);
    expect(L.SPAN).toBe(LIST_SPAN);
    expect(L.PORTS_AREA_BYTES).toBe(L.PA_ENTRIES + L.MAX_PORTS * L.PA_ENTRY_BYTES);
  });

  it('offload flags have DPDK 22.11 values; the hot-path bits are those of mbuf\'s RTE_MBUF_F_*', () => {
    expect(RTE_MBUF_F_RX_VLAN).toBe(1n);
    expect(RTE_MBUF_F_RX_VLAN_STRIPPED).toBe(64n);
    expect(RTE_MBUF_F_TX_VLAN).toBe(1n << 57n);
    expect(BigInt(F.LO_RX_VLAN)).toBe(RTE_MBUF_F_RX_VLAN);
    expect(BigInt(F.LO_RX_VLAN_STRIPPED)).toBe(RTE_MBUF_F_RX_VLAN_STRIPPED);
    expect(BigInt(F.LO_RX_L4_CKSUM_BAD)).toBe(RTE_MBUF_F_RX_L4_CKSUM_BAD);
    expect(BigInt(F.LO_RX_L4_CKSUM_GOOD)).toBe(RTE_MBUF_F_RX_L4_CKSUM_GOOD);
    expect(BigInt(F.HI_TX_VLAN) << 32n).toBe(RTE_MBUF_F_TX_VLAN);
    expect(BigInt(F.HI_EXTERNAL) << 32n).toBe(RTE_MBUF_F_EXTERNAL);
    expect(BigInt(F.HI_INDIRECT) << 32n).toBe(RTE_MBUF_F_INDIRECT);
  });
});

describeNetns('Port on a veth pair', () => {
  if (skipWithoutNative) return;
  let net: TestNet;
  let ns: string; // the peer's namespace
  let a: string; // the port's end (here)
  let b: string; // the peer's end (in ns)

  beforeAll(() => {
    sweepStale();
    net = new TestNet();
    ns = net.ns('p');
    a = net.name('a');
    b = net.name('b');
    net.veth(a, null, b, ns);
  });
  afterAll(() => {
    net?.destroy();
    expect(net.gone()).toBe(true);
  });

  describe('opening', () => {
    let eal: Eal;
    let pool: PktmbufPool;
    beforeEach(() => {
      eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
      pool = PktmbufPool.create(eal, 'p', 1023, 32);
    });
    afterEach(() => eal.cleanup());

    it('interfaceInfo gives index, MTU, flags and MAC, as `ip link` does; ENODEV for no such interface', () => {
      const info = interfaceInfo(a);
      const ip = JSON.parse(net.exec(null, 'ip', ['-j', 'link', 'show', a]))[0] as { ifindex: number; mtu: number; address: string };
      expect(info).toMatchObject({ ifname: a, ifindex: ip.ifindex, mtu: ip.mtu, mac: ip.address, up: true, ethernet: true });
      expect(codeOf(() => interfaceInfo('rtp-none0'))).toBe('ENODEV');
      expect(codeOf(() => interfaceInfo('has space'))).toBe('EINVAL');
      expect(codeOf(() => interfaceInfo('x'.repeat(16)))).toBe('EINVAL');
    });

    it('ENODEV for no such interface, EEXIST for a second open, ENETDOWN for a down one, EINVAL for bad options', () => {
      expect(codeOf(() => Port.open(eal, 'rtp-none0', { pool }))).toBe('ENODEV');
      const p = Port.open(eal, a, { pool });
      expect(p.ifname).toBe(a);
      expect(p.macAddr).toBe(interfaceInfo(a).mac);
      expect(p.mtu).toBe(1500);
      expect(codeOf(() => Port.open(eal, a, { pool }))).toBe('EEXIST');
      p.close();
      expect(codeOf(() => Port.open(eal, a, {} as never))).toBe('EINVAL');
      expect(codeOf(() => Port.open(eal, a, { pool, rxQueues: 0 }))).toBe('EINVAL');
      expect(codeOf(() => Port.open(eal, a, { pool, txQueues: 1.5 }))).toBe('EINVAL');
      expect(codeOf(() => Port.open(eal, a, { pool, nbRxDesc: 8 }))).toBe('EINVAL');
      expect(codeOf(() => Port.open(eal, a, { pool, rxMode: 'xdp' as never }))).toBe('EINVAL');
      expect(codeOf(() => Port.open(eal, a, { pool, color: 'red' } as never))).toBe('EINVAL');
      net.exec(null, 'ip', ['link', 'set', a, 'down']);
      try {
        const e = (() => {
          try {
            Port.open(eal, a, { pool });
          } catch (err) {
            return err as Error & { code: string };
          }
          return null;
        })();
        expect(e?.code).toBe('ENETDOWN');
        expect(e?.message).toContain(`ip link set ${a} up`);
      } finally {
        net.exec(null, 'ip', ['link', 'set', a, 'up']);
      }
      // Nothing left behind by the failed opens: the pool is full, the name free.
      expect(pool.mempool.inUseCount()).toBe(0);
      Port.open(eal, a, { pool }).close();
    });

    it('EINVAL when the MTU does not fit the mbufs, unless scatter', () => {
      net.exec(null, 'ip', ['link', 'set', a, 'mtu', '9000']);
      try {
        let msg = '';
        try {
          Port.open(eal, a, { pool });
        } catch (e) {
          msg = (e as Error).message;
          expect((e as { code: string }).code).toBe('EINVAL');
        }
        expect(msg).toMatch(/9018 bytes.*2048.*scatter: true/);
        Port.open(eal, a, { pool, scatter: true }).close();
        const big = PktmbufPool.create(eal, 'big', 63, 0, 0, 9018 + 128);
        Port.open(eal, a, { pool: big }).close();
      } finally {
        net.exec(null, 'ip', ['link', 'set', a, 'mtu', '1500']);
      }
    });

    it('EPERM without CAP_NET_RAW, saying what to do', () => {
      const r = spawnSync(process.execPath, [EPERM, a], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { code: string; message: string };
      expect(out.code).toBe('EPERM');
      expect(out.message).toMatch(/CAP_NET_RAW.*root|root.*CAP_NET_RAW/);
    });

    it('bad burst arguments throw EINVAL; bursts on a closed port return 0', () => {
      const p = Port.open(eal, a, { pool, rxQueues: 2, txQueues: 1 });
      const burst = new Float64Array(8);
      expect(codeOf(() => p.rxBurst(2, burst, 1))).toBe('EINVAL');
      expect(codeOf(() => p.rxBurst(-1, burst, 1))).toBe('EINVAL');
      expect(codeOf(() => p.txBurst(1, burst, 1))).toBe('EINVAL');
      expect(codeOf(() => p.rxBurst(0, burst, 9))).toBe('EINVAL');
      expect(codeOf(() => p.rxBurst(0, burst, 1.5))).toBe('EINVAL');
      expect(codeOf(() => p.rxBurst(0, [1, 2] as never, 1))).toBe('EINVAL');
      expect(p.rxBurst(0, burst, 8)).toBe(0);
      p.close();
      expect(p.rxBurst(0, burst, 8)).toBe(0);
      expect(p.txBurst(0, burst, 8)).toBe(0);
      expect(p.isOpen).toBe(false);
      expect(Port.lookup(eal, a)).toBeNull();
      expect(pool.mempool.inUseCount()).toBe(0);
    });
  });

  describe.each(['ring', 'mmsg'] as const)('RX mode %s', (rxMode) => {
    let eal: Eal;
    let pool: PktmbufPool;
    let mb: Mbuf;
    let port: Port;
    beforeEach(() => {
      eal = Eal.init({ backend: 'anonymous', memory: 64 << 20, filePrefix: `t${process.pid}_port_${rxMode}` });
      pool = PktmbufPool.create(eal, 'p', 2047, 32);
      mb = Mbuf.of(eal);
      port = Port.open(eal, a, { pool, rxMode });
      port.rxQueueStart(0);
    });
    afterEach(() => {
      try {
        port.close();
        // Every mbuf back, the posted ones included.
        expect(pool.mempool.inUseCount()).toBe(0);
      } finally {
        eal.cleanup();
      }
    });

    it('receives frames byte for byte into mbufs, with lengths, port and counters', async () => {
      const frames = Array.from({ length: 100 }, (_, i) => udpFrame({ payload: 18 + i * 13, seed: i }));
      sendFrames(net, ns, b, frames);
      const ms = await receive(port, 0, 100);
      expect(ms.length).toBe(100);
      ms.forEach((m, i) => {
        expect(mb.pktLen(m)).toBe(frames[i]!.length);
        expect(mb.dataLen(m)).toBe(frames[i]!.length);
        expect(mb.nbSegs(m)).toBe(1);
        expect(mb.port(m)).toBe(port.id);
        expect(mb.olFlags(m)).toBe(0n);
        expect(hex(packetBytes(mb, m))).toBe(hex(frames[i]!));
        mb.sanityCheck(m, true);
      });
      mb.freeBulk(ms, ms.length);
      const s = port.stats();
      expect(s.ipackets).toBe(100);
      expect(s.ibytes).toBe(frames.reduce((x, f) => x + f.length, 0));
      expect(s.queues[0]!.ipackets).toBe(100);
      expect(s.ierrors + s.imissed + s.rxNombuf).toBe(0);
      port.statsReset();
      expect(port.stats().ipackets).toBe(0);
    });

    // The kernel counts promiscuous memberships; `ip -d link` shows the count.
    const promiscuity = () => (JSON.parse(net.exec(null, 'ip', ['-d', '-j', 'link', 'show', a]))[0] as { promiscuity: number }).promiscuity;

    it('takes frames for other MACs only when promiscuous', async () => {
      const other = udpFrame({ dst: '02:00:00:00:77:77', seed: 1 });
      const mine = udpFrame({ dst: port.macAddr, seed: 2 });
      sendFrames(net, ns, b, [other, mine]);
      const first = await receive(port, 0, 2, 500);
      expect(first.map((m) => mb.data(m)[42])).toEqual([2]);
      mb.freeBulk(first, first.length);
      expect(port.promiscuousGet()).toBe(false);
      port.promiscuous(true);
      expect(port.promiscuousGet()).toBe(true);
      expect(promiscuity()).toBe(1);
      sendFrames(net, ns, b, [other, mine]);
      const second = await receive(port, 0, 2);
      expect(second.map((m) => mb.data(m)[42])).toEqual([1, 2]);
      mb.freeBulk(second, second.length);
      port.promiscuous(false);
      expect(promiscuity()).toBe(0);
      // Back to filtering: another host's frame is dropped again.
      sendFrames(net, ns, b, [other, mine]);
      const third = await receive(port, 0, 2, 500);
      expect(third.map((m) => mb.data(m)[42])).toEqual([2]);
      mb.freeBulk(third, third.length);
    });

    it('VLAN tags go to vlan_tci with RX_VLAN | RX_VLAN_STRIPPED; the data keeps no tag', async () => {
      const tagged = udpFrame({ tags: [[0x8100, 0x2064]], seed: 7 });
      const plain = udpFrame({ seed: 7 });
      sendFrames(net, ns, b, [tagged]);
      const [m] = await receive(port, 0, 1);
      expect(m).toBeDefined();
      expect(mb.vlanTci(m!)).toBe(0x2064);
      expect(mb.olFlags(m!)).toBe(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
      expect(hex(packetBytes(mb, m!))).toBe(hex(plain));
      mb.free(m!);
    });

    it('sends mbufs (chains and VLAN inserts too) that the peer captures byte for byte; frees them', async () => {
      port.txQueueStart(0);
      const frames = Array.from({ length: 40 }, (_, i) => udpFrame({ payload: 30 + i * 31, seed: 100 + i }));
      const capture = await startCapture(net, ns, b, 42);
      const burst = new Float64Array(42);
      frames.forEach((f, i) => {
        const m = pool.alloc();
        if (i % 5 === 4 && f.length > 200) {
          // A chain of two segments.
          mb.append(m, 100);
          mb.write(m, 0, f.subarray(0, 100));
          const m2 = pool.alloc();
          mb.append(m2, f.length - 100);
          mb.write(m2, 0, f.subarray(100));
          expect(mb.chain(m, m2)).toBe(0);
        } else {
          mb.append(m, f.length);
          mb.write(m, 0, f);
        }
        burst[i] = m;
      });
      // Two more that ask for a VLAN tag on the way out.
      const untagged = udpFrame({ seed: 200 });
      for (let i = 40; i < 42; i++) {
        const m = pool.alloc();
        mb.append(m, untagged.length);
        mb.write(m, 0, untagged);
        mb.setVlanTci(m, 0x0123 + i);
        mb.setOlFlags(m, RTE_MBUF_F_TX_VLAN);
        burst[i] = m;
      }
      const inUse = pool.mempool.inUseCount();
      const segments = Array.from(burst).reduce((x, m) => x + mb.nbSegs(m), 0);
      expect(segments).toBeGreaterThan(42);
      let sent = 0;
      for (let tries = 0; sent < 42 && tries < 100; tries++) sent += port.txBurst(0, burst.subarray(sent), 42 - sent);
      expect(sent).toBe(42);
      expect(pool.mempool.inUseCount()).toBe(inUse - segments);
      const got = await capture();
      expect(got.length).toBe(42);
      got.slice(0, 40).forEach((g, i) => expect(hex(g)).toBe(hex(frames[i]!)));
      for (let i = 40; i < 42; i++) {
        const want = udpFrame({ tags: [[0x8100, 0x0123 + i]], seed: 200 });
        expect(hex(got[i]!)).toBe(hex(want));
      }
      const s = port.stats();
      expect(s.opackets).toBe(42);
      expect(s.obytes).toBe(frames.reduce((x, f) => x + f.length, 0) + 2 * (untagged.length + 4));
      expect(s.oerrors).toBe(0);
    });

    it('drops a packet the link refuses (longer than the MTU), counts it in oerrors and frees it', async () => {
      port.txQueueStart(0);
      const capture = await startCapture(net, ns, b, 2, 5);
      const ok1 = udpFrame({ seed: 1 });
      const long = udpFrame({ payload: 1600, seed: 2 }); // over 1514 bytes
      const ok2 = udpFrame({ seed: 3 });
      const burst = new Float64Array(3);
      [ok1, long, ok2].forEach((f, i) => {
        const m = pool.alloc();
        // The long one as a chain: it fits the mbufs, not the link.
        if (f.length > 2000) {
          mb.append(m, 1000);
          mb.write(m, 0, f.subarray(0, 1000));
          const t = pool.alloc();
          mb.append(t, f.length - 1000);
          mb.write(t, 0, f.subarray(1000));
          mb.chain(m, t);
        } else {
          mb.append(m, f.length);
          mb.write(m, 0, f);
        }
        burst[i] = m;
      });
      expect(port.txBurst(0, burst, 3)).toBe(3);
      const got = await capture();
      expect(got.map(hex)).toEqual([hex(ok1), hex(ok2)]);
      const s = port.stats();
      expect(s.opackets).toBe(2);
      expect(s.oerrors).toBe(1);
      expect(s.obytes).toBe(ok1.length + ok2.length);
    });

    it('counts imissed when nobody polls and the queue overflows', async () => {
      // The kernel may also drop some before the socket (its per-CPU
      // backlog): those are the interface's own rx_dropped, not ours.
      const kernelDropped = () => (JSON.parse(net.exec(null, 'ip', ['-s', '-j', 'link', 'show', a]))[0] as { stats64: { rx: { dropped: number } } }).stats64.rx.dropped;
      const before = kernelDropped();
      const frames = Array.from({ length: 20000 }, (_, i) => udpFrame({ payload: 1400, seed: i }));
      sendFrames(net, ns, b, frames);
      // Everything the queue kept is there (freed as it comes: more than
      // the pool holds); the rest was counted as missed.
      let got = 0;
      const burst = new Float64Array(32);
      for (let idle = 0; idle < 200; ) {
        const n = port.rxBurst(0, burst, 32);
        if (n === 0) {
          idle++;
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        mb.freeBulk(burst, n);
        got += n;
      }
      const s = port.stats();
      expect(s.imissed).toBeGreaterThan(0);
      expect(s.ipackets).toBe(got);
      expect(s.ipackets + s.imissed + (kernelDropped() - before)).toBe(20000);
    });
  });

  describe('long packets and VLAN tags kept in the data', () => {
    let eal: Eal;
    let pool: PktmbufPool;
    let mb: Mbuf;
    beforeAll(() => {
      net.exec(null, 'ip', ['link', 'set', a, 'mtu', '9000']);
      net.exec(ns, 'ip', ['link', 'set', b, 'mtu', '9000']);
    });
    afterAll(() => {
      net.exec(null, 'ip', ['link', 'set', a, 'mtu', '1500']);
      net.exec(ns, 'ip', ['link', 'set', b, 'mtu', '1500']);
    });
    beforeEach(() => {
      // sab: a pool of 9 KiB mbufs needs no run of 4 KiB pages.
      eal = Eal.init({ backend: 'sab', memory: 64 << 20 });
      pool = PktmbufPool.create(eal, 'p', 2047, 32);
      mb = Mbuf.of(eal);
    });
    afterEach(() => {
      try {
        expect(pool.mempool.inUseCount()).toBe(0);
      } finally {
        eal.cleanup();
      }
    });

    it.each(['ring', 'mmsg'] as const)('%s: with scatter, a 9000-byte frame arrives as a chain of 5 mbufs and goes out whole', async (rxMode) => {
      const port = Port.open(eal, a, { pool, scatter: true, rxMode });
      try {
        port.rxQueueStart(0); // its socket exists from here on
        const f = udpFrame({ payload: 9000 - 42, seed: 9 });
        sendFrames(net, ns, b, [f, udpFrame({ seed: 1 })]);
        const [m, small] = await receive(port, 0, 2);
        expect(mb.nbSegs(m!)).toBe(5);
        expect(mb.pktLen(m!)).toBe(9000);
        expect([m!, mb.next(m!), mb.next(mb.next(m!))].map((s) => mb.dataLen(s))).toEqual([2048, 2048, 2048]);
        expect(hex(packetBytes(mb, m!))).toBe(hex(f));
        mb.sanityCheck(m!, true);
        expect(mb.nbSegs(small!)).toBe(1);
        mb.free(small!);
        const capture = await startCapture(net, ns, b, 1);
        expect(port.txBurst(0, Float64Array.of(m!), 1)).toBe(1);
        expect((await capture()).map(hex)).toEqual([hex(f)]);
      } finally {
        port.close();
      }
    });

    it('without scatter (a big enough pool), no chains; with vlanStrip false the tag is put back with its TPID', async () => {
      const big = PktmbufPool.create(eal, 'big', 255, 0, 0, 9018 + 128);
      const port = Port.open(eal, a, { pool: big, vlanStrip: false });
      try {
        port.rxQueueStart(0);
        const qinq = udpFrame({ tags: [[0x88a8, 0x0064], [0x8100, 0x00c8]], payload: 5000, seed: 3 });
        sendFrames(net, ns, b, [qinq]);
        const [m] = await receive(port, 0, 1);
        expect(mb.nbSegs(m!)).toBe(1);
        expect(mb.olFlags(m!)).toBe(RTE_MBUF_F_RX_VLAN);
        expect(mb.vlanTci(m!)).toBe(0x0064);
        expect(hex(packetBytes(mb, m!))).toBe(hex(qinq));
        mb.free(m!);
      } finally {
        port.close();
      }
      expect(big.mempool.inUseCount()).toBe(0);
    });
  });

  describe('queues on lcores of other threads and processes', () => {
    let eal: Eal;
    let pool: PktmbufPool;
    let mb: Mbuf;
    let port: Port;
    const prefix = `t${process.pid}_port_mp`;
    beforeEach(() => {
      eal = Eal.init({ backend: 'anonymous', memory: 64 << 20, filePrefix: prefix });
      pool = PktmbufPool.create(eal, 'p', 4095, 64);
      mb = Mbuf.of(eal);
      port = Port.open(eal, a, { pool, rxQueues: 2, txQueues: 2 });
    });
    afterEach(() => {
      try {
        port.close();
        expect(pool.mempool.inUseCount()).toBe(0);
      } finally {
        eal.cleanup();
      }
    });

    // 64 flows (source ports), 8 frames each; the seed is the flow number.
    const flows = () => Array.from({ length: 512 }, (_, i) => udpFrame({ srcPort: 1000 + (i % 64), seed: i % 64 }));

    it('two RX queues split flows by hash (a flow stays on one queue), a worker thread serving queue 1; close waits for it', async () => {
      const peer = await Peer.worker(PEER, eal.workerData());
      try {
        await peer.call('init', { attach: true });
        expect(await peer.call('lookup', { ifname: a })).toEqual({ id: port.id, rxq: 2, txq: 2 });
        port.rxQueueStart(0);
        await peer.call('startRx', { q: 1 });
        const theirs = peer.call<number[]>('receive', { q: 1, count: 512, ms: 15_000 });
        sendFrames(net, ns, b, flows());
        const mine = await receive(port, 0, 512, 15_000);
        const seeds0 = mine.map((m) => mb.data(m)[42]!);
        mb.freeBulk(mine, mine.length);
        const seeds1 = await theirs;
        expect(seeds0.length + seeds1.length).toBe(512);
        expect(seeds0.length).toBeGreaterThan(0);
        expect(seeds1.length).toBeGreaterThan(0);
        const on0 = new Set(seeds0);
        for (const s of seeds1) expect(on0.has(s)).toBe(false);
        const st = port.stats();
        expect(st.queues.map((q) => q.ipackets)).toEqual([seeds0.length, seeds1.length]);
        // Closing while the worker still serves queue 1: close waits until it lets go, at its next burst.
        const later = peer.call<number>('pollUntilClosed', { q: 1 });
        port.close();
        expect(await later).toBe(0);
        expect(pool.mempool.inUseCount()).toBe(0);
        await peer.call('cleanup');
      } finally {
        await peer.close();
      }
    });

    it('a secondary process serves queue 1 with its own socket, EBUSY on a queue this process serves; close waits for it', async () => {
      const peer = await Peer.child(PEER);
      try {
        const info = await peer.call<{ pid: number }>('init', { processType: 'secondary', filePrefix: prefix });
        expect(info.pid).not.toBe(process.pid);
        await peer.call('lookup', { ifname: a });
        port.rxQueueStart(0);
        await expect(peer.call('startRx', { q: 0 })).rejects.toMatchObject({ code: 'EBUSY' });
        await peer.call('startRx', { q: 1 });
        expect(codeOf(() => port.rxQueueStart(1))).toBe('EBUSY');
        const theirs = peer.call<number[]>('receive', { q: 1, count: 512, ms: 15_000 });
        sendFrames(net, ns, b, flows());
        const mine = await receive(port, 0, 512, 15_000);
        mb.freeBulk(mine, mine.length);
        const seeds1 = await theirs;
        expect(mine.length + seeds1.length).toBe(512);
        expect(seeds1.length).toBeGreaterThan(0);
        // Stats in shared memory: the secondary's queue counted too.
        expect(port.stats().queues[1]!.ipackets).toBe(seeds1.length);
        // Closing while the secondary holds queue 1: it lets go at its next burst.
        const later = peer.call<number>('pollUntilClosed', { q: 1 });
        port.close();
        expect(await later).toBe(0);
        expect(pool.mempool.inUseCount()).toBe(0);
        await peer.call('cleanup');
      } finally {
        await peer.close();
      }
    });

    it('close() says EBUSY while another process serves a queue without bursting; closes once it lets go', async () => {
      const peer = await Peer.child(PEER);
      try {
        await peer.call('init', { processType: 'secondary', filePrefix: prefix });
        await peer.call('lookup', { ifname: a });
        await peer.call('startRx', { q: 1 });
        let msg = '';
        try {
          port.close();
        } catch (e) {
          msg = `${(e as { code: string }).code}: ${(e as Error).message}`;
        }
        expect(msg).toMatch(/^EBUSY: .*still serves a queue/);
        expect(port.isOpen).toBe(false);
        await peer.call('closePort');
        port.close();
        expect(pool.mempool.inUseCount()).toBe(0);
        await peer.call('cleanup');
      } finally {
        await peer.close();
      }
    });

    it('a secondary that dies leaves its queue to the next process', async () => {
      const peer = await Peer.child(PEER);
      await peer.call('init', { processType: 'secondary', filePrefix: prefix });
      await peer.call('lookup', { ifname: a });
      await peer.call('startRx', { q: 1 });
      expect(codeOf(() => port.rxQueueStart(1))).toBe('EBUSY');
      await peer.kill('SIGKILL');
      port.rxQueueStart(1);
      sendFrames(net, ns, b, flows());
      const got = [...(await receive(port, 0, 512, 3000)), ...(await receive(port, 1, 512, 3000))];
      // Every frame lands on one of this process's two queues.
      expect(got.length).toBe(512);
      mb.freeBulk(got, got.length);
    });
  });

  describe('sab backend', () => {
    it('receives into and sends from a plain SharedArrayBuffer EAL', async () => {
      const eal = Eal.init({ backend: 'sab', memory: 32 << 20 });
      try {
        const pool = PktmbufPool.create(eal, 'p', 511);
        const mb = Mbuf.of(eal);
        const port = Port.open(eal, a, { pool });
        const f = udpFrame({ seed: 42 });
        port.rxQueueStart(0);
        sendFrames(net, ns, b, [f]);
        const [m] = await receive(port, 0, 1);
        expect(hex(packetBytes(mb, m!))).toBe(hex(f));
        const capture = await startCapture(net, ns, b, 1);
        expect(port.txBurst(0, Float64Array.of(m!), 1)).toBe(1);
        expect((await capture()).map(hex)).toEqual([hex(f)]);
        port.close();
        expect(pool.mempool.inUseCount()).toBe(0);
      } finally {
        eal.cleanup();
      }
    });
  });
});
