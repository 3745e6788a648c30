/**
 * Network namespaces and veth pairs for tests of real packet I/O, made by
 * the test and removed afterwards (also when it fails): names carry this
 * process's pid, so parallel test processes never collide, and a later run
 * removes what a killed one left (sweepStale).
 *
 * Nothing here reaches another machine: a veth pair is a cable between its
 * two ends, and namespaces have no route out.
 */
import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** True when RTEMEM_REQUIRE_HUGEPAGES=1 (CI as root): namespace tests must run too. */
const required = process.env.RTEMEM_REQUIRE_HUGEPAGES === '1';

/** Every name this module makes starts with this, then the pid in base 36. */
const PREFIX = 'rtp';

function run(cmd: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 30_000 });
}

function ok(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`);
  return r.stdout;
}

let status: { usable: boolean; reason: string } | null = null;

/** Whether this process can make namespaces and veth pairs, and if not, why. */
export function netnsStatus(): { usable: boolean; reason: string } {
  if (status !== null) return status;
  if (process.platform !== 'linux') return (status = { usable: false, reason: 'network namespaces are Linux only' });
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return (status = { usable: false, reason: 'not root: making network namespaces and veth pairs needs root' });
  const v = run('ip', ['-V']);
  if (v.status !== 0) return (status = { usable: false, reason: 'no `ip` command (iproute2)' });
  const probe = `${PREFIX}${process.pid.toString(36)}probe`;
  const a = run('ip', ['netns', 'add', probe]);
  if (a.status !== 0) return (status = { usable: false, reason: `cannot make a network namespace: ${a.stderr.trim()}` });
  run('ip', ['netns', 'del', probe]);
  return (status = { usable: true, reason: 'root, with iproute2' });
}

/**
 * A describe block that needs namespaces (root): runs when they can be
 * made, fails when RTEMEM_REQUIRE_HUGEPAGES=1 and they cannot, and
 * otherwise skips with the reason in its name.
 */
export function describeNetns(name: string, fn: () => void): void {
  const s = netnsStatus();
  if (s.usable) describe(name, fn);
  else if (required) {
    describe(name, () => {
      it('can make network namespaces (RTEMEM_REQUIRE_HUGEPAGES=1)', () => {
        throw new Error(`network namespaces required but unusable: ${s.reason}`);
      });
    });
  } else describe.skip(`${name} [skipped: ${s.reason}]`, fn);
}

/** A command's path, or null when it is not installed. */
export function which(cmd: string): string | null {
  const r = run('sh', ['-c', `command -v ${cmd}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces and links that test processes no longer running left behind. */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const owner = (name: string): number | null => {
    const m = new RegExp(`^${PREFIX}([0-9a-z]+)x`).exec(name);
    return m ? parseInt(m[1]!, 36) : null;
  };
  for (const line of run('ip', ['netns', 'list']).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = owner(name);
    if (pid !== null && !alive(pid)) {
      run('ip', ['netns', 'del', name]);
      removed.push(name);
    }
  }
  for (const line of run('ip', ['-o', 'link', 'show']).stdout.split('\n')) {
    const name = /^\d+:\s+([^:@]+)/.exec(line)?.[1];
    const pid = name !== undefined ? owner(name) : null;
    if (name !== undefined && pid !== null && !alive(pid)) {
      run('ip', ['link', 'del', name]);
      removed.push(name);
    }
  }
  return removed;
}

let serial = 0;

/**
 * The namespaces and links of one test (or one file): `ns()` and `veth()`
 * make them, `destroy()` removes every one (call it in afterAll/afterEach).
 * Names: `rtp<pid>x<n><suffix>`, at most 15 bytes (an interface name's limit).
 */
export class TestNet {
  readonly tag: string;
  readonly #namespaces: string[] = [];
  readonly #links: string[] = [];
  readonly #children = new Set<ChildProcess>();

  constructor() {
    serial++;
    this.tag = `${PREFIX}${process.pid.toString(36)}x${serial.toString(36)}`;
  }

  /** A unique name for a namespace or an interface: the tag then `suffix` (keep it short: 15 bytes in all). */
  name(suffix: string): string {
    const n = `${this.tag}${suffix}`;
    if (n.length > 15) throw new Error(`interface name ${n} is longer than 15 bytes: use a shorter suffix`);
    return n;
  }

  /** Makes namespace `name(suffix)` with its loopback up; returns its name. */
  ns(suffix: string): string {
    const ns = this.name(suffix);
    ok('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    this.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * Makes a veth pair: end `a` in namespace `aNs` (null: this process's),
   * end `b` in `bNs`; both up, IPv6 off (so the kernel sends nothing on
   * its own: no router or neighbour solicitations in a capture).
   */
  veth(a: string, aNs: string | null, b: string, bNs: string | null, opts: { mtu?: number; ipv6?: boolean } = {}): void {
    ok('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    if (aNs === null) this.#links.push(a);
    for (const [dev, ns] of [
      [a, aNs],
      [b, bNs],
    ] as const) {
      if (ns !== null) ok('ip', ['link', 'set', dev, 'netns', ns]);
      const at = (cmd: string, args: string[]) => (ns === null ? ok(cmd, args) : this.exec(ns, cmd, args));
      if (opts.ipv6 !== true) at('sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
      if (opts.mtu !== undefined) at('ip', ['link', 'set', dev, 'mtu', String(opts.mtu)]);
      at('ip', ['link', 'set', dev, 'up']);
    }
  }

  /** Runs a command in namespace `ns` (null: here); throws when it fails; returns its stdout. */
  exec(ns: string | null, cmd: string, args: string[]): string {
    return ns === null ? ok(cmd, args) : ok('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** Runs a command in `ns` (null: here) and returns its result, whatever its status. */
  run(ns: string | null, cmd: string, args: string[], input?: string): SpawnSyncReturns<string> {
    return ns === null ? run(cmd, args, input) : run('ip', ['netns', 'exec', ns, cmd, ...args], input);
  }

  /** Starts a command in `ns` (null: here); destroy() kills it if it still runs. */
  spawn(ns: string | null, cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const c = ns === null ? spawn(cmd, args, { env: { ...process.env, ...env } }) : spawn('ip', ['netns', 'exec', ns, cmd, ...args], { env: { ...process.env, ...env } });
    this.#children.add(c);
    c.on('exit', () => this.#children.delete(c));
    return c;
  }

  /** Kills what spawn started, removes every namespace (with the links inside) and every link made here. */
  destroy(): void {
    for (const c of this.#children) c.kill('SIGKILL');
    this.#children.clear();
    for (const l of this.#links.splice(0)) run('ip', ['link', 'del', l]);
    for (const ns of this.#namespaces.splice(0)) run('ip', ['netns', 'del', ns]);
  }

  /** True when nothing this object made is left on the machine. */
  gone(): boolean {
    const ns = run('ip', ['netns', 'list']).stdout;
    const links = run('ip', ['-o', 'link', 'show']).stdout;
    return !ns.includes(this.tag) && !links.includes(this.tag);
  }
}

/** A plain AF_PACKET socket in Python (fixtures/rawsock.py): `send IFNAME PPS` writes hex frames from stdin, `capture IFNAME COUNT QUIET_SECS` prints them. */
export const RAWSOCK = fileURLToPath(new URL('../fixtures/rawsock.py', import.meta.url));

/** A frame as lowercase hex, the form rawsock.py reads and prints. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Writes `frames` onto `ifname` (in namespace `ns`) with a plain AF_PACKET socket; `pps` > 0 paces them. */
export function sendFrames(net: TestNet, ns: string | null, ifname: string, frames: Uint8Array[], pps = 0): void {
  const r = net.run(ns, 'python3', [RAWSOCK, 'send', ifname, String(pps)], `${frames.map(hex).join('\n')}\n`);
  if (r.status !== 0) throw new Error(`rawsock send failed: ${r.stderr}`);
}

/**
 * Starts capturing on `ifname` (in `ns`) with a plain AF_PACKET socket; the
 * promise resolves once it listens, with a function that waits for the
 * frames (up to `count`, or after `quietSecs` of silence).
 */
export async function startCapture(net: TestNet, ns: string | null, ifname: string, count: number, quietSecs = 10): Promise<() => Promise<Uint8Array[]>> {
  const c = net.spawn(ns, 'python3', [RAWSOCK, 'capture', ifname, String(count), String(quietSecs)]);
  let out = '';
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': at 'exit' the child's stdout may still hold frames
  // not yet read (a capture prints up to megabytes of hex).
  const done = new Promise<Uint8Array[]>((resolve, reject) => {
    c.on('close', (code) => {
      if (code !== 0) reject(new Error(`rawsock capture exited with ${code}: ${err}`));
      else resolve(out.split('\n').filter((l) => l !== '' && l !== 'ready').map((l) => Uint8Array.from(Buffer.from(l, 'hex'))));
    });
  });
  await new Promise<void>((resolve, reject) => {
    // rawsock prints "ready" before any frame: looked for until it came, not in every later chunk.
    let listening = false;
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!listening && out.startsWith('ready\n')) {
        listening = true;
        resolve();
      }
    });
    c.on('close', () => reject(new Error(`rawsock capture ended before listening: ${err}`)));
  });
  return () => done;
}
