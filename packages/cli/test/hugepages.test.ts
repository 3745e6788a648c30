import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { type HugepagesSystem, defaultSystem, hugepagesActions, hugepagesReport } from '../src/index.js';
import { hugepagesRequired } from '@rtemem/testkit';
import { assertBuilt, installedCopy, rtemem } from './helpers.js';

beforeAll(assertBuilt);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/* ------------------------------------------------------------------ *
 * A fixture tree: sys/ and proc/ as the kernel shows them, plus fake
 * mount and umount commands that edit its proc/mounts.
 * ------------------------------------------------------------------ */

interface SizeSpec {
  nr: number;
  free: number;
  resv?: number;
  surplus?: number;
  nodes?: Record<number, { nr: number; free: number }>;
}

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `rtemem-cli-${tag}-`));
  temps.push(d);
  return d;
}

const FAKE_MOUNT = `#!/bin/sh
# fake mount: mount -t hugetlbfs -o pagesize=X nodev DIR
echo "mount $*" >> "$RTEMEM_SYSFS_ROOT/calls.log"
if [ -n "$FAKE_MOUNT_FAIL" ]; then echo "mount: $6: permission denied." >&2; exit 32; fi
echo "nodev $6 hugetlbfs rw,relatime,$4 0 0" >> "$RTEMEM_SYSFS_ROOT/proc/mounts"
`;

const FAKE_UMOUNT = `#!/bin/sh
# fake umount DIR: drops the last hugetlbfs line of DIR
echo "umount $*" >> "$RTEMEM_SYSFS_ROOT/calls.log"
if [ -n "$FAKE_UMOUNT_BUSY" ]; then echo "umount: $1: target is busy." >&2; exit 32; fi
m="$RTEMEM_SYSFS_ROOT/proc/mounts"
line=$(grep -n " $1 hugetlbfs " "$m" | tail -n 1 | cut -d: -f1)
[ -n "$line" ] && sed -i "\${line}d" "$m"
exit 0
`;

function fixture(sizes: Record<number, SizeSpec>, opts: { nodes?: number[]; mounts?: string[]; defaultKb?: number } = {}): { root: string; env: Record<string, string> } {
  const root = tempDir('sys');
  const nodes = opts.nodes ?? [0];
  for (const [kbText, s] of Object.entries(sizes)) {
    const dir = join(root, 'sys/kernel/mm/hugepages', `hugepages-${kbText}kB`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'nr_hugepages'), `${s.nr}\n`);
    writeFileSync(join(dir, 'free_hugepages'), `${s.free}\n`);
    writeFileSync(join(dir, 'resv_hugepages'), `${s.resv ?? 0}\n`);
    writeFileSync(join(dir, 'surplus_hugepages'), `${s.surplus ?? 0}\n`);
    for (const node of nodes) {
      const nd = join(root, 'sys/devices/system/node', `node${node}`, 'hugepages', `hugepages-${kbText}kB`);
      mkdirSync(nd, { recursive: true });
      const n = s.nodes?.[node] ?? { nr: node === nodes[0] ? s.nr : 0, free: node === nodes[0] ? s.free : 0 };
      writeFileSync(join(nd, 'nr_hugepages'), `${n.nr}\n`);
      writeFileSync(join(nd, 'free_hugepages'), `${n.free}\n`);
    }
  }
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/meminfo'), `MemTotal:       16000000 kB\nHugepagesize:       ${opts.defaultKb ?? 2048} kB\n`);
  writeFileSync(join(root, 'proc/mounts'), ['proc /proc proc rw 0 0', ...(opts.mounts ?? [])].map((l) => `${l}\n`).join(''));
  writeFileSync(join(root, 'calls.log'), '');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'mount'), FAKE_MOUNT);
  writeFileSync(join(bin, 'umount'), FAKE_UMOUNT);
  chmodSync(join(bin, 'mount'), 0o755);
  chmodSync(join(bin, 'umount'), 0o755);
  return { root, env: { RTEMEM_SYSFS_ROOT: root, RTEMEM_MOUNT_BIN: join(bin, 'mount'), RTEMEM_UMOUNT_BIN: join(bin, 'umount') } };
}

const read = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8');
const nr = (root: string, kb: number, node?: number) =>
  Number(read(root, node === undefined ? `sys/kernel/mm/hugepages/hugepages-${kb}kB/nr_hugepages` : `sys/devices/system/node/node${node}/hugepages/hugepages-${kb}kB/nr_hugepages`).trim());
const calls = (root: string) => read(root, 'calls.log').split('\n').filter(Boolean);

// The usual machine: 1024 x 2 MiB reserved (1000 free, 8 reserved by a mapping), no 1 GiB pages, two nodes.
function usual(mounts = ['nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0']) {
  return fixture(
    {
      2048: { nr: 1024, free: 1000, resv: 8, surplus: 0, nodes: { 0: { nr: 512, free: 500 }, 1: { nr: 512, free: 500 } } },
      1048576: { nr: 0, free: 0 },
    },
    { nodes: [0, 1], mounts },
  );
}

describe('rtemem hugepages on a fixture tree (RTEMEM_SYSFS_ROOT, fake mount and umount)', () => {
  it('shows every size with totals, free, reserved, surplus, per node, and the mounts', () => {
    const { env } = usual();
    const r = rtemem(['hugepages'], { env });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Hugepages (default size 2 MiB)');
    // free = free_hugepages - resv_hugepages: what a new mapping can take.
    expect(lines.find((l) => l.trimStart().startsWith('2 MiB *'))).toMatch(/^\s+2 MiB \*\s+1024\s+992\s+8\s+0\s+2 GiB\s+1\.9 GiB\s+\/dev\/hugepages$/);
    expect(lines.find((l) => l.trimStart().startsWith('1 GiB  '))).toMatch(/^\s+1 GiB\s+0\s+0\s+0\s+0\s+0 B\s+0 B\s+-$/);
    expect(r.stdout).toContain('Per NUMA node (nodes 0, 1)');
    expect(r.stdout).toMatch(/^\s+2 MiB\s+0\s+512\s+500\s+1 GiB$/m);
    expect(r.stdout).toMatch(/^\s+2 MiB\s+1\s+512\s+500\s+1 GiB$/m);
    expect(r.stdout).toMatch(/^\s+\/dev\/hugepages\s+2 MiB$/m);
  });

  it('--json prints one document with the same numbers', () => {
    const { env } = usual();
    const r = rtemem(['hugepages', '--json'], { env });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.defaultPageSize).toBe(2 * MiB);
    expect(doc.nodes).toEqual([0, 1]);
    expect(doc.sizes).toEqual([
      {
        pageSize: 2 * MiB, total: 1024, free: 992, reserved: 8, surplus: 0, mountPoint: '/dev/hugepages',
        perNode: [{ node: 0, total: 512, free: 500 }, { node: 1, total: 512, free: 500 }],
        totalBytes: 2 * GiB, freeBytes: 992 * 2 * MiB, isDefault: true, mounts: ['/dev/hugepages'],
      },
      {
        pageSize: GiB, total: 0, free: 0, reserved: 0, surplus: 0, mountPoint: null,
        perNode: [{ node: 0, total: 0, free: 0 }, { node: 1, total: 0, free: 0 }],
        totalBytes: 0, freeBytes: 0, isDefault: false, mounts: [],
      },
    ]);
    expect(doc.mounts).toEqual([{ mountPoint: '/dev/hugepages', pageSize: 2 * MiB }]);
  });

  it('says so when the kernel has no hugepages at all', () => {
    const { env } = fixture({});
    const r = rtemem(['hugepages'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No hugepage support');
    const s = rtemem(['hugepages', '--setup', '1G'], { env });
    expect(s.status).toBe(1);
    expect(s.stderr).toContain('no hugepage support');
  });

  it('--setup SIZE reserves enough pages (rounded up) and skips mounting when that size is mounted', () => {
    const { root, env } = usual();
    const r = rtemem(['hugepages', '--setup', '3M'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(nr(root, 2048)).toBe(2);
    expect(r.stdout).toContain('reserved 2 2 MiB hugepages (4 MiB)');
    expect(r.stdout).toContain('hugetlbfs for 2 MiB pages already mounted at /dev/hugepages');
    expect(calls(root)).toEqual([]);
    // Per-node files untouched without --node.
    expect(nr(root, 2048, 0)).toBe(512);
  });

  it('--setup with --pagesize 1G mounts hugetlbfs (pagesize=1G) when none of that size is mounted', () => {
    const { root, env } = usual();
    const dir = join(root, 'mnt', 'huge-1G');
    const r = rtemem(['hugepages', '--setup', '2G', '--pagesize', '1G', '--mount-point', dir], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(nr(root, 1048576)).toBe(2);
    expect(nr(root, 2048)).toBe(1024);
    expect(existsSync(dir)).toBe(true); // mkdir -p before mount
    expect(calls(root)).toEqual([`mount -t hugetlbfs -o pagesize=1G nodev ${dir}`]);
    expect(r.stdout).toContain(`mounted hugetlbfs (pagesize=1G) at ${dir}`);
    expect(r.stdout).toMatch(new RegExp(`^\\s+1 GiB\\s+2\\s+0\\s+0\\s+0\\s+2 GiB\\s+0 B\\s+${dir}$`, 'm'));
  });

  it('--setup mounts at /dev/hugepages by default when no mount of that size exists', () => {
    const { root, env } = usual([]);
    const r = rtemem(['hugepages', '--setup', '64M', '--json'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(calls(root)).toEqual(['mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages']);
    const doc = JSON.parse(r.stdout);
    expect(doc.actions.map((a: { action: string }) => a.action)).toEqual(['reserve', 'mount']);
    expect(doc.actions[0]).toMatchObject({ pageSize: 2 * MiB, pages: 32 });
    expect(doc.sizes[0].total).toBe(32);
    expect(doc.mounts).toEqual([{ mountPoint: '/dev/hugepages', pageSize: 2 * MiB }]);
  });

  it('--setup --node N writes that node\'s nr_hugepages only', () => {
    const { root, env } = usual();
    const r = rtemem(['hugepages', '--setup', '512M', '--node', '1'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(nr(root, 2048, 1)).toBe(256);
    expect(nr(root, 2048, 0)).toBe(512);
    expect(nr(root, 2048)).toBe(1024);
    expect(r.stdout).toContain('reserved 256 2 MiB hugepages on node 1 (512 MiB)');
  });

  it('refuses an unknown node or page size (exit 1) and changes nothing', () => {
    const { root, env } = usual();
    const a = rtemem(['hugepages', '--setup', '1G', '--node', '7'], { env });
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('NUMA node 7 has no 2 MiB hugepages (nodes: 0, 1)');
    const b = rtemem(['hugepages', '--setup', '1G', '--pagesize', '4M'], { env });
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('the kernel has no 4 MiB hugepages; valid page sizes: 2M, 1G');
    expect(nr(root, 2048)).toBe(1024);
    expect(calls(root)).toEqual([]);
  });

  it('--clear releases every size; with --pagesize one size; with --node one node', () => {
    const one = usual();
    writeFileSync(join(one.root, 'sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages'), '2\n');
    const r = rtemem(['hugepages', '--clear'], { env: one.env });
    expect(r.status, r.stderr).toBe(0);
    expect(nr(one.root, 2048)).toBe(0);
    expect(nr(one.root, 1048576)).toBe(0);
    expect(r.stdout).toContain('released 1024 2 MiB hugepages (nr_hugepages 1024 -> 0)');
    expect(r.stdout).toContain('released 2 1 GiB hugepages (nr_hugepages 2 -> 0)');
    expect(calls(one.root)).toEqual([]); // --clear does not unmount

    const two = usual();
    writeFileSync(join(two.root, 'sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages'), '2\n');
    expect(rtemem(['hugepages', '--clear', '--pagesize', '1G'], { env: two.env }).status).toBe(0);
    expect(nr(two.root, 1048576)).toBe(0);
    expect(nr(two.root, 2048)).toBe(1024);

    const three = usual();
    const t = rtemem(['hugepages', '--clear', '--pagesize', '2M', '--node', '0'], { env: three.env });
    expect(t.status, t.stderr).toBe(0);
    expect(nr(three.root, 2048, 0)).toBe(0);
    expect(nr(three.root, 2048, 1)).toBe(512);
  });

  it('--clear says when pages in use stay (surplus)', () => {
    const { env } = fixture({ 2048: { nr: 16, free: 0, surplus: 16 } });
    const r = rtemem(['hugepages', '--clear'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('16 still in use stay until their users free them');
  });

  it('--unmount unmounts the hugetlbfs at the mount point (default /dev/hugepages), nothing else', () => {
    const other = '/mnt/huge-other';
    const { root, env } = usual(['nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0', `nodev ${other} hugetlbfs rw,relatime,pagesize=1G 0 0`]);
    const r = rtemem(['hugepages', '--unmount'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(calls(root)).toEqual(['umount /dev/hugepages']);
    expect(r.stdout).toContain('unmounted hugetlbfs at /dev/hugepages');
    expect(read(root, 'proc/mounts')).not.toContain(' /dev/hugepages ');
    expect(read(root, 'proc/mounts')).toContain(` ${other} `);
    // Nothing mounted there any more: says so, runs nothing.
    const again = rtemem(['hugepages', '--unmount'], { env });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('no hugetlbfs mounted at /dev/hugepages');
    expect(calls(root)).toHaveLength(1);
    // --mount-point picks another one.
    expect(rtemem(['hugepages', '--unmount', '--mount-point', other], { env }).status).toBe(0);
    expect(calls(root)).toEqual(['umount /dev/hugepages', `umount ${other}`]);
    expect(read(root, 'proc/mounts')).not.toContain('hugetlbfs');
  });

  it('--clear --unmount --setup --mount-point: in dpdk-hugepages.py order', () => {
    const { root, env } = usual();
    const dir = join(root, 'mnt', 'h');
    const r = rtemem(['hugepages', '--setup', '8M', '--unmount', '--clear', '--mount-point', dir], { env });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.split('\n');
    expect(out.slice(0, 5)).toEqual([
      'released 1024 2 MiB hugepages (nr_hugepages 1024 -> 0)',
      'released 0 1 GiB hugepages (nr_hugepages 0 -> 0)',
      `no hugetlbfs mounted at ${dir}`,
      'reserved 4 2 MiB hugepages (8 MiB)',
      `mounted hugetlbfs (pagesize=2M) at ${dir}`,
    ]);
    expect(calls(root)).toEqual([`mount -t hugetlbfs -o pagesize=2M nodev ${dir}`]);
  });

  it('--mount alone mounts at the given point, and says when it is already there', () => {
    const { root, env } = usual();
    const dir = join(root, 'mnt', 'm');
    expect(rtemem(['hugepages', '--mount', '--mount-point', dir], { env }).status).toBe(0);
    const again = rtemem(['hugepages', '--mount', '--mount-point', dir], { env });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`hugetlbfs for 2 MiB pages already mounted at ${dir}`);
    const wrongSize = rtemem(['hugepages', '--mount', '--pagesize', '1G', '--mount-point', dir], { env });
    expect(wrongSize.status).toBe(1);
    expect(wrongSize.stderr).toContain(`${dir} already holds a hugetlbfs for 2 MiB pages`);
    expect(calls(root)).toEqual([`mount -t hugetlbfs -o pagesize=2M nodev ${dir}`]);
  });

  it('a failing mount or umount is exit 1 with its message; what was done before is still reported', () => {
    const { root, env } = usual([]);
    const r = rtemem(['hugepages', '--setup', '4M'], { env: { ...env, FAKE_MOUNT_FAIL: '1' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('reserved 2 2 MiB hugepages (4 MiB)');
    expect(r.stderr).toContain('rtemem: ');
    expect(r.stderr).toContain('failed (exit 32): mount: /dev/hugepages: permission denied.');
    expect(nr(root, 2048)).toBe(2);

    const m = usual();
    const u = rtemem(['hugepages', '--unmount'], { env: { ...m.env, FAKE_UMOUNT_BUSY: '1' } });
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('target is busy');
    expect(u.stderr).toContain('a process may still have hugepage files open there');
  });

  it('when the kernel gives fewer pages than asked: exit 1, saying how many it got', () => {
    const { root } = usual();
    // A "kernel" that has room for 700 pages in all.
    const sys: HugepagesSystem = {
      ...defaultSystem({ RTEMEM_SYSFS_ROOT: root }),
      writeFile: (path, text) => writeFileSync(path, `${Math.min(700, Number(text))}\n`),
    };
    let err: unknown;
    try {
      hugepagesActions({ setup: 2 * GiB }, sys);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain('the kernel reserved only 700 of 1024 2 MiB hugepages (1.4 GiB of 2 GiB)');
    expect((err as Error).message).toContain('nr_hugepages is now 700');
    expect(nr(root, 2048)).toBe(700);
    expect(hugepagesReport({ root }).sizes[0]!.total).toBe(700);
  });
});

/* ------------------------------------------------------------------ *
 * The real system. CI runs as root with 1024 x 2 MiB pages reserved and
 * /dev/hugepages mounted, and other tests need both: these tests only read,
 * or change something and put back exactly what was there.
 * ------------------------------------------------------------------ */

const SYS2M = '/sys/kernel/mm/hugepages/hugepages-2048kB';
const has2M = existsSync(SYS2M);
const isRoot = process.geteuid?.() === 0;
// Skips say why in their titles; under RTEMEM_REQUIRE_HUGEPAGES=1 (CI, as
// root) these tests run whatever the system has, and fail if it lacks it.
const skip2M = !has2M && !hugepagesRequired;
const skipRoot = !isRoot && !hugepagesRequired;
const why = (skip: boolean, reason: string) => (skip ? ` [skipped: ${reason}]` : '');
const sysCount = (name: string, dir = SYS2M) => Number(readFileSync(join(dir, name), 'utf8').trim());

function sysSnapshot() {
  return { total: sysCount('nr_hugepages'), free: sysCount('free_hugepages') - sysCount('resv_hugepages'), reserved: sysCount('resv_hugepages'), surplus: sysCount('surplus_hugepages') };
}

/** Runs `fn` until the 2 MiB counts in sysfs are the same before and after it (others may be mapping pages meanwhile). */
function stable<T>(fn: () => T): { value: T; snap: ReturnType<typeof sysSnapshot> } {
  for (let i = 0; ; i++) {
    const before = sysSnapshot();
    const value = fn();
    const after = sysSnapshot();
    if (JSON.stringify(before) === JSON.stringify(after) || i >= 10) return { value, snap: after };
  }
}

function nodeFiles(): { path: string; value: number }[] {
  const base = '/sys/devices/system/node';
  if (!existsSync(base)) return [];
  const out: { path: string; value: number }[] = [];
  for (const n of spawnSync('ls', [base], { encoding: 'utf8' }).stdout.split('\n').filter((x) => /^node\d+$/.test(x))) {
    const p = join(base, n, 'hugepages/hugepages-2048kB/nr_hugepages');
    if (existsSync(p)) out.push({ path: p, value: Number(readFileSync(p, 'utf8').trim()) });
  }
  return out;
}

function hugetlbfsMountsAt(dir: string): number {
  return readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1] === dir && l.split(' ')[2] === 'hugetlbfs').length;
}

describe.skipIf(skip2M)(`rtemem hugepages on this system${why(skip2M, `no ${SYS2M}`)}`, () => {
  it('lists the 2048 kB size with the numbers in /sys/kernel/mm/hugepages/hugepages-2048kB and its mount', () => {
    const { value: r, snap } = stable(() => rtemem(['hugepages']));
    expect(r.status).toBe(0);
    const row = r.stdout.split('\n').find((l) => /^\s+2 MiB/.test(l))!;
    expect(row).toBeDefined();
    const cells = row.trim().split(/\s{2,}/);
    expect(cells.slice(1, 5).map(Number)).toEqual([snap.total, snap.free, snap.reserved, snap.surplus]);
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'hugetlbfs');
    const twoMeg = mounts.find((l) => /pagesize=2M/.test(l) || !/pagesize=/.test(l));
    if (twoMeg) {
      expect(cells.at(-1)).toBe(twoMeg.split(' ')[1]);
      expect(r.stdout).toMatch(new RegExp(`^\\s+${twoMeg.split(' ')[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+2 MiB$`, 'm'));
    }
  });

  it('--json parses and matches sysfs and /proc/mounts', () => {
    const { value: r, snap } = stable(() => rtemem(['hugepages', '--json']));
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    const s = doc.sizes.find((x: { pageSize: number }) => x.pageSize === 2 * MiB);
    expect({ total: s.total, free: s.free, reserved: s.reserved, surplus: s.surplus }).toEqual(snap);
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'hugetlbfs').map((l) => l.split(' ')[1]);
    expect(doc.mounts.map((m: { mountPoint: string }) => m.mountPoint)).toEqual(mounts);
  });

  it.skipIf(skipRoot)(`--setup the current count + 2 pages really reserves them (and mounts 2 MiB hugetlbfs only when none is); the machine is left as it was${why(skipRoot, 'needs root')}`, () => {
    // Everything the call may change, recorded before it runs.
    const prevTotal = sysCount('nr_hugepages');
    const prevNodes = nodeFiles();
    const mountsBefore = readFileSync('/proc/mounts', 'utf8');
    const devMountsBefore = hugetlbfsMountsAt('/dev/hugepages');
    const twoMegMounted = mountsBefore.split('\n').some((l) => l.split(' ')[2] === 'hugetlbfs' && (/pagesize=2M/.test(l) || !/pagesize=/.test(l)));
    try {
      const want = prevTotal + 2;
      const r = rtemem(['hugepages', '--setup', `${want * 2}M`, '--pagesize', '2M', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(sysCount('nr_hugepages')).toBe(want);
      const doc = JSON.parse(r.stdout);
      expect(doc.actions[0]).toMatchObject({ action: 'reserve', pages: want, pageSize: 2 * MiB });
      if (twoMegMounted) {
        // A 2 MiB hugetlbfs was mounted before the call: --setup must not mount another.
        expect(doc.actions[1].message).toContain('already mounted');
        expect(readFileSync('/proc/mounts', 'utf8')).toBe(mountsBefore);
      } else {
        // None was: --setup mounts one at /dev/hugepages, and says so.
        expect(doc.actions[1]).toMatchObject({ action: 'mount', mountPoint: '/dev/hugepages' });
        expect(doc.actions[1].message).toContain('mounted hugetlbfs (pagesize=2M) at /dev/hugepages');
        expect(hugetlbfsMountsAt('/dev/hugepages')).toBe(devMountsBefore + 1);
      }
    } finally {
      // Undo in reverse: the mount this call added (if any), then the counts, per node first (a multi-node machine), then the total.
      for (let i = hugetlbfsMountsAt('/dev/hugepages'); i > devMountsBefore; i--) spawnSync('umount', ['/dev/hugepages']);
      for (const n of prevNodes) writeFileSync(n.path, `${n.value}\n`);
      writeFileSync(join(SYS2M, 'nr_hugepages'), `${prevTotal}\n`);
    }
    expect(sysCount('nr_hugepages')).toBe(prevTotal);
    for (const n of prevNodes) expect(Number(readFileSync(n.path, 'utf8').trim())).toBe(n.value);
    expect(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(' hugetlbfs '))).toEqual(mountsBefore.split('\n').filter((l) => l.includes(' hugetlbfs ')));
  });

  it.skipIf(skipRoot)(`--mount / --unmount with --mount-point: a second hugetlbfs of our own, and only that one${why(skipRoot, 'needs root')}`, (ctx) => {
    const dir = join(tempDir('mnt'), 'huge');
    const devBefore = hugetlbfsMountsAt('/dev/hugepages');
    try {
      const m = rtemem(['hugepages', '--mount', '--pagesize', '2M', '--mount-point', dir]);
      if (m.status !== 0 && /permission denied|not permitted|must be superuser|only root/i.test(m.stderr)) {
        ctx.skip(`this container may not mount: ${m.stderr.trim()}`);
      }
      expect(m.status, m.stderr).toBe(0);
      expect(hugetlbfsMountsAt(dir)).toBe(1);
      expect(m.stdout).toContain(`mounted hugetlbfs (pagesize=2M) at ${dir}`);
      const u = rtemem(['hugepages', '--unmount', '--mount-point', dir]);
      expect(u.status, u.stderr).toBe(0);
      expect(u.stdout).toContain(`unmounted hugetlbfs at ${dir}`);
      expect(hugetlbfsMountsAt(dir)).toBe(0);
    } finally {
      for (let i = hugetlbfsMountsAt(dir); i > 0; i--) spawnSync('umount', [dir]);
    }
    expect(hugetlbfsMountsAt('/dev/hugepages')).toBe(devBefore);
  });
});

/* ------------------------------------------------------------------ *
 * Not root.
 * ------------------------------------------------------------------ */

// runuser (util-linux) or setpriv, to drop to nobody.
function dropPrefix(): { prefix: string[] | null; reason: string } {
  if (!isRoot) return { prefix: [], reason: 'already not root' };
  const candidates = [
    ['runuser', '-u', 'nobody', '--'],
    ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
  ];
  for (const c of candidates) {
    const probe = spawnSync(c[0]!, [...c.slice(1), process.execPath, '-e', 'process.stdout.write(String(process.geteuid()))'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0 && probe.stdout !== '' && probe.stdout !== '0') return { prefix: c, reason: `${c[0]} works` };
  }
  return { prefix: null, reason: 'neither runuser nor setpriv can run node as nobody here' };
}

const drop = dropPrefix();

describe.skipIf(drop.prefix === null || skip2M)(`rtemem hugepages as a user who is not root${why(drop.prefix === null, drop.reason)}${why(drop.prefix !== null && skip2M, `no ${SYS2M}`)}`, () => {
  // Another user may not be able to read this checkout (root's home, a 0700
  // temp folder): as root, that user runs an installed copy in a folder anyone can read.
  let copy: { cli: string; remove: () => void } | null = null;
  beforeAll(() => {
    if (drop.prefix!.length > 0) copy = installedCopy();
  });
  afterAll(() => copy?.remove());

  const asNobody = (args: string[]) => {
    if (drop.prefix!.length === 0) {
      // Not root already: run as this user.
      if (process.geteuid?.() === 0) throw new Error('refusing to run as root');
      return rtemem(args);
    }
    // Make sure the user really is not root before asking for changes to the real system.
    const uid = spawnSync(drop.prefix![0]!, [...drop.prefix!.slice(1), process.execPath, '-e', 'process.stdout.write(String(process.geteuid()))'], { encoding: 'utf8' }).stdout;
    if (uid === '0' || uid === '') throw new Error(`refusing to run ${args.join(' ')}: the dropped user is uid ${JSON.stringify(uid)}`);
    return rtemem(args, { prefix: drop.prefix!, cli: copy!.cli });
  };

  it('shows hugepages (reading needs no root)', () => {
    const r = asNobody(['hugepages']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+2 MiB/m);
  });

  it.each([
    [['hugepages', '--setup', '4M'], 'reserving hugepages needs root'],
    [['hugepages', '--clear'], 'releasing hugepages needs root'],
    [['hugepages', '--mount', '--mount-point', '/tmp/rtemem-never-mounted']],
  ] as [string[], string?][])('%j: exit 1, says to run as root, changes nothing', (args, message) => {
    const before = sysSnapshot().total;
    const r = asNobody(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('needs root: run it as root');
    if (message) expect(r.stderr).toContain(message);
    expect(sysSnapshot().total).toBe(before);
  });

  const noDevMount = hugetlbfsMountsAt('/dev/hugepages') === 0;
  it.skipIf(noDevMount)(`--unmount of /dev/hugepages: exit 1, says to run as root, stays mounted${why(noDevMount, 'no hugetlbfs mounted at /dev/hugepages')}`, () => {
    const before = hugetlbfsMountsAt('/dev/hugepages');
    const r = asNobody(['hugepages', '--unmount']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unmounting hugetlbfs needs root: run it as root');
    expect(hugetlbfsMountsAt('/dev/hugepages')).toBe(before);
  });
});
