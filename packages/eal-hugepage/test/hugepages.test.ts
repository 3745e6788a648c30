import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeHugepages, hugepagesFree, Peer, uniquePrefix } from '../../testkit/src/index.js';
import { BAD_IOVA, defaultHugepageSize, Eal, hugepageInfo, RteError, virt2phys } from '../src/index.js';
import { segIova, segState } from '../src/memseg-list.js';
import { SEG_F_DO_NOT_FREE, SEG_F_USED } from '../src/layout.js';

const PEER = new URL('./fixtures/eal-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const open: Eal[] = [];
function track(eal: Eal): Eal {
  open.push(eal);
  return eal;
}
afterEach(() => {
  while (open.length) open.pop()!.cleanup();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RteError);
    return (e as RteError).code;
  }
  return undefined;
}

describeHugepages('hugetlbfs backend', () => {
  const pageSize = defaultHugepageSize();
  const mount = () => hugepageInfo().find((h) => h.pageSize === pageSize)!.mountPoint!;

  it('takes real hugepages at init and gives them back on cleanup', () => {
    const before = hugepagesFree();
    const eal = Eal.init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('hp'), memory: 32 * MiB });
    try {
      expect(eal.backend).toBe('hugetlbfs');
      expect(eal.pageSize).toBe(pageSize);
      expect(before - hugepagesFree()).toBe((32 * MiB) / pageSize);
      expect(existsSync(join(mount(), `${eal.filePrefix}map_1`))).toBe(true);
    } finally {
      eal.cleanup();
    }
    expect(hugepagesFree()).toBe(before);
    expect(readdirSync(mount()).filter((f) => f.startsWith(eal.filePrefix))).toEqual([]);
  });

  it("is what 'auto' picks, and says why", () => {
    const eal = track(Eal.init({ filePrefix: uniquePrefix('auto'), memory: 8 * MiB }));
    expect(eal.backend).toBe('hugetlbfs');
    expect(eal.backendReason).toMatch(/free .* hugepages/);
  });

  it('records the physical address of every page (as root) and marks init pages DO_NOT_FREE', () => {
    const eal = track(Eal.init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('iova'), memory: 8 * MiB }));
    const list = eal.lists[0]!;
    const pages = (8 * MiB) / pageSize;
    for (let s = 0; s < pages; s++) expect(segState(eal.config, list, s)).toBe(SEG_F_USED | SEG_F_DO_NOT_FREE);
    expect(segState(eal.config, list, pages)).toBe(0);
    const root = process.getuid?.() === 0;
    for (let s = 0; s < pages; s++) {
      const iova = segIova(eal.config, list, s);
      if (!root) {
        expect(iova).toBe(BAD_IOVA);
        continue;
      }
      expect(iova).not.toBe(BAD_IOVA);
      expect(iova % BigInt(pageSize)).toBe(0n);
      expect(virt2phys(list.va + BigInt(s * pageSize) + 100n)).toBe(iova + 100n);
    }
  });

  it('backs and releases pages on demand, visibly in HugePages_Free', () => {
    const eal = track(Eal.init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('dyn'), memory: 4 * MiB }));
    const before = hugepagesFree();
    eal.lockMemseg();
    try {
      expect(eal.backPages(1, 10, 4)).toBe(0);
      expect(before - hugepagesFree()).toBe(4);
      expect(eal.usedSegments(1)).toBe((4 * MiB) / pageSize + 4);
      const list = eal.lists[0]!;
      list.u8.fill(0xab, 10 * pageSize, 14 * pageSize);
      expect(list.u8[14 * pageSize - 1]).toBe(0xab);
      expect(eal.releasePages(1, 10, 4)).toBe(0);
      expect(hugepagesFree()).toBe(before);
      expect(segState(eal.config, list, 10)).toBe(0);
    } finally {
      eal.unlockMemseg();
    }
  });

  it('never grows in legacy mode', () => {
    const eal = track(Eal.init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('legacy'), memory: 4 * MiB, legacyMem: true }));
    expect(eal.legacyMem).toBe(true);
    expect(eal.backPages(1, 10, 1)).toBeLessThan(0);
  });

  it('says ENOMEM (taking nothing) when the pages are not there', () => {
    const before = hugepagesFree();
    const e = (() => {
      try {
        Eal.init({ backend: 'hugetlbfs', filePrefix: uniquePrefix('nomem'), memory: (before + 10) * pageSize });
      } catch (err) {
        return err as RteError;
      }
      return null;
    })();
    expect(e?.code).toBe('ENOMEM');
    expect(e?.message).toMatch(/nr_hugepages/);
    expect(hugepagesFree()).toBe(before);
  });

  it('reserves pages while signals interrupt it (a profiler\'s SIGPROF): fallocate and populate retry on EINTR', () => {
    // 64 MiB of hugepages under --cpu-prof at a 50 us interval: without the
    // retry, fallocate fails with EINTR nearly every time.
    const dir = mkdtempSync(join(tmpdir(), 'rtemem-eintr-'));
    try {
      const script = `import { Eal } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
        const out = [];
        for (let i = 0; i < 4; i++) {
          try { const e = Eal.init({ backend: 'hugetlbfs', memory: 64 << 20, filePrefix: '${uniquePrefix('eintr')}_' + i }); e.cleanup(); out.push('ok'); }
          catch (err) { out.push(err.code + ': ' + err.message); }
        }
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toEqual(['ok', 'ok', 'ok', 'ok']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says ENOENT for a hugeDir that is not a hugetlbfs mount', () => {
    expect(codeOf(() => Eal.init({ backend: 'hugetlbfs', hugeDir: '/tmp', filePrefix: uniquePrefix('nodir') }))).toBe('ENOENT');
  });

  it('in memory: hugepage-backed memfds, no files in the mount', () => {
    const before = hugepagesFree();
    const eal = Eal.init({ backend: 'hugetlbfs', inMemory: true, filePrefix: uniquePrefix('inmem'), memory: 8 * MiB });
    try {
      expect(eal.inMemory).toBe(true);
      expect(eal.runtimeDir).toBe('');
      expect(before - hugepagesFree()).toBe((8 * MiB) / pageSize);
      expect(readdirSync(mount()).filter((f) => f.startsWith(eal.filePrefix))).toEqual([]);
    } finally {
      eal.cleanup();
    }
    expect(hugepagesFree()).toBe(before);
  });

  it('shares hugepage memory both ways with a secondary process', async () => {
    const prefix = uniquePrefix('hsec');
    const eal = track(Eal.init({ backend: 'hugetlbfs', filePrefix: prefix, memory: 8 * MiB }));
    const list = eal.lists[0]!;
    list.u8.set([9, 8, 7, 6], 5 * MiB);
    const peer = await Peer.child(PEER);
    try {
      expect(await peer.call('init', { processType: 'secondary', filePrefix: prefix })).toMatchObject({ processType: 'secondary', backend: 'hugetlbfs' });
      expect(await peer.call('read', { index: 1, off: 5 * MiB, len: 4 })).toEqual([9, 8, 7, 6]);
      await peer.call('write', { index: 1, off: 7 * MiB, bytes: [42, 43] });
      expect(Array.from(list.u8.subarray(7 * MiB, 7 * MiB + 2))).toEqual([42, 43]);
    } finally {
      await peer.close();
    }
  });

  it('gets its hugepages back after a SIGKILLed primary, through the next primary', async () => {
    const before = hugepagesFree();
    const prefix = uniquePrefix('hkill');
    const peer = await Peer.child(PEER);
    await peer.call('init', { backend: 'hugetlbfs', filePrefix: prefix, memory: 16 * MiB });
    await peer.kill('SIGKILL');
    // The dead primary's files still hold its pages.
    expect(before - hugepagesFree()).toBe((16 * MiB) / pageSize);
    const eal = Eal.init({ backend: 'hugetlbfs', filePrefix: prefix, memory: 4 * MiB });
    expect(eal.staleFilesRemoved).toContain(join(mount(), `${prefix}map_1`));
    expect(before - hugepagesFree()).toBe((4 * MiB) / pageSize);
    eal.cleanup();
    expect(hugepagesFree()).toBe(before);
  });
});
