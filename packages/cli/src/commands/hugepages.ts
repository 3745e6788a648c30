/**
 * `rtemem hugepages`: show the system's hugepages (per size, per NUMA node,
 * hugetlbfs mounts) and set them up, release them and unmount them, like
 * DPDK's usertools/dpdk-hugepages.py.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultHugepageSize, hugepageInfo, hugepageMounts, numaNodes, parseSize, type HugepageInfo, type HugepageMount } from '@rtemem/eal-hugepage';
import { CliError, EXIT_OK, type Io, UsageError } from '../errors.js';
import { formatBytes, pageSizeOption } from '../format.js';
import { table } from '../table.js';

/** Where hugetlbfs is mounted by default (systemd's mount point, as in dpdk-hugepages.py). */
export const DEFAULT_HUGE_MOUNT = '/dev/hugepages';

/** Usage of `rtemem hugepages`. */
export const HUGEPAGES_USAGE = `Usage: rtemem hugepages [options]

Shows the hugepages of every page size: total, free, reserved, surplus, per
NUMA node, and the hugetlbfs mounts. With an action, changes them first
(as root), then shows the result.

Actions (in this order when combined):
  --clear             release the hugepages (nr_hugepages = 0) of every size,
                      or of --pagesize only; pages in use stay until freed
  --unmount           unmount the hugetlbfs at --mount-point (default ${DEFAULT_HUGE_MOUNT})
  --setup SIZE        reserve enough hugepages for SIZE bytes (K/M/G suffix:
                      512M, 1G) — sets nr_hugepages to that many — and mount
                      hugetlbfs for that page size if none is mounted
  --mount             mount hugetlbfs for --pagesize at --mount-point, unless
                      already mounted there (or, without --mount-point,
                      anywhere)

Options:
  --pagesize SIZE     page size for the actions: 2M or 1G (default: the
                      kernel's default hugepage size)
  --node N            reserve or release on NUMA node N only
  --mount-point DIR   where to mount or unmount (default ${DEFAULT_HUGE_MOUNT})
  --json              print one JSON document instead of tables
  -h, --help          show this help

Exit codes: 0 ok, 1 failure (not root, the kernel refused, mount failed),
2 usage error.

Examples:
  rtemem hugepages
  sudo rtemem hugepages --setup 1G
  sudo rtemem hugepages --setup 2G --pagesize 1G --node 0
  sudo rtemem hugepages --clear --unmount
`;

/**
 * What `rtemem hugepages` touches: the filesystem root it reads /sys and
 * /proc under (and writes nr_hugepages under), and how it runs mount(8) and
 * umount(8). Tests point these at a fixture tree and fake commands.
 */
export interface HugepagesSystem {
  /** Root of /sys and /proc (default `/`; env RTEMEM_SYSFS_ROOT). */
  root: string;
  /** Runs a command; returns its exit status and output. */
  run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string; error?: Error };
  /** The mount(8) command (env RTEMEM_MOUNT_BIN, default `mount`). */
  mountBin: string;
  /** The umount(8) command (env RTEMEM_UMOUNT_BIN, default `umount`). */
  umountBin: string;
  /** True when the process may write sysfs and mount: root, or a fixture root. */
  privileged: boolean;
  /** Reads a sysfs file (default: fs.readFileSync). */
  readFile(path: string): string;
  /** Writes a sysfs file (default: fs.writeFileSync); the kernel may then hold another value. */
  writeFile(path: string, text: string): void;
}

/**
 * The real system, unless the environment redirects it: `RTEMEM_SYSFS_ROOT`
 * (a fixture tree holding sys/ and proc/), `RTEMEM_MOUNT_BIN` and
 * `RTEMEM_UMOUNT_BIN` (commands that stand in for mount and umount).
 */
export function defaultSystem(env: NodeJS.ProcessEnv = process.env): HugepagesSystem {
  const root = env.RTEMEM_SYSFS_ROOT || '/';
  return {
    root,
    mountBin: env.RTEMEM_MOUNT_BIN || 'mount',
    umountBin: env.RTEMEM_UMOUNT_BIN || 'umount',
    // A fixture tree is writable without root; the real sysfs is not.
    privileged: root !== '/' || process.geteuid?.() === 0,
    readFile: (path) => readFileSync(path, 'utf8'),
    writeFile: (path, text) => writeFileSync(path, text),
    run(command, args) {
      const r = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
    },
  };
}

/** One page size in the report. */
export interface HugepageSizeReport extends HugepageInfo {
  /** total * pageSize */
  totalBytes: number;
  /** free * pageSize */
  freeBytes: number;
  /** True for the kernel's default hugepage size. */
  isDefault: boolean;
  /** Every hugetlbfs mount of this size (mountPoint is the first). */
  mounts: string[];
}

/** What `rtemem hugepages` shows (and prints with `--json`). */
export interface HugepagesReport {
  /** The kernel's default hugepage size in bytes, 0 without hugepage support. */
  defaultPageSize: number;
  /** NUMA node ids. */
  nodes: number[];
  /** One entry per page size, smallest first. */
  sizes: HugepageSizeReport[];
  /** Every hugetlbfs mount. */
  mounts: HugepageMount[];
}

/**
 * The hugepages of the system (or of the tree under `root`): counts per size
 * and per NUMA node, and the hugetlbfs mounts.
 *
 * @example
 * ```ts
 * const r = hugepagesReport();
 * const twoMeg = r.sizes.find((s) => s.pageSize === 2 * 1024 * 1024);
 * console.log(twoMeg?.total, twoMeg?.free, twoMeg?.mountPoint);
 * ```
 * @see dpdk-hugepages.py --show
 */
export function hugepagesReport(opts: { root?: string } = {}): HugepagesReport {
  const o = { root: opts.root ?? '/' };
  const defaultPageSize = defaultHugepageSize(o);
  const mounts = hugepageMounts(o);
  const sizes = hugepageInfo(o).map((h) => ({
    ...h,
    totalBytes: h.total * h.pageSize,
    freeBytes: h.free * h.pageSize,
    isDefault: h.pageSize === defaultPageSize,
    mounts: mounts.filter((m) => m.pageSize === h.pageSize).map((m) => m.mountPoint),
  }));
  return { defaultPageSize, nodes: numaNodes(o), sizes, mounts };
}

/** The report as aligned text tables. */
export function renderHugepages(r: HugepagesReport): string {
  if (r.sizes.length === 0) return 'No hugepage support in this kernel (no /sys/kernel/mm/hugepages).\n';
  const out: string[] = [];
  out.push(`Hugepages (default size ${r.defaultPageSize > 0 ? formatBytes(r.defaultPageSize) : 'none'})`);
  out.push(
    table(
      ['size', 'total', 'free', 'reserved', 'surplus', 'memory', 'free memory', 'mount'],
      r.sizes.map((s) => [
        `${formatBytes(s.pageSize)}${s.isDefault ? ' *' : ''}`,
        s.total,
        s.free,
        s.reserved,
        s.surplus,
        formatBytes(s.totalBytes),
        formatBytes(s.freeBytes),
        s.mountPoint,
      ]),
    ),
  );
  out.push('', `Per NUMA node (nodes ${r.nodes.join(', ')})`);
  const perNode = r.sizes.flatMap((s) => s.perNode.map((n) => [formatBytes(s.pageSize), n.node, n.total, n.free, formatBytes(n.total * s.pageSize)]));
  out.push(perNode.length > 0 ? table(['size', 'node', 'total', 'free', 'memory'], perNode) : '  (no per-node counts)');
  out.push('', 'hugetlbfs mounts');
  out.push(r.mounts.length > 0 ? table(['mount point', 'page size'], r.mounts.map((m) => [m.mountPoint, formatBytes(m.pageSize)])) : '  (none: mount one with rtemem hugepages --mount)');
  return `${out.join('\n')}\n`;
}

/* ------------------------------------------------------------------ *
 * Actions
 * ------------------------------------------------------------------ */

/** What an action did, for the text and JSON output. */
export interface HugepagesAction {
  action: 'clear' | 'unmount' | 'reserve' | 'mount';
  message: string;
  pageSize?: number;
  node?: number;
  pages?: number;
  mountPoint?: string;
}

/** Options of {@link hugepagesActions}. */
export interface HugepagesActionOptions {
  clear?: boolean;
  unmount?: boolean;
  /** Bytes to reserve (`--setup`). */
  setup?: number;
  mount?: boolean;
  pageSize?: number;
  node?: number;
  mountPoint?: string;
}

function kB(pageSize: number): number {
  return pageSize / 1024;
}

function sizeDirName(pageSize: number): string {
  return `hugepages-${kB(pageSize)}kB`;
}

function supportedSizes(sys: HugepagesSystem): number[] {
  let names: string[];
  try {
    names = readdirSync(join(sys.root, 'sys/kernel/mm/hugepages'));
  } catch {
    return [];
  }
  return names
    .map((n) => /^hugepages-(\d+)kB$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]) * 1024)
    .sort((a, b) => a - b);
}

/** The nr_hugepages file of a size, globally or on one node. */
function nrPath(sys: HugepagesSystem, pageSize: number, node: number | undefined): string {
  return node === undefined
    ? join(sys.root, 'sys/kernel/mm/hugepages', sizeDirName(pageSize), 'nr_hugepages')
    : join(sys.root, 'sys/devices/system/node', `node${node}`, 'hugepages', sizeDirName(pageSize), 'nr_hugepages');
}

function readCount(sys: HugepagesSystem, path: string): number {
  let text: string;
  try {
    text = sys.readFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const n = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(n)) throw new CliError(`${path} does not hold a count: ${JSON.stringify(text.trim())}`);
  return n;
}

const NEED_ROOT = 'run it as root (e.g. sudo rtemem hugepages ...)';

function requireRoot(sys: HugepagesSystem, what: string): void {
  if (!sys.privileged) throw new CliError(`${what} needs root: ${NEED_ROOT}`);
}

/** Writes nr_hugepages and returns what the kernel then reports. */
function writeNr(sys: HugepagesSystem, path: string, pages: number): number {
  try {
    sys.writeFile(path, `${pages}\n`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new CliError(`cannot write ${path} (${code}): ${NEED_ROOT}`);
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
  }
  return readCount(sys, path);
}

function resolvePageSize(sys: HugepagesSystem, requested: number | undefined): number {
  const sizes = supportedSizes(sys);
  if (sizes.length === 0) throw new CliError('this kernel has no hugepage support (no /sys/kernel/mm/hugepages)');
  const pageSize = requested ?? defaultHugepageSize({ root: sys.root });
  if (!sizes.includes(pageSize)) {
    throw new CliError(`the kernel has no ${formatBytes(pageSize)} hugepages; valid page sizes: ${sizes.map((s) => pageSizeOption(s)).join(', ')}`);
  }
  return pageSize;
}

function checkNode(sys: HugepagesSystem, node: number | undefined, pageSize: number): void {
  if (node === undefined) return;
  if (!existsSync(join(sys.root, 'sys/devices/system/node', `node${node}`, 'hugepages', sizeDirName(pageSize)))) {
    throw new CliError(`NUMA node ${node} has no ${formatBytes(pageSize)} hugepages (nodes: ${numaNodes({ root: sys.root }).join(', ')})`);
  }
}

function runOrFail(sys: HugepagesSystem, command: string, args: string[]): void {
  const r = sys.run(command, args);
  if (r.error) throw new CliError(`cannot run ${command}: ${r.error.message}`);
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout).trim();
    throw new CliError(`${command} ${args.join(' ')} failed (exit ${r.status})${why ? `: ${why}` : ''}`);
  }
}

function mountsAt(sys: HugepagesSystem, dir: string): HugepageMount[] {
  return hugepageMounts({ root: sys.root }).filter((m) => m.mountPoint === dir);
}

function doMount(sys: HugepagesSystem, pageSize: number, explicitDir: string | undefined): HugepagesAction {
  const dir = explicitDir ?? DEFAULT_HUGE_MOUNT;
  const mounts = hugepageMounts({ root: sys.root });
  const here = mounts.filter((m) => m.mountPoint === dir);
  if (here.length > 0) {
    const size = here[here.length - 1]!.pageSize;
    if (size !== pageSize) {
      throw new CliError(`${dir} already holds a hugetlbfs for ${formatBytes(size)} pages: unmount it first, or pick another --mount-point`);
    }
    return { action: 'mount', message: `hugetlbfs for ${formatBytes(pageSize)} pages already mounted at ${dir}`, pageSize, mountPoint: dir };
  }
  if (explicitDir === undefined) {
    const other = mounts.find((m) => m.pageSize === pageSize);
    if (other) return { action: 'mount', message: `hugetlbfs for ${formatBytes(pageSize)} pages already mounted at ${other.mountPoint}`, pageSize, mountPoint: other.mountPoint };
  }
  requireRoot(sys, 'mounting hugetlbfs');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${(e as Error).message}`);
  }
  const args = ['-t', 'hugetlbfs', '-o', `pagesize=${pageSizeOption(pageSize)}`, 'nodev', dir];
  runOrFail(sys, sys.mountBin, args);
  if (mountsAt(sys, dir).length === 0) throw new CliError(`${sys.mountBin} ${args.join(' ')} succeeded, but /proc/mounts shows no hugetlbfs at ${dir}`);
  return { action: 'mount', message: `mounted hugetlbfs (pagesize=${pageSizeOption(pageSize)}) at ${dir}`, pageSize, mountPoint: dir };
}

function doUnmount(sys: HugepagesSystem, explicitDir: string | undefined): HugepagesAction {
  const dir = explicitDir ?? DEFAULT_HUGE_MOUNT;
  let stacked = mountsAt(sys, dir).length;
  if (stacked === 0) return { action: 'unmount', message: `no hugetlbfs mounted at ${dir}`, mountPoint: dir };
  requireRoot(sys, 'unmounting hugetlbfs');
  // Mounts may be stacked on one directory: take them all off, top first.
  for (let left = stacked; left > 0; left--) {
    try {
      runOrFail(sys, sys.umountBin, [dir]);
    } catch (e) {
      throw new CliError(`${(e as Error).message} (a process may still have hugepage files open there)`);
    }
  }
  stacked = mountsAt(sys, dir).length;
  if (stacked > 0) throw new CliError(`${dir} is still a hugetlbfs mount after ${sys.umountBin}`);
  return { action: 'unmount', message: `unmounted hugetlbfs at ${dir}`, mountPoint: dir };
}

function doClear(sys: HugepagesSystem, pageSize: number | undefined, node: number | undefined): HugepagesAction[] {
  requireRoot(sys, 'releasing hugepages');
  const sizes = pageSize !== undefined ? [resolvePageSize(sys, pageSize)] : supportedSizes(sys);
  const done: HugepagesAction[] = [];
  for (const size of sizes) {
    checkNode(sys, node, size);
    const path = nrPath(sys, size, node);
    const before = readCount(sys, path);
    const left = writeNr(sys, path, 0);
    const where = node === undefined ? '' : ` on node ${node}`;
    let message = `released ${before - left} ${formatBytes(size)} hugepages${where} (nr_hugepages ${before} -> ${left})`;
    let surplus = 0;
    try {
      surplus = readCount(sys, join(sys.root, 'sys/kernel/mm/hugepages', sizeDirName(size), 'surplus_hugepages'));
    } catch {
      // No surplus count: nothing to say.
    }
    if (surplus > 0) message += `; ${surplus} still in use stay until their users free them`;
    done.push({ action: 'clear', message, pageSize: size, pages: left, ...(node !== undefined ? { node } : {}) });
  }
  return done;
}

function doReserve(sys: HugepagesSystem, bytes: number, pageSize: number, node: number | undefined): HugepagesAction {
  requireRoot(sys, 'reserving hugepages');
  checkNode(sys, node, pageSize);
  const pages = Math.ceil(bytes / pageSize);
  const path = nrPath(sys, pageSize, node);
  const got = writeNr(sys, path, pages);
  const where = node === undefined ? '' : ` on node ${node}`;
  if (got < pages) {
    throw new CliError(
      `the kernel reserved only ${got} of ${pages} ${formatBytes(pageSize)} hugepages${where} (${formatBytes(got * pageSize)} of ${formatBytes(pages * pageSize)}): ` +
        `not enough free contiguous memory. Free some memory, ask for less, or reserve at boot (hugepages=${pages} hugepagesz=${pageSizeOption(pageSize)} on the kernel command line). ` +
        `${path} is now ${got}.`,
    );
  }
  return { action: 'reserve', message: `reserved ${got} ${formatBytes(pageSize)} hugepages${where} (${formatBytes(got * pageSize)})`, pageSize, pages: got, ...(node !== undefined ? { node } : {}) };
}

/**
 * Runs the actions in dpdk-hugepages.py's order: clear, unmount, reserve
 * (`setup`), mount (`setup` or `mount`). Throws {@link CliError} when not
 * root, when the kernel gives fewer pages than asked (saying how many it
 * gave), or when mount/umount fail; actions before the failing one stay
 * done, and are in `done` (returned, and filled as they happen).
 *
 * Unlike dpdk-hugepages.py, `setup` neither clears nor unmounts first (that
 * would pull pages from under running applications), and it mounts only
 * when no hugetlbfs of that page size is mounted yet.
 *
 * @see dpdk-hugepages.py --clear / --unmount / --setup / --mount
 */
export function hugepagesActions(o: HugepagesActionOptions, sys: HugepagesSystem = defaultSystem(), done: HugepagesAction[] = []): HugepagesAction[] {
  if (o.clear) done.push(...doClear(sys, o.pageSize, o.node));
  if (o.unmount) done.push(doUnmount(sys, o.mountPoint));
  if (o.setup !== undefined || o.mount) {
    const pageSize = resolvePageSize(sys, o.pageSize);
    if (o.setup !== undefined) done.push(doReserve(sys, o.setup, pageSize, o.node));
    done.push(doMount(sys, pageSize, o.mountPoint));
  }
  return done;
}

/* ------------------------------------------------------------------ *
 * The command
 * ------------------------------------------------------------------ */

function sizeArg(name: string, text: string): number {
  const n = parseSize(text);
  if (!Number.isFinite(n) || n <= 0 || !Number.isSafeInteger(n)) throw new UsageError(`${name}: ${JSON.stringify(text)} is not a size (a positive number with an optional K, M or G suffix)`, 'hugepages');
  return n;
}

/**
 * `rtemem hugepages [options]`: runs the actions asked for, then prints the
 * report. Returns the exit code; throws UsageError / CliError.
 */
export function hugepagesCommand(argv: string[], io: Io, sys: HugepagesSystem = defaultSystem()): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'boolean' },
        setup: { type: 'string' },
        mount: { type: 'boolean' },
        clear: { type: 'boolean' },
        unmount: { type: 'boolean' },
        node: { type: 'string' },
        pagesize: { type: 'string' },
        'mount-point': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, 'hugepages');
  }
  if (values.help) {
    io.out(HUGEPAGES_USAGE);
    return EXIT_OK;
  }
  const o: HugepagesActionOptions = { clear: values.clear === true, unmount: values.unmount === true, mount: values.mount === true };
  if (values.setup !== undefined) o.setup = sizeArg('--setup', values.setup);
  if (values.pagesize !== undefined) o.pageSize = sizeArg('--pagesize', values.pagesize);
  if (values.node !== undefined) {
    if (!/^\d+$/.test(values.node)) throw new UsageError(`--node: ${JSON.stringify(values.node)} is not a NUMA node number`, 'hugepages');
    o.node = Number(values.node);
  }
  if (values['mount-point'] !== undefined) {
    if (!values['mount-point'].startsWith('/')) throw new UsageError('--mount-point: give an absolute path', 'hugepages');
    o.mountPoint = values['mount-point'];
  }
  const any = o.clear || o.unmount || o.mount || o.setup !== undefined;
  if (!any && (o.pageSize !== undefined || o.node !== undefined || o.mountPoint !== undefined)) {
    throw new UsageError('--pagesize, --node and --mount-point go with --setup, --clear, --mount or --unmount', 'hugepages');
  }
  if (o.node !== undefined && !o.clear && o.setup === undefined) throw new UsageError('--node goes with --setup or --clear', 'hugepages');
  if (o.mountPoint !== undefined && !o.unmount && !o.mount && o.setup === undefined) throw new UsageError('--mount-point goes with --setup, --mount or --unmount', 'hugepages');

  const actions: HugepagesAction[] = [];
  if (any) {
    try {
      hugepagesActions(o, sys, actions);
    } catch (e) {
      // Say what was done before the failure, then fail.
      if (actions.length > 0 && !values.json) io.out(`${actions.map((a) => a.message).join('\n')}\n`);
      throw e;
    }
  }
  const report = hugepagesReport({ root: sys.root });
  if (values.json) {
    io.out(`${JSON.stringify(any ? { actions, ...report } : report, null, 2)}\n`);
  } else {
    if (actions.length > 0) io.out(`${actions.map((a) => a.message).join('\n')}\n\n`);
    io.out(renderHugepages(report));
  }
  return EXIT_OK;
}
