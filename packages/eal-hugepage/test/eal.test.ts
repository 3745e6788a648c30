import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import { Eal, LCORE_ID_ANY, LIST_SPAN, MAX_LCORE, nativeAvailable, RteError, runtimeDirFor, SOCKET_ID_ANY } from '../src/index.js';
import { CONFIG_VERSION, HDR_MAGIC, HDR_OWNER_UID, HDR_PRIMARY_PID, HDR_VERSION, LOCK_MEMSEG, ML_USED_SEGS } from '../src/layout.js';
import { lockOwner } from '../src/lock.js';

const PEER = new URL('./fixtures/eal-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

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

describe('Eal.init options', () => {
  it.each([
    ['an unknown option', { memroy: 1 }],
    ['an unknown backend', { backend: 'gpu' }],
    ['memory 0', { memory: 0 }],
    ['negative memory', { memory: -4096 }],
    ['NaN memory', { memory: Number.NaN }],
    ['fractional memory', { memory: 1.5 }],
    ['a page size that is not a power of two', { pageSize: 3 * MiB }],
    ['a page size below 4 KiB', { pageSize: 1024 }],
    ['an empty socketMemory', { socketMemory: [] }],
    ['socketMemory with a negative entry', { socketMemory: [-1] }],
    ['an unknown processType', { processType: 'tertiary' }],
    ['a filePrefix with a slash', { filePrefix: 'a/b' }],
    ['a filePrefix with ..', { filePrefix: 'a..b' }],
    ['a filePrefix of ..', { filePrefix: '..' }],
    ['a hidden filePrefix', { filePrefix: '.x' }],
    ['an empty filePrefix', { filePrefix: '' }],
    ['a filePrefix with NUL', { filePrefix: 'a\0b' }],
    ['a 49-character filePrefix', { filePrefix: 'x'.repeat(49) }],
  ])('rejects %s with EINVAL', (_what, opts) => {
    expect(codeOf(() => track(Eal.init({ backend: 'sab', ...(opts as object) })))).toBe('EINVAL');
  });

  it('rejects a socketMemory entry for a socket that does not exist', () => {
    if (!nativeAvailable()) return;
    const sockets = new Array(64).fill(0);
    sockets[63] = 2 * MiB;
    expect(codeOf(() => track(Eal.init({ backend: 'anonymous', filePrefix: uniquePrefix('sock'), socketMemory: sockets })))).toBe('EINVAL');
  });
});

describe('sab backend', () => {
  it('initialises without native code: one list, all memory backed, lcore 0', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 8 * MiB }));
    expect(eal.backend).toBe('sab');
    expect(eal.backendReason).toBe('requested');
    expect(eal.processType).toBe('primary');
    expect(eal.lcoreId()).toBe(0);
    expect(eal.socketId()).toBe(0);
    expect(eal.runtimeDir).toBe('');
    expect(eal.lists).toHaveLength(1);
    const list = eal.lists[0]!;
    expect(list.index).toBe(1);
    expect(list.baseAddr).toBe(LIST_SPAN);
    expect(list.sab).toBeInstanceOf(SharedArrayBuffer);
    expect(list.sab.byteLength).toBe(8 * MiB);
    expect(eal.usedSegments(1)).toBe(list.nSegs);
    expect(eal.listOf(LIST_SPAN + 100)).toBe(list);
    expect(eal.listOf(100)).toBeUndefined();
    expect(eal.primaryAlive()).toBe(true);
  });

  it('rounds memory up to whole pages and splits it into lists of at most LIST_SPAN', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 5000 }));
    expect(eal.lists[0]!.length).toBe(8192);
  });

  it('cannot grow or shrink: backPages and releasePages refuse', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    expect(eal.backPages(1, 0, 1)).toBeLessThan(0);
    expect(eal.releasePages(1, 0, 1)).toBeLessThan(0);
    expect(eal.usedSegments(1)).toBe(eal.lists[0]!.nSegs);
  });

  it('has no secondaries', () => {
    expect(codeOf(() => Eal.init({ backend: 'sab', processType: 'secondary', filePrefix: uniquePrefix('sab') }))).toBe('EINVAL');
  });

  it('gives named config areas: same name same offset, zero-filled, bounded', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    const a = eal.area('test_a', 1000);
    const b = eal.area('test_b', 64);
    expect(eal.area('test_a', 1000)).toBe(a);
    expect(b).toBeGreaterThanOrEqual(a + 1000);
    expect(a % 64).toBe(0);
    expect(b % 64).toBe(0);
    expect(eal.config.u8.subarray(a, a + 1000).every((x) => x === 0)).toBe(true);
    expect(codeOf(() => eal.area('test_a', 2000))).toBe('EINVAL');
    expect(codeOf(() => eal.area('x'.repeat(32), 8))).toBe('ENAMETOOLONG');
    expect(codeOf(() => eal.area('too_big', 64 * MiB))).toBe('ENOSPC');
    // The same area is seen through a second handle on the same config.
    const other = track(Eal.attach(eal.workerData()));
    expect(other.area('test_b', 64)).toBe(b);
  });

  it('hands out distinct lcore ids, returns them, and says ENOSPC when all are taken', () => {
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    expect(eal.threadRegister()).toBe(0); // already an EAL thread
    const handles = Array.from({ length: MAX_LCORE - 1 }, () => Eal.attach(eal.workerData()));
    for (const h of handles) expect(h.lcoreId()).toBe(LCORE_ID_ANY);
    expect(handles[0]!.socketId()).toBe(SOCKET_ID_ANY);
    const ids = handles.map((h) => h.threadRegister());
    expect(new Set(ids).size).toBe(MAX_LCORE - 1);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(MAX_LCORE - 1);
    expect(handles[5]!.threadRegister()).toBe(ids[5]); // idempotent
    const extra = Eal.attach(eal.workerData());
    expect(codeOf(() => extra.threadRegister())).toBe('ENOSPC');
    handles[9]!.threadUnregister();
    expect(handles[9]!.lcoreId()).toBe(LCORE_ID_ANY);
    expect(extra.threadRegister()).toBe(ids[9]);
    expect(eal.lcores()).toHaveLength(MAX_LCORE);
    for (const h of handles) h.cleanup();
    extra.cleanup();
    expect(eal.lcores().map((c) => c.lcoreId)).toEqual([0]);
  });

  it('cleanup is idempotent and closes the handle', () => {
    const eal = Eal.init({ backend: 'sab', memory: 4 * MiB });
    eal.cleanup();
    eal.cleanup();
    expect(eal.closed).toBe(true);
    expect(codeOf(() => eal.workerData())).toBe('EINVAL');
    expect(codeOf(() => eal.threadRegister())).toBe('EINVAL');
  });

  it('attach refuses data that is not from workerData()', () => {
    expect(codeOf(() => Eal.attach({} as never))).toBe('EINVAL');
    expect(codeOf(() => Eal.attach(null as never))).toBe('EINVAL');
    const eal = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    expect(codeOf(() => Eal.attach({ ...eal.workerData(), version: CONFIG_VERSION + 1 }))).toBe('EINVAL');
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('anonymous backend and processes'), () => {
  it('keeps its list files in /dev/shm and its config in the runtime dir, 0600 and 0700, and removes them on cleanup', async () => {
    const prefix = uniquePrefix('anon');
    const eal = Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    expect(eal.backend).toBe('anonymous');
    expect(eal.pageSize).toBe(4096);
    const file = join('/dev/shm', `${prefix}map_1`);
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(eal.runtimeDir, 'config')).mode & 0o777).toBe(0o600);
    expect(statSync(eal.runtimeDir).mode & 0o777).toBe(0o700);
    expect(eal.usedSegments(1)).toBe(1024);
    eal.cleanup();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(runtimeDirFor(prefix))).toBe(false);
    // Views kept after cleanup read zeros instead of crashing the process.
    expect(eal.lists[0]!.u8[0]).toBe(0);
  });

  it('says EBUSY to a second primary with the same prefix, and allows another prefix', () => {
    const prefix = uniquePrefix('busy');
    track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    expect(codeOf(() => Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }))).toBe('EBUSY');
    const other = track(Eal.init({ backend: 'anonymous', filePrefix: uniquePrefix('busy2'), memory: 4 * MiB }));
    expect(other.processType).toBe('primary');
  });

  it('says ENOENT to a secondary without a primary', () => {
    const e = (() => {
      try {
        Eal.init({ processType: 'secondary', filePrefix: uniquePrefix('nopri') });
      } catch (err) {
        return err as RteError;
      }
      return null;
    })();
    expect(e?.code).toBe('ENOENT');
    expect(e?.message).toMatch(/start a primary/);
  });

  it("makes processType 'auto' a secondary while a primary lives, and a primary otherwise", () => {
    const prefix = uniquePrefix('auto');
    const first = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB, processType: 'auto' }));
    expect(first.processType).toBe('primary');
    const second = track(Eal.init({ filePrefix: prefix, processType: 'auto' }));
    expect(second.processType).toBe('secondary');
    expect(second.backend).toBe('anonymous');
    expect(second.lcoreId()).not.toBe(0);
    second.lists[0]!.u8[123] = 99;
    expect(first.lists[0]!.u8[123]).toBe(99);
  });

  it('attaches read-only: no lcore claimed, no area created, existing areas found', () => {
    const prefix = uniquePrefix('ro');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const off = eal.area('test_area', 128);
    const ro = track(Eal.init({ processType: 'secondary', filePrefix: prefix, readOnly: true }));
    expect(ro.readOnly).toBe(true);
    expect(ro.lcoreId()).toBe(LCORE_ID_ANY);
    expect(eal.lcores()).toHaveLength(1);
    expect(ro.area('test_area', 128)).toBe(off);
    expect(codeOf(() => ro.area('missing', 64))).toBe('ENOENT');
    expect(eal.config.areas().map((a) => a.name)).not.toContain('missing');
    expect(codeOf(() => ro.threadRegister())).toBe('EPERM');
    expect(codeOf(() => Eal.init({ backend: 'anonymous', filePrefix: uniquePrefix('ro2'), readOnly: true }))).toBe('EINVAL');
  });

  it('refuses a config with a bad magic or another layout version', () => {
    const prefix = uniquePrefix('magic');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const u32 = eal.config.u32;
    u32[HDR_VERSION >> 2] = CONFIG_VERSION + 1;
    expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix }))).toBe('EINVAL');
    u32[HDR_VERSION >> 2] = CONFIG_VERSION;
    const magic = u32[HDR_MAGIC >> 2]!;
    u32[HDR_MAGIC >> 2] = 0xdeadbeef;
    expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix }))).toBe('EINVAL');
    u32[HDR_MAGIC >> 2] = magic;
    track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
  });

  it('refuses a config whose primary runs as another user, by header or by file owner (EPERM)', () => {
    const prefix = uniquePrefix('uid');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const u32 = eal.config.u32;
    const uid = u32[HDR_OWNER_UID >> 2]!;
    u32[HDR_OWNER_UID >> 2] = uid + 4242;
    const e = (() => {
      try {
        Eal.init({ processType: 'secondary', filePrefix: prefix });
      } catch (err) {
        return err as RteError;
      }
      return null;
    })();
    expect(e?.code).toBe('EPERM');
    expect(e?.message).toMatch(/uid/);
    u32[HDR_OWNER_UID >> 2] = uid;
    // The file's owner counts too (only root can give a file away).
    if (process.getuid?.() === 0) {
      const cfg = join(eal.runtimeDir, 'config');
      chownSync(cfg, 4242, 4242);
      expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix }))).toBe('EPERM');
      chownSync(cfg, uid, uid);
    }
    track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
  });

  it('makes a runtime dir and an empty config left with loose modes 0700 and 0600 again', () => {
    const prefix = uniquePrefix('modes');
    const dir = runtimeDirFor(prefix);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'config'), '');
    chmodSync(join(dir, 'config'), 0o666);
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config')).mode & 0o777).toBe(0o600);
    expect(statSync(join('/dev/shm', `${prefix}map_1`)).mode & 0o777).toBe(0o600);
    expect(eal.processType).toBe('primary');
  });

  it('a new primary leaves the secondaries of a dead one on their own files, which still say the primary is dead', async () => {
    const prefix = uniquePrefix('orphan');
    const first = await Peer.child(PEER);
    await first.call('init', { backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    const orphan = track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
    const oldPid = orphan.config.i32[HDR_PRIMARY_PID >> 2];
    await first.kill('SIGKILL');
    expect(orphan.primaryAlive()).toBe(false);
    const next = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 8 * MiB }));
    expect(next.staleFilesRemoved).toContain(join(runtimeDirFor(prefix), 'config'));
    // The orphan's config was neither truncated nor rewritten under it.
    expect(orphan.config.i32[HDR_PRIMARY_PID >> 2]).toBe(oldPid);
    expect(orphan.primaryAlive()).toBe(false);
    orphan.lists[0]!.u8[100] = 7;
    expect(next.lists[0]!.u8[100]).toBe(0);
    // New secondaries attach to the new primary.
    const fresh = track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
    expect(fresh.primaryPid()).toBe(process.pid);
    expect(fresh.lists[0]!.length).toBe(next.lists[0]!.length);
    // Beside the multi-process sockets (mp.test.ts), only the new config.
    expect(readdirSync(runtimeDirFor(prefix)).filter((n) => !n.startsWith('mp_socket'))).toEqual(['config']);
  });

  it('shares memory both ways with a secondary process, which gets its own lcore', async () => {
    const prefix = uniquePrefix('sec');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const list = eal.lists[0]!;
    for (let i = 0; i < 256; i++) list.u8[4096 + i] = i;
    const peer = await Peer.child(PEER);
    try {
      const info = await peer.call<{ lcore: number; processType: string; backend: string }>('init', { processType: 'secondary', filePrefix: prefix });
      expect(info).toEqual({ lcore: 1, processType: 'secondary', backend: 'anonymous', lists: eal.lists.length });
      expect(await peer.call('read', { index: 1, off: 4096, len: 256 })).toEqual(Array.from({ length: 256 }, (_, i) => i));
      await peer.call('write', { index: 1, off: 3 * MiB, bytes: [1, 2, 3, 4] });
      expect(Array.from(list.u8.subarray(3 * MiB, 3 * MiB + 4))).toEqual([1, 2, 3, 4]);
      // Atomic increments from both processes on one word.
      const total = await Promise.all([peer.call<number>('add', { index: 1, off: 8192, n: 10000 }), Promise.resolve().then(() => {
        for (let i = 0; i < 10000; i++) Atomics.add(list.i32, 8192 >> 2, 1);
      })]);
      expect(total[0]).toBeGreaterThanOrEqual(10000);
      expect(Atomics.load(list.i32, 8192 >> 2)).toBe(20000);
      expect(await peer.call('primaryAlive')).toBe(true);
      expect(eal.lcores().map((c) => c.role).sort()).toEqual(['main', 'secondary']);
    } finally {
      await peer.close();
    }
    // The secondary's lcore went back with its cleanup.
    expect(eal.lcores().map((c) => c.lcoreId)).toEqual([0]);
  });

  it('removes the files of a SIGKILLed primary as stale, and secondaries refuse its leftovers', async () => {
    const prefix = uniquePrefix('stale');
    const peer = await Peer.child(PEER);
    await peer.call('init', { backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    await peer.kill('SIGKILL');
    const file = join('/dev/shm', `${prefix}map_1`);
    expect(existsSync(file)).toBe(true);
    expect(codeOf(() => Eal.init({ processType: 'secondary', filePrefix: prefix }))).toBe('ENOENT');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    expect(eal.staleFilesRemoved).toContain(file);
    expect(eal.staleFilesRemoved).toContain(join(runtimeDirFor(prefix), 'config'));
    expect(eal.processType).toBe('primary');
    eal.cleanup();
    expect(readdirSync('/dev/shm').filter((f) => f.startsWith(prefix))).toEqual([]);
  });

  it('takes the memseg lock over from a killed secondary and recounts the used segments', async () => {
    const prefix = uniquePrefix('msdead');
    const eal = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const used = eal.usedSegments(1);
    const peer = await Peer.child(PEER);
    await peer.call('init', { processType: 'secondary', filePrefix: prefix });
    const pid = await peer.call<number>('holdMemsegLock', { word: (eal.config.listEntry(1) + ML_USED_SEGS) >> 2, delta: 5 });
    expect(lockOwner(eal.config.i32, LOCK_MEMSEG)?.pid).toBe(pid);
    await peer.kill('SIGKILL');
    expect(eal.usedSegments(1)).toBe(used + 5);
    eal.lockMemseg();
    eal.unlockMemseg();
    expect(eal.usedSegments(1)).toBe(used);
    expect(lockOwner(eal.config.i32, LOCK_MEMSEG)).toBeNull();
  });

  it('notices when the primary dies', async () => {
    const prefix = uniquePrefix('dead');
    const primary = await Peer.child(PEER);
    await primary.call('init', { backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    const secondary = track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
    expect(secondary.primaryAlive()).toBe(true);
    await primary.kill('SIGKILL');
    expect(secondary.primaryAlive()).toBe(false);
    secondary.cleanup();
    track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
  });

  it('works without the addon: nativeAvailable() says why, auto falls back to sab', async () => {
    const peer = await Peer.child(PEER, null, { RTEMEM_NO_NATIVE: '1' });
    try {
      expect(await peer.call('native')).toEqual({ available: false, error: 'disabled by RTEMEM_NO_NATIVE=1' });
      expect(await peer.call('initError', { backend: 'anonymous', filePrefix: uniquePrefix('nn') })).toMatchObject({ code: 'ENOTSUP', name: 'RteError' });
      expect(await peer.call('initError', { backend: 'hugetlbfs', filePrefix: uniquePrefix('nn') })).toMatchObject({ code: 'ENOTSUP' });
      const info = await peer.call<{ backend: string }>('init', { memory: 4 * MiB });
      expect(info.backend).toBe('sab');
    } finally {
      await peer.close();
    }
  });
});
