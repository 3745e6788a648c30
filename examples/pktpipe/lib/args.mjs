// @ts-check
/**
 * Command-line options of pktpipe: parsing, validation, defaults, help.
 */
import { parseArgs } from 'node:util';
import { validateFilePrefix } from '@rtemem/mbuf';
import { GENERATOR_DEFAULTS } from './generator.mjs';

/** A bad command line: main prints the message and exits with 2. */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

export const DEFAULT_SECONDS = 5;
export const MAX_WORKERS = 32;
/** Real ports at most (the stats memzone counts packets for 16 output ports). */
export const MAX_PORTS = 16;

export const HELP = `pktpipe — an l3fwd-style packet pipeline over rtemem's shared memory

usage: node examples/pktpipe/main.mjs [options]      (pnpm demo [-- options])

An RX lcore fills mbufs from a pktmbuf pool and spreads them by flow hash
over N worker lcores through rings; the workers parse Ethernet / VLAN / QinQ /
IPv4 / IPv6 / TCP / UDP, look the destination up in a route table (longest
prefix match), decrement the TTL or hop limit (drop at zero), fix the IPv4
checksum, rewrite the MACs and pass the mbufs to a TX lcore, which writes
them out and frees them. Malformed packets are counted by reason and dropped.

input
  --port IFNAME      forward real traffic between network interfaces (repeat it, one per
  --ports A,B,...    port; or a comma-separated list): needs root or CAP_NET_RAW
  --pcap FILE        replay a classic pcap capture (Ethernet) instead of synthetic traffic
  --loops N          replay the capture N times (default 1; 0 = until stopped)
  --packets N        stop after N packets
  --seconds S        stop after S seconds (synthetic default: ${DEFAULT_SECONDS} unless --packets)
  --seed N           synthetic traffic seed (default ${GENERATOR_DEFAULTS.seed})
  --flows N          synthetic flows (default ${GENERATOR_DEFAULTS.flows})
  --templates N      distinct synthetic packets, replayed in a cycle (default ${GENERATOR_DEFAULTS.templates})

ports (with --port)
  --route P=N        route prefix P out of port N (repeat; e.g. 10.9.1.0/24=1, 2001:db8::/32=0);
                     without any, the default routes below, each to port (N mod ports)
  --eth-dest N,MAC   the next hop's MAC on port N (default 02:00:00:00:01:0N), as l3fwd's
  --promiscuous      receive frames for any MAC, not only the interfaces' own

output
  --out FILE         write the forwarded packets as a pcap file (tshark reads it)
  --json FILE        write the report as JSON; "-" for stdout (the text then goes to stderr)
  --quiet            no live progress line

lcores and memory
  --workers N        worker lcores (default 2, at most ${MAX_WORKERS})
  --procs            run the workers as secondary processes attached to this
                     primary's memory (needs the native addon: not with --backend sab)
  --backend B        auto | hugetlbfs | anonymous | sab (default auto: hugepages when available)
  --file-prefix P    EAL file prefix (default pktpipe); \`rtemem info --file-prefix P\` inspects a run
  --pool-size N      mbufs in the pool (default 8191)
  --ring-size N      slots per ring, a power of two (default 1024)

  -h, --help         this text

Ctrl-C stops cleanly: RX stops, the rings drain, the pool is checked. With --port
it runs until Ctrl-C, --seconds or --packets (received).
Exit status: 0 ok, 1 runtime error (or mbufs missing from the pool at the end), 2 usage error.`;

/**
 * @typedef {object} Options
 * @property {boolean} help
 * @property {string | null} pcap
 * @property {number} loops
 * @property {number} packets     0: no limit
 * @property {number} seconds     0: no limit
 * @property {number} seed
 * @property {number} flows
 * @property {number} templates
 * @property {string | null} out
 * @property {string | null} json
 * @property {boolean} quiet
 * @property {number} workers
 * @property {boolean} procs
 * @property {'auto' | 'hugetlbfs' | 'anonymous' | 'sab'} backend
 * @property {string} filePrefix
 * @property {number} poolSize
 * @property {number} ringSize
 * @property {string[]} ports        interface names (empty: no real ports)
 * @property {{ prefix: string, port: number }[] | null} routes   --route, null for the default routes
 * @property {Record<number, string>} ethDest   next-hop MAC per port
 * @property {boolean} promiscuous
 */

/**
 * @param {string} name
 * @param {string | undefined} text
 * @param {number} min
 * @param {number} max
 * @param {number} dflt
 * @param {boolean} [float]
 */
function num(name, text, min, max, dflt, float = false) {
  if (text === undefined) return dflt;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (!float && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`--${name} needs ${float ? 'a number' : 'an integer'} from ${min} to ${max} (got "${text}")`);
  }
  return v;
}

/**
 * Parses argv (without node and the script). Throws UsageError.
 * @param {string[]} argv
 * @returns {Options}
 */
export function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        pcap: { type: 'string' },
        loops: { type: 'string' },
        packets: { type: 'string' },
        seconds: { type: 'string' },
        seed: { type: 'string' },
        flows: { type: 'string' },
        templates: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        quiet: { type: 'boolean' },
        workers: { type: 'string' },
        procs: { type: 'boolean' },
        backend: { type: 'string' },
        'file-prefix': { type: 'string' },
        'pool-size': { type: 'string' },
        'ring-size': { type: 'string' },
        port: { type: 'string', multiple: true },
        ports: { type: 'string' },
        route: { type: 'string', multiple: true },
        'eth-dest': { type: 'string', multiple: true },
        promiscuous: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e));
  }
  const v = parsed.values;
  const backend = v.backend ?? 'auto';
  if (!['auto', 'hugetlbfs', 'anonymous', 'sab'].includes(backend)) {
    throw new UsageError(`--backend must be auto, hugetlbfs, anonymous or sab (got "${backend}")`);
  }
  if (v.procs && backend === 'sab') {
    throw new UsageError('--procs needs memory that other processes can map: the sab backend is plain SharedArrayBuffers, shared with worker threads only. Use --backend auto, hugetlbfs or anonymous');
  }
  const pcap = v.pcap ?? null;
  for (const [name, val] of /** @type {[string, string | undefined][]} */ ([
    ['pcap', v.pcap],
    ['out', v.out],
    ['json', v.json],
    ['file-prefix', v['file-prefix']],
  ])) {
    if (val !== undefined && val === '') throw new UsageError(`--${name} needs a value`);
  }
  if (pcap === null && v.loops !== undefined) throw new UsageError('--loops replays a capture: use it with --pcap FILE');
  if (pcap !== null && (v.seed !== undefined || v.flows !== undefined || v.templates !== undefined)) {
    throw new UsageError('--seed, --flows and --templates shape synthetic traffic: not with --pcap');
  }
  const ports = [...(v.port ?? []), ...(v.ports !== undefined ? v.ports.split(',') : [])].map((p) => p.trim());
  if (v.ports !== undefined && v.ports.trim() === '') throw new UsageError('--ports needs a comma-separated list of interfaces');
  for (const p of ports) {
    if (!/^[^\s/:]{1,15}$/.test(p)) throw new UsageError(`--port needs an interface name of 1 to 15 characters (got "${p}")`);
  }
  if (new Set(ports).size !== ports.length) throw new UsageError(`an interface is named twice in --port / --ports: ${ports.join(', ')}`);
  if (ports.length > MAX_PORTS) throw new UsageError(`at most ${MAX_PORTS} ports`);
  if (ports.length > 0) {
    if (pcap !== null) throw new UsageError('--port forwards real traffic, --pcap replays a capture: use one of them');
    if (v.seed !== undefined || v.flows !== undefined || v.templates !== undefined) throw new UsageError('--seed, --flows and --templates shape synthetic traffic: not with --port');
  } else {
    for (const k of ['route', 'eth-dest', 'promiscuous']) {
      if (v[/** @type {'route' | 'eth-dest' | 'promiscuous'} */ (k)] !== undefined) throw new UsageError(`--${k} is for real ports: use it with --port`);
    }
  }
  const routes = ports.length > 0 && v.route !== undefined ? v.route.map((r) => parseRoute(r, ports.length)) : null;
  /** @type {Record<number, string>} */
  const ethDest = {};
  for (const e of v['eth-dest'] ?? []) {
    const m = /^(\d+),((?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})$/.exec(e);
    if (m === null) throw new UsageError(`--eth-dest needs PORT,MAC such as 1,02:00:00:00:01:01 (got "${e}")`);
    const port = Number(m[1]);
    if (port >= ports.length) throw new UsageError(`--eth-dest names port ${port}; the ports are 0..${ports.length - 1}`);
    ethDest[port] = m[2].toLowerCase();
  }
  const packets = num('packets', v.packets, 1, Number.MAX_SAFE_INTEGER, 0);
  let seconds = num('seconds', v.seconds, 0.001, 1e7, 0, true);
  if (pcap === null && ports.length === 0 && packets === 0 && seconds === 0) seconds = DEFAULT_SECONDS;
  const ringSize = num('ring-size', v['ring-size'], 64, 1 << 20, 1024);
  if ((ringSize & (ringSize - 1)) !== 0) throw new UsageError(`--ring-size must be a power of two (got ${ringSize})`);
  const filePrefix = v['file-prefix'] ?? 'pktpipe';
  try {
    validateFilePrefix(filePrefix);
  } catch (e) {
    throw new UsageError(`--file-prefix: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    help: v.help === true,
    pcap,
    loops: num('loops', v.loops, 0, 1e9, 1),
    packets,
    seconds,
    seed: num('seed', v.seed, 0, 0xffffffff, GENERATOR_DEFAULTS.seed),
    flows: num('flows', v.flows, 1, 65536, GENERATOR_DEFAULTS.flows),
    templates: num('templates', v.templates, 1, 1 << 20, GENERATOR_DEFAULTS.templates),
    out: v.out ?? null,
    json: v.json ?? null,
    quiet: v.quiet === true,
    workers: num('workers', v.workers, 1, MAX_WORKERS, 2),
    procs: v.procs === true,
    backend: /** @type {Options['backend']} */ (backend),
    filePrefix,
    poolSize: num('pool-size', v['pool-size'], 1024, 1 << 22, 8191),
    ringSize,
    ports,
    routes,
    ethDest,
    promiscuous: v.promiscuous === true,
  };
}

/**
 * One --route: "PREFIX=PORT" with an IPv4 or IPv6 prefix.
 * @param {string} text
 * @param {number} nbPorts
 */
function parseRoute(text, nbPorts) {
  const m = /^([0-9a-fA-F.:]+)\/(\d{1,3})=(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`--route needs PREFIX/LEN=PORT such as 10.9.1.0/24=1 (got "${text}")`);
  const v6 = m[1].includes(':');
  const len = Number(m[2]);
  if (len > (v6 ? 128 : 32) || (!v6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]))) throw new UsageError(`--route: bad prefix ${m[1]}/${m[2]}`);
  const port = Number(m[3]);
  if (port >= nbPorts) throw new UsageError(`--route ${text} names port ${port}; the ports are 0..${nbPorts - 1}`);
  return { prefix: `${m[1]}/${len}`, port };
}
