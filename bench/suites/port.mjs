/**
 * port: RX -> TX forwarding through @rtemem/port on a veth pair (issue 19).
 *
 * A generator (pktfwd gen, plain C, built here) blasts 64-byte UDP frames
 * of 256 flows into veth f0 from a network namespace of its own; the
 * forwarder takes them from f0 and sends them out of f1 (whose peer, in the
 * same namespace, drops them). Packets per second forwarded, with 1 and 2
 * queues (an lcore per queue, RX queues in one PACKET_FANOUT group):
 *   rtemem            Port.rxBurst / txBurst in worker threads, mbufs of a shared pool
 *                     (the RX path Port.open uses by default)
 *   rtemem rx <other> the same with the other RX path (TPACKET_V3 ring vs recvmmsg)
 *   C (ceiling)       pktfwd fwd: recvmmsg / sendmmsg in plain C, a thread per
 *                     queue, the same socket calls with no JavaScript at all
 * No npm package does this from Node: `cap` (libpcap) and `pcap` copy every
 * packet into a Buffer through a libuv poll callback and need libpcap-dev
 * and an install script; `raw-socket` is IP only. So the ceiling is C.
 *
 * Needs root (network namespaces, CAP_NET_RAW) and a C compiler; otherwise
 * the suite is skipped, saying why. Two cores are shared by the generator,
 * the forwarder and the kernel's work for both: compare the ratios.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eal, PktmbufPool, Port } from '@rtemem/port';

const SRC = fileURLToPath(new URL('./port/pktfwd.c', import.meta.url));
const FORWARD = new URL('./port/forward.mjs', import.meta.url);
const CEILING = new URL('./port/ceiling.mjs', import.meta.url);
const DEFAULT_RX_MODE = 'ring';
const OTHER_RX_MODE = 'mmsg';

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Opens the two ports with `queues` queues on `eal`; returns what forward.mjs needs. */
function rtememCase(ctx, queues, rxMode, ownEal) {
  let eal = ctx.eal;
  if (ownEal) {
    // A port per interface per EAL: the other RX mode gets an EAL of its own.
    eal = Eal.init({ backend: ctx.eal.backend, memory: 96 << 20, filePrefix: `${ctx.filePrefix}${rxMode}${queues}` });
    PktmbufPool.create(eal, 'bench', 8191, 256);
  }
  const pool = PktmbufPool.lookup(eal, 'bench');
  const rx = Port.open(eal, ctx.f0, { pool, rxQueues: queues, txQueues: 1, rxMode });
  const tx = Port.open(eal, ctx.f1, { pool, rxQueues: 1, txQueues: queues });
  return {
    workers: Array.from({ length: queues }, () => ({ file: FORWARD, data: { eal: eal.workerData(), rxIf: ctx.f0, txIf: ctx.f1 } })),
    teardown: () => {
      rx.close();
      tx.close();
      if (ownEal) eal.cleanup();
    },
  };
}

function ceilingCase(ctx, queues) {
  return {
    workers: [{ file: CEILING, data: { bin: ctx.bin, rxIf: ctx.f0, txIf: ctx.f1, queues, counter: join(ctx.dir, `counter${queues}`) } }],
  };
}

function cases(queues) {
  return {
    name: `RX->TX forwarding, ${queues} queue${queues > 1 ? 's' : ''}, 64 B frames`,
    kind: 'throughput',
    durationMs: 1000,
    warmupMs: 300,
    note: 'Mobj/s = million packets forwarded per second; peers: the other RX path, and plain C',
    rtemem: (ctx) => rtememCase(ctx, queues, DEFAULT_RX_MODE, false),
    peers: {
      [`rtemem rx ${OTHER_RX_MODE}`]: (ctx) => rtememCase(ctx, queues, OTHER_RX_MODE, true),
      'C recvmmsg/sendmmsg (ceiling)': (ctx) => ceilingCase(ctx, queues),
    },
  };
}

export default {
  name: 'port',
  title: '@rtemem/port forwarding on a veth pair against plain C',

  setup({ filePrefix }) {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('needs root: network namespaces and packet sockets');
    const dir = mkdtempSync(join(tmpdir(), 'rtemem-bench-port-'));
    const bin = join(dir, 'pktfwd');
    try {
      sh('cc', ['-O2', '-pthread', '-o', bin, SRC]);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot build the C peer (cc): ${e.stderr ?? e.message}`);
    }
    // Names as the tests' (rtp<pid>x...): a later test run removes them if this process dies.
    const tag = `rtp${process.pid.toString(36)}xb`;
    const ns = `${tag}g`;
    const [f0, g0, f1, s1] = ['f0', 'g0', 'f1', 's1'].map((s) => `${tag}${s}`);
    const ctx = { filePrefix, dir, bin, ns, f0, f1, gen: null, eal: null };
    try {
      sh('ip', ['netns', 'add', ns]);
      for (const [a, b] of [
        [f0, g0],
        [f1, s1],
      ]) {
        sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', ns]);
        sh('sysctl', ['-qw', `net.ipv6.conf.${a}.disable_ipv6=1`]);
        sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${b}.disable_ipv6=1`]);
        sh('ip', ['link', 'set', a, 'up']);
        sh('ip', ['-n', ns, 'link', 'set', b, 'up']);
      }
      ctx.gen = spawn('ip', ['netns', 'exec', ns, bin, 'gen', g0], { stdio: 'ignore' });
      ctx.eal = Eal.init({ memory: 96 << 20, filePrefix });
      PktmbufPool.create(ctx.eal, 'bench', 8191, 256);
      return ctx;
    } catch (e) {
      this.teardown(ctx);
      throw e;
    }
  },

  teardown(ctx) {
    ctx.gen?.kill('SIGKILL');
    ctx.eal?.cleanup();
    try {
      sh('ip', ['netns', 'del', ctx.ns]); // takes both veth pairs with it
    } catch {
      // Not made.
    }
    rmSync(ctx.dir, { recursive: true, force: true });
  },

  cases: [cases(1), cases(2)],
};
