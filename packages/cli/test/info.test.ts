import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import { Eal, LCORE_ID_ANY } from '@rtemem/mempool';
import type { InfoReport } from '../src/index.js';
import { assertBuilt, rtemem, rtememAsync, waitFor, within } from './helpers.js';

beforeAll(assertBuilt);

const PRIMARY = new URL('./fixtures/info-primary.mjs', import.meta.url);

interface LcoreRow {
  lcoreId: number;
  pid: number;
  threadId: number;
  socketId: number;
  role: string;
}
interface PrimaryState {
  pid: number;
  lcores: LcoreRow[];
  areas: string[];
  memzoneCount?: number;
  memzones?: string[];
  heap?: { heapTotalBytes: number; heapFreeBytes: number; heapAllocBytes: number; greatestFreeSize: number; freeCount: number; allocCount: number };
  rings?: { name: string; count: number; size: number; capacity: number; free: number; flags: number }[];
  stack?: { count: number; capacity: number };
  mempool?: { name: string; size: number; available: number; inUse: number; cacheSize: number; caches: { lcore: number; count: number }[] };
}

const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => within(p.close(), 15_000, 'primary exit').catch(() => p.kill())));
});

async function startPrimary(opts: { bare?: boolean; userDriver?: boolean; statsPool?: boolean } = {}): Promise<{ peer: Peer; prefix: string; state: PrimaryState }> {
  const prefix = uniquePrefix('info');
  const peer = await Peer.child(PRIMARY);
  peers.push(peer);
  let state = await peer.call<PrimaryState>('init', { filePrefix: prefix, bare: opts.bare === true, userDriver: opts.userDriver === true, statsPool: opts.statsPool === true });
  if (!opts.bare) {
    // A second lcore (a worker thread of the primary) takes 20 objects and gives 4 back.
    const w = await peer.call<{ lcore: number; held: number }>('worker', { gets: 20, puts: 4 });
    expect(w).toEqual({ lcore: 1, held: 16 });
    state = await peer.call<PrimaryState>('state');
  }
  return { peer, prefix, state };
}

/** The lines of the text section that starts with `title`. */
function sectionOf(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  expect(start, `section ${title} in:\n${text}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l === '');
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The table row whose first cell is `first`, split into cells. */
function row(lines: string[], first: string): string[] {
  const l = lines.find((x) => x.trim().split(/\s{2,}/)[0] === first);
  expect(l, `row ${first} in:\n${lines.join('\n')}`).toBeDefined();
  return l!.trim().split(/\s{2,}/);
}

describe.skipIf(skipWithoutNative)(nativeTitle('rtemem info'), () => {
  it('shows the primary: EAL and lcores, memsegs, heap, memzones, rings, stacks, mempools with per-lcore cache fill', async () => {
    const { prefix, state } = await startPrimary();
    const r = rtemem(['info', '--file-prefix', prefix]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;

    expect(out.split('\n')[0]).toBe(`EAL '${prefix}': primary pid ${state.pid} (running), backend anonymous, page size 4 KiB`);
    expect(out).toContain('lcores in use: 2');
    const lcores = sectionOf(out, `EAL '${prefix}'`);
    // No launch state: neither is a worker lcore (info-lcores.test.ts shows those).
    expect(row(lcores, '0')).toEqual(['0', 'main', String(state.pid), '0', '0', '-']);
    expect(row(lcores, '1')).toEqual(['1', 'thread', String(state.pid), '1', '0', '-']);

    const mem = sectionOf(out, 'Memory:');
    expect(mem[0]).toBe('Memory: 1 memseg list, 16 MiB with memory');
    expect(row(mem, '1').slice(0, 6)).toEqual(['1', '0', '4 KiB', '262144', '4096', '16 MiB']);

    const heaps = sectionOf(out, 'Heaps:');
    expect(heaps[0]).toBe('Heaps: 1');
    const heap = row(heaps, 'socket_0');
    expect(heap[1]).toBe('0');
    expect(heap.slice(-2)).toEqual([String(state.heap!.freeCount), String(state.heap!.allocCount)]);

    const zones = sectionOf(out, 'Memzones:');
    expect(zones[0]).toBe(`Memzones: ${state.memzoneCount}`);
    for (const name of state.memzones!) expect(zones.some((l) => l.trim().split(/\s{2,}/)[1] === name), name).toBe(true);

    const rings = sectionOf(out, 'Rings:');
    expect(rings[0]).toBe('Rings: 3'); // rx, tx and the mempool's own ring MP_msgs
    expect(row(rings, 'rx')).toEqual(['rx', '1024', '1023', '5', '1018', '0.5%', 'MP/MC', '8', '0']);
    expect(row(rings, 'tx')).toEqual(['tx', '256', '255', '2', '253', '0.8%', 'SP/SC', '8', 'SP_ENQ,SC_DEQ']);
    expect(row(rings, 'MP_msgs')[0]).toBe('MP_msgs');

    const stacks = sectionOf(out, 'Stacks:');
    expect(row(stacks, 'ids')).toEqual(['ids', '64', '3', '61', 'lock-free']);

    const pools = sectionOf(out, 'Mempools:');
    expect(pools[0]).toBe('Mempools: 1');
    const mp = state.mempool!;
    // Lcore 0 holds 7, lcore 1 holds 16.
    expect(mp.inUse).toBe(23);
    expect(mp.caches.map((c) => c.lcore)).toEqual([0, 1]);
    const cached = mp.caches.reduce((a, c) => a + c.count, 0);
    expect(row(pools, 'msgs')).toEqual([
      'msgs', '512', String(mp.available), '23', '64', 'ring_mp_mc', '32', String(cached), mp.caches.map((c) => `${c.lcore}:${c.count}`).join(' '),
    ]);
    expect(out).not.toContain('Notes:');
  });

  it('--json: one document with the same numbers as the primary sees', async () => {
    const { prefix, state } = await startPrimary();
    const r = rtemem(['info', '--file-prefix', prefix, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as InfoReport;
    expect(doc.eal).toMatchObject({ filePrefix: prefix, backend: 'anonymous', pageSize: 4096, pageSizes: [4096], primaryPid: state.pid, primaryAlive: true });
    expect(doc.eal.lcores).toEqual(state.lcores);
    expect(doc.memory.physmemSize).toBe(16 * 1024 * 1024);
    expect(doc.memory.lists).toHaveLength(1);
    expect(doc.heaps).toEqual([{ name: 'socket_0', socket: 0, external: false, ...state.heap }]);
    expect(doc.heaps[0]!.allocCount).toBeGreaterThanOrEqual(3); // the fixture's 3 mallocs, plus the zones
    expect(doc.memzones.count).toBe(state.memzoneCount);
    expect(doc.memzones.zones.map((z) => z.name)).toEqual(state.memzones);
    expect(doc.rings.filter((x) => x.name !== 'MP_msgs').map(({ name, count, size, capacity, free, flags }) => ({ name, count, size, capacity, free, flags }))).toEqual(state.rings);
    expect(doc.rings.find((x) => x.name === 'tx')).toMatchObject({ prodSync: 'SP', consSync: 'SC', flagNames: ['SP_ENQ', 'SC_DEQ'], esize: 8 });
    expect(doc.stacks).toEqual([{ name: 'ids', capacity: 64, count: 3, free: 61, flags: 1, lockFree: true }]);
    const mp = state.mempool!;
    expect(doc.mempools).toHaveLength(1);
    expect(doc.mempools[0]).toMatchObject({ name: 'msgs', size: 512, available: mp.available, inUse: mp.inUse, cacheSize: 32, caches: mp.caches, eltSize: 64, ops: 'ring_mp_mc' });
    const cached = mp.caches.reduce((a, c) => a + c.count, 0);
    expect(doc.mempools[0]!.cached).toBe(cached);
    // What is not in use sits in the driver or in a cache.
    expect(doc.mempools[0]!.commonPoolCount + cached).toBe(mp.available);
    expect(doc.notes).toEqual([]);
  });

  it('only reads: the primary\'s lcore table, memzones and config areas are unchanged after info, --json and --watch', async () => {
    const { peer, prefix, state: before } = await startPrimary();
    expect(rtemem(['info', '--file-prefix', prefix]).status).toBe(0);
    expect(rtemem(['info', '--file-prefix', prefix, '--json']).status).toBe(0);
    const w = rtememAsync(['info', '--file-prefix', prefix, '--watch', '0.1']);
    await waitFor(() => (w.stdout().match(/^Every 0\.1s: /gm) ?? []).length >= 2, 15_000, 'two frames');
    const after = await peer.call<PrimaryState>('state');
    expect(after.lcores).toEqual(before.lcores);
    w.child.kill('SIGINT');
    const end = await within(w.exited, 10_000, 'rtemem info --watch after SIGINT');
    expect(end.code).toBe(0); // Ctrl-C ends the watch cleanly
    const final = await peer.call<PrimaryState>('state');
    for (const s of [after, final]) {
      expect(s.lcores).toEqual(before.lcores);
      expect(s.lcores.every((c) => c.pid === before.pid)).toBe(true);
      expect(s.memzoneCount).toBe(before.memzoneCount);
      expect(s.memzones).toEqual(before.memzones);
      expect(s.areas).toEqual(before.areas);
      expect(s.mempool).toEqual(before.mempool);
      expect(s.rings).toEqual(before.rings);
      expect(s.heap).toEqual(before.heap);
    }
  });

  it('a primary with nothing in it yet: empty sections and notes, and still nothing created', async () => {
    const { peer, prefix, state: before } = await startPrimary({ bare: true });
    expect(before.areas).toEqual([]);
    const r = rtemem(['info', '--file-prefix', prefix]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('lcores in use: 1');
    expect(r.stdout).toContain('Heaps: 0');
    expect(r.stdout).toContain('Memzones: 0');
    expect(r.stdout).toContain('Mempools: 0');
    expect(r.stdout).toContain('  - no heap yet');
    expect(r.stdout).toContain('  - no memzone table yet');
    const j = JSON.parse(rtemem(['info', '--file-prefix', prefix, '--json']).stdout) as InfoReport;
    expect(j.heaps).toEqual([]);
    expect(j.memzones).toEqual({ count: 0, zones: [] });
    expect(j.notes).toEqual(['no heap yet', 'no memzone table yet']);
    const after = await peer.call<PrimaryState>('state');
    expect(after.areas).toEqual([]);
    expect(after.lcores).toEqual(before.lcores);
  });

  it('a pool created with stats: its statistics in the text (a table of their own) and in --json; pools without stats show none', async () => {
    const { peer, prefix } = await startPrimary({ statsPool: true });
    const stats = await peer.call<InfoReport['mempools'][number]['stats']>('poolStats', { pool: 'counted' });
    expect(stats).toMatchObject({ putBulk: 2, putObjs: 2, getSuccessBulk: 1, getSuccessObjs: 5, getFailBulk: 1, getFailObjs: 100 });
    const r = rtemem(['info', '--file-prefix', prefix]);
    expect(r.status, r.stderr).toBe(0);
    const sec = sectionOf(r.stdout, 'Mempool statistics');
    expect(sec[1]).toMatch(/^\s*name\s+put bulk\s+put objs\s+get ok bulk\s+get ok objs\s+get fail bulk\s+get fail objs/);
    expect(row(sec, 'counted')).toEqual(['counted', '2', '2', '1', '5', '1', '100', String(stats!.putCommonPoolObjs), String(stats!.getCommonPoolObjs), '0:2/5']);
    expect(sec.some((l) => l.trim().startsWith('msgs'))).toBe(false);
    const j = JSON.parse(rtemem(['info', '--file-prefix', prefix, '--json']).stdout) as InfoReport;
    expect(j.mempools.find((m) => m.name === 'counted')!.stats).toEqual(stats);
    expect(j.mempools.find((m) => m.name === 'msgs')!.stats).toBeUndefined();
  });

  it('a pool on a driver this process does not have: a note, and every other pool still shown', async () => {
    const { prefix, state } = await startPrimary({ userDriver: true });
    const r = rtemem(['info', '--file-prefix', prefix]);
    expect(r.status, r.stderr).toBe(0);
    expect(sectionOf(r.stdout, 'Mempools:')[0]).toBe('Mempools: 2');
    expect(row(sectionOf(r.stdout, 'Mempools:'), 'msgs')[3]).toBe(String(state.mempool!.inUse));
    expect(r.stdout).toMatch(/^ {2}- mempool private: .*driver "fixture_fifo", which is not registered/m);
    const j = JSON.parse(rtemem(['info', '--file-prefix', prefix, '--json']).stdout) as InfoReport;
    expect(j.mempools.find((m) => m.name === 'private')!.error).toContain('fixture_fifo');
  });

  it('no primary with that prefix: exit 1 with the EAL\'s message', () => {
    const prefix = uniquePrefix('none');
    for (const args of [['info', '--file-prefix', prefix], ['info', '--file-prefix', prefix, '--json'], ['info', '--file-prefix', prefix, '--watch', '1']]) {
      const r = rtemem(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`rtemem: no primary process with file prefix '${prefix}'`);
      expect(r.stderr).toContain('start a primary first');
    }
  });

  it('--watch 0.2 into a pipe prints frame after frame, and exits 1 soon after the primary is killed', async () => {
    const { peer, prefix, state } = await startPrimary();
    const w = rtememAsync(['info', '--file-prefix', prefix, '--watch', '0.2']);
    try {
      await waitFor(() => (w.stdout().match(/^Every 0\.2s: /gm) ?? []).length >= 2, 15_000, 'two frames');
      // No terminal: no screen clearing, frames one after another.
      expect(w.stdout()).not.toContain('\x1b[');
      expect((w.stdout().match(/^Mempools: 1$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
      peers.splice(peers.indexOf(peer), 1);
      await peer.kill('SIGKILL');
      const t0 = Date.now();
      const end = await within(w.exited, 10_000, 'rtemem info --watch after the primary died');
      expect(end.code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(w.stderr()).toContain(`rtemem: the primary of '${prefix}' (pid ${state.pid}) exited`);
    } finally {
      w.child.kill('SIGKILL');
      // The killed primary left its files: a new primary of the prefix removes them, and its cleanup the rest.
      if (peer.child?.exitCode !== null || peer.child?.signalCode !== null) Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 1 << 20 }).cleanup();
    }
  });

  it('--watch --json prints one JSON document per line', async () => {
    const { prefix } = await startPrimary();
    const w = rtememAsync(['info', '--file-prefix', prefix, '--watch', '0.1', '--json']);
    try {
      await waitFor(() => w.stdout().split('\n').filter(Boolean).length >= 3, 15_000, 'three JSON lines');
      w.child.kill('SIGINT');
      expect((await within(w.exited, 10_000, 'watch --json after SIGINT')).code).toBe(0);
      const docs = w.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as InfoReport);
      expect(docs.length).toBeGreaterThanOrEqual(3);
      for (const d of docs) {
        expect(d.eal.filePrefix).toBe(prefix);
        expect(d.mempools[0]!.inUse).toBe(23);
        expect(d.eal.lcores.map((c) => c.lcoreId)).not.toContain(LCORE_ID_ANY);
      }
    } finally {
      w.child.kill('SIGKILL');
    }
  });
});
