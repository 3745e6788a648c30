import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import { partsFromWorkerData } from '../src/attach.js';
import { backendCode, backendOfCode } from '../src/backend.js';
import { EAGAIN, EINVAL, ENOMEM, EPERM, errnoName, RteError } from '../src/errors.js';
import { planLists, planMemory, reserveError } from '../src/init-primary.js';
import { Eal, LIST_SPAN, MAX_LISTS, ML_F_EXTERNAL, runtimeDirFor } from '../src/index.js';
import { BACKEND_CODE_ANONYMOUS, BACKEND_CODE_HUGETLBFS, BACKEND_CODE_SAB } from '../src/layout.js';
import { DEFAULT_MEMORY, normalizeOptions } from '../src/options.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// planLists' input for one page size: bytes per socket.
function oneSize(pageSize: number, perSocket: [number, number][]): Map<number, Map<number, number>> {
  return new Map([[pageSize, new Map(perSocket)]]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RteError);
    return (e as RteError).code;
  }
  return undefined;
}

const open: Eal[] = [];
function track(eal: Eal): Eal {
  open.push(eal);
  return eal;
}
afterEach(() => {
  while (open.length) open.pop()!.cleanup();
});

describe('options (options.ts)', () => {
  it('fills in every default', () => {
    expect(normalizeOptions({})).toEqual({
      backend: 'auto',
      memory: DEFAULT_MEMORY,
      socketMemory: null,
      maxMemory: null,
      pageSize: undefined,
      hugeDir: undefined,
      filePrefix: 'rtemem',
      processType: 'primary',
      inMemory: false,
      legacyMem: false,
      readOnly: false,
      lcores: null,
    });
    expect(DEFAULT_MEMORY).toBe(64 * MiB);
  });

  it('refuses readOnly outside a secondary, a bad maxMemory or hugeDir, socketMemory of zeros, and a non-object', () => {
    expect(codeOf(() => normalizeOptions({ readOnly: true }))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions({ readOnly: true, processType: 'auto' }))).toBe('EINVAL');
    expect(normalizeOptions({ readOnly: true, processType: 'secondary' }).readOnly).toBe(true);
    expect(codeOf(() => normalizeOptions({ maxMemory: 0 }))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions({ maxMemory: 1.5 }))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions({ hugeDir: '' }))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions({ socketMemory: [0, 0] }))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions(null as never))).toBe('EINVAL');
    expect(codeOf(() => normalizeOptions('x' as never))).toBe('EINVAL');
  });
});

describe('memory and list planning (init-primary.ts)', () => {
  it('puts all of `memory` on the main socket, in whole pages; every socket gets an entry', () => {
    const m = planMemory({ memory: 5000, socketMemory: null }, [0, 1], 1, 4096);
    expect([...m]).toEqual([
      [0, 0],
      [1, 8192],
    ]);
  });

  it('follows socketMemory per socket (whole pages), skips zeros, and refuses a socket that does not exist', () => {
    const m = planMemory({ memory: DEFAULT_MEMORY, socketMemory: [3 * MiB, 0, 1] }, [0, 1, 2], 0, 2 * MiB);
    expect([...m]).toEqual([
      [0, 4 * MiB],
      [1, 0],
      [2, 2 * MiB],
    ]);
    const e = (() => {
      try {
        planMemory({ memory: DEFAULT_MEMORY, socketMemory: [MiB, 0, 0, MiB] }, [0, 1], 0, 4096);
      } catch (err) {
        return err as RteError;
      }
      return null;
    })();
    expect(e?.code).toBe('EINVAL');
    expect(e?.message).toMatch(/socket 3, which does not exist \(sockets: 0, 1\)/);
  });

  it('gives sab exactly the memory, in lists of at most LIST_SPAN', () => {
    expect(planLists(oneSize(4096, [[0, 4 * MiB]]), true, null)).toEqual([{ pageSize: 4096, socketId: 0, length: 4 * MiB }]);
    expect(planLists(oneSize(4096, [[0, LIST_SPAN + 8 * MiB]]), true, null)).toEqual([
      { pageSize: 4096, socketId: 0, length: LIST_SPAN },
      { pageSize: 4096, socketId: 0, length: 8 * MiB },
    ]);
  });

  it('gives the other backends address space to grow into: max(memory, maxMemory or LIST_SPAN) per socket, in whole-page lists', () => {
    expect(planLists(oneSize(2 * MiB, [[0, 64 * MiB]]), false, null)).toEqual([{ pageSize: 2 * MiB, socketId: 0, length: LIST_SPAN }]);
    expect(planLists(oneSize(2 * MiB, [[0, 64 * MiB]]), false, 3 * GiB)).toEqual([0, 1, 2].map(() => ({ pageSize: 2 * MiB, socketId: 0, length: LIST_SPAN })));
    const two = planLists(
      oneSize(4096, [
        [0, 64 * MiB],
        [1, 0],
      ]),
      false,
      null,
    );
    expect(two.map((p) => p.socketId)).toEqual([0, 1]);
    // Pages that do not divide LIST_SPAN: each list is the whole pages that fit.
    const odd = planLists(oneSize(3 * 2 ** 27, [[0, 1]]), false, null);
    expect(odd[0]!.length).toBe(2 * 3 * 2 ** 27);
  });

  it('refuses a page larger than a list, and more than MAX_LISTS lists', () => {
    expect(codeOf(() => planLists(oneSize(2 * GiB, [[0, 1]]), false, null))).toBe('EINVAL');
    expect(codeOf(() => planLists(oneSize(2 * MiB, [[0, MiB]]), false, (MAX_LISTS + 1) * LIST_SPAN))).toBe('EINVAL');
    expect(planLists(oneSize(2 * MiB, [[0, MiB]]), false, MAX_LISTS * LIST_SPAN)).toHaveLength(MAX_LISTS);
  });
});

describe('reserve errors (init-primary.ts)', () => {
  it('says how to get more hugepages, and about cgroup limits, for ENOMEM on hugetlbfs', () => {
    const e = reserveError(-ENOMEM, 64 * MiB, 2 * MiB, 0, 'hugetlbfs');
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toMatch(/^cannot reserve 64 MiB of 2 MiB pages on socket 0 \(fallocate: ENOMEM\)/);
    expect(e.message).toContain('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages');
    expect(e.message).toContain('hugetlb.2MB.limit_in_bytes');
    expect(reserveError(-ENOMEM, GiB, GiB, 1, 'hugetlbfs').message).toContain('hugetlb.1GB.limit_in_bytes');
  });

  it('says to ask for less on the anonymous backend, and gives any other errno as it is', () => {
    const anon = reserveError(-ENOMEM, 4 * MiB, 4096, 0, 'anonymous');
    expect(anon.code).toBe('ENOMEM');
    expect(anon.message).toMatch(/: ask for less memory$/);
    const other = reserveError(-EPERM, 4 * MiB, 4096, 0, 'hugetlbfs');
    expect(other.code).toBe('EPERM');
    expect(other.message).not.toMatch(/hugepages|less memory/);
    expect(reserveError(-5, 4 * MiB, 4096, 0, 'anonymous').code).toBe('EIO');
  });

  it('names errno values: EAGAIN is what flock says for a lock held elsewhere', () => {
    expect([errnoName(-EAGAIN), errnoName(EINVAL), errnoName(-ENOMEM)]).toEqual(['EAGAIN', 'EINVAL', 'ENOMEM']);
  });
});

describe('backend codes in the config header (backend.ts)', () => {
  it('round-trips every backend', () => {
    for (const b of ['hugetlbfs', 'anonymous', 'sab'] as const) expect(backendOfCode(backendCode(b))).toBe(b);
    expect([backendCode('hugetlbfs'), backendCode('anonymous'), backendCode('sab')]).toEqual([BACKEND_CODE_HUGETLBFS, BACKEND_CODE_ANONYMOUS, BACKEND_CODE_SAB]);
  });
});

describe('the facade (eal.ts) over the split', () => {
  it('refuses an in-memory or sab secondary before looking for a primary', () => {
    expect(codeOf(() => Eal.init({ processType: 'secondary', inMemory: true, filePrefix: uniquePrefix('inmem') }))).toBe('EINVAL');
    expect(codeOf(() => Eal.init({ processType: 'secondary', backend: 'sab', filePrefix: uniquePrefix('sabsec') }))).toBe('EINVAL');
  });

  it('splits sab memory over LIST_SPAN into lists, each fully backed, and says so in dump()', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 8 * MiB, filePrefix: 'dumped' }));
    expect(eal.backPages(1, 0, 1)).toBe(-EPERM);
    expect(eal.backPages(1, -1, 1)).toBe(-EINVAL);
    expect(eal.backPages(9, 0, 1)).toBe(-EINVAL);
    expect(eal.releasePages(1, 0, eal.lists[0]!.nSegs + 1)).toBe(-EINVAL);
    const lines = eal.dump().split('\n');
    expect(lines[0]).toBe("EAL 'dumped': primary, backend sab (requested)");
    expect(lines[1]).toBe('  page sizes 4 KiB');
    expect(lines[2]).toBe(`  list 1: socket 0, 2048 x 4 KiB, 2048 backed (8 MiB), addr 0x${LIST_SPAN.toString(16)}`);
    expect(lines[3]).toMatch(/^ {2}lcore 0: main, pid \d+, thread 0, socket 0$/);
    expect(eal.legacyMem).toBe(false);
    expect(eal.inMemory).toBe(false);
  });

  it('worker data names lists the config must have; a worker starts with no lcore', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    const data = eal.workerData();
    const parts = partsFromWorkerData(data);
    expect(parts.isWorker).toBe(true);
    expect(parts.lists.map((l) => l.sab)).toEqual([eal.lists[0]!.sab]);
    expect(parts.config.sab).toBe(eal.config.sab);
    expect(codeOf(() => partsFromWorkerData({ ...data, lists: [{ index: 5, sab: data.lists[0]!.sab, fd: -1 }] }))).toBe('EINVAL');
    const w = track(Eal.attach(data));
    expect(w.isWorker).toBe(true);
    expect(w.processType).toBe('primary');
    expect(w.list(1)!.sab).toBe(eal.list(1)!.sab);
  });
});

describe('external memory lists (external.ts)', () => {
  it('registers a SharedArrayBuffer as a fully backed list; other handles attach the same buffer only', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    const buf = new SharedArrayBuffer(256 * 1024);
    const map = eal.registerExternalList(buf, 4096, 0);
    expect(map.index).toBe(2);
    expect(map.flags & ML_F_EXTERNAL).toBe(ML_F_EXTERNAL);
    expect(eal.list(2)).toBe(map);
    expect(eal.listOf(map.baseAddr + 10)).toBe(map);
    expect(eal.usedSegments(2)).toBe(64);
    expect(eal.listDescriptors().map((d) => d.index)).toEqual([1, 2]);
    const other = track(Eal.attach(eal.workerData()));
    expect(other.list(2)).toBeUndefined();
    expect(codeOf(() => other.attachExternalList(2, new SharedArrayBuffer(1024)))).toBe('EINVAL');
    expect(codeOf(() => other.attachExternalList(1, buf))).toBe('EINVAL'); // not external
    expect(other.attachExternalList(2, buf).sab).toBe(buf);
    other.detachExternalList(2);
    expect(other.list(2)).toBeUndefined();
    other.detachExternalList(1); // internal lists stay
    expect(other.list(1)).toBeDefined();
    eal.unregisterExternalList(2);
    expect(eal.list(2)).toBeUndefined();
    expect(eal.listDescriptors().map((d) => d.index)).toEqual([1]);
    expect(codeOf(() => eal.unregisterExternalList(2))).toBe('EINVAL');
    expect(codeOf(() => eal.unregisterExternalList(1))).toBe('EINVAL');
  });

  it('refuses what is not whole pages of a SharedArrayBuffer, and says ENOSPC when the table is full', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    expect(codeOf(() => eal.registerExternalList(new ArrayBuffer(4096) as never, 4096, 0))).toBe('EINVAL');
    expect(codeOf(() => eal.registerExternalList(new SharedArrayBuffer(0), 4096, 0))).toBe('EINVAL');
    expect(codeOf(() => eal.registerExternalList(new SharedArrayBuffer(6000), 4096, 0))).toBe('EINVAL');
    expect(codeOf(() => eal.registerExternalList(new SharedArrayBuffer(4096), 3000, 0))).toBe('EINVAL');
    expect(codeOf(() => eal.registerExternalList(new SharedArrayBuffer(4096), 32, 0))).toBe('EINVAL');
    expect(eal.listDescriptors()).toHaveLength(1);
    for (let i = 2; i <= MAX_LISTS; i++) expect(eal.registerExternalList(new SharedArrayBuffer(4096), 4096, 0).index).toBe(i);
    expect(codeOf(() => eal.registerExternalList(new SharedArrayBuffer(4096), 4096, 0))).toBe('ENOSPC');
    // Addresses of lists past 2**32 decode like any other.
    expect(eal.listOf(MAX_LISTS * LIST_SPAN + 5)!.index).toBe(MAX_LISTS);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle("the primary's claim on its prefix (prefix-claim.ts)"), () => {
  it('removes what a starting primary that died left (config.new-* files), and nothing of a live one', () => {
    const prefix = uniquePrefix('claim');
    const dir = runtimeDirFor(prefix);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const leftover = join(dir, 'config.new-999999');
    writeFileSync(leftover, 'x');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    expect(existsSync(leftover)).toBe(false);
    // A second primary changes nothing of the first one's files.
    expect(codeOf(() => Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }))).toBe('EBUSY');
    expect(existsSync(join(dir, 'config'))).toBe(true);
    expect(eal.primaryAlive()).toBe(true);
  });

  it('undoes every file and mapping when an init fails part way (a socket that does not exist)', () => {
    const prefix = uniquePrefix('undo');
    const sockets = new Array(64).fill(0);
    sockets[63] = 2 * MiB;
    expect(codeOf(() => Eal.init({ backend: 'anonymous', filePrefix: prefix, socketMemory: sockets }))).toBe('EINVAL');
    expect(existsSync(join(runtimeDirFor(prefix), 'config'))).toBe(false);
    expect(existsSync(join('/dev/shm', `${prefix}map_1`))).toBe(false);
    // And the prefix is free for the next primary.
    track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
  });
});
