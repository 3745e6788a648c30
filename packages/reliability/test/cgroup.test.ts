// A hugetlb cgroup limit (a container's, say) refuses pages. DPDK maps
// them lazily and dies of SIGBUS at first touch; rtemem backs every page
// when it maps it, so the limit is an ENOMEM at Eal.init and a failed heap
// growth (malloc returns 0) later, and the process lives on. Needs root and
// the kernel's hugetlb cgroup controller (v1 or v2); skips, saying which is
// missing, otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultHugepageSize } from '@rtemem/mbuf';
import { hugepagesFree, hugepageStatus, uniquePrefix } from '@rtemem/testkit';

const CHILD = fileURLToPath(new URL('./fixtures/cgroup-child.mjs', import.meta.url));
const LIMIT_PAGES = 4;

interface Cgroup {
  procs: string;
  limitFile: string;
  failcnt: () => number;
  remove: () => void;
}

/** A fresh hugetlb cgroup limited to LIMIT_PAGES pages, or why there can be none. */
function makeCgroup(pageSize: number): Cgroup | string {
  if (process.getuid?.() !== 0) return 'creating a hugetlb cgroup needs root';
  if (!/^hugetlb\s+\d+\s+\d+\s+1$/m.test(readFileSync('/proc/cgroups', 'utf8'))) return 'the kernel has no enabled hugetlb cgroup controller';
  const size = pageSize >= 1 << 30 ? `${pageSize / (1 << 30)}GB` : `${pageSize / (1 << 20)}MB`;
  const limit = String(LIMIT_PAGES * pageSize);
  const name = `rtemem-test-${process.pid}`;
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  const v2 = mounts.find((m) => m[2] === 'cgroup2' && existsSync(join(m[1]!, 'cgroup.controllers')) && readFileSync(join(m[1]!, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('hugetlb'));
  if (v2 !== undefined) {
    const dir = join(v2[1]!, name);
    writeFileSync(join(v2[1]!, 'cgroup.subtree_control'), '+hugetlb');
    mkdirSync(dir);
    writeFileSync(join(dir, `hugetlb.${size}.max`), limit);
    return {
      procs: join(dir, 'cgroup.procs'),
      limitFile: join(dir, `hugetlb.${size}.max`),
      failcnt: () => Number(/max (\d+)/.exec(readFileSync(join(dir, `hugetlb.${size}.events`), 'utf8'))?.[1] ?? 0),
      remove: () => rmdirSync(dir),
    };
  }
  let root = mounts.find((m) => m[2] === 'cgroup' && m[3]!.split(',').includes('hugetlb'))?.[1];
  let unmount = false;
  if (root === undefined) {
    root = mkdtempSync(join(tmpdir(), 'rtemem-cg-'));
    const r = spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'none', root]);
    if (r.status !== 0) return `cannot mount the hugetlb cgroup (v1): ${r.stderr.toString().trim()}`;
    unmount = true;
  }
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, `hugetlb.${size}.limit_in_bytes`), limit);
  return {
    procs: join(dir, 'cgroup.procs'),
    limitFile: join(dir, `hugetlb.${size}.limit_in_bytes`),
    failcnt: () => Number(readFileSync(join(dir, `hugetlb.${size}.failcnt`), 'utf8')),
    remove: () => {
      rmdirSync(dir);
      if (unmount) {
        spawnSync('umount', [root!]);
        rmdirSync(root!);
      }
    },
  };
}

const hp = hugepageStatus(LIMIT_PAGES * 8);
const pageSize = hp.usable ? defaultHugepageSize() : 0;
const cg = hp.usable ? makeCgroup(pageSize) : hp.reason;
const usable = typeof cg !== 'string';

describe.skipIf(!usable)(`a hugetlb cgroup limit of ${LIMIT_PAGES} pages${usable ? '' : ` [skipped: ${cg}]`}`, () => {
  it('is ENOMEM at Eal.init and a malloc that returns 0 later, never a SIGBUS; the pages come back', () => {
    const c = cg as Cgroup;
    const before = hugepagesFree();
    const limitMiB = (LIMIT_PAGES * pageSize) / (1024 * 1024);
    try {
      const r = spawnSync(process.execPath, [CHILD, c.procs, uniquePrefix('cg'), String(limitMiB)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, `the child died of ${r.signal}: ${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { big: { code: string; message: string } | 'ok'; small: string; grew: number; refusedAt: number | null };
      // Four times the limit at start-up: refused up front, with a hint that names the cgroup limit.
      expect(out.big).not.toBe('ok');
      expect((out.big as { code: string }).code).toBe('ENOMEM');
      expect((out.big as { message: string }).message).toMatch(/cgroup/);
      // Within the limit it starts; growing the heap past it stops at a refused malloc.
      expect(out.small).toBe('hugetlbfs');
      expect(out.refusedAt).not.toBeNull();
      expect(out.grew).toBeGreaterThan(0);
      expect(out.grew).toBeLessThan(limitMiB);
      expect(c.failcnt()).toBeGreaterThan(0);
      expect(hugepagesFree()).toBe(before);
    } finally {
      c.remove();
    }
  }, 90_000);
});
