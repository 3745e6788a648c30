/**
 * End to end: runs `node examples/pktpipe/main.mjs` on the sample captures
 * and on synthetic traffic, with worker threads and with secondary
 * processes, and checks the output against the input: the report's counts
 * against drops computed here from the input, and (with tshark) every
 * forwarded packet against its input packet — same packet, TTL / hop limit
 * one lower, valid IPv4 checksum, MACs of the port a naive longest-prefix
 * match picks.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable, nativeLoadError, runtimeDirFor } from '@rtemem/mbuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTraffic } from '../lib/generator.mjs';
import { DROP_REASONS, FORWARD } from '../lib/packet.mjs';
import { readPcap, writePcapFile } from '../lib/pcap.mjs';
import { DEFAULT_ROUTES, neighbourMac, portMac } from '../lib/routes.mjs';
import { ipv6Addr } from './frames.js';
import { itTshark, tsharkFields } from './tshark.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(repoRoot, 'examples/pktpipe/main.mjs');
// The sample captures live next to the repository (../shared/data/pcap); RTEMEM_PCAP_DIR points elsewhere.
const PCAP_DIR = process.env.RTEMEM_PCAP_DIR ?? resolve(repoRoot, '../shared/data/pcap');
const haveSamples = existsSync(PCAP_DIR);
const native = nativeAvailable();
const dir = mkdtempSync(join(tmpdir(), 'pktpipe-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let prefixes = 0;
const prefix = () => `t${process.pid}_pktpipe_${++prefixes}`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs main.mjs; kills it after `timeoutMs`. `onStdout` sees the output as it comes. */
function runMain(args: string[], timeoutMs = 50_000, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close' comes after the process ended and its pipes were read to the end ('exit' may come before).
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/* ------------------------------------------------------------------ *
 * What a correct router does with the input, computed here
 * ------------------------------------------------------------------ */

/** Drop reason (or 'forward') of a frame, from its own bytes: tags, ethertype, TTL / hop limit. */
function classify(f: Uint8Array): string {
  let at = 12;
  let type = (f[12]! << 8) | f[13]!;
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    at += 4;
    type = (f[at]! << 8) | f[at + 1]!;
  }
  const l3 = at + 2;
  if (type === 0x0800) return f[l3 + 8]! <= 1 ? 'ttl-exceeded' : 'forward';
  if (type === 0x86dd) return f[l3 + 7]! <= 1 ? 'ttl-exceeded' : 'forward';
  return 'not-ip';
}

const toBig = (bytes: number[]) => bytes.reduce((a, b) => (a << 8n) | BigInt(b), 0n);

/** The routes as (value, depth, width): the naive model the output is checked against. */
const ROUTES = DEFAULT_ROUTES.map((r) => {
  const [addr, len] = r.prefix.split('/') as [string, string];
  const v6 = addr.includes(':');
  const bytes = v6 ? ipv6Addr(addr) : addr.split('.').map(Number);
  return { value: toBig(bytes), depth: Number(len), width: v6 ? 128 : 32, port: r.port };
});

function naivePort(dst: string): number {
  const v6 = dst.includes(':');
  const width = v6 ? 128 : 32;
  const value = toBig(v6 ? ipv6Addr(dst) : dst.split('.').map(Number));
  let best = -1;
  let bestDepth = -1;
  for (const r of ROUTES) {
    if (r.width !== width) continue;
    const shift = BigInt(width - r.depth);
    if (value >> shift === r.value >> shift && r.depth > bestDepth) {
      best = r.port;
      bestDepth = r.depth;
    }
  }
  return best;
}

const KEY_FIELDS = [
  'frame.len',
  'vlan.id',
  'ip.src',
  'ip.id',
  'ip.proto',
  'ipv6.src',
  'ipv6.plen',
  'ipv6.nxt',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.checksum',
  'udp.srcport',
  'udp.dstport',
  'udp.checksum',
];
const FIELDS = ['frame.protocols', 'eth.dst', 'eth.src', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim', 'ip.checksum.status', ...KEY_FIELDS];
const F = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<string, number>;

/** The outermost network layer tshark found. */
function outer(protocols: string): 'ip' | 'ipv6' | null {
  for (const p of protocols.split(':')) {
    if (p === 'eth' || p === 'ethertype' || p === 'vlan' || p === 'ieee8021ad') continue;
    return p === 'ip' ? 'ip' : p === 'ipv6' ? 'ipv6' : null;
  }
  return null;
}

/** Replaces the first of a field's comma-joined values. */
function withFirst(list: string, f: (first: string) => string): string {
  const parts = list.split(',');
  parts[0] = f(parts[0]!);
  return parts.join(',');
}

/** Signature of an output row: everything tshark shows that forwarding may not change, plus what it must change. */
function outputSig(row: string[]): string {
  return [...KEY_FIELDS.map((k) => row[F[k]!]), row[F['ip.dst']!], row[F['ipv6.dst']!], row[F['ip.ttl']!], row[F['ipv6.hlim']!], row[F['ip.checksum.status']!], row[F['eth.dst']!], row[F['eth.src']!]].join('|');
}

/** What the output row of a forwarded input row must be. */
function expectedSig(row: string[]): string {
  const l3 = outer(row[F['frame.protocols']!]!);
  const dst = (l3 === 'ip' ? row[F['ip.dst']!]! : row[F['ipv6.dst']!]!).split(',')[0]!;
  const port = naivePort(dst);
  const dec = (v: string) => String(Number(v) - 1);
  const ttl = l3 === 'ip' ? withFirst(row[F['ip.ttl']!]!, dec) : row[F['ip.ttl']!];
  const hlim = l3 === 'ipv6' ? withFirst(row[F['ipv6.hlim']!]!, dec) : row[F['ipv6.hlim']!];
  return [
    ...KEY_FIELDS.map((k) => row[F[k]!]),
    row[F['ip.dst']!],
    row[F['ipv6.dst']!],
    ttl,
    hlim,
    row[F['ip.checksum.status']!],
    withFirst(row[F['eth.dst']!]!, () => neighbourMac(port)),
    withFirst(row[F['eth.src']!]!, () => portMac(port)),
  ].join('|');
}

/** Multiset difference, for a readable failure. */
function diff(expected: string[], actual: string[]): { missing: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const s of expected) counts.set(s, (counts.get(s) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const s of actual) {
    const n = counts.get(s) ?? 0;
    if (n === 0) unexpected.push(s);
    else counts.set(s, n - 1);
  }
  const missing = [...counts.entries()].flatMap(([s, n]) => Array(n).fill(s) as string[]);
  return { missing: missing.slice(0, 5), unexpected: unexpected.slice(0, 5) };
}

/**
 * Checks the output pcap against the input pcap with tshark. `forwarded(i)`
 * says which input packets (by index) a correct router forwards.
 */
function checkWithTshark(inputPcap: string, outputPcap: string, forwarded: (i: number, row: string[]) => boolean, repeat = 1): void {
  const input = tsharkFields(inputPcap, FIELDS);
  const output = existsSync(outputPcap) ? tsharkFields(outputPcap, FIELDS) : [];
  const expected: string[] = [];
  for (let k = 0; k < repeat; k++) input.forEach((row, i) => forwarded(i, row) && expected.push(expectedSig(row)));
  expect(output.length).toBe(expected.length);
  expect(diff(expected, output.map(outputSig))).toEqual({ missing: [], unexpected: [] });
  // Every IPv4 output header checksum valid (tshark: 1 = good), every TTL / hop limit at least 1.
  for (const row of output) {
    const l3 = outer(row[F['frame.protocols']!]!);
    expect(l3).not.toBeNull();
    if (l3 === 'ip') {
      expect(row[F['ip.checksum.status']!]!.split(',')[0]).toBe('1');
      expect(Number(row[F['ip.ttl']!]!.split(',')[0])).toBeGreaterThanOrEqual(1);
    } else {
      expect(Number(row[F['ipv6.hlim']!]!.split(',')[0])).toBeGreaterThanOrEqual(1);
    }
  }
}

interface Report {
  ok: boolean;
  error: string | null;
  stopped: string;
  backend: string;
  mode: string;
  workers: number;
  elapsedSec: number;
  packets: { in: number; out: number; dropped: number; dropsByReason: Record<string, number>; consistent: boolean };
  output: { pcap: string | null; packets: number };
  pool: { size: number; inUseAtEnd: number; full: boolean };
  stages: { rx: { packets: number; lcore: number; pid: number }; workers: { packets: number; pid: number }[]; tx: { packets: number; out: number } };
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of items) if (s !== 'forward') out[s] = (out[s] ?? 0) + 1;
  return out;
}

function expectCleanReport(run: Run, r: Report): void {
  expect(run.code, run.stderr).toBe(0);
  expect(r.ok).toBe(true);
  expect(r.error).toBeNull();
  expect(r.packets.consistent).toBe(true);
  expect(r.packets.in).toBe(r.packets.out + r.packets.dropped);
  expect(r.pool.full).toBe(true);
  expect(r.pool.inUseAtEnd).toBe(0);
  expect(run.stdout).toMatch(/-> full \(every mbuf came back\)/);
}

/* ------------------------------------------------------------------ *
 * Sample captures
 * ------------------------------------------------------------------ */

const SAMPLES: { file: string; args: string[]; loops: number; needsNative: boolean }[] = [
  { file: 'afs.pcap', args: ['--backend', 'sab', '--workers', '3'], loops: 1, needsNative: false },
  { file: 'mptcp-v0.pcap', args: ['--procs', '--loops', '3'], loops: 3, needsNative: true },
  { file: 'pim-packet-assortment.pcap', args: ['--workers', '2'], loops: 1, needsNative: false },
  { file: '802.1ad_QinQ.pcap', args: ['--workers', '1'], loops: 1, needsNative: false },
];

(haveSamples ? describe : describe.skip)(`sample captures${haveSamples ? '' : ` [skipped: ${PCAP_DIR} is absent]`}`, () => {
  for (const s of SAMPLES) {
    const skipReason = s.needsNative && !native ? `--procs needs the native addon: ${nativeLoadError()}` : null;
    (skipReason === null ? describe : describe.skip)(`${s.file} ${s.args.join(' ')}${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
      const input = join(PCAP_DIR, s.file);
      const out = join(dir, `out-${s.file}`);
      const json = join(dir, `${s.file}.json`);
      let run: Run;
      let report: Report;
      beforeAll(async () => {
        run = await runMain(['--pcap', input, '--out', out, '--json', json, '--file-prefix', prefix(), ...s.args]);
        report = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Report) : ({} as Report);
      }, 60_000);

      it('exits 0 with a clean report: pool full, counts add up, drops as the input says', () => {
        expectCleanReport(run, report);
        const frames = readPcap(input);
        const verdicts: string[] = [];
        for (let k = 0; k < s.loops; k++) for (let i = 0; i < frames.count; i++) verdicts.push(classify(frames.packet(i)));
        expect(report.packets.in).toBe(frames.count * s.loops);
        expect(report.packets.dropsByReason).toEqual(countBy(verdicts));
        expect(report.packets.out).toBe(verdicts.filter((v) => v === 'forward').length);
        expect(report.output.packets).toBe(report.packets.out);
        if (s.args.includes('--procs')) {
          expect(report.mode).toBe('procs');
          for (const w of report.stages.workers) expect(w.pid).not.toBe(report.stages.rx.pid);
        } else {
          expect(report.mode).toBe('threads');
        }
      });

      itTshark('tshark: each forwarded packet is its input packet with TTL - 1, a valid checksum and the route\'s MACs', () => {
        const rows = tsharkFields(input, FIELDS);
        // tshark's view of which packets are IP with TTL > 1 agrees with ours.
        const frames = readPcap(input);
        rows.forEach((row, i) => {
          const l3 = outer(row[F['frame.protocols']!]!);
          const ttl = l3 === 'ip' ? row[F['ip.ttl']!] : l3 === 'ipv6' ? row[F['ipv6.hlim']!] : null;
          const verdict = ttl === null ? 'not-ip' : Number(ttl!.split(',')[0]) <= 1 ? 'ttl-exceeded' : 'forward';
          expect(verdict, `packet ${i + 1}`).toBe(classify(frames.packet(i)));
        });
        checkWithTshark(input, out, (i) => classify(frames.packet(i)) === 'forward', s.loops);
      }, 60_000);
    });
  }
});

/* ------------------------------------------------------------------ *
 * Synthetic traffic
 * ------------------------------------------------------------------ */

const SYNTHETIC: { name: string; args: string[]; packets: number; templates: number; seed: number; needsNative: boolean }[] = [
  { name: 'worker threads', args: ['--workers', '2'], packets: 30_000, templates: 4096, seed: 7, needsNative: false },
  { name: 'secondary processes (--procs, anonymous memory)', args: ['--procs', '--backend', 'anonymous', '--workers', '3'], packets: 20_000, templates: 3000, seed: 11, needsNative: true },
];

describe('synthetic traffic', () => {
  for (const s of SYNTHETIC) {
    const skipReason = s.needsNative && !native ? `--procs needs the native addon: ${nativeLoadError()}` : null;
    (skipReason === null ? describe : describe.skip)(`${s.name}${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
      const out = join(dir, `synthetic-${s.seed}.pcap`);
      const json = join(dir, `synthetic-${s.seed}.json`);
      const traffic = buildTraffic({ seed: s.seed, templates: s.templates });
      /** The generator's intent for packet i of the run (RX sends template i % templates). */
      const intent = (i: number) => traffic.expect[i % s.templates]!;
      let run: Run;
      let report: Report;
      beforeAll(async () => {
        run = await runMain([
          '--packets', String(s.packets), '--seed', String(s.seed), '--templates', String(s.templates),
          '--out', out, '--json', json, '--file-prefix', prefix(), ...s.args,
        ]);
        report = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Report) : ({} as Report);
      }, 60_000);

      it('exits 0 with a clean report; the drops are the ones the generator built in', () => {
        expectCleanReport(run, report);
        expect(report.packets.in).toBe(s.packets);
        const reasons: string[] = [];
        for (let i = 0; i < s.packets; i++) reasons.push(intent(i) === FORWARD ? 'forward' : DROP_REASONS[intent(i)]!);
        expect(report.packets.dropsByReason).toEqual(countBy(reasons));
        expect(Object.keys(report.packets.dropsByReason).length).toBeGreaterThan(8);
        // Every worker got a share of the flows.
        for (const w of report.stages.workers) expect(w.packets).toBeGreaterThan(s.packets / (4 * report.workers));
        expect(report.workers).toBe(Number(s.args[s.args.indexOf('--workers') + 1]));
      });

      itTshark('tshark: each forwarded packet is its input packet with TTL / hop limit - 1, a valid checksum and the route\'s MACs', () => {
        const input = join(dir, `synthetic-in-${s.seed}.pcap`);
        writePcapFile(input, Array.from({ length: s.packets }, (_, i) => ({ data: traffic.packet(i % s.templates) })));
        checkWithTshark(input, out, (i) => intent(i) === FORWARD);
      }, 60_000);
    });
  }
});

/* ------------------------------------------------------------------ *
 * Control: Ctrl-C, errors, exit codes
 * ------------------------------------------------------------------ */

describe('control', () => {
  it('SIGINT stops cleanly: RX stops, the rings drain, every mbuf comes back, exit 0', async () => {
    const json = join(dir, 'sigint.json');
    let sent = false;
    const t0 = Date.now();
    const run = await runMain(['--seconds', '120', '--json', json, '--file-prefix', prefix()], 60_000, (text, child) => {
      // After the first progress line: the pipeline is running.
      if (!sent && /\] pps rx/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(Date.now() - t0).toBeLessThan(50_000);
    expect(run.stdout).toMatch(/stopping: RX stops, the rings drain/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expectCleanReport(run, r);
    expect(r.stopped).toBe('interrupted');
    expect(r.packets.in).toBeGreaterThan(0);
    expect(r.elapsedSec).toBeLessThan(60);
  }, 60_000);

  (native ? it : it.skip)(`a secondary killed mid-run: the run aborts with exit 1 naming it, the rest stop, nothing is left behind${native ? '' : ` [skipped: ${nativeLoadError()}]`}`, async () => {
    const p = prefix();
    let victim = 0;
    let others: number[] = [];
    const run = await runMain(['--procs', '--workers', '2', '--seconds', '120', '--file-prefix', p], 60_000, (text, child) => {
      if (victim !== 0 || !/\] pps rx/.test(text) || child.pid === undefined) return;
      // The primary's children are the two worker processes.
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      expect(kids.length).toBe(2);
      victim = kids[0]!;
      others = kids.slice(1);
      process.kill(victim, 'SIGKILL');
    });
    expect(victim).not.toBe(0);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`result: FAILED \\(worker \\d \\(process ${victim}\\) killed by SIGKILL\\)`));
    expect(run.stdout).toMatch(/pktpipe: aborted/);
    for (const pid of others) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(existsSync(runtimeDirFor(p))).toBe(false);
  }, 60_000);

  it('--json - puts the report on stdout and the text on stderr', async () => {
    const run = await runMain(['--packets', '2000', '--templates', '500', '--json', '-', '--quiet', '--file-prefix', prefix()]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as Report;
    expect(r.packets.in).toBe(2000);
    expect(r.ok).toBe(true);
    expect(run.stderr).toMatch(/result: ok/);
  }, 60_000);

  it('--help: exit 0 with the options', async () => {
    const run = await runMain(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/usage: node examples\/pktpipe\/main.mjs/);
    expect(run.stdout).toMatch(/--procs/);
  });

  it('usage errors: exit 2 with the reason', async () => {
    for (const [args, msg] of [
      [['--workers', '0'], /--workers needs an integer/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--procs', '--backend', 'sab'], /--procs needs memory that other processes can map/],
    ] as [string[], RegExp][]) {
      const run = await runMain(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(msg);
      expect(run.stderr).toMatch(/--help/);
    }
  }, 60_000);

  it('runtime errors: exit 1 with the reason (missing file, pcapng, a file prefix in use)', async () => {
    let run = await runMain(['--pcap', join(dir, 'nope.pcap'), '--file-prefix', prefix()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read .*nope\.pcap: no such file/);
    const ng = join(dir, 'capture.pcapng');
    writeFileSync(ng, Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 28, 0, 0, 0]));
    run = await runMain(['--pcap', ng, '--file-prefix', prefix()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is a pcapng file.*editcap -F pcap/);
    // A second primary on the prefix of a running one.
    const shared = prefix();
    let second: Promise<Run> | null = null;
    const first = await runMain(['--seconds', '60', '--file-prefix', shared], 60_000, (text, child) => {
      if (second === null && /\] pps rx/.test(text)) {
        second = runMain(['--packets', '10', '--file-prefix', shared]).finally(() => child.kill('SIGINT'));
      }
    });
    expect(second).not.toBeNull();
    run = await (second as unknown as Promise<Run>);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pktpipe: .+/);
    expect(first.code, first.stderr).toBe(0);
  }, 60_000);
});
